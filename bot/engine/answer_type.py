"""What kind of thing a question asks for, and whether a composed answer contains it.

Sharing content words with a section is not enough to answer from it: "số điện thoại của công an xã là số nào"
shares "công an xã" with many sections, but only a section holding a phone number answers it. A question that
asks for a phone number, a sum of money, a date, a time of day, a duration, a count ("bao nhiêu người"), a
person or a place is answered only when the composed answer holds one; otherwise the engine refuses politely
and records the question for the team. Rules on folded text, so they work without diacritics.
"""

from __future__ import annotations

import re
from enum import StrEnum

from bot.text import EMAIL_ADDRESS, UPPER_LETTERS, fold, has_diacritics, nfc

LABELS = {  # what was asked, as the answer names it when the knowledge lacks that part
    "phone": "số điện thoại",
    "money": "số tiền",
    "date": "ngày, thời điểm",
    "clock": "giờ",
    "duration": "thời gian mất bao lâu",
    "count": "con số cụ thể",
    "person": "tên người",
    "body": "người hoặc cơ quan phụ trách",
    "place": "địa điểm",
    "account": "số tài khoản",
    "link": "địa chỉ trang web, đường link",
    "email": "địa chỉ email",
    "menu": "mục cần chọn trên màn hình",
    "benefit": "khoản hỗ trợ, phụ cấp",
    "choice": "lựa chọn anh/chị hỏi",
    "item": "mục cụ thể anh/chị hỏi trong danh sách",
}


class Kind(StrEnum):
    PHONE = "phone"
    MONEY = "money"
    DATE = "date"
    CLOCK = "clock"  # a time of day ("mấy giờ")
    DURATION = "duration"
    COUNT = "count"  # a number of something ("bao nhiêu người", "bao nhiêu %")
    PERSON = "person"  # a named person ("tên là gì", "ai ký")
    BODY = "body"  # a person or an organisation ("ai", "cơ quan nào")
    PLACE = "place"
    ACCOUNT = "account"  # a bank account number ("số tài khoản của xã là gì")
    LINK = "link"  # a web address or a link ("trang web … là trang nào", "xin link nhóm Zalo")
    EMAIL = "email"  # an e-mail address ("email của trung tâm là gì")
    BENEFIT = "benefit"  # an allowance or support asked by name ("có được trả phụ cấp không")
    CHOICE = "choice"  # one of two things named at the end ("bắt đầu bằng PA hay PB"): the answer names one
    MENU = "menu"  # an item on a screen ("vào mục nào", "bấm nút gì"): the knowledge quotes it, “Tạo mới yêu cầu”
    ITEM = "item"  # one item of a list by its place ("nhóm thứ 5", "quan điểm đầu tiên", "hình thức thứ 17")


# Number words, folded; "tư" (four) and "sáu" (six) are left out: folded they are "tu" (từ, tự) and "sau" (after).
# Two things named at the end of a question, one to choose ("giấy hay điện tử", "PA hay PB vậy"). Folded.
_CHOICE = re.compile(r"\b(\w+) hay (\w+)(?: (?:vay|a|ad|nhi|the|ha|v))*\W*$")
# An allowance, support or privilege a resident asks whether they get; the answer must name the same one. Folded.
_BENEFIT = r"(?:phu cap|tro cap|ho tro tien|ho tro chi phi|cong diem|duoc cong|boi duong|tien di lai|phat mien phi)"
_NUMBER_WORDS = r"(?:mot|hai|ba|bon|nam|bay|tam|chin|muoi|tram|nghin|ngan|trieu|ty|nua)"
_NUMBER = rf"(?:\b\d[\d.,]*|\b{_NUMBER_WORDS}\b)"
_TIME_UNITS = r"(?:ngay|gio|phut|giay|tuan|thang|nam|tieng|buoi)"
# "mấy hôm trước", "mấy năm nay", "mấy bữa rồi": when something happened, told, not asked
_TOLD_TIME = r"(?!\s+(?:hom|bua|ngay|tuan|thang|nam|lan)\s+(?:truoc|nay|qua|roi|vua roi)\b)"

# A unit asked with "bao nhiêu"/"mấy" that means money, percent or time; anything else is counted as a noun.
_MONEY_UNITS = {"tien", "dong", "phi", "le phi", "trieu", "nghin", "ngan", "xu", "k", "vnd"}
_PERCENT_UNITS = {"%", "phan tram", "ty le", "phan"}
_DURATION_UNITS = {"ngay", "tuan", "thang", "nam", "phut", "tieng", "lau", "buoi", "ngay lam viec"}

