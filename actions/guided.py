"""The guided flows: online public services, digital payment, VNeID level 2, "Tôi nghi bị lừa đảo".

A flow is `action_start_flow` → `guide_form` (asks for the task, then — if the guide has them — the payment
method and the triage questions) → `action_guide_begin` → steps with `action_guide_step` / `action_guide_stuck`.
Everything the resident reads comes from the guide files, through `bot.engine.guides.GuideLibrary`.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.runtime import (
    HANDOFF_BUTTON,
    MENU_BUTTON,
    button,
    channel_of,
    entity,
    intent_of,
    services,
    user_text,
)
from bot.engine.guides import FLOW_TITLES, Guide, best_label_match
from bot.engine.redflags import red_flags, warning
from bot.engine.scam import SCAM_FLOW
from bot.status import Reason
from bot.text import fold

log = logging.getLogger(__name__)

TRIAGE_SLOTS = ("triage_1", "triage_2", "triage_3")
FORM_SLOTS = ("guide_task", "pay_method", *TRIAGE_SLOTS)
YES, NO = "yes", "no"
NO_WORDS = re.compile(r"\b(khong|ko|k|kh|hong|hok|khg|chua|no|not|never)\b")
YES_WORDS = re.compile(r"\b(co|roi|r|da|dung|vang|u|uh|um|yes|ok|oke|okay|phai|bi)\b")

STEP_BUTTONS = [
    button("Tiếp theo", "next_step"),
    button("Quay lại", "previous_step"),
    button("Tôi bị vướng ở bước này", "stuck"),
    MENU_BUTTON,
]


def flow_of_intent(intent: str) -> str | None:
    flow = intent.removeprefix("flow_")
    return flow if flow in FLOW_TITLES and intent.startswith("flow_") else None


def current_guide(tracker: Tracker) -> Guide | None:
    """The guide chosen in the form (flow + task) — or, outside the form, the guide being walked through."""
    flow, task = tracker.get_slot("flow"), tracker.get_slot("guide_task")
    if flow and task:
        return services.guides.find(flow, task)
    path = tracker.get_slot("guide")
    return services.guides.get(path) if path else None


def parse_yes_no(text: str) -> str | None:
    """'có', 'rồi', 'dạ có' → yes; 'không', 'chưa', 'ko ạ' → no; anything else → None. Negation wins."""
    folded = fold(text)
    if NO_WORDS.search(folded):
        return NO
    if YES_WORDS.search(folded):
        return YES
    return None


def step_message(guide: Guide, number: int) -> str:
    step = guide.step(number)
    assert step is not None, f"{guide.path}: no step {number}"
    last = " (bước cuối)" if number == len(guide.steps) else ""
    return f"Bước {number}/{len(guide.steps)}{last}. {step.title}\n{step.text}"


def finished_message(guide: Guide) -> str:
    lines = [f"Dạ, anh/chị đã đi hết {len(guide.steps)} bước của hướng dẫn “{guide.title}”."]
    if guide.safety:
        lines.append("Lưu ý an toàn:")
        lines.extend(f"- {s}" for s in guide.safety)
    lines.append(guide.source_line)
    return "\n".join(lines)


def triage_summary(guide: Guide, answers: list[str | None]) -> tuple[str, int]:
    """What to do now, from the triage answers: the urgent steps in full, the rest as a list.
    Returns the message and the step to continue from."""
    urgent = sorted({n for t, a in zip(guide.triage, answers, strict=False) if a == YES for n in t.if_yes})
    if not urgent:
        urgent = [1]
        lines = ["Dạ, may là anh/chị chưa mất gì. Việc cần làm ngay:"]
    else:
        lines = ["Dạ, anh/chị làm ngay những việc sau:"]
    for n in urgent:
        step = guide.step(n)
        assert step is not None, f"{guide.path}: triage names a missing step {n}"
        lines.append(f"• Bước {n}. {step.title}: {step.text}")
    rest = [s for s in guide.steps if s.number not in urgent]
    if rest:
        lines.append("Các bước khác của hướng dẫn:")
        lines.extend(f"• Bước {s.number}. {s.title}" for s in rest)
    lines.append(guide.source_line)
    return "\n".join(lines), 0


def begin_events(
    guide: Guide,
    dispatcher: CollectingDispatcher,
    method_key: str | None = None,
    answers: list[str | None] | None = None,
) -> list[EventType]:
    """Show how the guide starts (triage summary, or payment-method note + step 1) and remember where we are."""
    if guide.triage and answers is not None:
        text, step = triage_summary(guide, answers)
        dispatcher.utter_message(text=text, buttons=[button("Xem từng bước", "next_step"), HANDOFF_BUTTON, MENU_BUTTON])
        return [SlotSet("guide", guide.path), SlotSet("step", float(step)), SlotSet("guide_paused", False)]
    intro = f"Dạ, em hướng dẫn anh/chị: {guide.title} ({len(guide.steps)} bước). {guide.source_line}"
    method = guide.method(method_key) if method_key else None
    if method is None and len(guide.methods) == 1:
        method = guide.methods[0]
    if method:
        intro += f"\n{method.label}: {method.text}"
    dispatcher.utter_message(text=intro)
    dispatcher.utter_message(text=step_message(guide, 1), buttons=STEP_BUTTONS)
    return [SlotSet("guide", guide.path), SlotSet("step", 1.0), SlotSet("guide_paused", False)]


def no_guide(dispatcher: CollectingDispatcher) -> list[EventType]:
    dispatcher.utter_message(
        text="Dạ, anh/chị chưa chọn hướng dẫn nào. Anh/chị chọn một việc trong menu giúp em ạ.",
        buttons=[
            button("Dịch vụ công", "flow_dvc"),
            button("Thanh toán số", "flow_thanhtoan"),
            button("VNeID mức 2", "flow_vneid"),
            button("Tôi nghi bị lừa", "flow_luadao"),
            MENU_BUTTON,
        ],
    )
    return [SlotSet("guide", None), SlotSet("step", None)]


class ActionStartFlow(Action):
    """Entering a flow: forget the previous choices; pick the task at once when the message already names one
    unambiguously ("tôi muốn trả tiền điện") or the flow has a single guide."""

    def name(self) -> str:
        return "action_start_flow"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        flow = flow_of_intent(intent_of(tracker)) or tracker.get_slot("flow") or "dvc"
        events: list[EventType] = [SlotSet(s, None) for s in FORM_SLOTS]
        events += [SlotSet("flow", flow), SlotSet("guide", None), SlotSet("step", None), SlotSet("guide_paused", False)]
        options = services.guides.guides(flow)
        picked = options[0] if len(options) == 1 else services.guides.named_in(flow, user_text(tracker))
        if picked:
            events.append(SlotSet("guide_task", picked.task))
        if flow == SCAM_FLOW:
            await scam_alert(dispatcher, tracker, picked or next(iter(options), None))
        return events


@dataclass(frozen=True)
class ScamAlert:
    """A scam story that opened the "Tôi nghi bị lừa đảo" flow, as the recorder stores it (bot/team/recorder.py
    `Judged`): answered with the warning and the scam guide, so the team sees it as the engine's alerts."""

    q: str
    sources: list[dict[str, str]] = field(default_factory=list)
    answered: bool = True
    reason: str = Reason.SCAM_ALERT
    score: float = 1.0  # a red-flag rule matched: no retrieval score


