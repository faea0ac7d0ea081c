"""Thin Rasa custom actions (rasa-sdk), served by the action server on port 5055.

Empty until the Rasa dialogue work lands: the actions will call the answer engine in `bot.answer` for any
question outside the guided flows, and read the guided flows' steps from `knowledge/guides/`.
"""
