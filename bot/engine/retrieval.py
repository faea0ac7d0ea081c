"""Hybrid retrieval as small components: query analysis, dense search, BM25 search, reciprocal-rank fusion.

Residents often type without diacritics or in teencode. The query is expanded (abbreviation table) and, when
it carries no diacritics at all, its tones are restored for the dense search (bot/engine/tones.py).
BM25 always runs on the folded text, so it is indifferent to diacritics.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from bot.engine.answer_type import documents_named
from bot.engine.embedding import Embedder
from bot.engine.index import KnowledgeIndex
from bot.engine.knowledge import Chunk
from bot.engine.spelling import SpellingCorrector
from bot.engine.tones import CorpusToneRestorer, restore_tones
from bot.engine.tuning import Tuning
from bot.text import UPPER_LETTERS, expand_abbreviations, fold, has_diacritics, locality_places, nfc, search_tokens


@dataclass(frozen=True)
class Query:
    text: str  # as typed (NFC)
    expanded: str  # abbreviations and teencode spelled out
    dense_texts: list[str]  # what the dense model reads (tones restored when the question had none)
    tokens: list[str]  # BM25 tokens (folded syllables + bigrams)
    had_diacritics: bool


class QueryAnalyzer:
    """expand: spell out abbreviations. tones: for a question without diacritics, what the dense model reads:
    "restore" (pyvi's guess), "raw" (as typed) or "blend" (the mean of both vectors)."""

    def __init__(
        self,
        expand: bool = True,
        tones: str = "blend",
        restorer: CorpusToneRestorer | None = None,
        corpus_tones: bool = True,
        corrector: SpellingCorrector | None = None,
    ):
        if tones not in ("restore", "raw", "blend"):
            raise ValueError(f"tones must be restore, raw or blend, not {tones!r}")
        self.expand = expand
        self.tones = tones
        self.restorer = restorer
        self.corpus_tones = corpus_tones
        self.corrector = corrector  # mends typing slips ("kích hạot") from the knowledge's own words

    def restore(self, text: str) -> str:
        """Diacritics guessed for a question typed without them (the corpus model, else pyvi alone)."""
        return self.restorer.restore(text) if self.restorer is not None else restore_tones(text)

    def run(self, question: str) -> Query:
        text = " ".join(nfc(question).split())
        if self.corrector is not None:
            text = self.corrector.correct(text)
        expanded = expand_abbreviations(text) if self.expand else text
        had = has_diacritics(text)
        dense_texts = [expanded]
        if not had and self.tones == "restore":
            dense_texts = [self.restore(expanded)]
        elif not had and self.tones == "blend":
            dense_texts = [self.restore(expanded), expanded]
        return Query(
            text=text,
            expanded=expanded,
            dense_texts=dense_texts,
            tokens=search_tokens(expanded + " " + text),
            had_diacritics=had,
        )


@dataclass
class Hit:
    chunk: Chunk
    index: int
    dense: float = 0.0  # cosine similarity with the query
    bm25: float = 0.0  # raw BM25 score
    fused: float = 0.0  # RRF score


@dataclass(frozen=True)
class Ranking:
    """What a retriever produces: chunk positions, best first, and its score for every chunk of the index."""

    ids: list[int]
    scores: np.ndarray


class QueryEncoder:
    """The query's unit vector: the mean of the vectors of what the dense model reads (Query.dense_texts)."""

    def __init__(self, embedder: Embedder):
        self.embedder = embedder

    def run(self, query: Query) -> np.ndarray:
        vec = self.embedder.encode_queries(query.dense_texts).mean(axis=0)
        return vec / np.linalg.norm(vec)


class DenseRetriever:
    def __init__(self, index: KnowledgeIndex):
        self.index = index

    def run(self, vector: np.ndarray, top_k: int = 30) -> Ranking:
        """Ranked chunk positions, and the cosine of the query with every chunk (for scoring later)."""
        if not len(self.index):
            return Ranking([], np.zeros(0))
        _, ids = self.index.faiss.search(vector[None, :].astype(np.float32), min(top_k, len(self.index)))
        return Ranking([int(i) for i in ids[0] if i >= 0], self.index.vectors @ vector)


class HeadingRetriever:
    """Dense search over document titles + heading paths (many headings are phrased as questions)."""

    def __init__(self, index: KnowledgeIndex):
        self.index = index

    def run(self, vector: np.ndarray, top_k: int = 30) -> Ranking:
        if not len(self.index):
            return Ranking([], np.zeros(0))
        scores = self.index.heading_vectors @ vector
        return Ranking([int(i) for i in np.argsort(-scores)[:top_k]], scores)


class BM25Retriever:
    def __init__(self, index: KnowledgeIndex):
        self.index = index

    def run(self, query: Query, top_k: int = 30) -> Ranking:
        if self.index.bm25 is None or not query.tokens:
            return Ranking([], np.zeros(len(self.index)))
        scores = self.index.bm25.get_scores(query.tokens)
        order = np.argsort(-scores)[:top_k]
        return Ranking([int(i) for i in order if scores[i] > 0], scores)


def reciprocal_rank_fusion(rankings: list[tuple[list[int], float]], k: int = 60) -> dict[int, float]:
    fused: dict[int, float] = {}
    for ranking, weight in rankings:
        for rank, idx in enumerate(ranking):
            fused[idx] = fused.get(idx, 0.0) + weight / (k + rank + 1)
    return fused


PLAN_WORDS = re.compile(
    r"\b(ke hoach|xa|phuong|tinh|dia phuong|dia ban|uy ban|ubnd|phong van hoa|truong hoc|"
    r"thon|ban(?! hanh\b)|to dan pho|huyen|chu tri|phoi hop|bao cao)\b"
)


# "Xã mình", "ở đây", "địa phương mình": the resident means the commune the installation serves. Folded.
# ("xã tối đa mấy người", "tính tới khoảng" fold like "xã tôi", "tỉnh tôi"; "tỉnh tôi đã có" is one)
_NOT_TOI = r"(?! (?:da (?:\d|bao|bn|may|la|chi|duoc)|thieu|nay|gio|khi|luc|nam|thang|ngay|khoang|hien)\b)"
_OURS = rf"(?:xa|phuong|tinh|thon|que|dia phuong|dia ban) (?:minh|ta|nha|em|toi{_NOT_TOI}|chung toi|chung em|nay)"
OUR_COMMUNE = re.compile(rf"\b{_OURS}\b")  # said outright: "xã mình", "địa phương ta"
HOME_WORDS = re.compile(rf"\b(?:{_OURS}|o day|cua xa|o xa|tai xa|tren dia ban|dia phuong)\b")


# A plan named by number ("kế hoạch 3267", "KH số 45"), a province named ("tỉnh Điện Biên", "TP Hải Phòng"), and
# words about a plan's content (its targets, tasks). Folded.
_PLAN_NUMBER = re.compile(r"\b(?:ke hoach|kh)(?: so)? (\d+)\b")
_PROVINCE_NAMED = re.compile(r"\b(?:tinh|thanh pho|tp) (\w+(?: \w+)?)")
_PROVINCE_KIND = re.compile(r"^\s*(?:tỉnh|thành phố|tp)\b", re.IGNORECASE)
_PLAN_TALK = re.compile(r"\b(?:ke hoach|kh \d+|chi tieu|muc tieu|dat ra|giao)\b")
_YEAR = re.compile(r"^(?:19|20)\d\d$")
_COMMUNE_TYPED = re.compile(rf"\b(?:[xX]ã|[pP]hường) ([{UPPER_LETTERS}]\w+(?: [{UPPER_LETTERS}]\w+){{0,2}})")
# "phương châm", "phương án", "phương tiện"… are not a ward
_COMMUNE_PLAIN = re.compile(
    r"(?:\b(?:cua|o|tai|thuoc) |^)(?:xa|phuong(?! (?:cham|an|phap|thuc|tien|huong|dien)\b)) (\w+) (\w+)"
)
_NOT_A_NAME = frozenset(
    "minh ta nha nay em toi chung hoi cu moi co o a thi ma de lam ko khong k bao so con vay tren duoc dc la voi "
    "nao gi dau ay kia do khac ben va cung da se dang phai can muon giao dat chi tieu ke hoach".split()
)


class Localities:
    """Where each local document applies, from its front matter's `locality` ("xã Mường Mùn, tỉnh Điện Biên").

    A question that names a place prefers that place's documents. With a home commune set (`TROLYSO_COMMUNE`,
    a slug of the place: "muong-mun"), "xã mình" means the home commune's plan first and its province's
    second, and other places' plans answer only when they are named."""

    def __init__(self, index: KnowledgeIndex, home: str = ""):
        self.places: dict[str, set[str]] = {}  # folded place name -> documents whose locality names it
        self.localities: dict[str, str] = {}  # plan path -> its locality as written
        parts_of: dict[str, list[str]] = {}
        numbers: dict[str, str] = {}  # plan path -> its front matter's number ("209/KH-UBND"), "" when it has none
        for c in index.chunks:
            parts = locality_places(c.meta.get("locality", ""))
            for name in parts:
                self.places.setdefault(name, set()).add(c.path)
            if parts and c.kind == "plan":
                parts_of[c.path] = parts
                self.localities[c.path] = nfc(str(c.meta.get("locality", "")))
                numbers[c.path] = str(c.meta.get("number") or "")
        self.home = home
        self.home_name = home.replace("-", " ")  # the home commune as its plan's locality names it, folded
        self.home_paths = {path for path, parts in parts_of.items() if parts[0] == self.home_name}
        provinces = {name for path in self.home_paths for name in parts_of[path][1:]}
        self.province_paths = {path for path, parts in parts_of.items() if parts[0] in provinces} - self.home_paths
        self.plan_paths = set(parts_of)
        self.own_plans = {parts[0] for parts in parts_of.values()}  # places whose own plan is held
        self._plan_of = {parts[0]: path for path, parts in parts_of.items()}  # a place -> its own plan
        self.written = {  # folded place -> as written, with its kind: "dien bien" -> "tỉnh Điện Biên"
            folded[0]: nfc(part.strip())
            for locality in self.localities.values()
            for part in re.split(r"[,;]", locality)
            if (folded := locality_places(part))
        }
        self.provinces = {name for parts in parts_of.values() for name in parts[1:]} | {
            parts[0] for path, parts in parts_of.items() if _PROVINCE_KIND.match(self.localities[path])
        }
        self.unnumbered = {parts[0] for path, parts in parts_of.items() if not numbers[path]}
        self.plan_numbers = {m.group() for number in numbers.values() if (m := re.match(r"\d+", number))}  # "209"

    @property
    def home_known(self) -> bool:
        return bool(self.home_paths)

    def paths_for(self, query: Query) -> set[str]:
        """Documents of the places the question names."""
        return {path for name in self.named(query.text) for path in self.places[name]}

    def named(self, question: str) -> list[str]:
        """The places a plan speaks of that the question names, folded ("toàn tỉnh Điện Biên" -> ["dien bien"])."""
        text = " " + " ".join(re.findall(r"\w+", fold(question))) + " "
        return [name for name in self.places if f" {name} " in text]

    def plan_asked(self, question: str, asks_home: bool) -> str:
        """The one held plan a question is about: the plan of the one place it names as a plan's own ("kế hoạch
        của xã Con Cuông", "KH 209 của tỉnh Cao Bằng"), else the home commune's for "xã mình"; "" otherwise."""
        own = {self._plan_of[name] for name in self.named(question) if name in self._plan_of}
        if len(own) == 1:
            return own.pop()
        if not own and asks_home and len(self.home_paths) == 1:
            return next(iter(self.home_paths))
        return ""

    def held(self) -> str:
        """The plans' localities as written, for a reply that names what the knowledge holds."""
        return "; ".join(sorted(set(self.localities.values()))) or "chưa có kế hoạch của địa phương nào"

    @staticmethod
    def _communes_named(question: str, folded: str) -> dict[str, str]:
        """Communes the question names, folded -> as typed: "xã Mường Phăng" typed with capitals, or "của xã muong
        phang" (two syllables after "của/ở/tại xã" that are not a function word: "xã mình", "xã hội", "xã cũ")."""
        typed = {fold(m.group(1)): m.group(1) for m in _COMMUNE_TYPED.finditer(nfc(question))}
        plain = [f"{a} {b}" for a, b in _COMMUNE_PLAIN.findall(folded) if a not in _NOT_A_NAME and b not in _NOT_A_NAME]
        return typed | {name: name.title() for name in plain if name not in typed}

    def unheld_plan(self, question: str) -> str:
        """The plan the question asks about when the knowledge does not hold it, as the answer names it; "" when it
        holds it or names none. "Kế hoạch 3267 của tỉnh Điện Biên đặt chỉ tiêu gì": the commune plans cite the
        province's plan in their preamble but do not hold its content, so its targets are for the team to answer.
        A question that also speaks of a held commune ("xã mình làm theo kế hoạch số mấy của tỉnh") is not one."""
        folded = " ".join(re.findall(r"\w+", fold(question)))
        if _PLAN_TALK.search(folded):  # "kế hoạch của xã Mường Phăng": a commune whose plan is not held
            for name, typed in self._communes_named(question, folded).items():
                if not any(name.startswith(p) or p.startswith(name) for p in self.written):
                    return f"kế hoạch của xã {typed}"
        if HOME_WORDS.search(folded) or any(re.search(rf"\b{p}\b", folded) for p in self.own_plans):
            return ""  # "Tân Hội làm kế hoạch theo văn bản số mấy của tỉnh An Giang": the held plan cites it
        number = _PLAN_NUMBER.search(folded)
        if number and number.group(1) not in self.plan_numbers and not _YEAR.match(number.group(1)):
            if not any(re.search(rf"\b{p}\b", folded) for p in self.unnumbered):  # may be that plan's number
                return f"Kế hoạch số {number.group(1)}"
        if not _PLAN_TALK.search(folded):
            return ""
        for m in _PROVINCE_NAMED.finditer(folded):
            name = next((p for p in self.provinces if m.group(1).startswith(p)), "")
            if name and name not in self.own_plans:
                return f"kế hoạch của {self.written.get(name, name)}"
        return ""

    @staticmethod
    def asks_home(query: Query) -> bool:
        """The question speaks of "our commune" ("xã mình", "ở đây", "địa phương mình")."""
        return bool(HOME_WORDS.search(fold(query.text)))

    def adjust(self, fused: dict[int, float], chunks: list[Chunk], query: Query, tuning: Tuning) -> bool:
        """Boost the named places' documents, or the home commune's for a "xã mình" question, and drop other
        places' plans when a home commune is set. Returns whether the question asked about "our commune"
        without naming one (the caller may need to ask which)."""
        named = self.paths_for(query)
        asks_home = self.asks_home(query)
        if named:
            if tuning.locality_boost:
                for i in fused:
                    if chunks[i].path in named:
                        fused[i] += tuning.locality_boost
            return False
        if self.home_paths:
            allowed = self.home_paths | self.province_paths
            for i in [i for i in fused if chunks[i].path in self.plan_paths and chunks[i].path not in allowed]:
                del fused[i]
            if asks_home and tuning.locality_boost:
                for i in fused:
                    if chunks[i].path in self.home_paths:
                        fused[i] += tuning.locality_boost
                    elif chunks[i].path in self.province_paths:
                        fused[i] += tuning.locality_boost / 2
        if not asks_home and tuning.plan_penalty and not PLAN_WORDS.search(fold(query.expanded)):
            # A general question ("Nghị quyết 57 là gì") is best answered by an explainer, not a local plan.
            for i in fused:
                if chunks[i].kind == "plan":
                    fused[i] -= tuning.plan_penalty
        return asks_home


@dataclass(frozen=True)
class Retrieval:
    """What hybrid retrieval produces for one question: the analysed query, its dense vector and the fused hits."""

    query: Query
    vector: np.ndarray
    hits: list[Hit]
    asks_home: bool = False  # "xã mình" without a place named: the home commune's plan was preferred, if set


class HybridRetriever:
    """Dense (sections and headings) + BM25, fused by RRF, with the localities' boosts and the plan penalty; the
    weights are the `Tuning`'s (measured in the README: trolyso eval --ablation)."""

    def __init__(
        self,
        index: KnowledgeIndex,
        embedder: Embedder,
        tuning: Tuning | None = None,
        analyzer: QueryAnalyzer | None = None,
        home: str = "",
    ):
        self.index = index
        self.tuning = tuning = tuning or Tuning()
        self.analyzer = analyzer or QueryAnalyzer(
            expand=tuning.expand, tones=tuning.tones, corpus_tones=tuning.corpus_tones
        )
        passages = [c.passage() for c in index.chunks]  # the knowledge's own words, read once for both
        if self.analyzer.corpus_tones and self.analyzer.restorer is None:
            self.analyzer.restorer = CorpusToneRestorer(passages)
        if tuning.spelling and self.analyzer.corrector is None:
            self.analyzer.corrector = SpellingCorrector(passages)
        self.encoder = QueryEncoder(embedder)
        self.dense = DenseRetriever(index)
        self.headings = HeadingRetriever(index)
        self.sparse = BM25Retriever(index)
        self.localities = Localities(index, home)
        # the numbers of the documents the knowledge names ("193" for "Nghị quyết 193/2025/QH15")
        self.documents_held: set[str] = set().union(*(documents_named(p) for p in passages))

    def run(self, question: str, top_k: int = 5) -> Retrieval:
        t = self.tuning
        query = self.analyzer.run(question)
        vector = self.encoder.run(query)
        dense = self.dense.run(vector)
        headings = self.headings.run(vector)
        bm25 = self.sparse.run(query)
        fused = reciprocal_rank_fusion(
            [(dense.ids, t.dense_weight), (headings.ids, t.heading_weight), (bm25.ids, t.bm25_weight)]
        )
        asks_home = self.localities.adjust(fused, self.index.chunks, query, t)
        best = sorted(fused, key=lambda i: fused[i], reverse=True)[:top_k]
        hits = [
            Hit(
                chunk=self.index.chunks[i],
                index=i,
                dense=float(dense.scores[i]) if len(dense.scores) else 0.0,
                bm25=float(bm25.scores[i]) if len(bm25.scores) else 0.0,
                fused=fused[i],
            )
            for i in best
        ]
        return Retrieval(query, vector, hits, asks_home)