_ASKS = [
    (
        Kind.PHONE,
        re.compile(
            r"\b(?:so dien thoai|sdt|hotline|duong day nong|tong dai|so truc ban|truc ban|so lien he|so zalo|"
            # "số máy", not a document's "số mấy" ("nghị quyết số mấy", "QĐ 1169 số mấy")
            r"(?<!quyet )(?<!dinh )(?<!hoach )(?<!ban )(?<!van )(?<!tu )(?<!\d )so may)\b"
            r"(?!(?: \w+){0,2} roi\b)"  # "nhập số định danh với sđt rồi, giờ nhập gì nữa": entered, not asked
            r".*\b(?:bao nhieu|bn|so nao|so may|la gi|la so|may|nao|gi)\b"
            r"|\b(?:xin|cho|gui|de lai|co)\b.*\b(?:so dien thoai|sdt|hotline|so lien he)\b"
            r"|\b(?:goi|lien he)\b(?! la\b).*\bso (?:nao|may|bao nhieu)\b"  # "được gọi là …" is named
        ),
    ),
    (
        Kind.MONEY,
        re.compile(
            r"\b(?:bao nhieu|bn|may) (?:tien|dong|trieu|nghin|ngan(?! hang)|k)\b"
            r"|\b(?:phi|le phi|hoc phi|muc phat|tien phat|phat(?! tu\b)|ngan sach|kinh phi|phu cap|luong|han muc|"
            r"gia(?! (?:lai|dinh|han|tri|mao|danh|tang|nhap|su|nghiep|vi|giam|dao)\b))\b"  # giá, not Gia Lai
            r"(?:\s+\w+){0,10}\s+(?:bao nhieu|bn|het bao nhieu|la bao nhieu)\b(?!\s*(?:%|phan tram))"  # a share
            # "tiền điện tháng này hết bao nhiêu": what it costs, not how long ("mất bao nhiêu ngày")
            rf"|\b(?:het|ton|mat|tra|dong|nop) (?:bao nhieu|bn)\b(?! (?:{_TIME_UNITS}|lau|lan|nguoi|%|phan tram))"
        ),
    ),
    (
        Kind.DATE,
        re.compile(
            r"\b(?:ngay nao|hom nao|ngay may|ngay bao nhieu|thang nao|thang may|nam nao|dot nao|"
            r"khi nao|luc nao|(?<!co )bao gio|han chot|han cuoi|thoi han|thoi gian nao|tuan nao)\b"
        ),
    ),
    (Kind.CLOCK, re.compile(r"\b(?:may gio|gio nao|may h|gio mo cua|gio lam viec|mo cua tu)\b")),
    (
        Kind.DURATION,
        re.compile(
            # "ký ngày mấy tháng 3" asks a date: "mấy tháng" after "ngày" is not a duration
            rf"\b(?:bao lau|(?<!ngay )(?:bao nhieu|bn) {_TIME_UNITS}|"  # "ký ngày bao nhiêu tháng 4": a date
            rf"(?<!ngay )may{_TOLD_TIME} (?:ngay|tuan|thang|nam|phut|tieng|buoi)|"
            r"mat may gio|"
            r"co (?:thoi )?han(?: su dung)? (?:khong|ko|k|hok|hong)|"  # "chứng chỉ có hạn không": how long it holds
            r"trong bao lau|sau bao lau)\b"
        ),
    ),
    (
        Kind.PERSON,  # a document is signed by a person ("Phó Chủ tịch Vũ Thị Hòa"), not by a body
        re.compile(
            r"\b(?:ten (?:la )?gi|ten gi|ho ten|ten la ai|ten ai|la ong nao|la ba nao|ai (?:da )?ky|nguoi ky|"
            r"dong chi nao)\b"
            # "Tổng biên tập tạp chí … hiện nay là ai": one office's holder is a person
            r"|\b(?:tong bien tap|giam doc|truong phong|to truong)\b"
            r"(?:\s+\w+){0,8}?\s+(?:(?:hien nay|hien tai|bay gio|hien) )?la ai\b"
        ),
    ),
    (
        Kind.BODY,
        re.compile(
            r"\b(?:la ai|ai (?:ban hanh|phat dong|bam nut|chu tri|phu trach|lam|quan ly|xay dung|tao ra|"
            r"dung dau|to chuc|huong dan|duyet|cap|giai quyet|gom|tong hop|theo doi|trien khai|thuc hien|lo|"
            r"quyet dinh|ra quyet dinh|thanh lap|lap)"
            r"|co quan nao|don vi nao|bo nao|"
            r"ngan hang nao|to chuc nao|nguoi nao|ben nao|cap nao)\b"
        ),
    ),
    (
        Kind.PLACE,
        re.compile(
            r"\b(?:o dau|cho nao|noi nao|dia chi|den dau|tai dau|dia diem|o cho nao|phong nao|tang may|"
            r"(?:o|tai) (?:nha van hoa|diem) nao|(?:o|tai|xuong|den|ve|len|vao) ban nao"
            r"|(?:thon|xom|ap|lang|xa|phuong) nao)\b"
        ),
    ),
    (
        Kind.ACCOUNT,
        re.compile(
            r"\b(?:so tai khoan|stk)\b(?:\s+\w+){0,8}\s+(?:la gi|la so nao|la so may|nao|bao nhieu|so may)\b"
            r"|\b(?:xin|cho|gui)\b(?:\s+\w+){0,3}\s+(?<!mot )(?:so tai khoan|stk)\b"  # "gửi mỗi đứa một số tài khoản"
        ),
    ),
    (
        Kind.LINK,
        re.compile(
            r"\b(?:xin|cho|gui)\b(?:\s+\w+){0,3}\s+(?:link|duong link|duong dan|dia chi (?:trang|web|website))\b"
            r"|\b(?:link|duong dan|dia chi web|dia chi trang|trang web|website|web)\b(?:\s+\w+){0,8}\s+"
            r"(?:la gi|la trang nao|la dia chi nao|la dau|trang nao|dia chi nao|o dau)\b"
            r"|\b(?:dia chi (?:web|trang|website)|trang web|website|link)\s+(?:nao|gi|j)\b"  # "ở địa chỉ web nào"
        ),
    ),
    (
        Kind.EMAIL,
        re.compile(
            r"\b(?:email|e mail|mail|gmail|thu dien tu|hop thu)\b(?:\s+\w+){0,10}\s+(?:la gi|la dia chi nao|nao|gi|j)\b"
            r"|\b(?:xin|cho)\b(?:\s+\w+){0,3}\s+(?:email|e mail|mail|gmail|dia chi thu)\b"
        ),
    ),
    (
        Kind.BENEFIT,  # "thành viên tổ có được trả phụ cấp không", "học có được hỗ trợ tiền đi lại không"
        re.compile(rf"\b{_BENEFIT}\b.*\b(?:khong|ko|k|chua|bao nhieu|bn)\b"),
    ),
    (Kind.CHOICE, _CHOICE),
    (
        Kind.MENU,  # "vào mục nào để thanh toán", "bấm nút gì để bắt đầu", "chọn mục nào"; folded, "mục" is also
        # "mức" (ở mức nào), so a verb of pressing or choosing comes first
        re.compile(r"\b(?:vao|chon|bam|an|nhan|mo|cham) (?:muc|nut|chuc nang|tab|o) (?:nao|gi|j)\b"),
    ),
]
# One item of a list asked by its place: "nhóm nhiệm vụ thứ 5", "quan điểm đầu tiên", "hình thức thứ 17", "nhóm
# cuối". Folded. (A guide's "bước cuối" is a step, which the guides name by number.)
_ORDINALS = {"nhat": 1, "hai": 2, "ba": 3, "tu": 4, "nam": 5, "sau": 6, "bay": 7, "tam": 8, "chin": 9, "muoi": 10}
_ASKS_ITEM = re.compile(
    r"\b(?:hinh thuc|nhom(?: nhiem vu| giai phap)?|nhiem vu|giai phap|co che|quan diem|loai|chieu|dieu|"
    r"muc tieu|chinh sach|tru cot|dot pha)\s+"
    r"(?:thu\s+(\d+|nhat|hai|ba|tu|nam|sau|bay|tam|chin|muoi)\b|(dau tien)\b|(cuoi cung|cuoi)\b)"
)
_LIST_ITEM = re.compile(r"(?m)^\s*(?:[-•*+]|\d+[.)]|[a-zđ][.)])\s")


