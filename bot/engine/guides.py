"""Guides as the guided flows see them: steps, what to do when stuck, safety rules, payment methods, triage.

A guide is a knowledge file with `kind: guide` and a `flow` (see docs/knowledge-format.md). Its body holds one
`## Bước N. <title>` section per step, each optionally with a `### Nếu bị vướng` list of common problems, plus
optional `## Cách trả: <method>` sections (digital payment) and a `## Lưu ý an toàn` list.

The library re-reads a guide when its file changes, so content staff can change a step and the next resident
sees it without retraining Rasa or restarting anything. A guide that becomes broken keeps serving its last
good version (and the error is reported, like `trolyso lint` does).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from bot.engine.knowledge import (
    KnowledgeError,
    KnowledgeFileError,
    iter_knowledge_files,
    parse_document,
)
from bot.engine.sources import source_line
from bot.text import fold, folded_words, nfc

FLOW_TITLES = {
    "dvc": "Dịch vụ công trực tuyến",
    "thanhtoan": "Thanh toán số",
    "vneid": "Tài khoản VNeID mức 2",
    "luadao": "Tôi nghi bị lừa đảo",
}
STEP_HEADING = re.compile(r"^##\s+Bước\s+(\d+)\s*[.:)]?\s*(.*?)\s*$")
STUCK_HEADING = re.compile(r"^###\s+Nếu bị vướng\s*$", re.IGNORECASE)
METHOD_HEADING = re.compile(r"^##\s+Cách trả\s*:\s*(.+?)\s*$", re.IGNORECASE)
SAFETY_HEADING = re.compile(r"^##\s+Lưu ý an toàn\s*$", re.IGNORECASE)
H2 = re.compile(r"^##\s+")
QUESTION = re.compile(r"\?|\b(la gi|tai sao|vi sao|bao nhieu|o dau|khi nao|bao gio|co phai|dung de|co can)\b")


@dataclass(frozen=True)
class Step:
    number: int
    title: str
    text: str
    stuck: tuple[str, ...] = ()  # "Problem: what to do" items of the step's "Nếu bị vướng" list


class PayMethod(NamedTuple):
    """A `## Cách trả: <label>` section of a payment guide."""

    key: str  # the label folded to a slug ("app-ngan-hang"): the button payload's `method`
    label: str  # as written in the heading ("App ngân hàng")
    text: str  # the section's paragraphs


@dataclass(frozen=True)
class TriageQuestion:
    question: str
    if_yes: tuple[int, ...]  # step numbers that become urgent when the answer is yes


@dataclass(frozen=True)
class Guide:
    path: str
    title: str
    flows: tuple[str, ...]
    task: str
    button: str
    intro: str
    steps: tuple[Step, ...]
    safety: tuple[str, ...] = ()
    methods: tuple[PayMethod, ...] = ()  # in file order
    triage: tuple[TriageQuestion, ...] = ()
    reviewed: str = ""
    issuer: str = ""

    def step(self, number: int) -> Step | None:
        return next((s for s in self.steps if s.number == number), None)

    def method(self, key: str) -> PayMethod | None:
        return next((m for m in self.methods if m.key == key), None)

    @property
    def source_line(self) -> str:
        return source_line(self.title, kind="guide", meta={"issuer": self.issuer, "reviewed": self.reviewed})


def method_key(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(label)).strip("-")


def _list_items(lines: list[str]) -> list[str]:
    items: list[str] = []
    for line in lines:
        m = re.match(r"^\s*[-*+•]\s+(.*)$", line)
        if m:
            items.append(m.group(1).strip())
        elif line.strip() and items:
            items[-1] += " " + line.strip()
    return items


def _paragraphs(lines: list[str]) -> str:
    text = "\n".join(lines).strip()
    return re.sub(r"\n{3,}", "\n\n", text)


def parse_guide(text: str, path: str) -> Guide | None:
    """A Guide from a knowledge file's text; None if the file is not a flow guide. Raises KnowledgeFileError."""
    doc = parse_document(text, path)
    meta = doc.meta
    if meta.get("kind") != "guide" or not meta.get("flow"):
        return None
    flows = tuple(meta["flow"]) if isinstance(meta["flow"], list) else (meta["flow"],)
    intro: list[str] = []
    steps: list[Step] = []
    safety: list[str] = []
    methods: list[PayMethod] = []
    section: list[str] = []
    kind = "intro"
    head: tuple[int, str] | str | None = None  # a step's (number, title), a method's title
    stuck: list[str] | None = None

    def close() -> None:
        nonlocal stuck
        if kind == "intro":
            intro.extend(section)
        elif kind == "step":
            assert isinstance(head, tuple)
            number, title = head
            steps.append(Step(number, title, _paragraphs(section), tuple(_list_items(stuck or []))))
        elif kind == "method":
            assert isinstance(head, str)
            methods.append(PayMethod(method_key(head), head, _paragraphs(section)))
        elif kind == "safety":
            safety.extend(_list_items(section) or [_paragraphs(section)])
        section.clear()
        stuck = None

    for line in doc.body.split("\n"):
        if H2.match(line):
            close()
            if m := STEP_HEADING.match(line):
                kind, head = "step", (int(m.group(1)), m.group(2).strip())
            elif m := METHOD_HEADING.match(line):
                kind, head = "method", m.group(1).strip()
            elif SAFETY_HEADING.match(line):
                kind, head = "safety", None
            else:
                kind, head = "other", None
            continue
        if kind == "step" and STUCK_HEADING.match(line):
            stuck = []
            continue
        if stuck is not None:
            stuck.append(line)
        else:
            section.append(line)
    close()
    if not steps:
        raise KnowledgeFileError(
            KnowledgeError(path, doc.body_line, "a guide with 'flow' needs at least one step heading '## Bước 1. ...'")
        )
    numbers = [s.number for s in steps]
    if numbers != list(range(1, len(steps) + 1)):
        raise KnowledgeFileError(
            KnowledgeError(path, doc.body_line, f"guide steps must be numbered 1, 2, 3 … in order; found {numbers}")
        )
    triage = tuple(TriageQuestion(t["question"], tuple(t["if_yes"])) for t in meta.get("triage", []))
    for t in triage:
        missing = [n for n in t.if_yes if n not in numbers]
        if missing:
            raise KnowledgeFileError(KnowledgeError(path, 1, f"triage: step {missing[0]} does not exist"))
    return Guide(
        path=path,
        title=meta["title"],
        flows=flows,
        task=meta["task"],
        button=meta.get("button") or meta["title"][:20],
        intro=_paragraphs(intro),
        steps=tuple(steps),
        safety=tuple(safety),
        methods=tuple(methods),
        triage=triage,
        reviewed=meta.get("reviewed", ""),
        issuer=meta.get("issuer", ""),
    )


