"""What the bot does not answer: topics outside its remit, and other people's personal data.

Two checks. A rule catches requests to look up someone else's personal data (never answered, whatever the
retrieval says). A nearest-neighbour check compares the question with short descriptions of out-of-scope
kinds of request (the categories the bot's remit excludes: weather, prices and markets, shopping and loans,
sport and entertainment, health, personal legal disputes, homework, fortune telling, hacking); the answer
engine refuses when such a description is closer to the question than anything in the knowledge.
"""

from __future__ import annotations

import re

from bot.text import UPPER_LETTERS, fold, nfc

# One short description per line, in residents' words. These describe kinds of request, not test questions.
OUT_OF_SCOPE_EXAMPLES: dict[str, list[str]] = {
    "weather": ["thời tiết ngày mai thế nào", "dự báo mưa bão tuần này", "nhiệt độ hôm nay bao nhiêu độ"],
    "prices": [
        "giá vàng hôm nay",
        "giá xăng dầu mới nhất",
        "giá heo hơi, giá cà phê, giá nông sản",
        "tỷ giá ngoại tệ, đô la, euro",
        "giá cổ phiếu chứng khoán",
        "giá đất khu này bao nhiêu",
    ],
    "shopping": [
        "mua điện thoại ở đâu rẻ",
        "vay tiền lãi suất thấp ở đâu",
        "cửa hàng nào bán tủ lạnh tốt",
        "nên mua ô tô hãng nào",
    ],
    "entertainment": [
        "lịch thi đấu bóng đá tối nay",
        "kết quả xổ số hôm nay",
        "phim hay nên xem",
        "kể chuyện cười",
        "hát một bài",
    ],
    "health": [
        "bị sốt cao uống thuốc gì",
        "cách chữa đau dạ dày",
        "bệnh tiểu đường nên ăn gì",
        "trẻ bị ho có sao không",
        "thuốc nam chữa bệnh",
    ],
    "legal_dispute": [
        "tranh chấp đất đai với hàng xóm phải làm sao",
        "ly hôn chia tài sản thế nào",
        "kiện người ta ra tòa để đòi tiền",
        "thuê luật sư bào chữa",
        "bị phạt oan muốn khiếu kiện",
    ],
    "homework": [
        "giải bài tập toán",
        "viết bài văn nghị luận",
        "dịch đoạn này sang tiếng Anh",
        "làm bài thơ",
        "viết giúp em bài luận",
    ],
    "fortune": ["xem tử vi năm nay", "xem ngày tốt để cưới hỏi", "giải mã giấc mơ", "xem phong thủy nhà"],
    "hacking": [
        "cách hack tài khoản facebook",
        "đọc trộm tin nhắn zalo của người khác",
        "phần mềm bẻ khóa",
        "cách lấy mật khẩu của người khác",
    ],
    "chitchat": ["nấu món phở bò thế nào", "bạn bao nhiêu tuổi", "bạn có người yêu chưa", "đi du lịch ở đâu đẹp"],
}

_DATA = (
    r"(thong tin|so dien thoai|sdt|cccd|can cuoc|cmnd|dia chi|ngay sinh|so tai khoan|tai khoan|ho so|lich su"
    r"|so dinh danh|tin nhan)"
)
_OTHER = r"(nguoi khac|nguoi ta|hang xom|ong ay|ba ay|anh ay|chi ay|co ay|cua ong [a-z]|cua ba [a-z]|cua nguoi)"
_LOOKUP = r"(xem|tra cuu|tra|tim|cho xin|xin|lay|biet|kiem tra|doc)"
_PROTECT = r"(bao ve|lo lot|bi lo|bi lay|bi danh cap|bi hack|bi xam nhap|bi chiem|lua dao|mao danh|gia mao)"


# Someone named with a title, as typed: "của chị Lan", "anh Lò Văn Hùng" (a capital after the title).
_NAMED = re.compile(rf"\b(?:[Cc]ủa\s+)?(?:ông|bà|anh|chị|cô|chú|bác|em)\s+[{UPPER_LETTERS}][a-zà-ỹđ]+")


# An official's private life: "địa chỉ nhà riêng của ông chủ tịch xã", "số điện thoại riêng của trưởng công an"
_PRIVATE = r"\b(?:nha rieng|dia chi nha|dia chi rieng|so (?:dien thoai |dt )?rieng|sdt rieng|que quan|vo con)\b"
_ROLE = r"\b(?:chu tich|pho chu tich|bi thu|truong (?:cong an|phong|thon|ban|ap)|can bo|cong an|giam doc)\b"


