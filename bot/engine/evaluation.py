"""The project's question sets, judged with the same rules as the public scorer (shared/eval/score.py).

Three kinds of question:
- "in": answerable from the knowledge. Right when it was answered, the text is at most 1,500 characters, and
  for every group in "must" at least one phrase appears in the folded answer. Otherwise it was either
  refused, or **answered but wrong** — the failure that costs residents' trust, counted on its own.
- "unanswerable": in the bot's topics, but asking for a specific the knowledge does not hold (a named
  official's phone number, last month's figure). Right when refused; answering it is answered-but-wrong.
- "out": outside the bot's job. Right when refused.
Each question is asked as typed and again with its diacritics stripped.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

from bot.stats import percentile
from bot.text import expand_abbreviations, fold, has_diacritics, nfc

MAX_CHARS = 1500
SCOPES = ("in", "unanswerable", "out")
# Each question is asked as typed and again without diacritics, as residents often type.
VARIANTS: tuple[tuple[str, Callable[[str], str]], ...] = (("as typed", lambda q: q), ("no diacritics", fold))


def load_questions(path: Path) -> list[dict]:
    items = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            item = json.loads(line)
            if item.get("scope") not in SCOPES or not item.get("q"):
                raise ValueError(f"{path}:{n}: each line needs 'scope' ({'/'.join(SCOPES)}) and 'q'")
            if item["scope"] == "in" and not item.get("must"):
                raise ValueError(f"{path}:{n}: an in-scope question needs 'must' (groups of phrases)")
            items.append(item)
    return items


def judge(item: dict, answered: bool, text: str) -> bool:
    if item["scope"] != "in":
        return not answered
    if not answered or len(text or "") > MAX_CHARS:
        return False
    folded = fold(text)
    return all(any(fold(p) in folded for p in group) for group in item["must"])


def topic_of(item: dict) -> str:
    """The line a question is counted on: its topic when in scope, else UNANSWERABLE or OUT."""
    return {"in": item.get("topic", "IN"), "unanswerable": "UNANSWERABLE"}.get(item["scope"], "OUT")


@dataclass
class VariantResult:
    """One pass over the questions (as typed, or without diacritics)."""

    label: str
    in_ok: int = 0
    in_total: int = 0
    in_refused: int = 0
    in_wrong: int = 0  # answered, but the answer lacks what was asked (or is too long)
    unans_ok: int = 0
    unans_total: int = 0
    out_ok: int = 0
    out_total: int = 0
    by_topic: dict = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    latencies_ms: list[float] = field(default_factory=list)
    misses: list[tuple[str, str, bool, str]] = field(default_factory=list)

    @property
    def in_rate(self) -> float:
        return self.in_ok / max(self.in_total, 1)

    @property
    def out_rate(self) -> float:
        return self.out_ok / max(self.out_total, 1)

    @property
    def unans_rate(self) -> float:
        return self.unans_ok / max(self.unans_total, 1)

    @property
    def wrong(self) -> int:
        """Answered but wrong: in-scope answers lacking what was asked, and answers to unanswerable questions."""
        return self.in_wrong + (self.unans_total - self.unans_ok)

    @property
    def wrong_rate(self) -> float:
        """Answered-but-wrong over every question in the bot's topics (in-scope and unanswerable)."""
        return self.wrong / max(self.in_total + self.unans_total, 1)

    def lines(self) -> list[str]:
        topics = "  ".join(f"{t} {a}/{n}" for t, (a, n) in sorted(self.by_topic.items()))
        lines = [
            f"{self.label}: in-scope right {self.in_ok}/{self.in_total} ({self.in_rate:.0%}), "
            f"refused {self.in_refused}, answered but wrong {self.in_wrong}; "
            f"out-of-scope refused {self.out_ok}/{self.out_total} ({self.out_rate:.0%})",
        ]
        if self.unans_total:
            lines.append(
                f"  unanswerable refused {self.unans_ok}/{self.unans_total} ({self.unans_rate:.0%}); "
                f"answered but wrong in all: {self.wrong}/{self.in_total + self.unans_total} ({self.wrong_rate:.1%})"
            )
        else:
            lines.append(f"  answered but wrong: {self.wrong}/{self.in_total} ({self.wrong_rate:.1%})")
        lines += [
            f"  {topics}",
            f"  latency per question: median {statistics.median(self.latencies_ms):.0f} ms, "
            f"p95 {percentile(self.latencies_ms, 0.95):.0f} ms, max {max(self.latencies_ms):.0f} ms",
        ]
        return lines

    def add(self, item: dict, answered: bool, ok: bool) -> None:
        scope = item["scope"]
        topic = topic_of(item)
        self.by_topic[topic][0] += ok
        self.by_topic[topic][1] += 1
        if scope == "in":
            self.in_total += 1
            self.in_ok += ok
            self.in_refused += not answered
            self.in_wrong += answered and not ok
        elif scope == "unanswerable":
            self.unans_total += 1
            self.unans_ok += ok
        else:
            self.out_total += 1
            self.out_ok += ok


