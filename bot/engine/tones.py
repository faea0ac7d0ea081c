"""Diacritics for questions typed without them: "dinh danh muc may" -> "định danh mức mấy".

Half of what residents type carries no marks. The dense model reads Vietnamese with its marks, so the engine
guesses them: pyvi's bundled CRF model first, then the runs of 2–3 syllables that residents' question phrases
and the knowledge itself spell one way take that spelling. `trolyso eval --tones` measures it.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable

from bot.text import fold, nfc


def restore_tones(text: str) -> str:
    """Guess the diacritics of a question typed without them (pyvi's bundled CRF); unchanged if it fails."""
    from pyvi import ViUtils

    try:
        return nfc(ViUtils.add_accents(fold(text)))
    except (KeyError, IndexError, ValueError):  # pyvi trips on some character sequences
        return text


# How residents ask, accented: the knowledge rarely holds question words, so without these pyvi guesses them
# ("ngay nao" -> "ngay não", "may ngay" -> "máy ngay", "do ai" -> "đó ai", "thi xong" -> "thị xống").
QUESTION_PHRASES = (
    "ngày nào, năm nào, tháng nào, lúc nào, khi nào, dịp nào, hôm nào, bao giờ, bao lâu, mấy giờ, "
    "mấy ngày, mấy tuổi, mấy bước, mấy tháng, mấy năm, mất mấy, số mấy, là gì, là ai, do ai ký, do ai, "
    "ai ký, do cơ quan nào, cơ quan nào ban hành, do ai ban hành, "
    "ở đâu, về đâu, từ đâu, đi đâu, đến đâu, chỗ nào, nơi nào, mục nào, trang nào, ứng dụng nào, "
    "đơn vị nào, cơ quan nào, ngân hàng nào, bộ nào, thế nào, như thế nào, làm sao, thì sao, vậy ạ, "
    "vậy ad, thì xong, thì có, thì phải, thì làm, thì được, hay phải, hay là, có phải, được không, "
    "cho cháu, cháu hỏi, em hỏi, cho em hỏi, nói về, nói gì, cái gì, những gì, bao nhiêu, bao nhiêu tiền, "
    "trên bao nhiêu, dưới bao nhiêu, tiền thì, thì mất, thì app, quét mặt, cho bé, cho con, tài khoản cũ, "
    "còn dùng, còn được, mức mấy, mức nào, có bị, "
    # the people and hearsay of residents' stories ("chi gai e 45 tuoi, nghe noi …")
    "chị gái, em gái, con gái, cháu gái, con trai, cháu trai, nghe nói, người ta nói, nghe bảo, bà nội, ông nội, "
    "bà ngoại, ông ngoại, bố mẹ, cha mẹ, lớn tuổi, cao tuổi, tuổi rồi"
).split(", ")

_SYLLABLE = re.compile(r"[^\W\d_]+")


def _grams(texts: Iterable[str], min_count: int) -> dict[tuple[str, ...], tuple[str, ...]]:
    """Each folded run of 2–3 syllables -> its most frequent accented form (seen at least `min_count` times)."""
    counts: dict[tuple[str, ...], Counter[tuple[str, ...]]] = defaultdict(Counter)
    for text in texts:
        syllables = _SYLLABLE.findall(nfc(text).lower())
        for n in (2, 3):
            for i in range(len(syllables) - n + 1):
                gram = tuple(syllables[i : i + n])
                counts[tuple(fold(x) for x in gram)][gram] += 1
    return {k: c.most_common(1)[0][0] for k, c in counts.items() if c.most_common(1)[0][1] >= min_count}


class CorpusToneRestorer:
    """Restores diacritics from the knowledge itself: each run of 2–3 syllables typed without marks takes the
    accented form it most often has in the indexed text ("dinh danh" -> "định danh"); syllables no such run
    covers keep pyvi's guess. The knowledge's own wording beats a general-purpose model on its own topics."""

    def __init__(self, texts: list[str], min_count: int = 2, phrases: list[str] = QUESTION_PHRASES):
        self.table = _grams(texts, min_count)
        self.phrases = _grams(phrases, 1)  # how residents ask: applied first, the knowledge's wording after

    def restore(self, text: str) -> str:
        parts = re.findall(r"\w+|\W+", restore_tones(text))
        words = [i for i, p in enumerate(parts) if _SYLLABLE.fullmatch(p)]
        folded = [fold(parts[i]) for i in words]
        fixed: set[int] = set()
        for table in (self.phrases, self.table):
            k = 0
            while k < len(words):
                for n in (3, 2):
                    key = tuple(folded[k : k + n])
                    if (
                        len(key) == n
                        and key in table
                        and not fixed & set(range(k, k + n))
                        and all(
                            words[k + j + 1] == words[k + j] + 2 and parts[words[k + j] + 1] == " "
                            for j in range(n - 1)
                        )
                    ):
                        for j, form in enumerate(table[key]):
                            original = parts[words[k + j]]
                            parts[words[k + j]] = form.capitalize() if original[:1].isupper() else form
                        fixed |= set(range(k, k + n))
                        k += n
                        break
                else:
                    k += 1
        return "".join(parts)
