"""The answer to a message that shows a scam red flag (bot/engine/redflags.py): never a refusal, never vague.

It is the one fixed warning sentence ("Dạ, đây là dấu hiệu lừa đảo. Anh/chị đừng …"), then what the knowledge
says: the advice of the scam explainer's section closest to the message, the steps of the "Tôi nghi bị lừa đảo"
guide, and their source lines. Which documents those are is read from the knowledge's front matter (the LUADAO
topic; the guide of the `luadao` flow), so content staff can correct or extend them without touching code.
"""

from __future__ import annotations

import functools
import re

from bot.engine.knowledge import Chunk
from bot.engine.redflags import RedFlag, red_flags, warning
from bot.engine.retrieval import Hit, HybridRetriever, Retrieval
from bot.engine.sources import chunk_source_line
from bot.text import UPPER_LETTERS, fold, folded_words

SCAM_TOPIC = "LUADAO"
SCAM_FLOW = "luadao"
ADVICE_CHARS = 250
ADVICE_SENTENCES = 2  # the explainer's advice quoted, before the guide's steps: the whole stays within a phone screen

# A sentence that tells the reader what to do or not to do (the explainers phrase their advice so).
_ADVICE = re.compile(
    r"^(?:khong|tuyet doi|hay|chi|truoc khi|khi|neu|nguoi dan nen|dung|luon)\b"
    r"|\b(?:hay|khong (?:dua|chuyen|bam|cung cap|tin|cai|doc|lam theo|dang)|tat may|trinh bao|goi ngay|lien he)\b"
)


def _sentences(text: str) -> list[str]:
    """Sentences and list items of a section, in order (list markers dropped)."""
    out: list[str] = []
    for block in text.split("\n"):
        block = re.sub(r"^\s*(?:[-*+•]|\d{1,2}[.)])\s+", "", block).strip()
        if block and not block.startswith("|") and not block.endswith(":"):
            out.extend(p.strip() for p in re.split(rf"(?<=[.!?…])\s+(?=[{UPPER_LETTERS}\"“])", block) if p.strip())
    return out


def _advice(question: str, chunk: Chunk) -> str:
    """The section's advice sentences closest to the message, in document order, within ADVICE_CHARS."""
    asked = folded_words(question)
    units = _sentences(chunk.text)

    def score(unit: str) -> float:
        words = folded_words(unit)
        return bool(_ADVICE.search(fold(unit))) + len(asked & words) / (len(words) or 1)

    chosen: list[int] = []
    size = 0
    for i in sorted(range(len(units)), key=lambda i: -score(units[i])):
        if score(units[i]) < 1.0 or len(chosen) == ADVICE_SENTENCES or (chosen and size + len(units[i]) > ADVICE_CHARS):
            continue
        chosen.append(i)
        size += len(units[i])
    return " ".join(units[i] for i in sorted(chosen))


def _rerank(question: str, hits: list[Hit], retriever: HybridRetriever) -> list[tuple[float, Hit]]:
    """Scam sections with how much of the message each holds (the idf-weighted share of the message's words in its
    heading and text, the heading's counted twice), best first by that share plus the fused rank relative to the
    best, so the section on the very trick told comes first."""
    bm25 = retriever.index.bm25
    asked = set(re.findall(r"[^\W\d_]+", fold(question)))

    def idf(token: str) -> float:
        return max(0.0, float(bm25.idf.get(token, 0.0))) if bm25 else 1.0

    total = sum(idf(t) for t in asked) or 1.0
    top = max((h.fused for h in hits), default=0.0) or 1.0
    scored = []
    for hit in hits:
        heading = folded_words(" ".join(hit.chunk.heading_path))
        words = heading | folded_words(hit.chunk.text)
        share = sum(idf(t) for t in asked if t in words) + sum(idf(t) for t in asked if t in heading)
        scored.append((share / total, hit))
    return sorted(scored, key=lambda x: x[0] + x[1].fused / top, reverse=True)


def _kinds(chunk: Chunk) -> frozenset[str]:
    """The red flags a section's own text shows: what kinds of scam it tells of."""
    return _kinds_of(chunk.heading() + "\n" + chunk.text)


@functools.lru_cache(maxsize=1024)
def _kinds_of(text: str) -> frozenset[str]:
    return frozenset(f.kind for f in red_flags(text))


def scam_documents(chunks: list[Chunk]) -> tuple[list[int], list[int]]:
    """Positions of the scam explainers' sections and of the scam guide's steps (in document order)."""
    explainers = [i for i, c in enumerate(chunks) if c.kind == "explainer" and SCAM_TOPIC in c.topics]
    steps = [
        i
        for i, c in enumerate(chunks)
        if c.kind == "guide" and c.meta.get("flow") == SCAM_FLOW and c.meta.get("step") and len(c.heading_path) == 1
    ]
    return explainers, steps


def scam_reply(question: str, flags: list[RedFlag], retriever: HybridRetriever) -> tuple[str, list[Chunk], Retrieval]:
    """The alert's text (warning, the explainer's advice, the guide's steps, source lines), the sections it cites
    and the retrieval it used (over the whole index, then restricted to the scam explainers' sections)."""
    chunks = retriever.index.chunks
    explainers, steps = scam_documents(chunks)
    # The search reads what was asked and what the warning is about ("mã OTP", "đường link"): among the scam
    # sections, the one on that trick comes first.
    found = retriever.run(question + "\n" + warning(flags), top_k=len(chunks))
    wanted = set(explainers)
    ranked = _rerank(question, [h for h in found.hits if h.index in wanted], retriever)
    # A section that tells of the same kind of scam (its own text shows the same red flag) comes first.
    kinds = [f.kind for f in flags]
    ranked.sort(key=lambda x: (kinds[0] in _kinds(x[1].chunk), bool(set(kinds) & _kinds(x[1].chunk))), reverse=True)
    hits = [h for _, h in ranked]
    parts = [warning(flags)]
    cited: list[Chunk] = []
    if hits:
        advice = _advice(question + " " + warning(flags), hits[0].chunk)
        if advice:
            parts.append(advice)
            cited.append(hits[0].chunk)
    if steps:
        path = chunks[steps[0]].path
        titles: dict[str, str] = {}
        for i in steps:
            if chunks[i].path == path:
                heading = chunks[i].heading_path[0]
                titles.setdefault(str(chunks[i].meta["step"]), re.sub(r"^Bước\s+\d+[.:)]?\s*", "", heading))
        intro = next((c for c in chunks if c.path == path and not c.heading_path), chunks[steps[0]])
        parts.append(intro.title.rstrip(".:") + ":\n" + "\n".join(f"{n}. {t}" for n, t in titles.items()))
        cited.append(intro)
    text = "\n".join(parts) + "\n\n" + "\n".join(chunk_source_line(c) for c in cited)
    return text, cited, Retrieval(found.query, found.vector, hits[:5])
