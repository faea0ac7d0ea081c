"""Fitting a reply to a channel: texts split under the platform's length limit at sentence boundaries, and
buttons either as the platform's buttons or, where there are none or too many, as a numbered list the
resident answers with a number."""

from __future__ import annotations

import re

from connectors.messages import Limits, Part

NUMBER_HINT = "Anh/chị trả lời bằng số:"
_LIST_NUMBER = re.compile(r"\s*\d{1,3}[.)]")


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, cut between paragraphs, else between sentences, else between
    words (a single word longer than the limit is cut hard)."""
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    pieces: list[str] = []
    current = ""
    for unit in _units(text, limit):
        sep = "" if not current else ("\n" if unit.startswith("\n") else " ")
        candidate = current + sep + unit.lstrip("\n") if current else unit.lstrip("\n")
        if len(candidate) <= limit:
            current = candidate
        else:
            if current.strip():
                pieces.append(current.strip())
            current = unit.lstrip("\n")
    if current.strip():
        pieces.append(current.strip())
    return pieces


def _units(text: str, limit: int) -> list[str]:
    """Sentences (a unit starting with a newline began a new line), words when a sentence is too long."""
    units: list[str] = []
    for li, line in enumerate(text.split("\n")):
        sentences = re.split(r"(?<=[.!?…])\s+", line) if line.strip() else [""]
        if len(sentences) > 1 and _LIST_NUMBER.fullmatch(sentences[0]):  # "2. Chọn thủ tục": not a sentence
            sentences[:2] = [f"{sentences[0]} {sentences[1]}"]
        for si, sentence in enumerate(sentences):
            prefix = "\n" if li > 0 and si == 0 else ""
            if len(sentence) <= limit:
                units.append(prefix + sentence)
                continue
            words = sentence.split(" ")
            chunk = ""
            for w in words:
                if len(w) > limit and chunk:  # the words before a too-long word go first
                    units.append(prefix + chunk)
                    prefix, chunk = "", ""
                while len(w) > limit:
                    units.append(prefix + w[:limit])
                    prefix, w = "", w[limit:]
                if chunk and len(chunk) + 1 + len(w) > limit:
                    units.append(prefix + chunk)
                    prefix, chunk = "", w
                else:
                    chunk = f"{chunk} {w}" if chunk else w
            if chunk:
                units.append(prefix + chunk)
    return units


def numbered(buttons: list[dict]) -> str:
    return NUMBER_HINT + "\n" + "\n".join(f"{i}. {b['title']}" for i, b in enumerate(buttons, 1))


def render(text: str, buttons: list[dict], *, limit: int, max_buttons: int, max_title: int = 0) -> list[Part]:
    """The parts to send for one reply. Buttons ride on the last part; with more than `max_buttons`
    (0 = the platform has none), or a title longer than `max_title` (if set), they become a numbered list instead."""
    buttons = [b for b in buttons if b.get("title") and b.get("payload")]
    too_long = max_title > 0 and any(len(b["title"]) > max_title for b in buttons)
    if buttons and (len(buttons) > max_buttons or too_long):
        text = f"{text}\n\n{numbered(buttons)}" if text else numbered(buttons)
        buttons = []
    parts = [Part(t) for t in split_text(text, limit)] or [Part("")]
    parts[-1].buttons = buttons
    return [p for p in parts if p.text or p.buttons]


def render_for(limits: Limits | None, text: str, buttons: list[dict] | None = None) -> list[Part]:
    """A message as a channel with these limits takes it; the web chat (no limits) gets it whole, with its
    buttons: the widget draws them itself."""
    if limits is None:
        return [Part(text, list(buttons or []))]
    return render(
        text, list(buttons or []), limit=limits.max_text, max_buttons=limits.max_buttons, max_title=limits.max_title
    )
