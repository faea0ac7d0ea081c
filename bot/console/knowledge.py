"""The knowledge folder as content staff see it: every document with its front matter, when it was last indexed
and any error; one document's text; uploading a Markdown file (editors).

The index itself is kept up to date by the knowledge watcher (bot/engine/watcher.py, in the action server): this page
reads the index's manifest and checks each file again, so a broken file shows here with its line and problem
while the bot keeps answering from the last good version. An upload is checked before it is written (a broken
file is refused with the same report as `trolyso lint`), written atomically, and a file it replaces is kept in
`<data dir>/knowledge-history/` first: nothing is lost.
"""

from __future__ import annotations

import asyncio
import datetime as _dt

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.clock import utcnow
from bot.console.web import Console, back
from bot.engine.eval_report import latest_path, read_report
from bot.engine.knowledge import check_bytes, check_file, iter_knowledge_files
from bot.engine.manifest import read_manifest
from bot.status import AuditAction, Role
from bot.team.accounts import Session
from bot.team.faq import FaqError, safe_knowledge_path, write_atomically

FOLDERS = {
    "plans": "Kế hoạch của xã",
    "explainers": "Bài giải thích",
    "guides": "Hướng dẫn từng bước",
    "faq": "Câu hỏi thường gặp",
}
MAX_UPLOAD = 512 * 1024
VARIANT_NAMES = {"as typed": "Gõ có dấu", "no diacritics": "Gõ không dấu"}


def check_text(raw: bytes, rel: str) -> tuple[dict, str | None]:
    """(front matter, error) of an uploaded file's bytes; the error names the line and the problem."""
    meta, error = check_bytes(raw, rel)
    return meta, _said(error)


def _said(error) -> str | None:
    return f"dòng {error.line}: {error.message}" if error is not None else None


def routes(console: Console) -> list[Route]:
    root = console.settings.knowledge_dir
    history_dir = console.settings.data_dir / "knowledge-history"

    def documents() -> tuple[list[dict], dict]:
        index = read_manifest(console.settings.index_dir)
        files = index.get("files", {})
        docs = []
        for path in iter_knowledge_files(root):
            rel = path.relative_to(root).as_posix()
            check = check_file(path, root)  # parsed again only when the file changed
            if check is None:  # deleted between listing and reading
                continue
            meta, error = check.meta, _said(check.error)
            entry = files.get(rel, {})
            indexed_errors = [f"dòng {e['line']}: {e['message']}" for e in entry.get("errors", [])]
            docs.append(
                {
                    "path": rel,
                    "meta": meta,
                    "error": error,
                    "indexed_at": entry.get("indexed_at"),
                    "chunks": entry.get("chunks", 0),
                    "stale": entry.get("stale", False),
                    "current": entry.get("sha256") == check.sha256,
                    "indexed_errors": indexed_errors,
                    "folder": rel.split("/")[0],
                }
            )
        removed = sorted(set(files) - {d["path"] for d in docs})
        return docs, {
            "built_at": index.get("built_at"),
            "removed": removed,
            "errors": sum(1 for d in docs if d["error"]),
        }

    @console.guard(Role.TEAM)
    async def list_documents(request: Request, session: Session) -> Response:
        docs, summary = await asyncio.to_thread(documents)
        evaluation = await asyncio.to_thread(read_report, latest_path(console.settings.data_dir))
        return console.page(
            request,
            "knowledge.html",
            session,
            docs=docs,
            summary=summary,
            folders=FOLDERS,
            parse_time=_parse_time,
            evaluation=evaluation,
            variant_names=VARIANT_NAMES,
        )

    @console.guard(Role.TEAM)
    async def show_document(request: Request, session: Session) -> Response:
        try:
            path = safe_knowledge_path(root, request.path_params["path"])
        except FaqError as exc:
            return console.refuse(request, session, str(exc), 400)
        if not path.is_file():
            return console.refuse(request, session, "Không có tệp này trong kho kiến thức.", 404)
        rel = path.relative_to(root.resolve()).as_posix()
        raw = await asyncio.to_thread(path.read_bytes)
        meta, error = check_text(raw, rel)
        entry = (await asyncio.to_thread(read_manifest, console.settings.index_dir)).get("files", {}).get(rel, {})
        return console.page(
            request,
            "knowledge_doc.html",
            session,
            rel=rel,
            meta=meta,
            error=error,
            text=raw.decode("utf-8", errors="replace"),
            entry=entry,
            parse_time=_parse_time,
        )

    @console.guard(Role.EDITOR)
    async def upload(request: Request, session: Session) -> Response:
        form = await request.form(max_part_size=MAX_UPLOAD + 1024)
        upload_file = form.get("file")
        folder = str(form.get("folder", ""))
        if folder not in FOLDERS:
            return console.refuse(request, session, "Hãy chọn thư mục cho tệp.", 400)
        if upload_file is None or isinstance(upload_file, str) or not upload_file.filename:
            return console.refuse(request, session, "Hãy chọn một tệp Markdown (.md) để tải lên.", 400)
        name = str(form.get("name") or "").strip() or upload_file.filename
        try:
            target = safe_knowledge_path(root, f"{folder}/{name}")
        except FaqError as exc:
            return console.refuse(request, session, str(exc), 400)
        raw = await upload_file.read(MAX_UPLOAD + 1)
        if len(raw) > MAX_UPLOAD:
            return console.refuse(request, session, "Tệp lớn quá 512 KB: hãy chia thành nhiều tệp nhỏ.", 400)
        rel = target.relative_to(root.resolve()).as_posix()
        _, error = check_text(raw, rel)
        if error:
            return console.refuse(
                request,
                session,
                f"Tệp {rel} chưa được lưu vì có lỗi, {error}. Sửa rồi tải lên lại; trợ lý vẫn dùng bản cũ.",
                400,
            )
        if target.exists() and form.get("replace") != "1":
            return console.refuse(request, session, f'Đã có tệp {rel}. Muốn thay, hãy đánh dấu "Thay tệp cũ".', 409)

        def save() -> None:
            if target.exists():  # keep the replaced version
                stamp = utcnow().strftime("%Y%m%dT%H%M%S")
                keep = history_dir / f"{rel}.{stamp}.{session.username}"
                keep.parent.mkdir(parents=True, exist_ok=True)
                keep.write_bytes(target.read_bytes())
            write_atomically(target, raw.decode("utf-8"))

        replaced = target.exists()
        await asyncio.to_thread(save)
        await console.record(session, AuditAction.KNOWLEDGE_UPLOADED, rel, "replaced" if replaced else "new")
        return back(f"/admin/knowledge?saved={rel}")

    return [
        Route("/knowledge", list_documents, methods=["GET"]),
        Route("/knowledge/upload", upload, methods=["POST"]),
        Route("/knowledge/{path:path}", show_document, methods=["GET"]),
    ]


def _parse_time(value: str | None) -> _dt.datetime | None:
    if not value:
        return None
    try:
        return _dt.datetime.fromisoformat(value)
    except ValueError:
        return None
