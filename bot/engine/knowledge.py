"""Reading the knowledge folder: front matter validation and section-aware chunking.

A knowledge file is Markdown with YAML front matter (see docs/knowledge-format.md). Loading never stops at
a broken file: each problem becomes a `KnowledgeError` naming the file and line, and the other files load.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.text import nfc

KINDS = ("plan", "explainer", "guide", "faq")
TOPICS = ("NQ57", "QD1169", "BDHVS", "VNEID", "DVC", "THANHTOAN", "LUADAO", "TOCNSCD", "PLAN")
FLOWS = ("vneid", "dvc", "thanhtoan", "luadao")
REQUIRED = ("title", "kind", "topics")
KNOWN_FIELDS = set(REQUIRED) | {
    "issuer",
    "number",
    "issued",
    "locality",
    "source",
    "sources",
    "reviewed",
    "flow",
    "task",
    "button",
    "questions",
    "author",
    "answered",
    "triage",
}
MAX_CHUNK_WORDS = 220
BUTTON_MAX = 20
MAX_TRIAGE = 3  # yes/no questions a guided flow may ask before its steps (domain slots triage_1..3)


@dataclass(frozen=True)
class KnowledgeError:
    """A problem in one knowledge file: where it is and what is wrong, in words staff can act on."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class Chunk:
    """One retrievable piece of a document: a section (or part of a long one) with its heading path."""

    id: str
    path: str
    title: str
    kind: str
    topics: list[str]
    heading_path: list[str]
    text: str
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def section(self) -> str:
        return " › ".join(self.heading_path)

    def passage(self) -> str:
        """The text that is embedded and BM25-indexed: document title, heading path, then the body."""
        head = self.title
        if self.heading_path:
            head += " — " + " › ".join(self.heading_path)
        extra = ""
        if self.meta.get("questions"):
            extra = " ".join(self.meta["questions"]) + "\n"
        return f"{head}\n{extra}{self.text}"

    def heading(self) -> str:
        """Document title and heading path: explainer headings are phrased as residents' questions."""
        return self.title + (" — " + " › ".join(self.heading_path) if self.heading_path else "")

    @property
    def digest(self) -> str:
        return hashlib.sha1(self.passage().encode("utf-8")).hexdigest()

    @property
    def heading_digest(self) -> str:
        return hashlib.sha1(("heading|" + self.heading()).encode("utf-8")).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "path": self.path,
            "title": self.title,
            "kind": self.kind,
            "topics": self.topics,
            "heading_path": self.heading_path,
            "text": self.text,
            "meta": self.meta,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Chunk:
        return cls(**d)


@dataclass
class Document:
    path: str
    meta: dict[str, Any]
    body: str
    body_line: int  # 1-based line number where the body starts in the file

    @property
    def title(self) -> str:
        return self.meta["title"]


class KnowledgeFileError(Exception):
    def __init__(self, error: KnowledgeError):
        super().__init__(str(error))
        self.error = error


# --- front matter --------------------------------------------------------------------------------


def _field_line(lines: list[str], key: str) -> int:
    for i, line in enumerate(lines, start=2):
        if re.match(rf"^{re.escape(key)}\s*:", line):
            return i
    return 1


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    return nfc(str(value)).strip()