@dataclass
class _Entry:
    mtime_ns: int
    guide: Guide | None
    error: KnowledgeError | None = None


@dataclass
class GuideLibrary:
    """Every flow guide under a knowledge folder, re-read when a file changes (cheap: one stat per file)."""

    root: Path
    _entries: dict[str, _Entry] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def refresh(self) -> None:
        with self._lock:
            seen: set[str] = set()
            for path in iter_knowledge_files(self.root):
                rel = path.relative_to(self.root).as_posix()
                seen.add(rel)
                try:
                    mtime = path.stat().st_mtime_ns
                except OSError:
                    continue
                old = self._entries.get(rel)
                if old and old.mtime_ns == mtime:
                    continue
                try:
                    guide = parse_guide(path.read_bytes().decode("utf-8"), rel)
                    self._entries[rel] = _Entry(mtime, guide)
                except (KnowledgeFileError, UnicodeDecodeError, OSError) as exc:
                    error = exc.error if isinstance(exc, KnowledgeFileError) else KnowledgeError(rel, 1, str(exc))
                    # keep serving the last good version of a guide that became broken
                    self._entries[rel] = _Entry(mtime, old.guide if old else None, error)
            for rel in set(self._entries) - seen:
                del self._entries[rel]

    def guides(self, flow: str | None = None) -> list[Guide]:
        self.refresh()
        found = [e.guide for e in self._entries.values() if e.guide is not None]
        if flow:
            found = [g for g in found if flow in g.flows]
        # the flow's own guides first, then guides shared from another flow; stable by path
        return sorted(found, key=lambda g: (g.flows[0] != flow if flow else False, g.path))

    def errors(self) -> list[KnowledgeError]:
        self.refresh()
        return [e.error for e in self._entries.values() if e.error is not None]

    def get(self, path: str) -> Guide | None:
        self.refresh()
        entry = self._entries.get(path)
        return entry.guide if entry else None

    def by_task(self, task: str, prefer_flow: str | None = None) -> Guide | None:
        """The guide with this task slug (a button payload), the current flow's first if several share it."""
        matches = [g for g in self.guides() if g.task == task]
        return next((g for g in matches if prefer_flow in g.flows), matches[0] if matches else None)

    def named_in(self, flow: str, text: str) -> Guide | None:
        """The flow's guide that a message names by a word no other guide of the flow has in its button or
        task ("tôi muốn trả tiền điện" → tien-dien among the payments); None when none or several do."""
        options = self.guides(flow)
        words = set(fold(text).split())
        labels = {g.path: folded_words(f"{g.button} {g.task.replace('-', ' ')}") for g in options}
        counts: dict[str, int] = {}
        for ws in labels.values():
            for w in ws:
                counts[w] = counts.get(w, 0) + 1
        named = [g for g in options if any(counts[w] == 1 for w in words & labels[g.path])]
        return named[0] if len(named) == 1 else None

    def find(self, flow: str, choice: str) -> Guide | None:
        """The flow's guide a resident picked: by task slug (a button payload), by number in the list shown
        ("2"), or by words of its button or task typed with or without diacritics ("khai sinh")."""
        choice = nfc(choice or "").strip()
        options = self.guides(flow)
        if not choice or not options:
            return None
        for g in options:
            if choice == g.task or choice == g.path:
                return g
        number = re.fullmatch(r"(?:số\s*|so\s*)?(\d{1,2})[.)]?", choice, re.IGNORECASE)
        if number:
            i = int(number.group(1)) - 1
            return options[i] if 0 <= i < len(options) else None
        if QUESTION.search(fold(choice)):
            return None  # "vneid là gì?" while the list is shown is a question for the knowledge answer
        return best_label_match(choice, [(g, [g.button, g.task.replace("-", " ")]) for g in options])


# Words that say nothing about which option is meant ("tôi muốn hỏi cách làm …"), folded.
GENERIC_WORDS = set(
    """
toi muon em can hoi ve cach lam sao the nao nhu cho a di voi bang gi de la o dau ntn j k ko khong duoc dc giup
huong dan minh nhe oi thi nhung viec muc
""".split()
)


def best_label_match(text: str, options: list[tuple[object, list[str]]], min_share: float = 0.5):
    """The option whose labels share the most (folded) words with the text, when more than `min_share` of the
    text's meaningful words belong to it ("khai sinh" picks "Khai sinh cho con"; "vneid mức 2 dùng để làm gì"
    is a question, not a pick)."""
    words = folded_words(text) - GENERIC_WORDS
    if not words:
        return None
    best, best_score = None, 0.0
    for option, labels in options:
        label_words = set()
        for label in labels:
            label_words |= folded_words(label)
        label_words -= GENERIC_WORDS
        shared = len(words & label_words)
        if not label_words or shared / len(words) <= min_share:
            continue
        score = shared + shared / len(label_words)
        if score > best_score:
            best, best_score = option, score
    return best
