"""Answers residents marked "Chưa đúng": the question, the answer they read and its sources, so the team can
fix the knowledge file or write an FAQ (the FAQ form of questions.py, prefilled)."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.console.web import Console, page_number
from bot.status import Role
from bot.team.accounts import Session

PAGE_SIZE = 50


def routes(console: Console) -> list[Route]:
    store = console.store

    @console.guard(Role.TEAM)
    async def feedback_page(request: Request, session: Session) -> Response:
        helpful = request.query_params.get("show") == "helpful"
        page_no = page_number(request)

        def load():
            rows = store.feedback_rows(helpful=helpful, limit=PAGE_SIZE + 1, offset=(page_no - 1) * PAGE_SIZE)
            return rows, store.feedback_count(False), store.feedback_count(True)

        rows, wrong, good = await asyncio.to_thread(load)
        return console.page(
            request,
            "feedback.html",
            session,
            rows=rows[:PAGE_SIZE],
            helpful=helpful,
            wrong=wrong,
            good=good,
            page_no=page_no,
            more=len(rows) > PAGE_SIZE,
        )

    return [Route("/feedback", feedback_page, methods=["GET"])]
