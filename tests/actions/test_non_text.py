"""action_non_text in-process: a voice note, picture, sticker… the gateway passed on as '/non_text{"kind": …}' gets
a polite reply naming what was sent, with the menu (and "Gặp cán bộ"); inside a guide, without the menu, so the
step asked again just after keeps its own buttons last."""

from __future__ import annotations

import asyncio
import os

import pytest

os.environ.setdefault("TROLYSO_ACTIONS_WARM", "0")

from rasa_sdk import Tracker  # noqa: E402
from rasa_sdk.executor import CollectingDispatcher  # noqa: E402

from actions.people import MENU_BUTTONS, ActionNonText  # noqa: E402
from bot.status import NON_TEXT  # noqa: E402


def tracker(kind: str | None, active_loop: str | None = None) -> Tracker:
    latest = {
        "text": "/non_text" + (f'{{"kind": "{kind}"}}' if kind else ""),
        "intent": {"name": "non_text", "confidence": 1.0},
        "entities": [{"entity": "kind", "value": kind}] if kind else [],
        "metadata": {"channel": "zalo-oa"},
    }
    loop = {"name": active_loop} if active_loop else {}
    return Tracker("zalo-oa:1", {}, latest, [], False, None, loop, "action_listen")


def run(t: Tracker) -> tuple[list[dict], list]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionNonText().run(dispatcher, t, {}))
    return dispatcher.messages, events


@pytest.mark.parametrize(
    "kind,said",
    [
        ("voice", "chưa nghe được tin nhắn thoại anh/chị gửi"),
        ("image", "chưa xem được hình ảnh anh/chị gửi"),
        ("video", "chưa xem được video anh/chị gửi"),
        ("sticker", "chưa xem được nhãn dán anh/chị gửi"),
        ("file", "chưa mở được tệp anh/chị gửi"),
        ("location", "chưa xem được vị trí anh/chị gửi"),
        ("other", "chưa đọc được nội dung anh/chị gửi"),
        (None, "chưa đọc được nội dung anh/chị gửi"),  # no kind (typed by hand): still polite
        ("something-new", "chưa đọc được nội dung anh/chị gửi"),
    ],
)
def test_the_reply_names_what_was_sent_and_offers_the_menu_with_a_person(kind, said):
    [message], events = run(tracker(kind))
    assert message["text"].startswith("Dạ, em chỉ đọc được tin nhắn chữ") and said in message["text"]
    assert "gõ câu hỏi" in message["text"] and "“Gặp cán bộ”" in message["text"]
    assert message["buttons"] == MENU_BUTTONS
    assert {"title": "Gặp cán bộ", "payload": "/human_handoff"} in message["buttons"]
    assert events == []


def test_every_non_text_kind_has_its_own_words():
    from actions.people import NON_TEXT_WORDS

    assert set(NON_TEXT_WORDS) == {str(k) for k in NON_TEXT} - {"other"}


def test_inside_a_guide_there_are_no_menu_buttons_and_the_resident_is_asked_to_answer():
    [message], events = run(tracker("image", active_loop="guide_form"))
    assert "chưa xem được hình ảnh anh/chị gửi" in message["text"] and "câu trả lời" in message["text"]
    assert not message.get("buttons") and events == []
    [outside], _ = run(tracker("image", active_loop="erase_form"))  # only the guide asks its step again
    assert outside["buttons"] == MENU_BUTTONS
