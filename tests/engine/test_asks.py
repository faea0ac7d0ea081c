"""Two asks in one message are split into separate questions (rules only, no model)."""

import pytest

from bot.engine.asks import split_asks


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        (
            "NQ 57 chi cho R&D bao nhiêu % GDP, còn TFP đóng góp bao nhiêu vào tăng trưởng?",
            ["NQ 57 chi cho R&D bao nhiêu % GDP", "TFP đóng góp bao nhiêu vào tăng trưởng"],
        ),
        ("VietQR là gì vậy, quét mã xong phải kiểm tra gì?", ["VietQR là gì vậy", "quét mã xong phải kiểm tra gì"]),
        ("to cnscd co tu bao gio, theo cong van so may", ["to cnscd co tu bao gio", "theo cong van so may"]),
        ("co hoc duoc khong? co mat phi khong?", ["co hoc duoc khong", "co mat phi khong"]),
    ],
)
def test_two_asks_are_split(question, asks):
    assert split_asks(question) == asks


@pytest.mark.parametrize(
    "question",
    [
        "nghị quyết 57 là gì",
        # a clause that asks nothing stays with the ask after it
        "Mẹ em 70 tuổi, không có điện thoại thông minh thì đăng ký VNeID mức 2 được không?",
        "chuyen tien cho nguoi than va ban be co mat phi khong",
    ],
)
def test_one_ask_stays_whole(question):
    assert split_asks(question) == [" ".join(question.split())]
