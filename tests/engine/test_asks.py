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
        ("VietQR là gì còn quét xong phải kiểm tra gì", ["VietQR là gì", "quét xong phải kiểm tra gì"]),
        # a piece the question mark closes ends the ask before it, not the next one
        (
            "NQ57 bảo ai là trung tâm, là chủ thể vậy? còn nhà khoa học thì được coi là gì",
            ["NQ57 bảo ai là trung tâm là chủ thể vậy", "còn nhà khoa học thì được coi là gì"],
        ),
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
        # "con" typed without its tone may be a child: only "còn" or a comma joins two asks
        "gio con cap huyen nua ko hay chi con tinh voi xa",
        "lam can cuoc cho con duoi 6 tuoi o dau con lam vneid cho con the nao",
        # "…, vậy …": what comes before is the situation the ask draws on, though it holds "không"
        "Bố em không có điện thoại thông minh, vậy nộp tiền nước thế nào ạ?",
        "ba em ko biet dung app ngan hang, the thi tra tien dien o dau",
        # "Con" with a capital is a name ("xã Con Cuông"), not "còn"
        "Phòng VH-XH xã Con Cuông bao lâu báo cáo một lần",
    ],
)
def test_one_ask_stays_whole(question):
    assert split_asks(question) == [" ".join(question.split())]


def test_an_aside_that_asks_nothing_is_not_an_ask():
    """ "em cũng chẳng biết trả lời sao" says the resident does not know; it is not a third question."""
    question = "nghị quyết 57 do ai ban hành, từ bao giờ, em cũng chẳng biết trả lời sao"
    assert split_asks(question) == ["nghị quyết 57 do ai ban hành", "từ bao giờ"]
    assert split_asks("mẹ không biết làm thế nào, VNeID quên mật khẩu thì làm gì") == [
        "mẹ không biết làm thế nào, VNeID quên mật khẩu thì làm gì"
    ]


def test_some_told_of_what_was_done_is_not_an_ask():
    """ "mới học xong mấy khóa" tells what was done; the one ask is what follows."""
    question = "chị em mới học xong mấy khóa trên mạng, giờ có được cấp giấy gì không"
    assert split_asks(question) == [question]
