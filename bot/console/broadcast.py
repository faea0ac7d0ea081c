"""Bulletins for the commune loudspeakers ("Bản tin phát thanh", under "Tin tức"; editors and admins): choose a news
item or a section of a knowledge document and a length (1, 2 or 3 minutes), read the script as it is to be read
aloud with its estimated length, and print it on A4 for the announcer. The script itself is bot/team/bulletin.py.

    GET  /news/broadcast          the form (?news=<id> chooses a news item)
    POST /news/broadcast          the script with its estimate
    POST /news/broadcast/print    the same script as a printable A4 page
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.clock import VIETNAM, utcnow
from bot.console.web import Console, field
from bot.status import NewsStatus, Role
from bot.team.accounts import Session
from bot.team.bulletin import LENGTHS, SYLLABLES_PER_MINUTE, Bulletin, BulletinError, build, knowledge_section
from bot.team.faq import FaqError, safe_knowledge_path
from bot.team.news import Newsroom


def routes(console: Console) -> list[Route]:
    room = Newsroom(console.store)

    def choices() -> list[dict]:
        return room.listing((NewsStatus.DRAFT, NewsStatus.SENT), limit=100)

    def chosen(form) -> dict:
        minutes = field(form, "minutes", 2)
        return {
            "source": "knowledge" if field(form, "source", 20) == "knowledge" else "news",
            "news": field(form, "news", 12),
            "path": field(form, "path", 200),
            "section": field(form, "section", 200),
            "minutes": int(minutes) if minutes.isdigit() else 0,
        }

    def make(values: dict) -> Bulletin:
        if values["source"] == "news":
            item = room.get(int(values["news"])) if values["news"].isdigit() else None
            if item is None:
                raise BulletinError("Anh/chị chọn một bản tin trong danh sách.")
            return build(item["title"], item["body"], console.settings.commune_name, values["minutes"])
        try:
            path = safe_knowledge_path(console.settings.knowledge_dir, values["path"])
        except FaqError as exc:
            raise BulletinError(str(exc)) from exc
        if not path.is_file():
            raise BulletinError("Không có tệp này trong kho kiến thức.")
        heading, text = knowledge_section(path, values["section"])
        return build(heading, text, console.settings.commune_name, values["minutes"])

    async def show(
        request: Request, session: Session, values: dict, bulletin: Bulletin | None, error: str | None, status: int
    ) -> Response:
        items = await asyncio.to_thread(choices)
        return console.page(
            request,
            "broadcast.html",
            session,
            status,
            items=items,
            values=values,
            bulletin=bulletin,
            error=error,
            lengths=LENGTHS,
            pace=SYLLABLES_PER_MINUTE,
        )

    @console.guard(Role.EDITOR)
    async def form_page(request: Request, session: Session) -> Response:
        news = request.query_params.get("news", "")
        values = {"source": "news", "news": news, "path": "", "section": "", "minutes": 2}
        return await show(request, session, values, None, None, 200)

    @console.guard(Role.EDITOR)
    async def script(request: Request, session: Session) -> Response:
        values = chosen(await request.form())
        try:
            bulletin = await asyncio.to_thread(make, values)
        except BulletinError as exc:
            return await show(request, session, values, None, str(exc), 400)
        return await show(request, session, values, bulletin, None, 200)

    @console.guard(Role.EDITOR)
    async def printable(request: Request, session: Session) -> Response:
        values = chosen(await request.form())
        try:
            bulletin = await asyncio.to_thread(make, values)
        except BulletinError as exc:
            return console.refuse(request, session, str(exc), 400)
        return console.page(
            request,
            "broadcast_print.html",
            session,
            bulletin=bulletin,
            commune=console.settings.report_header,
            today=utcnow().astimezone(VIETNAM).date(),
        )

    return [
        Route("/news/broadcast", form_page, methods=["GET"]),
        Route("/news/broadcast", script, methods=["POST"]),
        Route("/news/broadcast/print", printable, methods=["POST"]),
    ]
