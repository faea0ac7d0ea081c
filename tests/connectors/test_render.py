"""Fitting a reply to a channel (connectors/render.py): `split_text` cuts under the platform's limit between
paragraphs, sentences, then words, never leaving an empty part or losing a word; `render_for` turns buttons
into a numbered list where the platform has none or too few."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.messages import Limits, Part
from connectors.render import NUMBER_HINT, render, render_for, split_text

# --- split_text ----------------------------------------------------------------------------------------------


def test_short_text_is_one_part_unchanged():
    assert split_text("Xin chào anh/chị.", 2000) == ["Xin chào anh/chị."]
    assert split_text("  Xin chào.\n", 2000) == ["Xin chào."]  # only the outer whitespace goes
    assert split_text("x" * 20, 20) == ["x" * 20]  # exactly the limit still fits
    assert split_text("", 10) == [] and split_text(" \n \n ", 10) == []


def test_long_text_is_cut_between_sentences_and_sentences_are_packed():
    text = "Câu thứ nhất. Câu thứ hai dài hơn! Câu ba? Câu bốn… Câu năm."
    assert split_text(text, 30) == ["Câu thứ nhất.", "Câu thứ hai dài hơn! Câu ba?", "Câu bốn… Câu năm."]
    assert split_text(text, 34) == ["Câu thứ nhất. Câu thứ hai dài hơn!", "Câu ba? Câu bốn… Câu năm."]


def test_a_sentence_longer_than_the_limit_is_cut_between_words():
    sentence = "Anh chị mang căn cước công dân đến bộ phận một cửa của xã để được hướng dẫn"
    parts = split_text(sentence, 20)
    assert parts == ["Anh chị mang căn", "cước công dân đến bộ", "phận một cửa của xã", "để được hướng dẫn"]
    assert all(0 < len(p) <= 20 for p in parts)


def test_a_word_longer_than_the_limit_is_cut_hard_without_empty_parts():
    url = "https://dichvucong.gov.vn/p/home/dvc-trang-chu.html"
    parts = split_text(f"Vào {url} nhé.", 16)
    assert all(0 < len(p) <= 16 for p in parts)
    assert "".join(p.replace(" ", "") for p in parts) == f"Vào{url}nhé."
    assert parts[0] == "Vào"  # the short word before is not glued to a piece of the long one


def test_vietnamese_precomposed_text_counts_characters_not_bytes_and_stays_nfc():
    text = "Nghị quyết 57 về đột phá phát triển khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số quốc gia."
    assert unicodedata.is_normalized("NFC", text)
    parts = split_text(text, 40)
    assert all(len(p) <= 40 for p in parts) and any(len(p.encode()) > 40 for p in parts)
    assert all(unicodedata.is_normalized("NFC", p) for p in parts)
    assert " ".join(parts).split() == text.split()


def test_decomposed_vietnamese_keeps_every_mark_on_its_letter():
    text = unicodedata.normalize("NFD", "Đăng ký định danh mức hai trên ứng dụng VNeID tại công an xã.")
    parts = split_text(text, 25)
    assert all(len(p) <= 25 for p in parts)
    assert all(not unicodedata.combining(p[0]) for p in parts)  # no part starts with a stray accent
    assert unicodedata.normalize("NFC", " ".join(parts)) == unicodedata.normalize("NFC", text)


def test_newlines_and_lists_are_cut_between_lines_and_kept_inside_parts():
    text = "Các bước:\n1. Mở ứng dụng VNeID.\n2. Chọn thủ tục hành chính.\n3. Điền tờ khai.\n4. Gửi hồ sơ."
    parts = split_text(text, 45)
    assert parts == [
        "Các bước:\n1. Mở ứng dụng VNeID.",
        "2. Chọn thủ tục hành chính.\n3. Điền tờ khai.",
        "4. Gửi hồ sơ.",
    ]
    assert "\n".join(parts) == text


def test_paragraph_breaks_never_give_empty_parts():
    parts = split_text("Đoạn một.\n\n\nĐoạn hai khá dài.\n\nĐoạn ba.", 18)
    assert parts and all(p.strip() and len(p) <= 18 for p in parts)
    assert " ".join(parts).split() == ["Đoạn", "một.", "Đoạn", "hai", "khá", "dài.", "Đoạn", "ba."]


WORD = st.text(alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọ0123456789", min_size=1)
SEPARATOR = st.sampled_from([" ", " ", " ", ". ", "! ", "? ", "… ", "\n", "\n\n", ", ", "  "])


@st.composite
def replies(draw):
    words = draw(st.lists(WORD.filter(lambda w: len(w) <= 12), min_size=1, max_size=60))
    text = words[0]
    for w in words[1:]:
        text += draw(SEPARATOR) + w
    return text + draw(st.sampled_from(["", ".", "!", "\n"]))


@settings(max_examples=400, deadline=None)
@given(text=replies(), limit=st.integers(min_value=12, max_value=200))
def test_every_part_fits_and_all_words_stay_in_order(text, limit):
    parts = split_text(text, limit)
    assert all(0 < len(p) <= limit for p in parts)
    assert all(p == p.strip() for p in parts)
    if max(len(w) for w in text.split()) <= limit:
        # no word is cut when every word fits: the parts hold exactly the text's words, in order
        assert " ".join(parts).split() == text.split()
    else:  # a word longer than the limit is cut hard, but nothing is lost or moved
        assert "".join("".join(p.split()) for p in parts) == "".join(text.split())
    if len(text.strip()) <= limit:
        assert parts == [text.strip()]


@settings(max_examples=200, deadline=None)
@given(text=st.text(min_size=1, max_size=300), limit=st.integers(min_value=1, max_value=60))
def test_any_text_gives_parts_within_the_limit_and_loses_no_character(text, limit):
    parts = split_text(text, limit)
    assert all(0 < len(p) <= limit for p in parts)

    def visible(s: str) -> str:
        return "".join(s.split())

    assert "".join(visible(p) for p in parts) == visible(text)


# --- render_for: buttons -------------------------------------------------------------------------------------

BUTTONS = [{"title": "Tiếp theo", "payload": "/next_step"}, {"title": "Về menu", "payload": "/menu"}]


def test_web_chat_gets_the_text_whole_with_its_buttons():
    long = "Câu dài. " * 500
    assert render_for(None, long, BUTTONS) == [Part(long, BUTTONS)]


def test_buttons_ride_on_the_last_part_when_the_platform_has_enough():
    parts = render_for(Limits(max_text=20, max_buttons=5), "Câu thứ nhất. Câu thứ hai.", BUTTONS)
    assert [p.text for p in parts] == ["Câu thứ nhất.", "Câu thứ hai."]
    assert parts[0].buttons == [] and parts[-1].buttons == BUTTONS


@pytest.mark.parametrize("limits", [Limits(max_text=2000, max_buttons=0), Limits(max_text=2000, max_buttons=1)])
def test_no_buttons_or_too_many_become_a_numbered_list(limits):
    parts = render_for(limits, "Anh/chị chọn một mục:", BUTTONS)
    assert len(parts) == 1 and parts[0].buttons == []
    assert parts[0].text == f"Anh/chị chọn một mục:\n\n{NUMBER_HINT}\n1. Tiếp theo\n2. Về menu"


def test_seven_buttons_on_zalo_oa_become_a_list_split_like_any_text():
    buttons = [{"title": f"Mục số {i}", "payload": f"/opt{i}"} for i in range(1, 8)]
    parts = render_for(Limits(max_text=40, max_buttons=5), "Chọn:", buttons)
    text = "\n".join(p.text for p in parts)
    assert all(p.buttons == [] for p in parts) and all(len(p.text) <= 40 for p in parts)
    assert "1. Mục số 1" in text and "7. Mục số 7" in text


def test_buttons_without_a_title_or_payload_are_dropped_and_buttons_alone_still_go_out():
    buttons = [{"title": "", "payload": "/x"}, {"title": "Có", "payload": ""}, {"title": "Về menu", "payload": "/menu"}]
    assert render(" ", buttons, limit=100, max_buttons=5) == [Part("", [{"title": "Về menu", "payload": "/menu"}])]
    assert render("", buttons, limit=100, max_buttons=0) == [Part(f"{NUMBER_HINT}\n1. Về menu")]
    assert render("", [], limit=100, max_buttons=5) == []
