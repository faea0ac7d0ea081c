"""Every tuning weight and threshold of the answer engine, in one object. `trolyso eval --ablation` switches
parts off by changing one field at a time; the README's "Measured performance" says what each is worth."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tuning:
    # query analysis (bot/engine/retrieval.py QueryAnalyzer)
    expand: bool = True  # spell out abbreviations and teencode
    tones: str = "blend"  # unaccented questions: "restore", "raw" or "blend" (mean of both vectors)
    corpus_tones: bool = True  # restore tones from the knowledge's own n-grams before pyvi's guess
    spelling: bool = True  # mend typing slips ("kích hạot", "ngân hnag") from the knowledge's own words
    # hybrid retrieval: reciprocal-rank fusion weights and adjustments
    dense_weight: float = 1.0
    heading_weight: float = 0.5  # dense search over titles + headings
    bm25_weight: float = 1.0
    locality_boost: float = 1 / 60  # a question naming a place prefers that place's documents
    plan_penalty: float = 0.5 / 60  # a general question prefers explainers over local plans
    # rerank of the fused candidates (bot/engine/answer.py)
    rerank_depth: int = 10
    rerank_weight: float = 0.5  # best sentence's idf-weighted share of the question's words
    question_weight: float = 0.15  # the heading asks the same kind of question (ở đâu, bao nhiêu…)
    heading_rerank: float = 0.1  # the heading holds the question's words beyond its document's title: the section
    # about the part asked ("Lễ phát động ngày 26/3/2025"), not the overview that mentions it
    # confidence gate
    min_dense: float = 0.80  # cosine of the best section with the question
    min_coverage: float = 0.30  # idf-weighted share of the question's content words found in one sentence
    story_weight: float = 10.0  # ... or, for a long story, this much idf weight of its words found in one sentence
    verifier_threshold: float = 0.4  # refuse an answer the verifier (bot/engine/verifier.py) gives less than this
    # chance of being right; 0 = keep every answer
    oos_margin: float = 0.0  # refuse when an out-of-scope description is this much closer than the knowledge
    oos_override_coverage: float = 0.60  # ... unless the section holds this much of the question's words (0.7 refused
    # in-scope questions such as "bị lừa mất tiền rồi thì báo cho ai"; 0.5 let more specifics through)
    subject_terms: bool = True  # a question naming one of the bot's own subjects (VNeID, tiền điện, lừa đảo, …;
    # bot/engine/scope.py IN_SCOPE_TERMS) is never refused as out of scope; the other checks still apply
    answer_type_check: bool = True  # refuse when the answer lacks what was asked (a date, a number, a phone…)
    alt_section_coverage: float = 0.85  # ... unless a section of the same document holding it covers this share of
    # the best section's coverage
    alt_document_coverage: float = 0.6  # ... or a section of another document among the top four that holds it and
    # covers at least this share of the question's words, and more than the best section (0 = same document only)
    purpose_section: bool = True  # "kế hoạch … để làm gì": that plan's "Mục đích" section is a candidate
    named_document_check: bool = True  # asked about "nghị quyết 18", an answer that never says 18 is refused
    local_figure_check: bool = True  # a figure, date or name asked about a named province or commune is not
    # answered from national sections that never name it
    now_not_target: bool = True  # "hiện giờ … đứng thứ mấy rồi" is not answered by a target for 2030
    placeless_scope: bool = True  # judge scope again with the places named cut out ("mai Mường Mùn có mưa không")
    next_step: bool = True  # "… rồi, giờ làm gì tiếp": the guide's step after the one described
    kind_sentence: bool = True  # when the best sentences lack what was asked, the best section's sentence that
    # holds it answers, before any other section is tried
    kind_near_coverage: float = 0.5  # a date, number, sum… answers only in a sentence holding this share of the
    # question's content words (title and heading count): not a date beside another subject; 0 = anywhere
    menu_step: bool = True  # "vào mục nào": the step of the same guide that quotes the screen's items answers
    deferral_check: bool = True  # a date, figure or sum whose closest sentence says "xin kiểm tra trên văn bản chính
    # thức" is not held: the team answers it
    year_check: bool = True  # a question about a year ("đến 2045") is not answered by another year's section
    unheld_plan_check: bool = True  # a plan the knowledge only cites ("Kế hoạch 3267 của tỉnh Điện Biên"), asked for
    # its targets or tasks, goes to the team rather than to the commune plan that cites it
    plan_identity: bool = True  # "kế hoạch của xã mình số mấy, ký ngày nào, ai ký" is answered by that plan's
    # number-and-date section (from its front matter), or goes to the team when the plan has none
    occasion_check: bool = True  # when, where, who or how many about a particular occasion ("tuần sau", "năm nay"),
    # the commune's running figures and its own administrative facts (its merger, its offices' addresses) are not in
    # the knowledge: the team answers them
    whole_section_chars: int = 900  # a section up to this long whose heading names what was asked ("Trung tâm
    # Dịch vụ tổng hợp làm gì") is quoted whole, not cut to its best sentences (0 = never)
    near_pairs: float = 1.0  # ... and the subject's words that stand together in the question count again when they
    # stand together there ("an toàn thông tin"); weight of such a pair relative to its two words (0 = words only)
    title_context: bool = True  # when cutting a section to its best sentences, the document title's words count as
    # said in every sentence: "xã Mường Mùn" picks the plan, "tỉnh Điện Biên" the sentence
