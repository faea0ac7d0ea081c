"""Recording what residents asked, for the team: every question the engine judged (answered or refused) is stored,
masked, and an unanswered one joins its group of similar questions at once (bot/team/groups.py). The answer engine
stays pure; the action server and the CLI call this after it answers."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from bot.features import Features
from bot.status import Reason
from bot.store import Store
from bot.team.groups import QuestionGroups

log = logging.getLogger(__name__)

NOT_RECORDED = frozenset({Reason.EMPTY})  # "ok", "1", an empty message: nothing was asked


class Judged(Protocol):
    """What the recorder needs of an answer (bot.engine.answer.Answer has it). Read-only, so an answer may
    narrow a type (Answer.reason is a Reason)."""

    @property
    def q(self) -> str: ...
    @property
    def answered(self) -> bool: ...
    @property
    def reason(self) -> str: ...
    @property
    def score(self) -> float: ...
    @property
    def sources(self) -> list[dict[str, str]]: ...


class Recorder:
    """Stores each judged question and groups the unanswered ones. `features(answer)` computes what a question is
    grouped by (the engine's `group_features`), only for unanswered questions."""

    def __init__(self, store: Store, groups: QuestionGroups, features: Callable[[Judged], Features]):
        self.store = store
        self.groups = groups
        self.features = features

    def record(self, answer: Judged, *, channel: str, user_id: str | None) -> int | None:
        """The stored question's id (None when nothing was asked). Grouping failures are logged, never raised:
        the resident still gets the answer, and the action server groups the question at its next start."""
        if answer.reason in NOT_RECORDED:
            return None
        question_id = self.store.record_question(
            answer.q,
            channel=channel,
            user_id=user_id,
            answered=answer.answered,
            reason=answer.reason,
            score=answer.score,
            sources=answer.sources,
        )
        if not answer.answered:
            try:
                self.groups.assign(question_id, self.features(answer), conversation_id=user_id)
            except Exception:
                log.exception("could not group unanswered question %s", question_id)
        return question_id

    def group_backlog(self, features: Callable[[str], Features]) -> int:
        """Unanswered questions stored before grouping existed (or while it failed) join their groups; returns how
        many. Stops quietly if the store is busy or down: the next start tries again."""
        done = 0
        try:
            for question_id, text in self.groups.ungrouped():
                self.groups.assign(question_id, features(text))
                done += 1
        except Exception:
            log.exception("grouping earlier unanswered questions stopped after %d", done)
        if done:
            log.info("grouped %d earlier unanswered questions", done)
        return done
