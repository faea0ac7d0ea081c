"""The store: one data layer over SQLite (default, embedded) or PostgreSQL (scale-out), via SQLAlchemy Core.

Residents' identity and phone numbers are masked before anything is written, and a resident is known only
by a salted hash of the platform's user id.
"""
from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import (Boolean, Column, DateTime, Float, Integer, MetaData, String, Table, Text, create_engine,
                        func, insert, select)
from sqlalchemy.engine import Engine

from .text import hash_user_id, mask_personal_numbers, nfc

metadata = MetaData()

questions = Table(
    "questions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("asked_at", DateTime(timezone=True), nullable=False, index=True),
    Column("channel", String(32), nullable=False),
    Column("user_hash", String(64), nullable=False, index=True),
    Column("text", Text, nullable=False),            # masked
    Column("answered", Boolean, nullable=False, index=True),
    Column("reason", String(32), nullable=False),    # answered | no_match | out_of_scope | personal_data
    Column("score", Float, nullable=False),
    Column("sources", Text, nullable=False, default="[]"),  # JSON list of {title, path, section}
)


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


class Store:
    def __init__(self, url: str, user_salt: str = "trolyso"):
        if url.startswith("sqlite:///"):
            Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(url, future=True)
        self.user_salt = user_salt
        metadata.create_all(self.engine)

    def record_question(self, text: str, *, channel: str, user_id: str | None, answered: bool, reason: str,
                        score: float, sources: list[dict] | None = None,
                        when: _dt.datetime | None = None) -> int:
        row = {
            "asked_at": when or _dt.datetime.now(_dt.timezone.utc),
            "channel": channel,
            "user_hash": hash_user_id(user_id or "anonymous", self.user_salt),
            "text": mask_personal_numbers(nfc(text))[:2000],
            "answered": answered,
            "reason": reason,
            "score": float(score),
            "sources": json.dumps(sources or [], ensure_ascii=False),
        }
        with self.engine.begin() as conn:
            return int(conn.execute(insert(questions).values(**row)).inserted_primary_key[0])

    def unanswered(self, limit: int = 100) -> list[StoredQuestion]:
        stmt = (select(questions).where(questions.c.answered.is_(False))
                .order_by(questions.c.asked_at.desc()).limit(limit))
        with self.engine.connect() as conn:
            return [self._row(r) for r in conn.execute(stmt)]

    def count_questions(self, answered: bool | None = None) -> int:
        stmt = select(func.count()).select_from(questions)
        if answered is not None:
            stmt = stmt.where(questions.c.answered.is_(answered))
        with self.engine.connect() as conn:
            return int(conn.execute(stmt).scalar_one())

    @staticmethod
    def _row(r) -> StoredQuestion:
        m = r._mapping
        return StoredQuestion(id=m["id"], asked_at=m["asked_at"], channel=m["channel"], user_hash=m["user_hash"],
                              text=m["text"], answered=bool(m["answered"]), reason=m["reason"],
                              score=float(m["score"]), sources=json.loads(m["sources"] or "[]"))
