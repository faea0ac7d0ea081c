"""Personal data (Nghị định 13/2023/NĐ-CP): the "Quyền riêng tư" notice and "xóa dữ liệu của tôi".

"xóa dữ liệu của tôi" (intent erase_my_data) opens `erase_form`, which asks once ("Xác nhận xóa" / "Không xóa", or a
typed "có" / "không"); whatever the resident answers fills `erase_answer` (`validate_erase_form`): yes only for an
explicit yes, anything else is a no, so the form never holds the conversation and nothing is deleted by accident.
`action_erase_my_data` then deletes through bot.team.erasure (audit-logged, counts only) or says nothing was deleted.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.runtime import MENU_BUTTON, button, channel_of, intent_of, services, user_text
from bot.config import Settings
from bot.team.erasure import erase_resident
from bot.team.retention import DeletedRows
from bot.text import fold

log = logging.getLogger(__name__)

YES, NO = "yes", "no"
ERASE_BUTTON = button("Xóa dữ liệu của tôi", "erase_my_data")
# a typed reply to "xóa?": a no-word anywhere is a no; a yes needs a yes-word in a short reply made only of these words
_NO = re.compile(r"\b(khong|ko|k|kh|khg|hong|hok|hem|chua|thoi|dung|no|not|cancel|huy)\b")
_YES = re.compile(r"\b(co|xac nhan|dong y|xoa|ok|oke|okay|yes|u|uh|um|vang|chac chan|duoc|dc)\b")
_ALLOWED = set(
    "co xac nhan dong y xoa ok oke okay yes u uh um vang chac chan duoc dc da a vay em anh chi toi minh t e ad oi "
    "di nhe nha luon het sach tat ca toan bo du lieu dl thong tin tin nhan tn cau hoi cua giup gium dum roi r la "
    "that su muon can cho".split()
)
_MAX_WORDS = 10
WEBHOOK_PATHS = ("/webhooks/telegram", "/webhooks/zalo-bot")


def erase_reply(text: str) -> str:
    """The resident's typed answer to "xóa dữ liệu?": YES only for an explicit yes ("có", "đồng ý", "xác nhận xóa",
    "ok xóa hết đi"); NO for anything else — a no ("không", "đừng xóa"), or another question."""
    folded = re.sub(r"[^\w\s]", " ", fold(text))
    tokens = folded.split()
    if not tokens or _NO.search(folded) or len(tokens) > _MAX_WORDS:
        return NO
    return YES if _YES.search(folded) and all(t in _ALLOWED for t in tokens) else NO


def public_base(settings: Settings) -> str:
    """The gateway's address as residents reach it: TROLYSO_PUBLIC_URL, else the origin (and path prefix) of a
    webhook URL the platforms call; "" when neither is set."""
    if settings.public_url:
        return settings.public_url
    for url in (settings.channels.telegram_webhook_url, settings.channels.zalo_bot_webhook_url):
        base = url.split("?", 1)[0].rstrip("/")
        for path in WEBHOOK_PATHS:
            if base.startswith(("https://", "http://")) and base.endswith(path):
                return base[: -len(path)]
    return ""


def privacy_notice(settings: Settings, channel: str) -> str:
    """The short notice the bot gives; the full one is the gateway's /privacy page (connectors/privacy.py)."""
    lines = [
        "Dạ, về quyền riêng tư khi anh/chị trò chuyện với Trợ lý số (theo Nghị định 13/2023/NĐ-CP):",
        "• Những gì được lưu: tin nhắn anh/chị gửi và câu trả lời, các câu hỏi và đánh giá “Hữu ích” / “Chưa đúng”, "
        "việc đăng ký nhận tin. Số CCCD/CMND, số điện thoại, số tài khoản và e-mail được che đi (chỉ giữ hai chữ số "
        "cuối); câu hỏi chỉ gắn với mã băm của mã người dùng, không kèm họ tên.",
        f"• Lưu trong bao lâu: tối đa {settings.retention_days} ngày, sau đó hệ thống tự động xoá. Đăng ký nhận tin "
        "được giữ đến khi anh/chị huỷ.",
        "• Ai được xem: chỉ cán bộ Tổ công nghệ số cộng đồng của xã, để hỗ trợ anh/chị và cải thiện câu trả lời.",
        "• Muốn xoá ngay: anh/chị nhắn “xóa dữ liệu của tôi” (hoặc bấm nút bên dưới), em hỏi lại để xác nhận rồi xoá.",
    ]
    base = public_base(settings)
    if base:
        lines.append(f"Chi tiết: {base}/privacy")
    elif channel == "web":
        lines.append("Chi tiết ở liên kết “Quyền riêng tư” của khung trò chuyện.")
    return "\n".join(lines)


