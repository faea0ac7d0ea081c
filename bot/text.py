"""Vietnamese text helpers: NFC normalisation, diacritic folding, tokenising, teencode, masking.

Every boundary of the application (files read, questions asked, text stored) goes through `nfc`.
Search-side matching goes through `fold`, so "nghị quyết", "nghi quyet" and "NGHỊ QUYẾT" meet.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import unicodedata

_WORD = re.compile(r"[^\W_]+(?:[.,/%-][^\W_]+)*%?", re.UNICODE)


# Vietnamese capital letters, for a character class ("[A-ZĐÀ-Ỹ]" would take the lower-case letters between too).
UPPER_LETTERS = "".join(
    ch
    for start, end in ((0x41, 0x5B), (0xC0, 0x250), (0x1E00, 0x1F00))
    for ch in map(chr, range(start, end))
    if ch.isupper()
)


def nfc(text: str | None) -> str:
    """Unicode NFC, with non-breaking and zero-width spaces made plain."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text)
    return text.replace("\u00a0", " ").replace("\u200b", "").replace("\ufeff", "")


def fold(text: str | None) -> str:
    """Lower-case, strip Vietnamese diacritics (đ -> d), collapse whitespace."""
    text = unicodedata.normalize("NFD", text or "")
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    text = text.replace("đ", "d").replace("Đ", "D").lower()
    return " ".join(text.split())


def has_diacritics(text: str) -> bool:
    """True when the text carries any Vietnamese mark (so it was typed with diacritics)."""
    return any(ord(c) > 127 and unicodedata.category(c).startswith("L") for c in nfc(text))


def words(text: str) -> list[str]:
    """Syllables and numbers of a text, lower-case, diacritics kept ("57-nq/tw" stays one token)."""
    return _WORD.findall(nfc(text).lower())


def folded_words(text: str) -> set[str]:
    """The distinct folded syllables and numbers of a text: what "holds this word" means, with or without diacritics."""
    return set(re.findall(r"\w+", fold(text)))


def search_tokens(text: str) -> list[str]:
    """BM25 tokens: folded syllables plus syllable bigrams (Vietnamese words are mostly two syllables)."""
    toks = re.findall(r"\w+", fold(text))
    return toks + [a + "_" + b for a, b in itertools.pairwise(toks)]


# Abbreviations and teencode residents type, mapped to full forms. Keys are folded, lower-case tokens.
ABBREVIATIONS: dict[str, str] = {
    "ko": "không",
    "k": "không",
    "kh": "không",
    "hok": "không",
    "hong": "không",
    "khum": "không",
    "kg": "không",
    "khg": "không",
    "hk": "không",
    "dc": "được",
    "đc": "được",
    "dk": "đăng ký",
    "đk": "đăng ký",
    "dky": "đăng ký",
    "đky": "đăng ký",
    "j": "gì",
    "ntn": "như thế nào",
    "lm": "làm",
    "ns": "nói",
    "bn": "bao nhiêu",
    "bnhiu": "bao nhiêu",
    "vs": "với",
    "ng": "người",
    "r": "rồi",
    "ms": "mới",
    "mn": "mọi người",
    "dt": "điện thoại",
    "đt": "điện thoại",
    "sdt": "số điện thoại",
    "sđt": "số điện thoại",
    "tk": "tài khoản",
    "mk": "mật khẩu",
    "tn": "tin nhắn",
    "tt": "thông tin",
    "onl": "trực tuyến",
    "online": "trực tuyến",
    "dvc": "dịch vụ công",
    "dvcqg": "dịch vụ công quốc gia",
    "dvctt": "dịch vụ công trực tuyến",
    "cccd": "căn cước công dân",
    "cmnd": "chứng minh nhân dân",
    "nq": "nghị quyết",
    "qd": "quyết định",
    "qđ": "quyết định",
    "bdhvs": "bình dân học vụ số",
    "lltp": "lý lịch tư pháp",
    "bhyt": "bảo hiểm y tế",
    "bhxh": "bảo hiểm xã hội",
    "ubnd": "ủy ban nhân dân",
    "mttq": "mặt trận tổ quốc",
    "mttqvn": "mặt trận tổ quốc việt nam",
    "cnsccd": "công nghệ số cộng đồng",
    "cnscd": "công nghệ số cộng đồng",
    "tcnscd": "tổ công nghệ số cộng đồng",
    "cnscđ": "công nghệ số cộng đồng",
    "tcnscđ": "tổ công nghệ số cộng đồng",
    "cds": "chuyển đổi số",
    "khcn": "khoa học công nghệ",
    "dmst": "đổi mới sáng tạo",
    "đmst": "đổi mới sáng tạo",
    "app": "ứng dụng",
    "ib": "nhắn tin",
    "ck": "chuyển khoản",
    "stk": "số tài khoản",
    "nh": "ngân hàng",
    "vn": "Việt Nam",
    "hs": "hồ sơ",
    "tp": "thành phố",
    "tt&tt": "thông tin và truyền thông",
    "tttt": "thông tin và truyền thông",
    "kh&cn": "khoa học và công nghệ",
    "khcn&cds": "khoa học công nghệ và chuyển đổi số",
    "vh-xh": "văn hóa - xã hội",
    "vhxh": "văn hóa - xã hội",
    "bcd": "ban chỉ đạo",
    "kte": "kinh tế",
    "bik": "biết",
    "mxh": "mạng xã hội",
    "kq": "kết quả",
    "fb": "Facebook",
    "cty": "công ty",
    "bcđ": "ban chỉ đạo",
}
# "kh" is ambiguous in writing ("khoa học"), but alone as a token it is almost always "không".

