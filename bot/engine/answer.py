"""The answer engine: question in, short grounded Vietnamese answer (or a polite refusal) out.

Pipeline: scope rules → hybrid retrieval → confidence gate → extract the relevant sentences or steps from
the best section → append the source line. Unanswered questions are recorded for the community digital team.
"""

from __future__ import annotations

import itertools
import logging
import math
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from bot.engine.answer_type import (
    LABELS,
    NOT_SUBJECT,
    PURPOSE_ASK,
    STRONG,
    Kind,
    ask_words,
    asked_kinds,
    asks_about_local_facts,
    asks_about_occasion,
    asks_about_progress,
    asks_next_step,
    asks_purpose,
    asks_wait,
    documents_named,
    holds,
    missing_kinds,
    named_years,
    names_other_documents,
    target_for_now,
    told_clock_words,
    waited_words,
)
from bot.engine.asks import split_asks
from bot.engine.embedding import Embedder
from bot.engine.index import KnowledgeIndex
from bot.engine.knowledge import Chunk, identity_chunk, signature_chunk
from bot.engine.redflags import red_flags
from bot.engine.retrieval import HOME_WORDS, OUR_COMMUNE, Hit, HybridRetriever, Query, Retrieval
from bot.engine.scam import scam_reply
from bot.engine.scope import (
    asks_for_others_personal_data,
    asks_for_wrongdoing,
    asks_to_look_into_a_record,
    examples,
    names_a_subject_of_the_bot,
)
from bot.engine.sources import chunk_source_line
from bot.engine.tuning import Tuning
from bot.engine.verifier import Decision, Verifier, features
from bot.features import Features
from bot.status import Reason
from bot.text import UPPER_LETTERS, expand_abbreviations, fold, folded_words, nfc, spelled_out, strip_courtesy

log = logging.getLogger(__name__)

# What the plans speak of: a question about these stays the plans', whatever else it says. Folded.
_PLAN_SUBJECT = re.compile(
    r"\b(?:ke hoach|kh|tuyen truyen|truyen thong|bao cao|chi tieu|muc tieu|nhiem vu|zalo oa|kenh|ky|thuoc tinh"
    r"|tinh (?:thanh )?nao"
    # what the plans speak of: their bodies, their media and their subject
    r"|phong van hoa|trung tam dich vu|trung tam cung ung|ban chi dao|tin bai|infographic|bao chi|len bao"
    r"|phong su|chuyen muc|chuyen trang|mo hinh|dien hinh|khcn|khoa hoc|chuyen doi so|doi moi sang tao)\b"
)
_LOCAL_OFFICE = re.compile(r"\b(?:cong an|ubnd|uy ban|dien luc|truong|tram y te|buu dien|bo phan mot cua)\b")
# A later ask about what comes next: "…bấm nút nào, rồi nhập cái gì", "…, xong kiểm tra gì". Folded.
_THEN = re.compile(r"^(?:roi|xong|xong roi|sau do|tiep theo|tiep|roi sau do)\b(?=.*\b(?:gi|j|nao|sao|ntn)\b)")
# A later ask that points back to the first ask's subject: "…, cái 66 đó nói về lĩnh vực gì", "người đó giữ chức gì"
_POINTS_BACK = re.compile(
    r"\b(?:cai|nguoi|viec|trang|app|ung dung|so|muc|ben|nghi quyet|ke hoach|chuong trinh|nen tang|tai khoan|lop|"
    r"van ban|quyet dinh|to)\b(?: \w+)? (?:do|day|ay|nay)\b"
    r"|^(?:con )?(?:ho|no)\b(?! (?:so|ten|khau|gia dinh|ngheo|tro|chieu|chi|dan|le|luc)\b)"  # "…, họ giúp dân gì"
)
# What a plan itself is: its number, date or signer ("kế hoạch của xã mình số mấy, ký ngày nào, ai ký"), not
# another plan it follows ("… căn cứ vào kế hoạch số mấy của tỉnh"). Folded, on the expanded question.
_SIGNER = r"(?:ai ky|nguoi ky|ky boi ai|do ai ky|ai la nguoi ky)"
# "ký vào ngày nào", "ký ngày bao nhiêu tháng 4"
_ISSUED_WHEN = (
    r"(?:ban hanh|ky|ra)\b(?: \w+){0,3} "
    r"(?:ngay nao|khi nao|bao gio|hom nao|ngay bao nhieu|ngay may|thang may|thang nao)"
)
_ASKS_SIGNER = re.compile(rf"\b{_SIGNER}\b")
_NUMBER_ASKED = r"(?:so may|so bao nhieu|so hieu)"
_ASKS_PLAN_IDENTITY = re.compile(
    r"^(?!.*\b(?:can cu|dua tren|dua vao|thuc hien ke hoach|theo ke hoach|lam theo|trien khai ke hoach)\b)"
    rf"(?=.*\bke hoach\b).*\b(?:{_NUMBER_ASKED}|{_ISSUED_WHEN}|ngay nao (?:ky|ban hanh)|{_SIGNER})\b"
)
_ASKS_PLAN_NUMBER = re.compile(rf"\b{_NUMBER_ASKED}\b")
# Where a plan was sent: "kế hoạch của xã mình gửi lên sở nào", "KH 209 có gửi bộ nào không", "nơi nhận" — not where
# reports go ("gửi báo cáo về đâu"). Folded.
_ASKS_RECIPIENTS = re.compile(
    r"^(?!.*\bbao cao\b)(?=.*\bke hoach\b)"
    r".*\b(?:noi nhan|gui (?:len |ve |toi |den |cho )?(?:\w+ )?(?:so|bo|noi|co quan|nhung ai|dau)(?: nao)?)\b"
)
# "kế hoạch … ban hành / ký ngày nào": the plan's own date, which only its front matter holds
_ASKS_ISSUE_DATE = re.compile(rf"\bke hoach\b.*\b{_ISSUED_WHEN}\b")

# What only the commune itself can say of "xã mình": its counts, dates, sums and named people. Where to go or whom
# to call may be answered in general ("Công an xã", "113").
_OWN_FIGURES = frozenset({Kind.COUNT, Kind.DATE, Kind.MONEY, Kind.PERSON})

MAX_ANSWER_CHARS = 700  # body, before the source line: well within one phone screen
MAX_COMBINED_CHARS = 1300  # two or three asks answered together, source lines included
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
REFUSAL_OWN_RECORD = (
    "Dạ, em không xem được hồ sơ hay tài khoản của riêng ai. Anh/chị tự tra cứu trên ứng dụng VNeID hoặc Cổng Dịch "
    "vụ công (mục tra cứu hồ sơ), hoặc mang thẻ căn cước đến Công an xã hay bộ phận một cửa của xã để được kiểm tra. "
    "Em đã ghi lại câu hỏi để Tổ công nghệ số cộng đồng của xã hỗ trợ anh/chị."
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
mình bạn xin chào cảm ơn vui lòng giúp nhỉ chứ đi ư ak ah việc người v ko k dc đc j ntn nhỉ hông hok cái nói
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
    "muc dich",  # "… để làm gì", "nhằm mục đích gì": the section "Mục đích"
)

