"""Vietnamese text as it is read aloud on the commune loudspeakers (Đài truyền thanh cơ sở): numbers, money,
percentages, dates, times, document numbers, abbreviations, web addresses and phone numbers written out as words.

Standard library only (the gateway and the console import it; no torch). The number words are our own small rules,
not a package: `num2words` (lang="vi", 0.5.14) reads 2024 as "hai nghìn lẻ hai mươi bốn" (it drops "không trăm")
and 2.5 as "hai phẩy năm mươi"; `vinorm` needs a compiled binary; `soe-vinorm` brings a trained model and spaces
out the punctuation; `underthesea` has no verbaliser.

Choices, kept the same everywhere (the table in tests/team/test_spoken.py is the reference):
- Northern broadcast forms: "linh" (not "lẻ") for an empty tens place (105 = "một trăm linh năm"), "nghìn",
  "mốt"/"tư"/"lăm" after "mươi" (21, 24, 25), "mười lăm", "tháng tư"; a group after the first is read whole
  (2024 = "hai nghìn không trăm hai mươi tư"); "2.000" is two thousand (the dot groups thousands), "2,5" is
  "hai phẩy năm".
- Document numbers "57-NQ/TW", "1169/QĐ-TTg", "13/2023/NĐ-CP", "NĐ 69/2024" become "<kind> số <number> [năm
  <year>] [của <issuer>]"; a kind already written before the number ("Nghị quyết 57-NQ/TW") is not said twice.
  "NQ/TW" is read "của Bộ Chính trị" (the Party resolutions this project cites, 57 and 52, are the Politburo's);
  other "/TW" documents "của Trung ương".
- Abbreviations are spelled out (UBND, HĐND, CCCD, KHCN, ĐMST, CĐS, Tổ CNSCĐ, DVC, …); Latin letters that are
  read as letters use their Vietnamese names, short forms as on the radio: VNeID = "vê en e i đê",
  OTP = "mã ô tê pê", QR = "mã cu a" ("mã QR" too, without saying "mã" twice).
- Web addresses: "." = "chấm", "/" = "gạch chéo", "-" = "gạch ngang"; known parts are read as words
  ("dichvucong" = "dịch vụ công", "gov" = "gốp" as Vietnamese listeners hear it, "com"), the rest letter by letter:
  "dichvucong.gov.vn" = "dịch vụ công chấm gốp chấm vê en".
- Phone numbers digit by digit: a number starting with 0 ("0912 345 678", groups kept as pauses), 1800/1900
  numbers, and any number after "gọi", "số điện thoại", "đường dây nóng", "tổng đài", "hotline" ("113" = "một một
  ba").
- A dash between two numbers is "đến" ("8h–11h", "2024–2025"); a free-standing dash between words is a pause.
"""

from __future__ import annotations

import re
import unicodedata

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
SCALES = ("", "nghìn", "triệu", "tỷ")
LETTERS = {
    "a": "a", "b": "bê", "c": "xê", "d": "đê", "đ": "đê", "e": "e", "f": "ép", "g": "giê", "h": "hát", "i": "i",
    "j": "gi", "k": "ca", "l": "lờ", "m": "em", "n": "en", "o": "ô", "p": "pê", "q": "cu", "r": "rờ", "s": "ét",
    "t": "tê", "u": "u", "v": "vê", "w": "vê kép", "x": "ích", "y": "i", "z": "dét",
}  # fmt: skip
MONTHS = {4: "tư"}  # "tháng tư", otherwise the plain number

