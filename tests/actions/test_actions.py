"""The guided-flow helpers of the action server (the actions themselves run end to end in
test_dialogue_e2e.py through the real Rasa and action servers)."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("TROLYSO_ACTIONS_WARM", "0")

from actions.guided import NO, YES, parse_yes_no, step_message, triage_summary  # noqa: E402
from bot.engine.guides import parse_guide  # noqa: E402
from tests.engine.test_guides import GUIDE  # noqa: E402


@pytest.mark.parametrize(
    "text,expected",
    [
        ("có", YES),
        ("dạ có rồi", YES),
        ("roi", YES),
        ("r", YES),
        ("vâng", YES),
        ("không", NO),
        ("chưa", NO),
        ("ko a", NO),
        ("dạ chưa ạ", NO),
        ("k", NO),
        ("không có", NO),
        ("trả tiền điện", None),
        ("", None),
    ],
)
def test_yes_no_as_residents_type_it(text, expected):
    assert parse_yes_no(text) == expected


def test_triage_summary_puts_the_urgent_steps_first():
    guide = parse_guide(GUIDE, "guides/thu.md")
    text, _ = triage_summary(guide, [YES])
    assert "Bước 2. Xác nhận: Nhập OTP" in text and "Các bước khác" in text and "Bước 1. Mở ứng dụng" in text
    calm, _ = triage_summary(guide, [NO])
    assert "chưa mất gì" in calm and "Bước 1. Mở ứng dụng: Anh/chị mở ứng dụng." in calm


def test_step_message_says_where_the_resident_is():
    guide = parse_guide(GUIDE, "guides/thu.md")
    assert step_message(guide, 1).startswith("Bước 1/2. Mở ứng dụng\n")
    assert step_message(guide, 2).startswith("Bước 2/2 (bước cuối). Xác nhận")