def _item_asked(question: str) -> int:
    """The place of the list item asked (1 for "đầu tiên", 2 for "cuối": a list, at least), 0 when none is."""
    m = _ASKS_ITEM.search(question)
    if not m:
        return 0
    if m.group(2):
        return 1
    if m.group(3):
        return 2
    return int(m.group(1)) if m.group(1).isdigit() else _ORDINALS[m.group(1)]


def _holds_item(question: str, answer: str) -> bool:
    """A list long enough to hold the item asked, or the item named by its place ("Nhóm nhiệm vụ 5", "thứ năm")."""
    place = _item_asked(_asking(question))  # as asked_kinds reads it
    said = "|".join([str(place), *(w for w, n in _ORDINALS.items() if n == place)])  # "5", "nam"
    named = rf"\bthu (?:{said})\b|\b(?:nhiem vu|nhom|quan diem|dieu|hinh thuc) {place}\b"
    return len(_LIST_ITEM.findall(answer)) >= place or bool(re.search(named, fold(answer)))


# Words after "bao nhiêu" that are not the thing counted ("đóng góp bao nhiêu vào tăng trưởng").
_NOT_UNITS = frozenset(
    "la thi vay a ha so con cai the vao cho de khi moi trong tren o duoc dc nua roi nhi vay ak ah nhe khong ko "
    "trieu".split()
)
# "máy tính", "máy cảm ứng", typed without marks: a machine, not "mấy" (how many)
_MACHINE = r"(?! (?:tinh|cam ung|atm|quet|bay|cay|gat|lanh|giat|moc|say|xay|pos)\b)"
_COUNT_ASK = re.compile(rf"\b(?:bao nhieu|bn|may{_MACHINE}){_TOLD_TIME}\s+(%|phan tram|ty le|\w+(?: \w+)?)")

_PHONE = re.compile(r"(?<![\d/.,])(?:\+?84|0)?\d(?:[ .]?\d){2,11}(?![\d/%]|\.\d)")
_YEAR = re.compile(r"^(?:19|20)\d\d$")
_MONEY = re.compile(
    r"\b\d[\d.,]*\s*(?:dong|d\b|vnd|trieu|nghin|ngan(?! hang)|ty(?! le)|k\b)|"
    rf"\b{_NUMBER_WORDS}\s+(?:tram|nghin|ngan(?! hang)|trieu|ty(?! le))\s+dong\b|"
    r"khong (?:mat|thu|ton) (?:phi|tien)|khong phai (?:tra|nop|dong) (?:phi|tien)|0 dong"
)
_DATE = re.compile(
    r"\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b|\bngay \d{1,2}\b|\bthang \d{1,2}\b|\b(?:nam )?(?:19|20)\d\d\b|"
    r"\b(?:hang (?:nam|thang|tuan|quy)|dinh ky|thu (?:hai|ba|tu|nam|sau|bay)|chu nhat|quy [1-4iv]+|"
    r"(?:ngay|hom) (?:lam viec )?(?:tiep theo|ke tiep|hom sau)|ngay mai|ngay hom sau)\b"
)
_FEE = re.compile(r"\b(?:le phi|phi)\b")
_CLOCK = re.compile(r"\b\d{1,2}\s*(?:h|gio)\b|\b\d{1,2}:\d{2}\b|\b(?:24/7|24 gio|gio hanh chinh|ca ngay)\b")
_DURATION = re.compile(
    rf"{_NUMBER}\s*(?:{_TIME_UNITS}|ngay lam viec)\b|\b(?:ngay lap tuc|ngay sau|trong ngay|tuc thi|vai phut)\b"
)
_BODY = re.compile(
    r"\b(?:bo|so|cuc|vien|ban|phong|uy ban|ubnd|hdnd|chinh phu|thu tuong|quoc hoi|dang|mat tran|hoi|doan|"
    r"cong an|ngan hang|trung tam|truong|tong bi thu|chu tich|pho chu tich|bi thu|giam doc|to cong nghe|"
    r"doanh nghiep|tap doan|to chuc|napas|evn|vnpt|viettel)\b"
)
# A person's name: two or more capitalised syllables in a row, in the answer as written ("Tô Lâm"); a person
# is named when a title comes before them ("Phó Chủ tịch Quàng Văn Thiên"), since places are capitalised too.
_NAME = re.compile(rf"\b[{UPPER_LETTERS}][a-zà-ỹđ]+(?:\s+[{UPPER_LETTERS}][a-zà-ỹđ]+){{1,3}}\b")
_TITLED_NAME = re.compile(
    r"(?i:\b(?:ông|bà|đồng chí|chủ tịch|bí thư|thủ tướng|bộ trưởng|giám đốc|tổ trưởng|trưởng thôn|trưởng bản|"
    rf"trưởng ban|trưởng phòng|cán bộ|thầy|cô))\s+[{UPPER_LETTERS}][a-zà-ỹđ]+"
    rf"(?:\s+[{UPPER_LETTERS}][a-zà-ỹđ]+){{1,3}}\b"
)
_LINK = re.compile(r"https?://|\b[\w-]+(?:\.[\w-]+)*\.(?:vn|com|net|org)\b")
_LINK_ASKED = re.compile(r"\b(?:web|website|trang|link|cong thong tin|email|zalo|fanpage)\b")
_QUOTED_LABEL = re.compile(r"[“\"][^”\"\n]{2,80}[”\"]")
# What a question asks for exactly; the weaker checks (a body, a place) may be missing from a partial answer.
STRONG = frozenset(
    {
        "phone",
        "money",
        "date",
        "clock",
        "duration",
        "count",
        "person",
        "account",
        "benefit",
        "choice",
        "link",
        "email",
        "item",
    }
)
# "Thôn nào ở Bình Giang đã có màn hình LED", "xã nào ở Cao Bằng đã dùng chatbot": one named by its name. Folded
# word -> how the answer writes it before the name.
_LOCALITY_WORDS = {
    "ban": "[Bb]ản",
    "thon": "[Tt]hôn",
    "xom": "[Xx]óm",
    "ap": "[Ấấ]p",
    "lang": "[Ll]àng",
    "xa": "[Xx]ã",
    "phuong": "[Pp]hường",
}
# "bản" only after a verb of going or "ở": folded, "ban nào" is also a board ("ban nào của tỉnh ủy"), "cơ bản nào"
_WHICH_LOCALITY = re.compile(r"\b(?:(?:o|tai|xuong|den|ve|len|vao) (ban)|(thon|xom|ap|lang|xa|phuong)) nao\b")
# Where a building or office itself stands ("trung tâm dịch vụ tổng hợp xã ta nằm ở đâu", "địa chỉ trụ sở"): the
# office's own name, or a task it is given, is no answer; a street, hamlet, floor or landmark is.
_OFFICE = r"(?:trung tam|tru so|ubnd|uy ban|buu dien|nha van hoa|bo phan mot cua|bo phan tiep nhan)"
_ASKS_ADDRESS = re.compile(
    rf"\b{_OFFICE}\b(?:\s+\w+){{0,8}}?\s+(?:nam|dat|o|dia chi)\s+(?:o\s+)?(?:dau|cho nao)\b"
    rf"|\bdia chi (?:cua )?{_OFFICE}\b|\b{_OFFICE}\b(?:\s+\w+){{0,8}}?\s+dia chi\b"
)
_ADDRESS = re.compile(
    rf"(?i:\b(?:thôn|bản|xóm|ấp|đường|phố|tổ dân phố|khu|tầng|số nhà))\s+[{UPPER_LETTERS}0-9]"
    r"|(?i:\b(?:cạnh|gần|đối diện|sát)\s+(?:chợ|trường|ủy ban|UBND|trạm|nhà văn hóa|bưu điện))"
)
_PLACE = re.compile(
    r"\b(?:tai|o|den|len|qua|tren)\s+\w+|\b(?:cong an|ubnd|uy ban|bo phan|tru so|nha van hoa|diem|"
    r"trung tam|buu dien|ngan hang|cong dich vu cong|trang|website|ung dung|app|quay|phong)\b|\.vn\b"
)