KINDS = {
    "NQ": "Nghị quyết", "QĐ": "Quyết định", "NĐ": "Nghị định", "TT": "Thông tư", "KH": "Kế hoạch",
    "CT": "Chỉ thị", "KL": "Kết luận", "CV": "Công văn", "TB": "Thông báo", "HD": "Hướng dẫn", "BC": "Báo cáo",
    "QH": "Luật",
}  # fmt: skip
ISSUERS = {
    "TW": "Trung ương", "TTg": "Thủ tướng Chính phủ", "CP": "Chính phủ", "UBND": "Ủy ban nhân dân",
    "HĐND": "Hội đồng nhân dân", "BCA": "Bộ Công an", "BTTTT": "Bộ Thông tin và Truyền thông",
    "BKHCN": "Bộ Khoa học và Công nghệ", "NHNN": "Ngân hàng Nhà nước", "BNV": "Bộ Nội vụ", "BTC": "Bộ Tài chính",
    "BGDĐT": "Bộ Giáo dục và Đào tạo", "BCĐTW": "Ban Chỉ đạo Trung ương", "BCĐ": "Ban Chỉ đạo",
    "VPCP": "Văn phòng Chính phủ", "BCT": "Bộ Công Thương", "BYT": "Bộ Y tế", "QH": "Quốc hội",
}  # fmt: skip
ABBREVIATIONS = {
    "Tổ CNSCĐ": "Tổ công nghệ số cộng đồng", "CNSCĐ": "công nghệ số cộng đồng", "UBND": "Ủy ban nhân dân",
    "HĐND": "Hội đồng nhân dân", "CCCD": "căn cước công dân", "KHCN": "khoa học và công nghệ",
    "ĐMST": "đổi mới sáng tạo", "CĐS": "chuyển đổi số", "DVC": "dịch vụ công", "BHYT": "bảo hiểm y tế",
    "BHXH": "bảo hiểm xã hội", "TTHC": "thủ tục hành chính", "CSDL": "cơ sở dữ liệu", "MTTQ": "Mặt trận Tổ quốc",
    "CNTT": "công nghệ thông tin", "SĐT": "số điện thoại", "ĐT": "điện thoại", "HTX": "hợp tác xã",
    "BDHVS": "Bình dân học vụ số", "VNeID": "vê en e i đê", "NQ": "Nghị quyết", "QĐ": "Quyết định",
    "NĐ": "Nghị định", "Wi-Fi": "oai phai", "wifi": "oai phai", "ID": "i đê",
}  # fmt: skip
WEB_WORDS = {
    "dichvucong": "dịch vụ công", "gov": "gốp", "com": "com", "www": "vê kép vê kép vê kép", "vneid": "vê en e i đê",
    "chinhphu": "chính phủ", "bocongan": "bộ công an", "binhdanhocvuso": "bình dân học vụ số",
    "canhbao": "cảnh báo", "khonggianmang": "không gian mạng", "zalo": "da lô", "facebook": "phây búc",
}  # fmt: skip
TLDS = ("vn", "com", "gov", "org", "net", "edu", "info", "io")
PHONE_CUES = re.compile(
    r"(?:gọi(?: ngay)?(?: tới| đến| cho)?(?: số)?|số điện thoại|điện thoại|sđt|đt|đường dây nóng|tổng đài|hotline)"
    r"[\s:]*$",
    re.IGNORECASE,
)


# --- numbers ------------------------------------------------------------------------------------------------------


