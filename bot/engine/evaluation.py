"""The project's question set, judged with the same rules as the public scorer (shared/eval/score.py).

An in-scope question is correct when it was answered, the text is at most 1,500 characters, and for every
group in "must" at least one phrase appears in the folded answer. An out-of-scope question is correct when
it was refused. Each question is asked as typed and again with its diacritics stripped.
"""

from __future__ import annotations

import json
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.stats import percentile
from bot.text import fold

MAX_CHARS = 1500


def load_questions(path: Path) -> list[dict]:
    items = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            item = json.loads(line)
            if item.get("scope") not in ("in", "out") or not item.get("q"):
                raise ValueError(f"{path}:{n}: each line needs 'scope' (in/out) and 'q'")
            items.append(item)
    return items


def judge(item: dict, answered: bool, text: str) -> bool:
    if item["scope"] == "out":
        return not answered
    if not answered or len(text or "") > MAX_CHARS:
        return False
    folded = fold(text)
    return all(any(fold(p) in folded for p in group) for group in item["must"])


@dataclass
class VariantResult:
    label: str
    in_ok: int = 0
    in_total: int = 0
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

    def lines(self) -> list[str]:
        topics = "  ".join(f"{t} {a}/{n}" for t, (a, n) in sorted(self.by_topic.items()))
        return [
            f"{self.label}: in-scope correct {self.in_ok}/{self.in_total} ({self.in_rate:.0%}), "
            f"out-of-scope refused {self.out_ok}/{self.out_total} ({self.out_rate:.0%})",
            f"  {topics}",
            f"  latency per question: median {statistics.median(self.latencies_ms):.0f} ms, "
            f"p95 {percentile(self.latencies_ms, 0.95):.0f} ms, max {max(self.latencies_ms):.0f} ms",
        ]


def run_eval(items: list[dict], ask: Callable[[str], tuple[bool, str]], folded: bool = True) -> list[VariantResult]:
    variants = [("as typed", lambda q: q)]
    if folded:
        variants.append(("no diacritics", fold))
    results = []
    for label, transform in variants:
        res = VariantResult(label)
        for item in items:
            q = transform(item["q"])
            t0 = time.perf_counter()
            answered, text = ask(q)
            res.latencies_ms.append((time.perf_counter() - t0) * 1000)
            ok = judge(item, answered, text)
            topic = item.get("topic", "OUT") if item["scope"] == "in" else "OUT"
            res.by_topic[topic][0] += ok
            res.by_topic[topic][1] += 1
            if item["scope"] == "in":
                res.in_total += 1
                res.in_ok += ok
            else:
                res.out_total += 1
                res.out_ok += ok
            if not ok:
                res.misses.append((topic, q, answered, text))
        results.append(res)
    return results