_TOKEN_SPLIT = re.compile(r"(\s+)")


_GLUED_NUMBER = re.compile(r"\b(nq|qd|qđ|nd|nđ)[-.]?(\d+)", re.IGNORECASE)
# "KH 209", "kh.45", "kh của Bình Giang", "kh tuyên truyền", "kh xã mình": a plan (kế hoạch), never "không", which
# comes before none of these.
_PLAN = re.compile(
    r"\bkh[-.]?\s*(?=\d)"
    r"|\bkh\s+(?=(?:của|cua|tuyên truyền|tuyen truyen|truyền thông|truyen thong|số|so (?:hieu|may|bao nhieu|bn)|"
    r"thực hiện|thuc hien|triển khai|trien khai|xã|xa (?:minh|ta|toi)|tỉnh|tinh (?:minh|ta)|nq|nghị quyết|"
    r"nghi quyet)\b)",
    re.IGNORECASE,
)


# "mk" is "mật khẩu" ("quên mk"), but "mình" (I, my) after a kin word or before a verb: "con trai mk 8 tuổi", "mk muốn"
# (matched on the folded text, which keeps every character's position)
_MK_IS_MINH = re.compile(
    r"\b(?:con|me|bo|ba|nha|vo|chong|em|anh|chi|ong|ban|cua|trai|gai) (mk)\b"
    r"|\b(mk)(?= (?:muon|mun|co|dang|la|thi|di|lam|o|can|da|se|vua|moi|hoi|biet|nghe|tinh|cung|ko|k|khong)\b)",
    re.IGNORECASE,
)


def _mk_as_minh(text: str) -> str:
    folded = fold(text)
    if len(folded) != len(text):
        return text
    for m in reversed(list(_MK_IS_MINH.finditer(folded))):
        group = 1 if m.group(1) else 2
        text = text[: m.start(group)] + "mình" + text[m.end(group) :]
    return text


def expand_abbreviations(text: str) -> str:
    """Replace whole-token abbreviations and teencode with their full Vietnamese forms."""
    out = []
    text = _PLAN.sub("kế hoạch ", _mk_as_minh(nfc(text)))
    text = _GLUED_NUMBER.sub(r"\1 \2", text)  # "nq57" -> "nq 57"
    for part in _TOKEN_SPLIT.split(text):
        core = part.strip("?!.,;:()\"'")
        key = core.lower()
        if key and key in ABBREVIATIONS and not part.isspace():
            full = ABBREVIATIONS[key]
            out.append(part.replace(core, full, 1))
        else:
            out.append(part)
    return "".join(out)


