"""Masking personal identifiers (bot/text.py `mask_personal_numbers`): CCCD, CMND, phone and bank account numbers
written in every way residents write them keep only their last two digits; e-mail addresses keep only their
domain; the ordinary numbers of a question (years, dates, resolutions, amounts) stay as they are.

`-s` prints the measurement: 10,000 generated identifiers and how many of their digits leaked."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.text import identifier_kind, mask_personal_numbers

ROOT = Path(__file__).resolve().parent.parent
DIGIT = "0123456789"
SEPARATORS = [" ", "  ", "   ", ".", "-", " - ", "/", " / ", ",", "\t"]
BEFORE = [
    "",
    "SĐT ",
    "sđt: ",
    "Số điện thoại của tôi là ",
    "CCCD: ",
    "số CCCD ",
    "CMND số ",
    "Dạ, em tên Lan, liên hệ ",
    "Gọi cho tôi theo số ",
    "số định danh cá nhân: ",
    "(",
    '"',
    "Anh/chị nhắn giúp em tới ",
    "em ở thôn Đông, số ",
]
ACCOUNT_BEFORE = [
    "STK ",
    "stk: ",
    "số tài khoản ",
    "Số tài khoản Vietcombank: ",
    "tk ",
    "chuyển vào tài khoản ",
    "ngân hàng BIDV ",
]
AFTER = ["", ".", ",", "?", "!", " ạ", ")", '"', " nhé.", " để được hỗ trợ", " giúp em với ạ?", "\n", ";", ":"]


def digits_of(text: str) -> str:
    return re.sub(r"\D", "", text)


# --- the identifiers, as hypothesis strategies -----------------------------------------------------------------
def body(n: int) -> st.SearchStrategy[str]:
    return st.text(DIGIT, min_size=n, max_size=n)


def written(draw, prefix: str, rest: str) -> str:
    """`prefix` (maybe empty) then `rest` cut into groups, with one separator throughout or one per gap."""
    sizes, left = [], len(rest)
    while left:
        size = draw(st.integers(1, min(left, 6)))
        sizes.append(size)
        left -= size
    groups, at = [], 0
    for size in sizes:
        groups.append(rest[at : at + size])
        at += size
    if draw(st.booleans()):
        sep = draw(st.sampled_from(SEPARATORS))
        text = sep.join(groups)
    else:
        text = groups[0] + "".join(draw(st.sampled_from(SEPARATORS)) + g for g in groups[1:])
    if prefix:
        text = prefix + draw(st.sampled_from(["", " ", "-", ".", "  "])) + text
    return text


@st.composite
def phone(draw) -> str:
    if draw(st.booleans()):
        national = draw(st.sampled_from("35789")) + draw(body(8))  # mobile: 9 digits after the 0
    else:
        national = "2" + draw(body(9))  # landline: 02x + 8 digits
    prefix = draw(st.sampled_from(["0", "+84", "84", "(+84)", "(0", "+84 (0)"]))
    if prefix == "(0":
        area = 3 if national[0] == "2" else 2
        return "(0" + national[:area] + ")" + draw(st.sampled_from(["", " "])) + written(draw, "", national[area:])
    if prefix == "0":
        return written(draw, "", "0" + national)
    return written(draw, prefix, national)


@st.composite
def cccd(draw) -> str:
    return written(draw, "", "0" + draw(body(11)))


@st.composite
def cmnd(draw) -> str:
    return written(draw, "", draw(body(9)))


@st.composite
def account(draw) -> tuple[str, bool]:
    """(number, needs an account word before it): 8–9 digit accounts are only masked next to one."""
    n = draw(st.integers(8, 19))
    return written(draw, "", draw(body(n))), n < 10


@st.composite
def sentence(draw) -> tuple[str, str]:
    """(text, the identifier's digits)."""
    kind = draw(st.sampled_from(["phone", "cccd", "cmnd", "account"]))
    if kind == "account":
        number, needs_word = draw(account())
        before = draw(st.sampled_from(ACCOUNT_BEFORE if needs_word else BEFORE + ACCOUNT_BEFORE))
    else:
        number = draw({"phone": phone, "cccd": cccd, "cmnd": cmnd}[kind]())
        before = draw(st.sampled_from(BEFORE))
    return before + number + draw(st.sampled_from(AFTER)), digits_of(number)


@settings(max_examples=1500, deadline=None)
@given(sentence())
def test_no_digit_but_the_last_two_survives(case):
    text, digits = case
    masked = mask_personal_numbers(text)
    assert digits_of(masked) == digits[-2:], (text, masked)
    assert "*" * (len(digits) - 2) + digits[-2:] in masked


@settings(max_examples=500, deadline=None)
@given(st.lists(sentence(), min_size=2, max_size=4), st.sampled_from([" và ", ", ", "; ", "\n", " hoặc "]))
def test_several_identifiers_in_one_message_each_keep_their_last_two_digits(cases, joiner):
    text = joiner.join(t for t, _ in cases)
    assert digits_of(mask_personal_numbers(text)) == "".join(d[-2:] for _, d in cases)


@settings(max_examples=500, deadline=None)
@given(sentence(), st.sampled_from(["Năm 2025, ", "Theo Nghị quyết 57-NQ/TW, ", "Hôm 22/12/2024 ", "Mức 2: "]))
def test_ordinary_numbers_around_an_identifier_stay(case, before):
    text, digits = case
    masked = mask_personal_numbers(before + text)
    assert masked.startswith(before) and digits_of(masked) == digits_of(before) + digits[-2:]


# --- examples ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, masked",
    [
        ("CCCD 001 099 012 345", "CCCD **********45"),  # the phone pattern no longer takes 10 of its 12 digits
        ("CCCD 001.099.012.345 ạ", "CCCD **********45 ạ"),
        ("SĐT 0912  345  678", "SĐT ********78"),
        ("sđt 0912/345/678, cảm ơn", "sđt ********78, cảm ơn"),
        ("sđt 0912,345,678", "sđt ********78"),
        ("(+84) 912 345 678", "*********78"),
        ("+84-912-345-678", "*********78"),
        ("gọi (028) 3823 4567", "gọi *********67"),
        ("STK 12345678 Vietcombank", "STK ******78 Vietcombank"),
        ("số tài khoản: 1903 1234 5678 90", "số tài khoản: ************90"),
        ("chuyển khoản 0011004567890 giúp em", "chuyển khoản ***********90 giúp em"),
        ("CMND 123.456.789 đồng ý", "CMND *******89 đồng ý"),
        ("'001203004567 0912345678'", "'**********67 ********78'"),
        ("email nguyen.van.a@gmail.com nhé", "email ***@gmail.com nhé"),
        ("Gửi về lan.tran+xa@ubnd-xa.gov.vn.", "Gửi về ***@ubnd-xa.gov.vn."),
    ],
)
def test_identifiers_are_masked(text, masked):
    assert mask_personal_numbers(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "Nghị quyết 57-NQ/TW đến năm 2030 đặt mục tiêu gì?",
        "Năm 2025, 2026 và 2030 có gì mới?",
        "các năm 2024, 2025, 2026",
        "Kế hoạch giai đoạn 2021 - 2025, tầm nhìn 2030",
        "kế hoạch 2021-2025-2030",
        "Đăng ký định danh mức 2 ở đâu?",
        "Quyết định 1169/QĐ-TTg ngày 22/12/2024",
        "Luật số 86/2015/QH13, Nghị định 13/2023/NĐ-CP",
        "tài khoản VNeID tạo ngày 22/12/2024 lúc 10:15:30",
        "phí 50.000 đồng, lệ phí 1.500.000.000 đồng, từ 100.000 - 200.000 đồng",
        "chuyển 2.000.000đ vào tài khoản",
        "R&D đạt 2% GDP, 80% giao dịch không dùng tiền mặt",
        "Tôi 65 tuổi, nhà có 3 người, thôn 4",
        "2025-01-02 10:11:12,345 INFO started on 127.0.0.1:5055",
        "mã hồ sơ gồm 6 số 123456",
        "Gateway: web chat http://192.168.100.200:8000/chat, Rasa 10.100.120.200:5005",
    ],
)
def test_ordinary_numbers_are_not_masked(text):
    assert mask_personal_numbers(text) == text


