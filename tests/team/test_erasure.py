"""A resident's own erasure (bot/team/erasure.py): every row of theirs goes from every resident table, other residents'
rows stay, the queue's pending rows stay (the message being answered and the reply confirming the erasure), and the
audit log says who and how many, never what; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as _dt
import os

import pytest
from sqlalchemy import func, insert, select

from bot.status import AuditAction, GroupStatus, HandoffStatus, InboxStatus, OutboxStatus
from bot.store import Store
from bot.store.schema import (
    audit_log,
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
    web_sessions,
)
from bot.team.audit import AuditLog
from bot.team.erasure import ERASED, erase_resident
from bot.team.retention import DeletedRows
from bot.text import hash_user_id
from tests import pg

NOW = _dt.datetime(2025, 6, 1, 8, 0, tzinfo=_dt.UTC)
ME, OTHER = "zalo-oa:8841200", "telegram:5550001"
SECRET = "nhà tôi ở thôn 3, số 0987654321"  # what the resident wrote: must never reach the audit log
RESIDENT_TABLES = [questions, feedback, group_members, inbox, outbox, handoffs, news_deliveries, subscriptions]
RESIDENT_TABLES += [shown_options, web_sessions]
EXPECTED = DeletedRows(
    questions=2,
    feedback=1,
    group_members=1,
    inbox=2,  # done and held; the pending one stays
    outbox=2,  # sent and undeliverable; the pending one (the confirmation being sent) stays
    handoffs=2,  # released and waiting; a taken one stays
    news_deliveries=1,
    subscriptions=1,
    shown_options=1,
)


def seed(store: Store) -> dict[str, int]:
    """The same rows for two residents in every table that holds residents' data."""
    ids: dict[str, int] = {}
    with store.engine.begin() as conn:

        def add(table, **values) -> int:
            key = conn.execute(insert(table).values(**values)).inserted_primary_key
            return key[0] if key else 0

        ids["group"] = add(
            question_groups,
            status=GroupStatus.OPEN,
            label="xã có wifi miễn phí không",
            centroid=b"\0" * 8,
            terms="{}",
            size=4,
            created_at=NOW,
            last_asked=NOW,
        )
        ids["news"] = add(
            news,
            title="Tin",
            body="Nội dung",
            kind="activity",
            author="lan",
            created_at=NOW,
            updated_at=NOW,
            status="sent",
        )
        for who in (ME, OTHER):
            channel = who.split(":")[0]
            for n, text in enumerate((SECRET, "xã có wifi miễn phí không")):
                qid = add(
                    questions,
                    asked_at=NOW,
                    channel=channel,
                    user_hash=store_hash(store, who),
                    text=text,
                    answered=n == 0,
                    reason="answered" if n == 0 else "no_match",
                    score=0.5,
                    sources="[]",
                )
                ids[f"{who}:q{n}"] = qid
                if n == 0:
                    add(feedback, question_id=qid, given_at=NOW, helpful=False, answer="đáp")
                else:
                    add(group_members, question_id=qid, group_id=ids["group"], conversation_id=who, similarity=0.9)
            for n, status in enumerate([InboxStatus.DONE, InboxStatus.HELD, InboxStatus.PENDING]):
                add(
                    inbox,
                    channel=channel,
                    platform_id=f"{who}-{n}",
                    conversation_id=who,
                    recipient=who.split(":")[1],
                    text=SECRET,
                    received_at=NOW,
                    status=status,
                    next_try_at=NOW,
                )
            for status in [OutboxStatus.SENT, OutboxStatus.UNDELIVERABLE, OutboxStatus.PENDING]:
                ids[f"{who}:out:{status}"] = add(
                    outbox,
                    channel=channel,
                    conversation_id=who,
                    recipient=who.split(":")[1],
                    text="Dạ, em đã xoá dữ liệu" if status == OutboxStatus.PENDING else "dạ",
                    created_at=NOW,
                    status=status,
                    next_try_at=NOW,
                )
            for status in [HandoffStatus.RELEASED, HandoffStatus.WAITING, HandoffStatus.TAKEN]:
                add(
                    handoffs,
                    requested_at=NOW,
                    conversation_id=who,
                    channel=channel,
                    user_hash=store_hash(store, who),
                    status=status,
                    context=SECRET,
                    updated_at=NOW,
                )
            add(news_deliveries, news_id=ids["news"], conversation_id=who, channel=channel, status="queued", at=NOW)
            add(subscriptions, conversation_id=who, channel=channel, user_hash="h", active=True, updated_at=NOW)
            add(shown_options, conversation_id=who, options="[]", updated_at=NOW)
        add(web_sessions, token_hash="t1", conversation_id="web:abc", created_at=NOW, last_seen=NOW)
    return ids


def store_hash(store: Store, conversation_id: str) -> str:
    return hash_user_id(conversation_id, store.user_salt)


def rows_of(store: Store, conversation_id: str) -> dict[str, int]:
    """Rows per table that belong to one conversation (by its id, or by its hash for the questions)."""
    user_hash = store_hash(store, conversation_id)
    mine = {
        "questions": questions.c.user_hash == user_hash,
        "feedback": feedback.c.question_id.in_(select(questions.c.id).where(questions.c.user_hash == user_hash)),
        "group_members": group_members.c.conversation_id == conversation_id,
    }
    found = {}
    with store.engine.connect() as conn:
        for table in RESIDENT_TABLES:
            where = mine.get(table.name, table.c.get("conversation_id") == conversation_id)
            found[table.name] = conn.execute(select(func.count()).select_from(table).where(where)).scalar_one()
    return found


