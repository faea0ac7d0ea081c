"""Unanswered questions grouped by meaning: the community digital team's work list.

Each question the bot could not answer joins the open group whose centre is most similar to it, or starts a new
group when none is similar enough. Similarity is the mean of two cosines (measured on eval/groups/groups.jsonl with
`python -m bot.groups_eval`; README, "Grouping unanswered questions"):
- meaning: the e5 query vector retrieval uses (tones restored for questions typed without diacritics), minus
  the mean vector of generic questions — e5's vectors of short questions all point one way (raw cosines of
  unrelated questions average 0.86), and removing that shared direction is what makes them comparable;
- words: tf-idf weights of the question's folded content words (teencode spelled out).
This "leader" clustering runs once, when the question is recorded, so the console lists groups with one query
however many questions are stored.

A group is open (waiting for the team), answered (an FAQ file was written from it; kept as history) or
out_of_scope (the team decided the bot should not answer; later similar questions still join it quietly).
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import threading
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from sqlalchemy import (
    func,
    insert,
    select,
    update,
)

from bot.clock import as_utc, utcnow
from bot.features import Features
from bot.status import JOINABLE, GroupStatus
from bot.store import Store, inserted_id
from bot.store.schema import group_members, question_groups, questions

# Measured on eval/groups/groups.jsonl (python -m bot.groups_eval): see README, "Grouping unanswered questions".
DEFAULT_THRESHOLD = 0.45
MEANING_WEIGHT = 0.5


@dataclass
class Group:
    id: int
    status: GroupStatus
    label: str
    size: int
    created_at: _dt.datetime
    last_asked: _dt.datetime
    first_asked: _dt.datetime | None = None
    channels: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)
    residents: int = 0
    closed_by: str | None = None
    closed_at: _dt.datetime | None = None
    faq_path: str | None = None
    answer: str | None = None
    notified: int = 0


class UngroupedQuestion(NamedTuple):
    """An unanswered question not yet in a group."""

    id: int
    text: str  # masked


def _cosine_terms(a: dict[str, float], b: dict[str, float]) -> float:
    if not a or not b:
        return 0.0
    dot = sum(w * b.get(t, 0.0) for t, w in a.items())
    na = math.sqrt(sum(w * w for w in a.values()))
    nb = math.sqrt(sum(w * w for w in b.values()))
    return dot / (na * nb) if na and nb else 0.0


def _vec(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="float32")


def _unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype="float32").reshape(-1)
    n = float(np.linalg.norm(v))
    return v / n if n else v


class QuestionGroups:
    """Assigns questions to groups and answers the console's questions about them."""

    def __init__(self, store: Store, threshold: float = DEFAULT_THRESHOLD):
        self.store = store
        self.engine = store.engine
        self.threshold = threshold
        self._lock = threading.Lock()

    # --- assignment ------------------------------------------------------------------------------
    def similarity(self, features: Features, centroid: np.ndarray, terms: dict[str, float]) -> float:
        meaning = float(_unit(centroid) @ features.vector)
        return MEANING_WEIGHT * meaning + (1 - MEANING_WEIGHT) * _cosine_terms(features.terms, terms)

    def assign(self, question_id: int, features: Features, conversation_id: str | None = None) -> int:
        """Put a stored (unanswered) question into its group; returns the group id."""
        vector = _unit(features.vector)
        features = Features(vector, features.terms)
        with self._lock, self.engine.begin() as conn:
            q = conn.execute(
                select(questions.c.text, questions.c.asked_at).where(questions.c.id == question_id)
            ).first()
            if q is None:
                raise KeyError(f"no stored question {question_id}")
            if (
                conn.execute(select(group_members.c.group_id).where(group_members.c.question_id == question_id)).first()
                is not None
            ):
                raise ValueError(f"question {question_id} is already in a group")
            best_sim, best = -1.0, None
            for row in conn.execute(
                select(
                    question_groups.c.id,
                    question_groups.c.centroid,
                    question_groups.c.terms,
                    question_groups.c.size,
                    question_groups.c.last_asked,
                ).where(question_groups.c.status.in_(JOINABLE))
            ):
                terms = json.loads(row.terms or "{}")
                sim = self.similarity(features, _vec(row.centroid), terms)
                if sim > best_sim:
                    best_sim, best = sim, (row, terms)
            asked = as_utc(q.asked_at)
            if best is not None and best_sim >= self.threshold:
                row, terms = best
                for t, w in features.terms.items():
                    terms[t] = round(terms.get(t, 0.0) + w, 5)
                last = max(as_utc(row.last_asked), asked)
                conn.execute(
                    update(question_groups)
                    .where(question_groups.c.id == row.id)
                    .values(
                        centroid=(_vec(row.centroid) + vector).astype("float32").tobytes(),
                        size=row.size + 1,
                        terms=json.dumps(terms),
                        last_asked=last,
                    )
                )
                group_id, sim = row.id, best_sim
            else:
                group_id = inserted_id(
                    conn.execute(
                        insert(question_groups).values(
                            status=GroupStatus.OPEN,
                            label=q.text[:300],
                            centroid=vector.astype("float32").tobytes(),
                            terms=json.dumps({t: round(w, 5) for t, w in features.terms.items()}),
                            size=1,
                            created_at=utcnow(),
                            last_asked=asked,
                        )
                    )
                )
                sim = 1.0
            conn.execute(
                insert(group_members).values(
                    question_id=question_id, group_id=group_id, conversation_id=conversation_id, similarity=sim
                )
            )
            return group_id

    # --- reading ---------------------------------------------------------------------------------
    def groups(
        self,
        status: GroupStatus | tuple[GroupStatus, ...] = GroupStatus.OPEN,
        limit: int = 50,
        offset: int = 0,
        examples: int = 4,
    ) -> list[Group]:
        statuses = (status,) if isinstance(status, str) else status
        order = question_groups.c.size.desc() if statuses == (GroupStatus.OPEN,) else question_groups.c.closed_at.desc()
        stmt = (
            select(question_groups)
            .where(question_groups.c.status.in_(statuses))
            .order_by(order, question_groups.c.last_asked.desc())
            .limit(limit)
            .offset(offset)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
            groups = [self._group(r) for r in rows]
            self._fill(conn, groups, examples)
        return groups

    def count(self, status: GroupStatus = GroupStatus.OPEN) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count()).select_from(question_groups).where(question_groups.c.status == status)
                ).scalar_one()
            )

    def group(self, group_id: int, examples: int = 20) -> Group | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(question_groups).where(question_groups.c.id == group_id)).first()
            if row is None:
                return None
            g = self._group(row)
            self._fill(conn, [g], examples)
        return g

    def recipients(self, group_id: int) -> list[str]:
        """Conversations that asked a question of this group and were not yet sent its answer."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(group_members.c.conversation_id)
                .distinct()
                .where(
                    group_members.c.group_id == group_id,
                    group_members.c.conversation_id.is_not(None),
                    group_members.c.notified_at.is_(None),
                )
            ).all()
        return [r[0] for r in rows]

    # --- the team's decisions --------------------------------------------------------------------
    def close(
        self, group_id: int, status: GroupStatus, by: str, *, faq_path: str | None = None, answer: str | None = None
    ) -> None:
        status = GroupStatus(status)  # ValueError for anything else
        values = {
            "status": status,
            "closed_by": by if status != GroupStatus.OPEN else None,
            "closed_at": utcnow() if status != GroupStatus.OPEN else None,
        }
        if faq_path is not None:
            values["faq_path"] = faq_path
        if answer is not None:
            values["answer"] = answer
        with self.engine.begin() as conn:
            done = conn.execute(update(question_groups).where(question_groups.c.id == group_id).values(**values))
            if not done.rowcount:
                raise KeyError(f"no group {group_id}")

    def mark_notified(self, group_id: int, conversation_ids: list[str]) -> None:
        if not conversation_ids:
            return
        with self.engine.begin() as conn:
            conn.execute(
                update(group_members)
                .where(group_members.c.group_id == group_id, group_members.c.conversation_id.in_(conversation_ids))
                .values(notified_at=utcnow())
            )
            conn.execute(
                update(question_groups)
                .where(question_groups.c.id == group_id)
                .values(notified=question_groups.c.notified + len(set(conversation_ids)))
            )

    def ungrouped(self, limit: int = 1000) -> list[UngroupedQuestion]:
        """Unanswered questions not yet in a group (recorded before grouping existed, or by the CLI)."""
        stmt = (
            select(questions.c.id, questions.c.text)
            .outerjoin(group_members, group_members.c.question_id == questions.c.id)
            .where(questions.c.answered.is_(False), group_members.c.question_id.is_(None))
            .order_by(questions.c.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [UngroupedQuestion(r.id, r.text) for r in conn.execute(stmt)]

    # --- helpers ---------------------------------------------------------------------------------
    @staticmethod
    def _group(r) -> Group:
        m = r._mapping
        return Group(
            id=m["id"],
            status=GroupStatus(m["status"]),
            label=m["label"],
            size=m["size"],
            created_at=as_utc(m["created_at"]),
            last_asked=as_utc(m["last_asked"]),
            closed_by=m["closed_by"],
            closed_at=as_utc(m["closed_at"]),
            faq_path=m["faq_path"],
            answer=m["answer"],
            notified=m["notified"] or 0,
        )

    def _fill(self, conn, groups: list[Group], examples: int) -> None:
        """First asked, channels, distinct residents and example wordings, for a page of groups."""
        if not groups:
            return
        by_id = {g.id: g for g in groups}
        ids = list(by_id)
        j = group_members.join(questions, questions.c.id == group_members.c.question_id)
        for gid, first, residents in conn.execute(
            select(
                group_members.c.group_id,
                func.min(questions.c.asked_at),
                func.count(func.distinct(questions.c.user_hash)),
            )
            .select_from(j)
            .where(group_members.c.group_id.in_(ids))
            .group_by(group_members.c.group_id)
        ):
            by_id[gid].first_asked, by_id[gid].residents = as_utc(first), residents
        for gid, channel, n in conn.execute(
            select(group_members.c.group_id, questions.c.channel, func.count())
            .select_from(j)
            .where(group_members.c.group_id.in_(ids))
            .group_by(group_members.c.group_id, questions.c.channel)
        ):
            by_id[gid].channels[channel] = n
        # distinct wordings, most recent first, a few per group
        ranked = (
            select(
                group_members.c.group_id,
                questions.c.text,
                func.row_number()
                .over(partition_by=group_members.c.group_id, order_by=func.max(questions.c.id).desc())
                .label("rn"),
            )
            .select_from(j)
            .where(group_members.c.group_id.in_(ids))
            .group_by(group_members.c.group_id, questions.c.text)
            .subquery()
        )
        for gid, text in conn.execute(
            select(ranked.c.group_id, ranked.c.text)
            .where(ranked.c.rn <= examples)
            .order_by(ranked.c.group_id, ranked.c.rn)
        ):
            by_id[gid].examples.append(text)


def wordings(group: Group, limit: int = 8) -> list[str]:
    """The distinct wordings to put in an FAQ's `questions:` list."""
    seen: dict[str, None] = {}
    for text in [group.label, *group.examples]:
        t = " ".join(text.split())
        if t and t.lower() not in {s.lower() for s in seen}:
            seen[t] = None
    return list(seen)[:limit]
