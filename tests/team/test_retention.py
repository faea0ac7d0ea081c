"""Retention (bot/team/retention.py): residents' data older than the period goes, newer data and what is never
residents' data stays, children before parents, one audit entry with counts only; on SQLite and PostgreSQL, and
through `trolyso purge [--dry-run]`."""

from __future__ import annotations

import datetime as _dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from bot.status import AuditAction, GroupStatus, HandoffStatus, InboxStatus, OutboxStatus
from bot.store import Store
from bot.store.schema import (
    feedback,
    group_members,
    handoffs,
    inbox,
    news,
    news_deliveries,
    outbox,
    question_groups,
    questions,
    shown_options,
    subscriptions,
    users,
    web_sessions,
)
from bot.team.audit import AuditLog
from bot.team.groups import QuestionGroups
from bot.team.retention import DeletedRows, purge
from tests import pg

ROOT = Path(__file__).resolve().parents[2]
NOW = _dt.datetime(2025, 6, 1, 8, 0, tzinfo=_dt.UTC)
EXPECTED = DeletedRows(
    questions=2,
    feedback=1,
    group_members=1,
    inbox=2,
    outbox=2,
    handoffs=1,
    news_deliveries=1,
    web_sessions=1,
    subscriptions=1,
    shown_options=1,
)


def seed(store: Store, now: _dt.datetime = NOW) -> dict[str, int]:
    """Old (400 days before `now`) and new (10 days) rows in every table the purge touches (and some it must not)."""
    OLD, NEW = now - _dt.timedelta(days=400), now - _dt.timedelta(days=10)  # noqa: N806
    ids: dict[str, int] = {}
    with store.engine.begin() as conn:

        def add(table, **values) -> int:
            key = conn.execute(insert(table).values(**values)).inserted_primary_key
            return key[0] if key else 0

        def question(at, text) -> int:
            return add(
                questions,
                asked_at=at,
                channel="web",
                user_hash="h",
                text=text,
                answered=False,
                reason="no_match",
                score=0.1,
                sources="[]",
            )

        ids["old_grouped"] = question(OLD, "câu hỏi cũ trong nhóm")
        ids["old_alone"] = question(OLD, "câu hỏi cũ một mình")
        ids["new"] = question(NEW, "câu hỏi mới trong nhóm")
        for qid in (ids["old_grouped"], ids["new"]):
            add(feedback, question_id=qid, given_at=OLD if qid != ids["new"] else NEW, helpful=False, answer="đáp")
        ids["group"] = add(
            question_groups,
            status=GroupStatus.OPEN,
            label="câu hỏi cũ trong nhóm",
            centroid=b"\0" * 8,
            terms="{}",
            size=2,
            created_at=OLD,
            last_asked=NEW,
        )
        for qid in (ids["old_grouped"], ids["new"]):
            add(group_members, question_id=qid, group_id=ids["group"], conversation_id="web:a", similarity=0.9)
        for n, (at, status) in enumerate(
            [(OLD, InboxStatus.DONE), (OLD, InboxStatus.HELD), (OLD, InboxStatus.PENDING), (NEW, InboxStatus.DONE)]
        ):
            add(
                inbox,
                channel="web",
                platform_id=f"p{n}",
                conversation_id="web:a",
                recipient="a",
                text="xin chào",
                received_at=at,
                status=status,
                next_try_at=at,
            )
        for at, status in [
            (OLD, OutboxStatus.SENT),
            (OLD, OutboxStatus.UNDELIVERABLE),
            (OLD, OutboxStatus.PENDING),
            (NEW, OutboxStatus.SENT),
        ]:
            add(
                outbox,
                channel="web",
                conversation_id="web:a",
                recipient="a",
                text="dạ",
                created_at=at,
                status=status,
                next_try_at=at,
            )
        for at, status in [(OLD, HandoffStatus.RELEASED), (OLD, HandoffStatus.TAKEN), (NEW, HandoffStatus.RELEASED)]:
            add(
                handoffs,
                requested_at=at,
                conversation_id="web:a",
                channel="web",
                user_hash="h",
                status=status,
                updated_at=at,
            )
        ids["news"] = add(
            news,
            title="Tin",
            body="Nội dung",
            kind="activity",
            author="lan",
            created_at=OLD,
            updated_at=OLD,
            status="sent",
        )
        for n, at in enumerate([OLD, NEW]):
            add(news_deliveries, news_id=ids["news"], conversation_id=f"web:{n}", channel="web", status="queued", at=at)
            add(web_sessions, token_hash=f"t{n}", conversation_id=f"web:{n}", created_at=at, last_seen=at)
            add(shown_options, conversation_id=f"web:{n}", options="[]", updated_at=at)
        for cid, active, at in [("zalo-oa:1", False, OLD), ("zalo-oa:2", True, OLD), ("zalo-oa:3", False, NEW)]:
            add(subscriptions, conversation_id=cid, channel="zalo-oa", user_hash="h", active=active, updated_at=at)
        add(users, username="lan.team", role="team", password_hash="x", active=True, created_at=OLD)
    return ids


