"""The personal-data actions in-process (actions/privacy.py), with rasa-sdk's Tracker and CollectingDispatcher over a
test store: the "Quyền riêng tư" notice, the confirmation read from buttons or typed text, and the erasure itself."""

from __future__ import annotations

import asyncio
import dataclasses
import os

import pytest

os.environ.setdefault("TROLYSO_ACTIONS_WARM", "0")

from rasa_sdk import Tracker  # noqa: E402
from rasa_sdk.executor import CollectingDispatcher  # noqa: E402

import actions.people  # noqa: E402
import actions.privacy  # noqa: E402
from actions.privacy import NO, YES, erase_reply, public_base  # noqa: E402
from actions.runtime import Services  # noqa: E402
from bot.app import App  # noqa: E402
from bot.config import Settings, SettingsError  # noqa: E402
from bot.status import AuditAction  # noqa: E402
from bot.team.audit import AuditLog  # noqa: E402

ME, OTHER = "zalo-oa:8841200", "zalo-oa:9900112"


def make_settings(tmp_path, **env: str) -> Settings:
    return Settings.from_env({"TROLYSO_DATA_DIR": str(tmp_path), "TROLYSO_RETENTION_DAYS": "90", **env})


@pytest.fixture
def services(tmp_path, store, monkeypatch):
    s = Services(App(make_settings(tmp_path)).provide(store=store))
    for module in (actions.privacy, actions.people):
        monkeypatch.setattr(module, "services", s)
    return s


def tracker(text: str, intent: str, slots: dict | None = None, channel: str = "zalo-oa", sender: str = ME) -> Tracker:
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.99},
        "entities": [],
        "metadata": {"channel": channel},
    }
    return Tracker(sender, slots or {}, latest, [], False, None, {}, channel)


def run(action, t: Tracker) -> tuple[list[dict], list]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, {}))
    return dispatcher.messages, events


def titles(message: dict) -> list[str]:
    return [b["title"] for b in message.get("buttons") or []]


def slots(events: list) -> dict:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


@pytest.mark.parametrize(
    "text",
    ["có", "Có", "dạ có", "co", "ok xoá hết đi", "Xác nhận xóa", "đồng ý", "vâng ạ", "u", "xóa dữ liệu của tôi", "OK!"],
)
def test_an_explicit_yes_confirms(text):
    assert erase_reply(text) == YES


@pytest.mark.parametrize(
    "text",
    [
        "không",
        "ko",
        "Không xóa",
        "khong dong y",
        "đừng xóa",
        "thôi",
        "dạ",  # polite filler, not a yes
        "",
        "dạ cho em hỏi vneid mức 2 làm ở đâu",  # another question: nothing is deleted
        "có ai ở đó không",
        "có cách nào lấy lại dữ liệu đã xóa",
        "có có có có có có có có có có có",  # a long message is not a confirmation
    ],
)
def test_anything_else_is_a_no(text):
    assert erase_reply(text) == NO


def test_the_menu_offers_the_privacy_notice(services):
    [message], _ = run(actions.people.ActionMenu(), tracker("xin chào", "greet"))
    assert titles(message)[-1] == "Quyền riêng tư"
    assert {"title": "Quyền riêng tư", "payload": "/privacy"} in message["buttons"]


def test_the_privacy_notice_says_what_how_long_and_how_to_erase(services):
    [message], events = run(actions.privacy.ActionPrivacy(), tracker("quyền riêng tư", "privacy"))
    text = message["text"]
    assert "tối đa 90 ngày" in text and "365" not in text  # TROLYSO_RETENTION_DAYS
    for words in ("Nghị định 13/2023/NĐ-CP", "che đi", "Tổ công nghệ số cộng đồng", "“xóa dữ liệu của tôi”"):
        assert words in text, words
    assert "/privacy" not in text  # no public address known
    assert (
        titles(message) == ["Xóa dữ liệu của tôi", "Về menu"] and message["buttons"][0]["payload"] == "/erase_my_data"
    )
    assert events == []
    [web], _ = run(actions.privacy.ActionPrivacy(), tracker("quyen rieng tu", "privacy", channel="web"))
    assert "liên kết “Quyền riêng tư” của khung trò chuyện" in web["text"]


