"""The overview page: what waits for the team today."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.console.web import Console
from bot.status import HandoffStatus, Role
from bot.store.schema import handoffs, questions
from bot.team.accounts import Session


def routes(console: Console) -> list[Route]:
    store = console.store

    def overview() -> dict:
        with store.engine.connect() as conn:
            unanswered = conn.execute(
                select(func.count()).select_from(questions).where(questions.c.answered.is_(False))
            ).scalar_one()
            waiting = conn.execute(
                select(func.count()).select_from(handoffs).where(handoffs.c.status == HandoffStatus.WAITING)
            ).scalar_one()
        wrong = store.feedback_count(helpful=False)
        return {
            "unanswered": unanswered,
            "waiting": waiting,
            "wrong": wrong,
            "latest": store.unanswered(limit=20),
            "handoffs": store.handoffs(status=HandoffStatus.WAITING)[:20],
        }

    @console.guard(Role.TEAM)
    async def home(request: Request, session: Session) -> Response:
        return console.page(request, "home.html", session, **await asyncio.to_thread(overview))

    return [Route("/", home, methods=["GET"])]