def spelled_out(text: str) -> str:
    """The full forms of the abbreviations a text uses, one after another ("UBND xã, MTTQVN" -> "ủy ban nhân dân mặt
    trận tổ quốc việt nam"), so that "Ủy ban nhân dân" asked in full is found in a sentence that writes "UBND"."""
    found = []
    for part in nfc(text).split():
        key = part.strip("?!.,;:()\"'").lower()
        if key in ABBREVIATIONS:
            found.append(ABBREVIATIONS[key])
    return " ".join(found)


# --- personal data masking (identity, phone and bank account numbers, e-mail addresses) ----------------------
# One pass over the text finds "chains": digit groups joined by the separators people put inside a number (one or
# more spaces, ".", ",", "-", "/", a closing bracket as in "(+84) 912 …"). A chain is then cut, on group
# boundaries, into the identifiers that cover most of its digits, the longest first (dynamic programming below), so
# "001 099 012 345" is one CCCD, never a phone number plus a leftover. Each identifier keeps its last two digits;
# every other digit becomes "*" and its separators go ("0912 345 678" -> "********78"). What counts:
#   CCCD / số định danh: 12 digits starting with 0 (the province code); CMND: 9 digits;
#   phone: 10–11 digits starting with 0, or 11–12 starting with 84 / +84;
#   bank account: any 10–19 digits, and 8–9 digits next to "số tài khoản", "stk", "tk", "tài khoản", "ngân hàng";
#   a chain of 20 or more digits that cannot be cut into identifiers is masked whole.
# Not masked: anything shorter (years, "mức 2", "Nghị quyết 57", "57-NQ/TW", "1169/QĐ-TTg", "2024, 2025, 2030"),
# dates (22/12/2024, 2024-12-22), times (10:15:30), years in a row ("2021-2025-2030"), amounts written in
# thousands followed by a currency ("1.500.000.000 đồng", "100.000 - 200.000 đồng") and IPv4 addresses in URLs
# ("http://192.168.100.200:8000"). Over-masking is preferred to
# a leak: a number written right next to an identifier ("năm 2024 0912 345 678") is masked with it.
# E-mail addresses lose their local part: "nguyen.van.a@gmail.com" -> "***@gmail.com".
_PLACE_KIND = re.compile(r"^(xã|phường|thị trấn|đặc khu|tỉnh|thành phố|huyện|tp\.?)\s+", re.I)


def locality_places(locality: str) -> list[str]:
    """The places a front matter `locality` names, folded and without their kind, the document's own place first:
    "xã Mường Mùn, tỉnh Điện Biên" -> ["muong mun", "dien bien"]; "toàn quốc" names none. TROLYSO_COMMUNE is the
    first one as a slug ("muong-mun")."""
    places = [fold(_PLACE_KIND.sub("", part.strip())) for part in re.split(r"[,;]", locality or "")]
    return [p for p in places if p and p != "toan quoc"]


