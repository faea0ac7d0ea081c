"""A bulletin for the commune loudspeakers (Đài truyền thanh cơ sở), made from a news item or a section of a
knowledge document: the opening the commune's radio uses, the body read-aloud ready (bot/team/spoken.py), the
closing line, and an estimate of how long it takes to read, trimmed to 1, 2 or 3 minutes at whole sentences.

The pace: SYLLABLES_PER_MINUTE = 140 — a normal, clear reading pace for loudspeakers (130–150 Vietnamese syllables a
minute). Vietnamese writes one syllable per word, so the syllables are the words of the verbalised script.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from bot.team.spoken import verbalise
from bot.text import nfc

SYLLABLES_PER_MINUTE = 140
LENGTHS = (1, 2, 3)  # minutes the editor may choose


class BulletinError(ValueError):
    """A message for the editor, in Vietnamese."""


@dataclass(frozen=True)
class Bulletin:
    title: str
    opening: str
    sentences: list[str]  # the body kept, verbalised, whole sentences
    closing: str
    minutes: int  # the target length
    dropped: int  # body sentences left out to fit

    @property
    def text(self) -> str:
        return "\n\n".join([self.opening, " ".join(self.sentences), self.closing])

    @property
    def syllables(self) -> int:
        return syllables(self.text)

    @property
    def seconds(self) -> int:
        return round(self.syllables * 60 / SYLLABLES_PER_MINUTE)

    @property
    def estimate(self) -> str:
        """ "khoảng 1 phút 45 giây (245 âm tiết, 140 âm tiết/phút)"."""
        minutes, seconds = divmod(self.seconds, 60)
        said = f"{minutes} phút {seconds} giây" if minutes else f"{seconds} giây"
        return f"khoảng {said} ({self.syllables} âm tiết, đọc {SYLLABLES_PER_MINUTE} âm tiết/phút)"


def syllables(text: str) -> int:
    return sum(1 for word in text.split() if any(ch.isalnum() for ch in word))


def commune_words(commune_name: str) -> str:
    """ "Xã Mường Mùn" / "Mường Mùn" → "xã Mường Mùn"; "Phường X" stays a phường; unset → "xã"."""
    name = nfc(commune_name).strip()
    if not name:
        return "xã"
    head, _, rest = name.partition(" ")
    if head.lower() in ("xã", "phường", "thị trấn") and rest:
        return f"{head.lower()} {rest}"
    return f"xã {name}"


def plain_sentences(text: str) -> list[str]:
    """Markdown or a news text as sentences: headings, bullets, emphasis, links and emoji removed; a list item or a
    line without its own full stop is a sentence."""
    out: list[str] = []
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", nfc(text))
    for line in text.splitlines():
        line = re.sub(r"^\s*(?:#+|[-*+•]|\d+[.)])\s+", "", line)
        line = re.sub(r"[*_`>|]+", "", line)
        line = "".join(ch for ch in line if ch.isalnum() or ch.isspace() or ch in ".,;:!?…()/%–-'\"“”").strip()
        if not line:
            continue
        if line[-1] not in ".!?…:;":
            line += "."
        for piece in re.split(r"(?<=[.!?…])\s+", line):
            if out and piece[:1].islower() and not out[-1].endswith(":"):
                out[-1] += " " + piece  # "v.v. và" or an abbreviation's dot: not a new sentence
            else:
                out.append(piece)
    return out


def build(title: str, body: str, commune_name: str, minutes: int) -> Bulletin:
    """The script of a bulletin `minutes` long at most (the first sentence is always kept, whole)."""
    if minutes not in LENGTHS:
        raise BulletinError("Độ dài bản tin chỉ được chọn 1, 2 hoặc 3 phút.")
    title = nfc(title).strip().rstrip(".")
    sentences = [verbalise(s) for s in plain_sentences(body)]
    if not title or not sentences:
        raise BulletinError("Bản tin cần có tiêu đề và nội dung.")
    where = commune_words(commune_name)
    spoken_title = verbalise(title)
    opening = f"Kính thưa toàn thể nhân dân {where}! Sau đây là bản tin: {spoken_title}."
    closing = f"Đài truyền thanh {where} vừa phát bản tin: {spoken_title}. Xin cảm ơn bà con đã chú ý lắng nghe."
    budget = minutes * SYLLABLES_PER_MINUTE - syllables(opening) - syllables(closing)
    kept: list[str] = []
    used = 0
    for sentence in sentences:
        size = syllables(sentence)
        if kept and used + size > budget:
            break
        kept.append(sentence)
        used += size
    return Bulletin(title, opening, kept, closing, minutes, len(sentences) - len(kept))


def knowledge_section(path: Path, section: str) -> tuple[str, str]:
    """(heading, text) of the `## ` section of a knowledge file whose heading contains `section` (case and
    diacritics as typed); an empty `section` = the document's first section. BulletinError when not found."""
    raw = path.read_text(encoding="utf-8")
    if raw.startswith("---"):
        raw = raw.split("\n---", 1)[-1].partition("\n")[2]
    wanted = nfc(section).strip().casefold()
    heading, found = "", None
    lines: list[str] = []
    for line in raw.splitlines() + ["## "]:
        if line.startswith("## "):
            if heading and lines and (not wanted or wanted in heading.casefold()):
                found = (heading, "\n".join(lines).strip())
                break
            heading, lines = line[3:].strip(), []
        elif heading:
            lines.append(line)
    if found is None or not found[1]:
        raise BulletinError("Không tìm thấy mục này trong tài liệu. Anh/chị gõ một phần tiêu đề mục (dòng ## ...).")
    return found