def parse_document(text: str, path: str) -> Document:
    """Split and validate front matter. Raises KnowledgeFileError with file and line on any problem."""
    text = nfc(text).replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise KnowledgeFileError(KnowledgeError(path, 1, "missing front matter: the file must start with a line '---'"))
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() in ("---", "..."))
    except StopIteration:
        raise KnowledgeFileError(
            KnowledgeError(path, 1, "front matter is not closed: add a line '---' after it")
        ) from None
    fm_lines = lines[1:end]
    try:
        meta = yaml.safe_load("\n".join(fm_lines)) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context_mark = getattr(exc, "context_mark", None)
        if "stream" in problem and context_mark is not None:
            mark = context_mark  # an unclosed bracket or quote: point at where it was opened
        line = min(mark.line + 2, end) if mark is not None else 1
        raise KnowledgeFileError(KnowledgeError(path, line, f"front matter is not valid YAML: {problem}")) from None
    if not isinstance(meta, dict):
        raise KnowledgeFileError(KnowledgeError(path, 2, "front matter must be 'key: value' lines"))

    def fail(key: str, message: str) -> None:
        raise KnowledgeFileError(KnowledgeError(path, _field_line(fm_lines, key), message))

    for key in REQUIRED:
        if key not in meta or meta[key] in (None, "", []):
            raise KnowledgeFileError(KnowledgeError(path, 1, f"front matter: '{key}' is required"))
    unknown = sorted(set(map(str, meta)) - KNOWN_FIELDS)
    if unknown:
        fail(unknown[0], f"front matter: unknown field '{unknown[0]}' (known: {', '.join(sorted(KNOWN_FIELDS))})")
    if not isinstance(meta["title"], str):
        fail("title", "front matter: 'title' must be text")
    if meta["kind"] not in KINDS:
        fail("kind", f"front matter: kind '{meta['kind']}' is not one of {', '.join(KINDS)}")
    topics = meta["topics"]
    if isinstance(topics, str):
        topics = [t.strip() for t in topics.split(",") if t.strip()]
    if not isinstance(topics, list):
        fail("topics", "front matter: 'topics' must be a list, e.g. [VNEID, DVC]")
    bad = [t for t in topics if str(t) not in TOPICS]
    if bad:
        fail("topics", f"front matter: unknown topic '{bad[0]}' (known: {', '.join(TOPICS)})")
    for key in ("issued", "reviewed", "answered"):
        if key in meta and meta[key] not in (None, ""):
            value = _as_text(meta[key])
            if not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", value):
                fail(key, f"front matter: '{key}' must be a date like 2026, 2026-04 or 2026-04-21, not '{value}'")
    if meta.get("flow") not in (None, "", []):
        flows = meta["flow"] if isinstance(meta["flow"], list) else [meta["flow"]]
        for flow in flows:
            if flow not in FLOWS:
                fail("flow", f"front matter: flow '{flow}' is not one of {', '.join(FLOWS)}")
        if not meta.get("task"):
            fail("flow", "front matter: a guide with 'flow' also needs 'task'")
    if meta.get("triage") not in (None, ""):
        triage = meta["triage"]
        ok = (
            isinstance(triage, list)
            and 0 < len(triage) <= MAX_TRIAGE
            and all(
                isinstance(t, dict)
                and isinstance(t.get("question"), str)
                and t["question"].strip()
                and isinstance(t.get("if_yes", []), list)
                and all(isinstance(n, int) for n in t.get("if_yes", []))
                and set(t) <= {"question", "if_yes"}
                for t in triage
            )
        )
        if not ok:
            fail(
                "triage",
                f"front matter: 'triage' must be a list of at most {MAX_TRIAGE} items, each "
                "'- question: ...' with 'if_yes: [step numbers]'",
            )
    if "sources" in meta:
        sources = meta["sources"]
        if not (isinstance(sources, list) and sources and all(isinstance(s, str) and s.strip() for s in sources)):
            fail("sources", "front matter: 'sources' must be a list of non-empty texts, e.g. '- Title — https://…'")
    if meta.get("button") and len(str(meta["button"])) > BUTTON_MAX:
        fail("button", f"front matter: 'button' must be at most {BUTTON_MAX} characters")
    if meta["kind"] == "faq":
        qs = meta.get("questions")
        if not isinstance(qs, list) or not qs or not all(isinstance(q, str) and q.strip() for q in qs):
            fail(
                "questions" if "questions" in meta else "kind",
                "front matter: an faq needs 'questions', a list of the wordings residents used",
            )
    clean: dict[str, Any] = {
        k: (_as_text(v) if not isinstance(v, list) else [_as_text(x) for x in v])
        for k, v in meta.items()
        if k != "triage"
    }
    if meta.get("triage"):
        clean["triage"] = [
            {"question": nfc(t["question"]).strip(), "if_yes": list(t.get("if_yes", []))} for t in meta["triage"]
        ]
    clean["topics"] = [str(t) for t in topics]
    body = "\n".join(lines[end + 1 :])
    if not body.strip():
        raise KnowledgeFileError(KnowledgeError(path, end + 2, "the file has front matter but no text"))
    return Document(path=path, meta=clean, body=body, body_line=end + 2)


