"""What the actions share: the answer engine, the guide library and the store, created once per process;
plus small helpers for reading the tracker and building buttons."""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from rasa_sdk import Tracker

from bot.app import App
from bot.config import Settings
from bot.engine.answer import AnswerEngine
from bot.engine.eval_report import latest_path
from bot.engine.evaluation import load_questions
from bot.engine.guides import GuideLibrary
from bot.engine.regression import RegressionRunner
from bot.engine.watcher import KnowledgeWatcher
from bot.store import Store
from bot.team.recorder import Recorder
from bot.text import nfc

log = logging.getLogger(__name__)


class Services:
    """The action server's parts, from the process's one `App` (bot/app.py): loading the model and index takes
    seconds, a reply must take milliseconds, so they are made once and shared."""

    def __init__(self, app: App | None = None) -> None:
        self._app = app
        self._lock = threading.Lock()
        self.watcher: KnowledgeWatcher | None = None

    @property
    def app(self) -> App:
        with self._lock:
            if self._app is None:
                self._app = App()
            return self._app

    @property
    def settings(self) -> Settings:
        return self.app.settings

    @property
    def store(self) -> Store:
        return self.app.store

    @property
    def guides(self) -> GuideLibrary:
        return self.app.guides

    @property
    def engine(self) -> AnswerEngine:
        return self.app.engine

    @property
    def recorder(self) -> Recorder:
        return self.app.recorder

    def warm_up(self) -> None:
        """Load everything before the first resident writes (skipped with TROLYSO_ACTIONS_WARM=0, for tests)."""
        if not self.settings.actions_warm:
            return
        self.guides.refresh()
        engine = self.engine
        engine.retriever.run("khởi động trợ lý số", top_k=1)
        log.info(
            "action server ready: %d knowledge sections, %d guides", len(engine.index.chunks), len(self.guides.guides())
        )
        self.watch_knowledge()
        threading.Thread(target=self.group_backlog, name="group-backlog", daemon=True).start()

    def group_backlog(self) -> int:
        """Unanswered questions stored before grouping existed (or while it failed) join their groups."""
        return self.app.group_backlog()

    def watch_knowledge(self) -> None:
        """Re-index by itself when knowledge/ changes (off with TROLYSO_WATCH_KNOWLEDGE=0)."""
        if not self.settings.watch_knowledge or self.watcher is not None:
            return
        engine = self.engine
        watcher = KnowledgeWatcher(
            self.settings.knowledge_dir,
            self.settings.index_dir,
            engine.embedder,
            engine.use_index,
            on_change=self.eval_runner().submit if self.settings.eval_on_change else None,
        )
        watcher.serving = engine.index.manifest.get("built_at")
        self.watcher = watcher.start()

    def eval_runner(self) -> RegressionRunner:
        """Asks the question sets of the old and the new index after each knowledge change, in the background."""
        settings, engine = self.settings, self.engine

        def questions() -> list[dict]:
            return [item for path in sorted(settings.eval_dir.glob("*.jsonl")) for item in load_questions(path)]

        return RegressionRunner(
            lambda index: AnswerEngine(index, engine.embedder, engine.tuning, home=settings.commune),
            questions,
            latest_path(settings.data_dir),
        )


services = Services()


def button(title: str, intent: str, **entities: Any) -> dict[str, str]:
    payload = "/" + intent + (json.dumps(entities, ensure_ascii=False) if entities else "")
    return {"title": title, "payload": payload}


MENU_BUTTON = button("Về menu", "menu")
HANDOFF_BUTTON = button("Gặp cán bộ", "human_handoff")


def channel_of(tracker: Tracker) -> str:
    """The channel the resident wrote on: the gateway puts it in the message metadata; Rasa's own REST
    channel otherwise."""
    metadata = tracker.latest_message.get("metadata") or {}
    return str(metadata.get("channel") or tracker.get_latest_input_channel() or "rest")[:32]


def user_text(tracker: Tracker) -> str:
    """The resident's latest message, NFC; empty for a button payload."""
    text = nfc(tracker.latest_message.get("text") or "").strip()
    return "" if text.startswith("/") else text


def entity(tracker: Tracker, name: str) -> str | None:
    for e in tracker.latest_message.get("entities") or []:
        if e.get("entity") == name and e.get("value") not in (None, ""):
            return str(e["value"])
    return None


def intent_of(tracker: Tracker) -> str:
    return (tracker.latest_message.get("intent") or {}).get("name") or ""
