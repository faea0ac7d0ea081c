"""Retention (Nghị định 13/2023/NĐ-CP): residents' data older than `TROLYSO_RETENTION_DAYS` is deleted.

Deleted, when older than the period:
- `questions` (by `asked_at`), with their `feedback` and `group_members` rows (children first: foreign keys);
- `inbox` rows that are finished (not pending; by `received_at`) and `outbox` rows that are sent or undeliverable
  (by `created_at`): the conversations the console shows;
- released `handoffs` (by `updated_at`), `news_deliveries` (by `at`), `web_sessions` (by `last_seen`),
  inactive `subscriptions` (by `updated_at`) and the numbered options last shown (`shown_options`, by `updated_at`).

Kept: console accounts and sessions, the audit log, news items, question groups (their label, centroid, terms and
size stay as they were: a group's size counts every question ever asked in it, its members list only the questions
still kept) and the channels' tokens.

Each table is deleted in batches, one transaction per batch, so a long purge never holds a lock for long; SQLAlchemy
Core only, the same on SQLite and PostgreSQL. A purge records one audit-log entry with the counts (never content).
"""

from __future__ import annotations

import datetime as _dt
from typing import NamedTuple

from sqlalchemy import Column, ColumnElement, Table, delete, func, select
from sqlalchemy.engine import Connection

from bot.clock import utcnow
from bot.status import AuditAction, HandoffStatus, InboxStatus, OutboxStatus
from bot.store import Store
from bot.store.schema import (
    feedback,
    group_members,
    handoffs,
    inbox,
    news_deliveries,
    outbox,
    questions,
    shown_options,
    subscriptions,
    web_sessions,
)
from bot.team.audit import CLI, AuditLog

BATCH = 500  # rows per transaction
GATEWAY = "gateway"  # the audit log's account for the gateway's daily purge


class DeletedRows(NamedTuple):
    """Rows deleted per table, by the retention purge (or, for a dry run, that would be) or by a resident's erasure
    (bot/team/erasure.py; it keeps the web session, so `web_sessions` stays 0 there)."""

    questions: int = 0
    feedback: int = 0
    group_members: int = 0
    inbox: int = 0
    outbox: int = 0
    handoffs: int = 0
    news_deliveries: int = 0
    web_sessions: int = 0
    subscriptions: int = 0
    shown_options: int = 0

    @property
    def total(self) -> int:
        return sum(self)

    def describe(self) -> str:
        """ "questions 3, feedback 1, …": every table, counts only."""
        return ", ".join(f"{name} {count}" for name, count in self._asdict().items())


# The queue's rows that are finished: a pending inbox row waits for (or is in) the worker, a pending outbox row is not
# delivered yet (it may be the very reply being written); those stay.
INBOX_FINISHED = inbox.c.status != InboxStatus.PENDING
OUTBOX_FINISHED = outbox.c.status.in_([OutboxStatus.SENT, OutboxStatus.UNDELIVERABLE])


def _plain(cutoff: _dt.datetime) -> list[tuple[str, Table, Column, ColumnElement[bool]]]:
    """The tables without children: (report field, table, key column, what goes)."""
    return [
        ("inbox", inbox, inbox.c.id, (inbox.c.received_at < cutoff) & INBOX_FINISHED),
        ("outbox", outbox, outbox.c.id, (outbox.c.created_at < cutoff) & OUTBOX_FINISHED),
        (
            "handoffs",
            handoffs,
            handoffs.c.id,
            (handoffs.c.updated_at < cutoff) & (handoffs.c.status == HandoffStatus.RELEASED),
        ),
        ("news_deliveries", news_deliveries, news_deliveries.c.id, news_deliveries.c.at < cutoff),
        ("web_sessions", web_sessions, web_sessions.c.token_hash, web_sessions.c.last_seen < cutoff),
        (
            "subscriptions",
            subscriptions,
            subscriptions.c.conversation_id,
            (subscriptions.c.updated_at < cutoff) & subscriptions.c.active.is_(False),
        ),
        ("shown_options", shown_options, shown_options.c.conversation_id, shown_options.c.updated_at < cutoff),
    ]


def _count(conn: Connection, table: Table, where: ColumnElement[bool]) -> int:
    return conn.execute(select(func.count()).select_from(table).where(where)).scalar_one()


def delete_questions(store: Store, which: ColumnElement[bool], batch: int = BATCH) -> dict[str, int]:
    """Delete the questions `which` selects with their `feedback` and `group_members` rows (children first), `batch`
    questions per transaction; the counts per table. Shared with bot/team/erasure.py."""
    counts = {"questions": 0, "feedback": 0, "group_members": 0}
    while True:
        with store.engine.begin() as conn:
            # FOR UPDATE (PostgreSQL; SQLite locks the whole file): no feedback can be added to these meanwhile
            ids = list(conn.execute(select(questions.c.id).where(which).limit(batch).with_for_update()).scalars())
            if not ids:
                return counts
            counts["feedback"] += conn.execute(delete(feedback).where(feedback.c.question_id.in_(ids))).rowcount
            counts["group_members"] += conn.execute(
                delete(group_members).where(group_members.c.question_id.in_(ids))
            ).rowcount
            counts["questions"] += conn.execute(delete(questions).where(questions.c.id.in_(ids))).rowcount


def delete_rows(store: Store, table: Table, key: Column, where: ColumnElement[bool], batch: int = BATCH) -> int:
    """Delete the rows of `table` that `where` selects, `batch` keys per transaction; how many went."""
    deleted = 0
    while True:
        with store.engine.begin() as conn:
            keys = list(conn.execute(select(key).where(where).limit(batch)).scalars())
            if not keys:
                return deleted
            deleted += conn.execute(delete(table).where(key.in_(keys))).rowcount


def purge(
    store: Store,
    older_than_days: int,
    now: _dt.datetime | None = None,
    *,
    dry_run: bool = False,
    actor: str = CLI,
    batch: int = BATCH,
) -> DeletedRows:
    """Delete residents' data older than `older_than_days` (see the module's docstring); with `dry_run` only count
    it. A real purge records one audit-log entry as `actor`, with the counts."""
    if older_than_days <= 0:
        raise ValueError("older_than_days must be positive")
    cutoff = (now or utcnow()) - _dt.timedelta(days=older_than_days)
    plain = _plain(cutoff)
    if dry_run:
        old = questions.c.asked_at < cutoff
        with store.engine.connect() as conn:
            found = {name: _count(conn, table, where) for name, table, _, where in plain}
            found["questions"] = _count(conn, questions, old)
            for name, child in (("feedback", feedback), ("group_members", group_members)):
                found[name] = _count(conn, child, child.c.question_id.in_(select(questions.c.id).where(old)))
        return DeletedRows(**found)
    found = delete_questions(store, questions.c.asked_at < cutoff, batch)
    for name, table, key, where in plain:
        found[name] = delete_rows(store, table, key, where, batch)
    report = DeletedRows(**found)
    AuditLog(store).record(actor, AuditAction.DATA_PURGED, f"older than {older_than_days} days", report.describe())
    return report
