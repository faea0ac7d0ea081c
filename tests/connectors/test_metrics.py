"""The gateway's /metrics in Prometheus's format (connectors/metrics.py): the gateway built by create_app under
Starlette's TestClient, with the fake Zalo OA and Rasa on 127.0.0.1; the store's gauges (queue backlog, unanswered
rate) against a store of this test's own. Who may read /metrics: tests/connectors/test_limits.py."""

from __future__ import annotations

import datetime as _dt

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import event, update
from starlette.testclient import TestClient

from bot.app import App
from bot.clock import utcnow
from bot.config import Settings
from bot.status import Origin
from bot.store.schema import inbox
from connectors.gateway import create_app
from connectors.messages import Inbound, Part
from connectors.metrics import Metrics, StoreCollector, histogram_quantile, samples
from connectors.queue import MessageQueue
from tests.connectors.test_gateway import OA_SECRET, oa_event, wait_for


def oa_settings(tmp_path, fakes) -> Settings:
    return Settings.from_env(
        {
            "TROLYSO_DATA_DIR": str(tmp_path),
            "TROLYSO_RASA_URL": fakes["rasa"].url,
            "TROLYSO_RETRY_BASE": "0.05",
            "TROLYSO_RETRY_MAX": "0.2",
            "ZALO_OA_APP_ID": "app1",
            "ZALO_OA_SECRET_KEY": OA_SECRET,
            "ZALO_APP_SECRET": "appsecret",
            "ZALO_OA_ACCESS_TOKEN": "at-0",
            "ZALO_OA_REFRESH_TOKEN": "rt-0",
            "ZALO_OA_API_BASE": fakes["oa"].url,
            "ZALO_OAUTH_BASE": fakes["oa"].url,
        }
    )


def scrape(client: TestClient) -> dict:
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    list(text_string_to_metric_families(r.text))  # the whole exposition parses
    return samples(r.text)


def value(metrics: dict, name: str, **labels: str) -> float:
    return metrics.get((name, tuple(sorted(labels.items()))), 0.0)


def replies_to(fakes, user: str) -> int:
    return len([b for b in fakes["oa"].sent() if b["recipient"]["user_id"] == user])


def post(client: TestClient, body: bytes, signature: str) -> int:
    headers = {"Content-Type": "application/json", "X-ZEvent-Signature": signature}
    return client.post("/webhooks/zalo-oa", content=body, headers=headers).status_code


def test_counters_move_as_messages_go_through_the_gateway(tmp_path, fakes):
    with TestClient(create_app(App(oa_settings(tmp_path, fakes))), client=("127.0.0.1", 40000)) as client:
        before = scrape(client)
        assert value(before, "trolyso_messages_in_total", channel="zalo-oa") == 0  # the series exists from the start
        body, signature = oa_event("u-metrics", "xin chào", msg_id="m-metrics-1")
        assert post(client, body, signature) == 200
        assert post(client, body, signature) == 200  # the platform's retry of the same message
        assert post(client, body, "0" * 64) == 401
        wait_for(lambda: replies_to(fakes, "u-metrics") == 1, what="the reply on Zalo OA")
        fakes["oa"].fail_next(1, 500)  # the next reply fails once, then goes out
        body, signature = oa_event("u-metrics", "câu thứ hai")
        assert post(client, body, signature) == 200
        wait_for(lambda: replies_to(fakes, "u-metrics") == 2, what="the retried reply on Zalo OA")
        chat = client.post("/api/chat", json={"text": "chào"}, headers={"X-Chat-Token": ""})
        assert chat.status_code == 200 and chat.json()["messages"]
        token = chat.json()["token"]
        again = client.get("/api/chat/messages", params={"after": 0}, headers={"X-Chat-Token": token})
        assert again.json()["messages"]  # the same reply fetched again: not a second reply out
        wait_for(lambda: value(scrape(client), "trolyso_messages_out_total", channel="zalo-oa", origin="bot") == 2)
        m = scrape(client)
    assert value(m, "trolyso_messages_in_total", channel="zalo-oa") == 2
    assert value(m, "trolyso_duplicates_total", channel="zalo-oa") == 1
    assert value(m, "trolyso_rejected_total", channel="zalo-oa") == 1
    assert value(m, "trolyso_delivery_failures_total", channel="zalo-oa", kind="retry") == 1
    assert value(m, "trolyso_messages_in_total", channel="web") == 1
    assert value(m, "trolyso_messages_out_total", channel="web", origin="bot") == 1
    assert value(m, "trolyso_web_conversations_total") == 1
    assert value(m, "trolyso_rasa_seconds_count") == 3  # two Zalo OA messages and one web message
    assert value(m, "trolyso_rasa_reply_seconds_count", channel="zalo-oa") == 2
    assert value(m, "trolyso_ack_seconds_count", channel="zalo-oa") == 3  # the duplicate too; not the refused one
    assert value(m, "trolyso_queue_depth", queue="inbox") == value(m, "trolyso_queue_depth", queue="outbox") == 0
    assert value(m, "trolyso_store_up") == 1
    assert 0 < value(m, "process_resident_memory_bytes")