# --- chunking ------------------------------------------------------------------------------------

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_ROMAN = r"(?:I|II|III|IV|V|VI|VII|VIII|IX|X|XI|XII|XIII|XIV|XV)"
# Vietnamese administrative numbering, for documents pasted without Markdown headings.
_ADMIN_LEVELS = [
    (re.compile(rf"^(?:Phần\s+|PHẦN\s+)?{_ROMAN}[.:]\s+\S"), 2),
    (re.compile(r"^\d{1,2}\.\d{1,2}\.\d{1,2}\.?\s+\S"), 5),
    (re.compile(r"^\d{1,2}\.\d{1,2}\.?\s+\S"), 4),
    (re.compile(r"^\d{1,2}[.)]\s+\S"), 3),
    (re.compile(r"^[a-zđ]\)\s+\S"), 5),
]
_LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d{1,2}[.)])\s+")
_ADMIN_HEADING_MAX = 110


def admin_heading_level(line: str) -> int | None:
    """Heading level of a plain line numbered the Vietnamese administrative way (I., 1., 1.1., a)), else None."""
    s = line.strip()
    if not s or len(s) > _ADMIN_HEADING_MAX or s.startswith(("-", "+", "*", "|")):
        return None
    for pattern, level in _ADMIN_LEVELS:
        if pattern.match(s):
            return level
    return None


def _clean_heading(text: str) -> str:
    text = re.sub(r"[*_`]+", "", text).strip()
    return text.rstrip(":").strip()


def _blocks(lines: list[str]) -> list[str]:
    """Split a section body into blocks: paragraphs, list items (with continuation lines) and tables."""
    blocks: list[list[str]] = []
    current: list[str] = []
    kind = None

    def flush() -> None:
        nonlocal current, kind
        if current and any(x.strip() for x in current):
            blocks.append(current)
        current, kind = [], None

    for line in lines:
        if not line.strip():
            flush()
            continue
        if line.lstrip().startswith("|"):
            if kind != "table":
                flush()
                kind = "table"
            current.append(line.rstrip())
            continue
        if _LIST_ITEM.match(line) and not line.startswith("    "):
            flush()
            kind = "item"
            current.append(line.strip())
            continue
        if kind == "table":
            flush()
        if kind is None:
            kind = "para"
        current.append(line.strip())
    flush()
    return ["\n".join(b) if b[0].lstrip().startswith("|") else " ".join(b) for b in blocks]


def _split_long(blocks: list[str], max_words: int) -> list[list[str]]:
    """Group blocks into windows of at most max_words (a block is never cut, a long table is cut by rows)."""
    groups: list[list[str]] = []
    current: list[str] = []
    count = 0
    for block in blocks:
        n = len(block.split())
        if block.lstrip().startswith("|") and n > max_words:
            rows = block.split("\n")
            header = rows[:2] if len(rows) > 2 and set(rows[1].replace("|", "").strip()) <= set("-: ") else rows[:1]
            body_rows = rows[len(header) :]
            part: list[str] = []
            for row in body_rows:
                part.append(row)
                if len(" ".join(part).split()) > max_words // 2:
                    blocks_part = "\n".join(header + part)
                    if current:
                        groups.append(current)
                    groups.append([blocks_part])
                    current, count, part = [], 0, []
            if part:
                if current:
                    groups.append(current)
                current, count = ["\n".join(header + part)], len(" ".join(part).split())
            continue
        if current and count + n > max_words:
            groups.append(current)
            current, count = [], 0
        current.append(block)
        count += n
    if current:
        groups.append(current)
    return groups