def counts(store: Store) -> dict[str, int]:
    tables = [questions, feedback, group_members, question_groups, inbox, outbox, handoffs, news, news_deliveries]
    tables += [web_sessions, subscriptions, shown_options, users]
    with store.engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in tables}


def check_purged(store: Store, ids: dict[str, int], report: DeletedRows) -> None:
    assert report == EXPECTED and report.total == 13
    assert counts(store) == {
        "questions": 1,
        "feedback": 1,
        "group_members": 1,
        "question_groups": 1,
        "inbox": 2,  # the new one and the old one still pending
        "outbox": 2,
        "handoffs": 2,  # the new one and the old one still taken
        "news": 1,
        "news_deliveries": 1,
        "web_sessions": 1,
        "subscriptions": 2,  # the new inactive one and the old active one
        "shown_options": 1,
        "users": 1,
    }
    with store.engine.connect() as conn:
        assert list(conn.execute(select(questions.c.id)).scalars()) == [ids["new"]]
        assert list(conn.execute(select(feedback.c.question_id)).scalars()) == [ids["new"]]
        assert {r.status for r in conn.execute(select(handoffs.c.status))} == {"taken", "released"}
        active = conn.execute(select(subscriptions.c.conversation_id).order_by(subscriptions.c.conversation_id))
        assert list(active.scalars()) == ["zalo-oa:2", "zalo-oa:3"]
    listed = QuestionGroups(store).groups()
    assert [g.id for g in listed] == [ids["group"]]  # the group stays on the work list, its size unchanged
    group = QuestionGroups(store).group(ids["group"])
    assert group is not None and group.size == 2 and [e for e in group.examples] == ["câu hỏi mới trong nhóm"]
    [entry] = AuditLog(store).recent()
    assert entry.action == AuditAction.DATA_PURGED and entry.target == "older than 365 days"
    assert entry.detail == report.describe() and "questions 2, feedback 1" in entry.detail
    assert "câu hỏi" not in entry.detail


def test_purge_deletes_only_what_is_past_the_period(store):
    ids = seed(store)
    before = counts(store)
    assert purge(store, 365, now=NOW, dry_run=True) == EXPECTED
    assert counts(store) == before and AuditLog(store).count() == 0  # a dry run deletes and records nothing
    check_purged(store, ids, purge(store, 365, now=NOW, batch=1))  # one row per transaction: the batches loop
    assert purge(store, 365, now=NOW) == DeletedRows()  # again: nothing left to delete
    assert AuditLog(store).count() == 2


def test_a_longer_period_keeps_everything(store):
    seed(store)
    before = counts(store)
    assert purge(store, 500, now=NOW) == DeletedRows()
    assert counts(store) == before
    with pytest.raises(ValueError):
        purge(store, 0, now=NOW)


@pytest.mark.process
@pytest.mark.skipif(
    not pg.available() and os.environ.get("TROLYSO_E2E") != "1",
    reason="PostgreSQL server binaries are installed by `make test` (make postgres)",
)
def test_purge_on_postgresql():
    server = pg.PostgresServer().start()
    try:
        store = Store(server.url)
        ids = seed(store)
        assert purge(store, 365, now=NOW, dry_run=True) == EXPECTED
        check_purged(store, ids, purge(store, 365, now=NOW, batch=2))
        store.engine.dispose()
    finally:
        server.stop()


@pytest.mark.process
def test_the_purge_command_dry_run_deletes_nothing(tmp_path):
    env = {**os.environ, "TROLYSO_DATA_DIR": str(tmp_path), "PYTHONPATH": str(ROOT), "TROLYSO_RETENTION_DAYS": "30"}
    env.pop("TROLYSO_DATABASE_URL", None)
    store = Store(f"sqlite:///{tmp_path / 'trolyso.db'}")
    seed(store, now=_dt.datetime.now(_dt.UTC))
    before = counts(store)

    def trolyso(*args: str) -> subprocess.CompletedProcess:
        run = [sys.executable, "-m", "bot.cli", "purge", *args]
        return subprocess.run(run, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)

    by_setting = trolyso("--dry-run")  # TROLYSO_RETENTION_DAYS=30: the "new" rows (10 days old) stay
    assert by_setting.returncode == 0, by_setting.stderr
    assert "would delete (older than 30 days): questions 2, feedback 1, group_members 1, inbox 2" in by_setting.stdout
    dry = trolyso("--dry-run", "--days", "365")
    assert dry.returncode == 0, dry.stderr
    assert "would delete (older than 365 days): questions 2, feedback 1, group_members 1, inbox 2" in dry.stdout
    assert counts(store) == before and AuditLog(store).count() == 0
    done = trolyso("--days", "5")  # the "new" rows (10 days old) go too
    assert done.returncode == 0, done.stderr
    assert "deleted (older than 5 days): questions 3, feedback 2, group_members 2" in done.stdout
    assert counts(store)["questions"] == 0 and counts(store)["inbox"] == 1  # the pending message stays
    [entry] = AuditLog(store).recent()
    assert entry.username == "cli" and entry.action == AuditAction.DATA_PURGED
    assert trolyso("--days", "0").returncode == 2  # a usage error
