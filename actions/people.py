"""The menu, hand-off to the community digital technology team, and news subscriptions."""

from __future__ import annotations

import asyncio
import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.guided import FORM_SLOTS
from actions.runtime import button, channel_of, entity, intent_of, services

log = logging.getLogger(__name__)

MENU_TEXT = (
    "Em có thể hướng dẫn từng bước các việc dưới đây, hoặc anh/chị gõ câu hỏi về Nghị quyết 57, kế hoạch "
    "của xã, phong trào Bình dân học vụ số, VNeID, dịch vụ công, thanh toán số, phòng chống lừa đảo."
)
MENU_BUTTONS = [
    button("Dịch vụ công trực tuyến", "flow_dvc"),
    button("Thanh toán số", "flow_thanhtoan"),
    button("Tài khoản VNeID mức 2", "flow_vneid"),
    button("Tôi nghi bị lừa đảo", "flow_luadao"),
    button("Gặp cán bộ", "human_handoff"),
    button("Đăng ký nhận tin", "subscribe"),
    button("Quyền riêng tư", "privacy"),
]


def leave_flow() -> list[EventType]:
    return [SlotSet(s, None) for s in (*FORM_SLOTS, "flow", "guide", "step", "requested_slot")] + [
        SlotSet("guide_paused", False)
    ]


class ActionMenu(Action):
    def name(self) -> str:
        return "action_menu"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        hello = "Dạ, em chào anh/chị! Em là Trợ lý số của xã. " if intent_of(tracker) == "greet" else "Dạ. "
        dispatcher.utter_message(text=hello + MENU_TEXT, buttons=MENU_BUTTONS)
        return leave_flow()


# non_text: what the resident sent, as the reply names it (the verb a person would use for it, and the noun)
NON_TEXT_WORDS = {
    "voice": ("nghe", "tin nhắn thoại"),
    "image": ("xem", "hình ảnh"),
    "video": ("xem", "video"),
    "sticker": ("xem", "nhãn dán"),
    "file": ("mở", "tệp"),
    "location": ("xem", "vị trí"),
}
NON_TEXT_OTHER = ("đọc", "nội dung")


def non_text_message(kind: str, in_guide: bool) -> str:
    """The polite reply to a voice note, picture, sticker… (`kind`: bot.status.MessageKind's value)."""
    verb, noun = NON_TEXT_WORDS.get(kind, NON_TEXT_OTHER)
    said = f"Dạ, em chỉ đọc được tin nhắn chữ nên chưa {verb} được {noun} anh/chị gửi. "
    if in_guide:  # the form asks its question again just after, with its own buttons
        return said + "Anh/chị vui lòng bấm nút hoặc gõ câu trả lời cho câu hỏi dưới đây ạ."
    return said + "Anh/chị vui lòng gõ câu hỏi, hoặc bấm “Gặp cán bộ” để cán bộ xã hỗ trợ ạ."


class ActionNonText(Action):
    """A voice note, picture, sticker, file or location the gateway passed on as '/non_text{"kind": …}': the bot
    reads text only, so it says so and shows the menu (with "Gặp cán bộ"); inside a guide, without the menu, so
    the step's own buttons asked again just after are the last shown."""

    def name(self) -> str:
        return "action_non_text"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        in_guide = tracker.active_loop_name == "guide_form"
        text = non_text_message(entity(tracker, "kind") or "", in_guide)
        if in_guide:
            dispatcher.utter_message(text=text)
        else:
            dispatcher.utter_message(text=text, buttons=MENU_BUTTONS)
        return []


def _context(tracker: Tracker) -> str:
    """What the team should know when they pick the conversation up."""
    guide = services.guides.get(tracker.get_slot("guide") or "")
    if guide is not None and tracker.get_slot("step"):
        return f"Đang làm theo hướng dẫn “{guide.title}”, bước {int(tracker.get_slot('step'))}."
    asked = [
        e.get("text")
        for e in tracker.events
        if e.get("event") == "user" and e.get("text") and not str(e.get("text")).startswith("/")
    ]
    return ("Câu hỏi gần đây: " + " | ".join(asked[-3:])) if asked else ""


async def _store(dispatcher: CollectingDispatcher, what: str, failure_text: str, write, *args, **kwargs):
    """Write to the store off the event loop; on failure tell the resident plainly and return None."""
    try:
        return await asyncio.to_thread(write, *args, **kwargs)
    except Exception:
        log.exception("could not store %s", what)
        dispatcher.utter_message(text=failure_text)
        return None


class ActionHandoff(Action):
    """Mark the conversation as waiting for the team (stored) and tell the resident what happens next."""

    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        stored = await _store(
            dispatcher,
            "a hand-off request",
            "Dạ, em chưa chuyển được yêu cầu cho cán bộ vì hệ "
            "thống đang trục trặc. Anh/chị vui lòng thử lại sau ít phút, hoặc liên hệ trực tiếp "
            "UBND xã ạ.",
            services.store.request_handoff,
            tracker.sender_id,
            channel=channel_of(tracker),
            context=_context(tracker),
        )
        if stored is None:
            return []
        _, created = stored
        if created:
            text = (
                "Dạ, em đã báo Tổ công nghệ số cộng đồng của xã. Cán bộ sẽ nhắn lại anh/chị ngay trong cuộc trò "
                "chuyện này, trong giờ làm việc. Trong lúc chờ, anh/chị vẫn có thể hỏi em."
            )
        else:
            text = (
                "Dạ, yêu cầu gặp cán bộ của anh/chị đã được ghi nhận và đang chờ Tổ công nghệ số cộng đồng. "
                "Cán bộ sẽ nhắn lại anh/chị tại đây ạ."
            )
        dispatcher.utter_message(text=text, buttons=[button("Về menu", "menu")])
        return [SlotSet(s, None) for s in (*FORM_SLOTS, "requested_slot")]


class ActionSubscription(Action):
    def name(self) -> str:
        return "action_subscription"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        active = intent_of(tracker) == "subscribe"
        changed = await _store(
            dispatcher,
            "a subscription change",
            "Dạ, em chưa lưu được yêu cầu vì hệ thống đang trục trặc. Anh/chị thử lại sau ít phút giúp em ạ.",
            services.store.set_subscription,
            tracker.sender_id,
            channel=channel_of(tracker),
            active=active,
        )
        if changed is None:
            return []
        if active:
            text = (
                "Dạ, anh/chị đã đăng ký nhận tin từ xã (hoạt động Nghị quyết 57, cảnh báo lừa đảo…)."
                if changed
                else "Dạ, anh/chị đã đăng ký nhận tin từ trước rồi ạ."
            )
            text += " Muốn dừng, anh/chị nhắn “hủy nhận tin” bất cứ lúc nào."
            buttons = [button("Hủy nhận tin", "unsubscribe"), button("Về menu", "menu")]
        else:
            text = "Dạ, em đã dừng gửi tin cho anh/chị." if changed else "Dạ, anh/chị hiện không đăng ký nhận tin ạ."
            buttons = [button("Đăng ký nhận tin", "subscribe"), button("Về menu", "menu")]
        dispatcher.utter_message(text=text, buttons=buttons)
        return []