# Courtesy around a question carries no content: "cho em hỏi …", "… là gì vậy ạ?", "ad ơi, …". Residents write it
# with and without diacritics; folded, "vay" (vậy) is also "vay" (borrow), so a trailing "vay" goes only after a
# question word. Matched on folded text; the cut is made at the same positions of the original.
_QUESTION_END = r"(?:gi|nao|sao|dau|khong|ko|k|chua|nhieu|may|the|duoc|dc|roi|nhi|ha|j|ntn|bn|lau)"
# Whom a resident writes to: "ad", "a/c" (anh/chị), "mn" (mọi người)… Folded.
_ADDRESS = r"(?:ad|admin|bot|tro ly|anh|chi|em|ban|shop|mn|moi nguoi|ca nha|a/c|ac|anh/chi|anh chi|co|chu|bac)"
_MAY_I_ASK = r"(?:cho|xin) (?:em|toi|minh|mik|mk|con|chau|anh|chi|tui|t|e|m)"  # … hỏi: "cho em hỏi"
_LEADING_COURTESY = re.compile(
    r"^(?:(?:da|vang|chao (?:ban|em|anh|chi|ad|admin|bot)|xin chao|alo|hello|hi)[\s,.!]+)*"
    rf"(?:{_ADDRESS} (?:oi|ui)[\s,.!]+|{_ADDRESS}[\s,]+(?={_MAY_I_ASK} hoi\b))?"  # "ad ơi", "a/c ơi", "a/c cho e hỏi"
    rf"(?:(?:{_MAY_I_ASK} (?:hoi (?:chut|ti|xiu|voi|cai|la)|hoi)\b"
    r"|xin hoi|(?:em|toi|minh|con|chau|tui|t|e) (?:muon|can|dang can|can duoc) (?:hoi|biet)(?: la)?"
    r"|lam on(?: cho (?:em|toi|minh|con|chau) (?:hoi|biet))?)\b[\s,.:!]*)?",
)
_TRAILING_PARTICLE = re.compile(
    r"(?:[\s,]+(?:a|ah|ak|ha|nhe|nha|nhen|hen|voi|di|nhi|ne|oi|ui|luon|giup (?:em|toi|minh|con|chau|voi)|"
    r"voi a|gium|dum|ad|admin|shop|mn|moi nguoi|ca nha|(?:em|toi|minh|con|chau) (?:voi|cam on|xin cam on)|"
    r"cam on(?: (?:ban|ad|em|nhieu))?|"
    # how to answer, not what: "…, nói ngắn gọn thôi", "giải thích dễ hiểu giúp em", "hướng dẫn chi tiết"
    r"(?:(?:noi|tra loi|giai thich|viet|ke|chi|huong dan) )?"
    r"(?:ngan gon|tom tat|tom gon|de hieu|chi tiet|ro rang|ro hon)"
    r"(?: (?:thoi|hon|giup|gium|dum|nhe|nha|duoc khong|dc ko|duoc ko))*|"
    # "…. Ad nói giúp với ạ", "giải đáp giúp em": asking for the answer, not a question of its own
    r"(?:(?:ad|admin|ban|anh chi|a/c|mn|moi nguoi) )?(?:noi|tra loi|giai dap|giai thich|tu van) "
    r"(?:giup|gium|dum|ho|cho)(?: (?:em|toi|minh|con|chau))?))+"
    r"[\s?.!…]*$"
)
_TYPED_VAY = re.compile(r"\S([\s,]+[vV]ậy(?:[\s,]+(?:ạ|hả|ta|à))?)[\s?.!…]*$")
_TRAILING_VAY = re.compile(rf"\b{_QUESTION_END}([\s,]+(?:vay|the)(?:[\s,]+(?:a|ha|ta|ah))?)[\s?.!…]*$")
# "ai ký vậy", "mục nào bấm vậy": a question word one or two words back; never "cho vay", "muốn vay", "khoản vay"
_LATE_VAY = re.compile(
    rf"\b(?:{_QUESTION_END}|ai)(?: (?!cho\b|muon\b|di\b|khoan\b|goi\b|the\b)\w+){{1,2}}"
    r"([\s,]+vay(?:[\s,]+(?:a|ha|ta|ah))?)[\s?.!…]*$"
)


def strip_courtesy(text: str) -> str:
    """The question without its greeting, "cho em hỏi" and trailing particles ("vậy ạ", "nhé", "với"):
    "Dạ cho em hỏi nghị quyết 57 là gì vậy ạ?" -> "nghị quyết 57 là gì". Unchanged if nothing would be left."""
    text = " ".join(nfc(text).split())
    folded = fold(text)  # same length and positions as `text` (one folded character per character)
    if len(folded) != len(text):
        return text
    start, end = 0, len(text)
    lead = _LEADING_COURTESY.match(folded)
    if lead:
        start = lead.end()
    for _ in range(3):  # "là gì vậy ạ nhé": the particles come in any order
        tail = folded[start:end]
        # typed "vậy" is never "vay" (loan)
        vay = _TRAILING_VAY.search(tail) or _TYPED_VAY.search(text[start:end]) or _LATE_VAY.search(tail)
        cut = vay.start(1) if vay else (m.start() if (m := _TRAILING_PARTICLE.search(tail)) else 0)
        if not cut:
            break
        end = start + cut
    core = text[start:end].strip(" ,.!?…")
    if not re.search(r"[^\W\d_]", core):
        return text
    question_mark = "?" if text.rstrip().endswith("?") else ""
    return core + question_mark


