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
    "cnsccd": "công nghệ số cộng đồng",
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
}
# "kh" is ambiguous in writing ("khoa học"), but alone as a token it is almost always "không".

_TOKEN_SPLIT = re.compile(r"(\s+)")


_GLUED_NUMBER = re.compile(r"\b(nq|qd|qđ|nd|nđ|kh)[-.]?(\d+)", re.IGNORECASE)


def expand_abbreviations(text: str) -> str:
    """Replace whole-token abbreviations and teencode with their full Vietnamese forms."""
    out = []
    text = _GLUED_NUMBER.sub(r"\1 \2", nfc(text))  # "nq57" -> "nq 57"
    for part in _TOKEN_SPLIT.split(text):
        core = part.strip("?!.,;:()\"'")
        key = core.lower()
        if key and key in ABBREVIATIONS and not part.isspace():
            full = ABBREVIATIONS[key]
            out.append(part.replace(core, full, 1))
        else:
            out.append(part)
    return "".join(out)


# --- personal data masking (identity numbers, phone numbers) -----------------------------------
_PHONE = re.compile(r"(?<![\d])(?:\+?84|0)(?:[\s.-]?\d){8,10}(?![\d])")
_ID = re.compile(r"(?<![\d])(?:\d[\s.-]?){8}\d(?:(?:[\s.-]?\d){3})?(?![\d])")


def mask_personal_numbers(text: str) -> str:
    """Mask phone numbers and identity numbers (9-digit CMND, 12-digit CCCD/số định danh).

    The last two digits stay visible so staff can still tell two numbers apart.
    """

    def _mask(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        return "*" * (len(digits) - 2) + digits[-2:]

    text = _PHONE.sub(_mask, nfc(text))
    return _ID.sub(_mask, text)


def hash_user_id(user_id: str, salt: str = "") -> str:
    """A stable, non-reversible id for a resident (the platform's user id is never stored)."""
    return hashlib.sha256((salt + "|" + str(user_id)).encode("utf-8")).hexdigest()[:24]
