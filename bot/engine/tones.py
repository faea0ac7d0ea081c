"""Diacritics for questions typed without them: "co may buoc" -> "có mấy bước".

Half of what residents type carries no marks. The dense model reads Vietnamese with its marks, so the engine
guesses them: every syllable's candidates are the accented forms the knowledge and the residents' own phrasing
use for it, plus pyvi's guess (its bundled CRF model), and a bigram model picks the likeliest run (Viterbi).
The knowledge speaks the formal register ("thị trấn", "máy tính"); the residents' phrasing — the question
phrases below and the dialogue's training examples (data/nlu.yml) — speaks theirs ("thì", "mấy", "ạ").
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

from bot.text import fold, has_diacritics, nfc


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
    # the resident's own place ("xa minh" is not "xã Minh"; "thông minh thì" must not decide it)
    "xã mình, xã ta, ở xã mình, của xã mình, bản mình, thôn mình, xóm mình, phường mình, địa phương mình, "
    "bên mình, chỗ mình, ở đây"
).split(", ")

NLU_EXAMPLES = Path(__file__).resolve().parents[2] / "data" / "nlu.yml"
_SYLLABLE = re.compile(r"[^\W\d_]+")
_ANNOTATION = re.compile(r"\[([^\]]*)\]\([^)]*\)")  # Rasa's "[Mường Mùn](commune)" -> "Mường Mùn"


def resident_phrasing(path: Path = NLU_EXAMPLES) -> list[str]:
    """The dialogue's training examples that carry diacritics: how residents write, accented. Empty when the
    file is absent (an engine installed without the Rasa project) or unreadable."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return []
    examples: list[str] = []
    for block in data.get("nlu") or []:
        for line in str((block or {}).get("examples") or "").splitlines():
            text = _ANNOTATION.sub(r"\1", line.strip().removeprefix("-").strip())
            if has_diacritics(text):
                examples.append(text)
    return examples


def _runs(text: str) -> Iterable[list[str]]:
    """The lowercased syllable runs of a text, split at punctuation (a bigram does not cross a comma)."""
    for piece in re.split(r"[.,;:!?()\[\]\n\"“”]+", nfc(text).lower()):
        if syllables := _SYLLABLE.findall(piece):
            yield syllables


class CorpusToneRestorer:
    """Restores diacritics with a bigram model of the knowledge's and the residents' own wording.

    Each unmarked syllable may become any accented form seen for it (or pyvi's guess, which gets `pyvi_bonus`
    in log-probability); the run with the highest bigram probability wins. Bigrams are smoothed by Witten-Bell
    interpolation with add-½ unigrams. `phrasing` (question phrases, training examples) weighs `phrasing_weight`
    times a knowledge sentence: it is small, and it is the register questions are written in."""

    def __init__(
        self,
        texts: list[str],
        phrasing: Iterable[str] = QUESTION_PHRASES,
        phrasing_weight: float = 3.0,
        pyvi_bonus: float = 0.5,
    ):
        self.pyvi_bonus = pyvi_bonus
        self.unigrams: defaultdict[str, float] = defaultdict(float)  # weighted counts
        self.bigrams: defaultdict[tuple[str, str], float] = defaultdict(float)
        self.forms: dict[str, set[str]] = defaultdict(set)  # folded syllable -> its accented forms
        for corpus, weight in ((texts, 1.0), (list(phrasing), phrasing_weight)):
            for text in corpus:
                for run in _runs(text):
                    for prev, word in zip(["<s>", *run], [*run, "</s>"], strict=True):
                        self.bigrams[prev, word] += weight
                        if word != "</s>":
                            self.unigrams[word] += weight
                            self.forms[fold(word)].add(word)
        self.total = sum(self.unigrams.values())
        self.vocabulary = len(self.unigrams) + 1
        self.after: defaultdict[str, float] = defaultdict(float)  # how often each word is followed by anything
        self.followers: Counter[str] = Counter()  # how many distinct words follow it
        for (prev, _), count in self.bigrams.items():
            self.after[prev] += count
            self.followers[prev] += 1

    def _logp(self, prev: str, word: str) -> float:
        unigram = (self.unigrams.get(word, 0.0) + 0.5) / (self.total + 0.5 * self.vocabulary)
        seen, kinds = self.after.get(prev, 0.0), self.followers.get(prev, 0)  # .get: a question adds no keys
        if not seen:
            return math.log(unigram)
        keep = seen / (seen + kinds)
        return math.log(keep * self.bigrams.get((prev, word), 0.0) / seen + (1 - keep) * unigram)

    def _best(self, guesses: list[str]) -> list[str]:
        """The likeliest accented run for pyvi's guesses (lowercase), by Viterbi over each syllable's forms."""
        paths: dict[str, tuple[float, list[str]]] = {"<s>": (0.0, [])}
        for guess in guesses:
            step: dict[str, tuple[float, list[str]]] = {}
            for form in self.forms.get(fold(guess), set()) | {guess}:
                bonus = self.pyvi_bonus if form == guess else 0.0
                score, path = max(((s + self._logp(prev, form), p) for prev, (s, p) in paths.items()), key=_first)
                step[form] = (score + bonus, [*path, form])
            paths = step
        return max(((s + self._logp(prev, "</s>"), p) for prev, (s, p) in paths.items()), key=_first)[1]

    def restore(self, text: str) -> str:
        parts = re.findall(r"\w+|\W+", restore_tones(text))
        typed = re.findall(r"\w+|\W+", text)
        if len(typed) != len(parts) or any(fold(a) != fold(b) for a, b in zip(typed, parts, strict=True)):
            typed = parts  # pyvi split the text its own way: its casing stands
        else:  # what is no syllable ("nq57", "VNeID2") stays as typed, not as pyvi cased it
            parts = [p if _SYLLABLE.fullmatch(p) else t for t, p in zip(typed, parts, strict=True)]
        run: list[int] = []  # positions in `parts` of consecutive syllables separated by spaces only
        for i, part in enumerate([*parts, "."]):
            if _SYLLABLE.fullmatch(part):
                run.append(i)
                continue
            if part.strip() == "" and run and i == run[-1] + 1:
                continue  # the space between two syllables of the run
            if run:
                for j, form in zip(run, self._best([parts[j].lower() for j in run]), strict=True):
                    parts[j] = form.capitalize() if typed[j][:1].isupper() else form  # not pyvi's "xã Mình"
            run = []
        return "".join(parts)


def _first(scored: tuple[float, list[str]]) -> float:
    return scored[0]
