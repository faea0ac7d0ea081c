"""The "Nguồn:" line under an answer or a guided flow: which knowledge document (and section) it comes from and
who stands behind it. One format for the answer engine and the guided flows:

    Nguồn: <title> › <section> · <issuer>, số <number>, <issued d/m/yyyy>      (kind: plan, an official document)
    Nguồn: <title> › <section> · <issuer>, rà soát <reviewed d/m/yyyy>        (our explainers, guides and FAQs)

The section and the part after "·" are left out when empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.clock import vn_date
from bot.engine.knowledge import Chunk


def source_line(title: str, section: str = "", kind: str = "", meta: Mapping[str, Any] | None = None) -> str:
    """The source line of a document `title` (optionally one `section` of it) of knowledge `kind` with its front
    matter `meta` (issuer, number, issued for plans; issuer, reviewed for the rest)."""
    meta = meta or {}
    parts = [title] + ([section] if section else [])
    who_parts: tuple[Any, ...]
    if kind == "plan":  # an official document: who issued it, its number and date
        number = f"số {meta['number']}" if meta.get("number") else ""
        who_parts = (meta.get("issuer"), number, vn_date(meta.get("issued", "")))
    else:  # our own explainers, guides and FAQs: when a person last checked them
        reviewed = meta.get("reviewed", "")
        who_parts = (meta.get("issuer"), f"rà soát {vn_date(reviewed)}" if reviewed else "")
    who = ", ".join(str(x) for x in who_parts if x)
    line = "Nguồn: " + " › ".join(parts)
    return line + (f" · {who}" if who else "")


def chunk_source_line(chunk: Chunk) -> str:
    """The source line of a retrieved chunk: a guide is cited by its step (the first heading), the rest by the
    full heading path."""
    section = ""
    if chunk.heading_path:
        section = chunk.heading_path[0] if chunk.kind == "guide" else chunk.section
    return source_line(chunk.title, section, chunk.kind, chunk.meta)
