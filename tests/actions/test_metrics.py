"""The action server's metrics (actions/metrics.py): the answer engine's latency histogram and its answers and
refusals per reason, counted by the knowledge action run in-process; the small metrics server `python -m actions`
starts on TROLYSO_ACTIONS_METRICS_PORT."""

from __future__ import annotations

import asyncio
import os

import pytest
import requests

os.environ.setdefault("TROLYSO_ACTIONS_WARM", "0")

from prometheus_client.parser import text_string_to_metric_families  # noqa: E402
from rasa_sdk import Tracker  # noqa: E402
from rasa_sdk.executor import CollectingDispatcher  # noqa: E402

import actions.knowledge  # noqa: E402
from actions import metrics  # noqa: E402
from actions.runtime import Services  # noqa: E402
from bot.app import App  # noqa: E402
from tests.fakes import free_port  # noqa: E402


def sample(name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


def ask(text: str) -> None:
    latest = {"text": text, "intent": {"name": "ask_question", "confidence": 0.99}, "metadata": {"channel": "web"}}
    tracker = Tracker("web:1", {}, latest, [], False, None, {}, "web")
    asyncio.run(actions.knowledge.ActionKnowledgeAnswer().run(CollectingDispatcher(), tracker, {}))


@pytest.mark.model
def test_each_question_is_timed_and_counted_by_its_reason(settings, engine, store, monkeypatch):
    monkeypatch.setattr(actions.knowledge, "services", Services(App(settings).provide(store=store, engine=engine)))
    timed = sample("trolyso_engine_seconds_count")
    answered = sample("trolyso_engine_questions_total", answered="yes", reason="answered")
    refused = sum(
        sample("trolyso_engine_questions_total", answered="no", reason=r) for r in ("no_match", "out_of_scope")
    )
    ask("vneid muc 2 dang ky o dau")
    ask("Mật khẩu wifi ở trụ sở UBND xã là gì ạ?")
    assert sample("trolyso_engine_seconds_count") == timed + 2
    assert 0 < sample("trolyso_engine_seconds_sum")
    assert sample("trolyso_engine_questions_total", answered="yes", reason="answered") == answered + 1
    assert (
        sum(sample("trolyso_engine_questions_total", answered="no", reason=r) for r in ("no_match", "out_of_scope"))
        == refused + 1
    )


def test_a_failing_engine_is_counted(settings, store, monkeypatch):
    class Broken:
        def ask(self, question):
            raise RuntimeError("index unreadable")

    monkeypatch.setattr(actions.knowledge, "services", Services(App(settings).provide(store=store, engine=Broken())))
    failures, timed = sample("trolyso_engine_failures_total"), sample("trolyso_engine_seconds_count")
    ask("dvc la gi")
    assert sample("trolyso_engine_failures_total") == failures + 1
    assert sample("trolyso_engine_seconds_count") == timed + 1


def test_the_metrics_server_on_its_own_port():
    port = free_port()
    server = metrics.serve("127.0.0.1", port)
    assert server is not None
    try:
        text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        names = {f.name for f in text_string_to_metric_families(text)}
        assert {"trolyso_engine_seconds", "trolyso_engine_questions", "process_cpu_seconds"} <= names
        assert metrics.serve("127.0.0.1", port) is None  # the port is taken: logged, the action server goes on
    finally:
        server.shutdown()
        server.server_close()
    assert metrics.serve("127.0.0.1", 0) is None  # off


def test_the_metrics_server_is_off_unless_configured(tmp_path):
    from bot.config import Settings

    assert Settings.from_env({"TROLYSO_DATA_DIR": str(tmp_path)}).actions_metrics_port == 0
    assert Settings.from_env({"TROLYSO_ACTIONS_METRICS_PORT": "0"}).actions_metrics_port == 0
    assert Settings.from_env({"TROLYSO_ACTIONS_METRICS_PORT": "9105"}).actions_metrics_port == 9105
