"""News ("Tin tức"), for content editors and admins: write a short announcement (a Nghị quyết 57 activity, a
scam warning), check it exactly as residents will read it, and send it to every resident who subscribed
("đăng ký nhận tin") — through each resident's own channel, within that platform's rules — and to the
commune's Telegram channel. The sending itself is in bot/team/news.py.

    GET  /news                   write a new one; drafts; history of sent news with counts
    POST /news                   save a draft → its preview
    GET  /news/{id}              preview, send form (draft) or what the send did, per channel
    POST /news/{id}/edit         change a draft
    POST /news/{id}/delete       throw a draft away
    POST /news/{id}/send         send (once: a second click or a resubmitted form sends nothing)
"""

from __future__ import annotations

import asyncio
import logging

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.console.web import Console, back, field
from bot.labels import CHANNEL_POST_NAMES
from bot.status import AuditAction, NewsStatus, Role
from bot.team.accounts import Session
from bot.team.news import (
    KINDS,
    MAX_BODY,
    MAX_TITLE,
    STALE_SECONDS,
    NewsError,
    Newsroom,
    compose,
)

log = logging.getLogger(__name__)

WAIT_SECONDS = 20.0  # a send still running after this: the page shows its progress instead
NO_DESK = (
    "Bảng điều khiển này đang chạy riêng, không qua cổng kết nối các kênh, nên không gửi được tin cho "
    "người dân. Anh/chị mở bảng điều khiển từ máy chủ của trợ lý (cổng kết nối) để gửi."
)
DONE = {
    "sent": "Đã gửi bản tin. Tin đang được chuyển tới người dân qua kênh của từng người; kết quả bên dưới.",
    "sending": "Bản tin đang được gửi tới nhiều người; trang tự cập nhật khi xong.",
    "already": "Bản tin này đã được gửi (hoặc đang gửi) nên không gửi lại lần nữa.",
    "saved": 'Đã lưu bản nháp. Anh/chị đọc lại phần xem trước rồi bấm "Gửi bản tin".',
    "deleted": "Đã xoá bản nháp.",
}