EMAIL_ADDRESS = re.compile(r"(?<![\w.+-])[\w.+-]+@((?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_]{2,})")
_TIME = re.compile(r"(?<!\d)\d{1,2}(?::\d{2}){1,2}(?:[.,]\d+)?(?!\d)")
_DIGITS = re.compile(r"\d+")
# Between two digit groups of one number: spaces, or one ".", "," (no space after it: "2024, 2025" is a list), "-",
# "–", "/" (spaces around these three allowed), or brackets as in "(028) 3823 4567" and "+84 (0) 912 345 678"
# (but "0912 345 678 (2 lần)" is a phone number and a 2).
_JOIN = re.compile(r"\)?[.,]|\)?[ \t]*(?:[-–/][ \t]*)?")
_OPEN = re.compile(r"[ \t]*\(")
_TIGHT = re.compile(r"[.,/-]")
_DATE = re.compile(
    r"(?:0?[1-9]|[12]\d|3[01])([./-])(?:0?[1-9]|1[0-2])\1(?:19|20)\d\d"  # 22/12/2024, 22.12.2024, 22-12-2024
    r"|(?:19|20)\d\d([./-])(?:0?[1-9]|1[0-2])\2(?:0?[1-9]|[12]\d|3[01])"  # 2024-12-22
    r"|(?:0?[1-9]|1[0-2])/(?:19|20)\d\d"  # 12/2024
)
_YEAR = re.compile(r"(?:19|20)\d\d")
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")  # an address in a URL: "//10.0.12.100", "10.0.12.100:8000"
_PORT = re.compile(r":\d")
_THOUSANDS = re.compile(r"[1-9]\d{0,2}([.,])\d{3}(?:\1\d{3})*")
_CURRENCY = re.compile(
    r"[ \t]*(?:đồng(?![ \t]*(?:ý|thời|chí|bào|hồ|nghiệp|bộ|loạt|đều)\b)|đ\b|₫|vnđ|vnd|triệu|tỷ|tỉ|nghìn|ngàn|usd)",
    re.IGNORECASE,
)
_ACCOUNT_WORDS = re.compile(r"\b(?:so tai khoan|tai khoan|stk|tk|ngan hang|account)\b")
_NEAR = 40  # characters either side of a chain searched for the account words
_LONGEST = 19  # the longest identifier: a 19-digit bank account


def identifier_kind(digits: str, account_context: bool = False) -> str | None:
    """What a run of digits (separators removed) is: "cccd", "cmnd", "phone", "account" or None (not personal)."""
    n = len(digits)
    if n == 12 and digits[0] == "0":
        return "cccd"
    if (n in (10, 11) and digits[0] == "0") or (n in (11, 12) and digits.startswith("84")):
        return "phone"
    if n == 9:
        return "cmnd"
    if 10 <= n <= _LONGEST or (account_context and 8 <= n <= _LONGEST):
        return "account"
    return None


