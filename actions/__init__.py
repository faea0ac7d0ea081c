"""Thin Rasa custom actions (rasa-sdk), served by the action server on port 5055.

The action server (`python -m actions`, see __main__.py) imports this package and registers every action in
its modules:
- `guided`    — the guided flows: picking a task, payment method and triage answers (guide_form), then walking
                through the steps of a guide read from knowledge/guides/ at run time;
- `knowledge` — any other question, answered by the answer engine in `bot.engine.answer`; feedback on answers;
- `people`    — the menu, hand-off to the community digital team, news subscriptions.
- `privacy`   — the "Quyền riêng tư" notice and "xóa dữ liệu của tôi" (confirmed, then `bot.team.erasure`).
The actions hold no logic of their own beyond the conversation: answers and guides live in `bot/engine/`,
recording and storage in `bot/team/` and `bot/store/`, all built by `bot/app.py`.
"""

from actions import guided, knowledge, people, privacy  # noqa: F401  (rasa-sdk registers the Action subclasses on import)
from actions.runtime import services

services.warm_up()
