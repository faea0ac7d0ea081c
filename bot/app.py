"""The composition root: one `App` per process, built from `Settings`, hands out the parts the process needs, each
made on first use and then shared. The CLI, the action server (actions/runtime.py) and the gateway
(connectors/gateway.py) all build their parts here, so there is one place that says how the program is put
together.

Importing this module loads no model: the engine's parts (torch, faiss) are imported only when `engine`,
`embedder` or `recorder` is first used, so the gateway, which uses `store` and the team's parts, never
loads them.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from bot.config import Settings

if TYPE_CHECKING:
    from bot.engine.answer import AnswerEngine
    from bot.engine.embedding import Embedder
    from bot.engine.guides import GuideLibrary
    from bot.store import Store
    from bot.team.accounts import Accounts
    from bot.team.audit import AuditLog
    from bot.team.groups import QuestionGroups
    from bot.team.recorder import Recorder


class App:
    """The parts of one process, from its settings: `App().store`, `.engine`, `.recorder`, … (made once, shared)."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings.from_env()
        self._parts: dict[str, Any] = {}
        self._lock = threading.RLock()

    def _part(self, name: str, make: Any) -> Any:
        part = self._parts.get(name)
        if part is None:
            with self._lock:
                part = self._parts.get(name)
                if part is None:
                    part = self._parts[name] = make()
        return part

    def provide(self, **parts: Any) -> App:
        """Use these parts instead of making them (tests and benchmarks hand in a store or an engine)."""
        self._parts.update(parts)
        return self

    # --- the store and the team's work (no torch, no faiss) -------------------------------------
    @property
    def store(self) -> Store:
        from bot.store import Store

        return self._part("store", lambda: Store(self.settings.database_url, self.settings.user_salt))

    @property
    def groups(self) -> QuestionGroups:
        """The one QuestionGroups of this process (its lock keeps concurrent assignments in order)."""
        from bot.team.groups import QuestionGroups

        return self._part("groups", lambda: QuestionGroups(self.store))

    @property
    def accounts(self) -> Accounts:
        from bot.team.accounts import Accounts

        return self._part("accounts", lambda: Accounts(self.store, self.settings.session_hours))

    @property
    def audit(self) -> AuditLog:
        """Who did what in the console and through `trolyso user`."""
        from bot.team.audit import AuditLog

        return self._part("audit", lambda: AuditLog(self.store))

    # --- the engine (the action server's world: torch and faiss) ----------------------------------
    @property
    def embedder(self) -> Embedder:
        from bot.engine.embedding import Embedder

        return self._part("embedder", lambda: Embedder(self.settings.model_dir))

    @property
    def engine(self) -> AnswerEngine:
        """The answer engine over the saved index (the knowledge watcher swaps newer indexes into it)."""
        from bot.engine.answer import AnswerEngine
        from bot.engine.index import KnowledgeIndex

        return self._part(
            "engine",
            lambda: AnswerEngine(
                KnowledgeIndex.load(self.settings.index_dir), self.embedder, home=self.settings.commune
            ),
        )

    @property
    def guides(self) -> GuideLibrary:
        from bot.engine.guides import GuideLibrary

        return self._part("guides", lambda: GuideLibrary(self.settings.knowledge_dir))

    @property
    def recorder(self) -> Recorder:
        """Stores what residents asked and groups the unanswered questions (uses the engine for the features)."""
        from bot.team.recorder import Recorder

        def make() -> Recorder:
            engine = self.engine
            return Recorder(
                self.store, self.groups, lambda a: engine.group_features(a.q, getattr(a, "retrieval", None))
            )

        return self._part("recorder", make)

    def group_backlog(self) -> int:
        """Group the unanswered questions stored before grouping existed (the action server does it at start)."""
        return self.recorder.group_backlog(self.engine.group_features)