# "Ngày nào" wants a day: a year alone ("năm 2024") does not answer it.
_ASKS_DAY = re.compile(r"\b(?:ngay nao|hom nao|ngay may|ngay bao nhieu|thu may)\b")
_DAY = re.compile(
    r"\b\d{1,2}/\d{1,2}\b|\bngay \d{1,2}\b|\b(?:hang (?:thang|tuan|ngay)|thu (?:hai|ba|tu|nam|sau|bay)|chu nhat|"
    r"(?:ngay|hom) (?:lam viec )?(?:tiep theo|ke tiep|hom sau)|ngay mai)\b"
)


# Words that say how or who asks, not what about ("mất mấy ngày thì xong vậy", "xã ta"): left out when checking
# that a date or number stands next to the subject of the question.
NOT_SUBJECT = frozenset(
    "may bao nhieu bn nao gi dau khi luc lau mat xong het vay a ah ak ha nhe nha nhi oi minh ta em anh chi toi tui "
    "ad ban co khong ko k duoc dc la thi phai can do".split()  # "do ai ký": by whom
)


# "tháng nào cũng", "ở đâu cũng", "bao giờ cũng": every month, anywhere, always, not an ask
_EVERY = re.compile(r"\b(?:nao|dau|gio)\b(?=(?: \w+){0,2} cung\b)")


# "mới học xong mấy khóa", "đã đi mấy buổi", "vừa nộp mấy lần": some, told of what was done, not asked. Folded.
_TOLD_SOME = re.compile(r"\b(xong|(?:da|vua) \w+(?: xong)?) may\b")


def without_told_some(folded: str) -> str:
    """The folded text with "mấy" told of what was done ("học xong mấy khóa") read as "vài" (some)."""
    return _TOLD_SOME.sub(r"\1 vai", folded)


def _asking(question: str) -> str:
    """The folded question as the ask patterns read it: "X nào cũng" (every X), "máy" (a machine) and "học xong
    mấy khóa" (some) ask for nothing."""
    typed = re.sub(r"\b[Mm]áy\b", "thiết bị", nfc(question))  # "máy" typed with its mark is a machine
    return without_told_some(_EVERY.sub("ca", fold(typed)))


def ask_words(question: str) -> set[str]:
    """The question's folded words that ask (ngày nào, bao nhiêu phần trăm, ở đâu…) or only carry courtesy."""
    q = _asking(question)
    spans: list[tuple[int, int]] = []
    for kind, pattern in _ASKS:
        if kind not in (
            Kind.PHONE,
            Kind.ACCOUNT,
            Kind.LINK,
            Kind.EMAIL,
            Kind.BENEFIT,
            Kind.CHOICE,
        ):  # these span the whole question
            spans += [m.span() for m in pattern.finditer(q)]
    for m in _COUNT_ASK.finditer(q):
        if _unit_kind(m.group(1))[1] == "%":
            spans.append(m.span())
    # a word that asks here may name the subject elsewhere: "ngày" of "Ngày hội … vào ngày nào" stays a subject word
    outside = {m.group() for m in re.finditer(r"\w+", q) if not any(a <= m.start() < b for a, b in spans)}
    inside = {m.group() for m in re.finditer(r"\w+", q) if any(a <= m.start() < b for a, b in spans)}
    return set(NOT_SUBJECT) | (inside - outside)


def _unit_kind(unit: str) -> tuple[Kind | None, str]:
    """What "bao nhiêu <unit>" asks for, and the thing to count in the answer: "%" or the noun's first syllable
    ("bao nhiêu người" -> COUNT "nguoi"; "bao nhiêu tiền" -> MONEY; "vào" is no unit -> None)."""
    first = unit.split()[0]
    if unit == "ngan hang":
        return Kind.COUNT, "ngan"  # "bao nhiêu ngân hàng": banks, not thousands (ngàn)
    if unit in _PERCENT_UNITS or first in _PERCENT_UNITS:
        return Kind.COUNT, "%"
    if first in _MONEY_UNITS:
        return Kind.MONEY, ""
    if first in _DURATION_UNITS:
        return Kind.DURATION, ""
    if len(first) > 1 and first not in _NOT_UNITS:
        return Kind.COUNT, first
    return None, ""


def asked_kinds(question: str) -> set[Kind]:
    """The kinds of thing the question asks for (empty: nothing checkable, e.g. "là gì", "làm thế nào")."""
    q = _asking(question)
    kinds = {kind for kind, pattern in _ASKS if pattern.search(q)}
    if Kind.MENU in kinds and has_diacritics(question) and not re.search(r"\b(?:mục|nút|chức năng|tab|ô)\b", question):
        kinds.discard(Kind.MENU)  # "ở mức nào": a level, not an item on a screen
    if _ASKS_ITEM.search(q):
        kinds.add(Kind.ITEM)  # "nhóm nhiệm vụ thứ 5 nói về gì": that item, not the overview that counts them
    if Kind.EMAIL in kinds or (Kind.LINK in kinds and re.search(r"\bdia chi (?:web|trang|website)\b", q)):
        kinds.discard(Kind.PLACE)  # "địa chỉ email", "địa chỉ web": an address to write to, not a place to go
    if Kind.MONEY in kinds and re.search(r"\b(?:giam|tiet kiem|cat giam)\b", q):
        kinds = (kinds - {Kind.MONEY}) | {Kind.COUNT}  # "giảm chi phí được bao nhiêu": a share or a sum
    if re.search(r"\bsở nào\b", nfc(question).lower()):
        kinds.add(Kind.BODY)  # "gửi lên sở nào": a department of the province
    typed_so = not has_diacritics(question) or re.search(r"\bsố\b", nfc(question).lower())  # "sở nào" is a body
    if not kinds & {Kind.PHONE, Kind.ACCOUNT} and (
        re.search(r"\b(?:la so|so) (?:may|bao nhieu|bn)\b", q) or (typed_so and _ASKS_DOCUMENT_NUMBER.search(q))
    ):
        kinds.add(Kind.COUNT)  # "quyết định số mấy": a number
    if not kinds & {Kind.MONEY, Kind.DURATION, Kind.PHONE, Kind.CLOCK, Kind.DATE}:
        kinds |= {kind for kind, _ in map(_unit_kind, _COUNT_ASK.findall(q)) if kind}
    return kinds


