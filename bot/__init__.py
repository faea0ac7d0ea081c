"""Trợ lý số xã. Packages follow the processes that run them: `engine/` (the action server: knowledge, index,
retrieval, answers, guides), `team/` and `store/` and `console/` (the gateway's side: the team's work, the
database, the /admin console), leaves shared by all (`text`, `clock`, `labels`, `config`, `features`), and
`app.py`, the one composition root the CLI (`cli.py`), the action server and the gateway build their parts
from. Standard library only here: the Rasa environment imports `bot.text`."""

__version__ = "0.1.0"