def _merge_step_subsections(sections: list[tuple[list[str], list[str]]]) -> list[tuple[list[str], list[str]]]:
    """In a guide, a step's sub-sections ("### Nếu bị vướng") stay with the step: one chunk per step."""
    merged: list[tuple[list[str], list[str]]] = []
    for path, body in sections:
        if len(path) > 1 and merged and merged[-1][0] == path[:1]:
            merged[-1][1].extend(["", path[-1] + ":", *body])
        else:
            merged.append((list(path), list(body)))
    return merged


IDENTITY_HEADING = "Số hiệu, ngày ban hành và người ký"
_SIGNER_LINE = re.compile(r"^Người ký:\s*(.+?)\s*$", re.M)


def signature_chunk(chunks: list[Chunk]) -> Chunk | None:
    """The section of a document that keeps its signature block ("Người ký: …"), if any."""
    return next((c for c in chunks if _SIGNER_LINE.search(c.text)), None)


def identity_chunk(chunks: list[Chunk]) -> Chunk | None:
    """The number, date, issuer and signer of one document, as a section built from its front matter and its
    "Người ký:" line ("Kế hoạch … có số hiệu 01/KH-UBND, ban hành ngày 14/7/2025, của UBND xã Mường Mùn. Người ký:
    …"): what "kế hoạch của xã mình số mấy, ký ngày nào" asks. Not indexed, so it never competes with the sections
    in retrieval. A date known only to the month is said as such ("ban hành tháng 3/2026"). None when the front
    matter has neither a number nor a date."""
    if not chunks:
        return None
    first = chunks[0]
    number = _as_text(first.meta.get("number") or "").strip()
    issued = _as_text(first.meta.get("issued") or "").strip()
    day = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", issued)
    month = re.fullmatch(r"(\d{4})-(\d{2})", issued)
    if not number and not (day or month):
        return None
    line = f"{first.title} có số hiệu {number}" if number else first.title
    if day:
        line += f", ban hành ngày {int(day.group(3))}/{int(day.group(2))}/{day.group(1)}"
    elif month:
        line += f", ban hành tháng {int(month.group(2))}/{month.group(1)}"
    if issuer := _as_text(first.meta.get("issuer") or "").strip():
        line += f", của {issuer}"
    line += "."
    if signed := signature_chunk(chunks):
        signer = _SIGNER_LINE.search(signed.text)
        assert signer is not None  # signature_chunk found it
        line += f" Người ký: {signer.group(1).rstrip('.')}."
    return Chunk(
        id=f"{first.path}#identity",
        path=first.path,
        title=first.title,
        kind=first.kind,
        topics=list(first.topics),
        heading_path=[IDENTITY_HEADING],
        text=line,
        meta=dict(first.meta),
    )


def chunk_document(doc: Document, max_words: int = MAX_CHUNK_WORDS) -> list[Chunk]:
    """Cut a document into section chunks, each carrying its heading path."""
    lines = doc.body.split("\n")
    use_markdown = any(_MD_HEADING.match(line) for line in lines)
    sections: list[tuple[list[str], list[str]]] = []
    stack: list[tuple[int, str]] = []
    body: list[str] = []
    in_code = False

    def close() -> None:
        sections.append(([h for _, h in stack], body[:]))
        body.clear()

    for line in lines:
        if line.strip().startswith("```"):
            in_code = not in_code
            body.append(line)
            continue
        level = heading = None
        if not in_code:
            m = _MD_HEADING.match(line) if use_markdown else None
            if m:
                level, heading = len(m.group(1)), _clean_heading(m.group(2))
            elif not use_markdown:
                lvl = admin_heading_level(line)
                if lvl is not None:
                    level, heading = lvl, _clean_heading(line)
        if heading:
            assert level is not None  # a heading always comes with its level
            close()
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, heading))
        else:
            body.append(line)
    close()

    if doc.meta.get("kind") == "guide":
        sections = _merge_step_subsections(sections)
    meta = {
        k: doc.meta[k]
        for k in ("issuer", "number", "issued", "locality", "flow", "task", "button", "questions", "source", "reviewed")
        if doc.meta.get(k)
    }
    chunks: list[Chunk] = []
    for path, body_lines in sections:
        blocks = _blocks(body_lines)
        if not blocks:
            continue
        for group in _split_long(blocks, max_words):
            chunk_meta = dict(meta)
            step = next((m for m in (re.match(r"^Bước\s+(\d+)", h) for h in path) if m), None)
            if step and doc.meta.get("kind") == "guide":
                chunk_meta["step"] = int(step.group(1))
            chunks.append(
                Chunk(
                    id=f"{doc.path}#{len(chunks)}",
                    path=doc.path,
                    title=doc.title,
                    kind=doc.meta["kind"],
                    topics=list(doc.meta["topics"]),
                    heading_path=list(path),
                    text="\n".join(group),
                    meta=chunk_meta,
                )
            )
    return chunks


