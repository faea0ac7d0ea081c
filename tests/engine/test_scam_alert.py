"""The scam safety net in the answer engine: a message showing a scam red flag is never refused nor answered
vaguely (a plain "đừng …", the scam explainer's advice, the guide's steps with the bank and the police, the source
lines), and it is recorded for the team as a scam alert. Harmless look-alikes keep their normal answers."""

from __future__ import annotations

import re

import pytest

from bot.status import Reason
from tests.engine.scam_messages import HARMLESS, SCAMS

STEP = re.compile(r"^\d+\. .*(ngân hàng|Công an)", re.MULTILINE)


@pytest.mark.parametrize("message", SCAMS)
def test_a_red_flag_gets_a_plain_warning_and_what_to_do_now(engine, message):
    a = engine.ask(message)
    assert a.answered and a.reason == Reason.SCAM_ALERT, a.text
    lead = a.text.split("\n")[0]
    assert lead.startswith("Dạ, đây là dấu hiệu lừa đảo. Anh/chị đừng ")
    assert "đừng" in lead or "không" in lead
    assert STEP.search(a.text), a.text  # a step that sends the resident to the bank or the police
    assert "\nNguồn: " in a.text
    assert a.sources and all("lua-dao" in s["path"] for s in a.sources)
    assert len(a.text) <= 1100  # one phone screen and its source lines


def test_the_quoted_advice_comes_from_the_scam_section_on_that_trick(engine):
    a = engine.ask("Có người gọi báo con tôi bị tai nạn đang cấp cứu ở bệnh viện, cần chuyển tiền mổ gấp")
    assert "người thân" in a.sources[0]["section"]
    a = engine.ask("Tôi bị lừa mất tiền, giờ có người nhắn bảo lấy lại được tiền nhưng phải đóng phí trước")
    assert "lấy lại tiền" in a.sources[0]["section"]


@pytest.mark.parametrize("message", HARMLESS)
def test_a_harmless_look_alike_keeps_its_normal_answer(engine, message):
    assert engine.ask(message).reason != Reason.SCAM_ALERT


def test_a_scam_alert_is_recorded_for_the_team(ask, store):
    a, question_id = ask("nv ngan hang goi xin ma otp cua e de huy giao dich 0912345678", channel="zalo", user_id="z1")
    assert a.reason == Reason.SCAM_ALERT and question_id
    with store.engine.connect() as conn:
        row = conn.exec_driver_sql("SELECT reason, answered, text FROM questions").one()
    assert row[0] == "scam_alert" and row[1]
    assert "0912345678" not in row[2]  # masked like every stored question
    assert store.count_questions(answered=True) == 1