def test_the_notice_links_the_privacy_page_when_the_public_address_is_known(tmp_path):
    assert public_base(make_settings(tmp_path)) == ""
    assert (
        public_base(make_settings(tmp_path, TROLYSO_PUBLIC_URL="https://troly.xa.gov.vn/")) == "https://troly.xa.gov.vn"
    )
    by_webhook = make_settings(
        tmp_path, TELEGRAM_WEBHOOK_URL="https://xa.example.vn/troly/webhooks/telegram", TELEGRAM_SECRET_TOKEN="s" * 32
    )
    assert public_base(by_webhook) == "https://xa.example.vn/troly"
    with pytest.raises(SettingsError, match="TROLYSO_PUBLIC_URL"):
        make_settings(tmp_path, TROLYSO_PUBLIC_URL="troly.xa.gov.vn")  # no scheme: the link would not work
    settings = dataclasses.replace(make_settings(tmp_path), public_url="https://troly.xa.gov.vn")
    assert "Chi tiết: https://troly.xa.gov.vn/privacy" in actions.privacy.privacy_notice(settings, "telegram")


def test_the_form_reads_the_answer_from_buttons_or_text_and_only_once_asked():
    form = actions.privacy.ValidateEraseForm()

    def extract(text: str, intent: str, requested: str | None = "erase_answer") -> dict:
        t = tracker(text, intent, {"requested_slot": requested})
        return asyncio.run(form.extract_erase_answer(CollectingDispatcher(), t, {}))

    assert extract("xóa dữ liệu của tôi", "erase_my_data", requested=None) == {}  # the request is not its own answer
    assert extract("/erase_confirm", "erase_confirm") == {"erase_answer": YES}
    assert extract("/erase_cancel", "erase_cancel") == {"erase_answer": NO}
    assert extract("dạ có", "nlu_fallback") == {"erase_answer": YES}
    assert extract("không", "stuck") == {"erase_answer": NO}
    assert extract("nghị quyết 57 là gì", "ask_question") == {"erase_answer": NO}


def seed(store) -> None:
    for who in (ME, OTHER):
        for text in ("câu hỏi một", "câu hỏi hai"):
            store.record_question(text, channel="zalo-oa", user_id=who, answered=False, reason="no_match", score=0.1)
        store.set_subscription(who, channel="zalo-oa", active=True)


def test_a_confirmed_erasure_deletes_the_residents_data_only(services, store):
    seed(store)
    [message], events = run(
        actions.privacy.ActionEraseMyData(), tracker("/erase_confirm", "erase_confirm", {"erase_answer": YES})
    )
    assert message["text"].startswith("Dạ, em đã xoá dữ liệu của anh/chị: 2 câu hỏi, 1 đăng ký nhận tin.")
    assert "không nhận tin của xã nữa" in message["text"] and "90 ngày" in message["text"]
    assert slots(events) == {"erase_answer": None, "last_question_id": None, "last_answer": None}
    assert store.count_questions() == 2 and [s["conversation_id"] for s in store.subscribers()] == [OTHER]
    [entry] = AuditLog(store).recent()
    assert entry.action == AuditAction.RESIDENT_ERASED and entry.username == "resident:zalo-oa"
    assert "câu hỏi" not in entry.detail and "8841200" not in entry.target
    [again], _ = run(actions.privacy.ActionEraseMyData(), tracker("có", "nlu_fallback", {"erase_answer": YES}))
    assert again["text"].startswith("Dạ, hệ thống không còn lưu tin nhắn hay câu hỏi nào của anh/chị")


def test_without_a_yes_nothing_is_deleted(services, store):
    seed(store)
    for answer in (NO, None):
        [message], events = run(
            actions.privacy.ActionEraseMyData(), tracker("/erase_cancel", "erase_cancel", {"erase_answer": answer})
        )
        assert message["text"].startswith("Dạ, em không xoá gì ạ.") and "90 ngày" in message["text"]
        assert slots(events) == {"erase_answer": None}
    assert store.count_questions() == 4 and len(store.subscribers()) == 2 and AuditLog(store).count() == 0


def test_a_broken_store_gets_a_plain_apology(services, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(actions.privacy, "erase_resident", broken)
    [message], _ = run(actions.privacy.ActionEraseMyData(), tracker("có", "nlu_fallback", {"erase_answer": YES}))
    assert message["text"].startswith("Dạ, em chưa xoá được vì hệ thống đang trục trặc")
    assert "Xóa dữ liệu của tôi" in titles(message)
