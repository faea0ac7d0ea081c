"""Channel connectors (Zalo OA, Zalo Bot Platform, Telegram, web chat) and the gateway that stores every
message before acknowledging it and relays it to Rasa.

Empty until the channels work lands; the data flow will be channel → gateway → Rasa → action → answer engine.
"""
