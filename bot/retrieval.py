"""Hybrid retrieval as small components: query analysis, dense search, BM25 search, reciprocal-rank fusion.

Residents often type without diacritics or in teencode. The query is expanded (abbreviation table) and, when
it carries no diacritics at all, its tones are restored with pyvi's bundled CRF model for the dense search.
BM25 always runs on the folded text, so it is indifferent to diacritics.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .embedding import Embedder
from .index import KnowledgeIndex
from .knowledge import Chunk
from .text import expand_abbreviations, fold, has_diacritics, nfc, search_tokens


def restore_tones(text: str) -> str:
    """Guess the diacritics of a question typed without them (pyvi's bundled CRF); unchanged if it fails."""
    from pyvi import ViUtils

    try:
        return nfc(ViUtils.add_accents(fold(text)))
    except (KeyError, IndexError, ValueError):  # pyvi trips on some character sequences
        return text


@dataclass
class Query:
    text: str            # as typed (NFC)
    expanded: str        # abbreviations and teencode spelled out
    dense_text: str      # what the dense model reads (tones restored when the question had none)
    tokens: list[str]    # BM25 tokens (folded syllables + bigrams)
    had_diacritics: bool
    vector: np.ndarray | None = None  # the dense query vector, once computed


class QueryAnalyzer:
    def __init__(self, expand: bool = True, restore_tones: bool = True):
        self.expand = expand
        self.restore_tones = restore_tones

    def run(self, question: str) -> Query:
        text = " ".join(nfc(question).split())
        expanded = expand_abbreviations(text) if self.expand else text
        had = has_diacritics(text)
        dense_text = expanded
        if self.restore_tones and not had:
            dense_text = restore_tones(expanded)
        return Query(text=text, expanded=expanded, dense_text=dense_text,
                     tokens=search_tokens(expanded + " " + text), had_diacritics=had)


@dataclass
class Hit:
    chunk: Chunk
    index: int
    dense: float = 0.0        # cosine similarity with the query
    bm25: float = 0.0         # raw BM25 score
    fused: float = 0.0        # RRF score


class DenseRetriever:
    def __init__(self, index: KnowledgeIndex, embedder: Embedder):
        self.index, self.embedder = index, embedder

    def run(self, query: Query, top_k: int = 30) -> tuple[list[int], np.ndarray]:
        """Ranked chunk positions, and the cosine of the query with every chunk (for scoring later)."""
        vec = self.embedder.encode_queries([query.dense_text])
        query.vector = vec[0]
        if not len(self.index):
            return [], np.zeros(0)
        scores, ids = self.index.faiss.search(vec, min(top_k, len(self.index)))
        all_scores = self.index.vectors @ vec[0]
        return [int(i) for i in ids[0] if i >= 0], all_scores


class HeadingRetriever:
    """Dense search over document titles + heading paths (many headings are phrased as questions)."""

    def __init__(self, index: KnowledgeIndex):
        self.index = index

    def run(self, query: Query, top_k: int = 30) -> tuple[list[int], np.ndarray]:
        if query.vector is None or not len(self.index):
            return [], np.zeros(len(self.index))
        scores = self.index.heading_vectors @ query.vector
        return [int(i) for i in np.argsort(-scores)[:top_k]], scores


class BM25Retriever:
    def __init__(self, index: KnowledgeIndex):
        self.index = index

    def run(self, query: Query, top_k: int = 30) -> tuple[list[int], np.ndarray]:
        if self.index.bm25 is None or not query.tokens:
            return [], np.zeros(len(self.index))
        scores = self.index.bm25.get_scores(query.tokens)
        order = np.argsort(-scores)[:top_k]
        return [int(i) for i in order if scores[i] > 0], scores


def reciprocal_rank_fusion(rankings: list[tuple[list[int], float]], k: int = 60) -> dict[int, float]:
    fused: dict[int, float] = {}
    for ranking, weight in rankings:
        for rank, idx in enumerate(ranking):
            fused[idx] = fused.get(idx, 0.0) + weight / (k + rank + 1)
    return fused


class LocalityBooster:
    """A question that names a place ("ở Con Cuông", "kế hoạch của Cao Bằng") prefers that place's documents."""

    def __init__(self, index: KnowledgeIndex):
        self.places: dict[str, set[str]] = {}
        for c in index.chunks:
            for part in re.split(r"[,;]", c.meta.get("locality", "")):
                name = re.sub(r"^(xã|phường|thị trấn|tỉnh|thành phố|huyện|tp\.?)\s+", "", part.strip(), flags=re.I)
                if name and fold(name) not in ("toan quoc", ""):
                    self.places.setdefault(fold(name), set()).add(c.path)

    def paths_for(self, query: Query) -> set[str]:
        text = " " + " ".join(re.findall(r"\w+", fold(query.text))) + " "
        found: set[str] = set()
        for name, paths in self.places.items():
            if f" {name} " in text:
                found |= paths
        return found


class HybridRetriever:
    """Dense (sections and headings) + BM25, fused by RRF; weights measured in the README."""

    def __init__(self, index: KnowledgeIndex, embedder: Embedder, analyzer: QueryAnalyzer | None = None,
                 bm25_weight: float = 0.5, dense_weight: float = 1.0, heading_weight: float = 0.5,
                 locality_boost: float = 1 / 60):
        self.index = index
        self.analyzer = analyzer or QueryAnalyzer()
        self.dense = DenseRetriever(index, embedder)
        self.headings = HeadingRetriever(index)
        self.sparse = BM25Retriever(index)
        self.locality = LocalityBooster(index)
        self.bm25_weight, self.dense_weight, self.heading_weight = bm25_weight, dense_weight, heading_weight
        self.locality_boost = locality_boost

    def run(self, question: str | Query, top_k: int = 5) -> tuple[Query, list[Hit]]:
        query = question if isinstance(question, Query) else self.analyzer.run(question)
        dense_rank, dense_scores = self.dense.run(query)
        heading_rank, _ = self.headings.run(query)
        bm25_rank, bm25_scores = self.sparse.run(query)
        fused = reciprocal_rank_fusion([(dense_rank, self.dense_weight), (heading_rank, self.heading_weight),
                                        (bm25_rank, self.bm25_weight)])
        places = self.locality.paths_for(query)
        if places and self.locality_boost:
            for i in fused:
                if self.index.chunks[i].path in places:
                    fused[i] += self.locality_boost
        best = sorted(fused, key=fused.get, reverse=True)[:top_k]
        hits = [Hit(chunk=self.index.chunks[i], index=i, dense=float(dense_scores[i]) if len(dense_scores) else 0.0,
                    bm25=float(bm25_scores[i]) if len(bm25_scores) else 0.0, fused=fused[i]) for i in best]
        return query, hits
