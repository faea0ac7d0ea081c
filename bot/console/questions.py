"""Unanswered questions, grouped by meaning (bot/team/groups.py): the team's daily work.

For a group the team writes the answer, which becomes an approved FAQ file in knowledge/faq/ (the knowledge
watcher indexes it within seconds), optionally sends it to the residents who asked, through their own channel
where the platform still allows it; or marks the group out of scope. Closed groups stay visible as history.
The same FAQ form serves an answer the team writes from a "Chưa đúng" feedback (/faq/new).
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.console.web import Console, back, field, page_number
from bot.engine.knowledge import TOPICS
from bot.labels import STATUS_NAMES, TOPIC_NAMES
from bot.status import AuditAction, GroupStatus, Origin, Role
from bot.team.accounts import Session
from bot.team.desk import DeskError
from bot.team.faq import FaqError, write_faq
from bot.team.groups import QuestionGroups, wordings

PAGE_SIZE = 30
TABS = STATUS_NAMES
TOPIC_CHOICES = {code: TOPIC_NAMES[code] for code in TOPICS}
MAX_RECIPIENTS = 500


def notice(question: str, answer: str, source: str) -> str:
    """What a resident receives when the team answers a question they asked earlier."""
    return f"Dạ, anh/chị đã hỏi: “{question}”. Tổ công nghệ số cộng đồng của xã xin trả lời:\n{answer}\nNguồn: {source}"


def routes(console: Console) -> list[Route]:
    groups = QuestionGroups(console.store)

    def faq_form(
        request: Request,
        session: Session,
        *,
        status: int = 200,
        group=None,
        error: str | None = None,
        values: dict | None = None,
        reachable: int | None = None,
        from_feedback: dict | None = None,
    ):
        return console.page(
            request,
            "question_group.html" if group else "faq_new.html",
            session,
            status,
            window_days=f"{console.settings.zalo_window_days:g}",
            group=group,
            error=error,
            values=values or {},
            topics=TOPIC_CHOICES,
            reachable=reachable,
            from_feedback=from_feedback,
        )

    def reachable_count(group_id: int) -> int:
        if console.desk is None:
            return 0
        return len(console.desk.reachable(groups.recipients(group_id)[:MAX_RECIPIENTS]))

    @console.guard(Role.TEAM)
    async def list_groups(request: Request, session: Session) -> Response:
        tab = request.query_params.get("tab", GroupStatus.OPEN)
        tab = GroupStatus(tab) if tab in TABS else GroupStatus.OPEN
        page_no = page_number(request)

        def load():
            rows = groups.groups(tab, limit=PAGE_SIZE + 1, offset=(page_no - 1) * PAGE_SIZE)
            return rows, {t: groups.count(GroupStatus(t)) for t in TABS}

        rows, counts = await asyncio.to_thread(load)
        return console.page(
            request,
            "questions.html",
            session,
            tab=tab,
            tabs=TABS,
            counts=counts,
            groups=rows[:PAGE_SIZE],
            page_no=page_no,
            more=len(rows) > PAGE_SIZE,
        )

    def group_values(group) -> dict:
        return {
            "title": group.label.rstrip(" ?") + "?" if group.label else "",
            "questions": "\n".join(wordings(group)),
            "answer": "",
            "source": "",
            "topics": [],
            "notify": True,
        }

    @console.guard(Role.TEAM)
    async def show_group(request: Request, session: Session) -> Response:
        group_id = request.path_params["group_id"]
        group = await asyncio.to_thread(groups.group, group_id)
        if group is None:
            return console.refuse(request, session, "Không tìm thấy nhóm câu hỏi này.", 404)
        n = await asyncio.to_thread(reachable_count, group_id) if group.status == GroupStatus.OPEN else 0
        return faq_form(request, session, group=group, values=group_values(group), reachable=n)

    def read_values(form) -> dict:
        return {
            "title": field(form, "title", 300),
            "questions": field(form, "questions", 4000),
            "answer": field(form, "answer", 4000),
            "source": field(form, "source", 300),
            "topics": [t for t in form.getlist("topics") if t in TOPICS],
            "notify": form.get("notify") == "1",
        }

    def save_faq(values: dict, author: str) -> str:
        return write_faq(
            console.settings.knowledge_dir,
            title=values["title"],
            questions=values["questions"].split("\n"),
            answer=values["answer"],
            source=values["source"],
            author=author,
            topics=values["topics"],
        )

    @console.guard(Role.TEAM)
    async def answer_group(request: Request, session: Session) -> Response:
        group_id = request.path_params["group_id"]
        group = await asyncio.to_thread(groups.group, group_id)
        if group is None:
            return console.refuse(request, session, "Không tìm thấy nhóm câu hỏi này.", 404)
        values = read_values(await request.form())
        if group.status == GroupStatus.ANSWERED:
            return console.refuse(request, session, "Nhóm này đã được trả lời rồi.", 409)
        try:
            path = await asyncio.to_thread(save_faq, values, session.username)
        except FaqError as exc:
            return faq_form(
                request,
                session,
                status=400,
                group=group,
                error=str(exc),
                values=values,
                reachable=await asyncio.to_thread(reachable_count, group_id),
            )
        await asyncio.to_thread(
            groups.close, group_id, GroupStatus.ANSWERED, session.username, faq_path=path, answer=values["answer"]
        )
        sent = 0
        if values["notify"] and console.desk is not None:
            sent = await asyncio.to_thread(notify, group, values)
        await console.record(session, AuditAction.GROUP_ANSWERED, group_id, f"{path}; sent to {sent}")
        return back(f"/admin/questions/{group_id}?saved={path}&sent={sent}")

    def notify(group, values: dict) -> int:
        # the question as the team wrote it, not one resident's own wording sent to the others
        text = notice(values["title"], values["answer"], values["source"])
        desk = console.desk
        assert desk is not None  # the caller checked
        done = []
        for conversation_id in groups.recipients(group.id)[:MAX_RECIPIENTS]:
            try:
                desk.send(conversation_id, text, Origin.TEAM)
                done.append(conversation_id)
            except DeskError:
                continue  # outside the platform's window (or no such channel): not sent
        groups.mark_notified(group.id, done)
        return len(done)

    @console.guard(Role.TEAM)
    async def set_status(request: Request, session: Session) -> Response:
        group_id = request.path_params["group_id"]
        status = GroupStatus.OUT_OF_SCOPE if request.url.path.endswith("/out-of-scope") else GroupStatus.OPEN
        group = await asyncio.to_thread(groups.group, group_id, 1)
        if group is None:
            return console.refuse(request, session, "Không tìm thấy nhóm câu hỏi này.", 404)
        if group.status == GroupStatus.ANSWERED:
            return console.refuse(
                request,
                session,
                "Nhóm này đã được trả lời; muốn sửa câu trả lời, anh/chị sửa tệp "
                f"{group.faq_path} trong Kho kiến thức.",
                409,
            )
        await asyncio.to_thread(groups.close, group_id, status, session.username)
        action = AuditAction.GROUP_OUT_OF_SCOPE if status == GroupStatus.OUT_OF_SCOPE else AuditAction.GROUP_REOPENED
        await console.record(session, action, group_id)
        return back(f"/admin/questions/{group_id}")

    @console.guard(Role.TEAM)
    async def new_faq(request: Request, session: Session) -> Response:
        source_row = None
        fid = request.query_params.get("feedback", "")
        if fid.isdigit():
            source_row = await asyncio.to_thread(console.store.feedback_row, int(fid))
        values = {"title": "", "questions": "", "answer": "", "source": "", "topics": []}
        if source_row:
            values.update(title=source_row["question"], questions=source_row["question"])
        return faq_form(request, session, values=values, from_feedback=source_row)

    @console.guard(Role.TEAM)
    async def create_faq(request: Request, session: Session) -> Response:
        values = read_values(await request.form())
        try:
            path = await asyncio.to_thread(save_faq, values, session.username)
        except FaqError as exc:
            return faq_form(request, session, status=400, error=str(exc), values=values)
        return back(f"/admin/knowledge?saved={path}")

    return [
        Route("/questions", list_groups, methods=["GET"]),
        Route("/questions/{group_id:int}", show_group, methods=["GET"]),
        Route("/questions/{group_id:int}/answer", answer_group, methods=["POST"]),
        Route("/questions/{group_id:int}/out-of-scope", set_status, methods=["POST"]),
        Route("/questions/{group_id:int}/reopen", set_status, methods=["POST"]),
        Route("/faq/new", new_faq, methods=["GET"]),
        Route("/faq", create_faq, methods=["POST"]),
    ]