# --- the folder ----------------------------------------------------------------------------------


def iter_knowledge_files(root: Path) -> Iterable[Path]:
    """Every Markdown file under root, sorted; README files and files starting with '_' or '.' are skipped."""
    for p in sorted(root.rglob("*.md")):
        rel = p.relative_to(root)
        if any(part.startswith((".", "_")) for part in rel.parts) or p.name.lower() == "readme.md":
            continue
        yield p


def _decode(raw: bytes, rel: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise KnowledgeFileError(KnowledgeError(rel, line, "the file is not UTF-8 text: save it as UTF-8")) from None


def load_file(path: Path, root: Path) -> tuple[list[Chunk], list[KnowledgeError]]:
    rel = path.relative_to(root).as_posix()
    try:
        doc = parse_document(_decode(path.read_bytes(), rel), rel)
    except OSError as exc:
        return [], [KnowledgeError(rel, 1, f"cannot read the file: {exc.strerror}")]
    except KnowledgeFileError as exc:
        return [], [exc.error]
    return chunk_document(doc), []


@dataclass(frozen=True)
class FileCheck:
    """What one knowledge file says of itself: its front matter (empty when broken), its first error, its digest."""

    meta: dict[str, Any]
    error: KnowledgeError | None
    sha256: str


def check_bytes(raw: bytes, rel: str) -> tuple[dict[str, Any], KnowledgeError | None]:
    """Front matter of a knowledge file's bytes, or the error that makes the index skip it."""
    try:
        return parse_document(_decode(raw, rel), rel).meta, None
    except KnowledgeFileError as exc:
        return {}, exc.error


_checks: dict[Path, tuple[tuple[int, int], FileCheck]] = {}
_checks_lock = threading.Lock()


def check_file(path: Path, root: Path) -> FileCheck | None:
    """check_bytes for a file inside root, read and parsed again only when it changes (mtime, size); None when
    it is missing or outside root (the console and the reports call this on every page)."""
    root = Path(root).resolve()
    path = Path(path).resolve()
    if not path.is_relative_to(root):
        return None
    try:
        st = path.stat()
        stamp = (st.st_mtime_ns, st.st_size)
        with _checks_lock:
            hit = _checks.get(path)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        raw = path.read_bytes()
    except OSError:
        return None
    meta, error = check_bytes(raw, path.relative_to(root).as_posix())
    check = FileCheck(meta, error, hashlib.sha256(raw).hexdigest())
    with _checks_lock:
        _checks[path] = (stamp, check)
    return check


def load_folder(root: Path) -> tuple[list[Chunk], list[KnowledgeError]]:
    """Load every file; broken files are reported and skipped, the rest load."""
    chunks: list[Chunk] = []
    errors: list[KnowledgeError] = []
    for path in iter_knowledge_files(root):
        c, e = load_file(path, root)
        chunks.extend(c)
        errors.extend(e)
    return chunks, errors