def asks_for_others_personal_data(question: str) -> bool:
    """True when the question asks to see or look up another person's personal data."""
    f = fold(question)
    if re.search(_PROTECT, f):
        return False
    if re.search(_PRIVATE, f) and re.search(_ROLE, f):
        return True
    other = re.search(_OTHER, f) or _NAMED.search(question)
    return bool(re.search(_DATA, f) and other and re.search(_LOOKUP, f))


# "Anh chị xem giúp hồ sơ của em đã duyệt chưa", "ad kiểm tra giúp tk vneid của mẹ em": a request to look into one
# person's record, which the bot cannot see.
_LOOK_INTO = (
    r"\b(?:xem|kiem tra|tra cuu|check|coi"
    r"|(?<!dinh )(?<!muon )tra(?! (?:giup|dum|gium|ho) (?:tien|hoa don|cuoc|phi|no)\b))"  # not "trả hộ tiền điện"
    r"\s+(?:giup|dum|gium|ho(?! so))\b"
)
_RECORD = r"\b(?:ho so|tai khoan|tk|don|yeu cau|giao dich|trang thai)\b"


def asks_to_look_into_a_record(question: str) -> bool:
    """True when the question asks the bot to look into someone's own record (a file, an account, a request):
    only the resident, on the service itself, or the office that holds it can see it."""
    f = fold(re.sub(r"\btrả\b", "thanh toán", nfc(question), flags=re.IGNORECASE))  # "trả hộ" pays, "tra hộ" looks up
    return bool(re.search(_LOOK_INTO, f) and re.search(_RECORD, f))


# The bot's own subjects, named so specifically that a question holding one is about its remit however close an
# out-of-scope description comes ("mẹ em không xài điện thoại thông minh, vậy đóng tiền điện kiểu gì"). Generic
# words that out-of-scope requests share ("ngân hàng", "tài khoản", "điện thoại", "vay") are not among them. Folded.
IN_SCOPE_TERMS = re.compile(
    r"\b(?:vneid|dinh danh|can cuoc|cccd|dich vu cong|dvc|vietqr|ma qr|quet qr|tien dien|tien nuoc|hoc phi|"
    r"chuyen khoan|vi dien tu|khai sinh|thuong tru|ly lich tu phap|llttp|lua dao|otp|sinh trac|quet mat|"
    r"deepfake|binh dan hoc vu so|bdhvs|ky nang so|nghi quyet 57|nq 57|nq57|57 nq|1169|cong nghe so|"
    r"chuyen doi so|tin nhan rac|mao danh|gia mao|binh dan hoc vu|a05|sap nhap|chinh quyen hai cap|"
    r"thong tin va truyen thong|tt&tt|ban chi dao|le phi|bien lai|nop ho so|muc 2|"
    r"momo|zalopay|vnpay|cap huyen|len huyen|(?:quy tac|nguyen tac) (?:6|sau) khong)\b"
)


def names_a_subject_of_the_bot(question: str) -> bool:
    """True when the question names one of the bot's own subjects (VNeID, tiền điện, lừa đảo, Nghị quyết 57…)."""
    return bool(IN_SCOPE_TERMS.search(fold(question)))


def examples() -> list[tuple[str, str]]:
    return [(kind, text) for kind, texts in OUT_OF_SCOPE_EXAMPLES.items() for text in texts]


_FORGE = (
    r"\b(lam|tao|mua|dat|in|che)\b.{0,30}"
    r"\b(can cuoc|cccd|cmnd|giay to|bang cap|bang lai|giay phep|so do|ho chieu|con dau|chu ky|bien lai|hoa don"
    r"|tai khoan ngan hang)\b.{0,15}\bgia\b"
)
_BYPASS = r"\b(qua mat|lach|vuot qua|bypass|be khoa|hack|xam nhap|danh cap|lay trom|doc trom|theo doi trom)\b"
_HOW = r"\b(cach|lam sao|lam the nao|chi|huong dan|giup|de)\b"


def asks_for_wrongdoing(question: str) -> bool:
    """True for requests to forge documents, get around identity checks or break into accounts."""
    f = fold(question)
    if re.search(_PROTECT, f) and not re.search(_FORGE, f):
        return False  # "bị hack thì làm sao" is a victim asking for help
    return bool(re.search(_FORGE, f) or (re.search(_BYPASS, f) and re.search(_HOW, f)))
