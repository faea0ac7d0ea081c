"""Hand-offs ("Gặp cán bộ"): residents who asked for a person. A team member reads the whole conversation,
takes it (the bot then stays silent for that resident, connectors/worker.py), replies from here — the reply
goes out through the resident's own channel (the `Desk`) — and gives it back to the bot; a taken conversation
nobody writes to is given back automatically after TROLYSO_HANDOFF_RELEASE_MINUTES (connectors/gateway.py).

    GET  /handoffs                  waiting (oldest first), taken, and the last released ones
    GET  /handoffs/{id}             the conversation, who has it, take / reply / release
    POST /handoffs/{id}/take | /reply | /release
"""

from __future__ import annotations

import asyncio
import datetime as _dt
from collections.abc import Awaitable, Mapping
from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.clock import as_utc, utcnow
from bot.console.web import Console, back, field
from bot.status import OPEN_HANDOFF, AuditAction, HandoffStatus, MessageKind, Origin, Role
from bot.store.schema import handoffs
from bot.team.accounts import Session
from bot.team.desk import RESIDENT, DeskError, Reach
from bot.text import mask_personal_numbers

MAX_REPLY = 2000
HISTORY_SIZE = 20
TAKEN_TEXT = (
    "Dạ, cán bộ Tổ công nghệ số cộng đồng đã nhận hỗ trợ anh/chị. Anh/chị cứ nhắn nội dung cần hỗ trợ "
    "tại đây, cán bộ sẽ trả lời trong thời gian sớm nhất ạ."
)
RELEASED_TEXT = (
    "Dạ, cuộc trò chuyện với cán bộ đã kết thúc, trợ lý số tiếp tục hỗ trợ anh/chị. Khi cần gặp cán bộ, "
    'anh/chị cứ nhắn "gặp cán bộ" ạ.'
)
NO_DESK = (
    "Bảng điều khiển này đang chạy riêng, không qua cổng kết nối các kênh, nên không gửi được tin nhắn "
    "cho người dân. Anh/chị mở bảng điều khiển từ máy chủ của trợ lý (cổng kết nối) để trả lời."
)
DONE = {
    "taken": "Anh/chị đã nhận hỗ trợ người dân này; trợ lý tạm dừng trả lời người dân cho đến khi anh/chị "
    "trả lại. Người dân đã được báo.",
    "taken_quiet": "Anh/chị đã nhận hỗ trợ người dân này; trợ lý tạm dừng trả lời người dân. Chưa báo được cho "
    "người dân (xem lý do bên dưới).",
    "sent": "Đã gửi câu trả lời; tin nhắn đang được chuyển tới người dân qua kênh của họ.",
    "released": "Đã trả lại cho trợ lý; từ giờ trợ lý trả lời người dân như bình thường.",
    "released_quiet": "Đã trả lại cho trợ lý; từ giờ trợ lý trả lời người dân như bình thường. Chưa báo được "
    "cho người dân (kênh không còn nhận tin).",
}
WHO = {RESIDENT: "Người dân", Origin.BOT: "Trợ lý", Origin.TEAM: "Cán bộ", Origin.NEWS: "Bản tin"}


def media_link(url: str) -> str:
    """The platform's link to a resident's picture, voice note or file, if it is an http(s) address (else "")."""
    return url if url.lower().startswith(("https://", "http://")) else ""