def _triple(n: int, whole: bool) -> list[str]:
    """0 < n < 1000; `whole` = a group after the first, read with its hundreds ("không trăm", "linh")."""
    hundreds, tens, units = n // 100, n // 10 % 10, n % 10
    words: list[str] = []
    if whole or hundreds:
        words += [DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units:
            words += (["linh"] if words else []) + [DIGITS[units]]
    elif tens == 1:
        words.append("mười")
        if units:
            words.append("lăm" if units == 5 else DIGITS[units])
    else:
        words += [DIGITS[tens], "mươi"]
        if units:
            words.append({1: "mốt", 4: "tư", 5: "lăm"}.get(units, DIGITS[units]))
    return words


def number_words(n: int) -> str:
    """A whole number as it is read: 57 "năm mươi bảy", 105 "một trăm linh năm", 2024 "hai nghìn không trăm hai
    mươi tư", 1500000 "một triệu năm trăm nghìn". From a thousand billion on, digit by digit."""
    if n < 0:
        return "âm " + number_words(-n)
    if n == 0:
        return "không"
    if n >= 10**12:
        return digits_words(str(n))
    groups = []
    while n:
        groups.append(n % 1000)
        n //= 1000
    words: list[str] = []
    for index in range(len(groups) - 1, -1, -1):
        if groups[index]:
            words += _triple(groups[index], whole=bool(words))
            if SCALES[index]:
                words.append(SCALES[index])
    return " ".join(words)


def digits_words(digits: str) -> str:
    """Digit by digit (phone numbers): "113" = "một một ba"."""
    return " ".join(DIGITS[int(d)] for d in digits if d.isdigit())


def decimal_words(text: str) -> str:
    """A number as written in Vietnamese: "2.000" (dots group thousands), "2,5" ("phẩy"), "01"."""
    whole, _, fraction = text.replace(".", "").partition(",")
    said = number_words(int(whole))
    if fraction:
        tail = digits_words(fraction) if fraction.startswith("0") else number_words(int(fraction))
        said += " phẩy " + tail
    return said


def spell(word: str) -> str:
    """Letter by letter with the Vietnamese letter names; digits as digits."""
    out = []
    for ch in word.lower():
        if ch.isdigit():
            out.append(DIGITS[int(ch)])
        elif ch in LETTERS:
            out.append(LETTERS[ch])
    return " ".join(out)


# --- patterns, applied in this order --------------------------------------------------------------------------------

NUM = r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?"
_KIND_NAMES = "|".join(sorted(KINDS.values(), key=len, reverse=True))
_KIND_CODES = "|".join(sorted(KINDS, key=len, reverse=True))
DOCUMENT = re.compile(
    rf"(?:\b(?P<named>{_KIND_NAMES}|{_KIND_CODES})\s+(?:số\s+)?)?"
    rf"\b(?P<num>\d+)(?:/(?P<year>\d{{4}}))?[-/](?P<kind>{_KIND_CODES})(?:[-/](?P<issuer>[A-Za-zĐđ]+))?(?![\w-])"
)
DOCUMENT_YEAR = re.compile(rf"\b(?P<named>{_KIND_NAMES}|{_KIND_CODES})\s+(?:số\s+)?(?P<num>\d+)/(?P<year>\d{{4}})\b")
URL = re.compile(
    rf"\b(?:https?://)?(?:[a-z0-9-]+\.)+(?:{'|'.join(TLDS)})\b(?:/[\w/-]*[\w/])?",
    re.IGNORECASE,
)
DATE = re.compile(r"(?P<ngay>\bngày\s+)?\b(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4})\b", re.IGNORECASE)
SHORT_DATE = re.compile(r"(?P<ngay>\bngày\s+)?\b(?P<d>\d{1,2})/(?P<m>\d{1,2})\b(?![/\d])", re.IGNORECASE)
MONTH_YEAR = re.compile(r"\btháng\s+(?P<m>\d{1,2})/(?P<y>\d{4})\b", re.IGNORECASE)
RANGE = re.compile(r"(?<=[\d%h])\s*[–—-]\s*(?=\d)")
CLOCK = re.compile(r"\b(?P<h>\d{1,2})(?:h|:|\s?giờ\s?)(?P<m>\d{2})(?:'|\s?phút)?(?!\d)|\b(?P<h2>\d{1,2})h\b")
PERCENT = re.compile(rf"(?<![\d.,])(?P<n>{NUM})\s?%")
PHONE = re.compile(r"(?<![\d.,])(?:0\d{1,3}|1[89]00)(?:[ .]?\d{2,4}){1,3}(?![\d,])|(?<![\d.,])0\d{2,}(?![\d.,])")
NUMBER = re.compile(rf"(?<![\w.,])(?P<n>{NUM})(?![\d])")
FREE_DASH = re.compile(r"\s+[–—]\s+")


def _document(m: re.Match) -> str:
    kind = KINDS[m.group("kind")]
    said = f"{kind} số {number_words(int(m.group('num')))}"
    if m.group("year"):
        said += f" năm {number_words(int(m.group('year')))}"
    issuer = m.group("issuer") or ""
    if issuer == "TW" and m.group("kind") == "NQ":
        said += " của Bộ Chính trị"
    elif issuer in ISSUERS:
        said += f" của {ISSUERS[issuer]}"
    elif issuer:
        said += f" của {spell(issuer)}"
    return said


def _document_year(m: re.Match) -> str:
    named = m.group("named")
    kind = KINDS.get(named, named)
    return f"{kind} số {number_words(int(m.group('num')))} năm {number_words(int(m.group('year')))}"


def _month(m: int) -> str:
    return MONTHS.get(m, number_words(m))


def _date(m: re.Match) -> str:
    d, mo = int(m.group("d")), int(m.group("m"))
    if not (1 <= d <= 31 and 1 <= mo <= 12):
        return m.group(0)
    said = f"ngày {number_words(d)} tháng {_month(mo)}"
    if "y" in m.groupdict() and m.group("y"):
        said += f" năm {number_words(int(m.group('y')))}"
    return said


def _month_year(m: re.Match) -> str:
    mo = int(m.group("m"))
    if not 1 <= mo <= 12:
        return m.group(0)
    return f"tháng {_month(mo)} năm {number_words(int(m.group('y')))}"


def _clock(m: re.Match) -> str:
    if m.group("h2"):
        return f"{number_words(int(m.group('h2')))} giờ"
    hours, minutes = int(m.group("h")), int(m.group("m"))
    if hours > 24 or minutes > 59:
        return m.group(0)
    said = f"{number_words(hours)} giờ"
    return said + (f" {number_words(minutes)} phút" if minutes else "")


def _url(m: re.Match) -> str:
    text = re.sub(r"^https?://", "", m.group(0), flags=re.IGNORECASE)
    out = []
    for piece in re.split(r"([./-])", text.lower()):
        if piece == ".":
            out.append("chấm")
        elif piece == "/":
            out.append("gạch chéo")
        elif piece == "-":
            out.append("gạch ngang")
        elif piece:
            out.append(WEB_WORDS.get(piece) or spell(piece))
    return " ".join(out)


def _phone(text: str, m: re.Match) -> str:
    groups = [g for g in re.split(r"[ .]", m.group(0)) if g]
    return ", ".join(digits_words(g) for g in groups)


def _numbers(text: str) -> str:
    def one(m: re.Match) -> str:
        raw = m.group("n")
        if PHONE_CUES.search(text[: m.start()]) and "," not in raw:
            return digits_words(raw)
        if len(raw) >= 9 and raw.isdigit():  # an identifier, read digit by digit
            return digits_words(raw)
        return decimal_words(raw)

    return NUMBER.sub(one, text)


def _abbreviations(text: str) -> str:
    text = re.sub(r"\b(?:mã\s+)?OTP\b", "mã ô tê pê", text)
    text = re.sub(r"\b(?:mã\s+)?QR\b", "mã cu a", text)
    for short in sorted(ABBREVIATIONS, key=len, reverse=True):
        text = re.sub(rf"(?<![\w-]){re.escape(short)}(?![\w-])", ABBREVIATIONS[short], text)
    return text


def verbalise(text: str) -> str:
    """The text with every written form a reader would stumble on turned into the words to say."""
    text = unicodedata.normalize("NFC", text)
    text = URL.sub(_url, text)
    text = DOCUMENT.sub(_document, text)
    text = DOCUMENT_YEAR.sub(_document_year, text)
    text = DATE.sub(_date, text)
    text = MONTH_YEAR.sub(_month_year, text)
    text = RANGE.sub(" đến ", text)
    text = SHORT_DATE.sub(_date, text)
    text = CLOCK.sub(_clock, text)
    text = PERCENT.sub(lambda m: f"{decimal_words(m.group('n'))} phần trăm", text)
    text = PHONE.sub(lambda m: _phone(text, m), text)
    text = _numbers(text)
    text = _abbreviations(text)
    text = FREE_DASH.sub(", ", text)
    return re.sub(r"[ \t]+", " ", text).strip()
