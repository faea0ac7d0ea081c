"""Questions outside the guided flows, answered by the answer engine; "Hữu ích" / "Chưa đúng" feedback."""

from __future__ import annotations

import asyncio
import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import metrics
from actions.runtime import (
    HANDOFF_BUTTON,
    MENU_BUTTON,
    button,
    channel_of,
    intent_of,
    services,
    user_text,
)
from bot.engine.answer import ASK_AGAIN
from bot.status import Reason

log = logging.getLogger(__name__)

ENGINE_FAILED = (
    "Dạ, em đang gặp trục trặc nên chưa trả lời được ngay. Anh/chị hỏi lại sau ít phút, hoặc bấm "
    "“Gặp cán bộ” để Tổ công nghệ số cộng đồng hỗ trợ ạ."
)


class ActionKnowledgeAnswer(Action):
    """Answer from the knowledge folder, with its source line; without a grounded answer, say so politely
    (the question is recorded for the team either way)."""

    def name(self) -> str:
        return "action_knowledge_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        question = user_text(tracker)
        in_form = bool((tracker.active_loop or {}).get("name"))
        in_guide = bool(tracker.get_slot("guide")) and not in_form
        if not question:
            dispatcher.utter_message(text=ASK_AGAIN, buttons=[MENU_BUTTON])
            return []
        try:
            with metrics.timed():
                answer = await asyncio.to_thread(services.engine.ask, question)
            metrics.count(answer.answered, answer.reason)
            question_id = await asyncio.to_thread(
                services.recorder.record, answer, channel=channel_of(tracker), user_id=tracker.sender_id
            )
        except Exception:  # the resident must get a reply even if the index or store is broken
            log.exception("answer engine failed on a question")
            metrics.FAILURES.inc()
            dispatcher.utter_message(text=ENGINE_FAILED, buttons=[HANDOFF_BUTTON, MENU_BUTTON])
            return []
        buttons = []
        if answer.answered:
            buttons = [button("Hữu ích", "feedback_good"), button("Chưa đúng", "feedback_bad")]
        elif answer.reason in (Reason.NO_MATCH, Reason.OUT_OF_SCOPE):
            buttons = [HANDOFF_BUTTON]
        if in_guide:
            buttons.append(button("Tiếp tục hướng dẫn", "resume_guide"))
        if not in_form:
            buttons.append(MENU_BUTTON)
        dispatcher.utter_message(text=answer.text, buttons=buttons)
        events: list[EventType] = [
            SlotSet("last_question_id", float(question_id) if question_id else None),
            SlotSet("last_answer", answer.text if answer.answered else None),
        ]
        if in_guide:
            events.append(SlotSet("guide_paused", True))
        return events


class ActionFeedback(Action):
    """Store the resident's verdict with the question and the answer's sources."""

    def name(self) -> str:
        return "action_feedback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        helpful = intent_of(tracker) == "feedback_good"
        question_id = tracker.get_slot("last_question_id")
        answer = tracker.get_slot("last_answer")
        stored = False
        if question_id and answer:
            try:
                await asyncio.to_thread(services.store.record_feedback, int(question_id), helpful, answer)
                stored = True
            except Exception:
                log.exception("could not store feedback")
        if helpful:
            dispatcher.utter_message(text="Dạ, cảm ơn anh/chị đã góp ý! Anh/chị cần gì thêm cứ hỏi em nhé.")
        elif stored:
            dispatcher.utter_message(
                text="Dạ, em xin lỗi vì câu trả lời chưa đúng. Em đã ghi lại câu hỏi và câu trả "
                "lời để Tổ công nghệ số cộng đồng xem và sửa. Anh/chị có muốn gặp cán bộ "
                "không ạ?",
                buttons=[HANDOFF_BUTTON, MENU_BUTTON],
            )
        else:
            dispatcher.utter_message(
                text="Dạ, em xin lỗi. Anh/chị nói rõ giúp em chỗ nào chưa đúng, hoặc bấm "
                "“Gặp cán bộ” để được hỗ trợ ạ.",
                buttons=[HANDOFF_BUTTON, MENU_BUTTON],
            )
        return []