def _is_phone(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate)
    thousands = re.fullmatch(r"\d{1,3}(?:\.\d{3})+", candidate.strip())  # "74.422" counts, it is no phone
    return (
        len(digits) >= 3
        and not _YEAR.match(digits)
        and digits[0] in "018"  # 0…, +84…, 113, 1900…, 1800…
        and not (thousands and digits[0] != "0")
    )


# "kinh tế số bao nhiêu", "chuyển đổi số …": "số" there is digital, not a number
_NOT_DIGITAL = r"(?<!te )(?<!doi )(?<!nang )(?<!nghe )(?<!vu )(?<!ky )(?<!tang )(?<!lieu )(?<!hoi )(?<!phu )(?<!toan )"
_DOCUMENT = r"(?:cong van|quyet dinh|ke hoach|nghi quyet|nghi dinh|thong tu|van ban|chi thi|qd|kh|nq|nd|cv)"
# "công văn số mấy", "số quyết định thành lập tổ … là số mấy"
_ASKS_DOCUMENT_NUMBER = re.compile(
    rf"\b{_DOCUMENT}\b(?:\s+\w+){{0,6}}?\s+(?<!ve )(?<!len )(?<!cho )(?<!toi )(?:la )?{_NOT_DIGITAL}so "
    r"(?:may|bao nhieu|bn|nao)\b"
    rf"|\bso (?:hieu )?{_DOCUMENT}\b(?:\s+\w+){{0,14}}?\s+(?:la )?(?:so )?(?:may|bao nhieu|bn|gi|nao)\b"
    r"|\bso hieu\b(?:\s+\w+){0,3}?\s+(?:la )?(?:so )?(?:may|bao nhieu|bn|gi|nao)\b"  # "có số hiệu là bao nhiêu"
    rf"|\btheo {_DOCUMENT} (?:nao|so may|so bao nhieu)\b"  # "… theo nghị định nào"
)
_DOCUMENT_NUMBER = re.compile(r"\b(\d+)\s*[/-]\s*(?:\d+\s*/\s*)?[a-z]|\bso (\d+)")

# A document named by its number: "nghị quyết 18", "QĐ 1139", "kế hoạch số 45", "01-CTr/BCĐ", "NĐ 69/2024".
_NAMED_DOCUMENT = re.compile(
    rf"\b(?:{_DOCUMENT}|chuong trinh|tt|ctr)"  # the document words above, and a programme's
    r"\s*(?:so\s*)?(\d{1,5})(?!\d)(?!\s*(?:tuoi|nguoi|%|k\b|tr\b|trieu|dong|nghin|ngan))"  # not a sum
    r"|\b(\d{1,5})\s*[-/]\s*(?:nq|qd|kh|nd|tt|ctr|ct|cv)\b"
)


def documents_named(question: str) -> set[str]:
    """The numbers of the documents a question names ("nghị quyết 18-NQ/TW", "QĐ 1139") — not years."""
    numbers = {a or b for a, b in _NAMED_DOCUMENT.findall(fold(question))}
    return {n.lstrip("0") or "0" for n in numbers if not _YEAR.match(n)}


def names_other_documents(question: str, answer: str) -> set[str]:
    """The documents the question names by number that the answer (its text and source line) never mentions:
    asked about "nghị quyết 18", an answer on Kế hoạch 209 is about another document."""
    said = {m.lstrip("0") or "0" for m in re.findall(r"(?<![\d.,])(\d{1,5})(?![\d]|[.,]\d)", fold(answer))}
    return documents_named(question) - said


# The first syllables of nouns for people ("nhà nghiên cứu", "cán bộ", "thành viên", "học viên"), counted in "người"
_PEOPLE_UNITS = frozenset({"nha", "can", "thanh", "hoc", "giao", "dang", "hoi", "chuyen", "cong"})


# A thing counted under another name: "bao nhiêu lượt" is answered in "giao dịch" or "lần". Folded first syllable
# of the unit asked -> the words the answer may count it in.
_SAME_UNITS = {"luot": "giao dich|lan", "lan": "luot", "buoi": "lop|khoa", "lop": "buoi|khoa"}


# An item's number in a list ("5. Các Trường học trên địa bàn", "1.5. Hướng dẫn") counts nothing.
_LIST_MARKER = re.compile(r"(?m)^\W*\d+(?:\.\d+)*[.)]\s")
# A size asked per unit ("mỗi tổ có mấy người", "tổ thường có bao nhiêu người") is not answered by a total over
# the country ("cả nước có 74.422 Tổ với 348.362 thành viên").
_PER_UNIT = re.compile(
    r"\b(?:moi (\w+)|thuong|thong thuong|trung binh)\s+(?:\w+\s+){0,4}?(?:co |gom |duoc )?(?:bao nhieu|bn|may)\b"
)
_COUNTRY_TOTAL = re.compile(r"\b(?:ca nuoc|toan quoc|tong cong|tong so|63/63)\b")
_COUNTED = rf"{_NUMBER}(?![\d.,]*\s*(?:%|phan tram))"  # "100% trường học" is a share of the schools, not their number


