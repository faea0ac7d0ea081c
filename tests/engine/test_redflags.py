"""Scam red flags (bot/engine/redflags.py): every red-flag wording is caught, whatever its style, and no harmless
look-alike is. No model needed."""

from __future__ import annotations

import pytest

from bot.engine.redflags import KINDS, red_flags, warning
from tests.engine.scam_messages import HARMLESS, SCAMS


def test_the_sets_are_large_and_distinct():
    assert len(SCAMS) >= 40 and len(HARMLESS) >= 20
    assert not set(SCAMS) & set(HARMLESS)


@pytest.mark.parametrize("message", SCAMS)
def test_a_red_flag_is_caught_however_it_is_worded(message):
    flags = red_flags(message)
    assert flags, message
    assert all(f.kind in KINDS for f in flags)


@pytest.mark.parametrize("message", HARMLESS)
def test_a_harmless_look_alike_is_not_caught(message):
    assert red_flags(message) == [], message


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("nv ngan hang goi xin ma otp cua e", "secret"),
        ("công an gọi điện bảo tôi chuyển tiền vào tài khoản tạm giữ", "impostor"),
        ("người ta gửi file apk bảo cài vào", "install"),
        ("làm nhiệm vụ like video phải nạp 500k", "task"),
        ("trúng thưởng xe SH phải nộp phí 5 triệu", "fee"),
        ("có người gọi báo con tôi bị tai nạn, cần chuyển tiền mổ gấp", "relative"),
        ("co dich vu hack lai tai khoan facebook", "recovery"),
    ],
)
def test_each_kind_of_scam_is_named(message, kind):
    assert kind in [f.kind for f in red_flags(message)]


def test_the_warning_says_plainly_what_not_to_do():
    text = warning(red_flags("Có người tự xưng công an bảo tôi đọc mã OTP rồi chuyển tiền vào tài khoản an toàn"))
    assert text.startswith("Dạ, đây là dấu hiệu lừa đảo. Anh/chị đừng ")
    assert "mã OTP" in text and "chuyển tiền" in text


def test_a_long_message_is_checked_quickly():
    import time

    message = "Chào em, cho chị hỏi về kế hoạch chuyển đổi số của xã mình năm nay ạ. " * 40
    start = time.perf_counter()
    assert red_flags(message) == []
    assert time.perf_counter() - start < 0.5
