"""The channel gateway: one module per channel (zalo_oa, zalo_bot, telegram; the web chat lives in gateway)
and the gateway itself, an ASGI application started by `trolyso up` (`python -m connectors`).

Data flows one way: channel webhook/polling → queue (stored before acknowledging) → worker → Rasa REST →
reply parts (rendered per channel) → queue → worker → platform API.
"""