def _holds_count(question: str, folded: str, known: str = "") -> bool:
    """A number of the thing counted: "74.422 Tổ" for "bao nhiêu tổ", "80%" for "bao nhiêu phần trăm"; any number
    when the question names no unit ("quyết định số mấy")."""
    folded = _LIST_MARKER.sub(" ", folded)
    if _ASKS_DOCUMENT_NUMBER.search(fold(question)):  # "công văn số mấy": "793/BTTTT-THH", "số 3267"
        # a number the question names itself ("… để thực hiện NQ 57"), or a document the answering documents are
        # about (their titles: "Kế hoạch triển khai Quyết định 1169/QĐ-TTg …"), is not the one it asks for
        named = set(re.findall(r"\d+", question))
        named |= {m.group(1) or m.group(2) for m in _DOCUMENT_NUMBER.finditer(fold(known))}
        return any((m.group(1) or m.group(2)) not in named for m in _DOCUMENT_NUMBER.finditer(folded))
    asking = _asking(question)
    units = [u for kind, u in map(_unit_kind, _COUNT_ASK.findall(asking)) if kind is Kind.COUNT]
    if per := _PER_UNIT.search(asking):  # "mỗi tổ thường có mấy người": not the country's total
        # the unit is the word after "mỗi", or else the question's first word ("tổ … thường có bao nhiêu người");
        # a sentence about another unit ("mỗi hộ gia đình có ít nhất 1 người") is no answer either
        unit = per.group(1) or asking.split()[0]
        folded = " ".join(
            s
            for s in re.split(r"(?<=[.;:\n])\s+", folded)
            if not _COUNTRY_TOTAL.search(s) and re.search(rf"\b{re.escape(unit)}\b", s)
        )
    if not units:
        return bool(re.search(r"\d", folded))
    for unit in units:
        if unit == "%" and re.search(r"\d\s*%|phan tram", folded):
            return True
        if unit != "%" and re.search(rf"{_COUNTED}\W+(?:\w+\W+){{0,2}}{re.escape(unit)}\b", folded):
            return True
        same = _SAME_UNITS.get(unit, "")
        if same and re.search(rf"{_COUNTED}\W+(?:\w+\W+){{0,2}}(?:{same})\b", folded):
            return True  # "bao nhiêu lượt": "3,6 tỷ giao dịch"
        if (unit in _PEOPLE_UNITS or unit == "nguoi") and re.search(
            rf"{_COUNTED}\W+(?:\w+\W+){{0,2}}(?:nguoi|thanh vien)\b", folded
        ):
            return True  # "mấy nhà nghiên cứu", "bao nhiêu cán bộ": "12 người"; "mấy người": "10 thành viên"
    return False


# "bao giờ nhận được", "khi nào có kết quả", "lúc nào tiền về": how long until, answered by a wait or "ngay"
_ASKS_WAIT = re.compile(
    r"\b(?:bao gio|khi nao|luc nao)\b(?:\s+\w+){0,3}?\s+(?:nhan duoc|nhan dc|nhan|co ket qua|xong|ve|vao tai khoan|"
    r"co tien|den)\b"
    r"|\b(?:nhan duoc|nhan dc|co ket qua|xong|tien ve|tien den)\b(?:\s+\w+){0,2}?\s+(?:bao gio|khi nao|luc nao)\b"
)
_AT_ONCE = re.compile(r"\b(?:den|ve|nhan|nhan duoc|co) ngay\b(?! \d)|\bngay lap tuc\b|\btuc thi\b|\b24/7\b")


# A time of day the resident tells ("nộp lúc 4h chiều", "8 giờ tối hôm qua"): their case, which the knowledge states
# as a rule ("nộp sau 15 giờ"), so its words are not part of what a sentence must be about.
_TOLD_CLOCK = re.compile(
    r"\b(?:(?:vao )?luc |tu |sau |truoc )?\d{1,2}\s*(?:h|gio|g)(?:\s*\d{1,2})?(?:\s+(?:sang|chieu|toi|trua|dem))?\b"
)


def told_clock_words(question: str) -> set[str]:
    """The folded words of a time of day the question tells ("lúc 4h chiều" -> {"luc", "4h", "chieu"})."""
    return {w for m in _TOLD_CLOCK.finditer(fold(question)) for w in m.group().split()}


# What a "how long / when" question waits for ("bao lâu thì có kết quả", "khi nào nhận được"): the wait, not the
# subject, so a duration need not stand beside those words ("Cả nhóm thủ tục: không quá 3 ngày làm việc"). Folded.
_WAITED = re.compile(
    r"\b(?:bao lau|bao gio|khi nao|luc nao|may ngay)\b(?:\s+\w+){0,2}?\s+(nhan duoc|nhan dc|co ket qua|co giay|xong)\b"
    r"|\b(nhan duoc|nhan dc|co ket qua|xong)\b(?:\s+\w+){0,2}?\s+(?:bao lau|bao gio|khi nao|luc nao|may ngay)\b"
)


def waited_words(question: str) -> set[str]:
    """The folded words of what a question waits for ("bao lâu có kết quả" -> {"co", "ket", "qua"})."""
    return {w for m in _WAITED.finditer(fold(question)) for g in m.groups() if g for w in g.split()}


def asks_wait(question: str) -> bool:
    """ "bao giờ bên kia nhận được", "khi nào có kết quả": how long until something happens, not a calendar date."""
    return bool(_ASKS_WAIT.search(fold(question)))


_FREQUENCY = re.compile(r"\b(?:hang|moi) (?:ngay|tuan|thang|quy|nam)\b|\bdinh ky\b")