def test_identifier_kinds():
    assert identifier_kind("001099012345") == "cccd"
    assert identifier_kind("123456789") == "cmnd"
    assert identifier_kind("0912345678") == identifier_kind("84912345678") == identifier_kind("02838234567") == "phone"
    assert identifier_kind("190312345678") == identifier_kind("1903123456789012") == "account"
    assert identifier_kind("12345678") is None and identifier_kind("12345678", account_context=True) == "account"
    assert identifier_kind("2025") is None and identifier_kind("1" * 20) is None


def test_the_questions_of_the_evaluation_sets_are_left_as_they_are_but_quoted_numbers():
    questions = [
        json.loads(line)["q"]
        for path in sorted((ROOT / "eval").rglob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and "q" in json.loads(line)
    ]
    # A resident's question may quote their own phone number or dossier code: that is masked, and only that.
    quoting = re.compile(r"\d(?:[\d .\-]*\d){8,}")  # nine or more digits, with separators
    changed = [q for q in questions if mask_personal_numbers(q) != q]
    print(f"\nevaluation questions changed by masking: {len(changed)} of {len(questions)}")
    assert len(questions) > 300
    assert [q for q in changed if not quoting.search(q)] == []
    assert len(changed) <= 0.01 * len(questions)


# --- the measurement ---------------------------------------------------------------------------------------------
def generated(rng: random.Random) -> tuple[str, str]:
    """One identifier in a sentence, the same kinds and formats as the strategies above (seeded, no hypothesis)."""
    kind = rng.choice(["phone", "phone", "cccd", "cmnd", "account"])
    body_digits = lambda n: "".join(rng.choice(DIGIT) for _ in range(n))  # noqa: E731
    prefix, needs_word = "", False
    if kind == "phone":
        rest = rng.choice("35789") + body_digits(8) if rng.random() < 0.8 else "2" + body_digits(9)
        prefix = rng.choice(["0", "0", "+84", "84", "(+84)"])
        if prefix == "0":
            prefix, rest = "", "0" + rest
    elif kind == "cccd":
        rest = "0" + body_digits(11)
    elif kind == "cmnd":
        rest = body_digits(9)
    else:
        rest = body_digits(rng.randint(8, 19))
        needs_word = len(rest) < 10
    sizes, left = [], len(rest)
    while left:
        sizes.append(min(left, rng.choice([2, 3, 3, 4, 4, 5, 6, len(rest)])))
        left -= sizes[-1]
    groups, at = [], 0
    for size in sizes:
        groups.append(rest[at : at + size])
        at += size
    sep = rng.choice(SEPARATORS)
    number = (
        sep.join(groups) if rng.random() < 0.8 else groups[0] + "".join(rng.choice(SEPARATORS) + g for g in groups[1:])
    )
    if prefix:
        number = prefix + rng.choice(["", " ", "-"]) + number
    before = rng.choice(ACCOUNT_BEFORE if needs_word else BEFORE + (ACCOUNT_BEFORE if kind == "account" else []))
    return before + number + rng.choice(AFTER), digits_of(number)


def test_measurement_10000_identifiers_leak_no_digit():
    rng = random.Random(57)
    leaked_digits = leaking = other = 0
    kinds: dict[str, int] = {}
    for _ in range(10_000):
        text, digits = generated(rng)
        kinds[text] = 1
        visible = digits_of(mask_personal_numbers(text))
        leaked = len(visible) - 2 if visible.endswith(digits[-2:]) else len(visible)
        leaking += leaked > 0
        leaked_digits += max(leaked, 0)
        other += visible != digits[-2:]  # e.g. the last two masked as well
    print(
        f"\nmasking: 10000 generated identifiers ({len(kinds)} distinct texts), {leaking} with a digit visible beyond "
        f"the last two, {leaked_digits} such digits; {other} not shown as exactly their last two digits"
    )
    assert leaking == 0 and leaked_digits == 0 and other == 0
