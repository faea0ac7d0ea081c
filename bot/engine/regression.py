"""Evaluation on every content change: the question sets asked of the index served before a change and of the
index after it, and what got worse. Used by `trolyso lint --eval` (before the change is served) and by the
action server after its knowledge watcher swapped in a new index (`RegressionRunner`, in the background); the
result is written to `<data dir>/eval/latest.json` (bot/engine/eval_report.py) for the console.

The engine is pure, so the old and the new engine answer side by side; questions are judged with the same rules
as `trolyso eval` (bot/engine/evaluation.py).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from bot.clock import utcnow
from bot.engine.eval_report import write_report
from bot.engine.evaluation import VARIANTS, VariantResult, judge, topic_of

log = logging.getLogger(__name__)


class Engine(Protocol):
    def ask(self, question: str) -> Any: ...  # an Answer: .answered, .text, .sources ([{"path", …}])


@dataclass
class Regression:
    """A question that was right before the change and is wrong now."""

    variant: str
    q: str
    topic: str
    old_source: str  # the knowledge file the old answer came from ("" = it was refused)
    new_source: str  # the knowledge file the new answer comes from ("" = it is refused now)
    files: list[str]  # the changed files involved
    answered: bool  # whether the new answer answered (False = now refused)
    text: str  # the new answer, shortened


@dataclass
class Comparison:
    changed_files: list[str]
    before: list[VariantResult]
    after: list[VariantResult]
    regressions: list[Regression] = field(default_factory=list)
    improvements: int = 0
    questions: int = 0
    seconds: float = 0.0
    when: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "when": self.when,
            "changed_files": self.changed_files,
            "questions": self.questions,
            "seconds": round(self.seconds, 1),
            "variants": [
                {"label": b.label, "before": _score(b), "after": _score(a)}
                for b, a in zip(self.before, self.after, strict=True)
            ],
            "regressions": [r.__dict__ for r in self.regressions],
            "improvements": self.improvements,
        }

    def lines(self) -> list[str]:
        """What `trolyso lint --eval` prints."""
        out = [f"changed files: {', '.join(self.changed_files) or 'none'}"]
        for b, a in zip(self.before, self.after, strict=True):
            sb, sa = _score(b), _score(a)
            out.append(
                f"{b.label}: right {sa['right']}/{sa['total']} now, {sb['right']}/{sb['total']} before; "
                f"answered but wrong {sa['wrong']}/{sa['wrong_of']} now, {sb['wrong']}/{sb['wrong_of']} before"
            )
        out.append(
            f"{len(self.regressions)} right before and wrong now, {self.improvements} wrong before and right now"
        )
        for r in self.regressions:
            now = f"now from {r.new_source}" if r.answered else "now refused"
            out.append(f"  WORSE [{r.variant}] {r.q}")
            out.append(
                f"        before from {r.old_source or '-'}, {now}; changed files involved: {', '.join(r.files) or '-'}"
            )
        return out


def _score(r: VariantResult) -> dict[str, int]:
    return {
        "right": r.in_ok + r.unans_ok + r.out_ok,
        "total": r.in_total + r.unans_total + r.out_total,
        "in_right": r.in_ok,
        "in_total": r.in_total,
        "wrong": r.wrong,
        "wrong_of": r.in_total + r.unans_total,
    }


def changed_files(old_manifest: dict, new_manifest: dict) -> list[str]:
    """Knowledge files added, removed or edited between two index manifests (by the sha256 each records)."""
    old, new = old_manifest.get("files", {}), new_manifest.get("files", {})
    return sorted(
        p for p in set(old) | set(new) if (old.get(p) or {}).get("sha256") != (new.get(p) or {}).get("sha256")
    )


def _source(answer: Any) -> str:
    sources = getattr(answer, "sources", None) or []
    return str(sources[0].get("path", "")) if answer.answered and sources else ""


def compare(
    old_engine: Engine,
    new_engine: Engine,
    items: list[dict],
    changed: Iterable[str] = (),
    pause: Callable[[], None] = lambda: None,
) -> Comparison:
    """Ask every question (as typed and without diacritics) of both engines; list what was right and is now
    wrong. `changed` names the knowledge files that differ; `pause()` runs between questions (a background run
    yields the processor there)."""
    t0 = time.perf_counter()
    changed = sorted(changed)
    result = Comparison(changed, [], [], questions=len(items))
    for label, transform in VARIANTS:
        before, after = VariantResult(label), VariantResult(label)
        for item in items:
            q = transform(item["q"])
            old, new = old_engine.ask(q), new_engine.ask(q)
            old_ok, new_ok = judge(item, old.answered, old.text), judge(item, new.answered, new.text)
            before.add(item, old.answered, old_ok)
            after.add(item, new.answered, new_ok)
            result.improvements += new_ok and not old_ok
            if old_ok and not new_ok:
                old_src, new_src = _source(old), _source(new)
                files = [f for f in dict.fromkeys((old_src, new_src)) if f and f in changed] or list(changed)
                text = " ".join((new.text or "").split())
                result.regressions.append(
                    Regression(label, q, topic_of(item), old_src, new_src, files, bool(new.answered), text[:300])
                )
            pause()
        result.before.append(before)
        result.after.append(after)
    result.seconds = time.perf_counter() - t0
    result.when = utcnow().isoformat(timespec="seconds")
    return result


class RegressionRunner:
    """Runs `compare` in one background thread after each index swap, at low priority, one run at a time.

    `submit(old, new)` queues a comparison of two indexes; a submit while one is queued replaces it (keeping the
    older "before" index, so the queued run covers every change since the last one that ran). The result is
    written to `out` atomically. `make_engine(index)` builds an engine over an index; `questions()` loads the
    question sets (empty: nothing to do).
    """

    def __init__(self, make_engine: Callable[[Any], Engine], questions: Callable[[], list[dict]], out: Path):
        self.make_engine = make_engine
        self.questions = questions
        self.out = Path(out)
        self._cond = threading.Condition()
        self._pending: tuple[Any, Any] | None = None
        self._running = False
        self._thread: threading.Thread | None = None
        self.runs = 0  # comparisons finished (tests wait on it)

    def submit(self, old_index: Any, new_index: Any) -> None:
        with self._cond:
            if self._pending is not None:
                old_index = self._pending[0]
            self._pending = (old_index, new_index)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="knowledge-eval", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def _work(self) -> None:
        _lower_priority()
        while True:
            with self._cond:
                if self._pending is None:
                    self._thread = None
                    return
                old_index, new_index = self._pending
                self._pending = None
                self._running = True
            try:
                self.run_once(old_index, new_index)
            except Exception:  # the comparison must never take the action server down
                log.exception("evaluation after the knowledge change failed")
            finally:
                with self._cond:
                    self._running = False
                    self.runs += 1
                    self._cond.notify_all()

    def run_once(self, old_index: Any, new_index: Any) -> Comparison | None:
        items = self.questions()
        if not items:
            return None
        changed = changed_files(old_index.manifest, new_index.manifest)
        result = compare(
            self.make_engine(old_index), self.make_engine(new_index), items, changed, pause=lambda: time.sleep(0)
        )
        write_report(self.out, result.to_json())
        log.info(
            "evaluation after the knowledge change: %d right before and wrong now, %d better (%.0f s) -> %s",
            len(result.regressions),
            result.improvements,
            result.seconds,
            self.out,
        )
        return result

    def wait(self, runs: int, timeout: float) -> bool:
        """Block until `runs` comparisons have finished (tests)."""
        with self._cond:
            return self._cond.wait_for(lambda: self.runs >= runs, timeout)


def _lower_priority() -> None:
    """Nice this thread (Linux schedules threads separately) so answers to residents come first."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):
        pass
