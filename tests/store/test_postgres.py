"""The one data layer on a real PostgreSQL server (the scale-out option): the store, the gateway's queue and
the Zalo OA token manager (advisory lock) behave as on SQLite."""

from __future__ import annotations

import asyncio
import os

import httpx
import pytest

from tests import pg

pytestmark = pytest.mark.skipif(
    not pg.available() and os.environ.get("TROLYSO_E2E") != "1",
    reason="PostgreSQL server binaries are installed by `make test` (make postgres)",
)


@pytest.fixture(scope="module")
def pg_url():
    server = pg.PostgresServer().start()
    yield server.url
    server.stop()


def test_store_on_postgresql(pg_url):
    from bot.store import Store

    store = Store(pg_url)
    qid = store.record_question(
        "số 0912345678 hỏi về VNeID",
        channel="zalo-oa",
        user_id="u1",
        answered=True,
        reason="answered",
        score=0.9,
        sources=[{"title": "VNeID"}],
    )
    assert store.question(qid).text == "số ********78 hỏi về VNeID"
    store.record_feedback(qid, False, "câu trả lời")
    store.record_feedback(qid, True, "câu trả lời")
    assert [f["helpful"] for f in store.feedback_rows()] == [True]
    assert store.request_handoff("zalo-oa:u1", channel="zalo-oa")[1] is True
    assert store.request_handoff("zalo-oa:u1", channel="zalo-oa")[1] is False
    assert store.set_subscription("zalo-oa:u1", channel="zalo-oa", active=True) is True
    assert [s["conversation_id"] for s in store.subscribers()] == ["zalo-oa:u1"]


def test_queue_on_postgresql(pg_url):
    from bot.store import Store
    from connectors.messages import Inbound, Part
    from connectors.queue import MessageQueue

    queue = MessageQueue(Store(pg_url))
    first, new = queue.accept(Inbound("telegram", "upd-1", "42", "xin chào"))
    assert new and queue.accept(Inbound("telegram", "upd-1", "42", "xin chào")) == (None, False)
    queue.accept(Inbound("telegram", "upd-2", "42", "tin sau"))
    assert [i for i, _ in queue.ready_inbound()] == [first]  # oldest of the conversation only
    row = queue.claim_inbound(first)
    assert row is not None and queue.claim_inbound(first) is None  # leased
    queue.complete(row, [Part("Đáp", [{"title": "A", "payload": "/a"}])], options=[{"title": "A", "payload": "/a"}])
    assert queue.option_payload("telegram:42", "1") == "/a"
    [(out_id, _)] = queue.ready_outbound()
    out = queue.claim_outbound(out_id)
    queue.mark_sent(out)
    assert queue.counts()["outbox_sent"] == 1 and queue.counts()["inbox_done"] == 1


def test_zalo_token_refresh_on_postgresql_takes_the_advisory_lock(pg_url, tmp_path):
    from bot.store import Store
    from connectors.channels.zalo_oa import TokenManager, ZaloOAConfig
    from tests.fakes import FakeZaloOA

    with FakeZaloOA() as fake:
        cfg = ZaloOAConfig(
            app_id="app1",
            oa_secret_key="k",
            app_secret="appsecret",
            access_token="at-0",
            refresh_token="rt-0",
            api_base=fake.url,
            oauth_base=fake.url,
        )
        store = Store(pg_url)

        async def two_refreshes():
            async with httpx.AsyncClient() as http:
                a = TokenManager(store, cfg, http, tmp_path / "a")  # separate lock files: only PostgreSQL
                b = TokenManager(store, cfg, http, tmp_path / "b")  # serialises these two
                _, version = await a.access_token()
                return await asyncio.gather(a.refresh(version), b.refresh(version))

        tokens = asyncio.run(two_refreshes())
        assert fake.refresh_count == 1 and tokens[0] == tokens[1] == fake.access_token


def test_question_groups_and_handoffs_on_postgresql(pg_url):
    import datetime as _dt

    import numpy as np

    from bot.store import Store
    from bot.team.groups import Features, QuestionGroups

    store = Store(pg_url)
    groups = QuestionGroups(store)
    v = np.zeros(384, "float32")
    v[7] = 1
    ids = []
    for text, who in (("wifi ubnd pass", "web:a"), ("mat khau wifi ubnd", "telegram:b")):
        qid = store.record_question(
            text, channel=who.split(":")[0], user_id=who, answered=False, reason="no_match", score=0.0
        )
        ids.append(groups.assign(qid, Features(v, {"wifi": 1.0}), conversation_id=who))
    assert ids[0] == ids[1]
    g = groups.groups("open")[0]
    assert g.size == 2 and g.channels == {"web": 1, "telegram": 1} and len(g.examples) == 2
    groups.close(g.id, "answered", "lan.team", faq_path="faq/wifi.md", answer="Dạ …")
    groups.mark_notified(g.id, ["web:a"])
    assert groups.recipients(g.id) == ["telegram:b"]
    hid, _ = store.request_handoff("web:pg", channel="web")
    assert store.take_handoff(hid, "lan") and not store.take_handoff(hid, "minh")
    assert [r["id"] for r in store.release_stale_handoffs(_dt.timedelta(seconds=-1))] == [hid]
