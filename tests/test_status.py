"""bot.status: every stored status fits its column, behaves as its plain string, and has the Vietnamese name the
console shows for it."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Column, String, select

from bot.console.handoffs import WHO
from bot.labels import CHANNEL_POST_NAMES, REASON_NAMES, STATUS_NAMES
from bot.status import (
    AuditAction,
    ChannelPost,
    DeliveryStatus,
    GroupStatus,
    HandoffStatus,
    InboxStatus,
    NewsStatus,
    Origin,
    OutboxStatus,
    Reason,
    Role,
)
from bot.store import Store
from bot.store.schema import (
    audit_log,
    handoffs,
    inbox,
    news,
    news_deliveries,
    outbox,
    question_groups,
    questions,
    users,
)
from bot.team.desk import RESIDENT

COLUMNS: list[tuple[type, Column]] = [
    (HandoffStatus, handoffs.c.status),
    (GroupStatus, question_groups.c.status),
    (NewsStatus, news.c.status),
    (ChannelPost, news.c.channel_status),
    (DeliveryStatus, news_deliveries.c.status),
    (InboxStatus, inbox.c.status),
    (OutboxStatus, outbox.c.status),
    (Origin, outbox.c.origin),
    (Reason, questions.c.reason),
    (Role, users.c.role),
    (AuditAction, audit_log.c.action),
]


@pytest.mark.parametrize(("enum", "column"), COLUMNS, ids=[e.__name__ for e, _ in COLUMNS])
def test_every_value_fits_its_column(enum, column):
    assert isinstance(column.type, String) and column.type.length
    too_long = [m.value for m in enum if len(m.value) > column.type.length]
    assert not too_long, f"{column} is String({column.type.length})"


def test_members_are_their_plain_strings():
    assert Reason.NO_MATCH == "no_match" and f"{Reason.NO_MATCH}" == "no_match" and str(Origin.TEAM) == "team"
    assert json.dumps({"reason": Reason.OUT_OF_SCOPE}) == '{"reason": "out_of_scope"}'
    assert {"open": 1}[GroupStatus.OPEN] == 1 and STATUS_NAMES["open"] == STATUS_NAMES[GroupStatus.OPEN]
    assert ChannelPost.NONE == "" and not ChannelPost.NONE


def test_stored_values_are_unchanged(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'status.db'}")
    store.record_question("vneid là gì", channel="web", user_id="u", answered=False, reason=Reason.NO_MATCH, score=0)
    hid, created = store.request_handoff("web:u", channel="web")
    store.take_handoff(hid, "lan.team")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT reason FROM questions").scalar_one() == "no_match"
        assert conn.exec_driver_sql("SELECT status FROM handoffs").scalar_one() == "taken"
        assert conn.execute(select(handoffs.c.status)).scalar_one() == HandoffStatus.TAKEN
    assert created and type(store.handoff(hid)["status"]) is str
    store.engine.dispose()


def test_the_console_names_every_status_it_shows():
    assert set(STATUS_NAMES) == set(GroupStatus)  # question groups: tabs, reports, CSV
    assert set(REASON_NAMES) == set(Reason) - {Reason.ANSWERED}  # why a question was not answered
    assert set(CHANNEL_POST_NAMES) == set(ChannelPost)  # the news list's Telegram column
    assert set(WHO) == set(Origin) | {RESIDENT}  # who wrote each message of a hand-off's conversation
    for names in (STATUS_NAMES, REASON_NAMES, WHO):
        assert all(name.strip() for name in names.values())
    assert all(CHANNEL_POST_NAMES[m].strip() for m in ChannelPost if m is not ChannelPost.NONE)