def holds(kind: Kind, question: str, answer: str, known: str = "") -> bool:
    """Whether the answer text contains a thing of that kind, as this question asks it. `known`: what the answer
    is about already (the titles of its documents), whose document numbers are no answer to "số mấy"."""
    folded = fold(answer)
    if kind is Kind.PHONE:
        return any(_is_phone(m.group()) for m in _PHONE.finditer(folded))
    if kind is Kind.ACCOUNT:
        return bool(re.search(r"\b\d{6,}\b", re.sub(r"(?<=\d)[ .](?=\d)", "", folded)))
    if kind is Kind.MONEY:  # a fee asked ("lệ phí cấp đổi bao nhiêu") is a fee, not a sum the rules name
        fee = not _FEE.search(fold(question)) or _FEE.search(folded)
        return bool(_MONEY.search(folded)) and bool(fee)
    if kind is Kind.DATE:  # "ngày nào" wants a day; "khi nào", "năm nào" take a year too
        if asks_wait(question) and (_DURATION.search(folded) or _AT_ONCE.search(folded)):
            return True  # "bao giờ bên kia nhận được": "tiền đến ngay", "trong 3 ngày làm việc"
        asked_folded = fold(question)  # "họp vào ngày nào hằng tháng": its own "hằng tháng" answers nothing
        pattern = _DAY if _ASKS_DAY.search(asked_folded) else _DATE
        told_often = bool(_FREQUENCY.search(asked_folded))  # "ngày nào hằng tháng" wants the day, not "hằng tuần"
        return any(
            m.group() not in asked_folded and not (told_often and _FREQUENCY.match(m.group()))
            for m in pattern.finditer(folded)
        )
    if kind is Kind.CLOCK:
        return bool(_CLOCK.search(folded))
    if kind is Kind.DURATION:
        if re.search(r"\b(?:mot|1) lan\b", fold(question)) and _FREQUENCY.search(folded):
            return True  # "bao lâu báo cáo một lần": "hằng tháng", "định kỳ 6 tháng"
        return bool(_DURATION.search(folded))
    if kind is Kind.COUNT:
        return _holds_count(question, folded, known)
    if kind is Kind.LINK:
        return bool(_LINK.search(folded))
    if kind is Kind.EMAIL:
        return bool(EMAIL_ADDRESS.search(folded))
    if kind is Kind.MENU:
        return bool(_QUOTED_LABEL.search(answer))
    if kind is Kind.ITEM:
        return _holds_item(question, answer)
    if kind is Kind.CHOICE:
        m = _CHOICE.search(fold(question).strip())
        return not m or any(re.search(rf"\b{re.escape(w)}\b", folded) for w in m.groups())
    if kind is Kind.BENEFIT:
        return any(m.group() in folded for m in re.finditer(_BENEFIT, fold(question)))
    if kind is Kind.PERSON:
        return bool(_TITLED_NAME.search(answer))
    if kind is Kind.BODY:
        return bool(_BODY.search(folded)) or bool(_NAME.search(answer))
    asking = _asking(question)
    if _ASKS_ADDRESS.search(asking) and not _LINK_ASKED.search(asking):  # where an office stands: its address
        return bool(_ADDRESS.search(answer))
    if m := _WHICH_LOCALITY.search(asking):  # "thôn nào", "xã nào": a hamlet or commune by its name
        return bool(re.search(rf"\b{_LOCALITY_WORDS[m.group(1) or m.group(2)]}\s+[{UPPER_LETTERS}]", answer))
    return bool(_PLACE.search(folded))  # Kind.PLACE


# A plan year named in the question ("đến 2045", "năm 2026"), not a birth year ("sinh năm 2015") or the year the
# resident did something ("tài khoản em lập từ 2022", "thẻ làm năm 2021").
_PLAN_YEAR = re.compile(r"(?<!sinh )(?<!sinh nam )\b20[2-5]\d\b")
_OWN_YEAR = re.compile(r"\b(?:sinh|lap|tao|mo|dang ky|lam|cap|mua)(?: (?:tu|nam|hoi|vao|tu nam|vao nam))? (20\d\d)\b")


def named_years(question: str) -> set[str]:
    """The years a question is about: an answer about another year does not answer it ("đến 2045 kinh tế số
    chiếm bao nhiêu" is not answered by the 2030 target)."""
    folded = fold(question)
    return set(_PLAN_YEAR.findall(folded)) - set(_OWN_YEAR.findall(folded))


# A particular occasion, not a standing rule: "tuần sau", "thứ 7 này", "sắp tới", "năm nay". "Hôm nay" and
# "ngày mai" are left out: residents use them to ask a rule ("nộp hôm nay thì tính từ ngày mai").
_WEEKDAY = r"(?:thu (?:hai|ba|tu|nam|sau|bay|[2-7])|t[2-7]|chu nhat|cn)"
_DAY_OCCASION = (
    rf"(?:(?:tuan|thang|dot|ky|lan) (?:sau|toi|nay)|(?:(?:sang|chieu|toi) )?{_WEEKDAY} (?:nay|toi|tuan sau)"
    rf"|(?:sang|chieu) {_WEEKDAY}|cuoi tuan nay)"
)
_OCCASION = re.compile(rf"\b(?:{_DAY_OCCASION}|sap toi|nam nay)\b")
# When a place near the resident opens or holds a class: "lớp ở nhà văn hóa bản em bao giờ mở", "công an xã làm
# định danh vào những ngày nào trong tuần, thứ 7 có làm không". The knowledge holds no local timetable.
_LOCAL_CALENDAR = re.compile(
    r"\b(?:(?:ban|thon|xom|to dan pho|nha van hoa|lang) (?:em|minh|toi|nha|ta)|nha van hoa"
    r"|ngay nao trong tuan|(?:thu 7|thu bay|chu nhat|cuoi tuan) co (?:lam|lam viec|mo cua|hoc|truc)"
    r"|xin vao (?:to|lop|doi)|nop don (?:xin|vao|tham gia)|(?:tham gia|gia nhap) to\b.*\bhan chot"
    r"|gio (?:lam viec|mo cua|tiep dan)|mo cua (?:tu )?may gio)\b"
)
# "… có xuống bản không", "… có mở cửa không ạ": a yes-or-no question, here about what happens on that day
_YES_NO = re.compile(r"\bco\b.*\b(?:khong|ko|k|hong|hok|chua)\b(?:\s+(?:a|ad|ah|vay|nhi|ha|nhe))*\W*$")
# Whether an office works or a team comes on a given day of the week: "công an xã chủ nhật có làm định danh không",
# "tổ có lịch đến nhà vào thứ bảy nào không"
_WORKING_DAY = re.compile(
    rf"\b(?:{_WEEKDAY}|cuoi tuan)\b.*\bco (?:lam|lam viec|mo cua|truc|nhan|tiep|hoc|day|lich)\b"
    rf"|\bco lich\b.*\b(?:{_WEEKDAY}|cuoi tuan)\b"
)


def asks_about_occasion(question: str, asked: set[Kind]) -> bool:
    """True when the question asks when, where, who or how many about a particular occasion ("lớp tuần sau học
    ngày nào", "năm nay xã mình có bao nhiêu người…"): the knowledge holds plans and standing rules, not the
    commune's calendar or this year's figures, so such a question goes to the team. How long something takes
    is a rule, so a duration does not count. A yes-or-no question about a particular day ("thứ 7 này tổ có
    xuống bản không") asks the commune's calendar too."""
    folded = fold(question)
    if asked & {Kind.DATE, Kind.CLOCK} and _LOCAL_CALENDAR.search(folded):
        return True
    if _WORKING_DAY.search(folded) and (_YES_NO.search(folded) or asked & {Kind.DATE, Kind.CLOCK}):
        return True
    if asked - {Kind.DURATION}:
        return bool(_OCCASION.search(folded))
    return bool(re.search(rf"\b{_DAY_OCCASION}\b", folded) and _YES_NO.search(folded))