def check_erased(store: Store, ids: dict[str, int], report: DeletedRows, before_other: dict[str, int]) -> None:
    assert report == EXPECTED and report.total == 13
    assert rows_of(store, OTHER) == before_other  # the other resident keeps everything
    left = rows_of(store, ME)
    assert left == {
        "questions": 0,
        "feedback": 0,
        "group_members": 0,
        "inbox": 1,  # the message being answered right now
        "outbox": 1,  # the reply confirming the erasure, not sent yet
        "handoffs": 1,  # taken by a team member
        "news_deliveries": 0,
        "subscriptions": 0,
        "shown_options": 0,
        "web_sessions": 0,
    }
    with store.engine.connect() as conn:
        pending = conn.execute(select(outbox.c.id, outbox.c.status).where(outbox.c.conversation_id == ME)).one()
        assert pending.id == ids[f"{ME}:out:{OutboxStatus.PENDING}"] and pending.status == OutboxStatus.PENDING
        assert conn.execute(select(inbox.c.status).where(inbox.c.conversation_id == ME)).scalar_one() == "pending"
        assert conn.execute(select(handoffs.c.status).where(handoffs.c.conversation_id == ME)).scalar_one() == "taken"
        assert conn.execute(select(func.count()).select_from(web_sessions)).scalar_one() == 1
        group = conn.execute(select(question_groups.c.size).where(question_groups.c.id == ids["group"])).scalar_one()
        assert group == 4  # the group's size counts every question ever asked in it, as after the retention purge
    [entry] = AuditLog(store).recent()
    assert entry.action == AuditAction.RESIDENT_ERASED and entry.username == "resident:zalo-oa"
    assert entry.target == store_hash(store, ME) and "8841200" not in entry.target + entry.detail
    assert entry.detail == report.describe() and entry.detail.startswith("questions 2, feedback 1, group_members 1")
    with store.engine.connect() as conn:
        logged = " ".join(" ".join(map(str, r)) for r in conn.execute(select(audit_log)))
    assert "thôn" not in logged and "0987654321" not in logged and "wifi" not in logged


def test_erasure_deletes_the_residents_rows_and_nothing_else(store):
    ids = seed(store)
    other = rows_of(store, OTHER)
    assert other["questions"] == 2 and other["inbox"] == 3
    check_erased(store, ids, erase_resident(store, ME, channel="zalo-oa", batch=1), other)  # batches of one row
    assert erase_resident(store, ME, channel="zalo-oa") == DeletedRows()  # again: nothing left to delete
    assert AuditLog(store).count() == 2
    with pytest.raises(ValueError):
        erase_resident(store, "", channel="web")


def test_questions_are_found_by_the_salted_hash_the_store_wrote(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'salted.db'}", user_salt="muối-riêng")
    store.record_question("câu hỏi", channel="telegram", user_id=OTHER, answered=False, reason="no_match", score=0.1)
    store.set_subscription(OTHER, channel="telegram", active=True)
    store.request_handoff(OTHER, channel="telegram", context="")
    report = erase_resident(store, OTHER, channel="telegram")
    assert (report.questions, report.subscriptions, report.handoffs) == (1, 1, 1)
    assert store.count_questions() == 0 and store.subscribers() == [] and store.handoffs() == []


def test_the_newest_reply_stays_as_a_marker_so_web_chat_ids_never_go_back(store):
    """The web chat asks for the replies after the last id it saw; SQLite would give the next row a deleted id."""

    def reply(text: str, status: str = OutboxStatus.SENT) -> int:
        values = {"channel": "web", "conversation_id": "web:abc", "recipient": "abc", "text": text, "buttons": "[]"}
        with store.engine.begin() as conn:
            result = conn.execute(insert(outbox).values(**values, created_at=NOW, status=status, next_try_at=NOW))
            return result.inserted_primary_key[0]

    reply("Dạ, nghị quyết 57 là …")
    seen = reply("Dạ, anh/chị muốn xoá …")  # the last id the widget saw
    assert erase_resident(store, "web:abc", channel="web").outbox == 1
    with store.engine.connect() as conn:
        [kept] = conn.execute(select(outbox.c.id, outbox.c.text, outbox.c.buttons)).all()
    assert tuple(kept) == (seen, ERASED, "[]")
    assert reply("Dạ, em đã xoá …", OutboxStatus.PENDING) > seen  # the confirmation is after what the widget saw


@pytest.mark.process
@pytest.mark.skipif(
    not pg.available() and os.environ.get("TROLYSO_E2E") != "1",
    reason="PostgreSQL server binaries are installed by `make test` (make postgres)",
)
def test_erasure_on_postgresql():
    server = pg.PostgresServer().start()
    try:
        store = Store(server.url)
        ids = seed(store)
        other = rows_of(store, OTHER)
        check_erased(store, ids, erase_resident(store, ME, channel="zalo-oa", batch=2), other)
        store.engine.dispose()
    finally:
        server.stop()