def _chains(text: str) -> list[list[tuple[int, int]]]:
    """Digit groups (start, end) that belong to one written number; times ("10:15") never join one."""
    in_time = bytearray(len(text))
    for m in _TIME.finditer(text):
        in_time[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
    groups = [m.span() for m in _DIGITS.finditer(text) if not in_time[m.start()]]
    chains: list[list[tuple[int, int]]] = []
    for g in groups:
        end = chains[-1][-1][1] if chains else -1
        if chains and (
            _JOIN.fullmatch(text, end, g[0])
            or (text.endswith("84", 0, end) and _OPEN.fullmatch(text, end, g[0]) and text.startswith("0)", g[0]))
        ):
            chains[-1].append(g)
        else:
            chains.append([g])
    return chains


def _free_groups(text: str, chain: list[tuple[int, int]]) -> list[tuple[int, int] | None]:
    """For each group that is part of a date or an amount of money, or of a chain of years only, the first and last
    group of that date or amount (an identifier takes all of it or none); None for the other groups. (A year among
    other groups is not free: bank account numbers written in fours often hold a "1903" or a "2024".)"""
    if all(_YEAR.fullmatch(text, a, b) for a, b in chain):
        return [(i, i) for i in range(len(chain))]  # "2021-2025-2030", "2024 2025 2026"
    free: list[tuple[int, int] | None] = [None] * len(chain)
    # tokens: groups joined by a tight separator ("22/12/2024", "1.500.000")
    tokens: list[list[int]] = [[0]]
    for i in range(1, len(chain)):
        if _TIGHT.fullmatch(text, chain[i - 1][1], chain[i][0]):
            tokens[-1].append(i)
        else:
            tokens.append([i])
    money = bool(_CURRENCY.match(text, chain[-1][1]))
    for token in tokens:
        start, end = chain[token[0]][0], chain[token[-1]][1]
        address = _IPV4.fullmatch(text, start, end) and (text.endswith(("//", "@"), 0, start) or _PORT.match(text, end))
        if address or _DATE.fullmatch(text, start, end) or (money and _THOUSANDS.fullmatch(text, start, end)):
            for i in token:
                free[i] = (token[0], token[-1])
    return free


def _cut(text: str, chain: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The identifiers in a chain, as (first group, last group) index pairs.

    Best cut: the most non-free digits covered, then the fewest free digits masked, then the fewest (so the
    longest) identifiers, then the most that are phone or identity numbers."""
    n = len(chain)
    sizes = [b - a for a, b in chain]
    free = _free_groups(text, chain)
    if sum(size for size, f in zip(sizes, free, strict=True) if not f) == 0:
        return []
    around = fold(text[max(0, chain[0][0] - _NEAR) : chain[-1][1] + _NEAR])
    account_context = bool(_ACCOUNT_WORDS.search(around))
    # best[i]: (score, cut) for the first i groups; score compares as a tuple, larger is better
    best: list[tuple[tuple[int, int, int, int], list[tuple[int, int]]]] = [((0, 0, 0, 0), [])]
    for j in range(1, n + 1):
        prev_score, prev_cut = best[j - 1]  # group j-1 left as it is
        candidates = [(prev_score, prev_cut)]
        digits = ""
        for i in range(j - 1, -1, -1):  # groups i..j-1 as one identifier
            a, b = chain[i]
            digits = text[a:b] + digits
            if len(digits) > _LONGEST:
                break
            kind = identifier_kind(digits, account_context)
            first, last = free[i], free[j - 1]
            if kind is None or (first and first[0] < i) or (last and last[1] > j - 1):
                continue
            covered = sum(sizes[k] for k in range(i, j) if not free[k])
            masked_free = sum(sizes[k] for k in range(i, j) if free[k])
            s = best[i][0]
            score = (s[0] + covered, s[1] - masked_free, s[2] - 1, s[3] + (kind != "account"))
            candidates.append((score, best[i][1] + [(i, j - 1)]))
        best.append(max(candidates, key=lambda c: c[0]))
    score, cut = best[n]
    non_free = sum(size for size, f in zip(sizes, free, strict=True) if not f)
    if score[0] < non_free and sum(sizes) > _LONGEST:
        return [(0, n - 1)]  # too long to be one identifier and not cut into identifiers: mask it all
    return cut


def mask_personal_numbers(text: str) -> str:
    """Mask identity numbers (CCCD, CMND), phone numbers, bank account numbers and e-mail addresses.

    Every digit of an identifier but the last two becomes "*" (so staff can still tell two numbers apart); an
    e-mail address keeps only its domain ("***@gmail.com"). Years, dates, amounts and short numbers stay.
    """
    text = EMAIL_ADDRESS.sub(r"***@\1", nfc(text))
    out: list[str] = []
    pos = 0
    for chain in _chains(text):
        if sum(b - a for a, b in chain) < 8:
            continue
        for first, last in _cut(text, chain):
            start, end = chain[first][0], chain[last][1]
            if start > 0 and text[start - 1] == "+":
                start -= 1
            if start > 0 and text[start - 1] == "(" and ")" in text[start:end]:
                start -= 1  # "(+84) 912 345 678", "(028) 3823 4567"
            digits = "".join(text[a:b] for a, b in chain[first : last + 1])
            out.append(text[pos:start])
            out.append("*" * (len(digits) - 2) + digits[-2:])
            pos = end
    out.append(text[pos:])
    return "".join(out)


def hash_user_id(user_id: str, salt: str = "") -> str:
    """A stable, non-reversible id for a resident (the platform's user id is never stored)."""
    return hashlib.sha256((salt + "|" + str(user_id)).encode("utf-8")).hexdigest()[:24]
