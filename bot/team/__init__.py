"""Team work, run by the gateway and the CLI: question groups and their recorder, FAQ files, news, reports,
accounts and the desk protocol. Store only: nothing here imports torch or faiss."""
