"""Typing slips mended from the knowledge's own words (bot/engine/spelling.py)."""

from __future__ import annotations

import pytest

from bot.engine.spelling import SpellingCorrector, vietnamese_syllables

KNOWLEDGE = [
    "Kích hoạt tài khoản định danh điện tử mức 2 trên ứng dụng VNeID.",
    "Chuyển khoản qua ứng dụng ngân hàng bằng mã QR.",
    "Tổ công nghệ số cộng đồng (CNSCĐ) hướng dẫn người dân.",
]


@pytest.fixture(scope="module")
def corrector() -> SpellingCorrector:
    return SpellingCorrector(KNOWLEDGE)


@pytest.mark.parametrize(
    ("typed", "mended"),
    [
        ("Kích hạot VNeID thế nào", "Kích hoạt VNeID thế nào"),  # swapped vowels, typed with diacritics
        ("kich haot vneid the nao", "kich hoat vneid the nao"),  # ... and without: stays without
        ("tai khoan dinh dnah muc 2", "tai khoan dinh danh muc 2"),
        ("dung ngan hnag nao", "dung ngan hang nao"),
    ],
)
def test_slips_next_to_a_known_neighbour_are_mended(corrector: SpellingCorrector, typed: str, mended: str) -> None:
    assert corrector.correct(typed) == mended


@pytest.mark.parametrize(
    "typed",
    [
        "xem phim hay o dau",  # a Vietnamese word the knowledge lacks
        "clip nhieu view qua",  # a foreign word
        "haot dong gi",  # a slip with no neighbour the knowledge knows
        "ko dc thi sao",  # teencode is spelled out elsewhere
    ],
)
def test_real_words_and_slips_without_context_are_left_alone(corrector: SpellingCorrector, typed: str) -> None:
    assert corrector.correct(typed) == typed


def test_the_syllable_list_is_pyvis() -> None:
    syllables = vietnamese_syllables()
    assert {"hoat", "danh", "phim", "nuong"} <= syllables
    assert not {"haot", "dnah", "hnag"} & syllables