def test_queue_depth_and_age_and_the_unanswered_rate_are_read_from_the_store(store):
    queue = MessageQueue(store)
    ids = [queue.accept(Inbound("telegram", f"p{i}", f"r{i}", "xin chào")).id for i in range(3)]
    with store.engine.begin() as conn:
        conn.execute(update(inbox).where(inbox.c.id == ids[0]).values(received_at=utcnow() - _dt.timedelta(minutes=2)))
        conn.execute(update(inbox).where(inbox.c.id == ids[2]).values(status="done"))
    queue.enqueue("telegram", "r9", [Part("tin của tổ")], Origin.TEAM)
    queue.enqueue("web", "w1", [Part("chờ khung chat lấy")], Origin.BOT)  # fetched by the widget: no backlog
    for answered, ago in ((True, 5), (False, 10), (False, 30), (False, 120)):  # the last one is outside the hour
        store.record_question(
            "câu hỏi",
            channel="telegram",
            user_id="u1",
            answered=answered,
            reason="answered" if answered else "no_match",
            score=0.5,
            when=utcnow() - _dt.timedelta(minutes=ago),
        )
    metrics = Metrics()
    metrics.watch_store(store, queue)
    m = samples(metrics.render().decode())
    assert value(m, "trolyso_queue_depth", queue="inbox") == 2
    assert 119 <= value(m, "trolyso_queue_oldest_age_seconds", queue="inbox") < 180
    assert value(m, "trolyso_queue_depth", queue="outbox") == 1
    assert 0 <= value(m, "trolyso_queue_oldest_age_seconds", queue="outbox") < 60
    assert value(m, "trolyso_questions_last_hour", answered="yes") == 1
    assert value(m, "trolyso_questions_last_hour", answered="no") == 2
    assert value(m, "trolyso_unanswered_ratio_last_hour") == pytest.approx(2 / 3)


def test_an_empty_store_and_a_broken_one(store, monkeypatch):
    queue = MessageQueue(store)
    metrics = Metrics()
    metrics.watch_store(store, queue)
    m = samples(metrics.render().decode())
    assert value(m, "trolyso_queue_depth", queue="inbox") == 0
    assert value(m, "trolyso_queue_oldest_age_seconds", queue="inbox") == 0
    assert value(m, "trolyso_unanswered_ratio_last_hour") == 0 and value(m, "trolyso_store_up") == 1

    def down():
        raise OSError("database is down")

    monkeypatch.setattr(queue, "backlog", down)
    m = samples(metrics.render().decode())  # the scrape still answers
    assert value(m, "trolyso_store_up") == 0 and ("trolyso_queue_depth", (("queue", "inbox"),)) not in m


def test_the_store_queries_use_their_indexes(store):
    """SQLite's plan for each scrape query is a search on an index, not a scan of the table."""
    statements: list[tuple[str, tuple]] = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, tuple(parameters)))

    event.listen(store.engine, "before_cursor_execute", seen)
    try:
        StoreCollector(store, MessageQueue(store)).questions_last_hour()
        MessageQueue(store).backlog()
    finally:
        event.remove(store.engine, "before_cursor_execute", seen)
    with store.engine.connect() as conn:
        plans = [
            " ".join(str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params))
            for sql, params in statements
        ]
    assert len(plans) == 3
    for plan in plans:
        assert "USING INDEX" in plan and "SCAN" not in plan, plan


def test_two_gateway_apps_keep_their_own_counters(tmp_path):
    a, b = Metrics(["telegram"]), Metrics(["telegram"])
    a.messages_in.labels("telegram").inc()
    assert value(samples(a.render().decode()), "trolyso_messages_in_total", channel="telegram") == 1
    assert value(samples(b.render().decode()), "trolyso_messages_in_total", channel="telegram") == 0


def test_a_quantile_is_read_from_the_buckets():
    metrics = Metrics()
    for seconds in [0.003] * 50 + [0.04] * 45 + [3.0] * 5:
        metrics.ack_seconds.labels("web").observe(seconds)
    text = metrics.render().decode()
    assert 0 < histogram_quantile(text, "trolyso_ack_seconds", 0.5) <= 0.005
    assert 0.025 < histogram_quantile(text, "trolyso_ack_seconds", 0.95) <= 0.05
    assert histogram_quantile(text, "trolyso_rasa_seconds", 0.5) is None


def test_a_quantile_of_one_channel_counts_only_its_buckets():
    metrics = Metrics()
    for channel, seconds in [("zalo-oa", 0.003)] * 60 + [("messenger", 3.0)] * 40:
        metrics.ack_seconds.labels(channel).observe(seconds)
    text = metrics.render().decode()
    assert histogram_quantile(text, "trolyso_ack_seconds", 0.5, channel="zalo-oa") <= 0.005
    assert histogram_quantile(text, "trolyso_ack_seconds", 0.5, channel="messenger") > 1.0
    assert histogram_quantile(text, "trolyso_ack_seconds", 0.5, channel="telegram") is None
    assert histogram_quantile(text, "trolyso_ack_seconds", 0.5) <= 0.005  # all channels together