def routes(console: Console) -> list[Route]:
    room = Newsroom(console.store)
    running: set[asyncio.Task] = set()

    def common() -> dict:
        return {
            "kinds": KINDS,
            "max_title": MAX_TITLE,
            "max_body": MAX_BODY,
            "window_days": f"{console.settings.zalo_window_days:g}",
            "news_channel": console.desk.news_channel() if console.desk is not None else "",
            "desk": console.desk is not None,
            "stale_minutes": f"{STALE_SECONDS / 60:g}",
            "channel_post_names": CHANNEL_POST_NAMES,
        }

    def board() -> dict:
        return {
            "drafts": room.listing(NewsStatus.DRAFT),
            "sending": room.listing(NewsStatus.SENDING),
            "sent": room.listing(NewsStatus.SENT, limit=100),
            "audience": room.audience(),
        }

    async def listing(
        request: Request, session: Session, *, status: int = 200, error: str | None = None, draft: dict | None = None
    ) -> Response:
        data = await asyncio.to_thread(board)
        notice = DONE.get(request.query_params.get("done", "")) if status == 200 else None
        return console.page(
            request,
            "news.html",
            session,
            status,
            error=error,
            notice=notice,
            draft=draft or {"title": "", "body": "", "kind": "activity"},
            **data,
            **common(),
        )

    def form_values(form) -> dict:
        kind = field(form, "kind", 20)
        return {
            "title": field(form, "title", 4 * MAX_TITLE + 1000),
            "body": field(form, "body", 20 * MAX_BODY),
            "kind": kind if kind in KINDS else "activity",
            "kind_given": kind,
        }

    @console.guard(Role.EDITOR)
    async def news_list(request: Request, session: Session) -> Response:
        return await listing(request, session)

    @console.guard(Role.EDITOR)
    async def create(request: Request, session: Session) -> Response:
        values = form_values(await request.form())
        try:
            news_id = await asyncio.to_thread(
                room.create, values["title"], values["body"], values["kind_given"], session.username
            )
        except NewsError as exc:
            return await listing(request, session, status=400, error=str(exc), draft=values)
        return back(f"/admin/news/{news_id}?done=saved")

    async def detail(
        request: Request,
        session: Session,
        news_id: int,
        *,
        status: int = 200,
        error: str | None = None,
        draft: dict | None = None,
    ) -> Response:
        def load():
            item = room.get(news_id)
            if item is None:
                return None, {}, {}, None, {}
            if item["status"] == NewsStatus.DRAFT:
                return item, {}, {}, None, room.audience()
            sent = item["status"] == NewsStatus.SENT
            results = item["results"] if sent else room.summary(news_id)  # live while sending
            return item, results, *room.delivery(news_id), {}

        item, results, delivery, post, audience = await asyncio.to_thread(load)
        if item is None:
            return console.refuse(request, session, "Không tìm thấy bản tin này.", 404)
        notice = DONE.get(request.query_params.get("done", "")) if status == 200 else None
        preview = compose(draft["title"], draft["body"], draft["kind"]) if draft else item["text"]
        return console.page(
            request,
            "news_item.html",
            session,
            status,
            n=item,
            error=error,
            notice=notice,
            draft=draft or item,
            preview=preview,
            results=results,
            delivery=delivery,
            post=post,
            audience=audience,
            **common(),
        )

    @console.guard(Role.EDITOR)
    async def news_page(request: Request, session: Session) -> Response:
        return await detail(request, session, request.path_params["news_id"])

    @console.guard(Role.EDITOR)
    async def edit(request: Request, session: Session) -> Response:
        news_id = request.path_params["news_id"]
        values = form_values(await request.form())
        item = await asyncio.to_thread(room.get, news_id)
        if item is None:
            return console.refuse(request, session, "Không tìm thấy bản tin này.", 404)
        try:
            changed = await asyncio.to_thread(
                room.update_draft, news_id, values["title"], values["body"], values["kind_given"]
            )
        except NewsError as exc:
            return await detail(request, session, news_id, status=400, error=str(exc), draft=values)
        if not changed:
            return await detail(
                request,
                session,
                news_id,
                status=409,
                error="Bản tin đã được gửi nên không sửa được nữa. Cần đính chính thì anh/chị viết một bản tin mới.",
            )
        return back(f"/admin/news/{news_id}?done=saved")

    @console.guard(Role.EDITOR)
    async def remove(request: Request, session: Session) -> Response:
        news_id = request.path_params["news_id"]
        if not await asyncio.to_thread(room.delete_draft, news_id):
            item = await asyncio.to_thread(room.get, news_id)
            if item is None:
                return console.refuse(request, session, "Không tìm thấy bản tin này.", 404)
            return await detail(
                request,
                session,
                news_id,
                status=409,
                error="Bản tin đã được gửi nên không xoá được; nó được giữ trong lịch sử.",
            )
        return back("/admin/news?done=deleted")

    def finished(task: asyncio.Task) -> None:
        running.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("sending news failed", exc_info=task.exception())

    @console.guard(Role.EDITOR)
    async def send(request: Request, session: Session) -> Response:
        news_id = request.path_params["news_id"]
        form = await request.form()  # already read (and cached) by the guard
        item = await asyncio.to_thread(room.get, news_id)
        if item is None:
            return console.refuse(request, session, "Không tìm thấy bản tin này.", 404)
        if console.desk is None:
            return await detail(request, session, news_id, status=503, error=NO_DESK)
        if item["status"] == NewsStatus.SENT or (item["status"] == NewsStatus.SENDING and not item["stale"]):
            return back(f"/admin/news/{news_id}?done=already")
        # without a configured channel the post is attempted anyway, so the result says plainly why it did not go
        to_channel = form.get("channel") == "1" or not console.desk.news_channel()
        task = asyncio.create_task(
            asyncio.to_thread(room.send, news_id, console.desk, by=session.username, to_channel=to_channel)
        )
        running.add(task)  # runs to the end even if the editor closes the page
        task.add_done_callback(finished)
        await console.record(session, AuditAction.NEWS_SENT, news_id, "with the channel" if to_channel else "")
        try:
            outcome = await asyncio.wait_for(asyncio.shield(task), timeout=WAIT_SECONDS)
        except TimeoutError:
            return back(f"/admin/news/{news_id}?done=sending")
        except Exception:
            return await detail(
                request,
                session,
                news_id,
                status=500,
                error="Việc gửi bị gián đoạn do lỗi hệ thống. Những người đã nhận sẽ không nhận "
                f'lại; sau {STALE_SECONDS / 60:g} phút anh/chị bấm "Gửi tiếp" để gửi nốt.',
            )
        return back(f"/admin/news/{news_id}?done=" + ("already" if outcome is None else "sent"))

    return [
        Route("/news", news_list, methods=["GET"]),
        Route("/news", create, methods=["POST"]),
        Route("/news/{news_id:int}", news_page, methods=["GET"]),
        Route("/news/{news_id:int}/edit", edit, methods=["POST"]),
        Route("/news/{news_id:int}/delete", remove, methods=["POST"]),
        Route("/news/{news_id:int}/send", send, methods=["POST"]),
    ]
