"""Keeps the search index in step with the knowledge folder while the bot runs.

Content staff edit files in `knowledge/` (or upload them in the console, or the team writes an FAQ there); the
watcher notices (watchfiles: inotify on Linux, polling elsewhere), updates the index incrementally (only new
text is embedded: about 0.1 s for one changed file), saves it, and hands it to whoever serves answers. A broken
file is reported in the index's manifest and skipped; its last good version and every other file keep serving.

Several processes may watch the same folder (scale-out): a file lock next to the index lets one update at a
time, and every process that finds a newer index on disk than the one it serves takes it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

import watchfiles

from bot.engine.embedding import Embedder
from bot.engine.index import KnowledgeIndex, UpdateReport
from bot.engine.manifest import index_lock

log = logging.getLogger(__name__)


def _is_knowledge_file(change: watchfiles.Change, path: str) -> bool:
    name = Path(path).name
    return not name.startswith((".", "~")) and not name.endswith(("~", ".swp", ".tmp"))


class KnowledgeWatcher:
    def __init__(
        self,
        knowledge_dir: Path,
        index_dir: Path,
        embedder: Embedder,
        on_index: Callable[[KnowledgeIndex], None],
        debounce_ms: int = 300,
        on_change: Callable[[KnowledgeIndex, KnowledgeIndex], None] | None = None,
    ):
        self.knowledge_dir = Path(knowledge_dir)
        self.index_dir = Path(index_dir)
        self.embedder = embedder
        self.on_index = on_index
        self.on_change = on_change  # (old, new) after this process saved and served a changed index
        self.debounce_ms = debounce_ms
        self.lock = index_lock(self.index_dir)
        self.serving: str | None = None  # built_at of the index handed to on_index
        self.last_report: UpdateReport | None = None
        self.stop_event = threading.Event()
        self._thread: threading.Thread | None = None

    def refresh(self) -> UpdateReport:
        """Bring the saved index up to date with the folder and serve it if it is newer than ours."""
        with self.lock:
            try:
                previous = KnowledgeIndex.load(self.index_dir)
            except FileNotFoundError:
                previous = None
            index, report = KnowledgeIndex.update(self.knowledge_dir, self.embedder, previous)
            changed = previous is None or report.files_changed or report.files_removed
            if changed:
                index.save(self.index_dir)
            else:
                assert previous is not None  # unchanged means there was a previous index
                index = previous
        built = index.manifest.get("built_at")
        if built != self.serving:
            self.on_index(index)
            self.serving = built
        if changed and previous is not None and self.on_change is not None:
            try:  # e.g. queue the question sets against old and new (bot/engine/regression.py): never fails a swap
                self.on_change(previous, index)
            except Exception:
                log.exception("after-change hook failed")
        for error in report.errors:
            log.warning("knowledge file skipped: %s", error)
        if changed:
            log.info("knowledge index updated: %s", report.summary())
        self.last_report = report
        return report

    def run(self) -> None:
        """Watch until stop(); every batch of changes (debounced) triggers one refresh."""
        self._safe_refresh()
        for _changes in watchfiles.watch(
            self.knowledge_dir,
            watch_filter=_is_knowledge_file,
            debounce=self.debounce_ms,
            step=50,
            stop_event=self.stop_event,
            yield_on_timeout=False,
            raise_interrupt=False,
        ):
            self._safe_refresh()

    def _safe_refresh(self) -> None:
        try:
            self.refresh()
        except Exception:  # a disk or model error must not stop the watching or the answers
            log.exception("knowledge index update failed; the current index keeps serving")

    def start(self) -> KnowledgeWatcher:
        self._thread = threading.Thread(target=self.run, name="knowledge-watcher", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