def waited(since: _dt.datetime | None, now: _dt.datetime) -> str:
    """'5 phút', '2 giờ 10 phút', '3 ngày' — how long ago, for people, not machines."""
    if since is None:
        return ""
    minutes = max(0, int((now - as_utc(since)).total_seconds() // 60))
    if minutes < 1:
        return "dưới 1 phút"
    if minutes < 60:
        return f"{minutes} phút"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} giờ" + (f" {minutes} phút" if minutes else "")
    days, hours = divmod(hours, 24)
    return f"{days} ngày" + (f" {hours} giờ" if hours else "")


def routes(console: Console) -> list[Route]:
    store = console.store
    idle = _dt.timedelta(minutes=console.settings.handoff_release_minutes)

    def shown(mapping: Mapping[Any, Any]) -> dict:
        """A hand-off row as the pages show it: times in UTC with their zone, residents' text masked (again)."""
        row = dict(mapping)
        row["context"] = mask_personal_numbers(row.get("context") or "")
        row["requested_at"] = as_utc(row["requested_at"])
        row["updated_at"] = as_utc(row["updated_at"])
        row["release_at"] = row["updated_at"] + idle if row["status"] == HandoffStatus.TAKEN else None
        return row

    def board() -> dict:
        with store.engine.connect() as conn:
            open_rows = conn.execute(
                select(handoffs)
                .where(handoffs.c.status.in_(OPEN_HANDOFF))
                .order_by(handoffs.c.requested_at, handoffs.c.id)
            ).all()
            released = conn.execute(
                select(handoffs)
                .where(handoffs.c.status == HandoffStatus.RELEASED)
                .order_by(handoffs.c.updated_at.desc(), handoffs.c.id.desc())
                .limit(HISTORY_SIZE)
            ).all()
        open_shown = [shown(r._mapping) for r in open_rows]
        return {
            "waiting": [r for r in open_shown if r["status"] == HandoffStatus.WAITING],
            "taken": [r for r in open_shown if r["status"] == HandoffStatus.TAKEN],
            "released": [shown(r._mapping) for r in released],
        }

    @console.guard(Role.TEAM)
    async def handoff_list(request: Request, session: Session) -> Response:
        data = await asyncio.to_thread(board)
        return console.page(
            request,
            "handoffs.html",
            session,
            now=utcnow(),
            waited=waited,
            idle_minutes=f"{idle.total_seconds() / 60:g}",
            **data,
        )

    def reach(conversation_id: str) -> Reach:
        if console.desk is None:
            return Reach(False, NO_DESK)
        try:
            return console.desk.reach(conversation_id)
        except DeskError as exc:
            return Reach(False, str(exc))

    def conversation(handoff: dict) -> tuple[list[dict], Reach]:
        if console.desk is None:
            return [], Reach(False, NO_DESK)
        rows = []
        for m in console.desk.history(handoff["conversation_id"]):
            # residents' numbers never show unmasked — also where the bot (or a team member) repeated them
            rows.append(
                dict(
                    m,
                    at=as_utc(m["at"]),
                    text=mask_personal_numbers(m["text"] or ""),
                    kind=m.get("kind") or MessageKind.TEXT,
                    media_url=media_link(m.get("media_url") or ""),
                )
            )
        return rows, reach(handoff["conversation_id"])

    async def detail(
        request: Request,
        session: Session,
        handoff_id: int,
        *,
        status: int = 200,
        error: str | None = None,
        draft: str = "",
    ) -> Response:
        handoff = await asyncio.to_thread(store.handoff, handoff_id)
        if handoff is None:
            return console.refuse(request, session, "Không tìm thấy yêu cầu gặp cán bộ này.", 404)
        handoff = shown(handoff)
        messages, can_reach = await asyncio.to_thread(conversation, handoff)
        mine = handoff["status"] == HandoffStatus.TAKEN and handoff["taken_by"] == session.username
        return console.page(
            request,
            "handoff.html",
            session,
            status,
            h=handoff,
            messages=messages,
            reach=can_reach,
            mine=mine,
            error=error,
            draft=draft,
            max_reply=MAX_REPLY,
            desk=console.desk is not None,
            now=utcnow(),
            waited=waited,
            notice=DONE.get(request.query_params.get("done", "")) if status == 200 else None,
            can_release=may_release(handoff, session),
            who=WHO,
        )

    def may_release(handoff: dict, session: Session) -> bool:
        """Anyone of the team may give back a waiting one; a taken one its taker (or an admin, for one left
        behind — it would also return by itself after the idle time)."""
        if handoff["status"] == HandoffStatus.WAITING:
            return True
        return handoff["status"] == HandoffStatus.TAKEN and (
            handoff["taken_by"] == session.username or session.role == Role.ADMIN
        )

    def tell(conversation_id: str, text: str) -> bool:
        """A courtesy message to the resident; False when the channel cannot take it (not an error)."""
        if console.desk is None:
            return False
        try:  # send() itself refuses what the platform no longer allows
            console.desk.send(conversation_id, text, Origin.TEAM)
        except DeskError:
            return False
        return True

    @console.guard(Role.TEAM)
    async def handoff_page(request: Request, session: Session) -> Response:
        return await detail(request, session, request.path_params["handoff_id"])

    @console.guard(Role.TEAM)
    async def take(request: Request, session: Session) -> Response:
        handoff_id = request.path_params["handoff_id"]

        def run() -> tuple[dict | None, str | None]:
            before = store.handoff(handoff_id)
            if before is None:
                return None, None
            if before["status"] == HandoffStatus.TAKEN and before["taken_by"] == session.username:
                return before, ""  # already mine: nothing to do, no second greeting
            if not store.take_handoff(handoff_id, session.username):
                return before, None
            return before, "taken" if tell(before["conversation_id"], TAKEN_TEXT) else "taken_quiet"

        before, done = await asyncio.to_thread(run)
        if before is None:
            return console.refuse(request, session, "Không tìm thấy yêu cầu gặp cán bộ này.", 404)
        if done is None:
            now = await asyncio.to_thread(store.handoff, handoff_id)
            if now and now["status"] == HandoffStatus.TAKEN:
                message = (
                    f"Cán bộ {now['taken_by']} đã nhận hỗ trợ người dân này rồi; anh/chị không nhận thêm "
                    "được. Cần thì anh/chị trao đổi với cán bộ đó."
                )
            else:
                message = "Người dân này đã được trả lại cho trợ lý nên không nhận hỗ trợ được nữa."
            return await detail(request, session, handoff_id, status=409, error=message)
        if done:
            await console.record(session, AuditAction.HANDOFF_TAKEN, handoff_id)
        return back(f"/admin/handoffs/{handoff_id}" + (f"?done={done}" if done else ""))

    @console.guard(Role.TEAM)
    async def reply(request: Request, session: Session) -> Response:
        handoff_id = request.path_params["handoff_id"]
        form = await request.form()  # already read (and cached) by the guard
        text = field(form, "text", 20000)
        handoff = await asyncio.to_thread(store.handoff, handoff_id)
        if handoff is None:
            return console.refuse(request, session, "Không tìm thấy yêu cầu gặp cán bộ này.", 404)

        def again(status: int, message: str) -> Awaitable[Response]:
            return detail(request, session, handoff_id, status=status, error=message, draft=text)

        if handoff["status"] != HandoffStatus.TAKEN or handoff["taken_by"] != session.username:
            who = (
                f"cán bộ {handoff['taken_by']} đang hỗ trợ"
                if handoff["status"] == HandoffStatus.TAKEN
                else ("chưa ai nhận" if handoff["status"] == HandoffStatus.WAITING else "đã trả lại cho trợ lý")
            )
            return await again(409, f"Anh/chị chỉ trả lời được khi đã nhận hỗ trợ người dân này ({who}).")
        desk = console.desk
        if desk is None:
            return await again(503, NO_DESK)
        if not text:
            return await again(400, "Anh/chị chưa nhập nội dung trả lời.")
        if len(text) > MAX_REPLY:
            return await again(
                400,
                f"Câu trả lời dài {len(text)} ký tự; tối đa {MAX_REPLY} ký tự một lần gửi, "
                "anh/chị chia thành nhiều tin.",
            )

        def send() -> None:
            desk.send(handoff["conversation_id"], text, Origin.TEAM)
            store.touch_handoff(handoff_id)

        try:
            await asyncio.to_thread(send)
        except DeskError as exc:
            return await again(409, f"Chưa gửi được: {exc}")
        await console.record(session, AuditAction.HANDOFF_REPLIED, handoff_id, f"{len(text)} characters")
        return back(f"/admin/handoffs/{handoff_id}?done=sent#reply")

    @console.guard(Role.TEAM)
    async def release(request: Request, session: Session) -> Response:
        handoff_id = request.path_params["handoff_id"]
        handoff = await asyncio.to_thread(store.handoff, handoff_id)
        if handoff is None:
            return console.refuse(request, session, "Không tìm thấy yêu cầu gặp cán bộ này.", 404)
        if handoff["status"] == HandoffStatus.RELEASED:
            return back(f"/admin/handoffs/{handoff_id}?done=released")
        if not may_release(handoff, session):
            return await detail(
                request,
                session,
                handoff_id,
                status=409,
                error=f"Cán bộ {handoff['taken_by']} đang hỗ trợ người dân này; chỉ người đó (hoặc "
                "quản trị) trả lại được. Nếu không ai nhắn thêm, trợ lý tự nhận lại sau "
                f"{idle.total_seconds() / 60:g} phút.",
            )

        def run() -> str:
            if not store.release_handoff(handoff_id):
                return "released"  # released meanwhile (automatically)
            if handoff["status"] != HandoffStatus.TAKEN:
                return "released"  # nobody had talked to the resident yet
            return "released" if tell(handoff["conversation_id"], RELEASED_TEXT) else "released_quiet"

        done = await asyncio.to_thread(run)
        await console.record(session, AuditAction.HANDOFF_RELEASED, handoff_id)
        return back(f"/admin/handoffs/{handoff_id}?done={done}")

    return [
        Route("/handoffs", handoff_list, methods=["GET"]),
        Route("/handoffs/{handoff_id:int}", handoff_page, methods=["GET"]),
        Route("/handoffs/{handoff_id:int}/take", take, methods=["POST"]),
        Route("/handoffs/{handoff_id:int}/reply", reply, methods=["POST"]),
        Route("/handoffs/{handoff_id:int}/release", release, methods=["POST"]),
    ]
