"""Approved answers written by the community digital team become FAQ files in `knowledge/faq/`.

An FAQ file is ordinary knowledge (kind: faq, docs/knowledge-format.md): the wordings residents used, the
approved answer, its source, who wrote it and when. It is written atomically (a temporary file, then a rename),
so the knowledge watcher never indexes half a file, and it is checked with the same parser the index uses
before it is written, so the team cannot save a file the bot would skip.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import tempfile
from pathlib import Path

import yaml

from bot.engine.knowledge import TOPICS, KnowledgeFileError, parse_document
from bot.text import fold, nfc

FAQ_FOLDER = "faq"
MAX_ANSWER = 1200  # one phone screen with the source line
MAX_QUESTIONS = 12


class FaqError(ValueError):
    """Something the person writing the answer must fix (shown to them in Vietnamese)."""


def slugify(text: str, limit: int = 60) -> str:
    """'Mật khẩu Wi-Fi ở UBND xã?' → 'mat-khau-wi-fi-o-ubnd-xa'."""
    slug = re.sub(r"[^a-z0-9]+", "-", fold(text).lower()).strip("-")
    return slug[:limit].rstrip("-") or "cau-hoi"


def safe_knowledge_path(knowledge_dir: Path, relative: str) -> Path:
    """The absolute path of a Markdown file inside knowledge/, or FaqError when the name would leave the folder,
    is hidden, or is not a .md file ('../x.md', '/etc/passwd', 'faq/.x.md', 'a\\b.md' are all refused)."""
    root = Path(knowledge_dir).resolve()
    rel = nfc(relative).strip().replace("\\", "/")
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    if (
        not parts
        or rel.startswith("/")
        or any(p == ".." or p.startswith((".", "_")) for p in parts)
        or not re.fullmatch(r"[A-Za-z0-9._/-]+", rel)
        or not rel.endswith(".md")
        or len(rel) > 200
    ):
        raise FaqError(
            "Tên tệp không hợp lệ: chỉ dùng chữ không dấu, số, dấu gạch ngang, kết thúc bằng .md, "
            "và phải nằm trong thư mục kiến thức."
        )
    target = (root / "/".join(parts)).resolve()
    if root not in target.parents:
        raise FaqError("Tên tệp không hợp lệ: tệp phải nằm trong thư mục kiến thức.")
    return target


def write_atomically(path: Path, text: str, *, replace: bool = True) -> bool:
    """Write a whole file or nothing. With replace=False an existing file is kept and False returned."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        if replace:
            os.replace(tmp, path)
            return True
        try:
            os.link(tmp, path)  # fails if the name is taken: two people saving at once keep both
        except FileExistsError:
            return False
        return True
    finally:
        Path(tmp).unlink(missing_ok=True)


def compose_faq(
    *,
    title: str,
    questions: list[str],
    answer: str,
    source: str,
    author: str,
    topics: list[str] | None = None,
    today: _dt.date | None = None,
) -> str:
    """The file's text; raises FaqError with a Vietnamese message when something is missing."""
    title = " ".join(nfc(title).split())
    answer = nfc(answer).strip().replace("\r\n", "\n")
    wordings = list(dict.fromkeys(" ".join(nfc(q).split()) for q in questions if q and q.strip()))[:MAX_QUESTIONS]
    source = " ".join(nfc(source).split())
    topics = [t for t in (topics or []) if t in TOPICS]
    if not title:
        raise FaqError("Cần có câu hỏi chính (tiêu đề).")
    if len(answer) < 20:
        raise FaqError("Câu trả lời quá ngắn: hãy viết đủ để người dân làm theo được.")
    if len(answer) > MAX_ANSWER:
        raise FaqError(f"Câu trả lời dài quá {MAX_ANSWER} ký tự: người dân đọc trên điện thoại, hãy viết gọn lại.")
    if not source:
        raise FaqError("Cần ghi nguồn (văn bản, cơ quan hoặc người xác nhận thông tin).")
    if title not in wordings:
        wordings.insert(0, title)
    today = today or _dt.date.today()
    meta = {
        "title": title,
        "kind": "faq",
        "topics": topics or ["TOCNSCD"],
        "questions": wordings,
        "source": source,
        "author": author,
        "answered": today.isoformat(),
        "reviewed": today.isoformat(),
    }
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=1000)
    return f"---\n{front}---\n\n{answer}\n"


def write_faq(
    knowledge_dir: Path,
    *,
    title: str,
    questions: list[str],
    answer: str,
    source: str,
    author: str,
    topics: list[str] | None = None,
    today: _dt.date | None = None,
) -> str:
    """Write a new FAQ file; returns its path relative to knowledge/ (e.g. 'faq/mat-khau-wi-fi.md')."""
    text = compose_faq(
        title=title, questions=questions, answer=answer, source=source, author=author, topics=topics, today=today
    )
    base = slugify(title)
    for n in range(1, 100):
        rel = f"{FAQ_FOLDER}/{base}{'' if n == 1 else f'-{n}'}.md"
        try:
            parse_document(text, rel)
        except KnowledgeFileError as exc:  # never write a file the index would skip
            raise FaqError(f"Tệp không hợp lệ: {exc.error.message}") from None
        if write_atomically(safe_knowledge_path(knowledge_dir, rel), text, replace=False):
            return rel
    raise FaqError("Đã có quá nhiều câu hỏi cùng tên; hãy đổi câu hỏi chính.")