def erased_message(report: DeletedRows, days: int) -> str:
    """What was deleted, in the resident's words (counts only)."""
    parts = [
        (report.inbox, "tin nhắn anh/chị gửi"),
        (report.outbox, "tin trả lời"),
        (report.questions, "câu hỏi"),
        (report.feedback, "đánh giá"),
        (report.handoffs, "yêu cầu gặp cán bộ"),
        (report.subscriptions, "đăng ký nhận tin"),
    ]
    done = [f"{n} {what}" for n, what in parts if n]
    if not done:
        text = "Dạ, hệ thống không còn lưu tin nhắn hay câu hỏi nào của anh/chị để xoá ạ."
    else:
        text = "Dạ, em đã xoá dữ liệu của anh/chị: " + ", ".join(done) + "."
        if report.subscriptions:
            text += " Anh/chị sẽ không nhận tin của xã nữa, trừ khi đăng ký lại."
    return text + (
        f" Riêng tin nhắn vừa rồi và lời đáp này được tự động xoá sau {days} ngày (thời hạn lưu trữ), hoặc khi anh/chị "
        "yêu cầu xoá lần nữa."
    )


class ActionPrivacy(Action):
    """ "Quyền riêng tư": what is stored, for how long, who sees it, how to have it deleted."""

    def name(self) -> str:
        return "action_privacy"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(
            text=privacy_notice(services.settings, channel_of(tracker)), buttons=[ERASE_BUTTON, MENU_BUTTON]
        )
        return []


class ValidateEraseForm(FormValidationAction):
    """Any reply to the question fills `erase_answer`: the buttons' intents, or the typed text (erase_reply)."""

    def name(self) -> str:
        return "validate_erase_form"

    async def extract_erase_answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "erase_answer":
            return {}  # the message that opened the form is not its answer
        intent = intent_of(tracker)
        if intent in ("erase_confirm", "erase_cancel"):
            return {"erase_answer": YES if intent == "erase_confirm" else NO}
        return {"erase_answer": erase_reply(user_text(tracker))}


class ActionEraseMyData(Action):
    """After the question: delete on a yes (bot.team.erasure), otherwise say nothing was deleted."""

    def name(self) -> str:
        return "action_erase_my_data"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        days = services.settings.retention_days
        reset: list[EventType] = [SlotSet("erase_answer", None)]
        if tracker.get_slot("erase_answer") != YES:
            dispatcher.utter_message(
                text=f"Dạ, em không xoá gì ạ. Dữ liệu của anh/chị vẫn được giữ tối đa {days} ngày. Khi muốn xoá, "
                "anh/chị nhắn “xóa dữ liệu của tôi”.",
                buttons=[MENU_BUTTON],
            )
            return reset
        try:
            report = await asyncio.to_thread(
                erase_resident, services.store, tracker.sender_id or "", channel=channel_of(tracker)
            )
        except Exception:
            log.exception("could not erase a resident's data")
            dispatcher.utter_message(
                text="Dạ, em chưa xoá được vì hệ thống đang trục trặc. Anh/chị thử lại sau ít phút, hoặc liên hệ "
                "trực tiếp UBND xã ạ.",
                buttons=[ERASE_BUTTON, MENU_BUTTON],
            )
            return reset
        log.info("a resident's data was erased on %s: %d rows", channel_of(tracker), report.total)
        dispatcher.utter_message(text=erased_message(report, days), buttons=[MENU_BUTTON])
        # the feedback buttons of an earlier answer would point at a deleted question
        return reset + [SlotSet("last_question_id", None), SlotSet("last_answer", None)]
