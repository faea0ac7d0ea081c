"""The answer engine: question in, short grounded Vietnamese answer (or a polite refusal) out.

Pipeline: scope rules → hybrid retrieval → confidence gate → extract the relevant sentences or steps from
the best section → append the source line. Unanswered questions are recorded for the community digital team.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bot.config import Settings
from bot.engine.embedding import Embedder
from bot.engine.index import KnowledgeIndex
from bot.engine.knowledge import Chunk
from bot.engine.retrieval import Hit, HybridRetriever, Query, QueryAnalyzer
from bot.engine.scope import (
    asks_for_others_personal_data,
    asks_for_wrongdoing,
    examples,
)
from bot.store import Store
from bot.team.groups import Features, QuestionGroups
from bot.text import fold, nfc

log = logging.getLogger(__name__)

MAX_ANSWER_CHARS = 700  # body, before the source line: well within one phone screen
SHORT_SECTION_CHARS = 500  # a section this short is quoted whole

HELP_TOPICS = (
    "Nghị quyết 57 và kế hoạch của xã; Bình dân học vụ số; tài khoản VNeID mức 2; "
    "dịch vụ công trực tuyến; thanh toán số; phòng chống lừa đảo trực tuyến"
)
REFUSAL_NO_MATCH = (
    "Dạ, em chưa tìm thấy thông tin chắc chắn để trả lời câu hỏi này. Em đã ghi lại câu hỏi "
    "để Tổ công nghệ số cộng đồng của xã xem và trả lời anh/chị. "
    f"Em có thể giúp về: {HELP_TOPICS}."
)
REFUSAL_OUT_OF_SCOPE = (
    "Dạ, câu hỏi này nằm ngoài phạm vi em hỗ trợ (em không trả lời về thời tiết, giá cả, "
    "tư vấn y tế, tranh chấp pháp lý hay các việc riêng khác). Em đã ghi lại để Tổ công "
    f"nghệ số cộng đồng biết. Em có thể giúp về: {HELP_TOPICS}."
)
REFUSAL_PERSONAL_DATA = (
    "Dạ, em không thể tra cứu hay cung cấp thông tin cá nhân của người khác. Thông tin "
    "của ai thì chỉ người đó (hoặc cơ quan có thẩm quyền) được xem. Nếu anh/chị cần "
    "xác minh, xin liên hệ Công an xã/phường. "
    f"Em có thể giúp về: {HELP_TOPICS}."
)
REFUSAL_WRONGDOING = (
    "Dạ, em không thể hướng dẫn việc làm giả giấy tờ, vượt qua bước xác thực hay xâm nhập tài "
    "khoản của người khác: đó là việc vi phạm pháp luật. Nếu anh/chị nghi mình bị lừa đảo, "
    "em có thể hướng dẫn cách xử lý và nơi báo cáo."
)
ASK_AGAIN = "Dạ, anh/chị muốn hỏi gì ạ? " + f"Em có thể giúp về: {HELP_TOPICS}."

# Function words, with their diacritics: folded, "đăng" (register) and "đang" (currently), "mã" (code) and "mà",
# "thẻ" (card) and "thế" would collide, so stop words are removed before folding.
STOPWORDS = set(
    """