# The commune's own administrative facts, which no plan or explainer holds: which old communes merged into it, where
# its offices are ("xã Mường Mùn mới gồm những xã cũ nào", "trụ sở UBND xã chuyển về đâu"). Folded.
_LOCAL_FACTS = re.compile(
    r"\b(?:(?:sap nhap|hop nhat|gop|sat nhap)\b.*\b(?:xa cu|phuong cu|nhung xa|tu xa|tu nhung|gom (?:nhung )?xa)"
    r"|(?:xa cu|nhung xa) nao\b.*\b(?:sap nhap|hop nhat|gop)"
    r"|tru so\b.*\b(?:o dau|cho nao|noi nao|dau|chuyen ve|dia chi|nam o)"
    r"|dia chi (?:cua )?(?:ubnd|uy ban|cong an|bo phan mot cua|tru so)"
    # who heads one's own village's team ("tổ trưởng tổ công nghệ số bản em là ai"): a local name
    r"|(?:to truong|to pho|truong thon|truong xom|truong ap)\b.*\b(?:ban|thon|xom|ap|to|xa) (?:em|e|minh|toi|ta|nha)\b"
    r".*\b(?:la ai|ten (?:la )?gi|ten gi|ten j)"
    # the commune's own bank account ("số tài khoản của UBND xã mình để nộp lệ phí"): not in any plan
    r"|so tai khoan (?:cua )?(?:ubnd|uy ban|xa|cong an|bo phan mot cua|truong)"
    # who holds an office now ("chủ tịch UBND xã Mường Mùn tên gì", "trưởng phòng Văn hóa - Xã hội hiện là ai"):
    # the plans name only their signers
    r"|(?:chu tich|bi thu|truong phong|pho phong|truong cong an|truong ban|giam doc)\b(?!.*\bky\b)"
    r"(?:\s+\S+){0,10}?\s+(?:hien (?:nay |gio |tai )?)?(?:la ai|ten (?:la )?gi|ten gi|ten j|la ong nao|la ba nao))\b"
)


def asks_about_local_facts(question: str) -> bool:
    """True when the question asks the commune's own administrative facts (its merger, its offices' addresses):
    the team knows them, the knowledge does not."""
    return bool(_LOCAL_FACTS.search(fold(question)))


# The state of things now or so far ("hiện có", "đã … rồi", "đến nay"), not a target or a rule.
_PROGRESS = re.compile(
    r"\b(?:hien (?:co|nay|tai|gio)|den nay|toi nay|den gio|toi gio|bay gio|gio da|da (?:\w+ ){0,12}roi|"
    r"da dat|dat duoc|da co (?:bao nhieu|bn)|co (?:tat ca|tong cong|tong so) (?:bao nhieu|bn))\b"
)


def asks_about_progress(question: str, asked: set[Kind], about_home: bool) -> bool:
    """True when the question asks how many, now or so far, in the commune itself ("xã mình hiện có bao nhiêu
    thành viên", "đã bao nhiêu % người dân xã mình … rồi"): the plans hold the commune's targets, not its running
    figures, which the team knows. The country's figures ("cả nước hiện có bao nhiêu tài khoản") stay answerable."""
    return about_home and bool(asked & {Kind.COUNT, Kind.MONEY}) and bool(_PROGRESS.search(fold(question)))


def missing_kinds(question: str, answer: str, asked: set[Kind] | None = None, known: str = "") -> set[Kind]:
    """What the question asks for (`asked`, when already known) that the answer does not hold (`known`: see
    `holds`)."""
    kinds = asked_kinds(question) if asked is None else asked
    return {kind for kind in kinds if not holds(kind, question, answer, known)}


# Where things stand now ("hiện giờ … đứng thứ mấy rồi", "đến nay đã có bao nhiêu"), not a target. Folded.
_ASKS_NOW = re.compile(
    r"\b(?:hien (?:gio|nay|tai)|bay gio|den nay|toi nay|den gio|hien dang)\b.*\b(?:thu may|bao nhieu|bn|may)\b"
    r"|\b(?:xep|dung|xep hang|nam o) (?:thu|hang|vi tri) (?:may|bao nhieu|bn)\b"  # "VN xếp thứ mấy": a standing now
)
_ASKS_TARGET = re.compile(r"\b(?:muc tieu|chi tieu|phan dau|dat ra|den nam|(?:nam|den|toi) 20\d\d|ke hoach|muon)\b")
_TARGET = re.compile(r"\b(?:muc tieu|chi tieu|phan dau)\b")
_NOW_FIGURE = re.compile(r"\b(?:hien nay|hien co|den nay|da dat|nam 2024|nam 2025|thang \d+/20\d\d)\b")
# What a plan is for: "kế hoạch … để làm gì", "nhằm mục đích gì", "mục đích (chính) là gì". Folded.
PURPOSE_ASK = r"(?:de lam gi|nham (?:muc dich )?gi)"  # asking what something is for, in other words than "mục đích"
_ASKS_PURPOSE = re.compile(rf"\b(?:ke hoach|kh)\b.*\b(?:{PURPOSE_ASK}|muc dich)\b")
# "… rồi, giờ làm gì tiếp", "… xong rồi thì bấm gì nữa": what comes after a step already done. Folded.
_NEXT_STEP = re.compile(
    r"\b(?:roi|xong)\b.*\b(?:lam|nhap|bam|chon|dien|vao) (?:gi|j|cai gi|muc nao|nut nao)"
    r" (?:nua|tiep|tiep theo|tiep nua|sau do)\b"
    r"|\b(?:roi|xong)\b.*\b(?:buoc tiep theo|buoc sau|buoc tiep|tiep theo)\b(?:\s+\w+){0,8}?\s+"
    r"(?:la )?(?:gi|j|nhung gi|lam gi|the nao|ntn)\b"
)


def asks_purpose(question: str) -> bool:
    """True when the question asks what a plan is for ("kế hoạch … để làm gì", "nhằm mục đích gì")."""
    return bool(_ASKS_PURPOSE.search(fold(question)))


def asks_next_step(question: str) -> bool:
    """True when the question tells of a step already done and asks what comes next ("… rồi, giờ nhập gì nữa")."""
    return bool(_NEXT_STEP.search(fold(question)))


def target_for_now(question: str, answer: str) -> bool:
    """True when the question asks where things stand now ("hiện giờ … đứng thứ mấy rồi") and the answer states only a
    target ("đặt mục tiêu đến năm 2030 …"), not a figure of now."""
    asked = fold(question)
    if not _ASKS_NOW.search(asked) or _ASKS_TARGET.search(asked):
        return False
    said = fold(answer)
    return bool(_TARGET.search(said)) and not _NOW_FIGURE.search(said)
