"""Where the last "evaluation on a content change" is kept, and its shape: `<data dir>/eval/latest.json`, written by
the action server after the knowledge watcher swapped in a new index (bot/engine/regression.py), read by the
console's "Kho kiến thức" page. Standard library only, like manifest.py: the console (in the gateway process)
imports it without faiss, torch or the engine.

The file holds one JSON object:
  when            ISO time the comparison finished
  changed_files   knowledge files whose bytes differ between the two indexes (added, edited or removed)
  questions       how many questions were asked (each as typed and without diacritics)
  seconds         how long the comparison took
  variants        [{"label", "before": score, "after": score}], score = {"right", "total", "in_right", "in_total",
                  "wrong", "wrong_of"} ("wrong" = answered but wrong, over "wrong_of" questions in the bot's topics)
  regressions     [{"variant", "q", "topic", "old_source", "new_source", "files", "answered", "text"}]: right before,
                  wrong now; "files" = the changed files involved (the old or new answer's source if it changed,
                  else every changed file)
  improvements    how many (question, variant) pairs were wrong before and are right now
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def latest_path(data_dir: Path) -> Path:
    return Path(data_dir) / "eval" / "latest.json"


def write_report(path: Path, report: dict[str, Any]) -> None:
    """Write atomically (a temporary file, then one rename): a reader never sees half a report."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def read_report(path: Path) -> dict[str, Any] | None:
    """The report at path, or None when there is none yet (or it cannot be read)."""
    try:
        report = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(report, dict):
        return None
    report.setdefault("variants", [])
    report.setdefault("regressions", [])
    report.setdefault("changed_files", [])
    report.setdefault("improvements", 0)
    return report