async def scam_alert(dispatcher: CollectingDispatcher, tracker: Tracker, guide: Guide | None) -> None:
    """When the message that opens (or re-opens) the scam flow shows a red flag (bot/engine/redflags.py): the flow's
    first reply is the engine's plain warning ("Dạ, đây là dấu hiệu lừa đảo. Anh/chị đừng …"), and the message is
    recorded once for the team as a scam alert. A button tap or a story without a red flag changes nothing."""
    text = " ".join(user_text(tracker).split())
    flags = red_flags(text) if text else []
    if not flags:
        return
    dispatcher.utter_message(text=warning(flags))
    alert = ScamAlert(text, [{"title": guide.title, "path": guide.path, "section": ""}] if guide else [])
    try:
        await asyncio.to_thread(services.recorder.record, alert, channel=channel_of(tracker), user_id=tracker.sender_id)
    except Exception:  # the resident still gets the warning and the flow when the store is down
        log.exception("could not record a scam alert")


class ValidateGuideForm(FormValidationAction):
    def name(self) -> str:
        return "validate_guide_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        slots = ["guide_task"]
        guide = current_guide(tracker)
        if guide is not None:
            if len(guide.methods) > 1:
                slots.append("pay_method")
            slots.extend(TRIAGE_SLOTS[: len(guide.triage)])
        return slots

    @staticmethod
    def _asked(tracker: Tracker, slot: str) -> bool:
        return tracker.get_slot("requested_slot") == slot

    async def extract_guide_task(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if not self._asked(tracker, "guide_task"):
            return {}
        choice = entity(tracker, "task") or user_text(tracker)
        guide = services.guides.find(tracker.get_slot("flow") or "", choice) if choice else None
        return {"guide_task": guide.task} if guide else {}

    async def extract_pay_method(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        guide = current_guide(tracker)
        if not self._asked(tracker, "pay_method") or guide is None:
            return {}
        key = entity(tracker, "method")
        if key and guide.method(key):
            return {"pay_method": key}
        text = user_text(tracker)
        number = re.fullmatch(r"\s*(\d)\s*", text)
        if number and 1 <= int(number.group(1)) <= len(guide.methods):
            return {"pay_method": guide.methods[int(number.group(1)) - 1].key}
        match = best_label_match(text, [(m.key, [m.label]) for m in guide.methods]) if text else None
        return {"pay_method": match} if match else {}

    async def _extract_triage(self, slot: str, tracker: Tracker) -> dict[str, Any]:
        if not self._asked(tracker, slot):
            return {}
        answer = entity(tracker, "answer") or parse_yes_no(user_text(tracker))
        return {slot: answer} if answer in (YES, NO) else {}

    async def extract_triage_1(self, dispatcher, tracker, domain):
        return await self._extract_triage("triage_1", tracker)

    async def extract_triage_2(self, dispatcher, tracker, domain):
        return await self._extract_triage("triage_2", tracker)

    async def extract_triage_3(self, dispatcher, tracker, domain):
        return await self._extract_triage("triage_3", tracker)


class ActionAskGuideTask(Action):
    def name(self) -> str:
        return "action_ask_guide_task"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        flow = tracker.get_slot("flow") or "dvc"
        options = services.guides.guides(flow)
        if not options:
            dispatcher.utter_message(
                text=f"Dạ, mục “{FLOW_TITLES.get(flow, flow)}” hiện chưa có hướng dẫn. "
                "Anh/chị có thể hỏi trực tiếp hoặc gặp cán bộ.",
                buttons=[HANDOFF_BUTTON, MENU_BUTTON],
            )
            return []
        dispatcher.utter_message(
            text=f"Dạ, về {FLOW_TITLES[flow].lower()}, anh/chị cần làm việc nào ạ?",
            buttons=[button(g.button, "choose", task=g.task) for g in options],
        )
        return []


class ActionAskPayMethod(Action):
    def name(self) -> str:
        return "action_ask_pay_method"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        guide = current_guide(tracker)
        methods = guide.methods if guide else ()
        dispatcher.utter_message(
            text="Dạ, anh/chị muốn trả bằng cách nào ạ?",
            buttons=[button(m.label, "choose", method=m.key) for m in methods],
        )
        return []


class _AskTriage(Action):
    index = 0

    def name(self) -> str:
        return f"action_ask_triage_{self.index + 1}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        guide = current_guide(tracker)
        if guide is None or len(guide.triage) <= self.index:
            return []
        dispatcher.utter_message(
            text=guide.triage[self.index].question,
            buttons=[button("Có", "choose", answer=YES), button("Chưa / Không", "choose", answer=NO)],
        )
        return []


class ActionAskTriage1(_AskTriage):
    index = 0


class ActionAskTriage2(_AskTriage):
    index = 1


class ActionAskTriage3(_AskTriage):
    index = 2


class ActionGuideBegin(Action):
    """The form is complete: start the chosen guide."""

    def name(self) -> str:
        return "action_guide_begin"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        guide = current_guide(tracker)
        if guide is None:
            return no_guide(dispatcher)
        answers = [tracker.get_slot(s) for s in TRIAGE_SLOTS[: len(guide.triage)]]
        return begin_events(guide, dispatcher, tracker.get_slot("pay_method"), answers if guide.triage else None)


class ActionGuideChoose(Action):
    """A choice button tapped when no form is asking (e.g. on an older message): start that guide directly."""

    def name(self) -> str:
        return "action_guide_choose"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        task = entity(tracker, "task")
        if task:
            guide = services.guides.by_task(task, prefer_flow=tracker.get_slot("flow"))
            if guide is not None:
                events = [SlotSet("flow", guide.flows[0]), SlotSet("guide_task", guide.task)]
                return events + begin_events(guide, dispatcher)
        guide = services.guides.get(tracker.get_slot("guide") or "")
        method = guide.method(entity(tracker, "method") or "") if guide else None
        if method:
            dispatcher.utter_message(
                text=f"{method.label}: {method.text}", buttons=[button("Tiếp tục", "resume_guide"), MENU_BUTTON]
            )
            return [SlotSet("pay_method", method.key)]
        return no_guide(dispatcher)


class ActionGuideStep(Action):
    """Tiếp theo / Quay lại / back to the guide after another question."""

    def name(self) -> str:
        return "action_guide_step"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        guide = services.guides.get(tracker.get_slot("guide") or "")
        if guide is None:
            return no_guide(dispatcher)
        current = int(tracker.get_slot("step") or 0)
        intent = intent_of(tracker)
        paused = bool(tracker.get_slot("guide_paused"))
        if intent == "resume_guide" or (intent == "next_step" and paused and current >= 1):
            target = max(current, 1)  # coming back: show the step the resident was on
        elif intent == "previous_step":
            target = max(current - 1, 1)
        else:
            target = current + 1
        if target > len(guide.steps):
            dispatcher.utter_message(
                text=finished_message(guide), buttons=[button("Quay lại", "previous_step"), HANDOFF_BUTTON, MENU_BUTTON]
            )
            return [SlotSet("step", float(len(guide.steps))), SlotSet("guide_paused", False)]
        text = step_message(guide, target)
        if intent == "previous_step" and current <= 1:
            text = "Dạ, đây là bước đầu tiên.\n" + text
        elif target == current and intent != "previous_step":
            text = "Dạ, mình tiếp tục nhé.\n" + text
        dispatcher.utter_message(text=text, buttons=STEP_BUTTONS)
        return [SlotSet("step", float(target)), SlotSet("guide_paused", False)]


class ActionGuideStuck(Action):
    """ "Tôi bị vướng ở bước này": the common problems of that step and what to do; if still stuck, a person."""

    def name(self) -> str:
        return "action_guide_stuck"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        guide = services.guides.get(tracker.get_slot("guide") or "")
        number = int(tracker.get_slot("step") or 0)
        step = guide.step(max(number, 1)) if guide is not None else None
        if step is None:
            dispatcher.utter_message(
                text="Dạ, anh/chị đang vướng ở việc gì ạ? Anh/chị mô tả ngắn giúp em, hoặc "
                "bấm “Gặp cán bộ” để Tổ công nghệ số cộng đồng hỗ trợ.",
                buttons=[HANDOFF_BUTTON, MENU_BUTTON],
            )
            return []
        if step.stuck:
            lines = [f"Dạ, ở Bước {step.number} ({step.title}) mọi người hay vướng những chỗ sau:"]
            lines.extend(f"- {item}" for item in step.stuck)
            lines.append("Nếu vẫn chưa được, em chuyển anh/chị cho cán bộ của xã ạ.")
        else:
            lines = [
                f"Dạ, Bước {step.number} ({step.title}) chưa có ghi chú vướng mắc. Anh/chị có thể xem lại "
                "bước này, hoặc để em chuyển cho cán bộ của xã hỗ trợ ạ."
            ]
        dispatcher.utter_message(
            text="\n".join(lines),
            buttons=[
                button("Đã được, tiếp theo", "next_step"),
                button("Xem lại bước này", "resume_guide"),
                button("Vẫn chưa được", "human_handoff"),
                MENU_BUTTON,
            ],
        )
        return [SlotSet("guide_paused", False)]