# A sentence of the knowledge that says the figure is not held here: "xin kiểm tra trên văn bản chính thức".
DEFERRAL = re.compile(r"\bxin kiem tra tren\b")

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
    reason: Reason = Reason.ANSWERED
    hits: list[Hit] = field(default_factory=list, repr=False)
    retrieval: Retrieval | None = field(default=None, repr=False)  # what retrieval saw (none for early refusals)
    # quoted from a plan's own front matter or signature block for what was asked of it (its number, date, signer,
    # where it was sent), not from the retrieved sections: the verifier, fitted on those, does not judge it
    from_plan_identity: bool = field(default=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "q": self.q,
            "answered": self.answered,
            "text": self.text,
            "sources": self.sources,
            "score": round(self.score, 4),
        }


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
        parts = re.split(rf"(?<=[.!?…;])\s+(?=[{UPPER_LETTERS}\"“(0-9])", block)
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
    """Question in, `Answer` out: pure (it reads the index and the model, writes nothing). Recording the question
    for the team is the caller's business (bot/team/recorder.py)."""

    def __init__(self, index: KnowledgeIndex, embedder: Embedder, tuning: Tuning | None = None, home: str = ""):
        self.index = index
        self.embedder = embedder
        self.tuning = tuning or Tuning()
        self.home = home  # the commune served, as a slug ("muong-mun"); "" = ask which one "xã mình" is
        self.retriever = HybridRetriever(index, embedder, self.tuning, home=home)
        if home and not self.retriever.localities.home_known:
            log.warning("TROLYSO_COMMUNE=%s matches no plan's locality in the knowledge", home)
        self.retriever.analyzer.run("khoi dong")  # loads pyvi's tone model now, not on the first question
        self._oos = examples()
        self._oos_vectors = embedder.encode_queries([t for _, t in self._oos])
        self._oos_center = self._oos_vectors.mean(axis=0)  # the direction every short question shares
        self._by_path = _chunks_by_path(index)
        self.verifier = self._load_verifier() if self.tuning.verifier_threshold else None

    @staticmethod
    def _load_verifier() -> Verifier | None:
        try:
            return Verifier.load()
        except (ValueError, KeyError, OSError) as exc:  # a model fitted on other features: answers go out unverified
            log.error("answer verifier not loaded (%s); run `trolyso eval --fit-verifier`", exc)
            return None

    def use_index(self, index: KnowledgeIndex) -> None:
        """Serve a newer index (the knowledge folder changed): everything built from the index is built again
        beside the old one, then swapped in, so questions being answered meanwhile use the old one."""
        retriever = HybridRetriever(index, self.embedder, self.tuning, home=self.home)
        self.retriever, self.index, self._by_path = retriever, index, _chunks_by_path(index)

    # --- public API --------------------------------------------------------------------------------
    def ask(self, question: str) -> Answer:
        answer = self._ask(question)
        if self._doubtful(answer):
            # every rule passed, but answers shaped like this one are more often wrong than right: the team answers
            return replace(answer, answered=False, text=REFUSAL_NO_MATCH, sources=[], reason=Reason.NO_MATCH)
        return answer

    def _ask(self, question: str) -> Answer:
        question = " ".join(nfc(question).split())
        if not re.search(r"\w", question):
            return Answer(q=question, answered=False, text=ASK_AGAIN, reason=Reason.EMPTY)
        flags = red_flags(question)
        if flags:  # a scam red flag: never refused, always the warning and the scam guide (bot/engine/scam.py)
            text, cited, found = scam_reply(question, flags, self.retriever)
            score = found.hits[0].dense if found.hits else 0.0
            sources = [self._source(c) for c in cited]
            return Answer(question, True, text, sources, score, Reason.SCAM_ALERT, found.hits, found)
        if asks_for_others_personal_data(question):
            return Answer(q=question, answered=False, text=REFUSAL_PERSONAL_DATA, reason=Reason.PERSONAL_DATA)
        if asks_to_look_into_a_record(question):
            return Answer(q=question, answered=False, text=REFUSAL_OWN_RECORD, reason=Reason.PERSONAL_DATA)
        if asks_for_wrongdoing(question):
            return Answer(q=question, answered=False, text=REFUSAL_WRONGDOING, reason=Reason.OUT_OF_SCOPE)
        core = strip_courtesy(question)
        if self.tuning.unheld_plan_check and (plan := self._unheld_plan(core)):
            return Answer(q=question, answered=False, text=self._plan_not_held(plan), reason=Reason.NO_MATCH)
        if self.tuning.occasion_check and (
            asks_about_occasion(core, kinds := asked_kinds(core))
            or asks_about_progress(core, kinds, self._about_home(core) or self._names_a_place(core))
            or asks_about_local_facts(core)
            # "số trực ban công an tỉnh Điện Biên", "tổng đài điện lực Điện Biên": a local office's own line
            or (Kind.PHONE in kinds and bool(_LOCAL_OFFICE.search(fold(core))) and self._names_a_place(core))
        ):
            # "lớp tuần sau học ngày nào, ở đâu", "tổ xã mình hiện có bao nhiêu người": the commune's calendar and
            # running figures, for the team (every part is about them)
            return Answer(q=question, answered=False, text=REFUSAL_NO_MATCH, reason=Reason.NO_MATCH)
        parts = split_asks(core)
        if len(parts) > 1 and (combined := self._answer_parts(question, parts)) is not None:
            return combined
        return self._answer(question, core)

    def _answer_parts(self, question: str, parts: list[str]) -> Answer | None:
        """Each ask of a two-part question answered on its own; the part the knowledge does not hold is named.
        None when no part can be answered (the whole question is then tried as one)."""
        answers: list[Answer] = []
        parts = [strip_courtesy(part) for part in parts]  # "…, mấy nhóm nhiệm vụ giải pháp vậy"
        named = self.retriever.localities.named
        first_names_a_place = bool(named(parts[0]))
        for i, part in enumerate(parts):
            folded = fold(part)
            # "…, ai bấm nút?": a short later ask keeps the subject of the first, and so does "…? còn X thì sao";
            # "xã Tân Hội làm theo kế hoạch số mấy của tỉnh, ai ký kế hoạch của xã": so does the place named first
            follows = (
                (len(part.split()) < 6 and not _restates(parts[0], part))
                or part.lower().startswith("còn ")
                or bool(_POINTS_BACK.search(folded))
                or (first_names_a_place and not named(part) and not OUR_COMMUNE.search(folded))
            )
            if i and _THEN.search(folded) and (later := self._later_step(question, answers[0], part)):
                answers.append(later)  # the step the later ask is about, after the one the first was answered by
            elif i and follows and not answers[0].answered:
                answers.append(answers[0])  # "…, ngày nào?" about a subject the knowledge does not hold
            elif i and follows:
                # found with the first ask's subject, quoted by its own words ("nhà khoa học … then chốt")
                joined = self._answer(question, f"{parts[0]} {part}", whole=False, focus=part)
                if not joined.answered and _POINTS_BACK.search(folded):
                    # "…phải mức mấy, mức đó làm ở đâu": the first ask's words pull to its own section; the later
                    # ask's words ("mức … làm ở đâu") find the one that holds what it asks
                    joined = self._answer(question, part, whole=False)
                answers.append(joined)
            else:
                answers.append(self._answer(question, part, whole=False))  # each part keeps to its point
        known = [a for a in answers if a.answered]
        if not known:
            return None
        pieces: list[str] = []
        sources: list[dict[str, str]] = []
        seen: dict[tuple[str, str], int] = {}  # section -> its piece
        for part, a in zip(parts, answers, strict=True):
            if a.answered:
                key = (a.sources[0]["path"], a.sources[0]["section"]) if a.sources else (a.text, "")
                if key in seen:
                    # both asks answered by the same section: say it once, with the sentences each ask needs
                    # ("R&D đạt 2% GDP" for one, "ít nhất 3% tổng chi ngân sách" for the other)
                    body, source, tail = pieces[seen[key]].partition("\n\nNguồn:")
                    more = [u for u in _units(a.text.partition("\n\nNguồn:")[0]) if u not in body]
                    if more and not a.text.startswith("Dạ,"):
                        pieces[seen[key]] = f"{body}\n{_join_units(more)}{source}{tail}"
                else:
                    seen[key] = len(pieces)
                    pieces.append(a.text)
                    sources += a.sources
            else:
                pieces.append(
                    f"Dạ, phần “{_quoted(part)}” em chưa có thông tin chắc chắn; anh/chị hỏi thêm Tổ công nghệ số "
                    "cộng đồng của xã giúp em ạ."
                )
        if sum(len(p) for p in pieces) > MAX_COMBINED_CHARS:
            share = MAX_COMBINED_CHARS // len(pieces)
            pieces = [_shorten(p, share) for p in pieces]
        best = max(known, key=lambda a: a.score)
        return Answer(
            q=question,
            answered=True,
            text="\n\n".join(pieces),
            sources=sources,
            score=best.score,
            reason=Reason.ANSWERED,
            hits=best.hits,
            retrieval=best.retrieval,
            from_plan_identity=all(a.from_plan_identity for a in known),
        )

    def _later_step(self, question: str, first: Answer, part: str) -> Answer | None:
        """A later ask starting "rồi/xong/sau đó" ("rồi nhập cái gì") after an answer from a guide's numbered step:
        a later step of that guide, the first whose words the ask names ("xong kiểm tra gì": "Bước 3. Kiểm tra tên
        người nhận"), else the next one. None when the first answer is not a step."""
        if not (self.tuning.next_step and first.answered and first.sources):
            return None
        path, section = first.sources[0]["path"], first.sources[0]["section"]
        chunks = [self.index.chunks[i] for i in self._by_path.get(path, [])]
        done = next((c for c in chunks if c.section == section and c.meta.get("step")), None)
        if done is None:
            return None
        later = [c for c in chunks if (c.meta.get("step") or 0) > done.meta["step"] and len(c.heading_path) == 1]
        if not later:
            return None
        words = [w for w in content_tokens(self.retriever.analyzer.run(part)) if w not in ask_words(part)]
        named = [c for c in later if words and self._coverage(words, c) > 0]
        step = min(named or later, key=lambda c: c.meta["step"])
        return Answer(
            q=question,
            answered=True,
            text=step.text.strip() + "\n\n" + chunk_source_line(step),
            sources=[self._source(step)],
            score=first.score,
            reason=Reason.ANSWERED,
            hits=first.hits,
            retrieval=first.retrieval,
        )

    def _answer(self, question: str, core: str, whole: bool = True, focus: str | None = None) -> Answer:
        """One ask (`core`: the question without courtesy) answered from the knowledge, or refused. `whole`: a
        section whose heading names what was asked may be quoted whole (not for one part of several asks).
        `focus`: a later ask found with the first ask's subject picks the sentences by its own words."""
        t = self.tuning
        found = self.retriever.run(core, top_k=t.rerank_depth)
        query, hits = found.query, found.hits
        toks = content_tokens(query)
        if not any(re.search(r"[^\W\d_]", tok) for tok in toks):
            # nothing but numbers and function words ("1", "ok a"): no question to answer from the knowledge
            return Answer(q=question, answered=False, text=ASK_AGAIN, reason=Reason.EMPTY)

        def refuse(text: str, reason: Reason, score: float) -> Answer:
            return Answer(q=question, answered=False, text=text, score=score, reason=reason, hits=hits, retrieval=found)

        if not hits:
            return refuse(REFUSAL_NO_MATCH, Reason.NO_MATCH, 0.0)
        if (
            t.purpose_section
            and asks_purpose(query.expanded)
            and (plan := self.retriever.localities.plan_asked(query.text, found.asks_home))
        ):
            # "kế hoạch của xã Con Cuông để làm gì": that plan's "Mục đích" section is a candidate, ranked or not
            purpose = [
                Hit(self.index.chunks[i], i, float(self.index.vectors[i] @ found.vector), 0.0, hits[0].fused)
                for i in self._by_path.get(plan, [])
                if self.index.chunks[i].heading_path
                and re.search(r"\bmuc dich\b", fold(self.index.chunks[i].heading_path[-1]))
            ]
            hits = purpose + [h for h in hits if h.index not in {p.index for p in purpose}]
        hits = self._rerank(query, toks, hits)[:5]
        top = hits[0]
        coverage = self._coverage(toks, top.chunk)
        oos = float(np.max(self._oos_vectors @ found.vector))
        best_dense = max(h.dense for h in hits)
        score = best_dense
        home_question = found.asks_home and self.retriever.localities.home_known  # "xã mình": a local plan
        # "… vậy đóng tiền điện kiểu gì": a question naming the bot's own subject is not out of scope
        # … and so is one naming a document the knowledge holds by its number ("nghị quyết 193 … ban hành ngày nào")
        anchored = t.subject_terms and (
            names_a_subject_of_the_bot(query.expanded)
            or bool(documents_named(query.expanded) & self.retriever.documents_held)
        )
        if oos - best_dense > t.oos_margin and coverage < t.oos_override_coverage and not (home_question or anchored):
            return refuse(REFUSAL_OUT_OF_SCOPE, Reason.OUT_OF_SCOPE, score)
        if t.placeless_scope and not anchored and self._out_of_scope_without_places(query.text):
            # "mai Mường Mùn có mưa không": the commune's name made the plan look close; the weather is not its subject
            return refuse(REFUSAL_OUT_OF_SCOPE, Reason.OUT_OF_SCOPE, score)
        if found.asks_home and not self.retriever.localities.home_known:
            return refuse(self._which_commune(), Reason.WHICH_COMMUNE, score)
        asking = fold(expand_abbreviations(focus)) if focus else fold(query.expanded)  # a later ask: its own words
        asked = asked_kinds(query.text)  # read once, for every check below
        recipients = bool(_ASKS_RECIPIENTS.search(asking))
        if t.plan_identity and (recipients or _ASKS_PLAN_IDENTITY.search(asking)):
            # "kế hoạch của xã mình số mấy, ký ngày nào, ai ký": the plan's own number-and-date section, or the team;
            # "… gửi lên sở nào": its signature block, which lists where it was sent
            plan = self.retriever.localities.plan_asked(query.text, found.asks_home)
            sections = [self.index.chunks[i] for i in self._by_path.get(plan, [])]
            identity = signature_chunk(sections) if recipients else identity_chunk(sections)
            if identity is None and _ASKS_SIGNER.search(asking):
                identity = signature_chunk(sections)  # a plan without a number still names its signer
            if plan and identity is None:
                return refuse(REFUSAL_NO_MATCH, Reason.NO_MATCH, score)  # a plan whose number and date are not held
            if identity is not None:
                text = self._compose(query, toks, [Hit(identity, -1, 1.0, 0.0, 0.0)], whole)[0]
                own_number = str(identity.meta.get("number") or "")  # "kế hoạch 01 … gửi lên sở nào": that plan's
                if t.named_document_check and names_other_documents(query.expanded, text + " " + own_number):
                    return refuse(REFUSAL_NO_MATCH, Reason.NO_MATCH, score)  # "nghị quyết 18 mà KH 209 nhắc tới"
                if Kind.DATE in missing_kinds(query.text, text, asked & {Kind.DATE}):
                    return refuse(REFUSAL_NO_MATCH, Reason.NO_MATCH, score)  # "ký ngày nào": known to the month only
                if _ASKS_PLAN_NUMBER.search(asking) and not identity.meta.get("number"):
                    return refuse(REFUSAL_NO_MATCH, Reason.NO_MATCH, score)  # "số mấy": a plan without a number
                return Answer(
                    q=question,
                    answered=True,
                    text=text,
                    sources=[self._source(identity)],
                    score=score,
                    reason=Reason.ANSWERED,
                    hits=hits,
                    retrieval=found,
                    from_plan_identity=True,
                )
        if best_dense < t.min_dense or (coverage < t.min_coverage and not self._story_held(toks, coverage)):
            return refuse(REFUSAL_NO_MATCH, Reason.NO_MATCH, score)
        picked = toks
        if focus is not None:  # the later ask's own words pick the sentences, when they name a subject
            own = content_tokens(self.retriever.analyzer.run(focus))
            if set(own) - NOT_SUBJECT:  # "ai ký": "ký" picks the signer's sentence; "ở đâu" picks nothing
                picked = own
        text, used = self._compose(query, picked, hits, whole)
        if t.answer_type_check:
            checked = self._holding_what_was_asked(query, toks, asked, hits, coverage, text, used)
            if checked is None:
                # The sections share words with the question but not what it asks for (a date, a phone…).
                return refuse(REFUSAL_NO_MATCH, Reason.NO_MATCH, score)
            text, used = checked
        if t.named_document_check and names_other_documents(query.expanded, text):
            # "nghị quyết 18 mà kế hoạch Cao Bằng nhắc tới ban hành ngày nào": an answer on another document
            return refuse(REFUSAL_NO_MATCH, Reason.NO_MATCH, score)
        if t.local_figure_check and self._national_for_local(query.text, asked, text, used):
            # "Điện Biên có bao nhiêu người học", "ai là trưởng ban chỉ đạo của tỉnh Điện Biên": a national figure
            # or name is not the province's own
            return refuse(REFUSAL_NO_MATCH, Reason.NO_MATCH, score)
        if t.now_not_target and target_for_now(asking, text.partition("\n\nNguồn:")[0]):
            # "hiện giờ Việt Nam đứng thứ mấy về EGDI rồi": a 2030 target is not today's standing
            return refuse(REFUSAL_NO_MATCH, Reason.NO_MATCH, score)
        return Answer(
            q=question,
            answered=True,
            text=text,
            sources=[self._source(c) for c in used],
            score=score,
            reason=Reason.ANSWERED,
            hits=hits,
            retrieval=found,
        )

    def _holding_what_was_asked(
        self,
        query: Query,
        toks: list[str],
        asked: set[Kind],
        hits: list[Hit],
        coverage: float,
        text: str,
        used: list[Chunk],
    ) -> tuple[str, list[Chunk]] | None:
        """The composed answer if it holds what the question asks for (a date, a phone number, a sum…); else the
        answer from another section of the same document that passes the gate and holds it (the number of days
        is in a guide's step, not its introduction); None when none does. When only a weaker part (a place, a
        body) is missing, the answer says which part it does not know (bot/engine/answer_type.py)."""
        t = self.tuning
        # "nộp lúc 4h chiều": the resident's case; "bao lâu thì có kết quả": what is waited for
        asking = ask_words(query.text) | told_clock_words(query.text) | waited_words(query.text)
        subject = [tok for tok in toks if tok not in asking]
        if Kind.MENU in asked:
            # "vào mục nào": the step of the same document that quotes the screen's items (“Tạo mới yêu cầu”);
            # looked for, never required, since a guide does not name every item on every screen
            asked = asked - {Kind.MENU}
            if t.menu_step and not holds(Kind.MENU, query.text, text):
                text, used = self._step_quoting_an_item(query, toks, subject or toks, hits, text, used)
        years = named_years(query.text) if t.year_check else set()
        if not asked and not years:
            return text, used
        strong = {k for k in asked if k in STRONG}
        pairs = [p for p in _folded_pairs_list(query.dense_texts[0]) if set(p) <= set(subject)] if t.near_pairs else []
        wait = asks_wait(query.text)  # "bao giờ … nhận được": read once, not for every candidate answer

        def lacking(answer: str, chunks: list[Chunk]) -> set[Kind]:
            body = answer.rsplit("\n\nNguồn:", 1)[0]
            titles = " ".join(dict.fromkeys(c.title for c in chunks))
            missing = missing_kinds(query.text, body, asked, titles)
            # a web address stands beside its name, and a list item under its list's lead, not in a sentence
            near_kinds = strong - missing - {Kind.LINK, Kind.ITEM}
            if wait:
                near_kinds -= {Kind.DATE}  # "tiền đến ngay": the wait is said once, of the whole section's subject
            if t.kind_near_coverage and near_kinds and subject:
                # a date, number or sum counts only in a sentence about what was asked
                near = "\n".join(self._units_about(subject, body, chunks, t.kind_near_coverage, pairs))
                missing |= missing_kinds(query.text, near, near_kinds, titles)
            return missing

        def off_year(answer: str, chunks: list[Chunk]) -> bool:
            """The answer is about another year than the one asked (its headings count: "2.3. Đến năm 2030")."""
            said = fold(" ".join([answer, *(w for c in chunks for w in [c.title, *c.heading_path])]))
            return any(not re.search(rf"\b{y}\b", said) for y in years)

        def fails(missing: set[Kind], answer: str, chunks: list[Chunk]) -> bool:
            kinds_fail = bool(asked) and (missing == asked or bool(strong and strong <= missing))
            return kinds_fail or off_year(answer, chunks)

        missing = lacking(text, used)
        failing = fails(missing, text, used)
        if failing and t.kind_sentence and used and (own := self._sentence_holding(query, toks, used[0], missing)):
            # the section's own sentence that holds what was asked, when the best sentences did not
            if not fails(own_missing := lacking(own, used[:1]), own, used[:1]):
                text, used, missing, failing = own, used[:1], own_missing, False
        if failing:
            for alt in hits[1:5]:
                alt_coverage = self._coverage(toks, alt.chunk)
                if alt.chunk.path == hits[0].chunk.path:  # another section of the same document
                    enough = alt_coverage >= max(t.min_coverage, t.alt_section_coverage * coverage)
                else:  # another document only when it holds more of the question than the best section
                    enough = bool(t.alt_document_coverage) and alt_coverage >= max(t.alt_document_coverage, coverage)
                if alt.dense < t.min_dense or not enough:
                    continue
                alt_text, alt_used = self._compose(query, toks, [alt] + [h for h in hits if h is not alt])
                if not fails(alt_missing := lacking(alt_text, alt_used), alt_text, alt_used):
                    text, used, missing = alt_text, alt_used, alt_missing
                    break
        if fails(missing, text, used):
            return None
        if Kind.DATE in asked and used and _ASKS_ISSUE_DATE.search(fold(query.expanded)):
            if used[0].kind == "plan" and not used[0].meta.get("issued"):
                return None  # "kế hoạch của xã Tân Hội ban hành ngày nào": the dates in its text are other documents'
        if t.deferral_check and strong and self._defers(toks, text):
            return None  # the knowledge says to check the official text: it does not hold the figure asked
        if missing:
            unknown = ", ".join(LABELS[k] for k in sorted(missing))
            text = (
                f"Dạ, về {unknown} anh/chị hỏi, em chưa có thông tin chắc chắn; anh/chị hỏi thêm Tổ công nghệ "
                f"số cộng đồng của xã giúp em ạ. Phần em biết:\n{text}"
            )
        return text, used

    def _sentence_holding(self, query: Query, toks: list[str], chunk: Chunk, missing: set[Kind]) -> str:
        """The answer made of the one sentence of `chunk` that holds the missing kinds and covers the question best
        ("Hàng tháng … báo cáo cho UBND xã và UBND tỉnh" for "bao lâu báo cáo một lần"); "" when none does."""
        holding = [
            u
            for u in _units(chunk.text)
            if u.strip() not in ("…", "") and not missing & missing_kinds(query.text, u, missing, chunk.title)
        ]
        context = f"{chunk.title} {' '.join(chunk.heading_path[-1:])} "
        best = max(holding, key=lambda u: self._unit_score(toks, context + u), default="")
        if not best or self._unit_score(toks, context + best) < self.tuning.min_coverage:
            return ""
        heading = chunk.heading_path[-1].rstrip(".:") + ":\n" if chunk.heading_path else ""
        return f"{heading}{best}\n\n{chunk_source_line(chunk)}"

    def _step_quoting_an_item(
        self, query: Query, toks: list[str], subject: list[str], hits: list[Hit], text: str, used: list[Chunk]
    ) -> tuple[str, list[Chunk]]:
        """Among the steps of the guide answering that quote an item on a screen, the one covering the question
        best, composed as the answer; the answer as it was when none covers enough of the question."""
        guide = used[0] if used and used[0].kind == "guide" else None
        if guide is None:
            return text, used
        steps = [i for i in self._by_path[guide.path] if holds(Kind.MENU, query.text, self.index.chunks[i].text)]
        # judged on what the question is about (`subject`: "vào mục" is in every step that quotes an item); ties
        # (the guide's title counts for every step) go to the step closest to the question
        dense = {h.index: h.dense for h in hits}
        scored = [(self._coverage(subject, self.index.chunks[i]), dense.get(i, 0.0), i) for i in steps]
        scored = [(c, d, i) for c, d, i in scored if c >= self.tuning.min_coverage]
        if not scored:
            return text, used
        best = max(scored)[2]
        hit = next((h for h in hits if h.index == best), None) or Hit(self.index.chunks[best], best, hits[0].dense)
        return self._compose(query, toks, [hit] + [h for h in hits if h.index != best])

    def _out_of_scope_without_places(self, text: str) -> bool:
        """True when the question, once the places it names and "xã mình" are cut out, is closer to an out-of-scope
        description than to any section (and something is left to judge)."""
        folded = fold(text)
        if len(folded) != len(text):
            return False
        spans = [m.span() for m in HOME_WORDS.finditer(folded)]
        for name in self.retriever.localities.named(text):
            spans += [m.span() for m in re.finditer(rf"\b(?:(?:xa|tinh|huyen|ban|thon) )?{re.escape(name)}\b", folded)]
        if not spans or _PLAN_SUBJECT.search(folded):
            return False  # "kế hoạch của xã Con Cuông …", "xã mình tuyên truyền …": what the plans are about
        keep = [c for i, c in enumerate(text) if not any(a <= i < b for a, b in spans)]
        rest = " ".join("".join(keep).split())
        if not re.search(r"[^\W\d_]{2,}", fold(strip_courtesy(rest))):
            return False
        vector = self.retriever.encoder.run(self.retriever.analyzer.run(rest))
        oos = float(np.max(self._oos_vectors @ vector))
        return oos - float(np.max(self.index.vectors @ vector)) > self.tuning.oos_margin

    def _defers(self, toks: list[str], answer: str) -> bool:
        """The answer's sentence closest to the question sends the reader to the official text ("Quy định … về ví
        điện tử và hạn mức, xin kiểm tra trên văn bản chính thức"): the knowledge knows it lacks that figure."""
        units = _units(answer.rsplit("\n\nNguồn:", 1)[0])
        if not units:
            return False
        best = max(units, key=lambda u: self._unit_score(toks, u))
        return bool(DEFERRAL.search(fold(best)))

    def _about_home(self, question: str) -> bool:
        """The question is about the commune this installation serves ("xã mình", or its name)."""
        folded = fold(question)
        home_name = self.retriever.localities.home_name
        return bool(HOME_WORDS.search(folded)) or bool(home_name and home_name in folded)

    def _national_for_local(self, question: str, asked: set[Kind], answer: str, used: list[Chunk]) -> bool:
        """A figure, date or name asked about a place a plan speaks of, or about "xã mình", answered from sections
        that are neither that place's plan nor an FAQ and never name it."""
        localities = self.retriever.localities
        places = localities.named(question)
        folded = fold(question)
        asks_who = bool(asked & {Kind.BODY, Kind.PERSON}) or bool(re.search(r"\bai\b", folded))
        figures = asked & STRONG
        if not places and OUR_COMMUNE.search(folded) and localities.home_known:
            # "tổ công nghệ số xã mình có bao nhiêu thành viên": the home commune's own count, date, sum or name
            places = [localities.home_name]
            asks_who = False  # "ai" in "xã mình": who in general (the police, the team) may be answered
            figures = asked & _OWN_FIGURES
        if not places or not (figures or asks_who):
            return False
        if any(c.kind in ("plan", "faq") for c in used):
            return False
        said = fold(" ".join([answer, *(w for c in used for w in [c.title, *c.heading_path])]))
        return not any(re.search(rf"\b{re.escape(p)}\b", said) for p in places)

    def _names_a_place(self, question: str) -> bool:
        """The question names a commune or province a plan speaks of ("toàn tỉnh Điện Biên", "xã Tân Hội")."""
        return bool(self.retriever.localities.named(question))

    def _unheld_plan(self, question: str) -> str:
        """The plan asked about, when the knowledge does not hold it and the question asks its content (its targets,
        tasks, figures): "" when it holds the plan, or when only its date or issuer is asked, which the plans that
        cite it say ("Kế hoạch số 3267/KH-UBND ngày 04/7/2025 của UBND tỉnh Điện Biên")."""
        plan = self.retriever.localities.unheld_plan(question)
        kinds = asked_kinds(question)
        if plan and kinds and kinds <= {Kind.DATE, Kind.BODY, Kind.PERSON}:
            return ""
        return plan

    def _plan_not_held(self, plan: str) -> str:
        held = self.retriever.localities.held()
        return (
            f"Dạ, em chưa có nội dung {plan} nên chưa trả lời chắc chắn được; em đang có kế hoạch của: {held}. "
            "Em đã ghi lại câu hỏi để Tổ công nghệ số cộng đồng của xã xem và trả lời anh/chị."
        )

    def _which_commune(self) -> str:
        """ "Xã mình" asked of an installation that does not know its commune: name the plans it holds."""
        held = self.retriever.localities.held()
        return (
            "Dạ, em chưa biết anh/chị hỏi về xã nào. Em đang có kế hoạch của: "
            f"{held}. Anh/chị hỏi lại kèm tên xã hoặc tỉnh giúp em ạ (ví dụ: “Kế hoạch của xã … đặt mục tiêu gì?”)."
        )

    # --- gate ------------------------------------------------------------------------------------
    def verifier_features(self, answer: Answer) -> list[float] | None:
        """What the verifier reads of an answer composed from the knowledge (bot/engine/verifier.py FEATURES);
        None for any other answer, for an FAQ the team wrote, which is their own answer and always stands, and for a
        plan's own number, date, signer or recipients quoted from its front matter or signature block."""
        decision = (
            self._decision(answer) if answer.reason is Reason.ANSWERED and not answer.from_plan_identity else None
        )
        if decision is None or decision.top_kind == "faq":
            return None
        vocabulary = self.index.bm25.idf if self.index.bm25 else {}
        return features(decision, self._idf, vocabulary.__contains__)

    def _decision(self, answer: Answer) -> Decision | None:
        found = answer.retrieval
        if found is None or not answer.hits:
            return None
        query, top = found.query, answer.hits[0].chunk
        toks = content_tokens(query)
        asking = ask_words(query.text)
        return Decision(
            question=answer.q,
            subject=[t for t in toks if t not in asking],
            answer=answer.text.rsplit("\n\nNguồn:", 1)[0],
            titles=" ".join(f"{s['title']} {s['section']}" for s in answer.sources),
            top_heading=" ".join([top.title, *top.heading_path]),
            top_kind=top.kind,
            dense=[h.dense for h in answer.hits],
            top_fused=answer.hits[0].fused,
            bm25=[h.bm25 for h in answer.hits],
            coverage=self._coverage(toks, top),
            oos=float(np.max(self._oos_vectors @ found.vector)),
            had_diacritics=query.had_diacritics,
            asked_kinds=len(asked_kinds(query.text)),
            asks=len(split_asks(strip_courtesy(answer.q))),
            asks_home=found.asks_home,
        )

    def _doubtful(self, answer: Answer) -> bool:
        """The verifier (when one is loaded) gives an answer composed from the knowledge less than the threshold's
        chance of being right."""
        if self.verifier is None:
            return False
        values = self.verifier_features(answer)
        return values is not None and self.verifier.probability(values) < self.tuning.verifier_threshold

    def _idf(self, token: str) -> float:
        bm25 = self.index.bm25
        return max(0.1, float(bm25.idf.get(token, math.log(len(self.index) + 1)))) if bm25 else 1.0

    def _units_about(
        self, toks: list[str], text: str, chunks: list[Chunk], share: float, pairs: list[tuple[str, str]] | None = None
    ) -> list[str]:
        """The sentences (list items, table rows) of an answer holding at least `share` of the question's subject
        words, idf-weighted, counting the titles and headings of the sections it came from, the sentences either
        side and the line that leads a list. `pairs`: the subject's words that stand together in the question
        ("an toàn", "thông tin") count again when they stand together in the answer: "Ngày An toàn thông tin Việt
        Nam" is not "Ngày Khoa học và Công nghệ Việt Nam"."""
        pairs = pairs or []
        half = self.tuning.near_pairs / 2
        pair_weight = {pair: half * (self._idf(pair[0]) + self._idf(pair[1])) for pair in pairs}
        total = self._weight(toks) + sum(pair_weight.values())
        if not total:
            return []
        titles = " ".join(w for c in chunks for w in [c.title, *c.heading_path])
        context = _words_spelled_out(titles)
        context_pairs = _folded_pairs(titles) if pairs else set()
        # (paragraph, sentence or row) in order; a sentence's neighbours in its paragraph count as its context
        rows = [
            (p, row) for p, block in enumerate(text.split("\n")) for unit in _units(block) for row in unit.split("\n")
        ]
        about = []
        lead = ""  # a line ending in ":" ("2.1. Năm 2025:", "… như sau:") heads the items after it
        for i, (paragraph, row) in enumerate(rows):
            # the sentences either side in the paragraph count too ("X được ký ngày …" before "Thủ tướng ký X")
            beside = " ".join(r for p, r in rows[max(0, i - 1) : i + 2] if p == paragraph)
            have = context | _words_spelled_out(f"{lead} {beside}")
            together = context_pairs | _folded_pairs(f"{lead} {beside}") if pairs else set()
            found = self._weight(toks, have) + sum(w for pair, w in pair_weight.items() if pair in together)
            if found >= share * total:
                about.append(f"{lead} {row}" if lead else row)
            if row.rstrip().endswith(":"):
                lead = row
            elif not row.lstrip().startswith(("-", "*", "+", "•", "|")):
                lead = ""
        return about

    def _story_held(self, toks: list[str], coverage: float) -> bool:
        """A long message (a story, then the ask) whose best sentence holds enough of the question's words in
        weight, though a small share of all it says: the story's own details are not the knowledge's."""
        return bool(self.tuning.story_weight) and coverage * self._weight(toks) >= self.tuning.story_weight

    def _weight(self, toks: list[str], have: set[str] | None = None) -> float:
        """The idf weight of the question's words (those in `have`, when given)."""
        return sum(self._idf(t) for t in toks if have is None or t in have)

    def _coverage(self, toks: list[str], chunk: Chunk) -> float:
        """Idf-weighted share of the question's content words found in one sentence (or table row) of the
        section, counting the document title and heading (and an FAQ's approved wordings) as part of every
        sentence."""
        if not toks:
            return 0.0
        total = self._weight(toks)
        wordings = chunk.meta.get("questions", []) if chunk.kind == "faq" else []
        context = _words_spelled_out(" ".join([chunk.title, *chunk.heading_path, *wordings]))
        best = 0.0
        for unit in _units(chunk.text) or [""]:
            for row in unit.split("\n"):
                words = _words_spelled_out(row)
                best = max(best, self._weight(toks, context | words))
        return best / total

    def _rerank(self, query: Query, toks: list[str], hits: list[Hit]) -> list[Hit]:
        """Prefer, among the fused candidates, the section holding a sentence that matches the question best.

        final = fused / best fused + w · (best sentence's idf-weighted share of the question's content words,
        counting the document title and section heading as part of every sentence)
        + q · (share of the question's question words — ở đâu, bao nhiêu, khi nào… — that its heading asks too)
        + h · (for sections of the best-fused document: idf-weighted share of the question's words beyond the
        document's title that its heading holds).
        """
        if not toks or len(hits) < 2 or not self.tuning.rerank_weight:
            return hits
        top_fused = max(h.fused for h in hits) or 1.0

        def lexical(chunk: Chunk) -> float:
            # The document title and the section heading are context for every sentence of the section.
            context = chunk.title + " | " + " ".join(chunk.heading_path[-1:]) + " | "
            return max(self._unit_score(toks, context + u) for u in _units(chunk.text) or [""])

        # "nói về cái gì", "là cái gì" ask what it is, as a heading "… là gì" does
        folded_question = re.sub(r"\b(?:noi ve|la) (?:cai )?gi\b", "la gi", fold(query.dense_texts[0]))
        folded_question = re.sub(rf"\b{PURPOSE_ASK}\b", "muc dich", folded_question)
        asked = [w for w in QUESTION_WORDS if re.search(rf"\b{w}\b", folded_question)]

        subject = set(toks) - set(ask_words(query.text))

        def same_question(chunk: Chunk) -> float:
            heading = fold(" ".join(chunk.heading_path[-1:]))
            if not asked or not heading:
                return 0.0
            same = sum(1 for w in asked if re.search(rf"\b{w}\b", heading)) / len(asked)
            if asked == ["la gi"] and same and subject and subject <= folded_words(heading):
                same *= 2  # "nghị quyết 57 nói về cái gì": the section "Nghị quyết 57-NQ/TW là gì" defines it
            if "muc dich" in asked and re.search(r"\bmuc dich\b", heading):
                same *= 3  # "kế hoạch … để làm gì": the plan's "Mục đích", not a section that mentions a purpose
            return same

        first_document = max(hits, key=lambda h: h.fused).chunk.path
        # "xã ta", "xã mình" say whose plan, not which part of it
        placeless = set(folded_words(OUR_COMMUNE.sub(" ", fold(query.dense_texts[0]))))

        def names_the_part(chunk: Chunk) -> float:
            # among the sections of the best-fused document, the one whose heading holds the question's words
            # that the document's title does not: the part asked about ("Lễ phát động ngày 26/3/2025" for "phong
            # trào BDHVS phát động ngày nào"), not the overview that mentions it
            if not chunk.heading_path or chunk.path != first_document:
                return 0.0
            title = folded_words(chunk.title)
            own = [t for t in toks if t not in title and t in placeless]
            if not own:
                return 0.0
            return self._weight(own, folded_words(chunk.heading_path[-1])) / self._weight(own)

        scored = [
            (
                h.fused / top_fused
                + self.tuning.rerank_weight * lexical(h.chunk)
                + self.tuning.question_weight * same_question(h.chunk)
                + self.tuning.heading_rerank * names_the_part(h.chunk),
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
        uni = self._weight(query_toks, have) / self._weight(query_toks)
        pairs = list(itertools.pairwise(query_toks))
        if not pairs:
            return uni
        pair_total = sum(self._idf(a) + self._idf(b) for a, b in pairs)
        found = sum(self._idf(a) + self._idf(b) for a, b in pairs if f"{a} {b}" in folded)
        return uni + BIGRAM_WEIGHT * found / pair_total

    def _compose(self, query: Query, toks: list[str], hits: list[Hit], whole: bool = True) -> tuple[str, list[Chunk]]:
        top = hits[0].chunk
        if self.tuning.next_step and top.kind == "guide" and asks_next_step(query.expanded):
            # "nhập số định danh với số điện thoại rồi, giờ nhập gì nữa": the step after the one they describe
            following = self._step_after(top)
            if following is not None:
                return following.text.strip() + "\n\n" + chunk_source_line(following), [following]
        if top.kind == "guide" and HOW_TO.search(fold(query.expanded)):
            # "How do I …": the guide among the candidates whose title says it best lists its steps.
            guides = [h.chunk for h in hits if h.chunk.kind == "guide"]
            guide = max(guides, key=lambda c: self._unit_score(toks, c.title))
            intro = next(
                (self.index.chunks[i] for i in self._by_path[guide.path] if not self.index.chunks[i].heading_path),
                guide,
            )
            return self._guide_overview(intro), [intro]
        body = self._extract(toks, top)
        limit = self.tuning.whole_section_chars
        if (
            whole
            and limit
            and top.heading_path
            and len(top.text.strip()) <= limit
            and len(body) < len(top.text.strip())
        ):
            # "Trung tâm Dịch vụ tổng hợp làm gì": the heading names what was asked, so the section is the answer
            subject = [w for w in toks if w not in ask_words(query.text)]
            heading = folded_words(expand_abbreviations(top.heading_path[-1]))  # "MTTQVN": Mặt trận Tổ quốc
            if subject and self._weight(subject, heading) >= 0.5 * self._weight(subject):
                body = top.text.strip()
        if top.kind == "plan" and top.heading_path:
            # In a plan the heading often carries the answer ("2. Sở Văn hóa, Thể thao và Du lịch").
            body = top.heading_path[-1].rstrip(".:") + ":\n" + body
        return body + "\n\n" + chunk_source_line(top), [top]

    def _step_after(self, chunk: Chunk) -> Chunk | None:
        """The guide's next step ("Bước 4. …" after "Bước 3. …", by the step number the loader keeps), if the section
        is a numbered step."""
        step = chunk.meta.get("step")
        if not step:
            return None
        following = (self.index.chunks[i] for i in self._by_path.get(chunk.path, []))
        return next((c for c in following if c.meta.get("step") == step + 1 and len(c.heading_path) == 1), None)

    def _extract(self, toks: list[str], chunk: Chunk) -> str:
        """The section's units (sentences, list items) that match the question, in document order."""
        text = chunk.text.strip()
        if len(text) <= SHORT_SECTION_CHARS:
            return text
        units = _units(text)
        is_item = [u.startswith(("-", "*", "+", "•")) or bool(re.match(r"^\d{1,2}[.)]\s", u)) for u in units]
        # the document's title is what every sentence is about ("… xã Mường Mùn"): its words pick the document, not
        # the sentence, so they count as said in every unit
        context = f"{chunk.title} " if self.tuning.title_context else ""
        scores = [self._unit_score(toks, context + u) for u in units]
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
        return "\n".join(lines) + "\n\n" + chunk_source_line(chunk)

    @staticmethod
    def _source(chunk: Chunk) -> dict[str, str]:
        return {"title": chunk.title, "path": chunk.path, "section": chunk.section}

    # --- what unanswered questions are grouped by ---------------------------------------------------
    def group_features(self, question: str, retrieval: Retrieval | None = None) -> Features:
        """What unanswered questions are grouped by (bot/team/groups.py): the dense vector retrieval uses (tones
        restored when typed without them) minus the mean of generic questions' vectors, and the tf-idf weights
        of the folded content words (idf from the knowledge index)."""
        if retrieval is None:
            query = self.retriever.analyzer.run(question)
            vector = self.retriever.encoder.run(query)
        else:
            query, vector = retrieval.query, retrieval.vector
        centred = vector - self._oos_center
        words = re.findall(r"\w+", nfc(query.dense_texts[0]).lower())
        counts = Counter(fold(w) for w in words if w not in STOPWORDS)
        counts.update(t for t in re.findall(r"\w+", fold(query.expanded)) if t not in FOLDED_STOPWORDS)
        terms = {t: (1 + math.log(n)) * self._idf(t) for t, n in counts.items()}
        norm = math.sqrt(sum(w * w for w in terms.values())) or 1.0
        return Features(centred / np.linalg.norm(centred), {t: w / norm for t, w in terms.items()})


QUOTED_WORDS = 12


def _restates(first: str, later: str) -> bool:
    """A later ask that names the first ask's subject again ("mức 2 khác mức 1 chỗ nào, làm mức 2 ở đâu") stands on
    its own: two words in a row it shares with the first ask, not both function words."""

    def pairs(text: str) -> set[tuple[str, str]]:
        words = fold(text).split()
        return {(a, b) for a, b in zip(words, words[1:], strict=False) if not ({a, b} & FOLDED_STOPWORDS)}

    return bool(pairs(first) & pairs(later))


def _quoted(part: str) -> str:
    """A part the knowledge does not hold, as the answer names it: a story told before the ask ("Bà nội em 70 tuổi,
    tuần trước suýt mất tiền …") is named by its last words, where the ask is, not quoted whole."""
    words = part.split()
    if len(words) <= QUOTED_WORDS:
        return part
    last = re.split(r"(?<=[.!…])\s+", part)[-1]  # the sentence that asks, after the story
    return "… " + (last if len(last.split()) <= QUOTED_WORDS else " ".join(words[-QUOTED_WORDS + 2 :]))


def _shorten(text: str, limit: int) -> str:
    """A part of a combined answer cut to `limit` characters at a word, its source line kept."""
    body, sep, source = text.partition("\n\nNguồn:")
    if len(body) <= limit:
        return text
    return body[:limit].rsplit(" ", 1)[0] + " …" + sep + source


def _chunks_by_path(index: KnowledgeIndex) -> dict[str, list[int]]:
    by_path: dict[str, list[int]] = {}
    for i, c in enumerate(index.chunks):
        by_path.setdefault(c.path, []).append(i)
    return by_path


def _words_spelled_out(text: str) -> set[str]:
    """The folded words of a text with its abbreviations' full forms too: "MTTQVN" holds "Mặt trận Tổ quốc"."""
    return folded_words(text) | folded_words(spelled_out(text))


def _folded_pairs_list(text: str) -> list[tuple[str, str]]:
    """Each two words that stand together in the text, folded, in order."""
    words = [fold(w) for w in re.findall(r"\w+", nfc(text).lower())]
    return list(dict.fromkeys(zip(words, words[1:], strict=False)))


def _folded_pairs(text: str) -> set[tuple[str, str]]:
    return set(_folded_pairs_list(text))


def content_tokens(query: Query) -> list[str]:
    """The question's content words, folded. Stop words are judged on the accented text (for a question typed
    without diacritics, on its restored form)."""
    words = re.findall(r"\w+", nfc(query.dense_texts[0]).lower())
    return list(dict.fromkeys(fold(w) for w in words if w not in STOPWORDS))
