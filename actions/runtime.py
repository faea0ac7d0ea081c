"""What the actions share: the answer engine, the guide library and the store, created once per process;
plus small helpers for reading the tracker and building buttons."""

from __future__ import annotations

import json
import logging
import os
import threading
from typing import Any

from rasa_sdk import Tracker

from bot.config import Settings
from bot.engine.answer import AnswerEngine
from bot.engine.guides import GuideLibrary
from bot.engine.watcher import KnowledgeWatcher
from bot.store import Store
from bot.text import nfc

log = logging.getLogger(__name__)


class Services:
    """Lazily built, process-wide: loading the model and index takes seconds, a reply must take milliseconds."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._settings: Settings | None = None
        self._engine: AnswerEngine | None = None
        self._guides: GuideLibrary | None = None
        self._store: Store | None = None
        self.watcher: KnowledgeWatcher | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = Settings.from_env()
        return self._settings

    @property
    def store(self) -> Store:
        with self._lock:
            if self._store is None:
                self._store = Store(self.settings.database_url, self.settings.user_salt)
            return self._store

    @property
    def guides(self) -> GuideLibrary:
        with self._lock:
            if self._guides is None:
                self._guides = GuideLibrary(self.settings.knowledge_dir)
            return self._guides

    @property
    def engine(self) -> AnswerEngine:
        store = self.store
        with self._lock:
            if self._engine is None:
                engine = AnswerEngine.from_settings(self.settings, record=False)
                engine.store = store
                self._engine = engine
            return self._engine

    def warm_up(self) -> None:
        """Load everything before the first resident writes (skipped with TROLYSO_ACTIONS_WARM=0, for tests)."""
        if os.environ.get("TROLYSO_ACTIONS_WARM", "1") == "0":
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
        engine, done = self.engine, 0
        groups = engine.question_groups()
        try:
            for question_id, text in groups.ungrouped():
                groups.assign(question_id, engine.group_features(text))
                done += 1
        except Exception:  # the store is busy or down: the next start tries again
            log.exception("grouping earlier unanswered questions stopped after %d", done)
        if done:
            log.info("grouped %d earlier unanswered questions", done)
        return done

    def watch_knowledge(self) -> None:
        """Re-index by itself when knowledge/ changes (off with TROLYSO_WATCH_KNOWLEDGE=0)."""
        if os.environ.get("TROLYSO_WATCH_KNOWLEDGE", "1") == "0" or self.watcher is not None:
            return
        engine = self.engine
        watcher = KnowledgeWatcher(
            self.settings.knowledge_dir, self.settings.index_dir, engine.embedder, engine.use_index
        )
        watcher.serving = engine.index.manifest.get("built_at")
        self.watcher = watcher.start()


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
