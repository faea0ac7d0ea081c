"""Typing slips in a question: two letters swapped ("kích hạot", "định dnah", "ngân hnag") or one left out ("tổ
cnsd"). A syllable that is no Vietnamese syllable (pyvi's word list), no word of the knowledge and no abbreviation
is replaced by the knowledge's syllable one such slip away, when that syllable stands next to the same neighbour
in the knowledge ("kich hoat", "dinh danh"). Nothing else is touched: a real word the knowledge lacks ("phim",
"nương") and a foreign word ("view") stay as typed, and so does a slip the knowledge gives no context for.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from importlib import resources

from bot.text import ABBREVIATIONS, fold, has_diacritics, nfc

_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_WORD = re.compile(r"[^\W\d_]+")
MIN_LENGTH = 3  # shorter tokens are teencode ("ko", "dc") or initials


@lru_cache(maxsize=1)
def vietnamese_syllables() -> frozenset[str]:
    """Every folded syllable of pyvi's Vietnamese word list (about 2,200)."""
    text = resources.files("pyvi").joinpath("models/words.txt").read_text(encoding="utf-8")
    return frozenset(fold(s) for s in _WORD.findall(text.lower()))


def _slips(word: str) -> set[str]:
    """The words one swap of neighbouring letters or one added letter away from `word`."""
    swapped = {word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1)}
    added = {word[:i] + c + word[i:] for i in range(len(word) + 1) for c in _LETTERS}
    return (swapped | added) - {word}


class SpellingCorrector:
    """Built from the knowledge's own text: its folded syllables, their neighbours, and the accented form each
    syllable most often has."""

    def __init__(self, texts: list[str]):
        self.vocabulary: Counter[str] = Counter()
        self.pairs: Counter[tuple[str, str]] = Counter()
        accents: dict[str, Counter[str]] = {}
        for text in texts:
            syllables = _WORD.findall(nfc(text).lower())
            folded = [fold(s) for s in syllables]
            self.vocabulary.update(folded)
            self.pairs.update(zip(folded, folded[1:], strict=False))
            for plain, accented in zip(folded, syllables, strict=True):
                accents.setdefault(plain, Counter())[accented] += 1
        self.accented = {plain: forms.most_common(1)[0][0] for plain, forms in accents.items()}
        self.known = vietnamese_syllables() | set(self.vocabulary) | set(ABBREVIATIONS)

    def _fix(self, word: str, before: str, after: str) -> str | None:
        """The knowledge's syllable one slip away from `word` that stands next to `before` or `after` there."""
        best: tuple[int, int, str] | None = None
        for candidate in _slips(word):
            if candidate not in self.vocabulary:
                continue
            context = self.pairs[(before, candidate)] + self.pairs[(candidate, after)]
            if context and (best is None or (context, self.vocabulary[candidate]) > best[:2]):
                best = (context, self.vocabulary[candidate], candidate)
        return best[2] if best else None

    def correct(self, text: str) -> str:
        """The text with its slips mended; a syllable typed with diacritics gets the knowledge's accented form."""
        tokens = list(_WORD.finditer(text))
        folded = [fold(m.group()) for m in tokens]
        out: list[str] = []
        last = 0
        for i, m in enumerate(tokens):
            word = folded[i]
            if len(word) < MIN_LENGTH or word in self.known:
                continue
            before = folded[i - 1] if i else ""
            after = folded[i + 1] if i + 1 < len(tokens) else ""
            fixed = self._fix(word, before, after)
            if fixed is None:
                continue
            typed = m.group()
            replacement = self.accented[fixed] if has_diacritics(typed) else fixed
            if typed[0].isupper():
                replacement = replacement[0].upper() + replacement[1:]
            out.append(text[last : m.start()] + replacement)
            last = m.end()
        return "".join(out) + text[last:]
