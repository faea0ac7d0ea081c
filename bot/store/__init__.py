"""The store: one data layer over SQLite (default, embedded) or PostgreSQL (scale-out), via SQLAlchemy Core.

Residents' identity and phone numbers are masked before anything is written, and a resident is known only
by a salted hash of the platform's user id.
"""

from __future__ import annotations

import datetime as _dt
import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import create_engine, event, func, insert, select, update
from sqlalchemy.engine import CursorResult, Engine

from bot.clock import utcnow
from bot.status import OPEN_HANDOFF, HandoffStatus
from bot.store.migrate import SchemaError as SchemaError
from bot.store.migrate import ensure
from bot.store.schema import feedback, handoffs, questions, subscriptions
from bot.text import hash_user_id, mask_personal_numbers, nfc


class HandoffRequest(NamedTuple):
    """What asking for the team did: the open hand-off's id, and whether this request created it."""

    id: int
    created: bool


def inserted_id(result: CursorResult) -> int:
    """The id a single-row INSERT created (SQLAlchemy types inserted_primary_key as optional: it is None
    only after an executemany)."""
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    """Several processes (gateway, action server, console) share one SQLite file: WAL lets readers and one
    writer work at once, and a writer waits for the lock instead of failing."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=10000")
    # Switching a new file to WAL takes an exclusive lock, and SQLite may answer "database is locked" at once,
    # without waiting, when several processes open the new file at the same moment (the first start of
    # `trolyso up`): try again for a while, as the busy timeout would.
    deadline = time.monotonic() + 10
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _feedback_with_question():
    """Feedback rows with the question they judge (its text, sources and channel)."""
    return select(feedback, questions.c.text.label("question"), questions.c.sources, questions.c.channel).join(
        questions, feedback.c.question_id == questions.c.id
    )


def _feedback_dict(row) -> dict:
    return dict(row._mapping) | {"sources": json.loads(row._mapping["sources"] or "[]")}


@dataclass
class StoredQuestion:
    id: int
    asked_at: _dt.datetime
    channel: str
    user_hash: str
    text: str
    answered: bool
    reason: str
    score: float
    sources: list[dict]


def connect(url: str) -> Engine:
    """The engine for a database URL, as every process opens it (SQLite: its folder created, WAL)."""
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
    # the gateway, its worker and the actions run many short transactions from several threads at once
    pool = {"pool_size": 16, "max_overflow": 16} if url.startswith("sqlite:///") else {}
    engine = create_engine(url, future=True, **pool)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


class Store:
    def __init__(self, url: str, user_salt: str = "trolyso"):
        """Open the store. A new, empty database gets the schema (every migration); one made by release 0.1 or
        at an older revision raises SchemaError: the operator backs it up and runs `trolyso db upgrade`."""
        self.engine: Engine = connect(url)
        self.user_salt = user_salt
        ensure(self.engine)

    def record_question(
        self,
        text: str,
        *,
        channel: str,
        user_id: str | None,
        answered: bool,
        reason: str,
        score: float,
        sources: list[dict] | None = None,
        when: _dt.datetime | None = None,
    ) -> int:
        row = {
            "asked_at": when or utcnow(),
            "channel": channel,
            "user_hash": hash_user_id(user_id or "anonymous", self.user_salt),
            "text": mask_personal_numbers(nfc(text))[:2000],
            "answered": answered,
            "reason": reason,
            "score": float(score),
            "sources": json.dumps(sources or [], ensure_ascii=False),
        }
        with self.engine.begin() as conn:
            return inserted_id(conn.execute(insert(questions).values(**row)))

    def unanswered(self, limit: int = 100) -> list[StoredQuestion]:
        stmt = (
            select(questions).where(questions.c.answered.is_(False)).order_by(questions.c.asked_at.desc()).limit(limit)
        )
        with self.engine.connect() as conn:
            return [self._row(r) for r in conn.execute(stmt)]

    def count_questions(self, answered: bool | None = None) -> int:
        stmt = select(func.count()).select_from(questions)
        if answered is not None:
            stmt = stmt.where(questions.c.answered.is_(answered))
        with self.engine.connect() as conn:
            return int(conn.execute(stmt).scalar_one())

    def question(self, question_id: int) -> StoredQuestion | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(questions).where(questions.c.id == question_id)).first()
        return self._row(row) if row is not None else None

    # --- feedback ----------------------------------------------------------------------------------
    def record_feedback(self, question_id: int, helpful: bool, answer: str) -> None:
        """Store (or replace) the resident's verdict on the answer to a stored question."""
        row = {"given_at": utcnow(), "helpful": helpful, "answer": mask_personal_numbers(nfc(answer))[:4000]}
        with self.engine.begin() as conn:
            if conn.execute(select(questions.c.id).where(questions.c.id == question_id)).first() is None:
                raise KeyError(f"no stored question {question_id}")
            done = conn.execute(update(feedback).where(feedback.c.question_id == question_id).values(**row))
            if not done.rowcount:
                conn.execute(insert(feedback).values(question_id=question_id, **row))

    def feedback_rows(self, helpful: bool | None = None, limit: int | None = None, offset: int = 0) -> list[dict]:
        stmt = _feedback_with_question().order_by(feedback.c.given_at.desc()).limit(limit).offset(offset)
        if helpful is not None:
            stmt = stmt.where(feedback.c.helpful.is_(helpful))
        with self.engine.connect() as conn:
            return [_feedback_dict(r) for r in conn.execute(stmt)]

    def feedback_row(self, feedback_id: int) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(_feedback_with_question().where(feedback.c.id == feedback_id)).first()
        return _feedback_dict(row) if row is not None else None

    def feedback_count(self, helpful: bool | None = None) -> int:
        stmt = select(func.count()).select_from(feedback)
        if helpful is not None:
            stmt = stmt.where(feedback.c.helpful.is_(helpful))
        with self.engine.connect() as conn:
            return int(conn.execute(stmt).scalar_one())

    # --- hand-offs ---------------------------------------------------------------------------------
    def request_handoff(self, conversation_id: str, *, channel: str, context: str = "") -> HandoffRequest:
        """Mark a conversation as waiting for the team. Returns (handoff id, created); asking again while a
        hand-off is open does not queue the resident twice."""
        with self.engine.begin() as conn:
            open_row = conn.execute(
                select(handoffs.c.id).where(
                    handoffs.c.conversation_id == conversation_id, handoffs.c.status.in_(OPEN_HANDOFF)
                )
            ).first()
            if open_row is not None:
                return HandoffRequest(int(open_row[0]), False)
            now = utcnow()
            new_id = inserted_id(
                conn.execute(
                    insert(handoffs).values(
                        requested_at=now,
                        updated_at=now,
                        conversation_id=conversation_id,
                        channel=channel,
                        user_hash=hash_user_id(conversation_id, self.user_salt),
                        status=HandoffStatus.WAITING,
                        context=mask_personal_numbers(nfc(context))[:2000],
                    )
                )
            )
            return HandoffRequest(int(new_id), True)

    def handoffs(self, status: str | None = None) -> list[dict]:
        stmt = select(handoffs).order_by(handoffs.c.requested_at)
        if status:
            stmt = stmt.where(handoffs.c.status == status)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(stmt)]

    def open_handoff(self, conversation_id: str) -> dict | None:
        stmt = select(handoffs).where(
            handoffs.c.conversation_id == conversation_id, handoffs.c.status.in_(OPEN_HANDOFF)
        )
        with self.engine.connect() as conn:
            row = conn.execute(stmt).first()
        return dict(row._mapping) if row is not None else None

    def handoff(self, handoff_id: int) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(handoffs).where(handoffs.c.id == handoff_id)).first()
        return dict(row._mapping) if row is not None else None

    def take_handoff(self, handoff_id: int, username: str) -> bool:
        """A team member takes a waiting conversation (the bot goes silent for it). False if someone else has
        it or it was released."""
        with self.engine.begin() as conn:
            done = conn.execute(
                update(handoffs)
                .where(
                    handoffs.c.id == handoff_id,
                    (handoffs.c.status == HandoffStatus.WAITING)
                    | ((handoffs.c.status == HandoffStatus.TAKEN) & (handoffs.c.taken_by == username)),
                )
                .values(status=HandoffStatus.TAKEN, taken_by=username, updated_at=utcnow())
            )
            return bool(done.rowcount)

    def touch_handoff(self, handoff_id: int) -> None:
        """The team just wrote: the automatic release counts from now."""
        with self.engine.begin() as conn:
            conn.execute(
                update(handoffs)
                .where(handoffs.c.id == handoff_id, handoffs.c.status == HandoffStatus.TAKEN)
                .values(updated_at=utcnow())
            )

    def release_handoff(self, handoff_id: int) -> bool:
        """Back to the bot."""
        with self.engine.begin() as conn:
            done = conn.execute(
                update(handoffs)
                .where(handoffs.c.id == handoff_id, handoffs.c.status.in_(OPEN_HANDOFF))
                .values(status=HandoffStatus.RELEASED, updated_at=utcnow())
            )
            return bool(done.rowcount)

    def release_stale_handoffs(self, idle: _dt.timedelta) -> list[dict]:
        """Release every taken conversation the team has not written to for `idle`; returns them."""
        cutoff = utcnow() - idle
        with self.engine.begin() as conn:
            rows = [
                dict(r._mapping)
                for r in conn.execute(
                    select(handoffs).where(handoffs.c.status == HandoffStatus.TAKEN, handoffs.c.updated_at < cutoff)
                )
            ]
            if rows:  # the same conditions again: a reply sent meanwhile keeps its conversation
                conn.execute(
                    update(handoffs)
                    .where(
                        handoffs.c.id.in_([r["id"] for r in rows]),
                        handoffs.c.status == HandoffStatus.TAKEN,
                        handoffs.c.updated_at < cutoff,
                    )
                    .values(status=HandoffStatus.RELEASED, updated_at=utcnow())
                )
        return rows

    # --- subscriptions -----------------------------------------------------------------------------
    def set_subscription(self, conversation_id: str, *, channel: str, active: bool) -> bool:
        """Subscribe or unsubscribe; returns whether the state changed."""
        with self.engine.begin() as conn:
            row = conn.execute(
                select(subscriptions.c.active).where(subscriptions.c.conversation_id == conversation_id)
            ).first()
            values = {
                "channel": channel,
                "active": active,
                "updated_at": utcnow(),
                "user_hash": hash_user_id(conversation_id, self.user_salt),
            }
            if row is None:
                conn.execute(insert(subscriptions).values(conversation_id=conversation_id, **values))
                return active
            conn.execute(
                update(subscriptions).where(subscriptions.c.conversation_id == conversation_id).values(**values)
            )
            return bool(row[0]) != active

    def subscribers(self, channel: str | None = None) -> list[dict]:
        stmt = select(subscriptions).where(subscriptions.c.active.is_(True))
        if channel:
            stmt = stmt.where(subscriptions.c.channel == channel)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(stmt)]

    @staticmethod
    def _row(r) -> StoredQuestion:
        m = r._mapping
        return StoredQuestion(
            id=m["id"],
            asked_at=m["asked_at"],
            channel=m["channel"],
            user_hash=m["user_hash"],
            text=m["text"],
            answered=bool(m["answered"]),
            reason=m["reason"],
            score=float(m["score"]),
            sources=json.loads(m["sources"] or "[]"),
        )
