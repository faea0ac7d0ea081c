"""The actions in-process, with rasa-sdk's own Tracker and CollectingDispatcher (the same actions run end to end
through the real Rasa and action servers in tests/e2e/test_dialogue_e2e.py): what the resident reads, which
buttons, which slots, and what is stored for the team."""

from __future__ import annotations

import asyncio
import os

import pytest

os.environ.setdefault("TROLYSO_ACTIONS_WARM", "0")

from rasa_sdk import Tracker  # noqa: E402
from rasa_sdk.events import SlotSet  # noqa: E402
from rasa_sdk.executor import CollectingDispatcher  # noqa: E402

import actions.guided  # noqa: E402
import actions.knowledge  # noqa: E402
import actions.people  # noqa: E402
from actions.runtime import Services  # noqa: E402
from bot.app import App  # noqa: E402
from bot.team.groups import QuestionGroups  # noqa: E402

pytestmark = pytest.mark.model


def tracker(
    text: str,
    intent: str = "ask_question",
    slots: dict | None = None,
    entities: list | None = None,
    channel: str = "zalo-oa",
    sender: str = "zalo-oa:123",
) -> Tracker:
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.99},
        "entities": entities or [],
        "metadata": {"channel": channel},
    }
    return Tracker(sender, slots or {}, latest, [], False, None, {}, channel)


def run(action, t: Tracker) -> tuple[list[dict], list]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, {}))
    return dispatcher.messages, events


@pytest.fixture
def services(settings, engine, store, monkeypatch):
    """The action server's parts over this test's store; every action module sees them."""
    s = Services(App(settings).provide(store=store, engine=engine))
    for module in (actions.knowledge, actions.people, actions.guided):
        monkeypatch.setattr(module, "services", s)
    return s


def titles(message: dict) -> list[str]:
    return [b["title"] for b in message.get("buttons") or []]


def slot(events: list, name: str):
    return next((e["value"] for e in events if e.get("event") == "slot" and e.get("name") == name), None)


def test_a_knowledge_answer_with_its_source_feedback_buttons_and_the_stored_question(services, store):
    [message], events = run(actions.knowledge.ActionKnowledgeAnswer(), tracker("vneid muc 2 dang ky o dau"))
    assert "Nguồn:" in message["text"]
    assert titles(message) == ["Hữu ích", "Chưa đúng", "Về menu"]
    stored = store.question(int(slot(events, "last_question_id")))
    assert stored is not None and stored.answered and stored.channel == "zalo-oa"
    assert slot(events, "last_answer") == message["text"]


def test_an_unanswerable_question_is_refused_offers_a_person_and_joins_a_group(services, store):
    [message], events = run(
        actions.knowledge.ActionKnowledgeAnswer(), tracker("Mật khẩu wifi ở trụ sở UBND xã là gì ạ? Số tôi 0987654321")
    )
    assert message["text"].startswith("Dạ,") and titles(message) == ["Gặp cán bộ", "Về menu"]
    [row] = store.unanswered()
    assert "0987654321" not in row.text
    assert [g.size for g in QuestionGroups(store).groups("open")] == [1]
    assert slot(events, "last_answer") is None


def test_a_broken_engine_still_gets_the_resident_a_reply(services, monkeypatch):
    def broken(question):
        raise RuntimeError("index unreadable")

    monkeypatch.setattr(services.engine, "ask", broken)
    [message], events = run(actions.knowledge.ActionKnowledgeAnswer(), tracker("dvc la gi"))
    assert message["text"] == actions.knowledge.ENGINE_FAILED and "Gặp cán bộ" in titles(message)
    assert events == []


def test_feedback_is_stored_against_the_answer_the_resident_read(services, store):
    _, events = run(actions.knowledge.ActionKnowledgeAnswer(), tracker("Nghị quyết 57 là gì"))
    qid, answer = slot(events, "last_question_id"), slot(events, "last_answer")
    [message], _ = run(
        actions.knowledge.ActionFeedback(),
        tracker("/feedback_bad", "feedback_bad", slots={"last_question_id": qid, "last_answer": answer}),
    )
    assert "Gặp cán bộ" in titles(message)
    [row] = store.feedback_rows(helpful=False)
    assert row["question_id"] == int(qid) and row["answer"] == answer


def test_a_handoff_is_queued_once_for_the_team(services, store):
    first, events = run(actions.people.ActionHandoff(), tracker("/human_handoff", "human_handoff"))
    again, _ = run(actions.people.ActionHandoff(), tracker("/human_handoff", "human_handoff"))
    assert "đã báo Tổ công nghệ số cộng đồng" in first[0]["text"]
    assert "đã được ghi nhận" in again[0]["text"]
    assert [h["conversation_id"] for h in store.handoffs("waiting")] == ["zalo-oa:123"]
    assert SlotSet("guide_task", None) in events and SlotSet("requested_slot", None) in events  # any form ends


def test_choosing_a_task_starts_its_guide_at_step_one(services):
    messages, events = run(
        actions.guided.ActionGuideChoose(),
        tracker('/choose{"task": "nop-ho-so"}', "choose", entities=[{"entity": "task", "value": "nop-ho-so"}]),
    )
    assert messages and messages[-1]["text"].startswith("Bước 1/")
    assert slot(events, "step") in (1, 1.0) and slot(events, "guide")
