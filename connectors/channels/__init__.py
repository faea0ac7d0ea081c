"""The channel adapters: one module per platform, each with a pure `parse_webhook` and a sender."""
