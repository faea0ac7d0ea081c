"""The web console at /admin for the community digital team, content editors and admins: server-rendered,
Vietnamese, no external resources, served by the gateway application (connectors/gateway.py).

One module per page, all built on the shell in `web.py` (login session, roles, CSRF, templates):
auth (login, accounts), overview, questions (unanswered groups → FAQ), feedback, handoffs, knowledge,
reports, news, broadcast (bulletins for the commune loudspeakers).
"""

from __future__ import annotations

from starlette.applications import Starlette

from bot.config import Settings
from bot.console import (
    auth,
    broadcast,
    feedback,
    handoffs,
    knowledge,
    news,
    overview,
    questions,
    reports,
)
from bot.console.web import Console
from bot.store import Store
from bot.team.desk import Desk


def create_console(store: Store, settings: Settings | None = None, desk: Desk | None = None) -> Starlette:
    console = Console(store, settings or Settings.from_env(), desk)
    routes = []
    for module in (auth, overview, questions, feedback, handoffs, knowledge, reports, news, broadcast):
        routes.extend(module.routes(console))
    app = Starlette(routes=routes)
    app.state.console = console
    return app