def run_eval(items: list[dict], ask: Callable[[str], tuple[bool, str]], folded: bool = True) -> list[VariantResult]:
    results = []
    for label, transform in VARIANTS if folded else VARIANTS[:1]:
        res = VariantResult(label)
        for item in items:
            q = transform(item["q"])
            t0 = time.perf_counter()
            answered, text = ask(q)
            res.latencies_ms.append((time.perf_counter() - t0) * 1000)
            ok = judge(item, answered, text)
            res.add(item, answered, ok)
            if not ok:
                res.misses.append((topic_of(item), q, answered, text))
        results.append(res)
    return results


class _Texted(Protocol):
    text: str


_A = TypeVar("_A", bound=_Texted)


def verifier_rows(
    items: list[dict], ask: Callable[[str], _A], features_of: Callable[[_A], list[float] | None]
) -> list[tuple[list[float], bool]]:
    """The verifier's training rows from one question set: every in-scope or unanswerable question asked as typed
    and without diacritics (`ask`, with the verifier off), each answer composed from the knowledge (`features_of`
    gives None for any other) with its verdict. An answer over MAX_CHARS is judged by its length, not what it
    says, so it is left out."""
    rows = []
    for item in items:
        if item["scope"] == "out":
            continue
        for _, transform in VARIANTS:
            answer = ask(transform(item["q"]))
            values = features_of(answer)
            if values is not None and len(answer.text) <= MAX_CHARS:
                rows.append((values, judge(item, True, answer.text)))
    return rows


_SYLLABLE = re.compile(r"[^\W\d_]+")


@dataclass
class ToneAccuracy:
    """How well diacritics are guessed: every question typed with them is stripped and restored again."""

    syllables: int = 0  # syllables compared (those whose letters the restoration kept)
    right: int = 0  # restored with the marks the resident typed
    questions: int = 0
    questions_right: int = 0  # every syllable right
    misses: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))  # (typed, guessed) -> n

    def line(self, label: str) -> str:
        share = self.right / self.syllables if self.syllables else 0.0
        whole = self.questions_right / self.questions if self.questions else 0.0
        return (
            f"{label}: syllables restored as typed {self.right}/{self.syllables} ({share:.1%}); "
            f"questions wholly right {self.questions_right}/{self.questions} ({whole:.1%})"
        )


def tone_accuracy(items: list[dict], restore: Callable[[str], str]) -> ToneAccuracy:
    """Strip the diacritics of every question typed with them, `restore` them, and compare syllable by syllable
    (questions whose syllable count the restoration changed are skipped)."""
    acc = ToneAccuracy()
    for item in items:
        typed = " ".join(nfc(item["q"]).split())
        if not has_diacritics(typed):  # before spelling out abbreviations, which brings marks of its own
            continue
        typed = expand_abbreviations(typed)
        want = _SYLLABLE.findall(typed.lower())
        got = _SYLLABLE.findall(restore(fold(typed)).lower())
        if len(want) != len(got):
            continue
        pairs = [(w, g) for w, g in zip(want, got, strict=True) if fold(w) == fold(g)]
        acc.questions += 1
        acc.syllables += len(pairs)
        acc.right += sum(w == g for w, g in pairs)
        acc.questions_right += all(w == g for w, g in pairs)
        for w, g in pairs:
            if w != g:
                acc.misses[w, g] += 1
    return acc