là gì có không thế nào làm sao cho tôi em anh chị của và thì ở đâu được như để về những các một này đó bao
nhiêu ai a ạ à hả với trong trên khi đến từ hay hoặc nếu mà rồi đã đang sẽ cần phải muốn biết hỏi ơi nhé vậy
mình bạn xin chào cảm ơn vui lòng giúp nhỉ chứ đi ư ak ah việc người v ko k dc đc j ntn nhỉ hông hok
""".split()
)

FOLDED_STOPWORDS = {fold(w) for w in STOPWORDS}

# What kind of answer a question wants; a section whose heading asks the same ("… ở đâu, cần mang gì") is
# likely the one that answers it. Folded, matched as whole phrases.
QUESTION_WORDS = (
    "o dau",
    "bao nhieu",
    "khi nao",
    "ngay nao",
    "nam nao",
    "luc nao",
    "ai",
    "may",
    "the nao",
    "nhu the nao",
    "lam sao",
    "cach",
    "la gi",
    "gom",
    "khac",
)

HOW_TO = re.compile(
    r"\b(lam sao|lam the nao|the nao|cach|huong dan|cac buoc|buoc nao|quy trinh|thu tuc|"
    r"lam gi|phai lam|can lam|nhu the nao|ntn|lam ntn)\b"
)


@dataclass
class Answer:
    q: str
    answered: bool
    text: str
    sources: list[dict[str, str]] = field(default_factory=list)
    score: float = 0.0
    reason: str = "answered"
    hits: list[Hit] = field(default_factory=list, repr=False)
    record_id: int | None = None  # the stored question's id, when the engine records questions

    def to_json(self) -> dict[str, Any]:
        return {
            "q": self.q,
            "answered": self.answered,
            "text": self.text,
            "sources": self.sources,
            "score": round(self.score, 4),
        }


@dataclass
class GateConfig:
    """Thresholds of the confidence gate (see README, 'How answers are judged')."""

    min_dense: float = 0.80  # cosine of the best section with the question
    min_coverage: float = 0.30  # idf-weighted share of the question's content words found in that section
    oos_margin: float = 0.0  # refuse when an out-of-scope description is this much closer than the knowledge
    oos_override_coverage: float = 0.70  # ... unless the section holds this much of the question's words


def _units(text: str) -> list[str]:
    """Sentences and list items of a section; a table stays one unit."""
    units: list[str] = []
    for block in text.split("\n"):
        block = block.strip()
        if not block:
            continue
        if block.startswith("|"):
            if units and units[-1].startswith("|"):
                units[-1] += "\n" + block
            else:
                units.append(block)
            continue
        if re.match(r"^([-*+•]|\d{1,2}[.)])\s+", block):
            units.append(block)
            continue
        parts = re.split(r"(?<=[.!?…;])\s+(?=[A-ZĐÀ-ỸÂÊÔƠƯĂ\"“(0-9])", block)
        units.extend(p.strip() for p in parts if p.strip())
    return units


def _join_units(units: list[str]) -> str:
    """Sentences of one paragraph run on; list items, tables and gaps go on their own lines."""
    text = ""
    for u in units:
        starts_line = u == "…" or u.startswith(("-", "*", "+", "•", "|")) or bool(re.match(r"^\d{1,2}[.)]\s", u))
        if not text:
            text = u
        elif starts_line or text.endswith((":", "…")) or text.split("\n")[-1].startswith(("-", "|")):
            text += "\n" + u
        else:
            text += " " + u
    return text


# Most Vietnamese words are two syllables, so a syllable pair found in order is a word matched: it weighs as
# much as the single syllables (measured: 0.25 and 0.5 lost 2-4 unaccented questions of the gate set).
BIGRAM_WEIGHT = 1.0


class AnswerEngine:
    def __init__(
        self,
        index: KnowledgeIndex,
        embedder: Embedder,
        store: Store | None = None,
        analyzer: QueryAnalyzer | None = None,
        gate: GateConfig | None = None,
        bm25_weight: float = 1.0,
        rerank_depth: int = 10,
        rerank_weight: float = 0.5,
        question_weight: float = 0.15,
    ):
        self.index = index
        self.rerank_depth, self.rerank_weight = rerank_depth, rerank_weight
        self.question_weight = question_weight
        self.embedder = embedder
        self.store = store
        self._groups: QuestionGroups | None = None  # built on the first unanswered question recorded
        self._groups_lock = threading.Lock()
        self.gate = gate or GateConfig()
        self.retriever = HybridRetriever(index, embedder, analyzer=analyzer, bm25_weight=bm25_weight)
        self.retriever.analyzer.run("khoi dong")  # loads pyvi's tone model now, not on the first question
        self._oos = examples()
        self._oos_vectors = embedder.encode_queries([t for _, t in self._oos])
        self._oos_center = self._oos_vectors.mean(axis=0)  # the direction every short question shares
        self._by_path = _chunks_by_path(index)

    def use_index(self, index: KnowledgeIndex) -> None:
        """Serve a newer index (the knowledge folder changed): everything built from the index is built again
        beside the old one, then swapped in, so questions being answered meanwhile use the old one."""
        old = self.retriever
        analyzer = QueryAnalyzer(
            expand=old.analyzer.expand, tones=old.analyzer.tones, corpus_tones=old.analyzer.corpus_tones
        )
        retriever = HybridRetriever(
            index,
            self.embedder,
            analyzer=analyzer,
            bm25_weight=old.bm25_weight,
            dense_weight=old.dense_weight,
            heading_weight=old.heading_weight,
            locality_boost=old.locality_boost,
            plan_penalty=old.plan_penalty,
        )
        self.retriever, self.index, self._by_path = retriever, index, _chunks_by_path(index)

    @classmethod
    def from_settings(cls, settings: Settings, record: bool = True) -> AnswerEngine:
        embedder = Embedder(settings.model_dir)
        index = KnowledgeIndex.load(settings.index_dir)
        store = Store(settings.database_url, settings.user_salt) if record else None
        return cls(index, embedder, store)

    # --- public API --------------------------------------------------------------------------------
    def ask(self, question: str, channel: str = "cli", user_id: str | None = None) -> Answer:
        question = " ".join(nfc(question).split())
        if not re.search(r"\w", question):
            return Answer(q=question, answered=False, text=ASK_AGAIN, reason="empty")
        if asks_for_others_personal_data(question):
            return self._refuse(question, REFUSAL_PERSONAL_DATA, "personal_data", 0.0, [], channel, user_id)
        if asks_for_wrongdoing(question):
            return self._refuse(question, REFUSAL_WRONGDOING, "out_of_scope", 0.0, [], channel, user_id)
        query, hits = self.retriever.run(question, top_k=self.rerank_depth)
        if not any(re.search(r"[^\W\d_]", t) for t in self._content_tokens(query)):
            # nothing but numbers and function words ("1", "ok a"): no question to answer from the knowledge
            return Answer(q=question, answered=False, text=ASK_AGAIN, reason="empty")
        if not hits:
            return self._refuse(question, REFUSAL_NO_MATCH, "no_match", 0.0, hits, channel, user_id, query)
        hits = self._rerank(query, hits)[:5]
        top = hits[0]
        coverage = self._coverage(query, top.chunk)
        oos = float(np.max(self._oos_vectors @ query.vector)) if query.vector is not None else 0.0
        best_dense = max(h.dense for h in hits)
        score = best_dense
        if oos - best_dense > self.gate.oos_margin and coverage < self.gate.oos_override_coverage:
            return self._refuse(question, REFUSAL_OUT_OF_SCOPE, "out_of_scope", score, hits, channel, user_id, query)
        if best_dense < self.gate.min_dense or coverage < self.gate.min_coverage:
            return self._refuse(question, REFUSAL_NO_MATCH, "no_match", score, hits, channel, user_id, query)
        text, used = self._compose(query, hits)
        answer = Answer(
            q=question,
            answered=True,
            text=text,
            sources=[self._source(c) for c in used],
            score=score,
            reason="answered",
            hits=hits,
        )
        self._record(answer, channel, user_id)
        return answer

    # --- gate ------------------------------------------------------------------------------------
    def _content_tokens(self, query: Query) -> list[str]:
        """The question's content words, folded. Stop words are judged on the accented text (for a question
        typed without diacritics, on its restored form)."""
        if query.content_tokens is None:  # computed once per question: the gate, rerank and extraction share it
            words = re.findall(r"\w+", nfc(query.dense_texts[0]).lower())
            query.content_tokens = list(dict.fromkeys(fold(w) for w in words if w not in STOPWORDS))
        return query.content_tokens

    def _idf(self, token: str) -> float:
        bm25 = self.index.bm25
        return max(0.1, float(bm25.idf.get(token, math.log(len(self.index) + 1)))) if bm25 else 1.0

    def _coverage(self, query: Query, chunk: Chunk) -> float:
        """Idf-weighted share of the question's content words found in one sentence (or table row) of the
        section, counting the document title and heading (and an FAQ's approved wordings) as part of every
        sentence."""
        toks = self._content_tokens(query)
        if not toks:
            return 0.0
        total = sum(self._idf(t) for t in toks)
        wordings = chunk.meta.get("questions", []) if chunk.kind == "faq" else []
        context = set(re.findall(r"\w+", fold(" ".join([chunk.title, *chunk.heading_path, *wordings]))))
        best = 0.0
        for unit in _units(chunk.text) or [""]:
            for row in unit.split("\n"):
                have = context | set(re.findall(r"\w+", fold(row)))
                best = max(best, sum(self._idf(t) for t in toks if t in have))
        return best / total

    def _rerank(self, query: Query, hits: list[Hit]) -> list[Hit]:
        """Prefer, among the fused candidates, the section holding a sentence that matches the question best.

        final = fused / best fused + w · (best sentence's idf-weighted share of the question's content words,
        counting the document title and section heading as part of every sentence)
        + q · (share of the question's question words — ở đâu, bao nhiêu, khi nào… — that its heading asks too).
        """
        toks = self._content_tokens(query)
        if not toks or len(hits) < 2 or not self.rerank_weight:
            return hits
        top_fused = max(h.fused for h in hits) or 1.0

        def lexical(chunk: Chunk) -> float:
            # The document title and the section heading are context for every sentence of the section.
            context = chunk.title + " | " + " ".join(chunk.heading_path[-1:]) + " | "
            return max(self._unit_score(toks, context + u) for u in _units(chunk.text) or [""])

        folded_question = fold(query.dense_texts[0])
        asked = [w for w in QUESTION_WORDS if re.search(rf"\b{w}\b", folded_question)]

        def same_question(chunk: Chunk) -> float:
            heading = fold(" ".join(chunk.heading_path[-1:]))
            if not asked or not heading:
                return 0.0
            return sum(1 for w in asked if re.search(rf"\b{w}\b", heading)) / len(asked)

        scored = [
            (
                h.fused / top_fused
                + self.rerank_weight * lexical(h.chunk)
                + self.question_weight * same_question(h.chunk),
                h,
            )
            for h in hits
        ]
        return [h for _, h in sorted(scored, key=lambda x: -x[0])]

    # --- composing -------------------------------------------------------------------------------
    def _unit_score(self, query_toks: list[str], unit: str) -> float:
        """Idf-weighted share of the question's syllables in a unit, plus the share of its syllable pairs found
        in the same order (so a unit that says "đăng ký mức 2" beats one that merely has the syllables)."""
        if not query_toks:
            return 0.0
        folded = fold(unit)
        have = set(re.findall(r"\w+", folded))
        total = sum(self._idf(t) for t in query_toks)
        uni = sum(self._idf(t) for t in query_toks if t in have) / total
        pairs = list(zip(query_toks, query_toks[1:]))
        if not pairs:
            return uni
        pair_total = sum(self._idf(a) + self._idf(b) for a, b in pairs)
        found = sum(self._idf(a) + self._idf(b) for a, b in pairs if f"{a} {b}" in folded)
        return uni + BIGRAM_WEIGHT * found / pair_total

    def _compose(self, query: Query, hits: list[Hit]) -> tuple[str, list[Chunk]]:
        top = hits[0].chunk
        if top.kind == "guide" and HOW_TO.search(fold(query.expanded)):
            # "How do I …": the guide among the candidates whose title says it best lists its steps.
            toks = self._content_tokens(query)
            guides = [h.chunk for h in hits if h.chunk.kind == "guide"]
            guide = max(guides, key=lambda c: self._unit_score(toks, c.title))
            intro = next(
                (self.index.chunks[i] for i in self._by_path[guide.path] if not self.index.chunks[i].heading_path),
                guide,
            )
            return self._guide_overview(intro), [intro]
        body = self._extract(query, top)
        if top.kind == "plan" and top.heading_path:
            # In a plan the heading often carries the answer ("2. Sở Văn hóa, Thể thao và Du lịch").
            body = top.heading_path[-1].rstrip(".:") + ":\n" + body
        return body + "\n\n" + self._source_line(top), [top]

    def _extract(self, query: Query, chunk: Chunk) -> str:
        """The section's units (sentences, list items) that match the question, in document order."""
        text = chunk.text.strip()
        if len(text) <= SHORT_SECTION_CHARS:
            return text
        units = _units(text)
        is_item = [u.startswith(("-", "*", "+", "•")) or bool(re.match(r"^\d{1,2}[.)]\s", u)) for u in units]
        toks = self._content_tokens(query)
        scores = [self._unit_score(toks, u) for u in units]
        chosen: set[int] = set()
        size = 0

        def take(i: int) -> bool:
            nonlocal size
            if i in chosen:
                return True
            if size + len(units[i]) > MAX_ANSWER_CHARS and chosen:
                return False
            chosen.add(i)
            size += len(units[i])
            return True

        best = max(scores) if scores else 0.0
        if best > 0:
            for i in sorted(range(len(units)), key=lambda i: -scores[i]):
                if scores[i] >= 0.5 * best:
                    take(i)
        if not chosen:
            for i in range(len(units)):
                if not take(i) or size > SHORT_SECTION_CHARS:
                    break
        # A chosen sentence that introduces a list ("...gồm:") brings the list; a chosen item brings its intro.
        for i in sorted(chosen):
            if units[i].rstrip().endswith(":"):
                j = i + 1
                while j < len(units) and is_item[j] and take(j):
                    j += 1
            elif is_item[i]:
                j = i - 1
                while j >= 0 and is_item[j]:
                    j -= 1
                if j >= 0 and units[j].rstrip().endswith(":"):
                    take(j)
        if 0 not in chosen and not is_item[0] and not units[0].startswith("|"):
            take(0)  # the lead sentence names the subject
        out: list[str] = []
        prev = None
        for i in sorted(chosen):
            u = units[i]
            if len(u) > MAX_ANSWER_CHARS:
                u = u[:MAX_ANSWER_CHARS].rsplit(" ", 1)[0] + " …"
            if prev is not None and i - 1 != prev:
                out.append("…")
            out.append(u)
            prev = i
        return _join_units(out)

    def _guide_overview(self, chunk: Chunk) -> str:
        """A how-to question on a guide: the introduction's first sentence, then the steps as a numbered list."""
        chunks = [self.index.chunks[i] for i in self._by_path.get(chunk.path, [])]
        intro = next((c for c in chunks if not c.meta.get("step") and not c.heading_path), None)
        lines = []
        if intro:
            lines.append(_units(intro.text)[0])
        seen = set()
        for c in chunks:
            step = c.meta.get("step")
            if step and step not in seen and len(c.heading_path) == 1:
                seen.add(step)
                title = re.sub(r"^Bước\s+\d+[.:)]?\s*", "", c.heading_path[0])
                lines.append(f"{step}. {title}")
        lines.append("Anh/chị hỏi thêm về bước nào, em sẽ hướng dẫn chi tiết.")
        return "\n".join(lines) + "\n\n" + self._source_line(chunk)

    @staticmethod
    def _source(chunk: Chunk) -> dict[str, str]:
        return {"title": chunk.title, "path": chunk.path, "section": chunk.section}

    @staticmethod
    def _source_line(chunk: Chunk) -> str:
        parts = [chunk.title]
        if chunk.heading_path:
            parts.append(chunk.heading_path[0] if chunk.kind == "guide" else chunk.section)
        if chunk.kind == "plan":  # an official document: who issued it, its number and date
            number = f"số {chunk.meta['number']}" if chunk.meta.get("number") else ""
            parts_who = (chunk.meta.get("issuer"), number, _vn_date(chunk.meta.get("issued", "")))
        else:  # our own explainers, guides and FAQs: when a person last checked them
            reviewed = chunk.meta.get("reviewed", "")
            parts_who = (chunk.meta.get("issuer"), f"rà soát {_vn_date(reviewed)}" if reviewed else "")
        who = ", ".join(x for x in parts_who if x)
        line = "Nguồn: " + " › ".join(parts)
        return line + (f" · {who}" if who else "")

    # --- refusing and recording --------------------------------------------------------------------
    def _refuse(
        self,
        question: str,
        text: str,
        reason: str,
        score: float,
        hits: list[Hit],
        channel: str,
        user_id: str | None,
        query: Query | None = None,
    ) -> Answer:
        answer = Answer(q=question, answered=False, text=text, sources=[], score=score, reason=reason, hits=hits)
        self._record(answer, channel, user_id, query)
        return answer

    def _record(self, answer: Answer, channel: str, user_id: str | None, query: Query | None = None) -> None:
        if self.store is None:
            return
        answer.record_id = self.store.record_question(
            answer.q,
            channel=channel,
            user_id=user_id,
            answered=answer.answered,
            reason=answer.reason,
            score=answer.score,
            sources=answer.sources,
        )
        if not answer.answered:  # the team's work list: grouped with similar questions at once
            try:
                self.question_groups().assign(
                    answer.record_id, self.group_features(answer.q, query), conversation_id=user_id
                )
            except Exception:  # the resident still gets the refusal; the next start groups it (backlog)
                log.exception("could not group unanswered question %s", answer.record_id)

    def question_groups(self) -> QuestionGroups:
        """The one QuestionGroups of this engine's store (its lock keeps concurrent assignments in order)."""
        with self._groups_lock:
            if self._groups is None:
                self._groups = QuestionGroups(self.store)
            return self._groups

    def group_features(self, question: str, query: Query | None = None) -> Features:
        """What unanswered questions are grouped by (bot/groups.py): the dense vector retrieval uses (tones
        restored when typed without them) minus the mean of generic questions' vectors, and the tf-idf weights
        of the folded content words (idf from the knowledge index)."""
        if query is None:
            query = self.retriever.analyzer.run(question)
        if query.vector is None:
            vec = self.embedder.encode_queries(query.dense_texts).mean(axis=0)
            query.vector = vec / np.linalg.norm(vec)
        centred = query.vector - self._oos_center
        words = re.findall(r"\w+", nfc(query.dense_texts[0]).lower())
        counts = Counter(fold(w) for w in words if w not in STOPWORDS)
        counts.update(t for t in re.findall(r"\w+", fold(query.expanded)) if t not in FOLDED_STOPWORDS)
        terms = {t: (1 + math.log(n)) * self._idf(t) for t, n in counts.items()}
        norm = math.sqrt(sum(w * w for w in terms.values())) or 1.0
        return Features(centred / np.linalg.norm(centred), {t: w / norm for t, w in terms.items()})


def _chunks_by_path(index: KnowledgeIndex) -> dict[str, list[int]]:
    by_path: dict[str, list[int]] = {}
    for i, c in enumerate(index.chunks):
        by_path.setdefault(c.path, []).append(i)
    return by_path


def _vn_date(value: str) -> str:
    m = re.fullmatch(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", value or "")
    if not m:
        return value or ""
    y, mo, d = m.groups()
    if d:
        return f"{int(d)}/{int(mo)}/{y}"
    if mo:
        return f"{int(mo)}/{y}"
    return y
