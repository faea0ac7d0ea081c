"""A scam story that opens the "Tôi nghi bị lừa đảo" flow (actions/guided.py `ActionStartFlow`): the flow's first
reply is the engine's plain warning and the team sees the message once as a scam alert, as when the answer engine
gets it; a story without a red flag, or a button tap, only opens the flow. Needs no embedding model."""

from __future__ import annotations

import asyncio
import os

import pytest

os.environ.setdefault("TROLYSO_ACTIONS_WARM", "0")

from rasa_sdk import Tracker  # noqa: E402
from rasa_sdk.events import SlotSet  # noqa: E402
from rasa_sdk.executor import CollectingDispatcher  # noqa: E402

import actions.guided  # noqa: E402
from actions.runtime import Services  # noqa: E402
from bot.app import App  # noqa: E402
from bot.engine.redflags import red_flags, warning  # noqa: E402
from bot.status import Reason  # noqa: E402
from bot.team.groups import QuestionGroups  # noqa: E402
from bot.team.recorder import Recorder  # noqa: E402

STORY = "Có người tự xưng công an phường gọi từ số 0912345678, bảo tôi đọc mã OTP vừa gửi về máy để xác minh"


def no_features(answer):
    raise AssertionError("an answered scam alert is never grouped")


@pytest.fixture
def services(settings, store, monkeypatch):
    """The action server's parts over this test's store: the shipped guides, the real recorder."""
    s = Services(App(settings).provide(store=store, recorder=Recorder(store, QuestionGroups(store), no_features)))
    monkeypatch.setattr(actions.guided, "services", s)
    return s


def start(text: str, intent: str = "flow_luadao", slots: dict | None = None) -> tuple[list[dict], list]:
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.99},
        "entities": [],
        "metadata": {"channel": "zalo-oa"},
    }
    tracker = Tracker("zalo-oa:77", slots or {}, latest, [], False, None, {}, "zalo-oa")
    dispatcher = CollectingDispatcher()
    events = asyncio.run(actions.guided.ActionStartFlow().run(dispatcher, tracker, {}))
    return dispatcher.messages, events


def stored(store) -> list:
    return [store.question(i) for i in range(1, store.count_questions() + 1)]


def test_a_scam_story_opening_the_flow_gets_the_warning_and_is_recorded_once(services, store):
    assert red_flags(STORY)
    messages, events = start(STORY)
    assert [m["text"] for m in messages] == [warning(red_flags(STORY))]
    assert messages[0]["text"].startswith("Dạ, đây là dấu hiệu lừa đảo. Anh/chị đừng ")
    [row] = stored(store)
    assert row.reason == Reason.SCAM_ALERT and row.answered and row.channel == "zalo-oa"
    assert "0912345678" not in row.text and "mã OTP" in row.text  # masked as every recorded question
    [guide] = services.guides.guides("luadao")
    assert [s["path"] for s in row.sources] == [guide.path]
    assert SlotSet("flow", "luadao") in events and SlotSet("guide_task", guide.task) in events  # the flow goes on


def test_a_story_switching_to_the_scam_flow_from_another_form_is_recorded_too(services, store):
    text = "nv ngan hang nhan tin bat e gui ma xac nhan cho ho de mo khoa the"
    messages, _ = start(text, slots={"flow": "dvc", "guide_task": "nop-ho-so"})
    assert len(messages) == 1 and messages[0]["text"].startswith("Dạ, đây là dấu hiệu lừa đảo.")
    assert [r.reason for r in stored(store)] == [Reason.SCAM_ALERT]


@pytest.mark.parametrize(
    "text,intent",
    [
        ("tôi nghi mình bị lừa đảo, giúp tôi với", "flow_luadao"),  # no red flag in the words: the triage asks
        ("/flow_luadao", "flow_luadao"),  # the menu button
        (STORY, "flow_dvc"),  # another flow is not the scam flow
    ],
)
def test_without_a_red_flag_in_the_scam_flow_nothing_is_said_or_recorded(services, store, text, intent):
    messages, events = start(text, intent)
    assert messages == [] and store.count_questions() == 0
    assert any(e.get("name") == "flow" for e in events)


def test_the_warning_is_given_even_when_the_store_is_down(services, store, monkeypatch):
    def down(*args, **kwargs):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(services.recorder, "record", down)
    messages, events = start(STORY)
    assert messages[0]["text"].startswith("Dạ, đây là dấu hiệu lừa đảo.") and SlotSet("flow", "luadao") in events
