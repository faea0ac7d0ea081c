"""The last check before an answer goes out: how likely is it to hold what was asked?

Every rule before it (scope, the confidence gate, the answer-type check) looks at one thing. The verifier looks
at the measured shape of the whole decision at once — how much of the question's subject the answer says, whether
the question's rarest words are missing from it, how close the best section is and how far ahead of the next,
whether the question uses words the knowledge never does, how long it is, how many things it asks — and gives
the probability that the answer is right. Below `Tuning.verifier_threshold` the question goes to the team
instead: a polite refusal recorded for them is better than a confident wrong answer.

The model is a small gradient-boosted ensemble of depth-2 trees, fitted by `trolyso eval --fit-verifier` on the
project's question sets (right and answered-but-wrong answers, judged by their `must` phrases) and stored as JSON
beside this module (`verifier.json`), so serving needs neither scikit-learn nor pickles. The fit command also
reports what it is worth on sets it did not see (each set held out in turn).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.engine.evaluation import MAX_CHARS
from bot.text import fold, folded_words

MODEL_PATH = Path(__file__).with_name("verifier.json")

# The features, in the model's order. Each is a number the engine has at hand when it has composed an answer.
FEATURES = (
    "subject_covered",  # idf-weighted share of the question's subject words the answer (with its titles) says
    "missing_words",  # how many subject words the answer does not say
    "rarest_missing_idf",  # the idf of the rarest subject word it does not say (0: none missing)
    "subject_words",  # how many subject words the question has
    "subject_weight",  # their idf weight in all
    "unknown_share",  # idf-weighted share of subject words the knowledge never uses
    "best_dense",  # the best cosine of a candidate section with the question
    "top_dense",  # the answering section's cosine
    "dense_lead",  # how far the answering section is ahead of the next one (cosine)
    "top_fused",  # the answering section's fused rank score
    "top_bm25",  # its BM25 score
    "ranks_agree",  # dense and BM25 both put it first
    "sentence_coverage",  # the share of the question's words found in one sentence of it (the gate's coverage)
    "heading_coverage",  # the share of the subject its title and headings hold
    "out_of_scope_closeness",  # cosine with the nearest out-of-scope description
    "typed_with_diacritics",
    "asked_kinds",  # how many kinds of thing are asked (a date, a place…)
    "asks",  # how many asks the message holds
    "question_words",
    "answer_chars",
    "partly_known",  # the answer says which part it does not know
    "yes_no",  # "… được không", "có phải … không"
    "asks_home",  # "xã mình"
    "from_plan",
    "from_guide",
    "from_explainer",
)

# Past the judged limit an answer is too long whatever it says: such answers are left out of the fit, and the length
# counts only up to it, so the verifier learns what answers say, not that.
ANSWER_CHARS_CAP = MAX_CHARS

_YES_NO = re.compile(
    r"\b(khong|ko|k|hok|chua)\s*(a|vay|z|nhi|nhe|ad|ha)?\s*\??$|\bduoc khong\b|\bdc ko\b|\bphai khong\b"
)


@dataclass(frozen=True)
class Decision:
    """What the engine knows about one composed answer, from which the features are computed."""

    question: str  # as asked (NFC)
    subject: list[str]  # the question's content words without its question words (folded)
    answer: str  # the answer's body, without its source line
    titles: str  # the answering sections' titles and headings
    top_heading: str  # the answering section's title and heading path
    top_kind: str  # plan, guide, explainer, faq
    dense: list[float]  # the cosines of the candidates, in ranked order
    top_fused: float
    bm25: list[float]  # the candidates' BM25 scores, in ranked order
    coverage: float
    oos: float
    had_diacritics: bool
    asked_kinds: int
    asks: int
    asks_home: bool


def features(d: Decision, idf: Callable[[str], float], known: Callable[[str], bool]) -> list[float]:
    """The FEATURES of one decision, in order. `idf`: a word's idf in the index; `known`: the index uses it."""
    have = folded_words(d.answer) | folded_words(d.titles)
    total = sum(idf(t) for t in d.subject) or 1.0
    missing = [idf(t) for t in d.subject if t not in have]
    heading = folded_words(d.top_heading)
    dense_first = max(range(len(d.dense)), key=d.dense.__getitem__) if d.dense else -1
    bm25_first = max(range(len(d.bm25)), key=d.bm25.__getitem__) if d.bm25 else -1
    values = {
        "subject_covered": (total - sum(missing)) / total if d.subject else 0.0,
        "missing_words": float(len(missing)),
        "rarest_missing_idf": max(missing, default=0.0),
        "subject_words": float(len(d.subject)),
        "subject_weight": total if d.subject else 0.0,
        "unknown_share": sum(idf(t) for t in d.subject if not known(t)) / total,
        "best_dense": max(d.dense, default=0.0),
        "top_dense": d.dense[0] if d.dense else 0.0,
        "dense_lead": (d.dense[0] - d.dense[1]) if len(d.dense) > 1 else (d.dense[0] if d.dense else 0.0),
        "top_fused": d.top_fused,
        "top_bm25": d.bm25[0] if d.bm25 else 0.0,
        "ranks_agree": float(dense_first == bm25_first == 0),
        "sentence_coverage": d.coverage,
        "heading_coverage": sum(idf(t) for t in d.subject if t in heading) / total,
        "out_of_scope_closeness": d.oos,
        "typed_with_diacritics": float(d.had_diacritics),
        "asked_kinds": float(d.asked_kinds),
        "asks": float(d.asks),
        "question_words": float(len(d.question.split())),
        "answer_chars": float(min(len(d.answer), ANSWER_CHARS_CAP)),
        "partly_known": float(d.answer.startswith("Dạ, về") or "em chưa có thông tin chắc chắn" in d.answer),
        "yes_no": float(bool(_YES_NO.search(fold(d.question)))),
        "asks_home": float(d.asks_home),
        "from_plan": float(d.top_kind == "plan"),
        "from_guide": float(d.top_kind == "guide"),
        "from_explainer": float(d.top_kind == "explainer"),
    }
    return [values[name] for name in FEATURES]


@dataclass(frozen=True)
class Verifier:
    """A fitted model: P(right) = sigmoid(prior + rate · Σ trees). Each tree is a list of nodes, a node either
    [feature, threshold, left, right] (left when the value ≤ threshold) or [value] (a leaf)."""

    features: tuple[str, ...]
    prior: float
    rate: float
    trees: tuple[tuple[tuple[float, ...], ...], ...]
    fitted_on: str = ""  # what it was fitted on, for the README and `trolyso doctor`

    @classmethod
    def load(cls, path: Path | None = None) -> Verifier | None:
        """The stored model (MODEL_PATH unless given), or None when there is none (every answer is then kept)."""
        path = path or MODEL_PATH
        if not path.exists():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        if tuple(data["features"]) != FEATURES:
            raise ValueError(f"{path}: fitted on other features than bot/engine/verifier.py FEATURES; fit it again")
        trees = tuple(tuple(tuple(node) for node in tree) for tree in data["trees"])
        return cls(tuple(data["features"]), float(data["prior"]), float(data["rate"]), trees, data.get("fitted_on", ""))

    def probability(self, values: list[float]) -> float:
        raw = self.prior
        for tree in self.trees:
            node = tree[0]
            while len(node) == 4:
                node = tree[int(node[2] if values[int(node[0])] <= node[1] else node[3])]
            raw += self.rate * node[0]
        return 1.0 / (1.0 + math.exp(-raw))

    def save(self, path: Path | None = None) -> Path:
        path = path or MODEL_PATH
        path.write_text(json.dumps(self.to_json(), ensure_ascii=False) + "\n", encoding="utf-8")
        return path

    def to_json(self) -> dict:
        return {
            "features": list(self.features),
            "prior": self.prior,
            "rate": self.rate,
            "fitted_on": self.fitted_on,
            "trees": [[list(node) for node in tree] for tree in self.trees],
        }


# How the ensemble is fitted: small on purpose (a few thousand answers), and the same every time (seeded).
FIT_PARAMS = {"n_estimators": 150, "max_depth": 2, "learning_rate": 0.05, "subsample": 0.8, "random_state": 0}


def fit(rows: Iterable[tuple[list[float], bool]], fitted_on: str = "") -> Verifier:
    """A model fitted on (features, right) pairs. Needs scikit-learn (a development dependency of the fit only)."""
    from sklearn.ensemble import GradientBoostingClassifier

    pairs = list(rows)
    if len({bool(y) for _, y in pairs}) < 2:
        raise ValueError(f"the verifier needs both right and wrong answers to learn from ({len(pairs)} answers given)")
    model = GradientBoostingClassifier(**FIT_PARAMS).fit([x for x, _ in pairs], [int(y) for _, y in pairs])
    prior = float(model.init_.class_prior_[1])
    trees = []
    for (estimator,) in model.estimators_:
        t = estimator.tree_
        nodes: list[tuple[float, ...]] = []
        for i in range(t.node_count):
            if t.children_left[i] == -1:
                nodes.append((float(t.value[i][0][0]),))
            else:
                nodes.append(
                    (float(t.feature[i]), float(t.threshold[i]), float(t.children_left[i]), float(t.children_right[i]))
                )
        trees.append(tuple(nodes))
    return Verifier(
        FEATURES, math.log(prior / (1 - prior)), float(FIT_PARAMS["learning_rate"]), tuple(trees), fitted_on
    )


Rows = list[tuple[list[float], bool]]  # (features, right) of each answer composed from the knowledge


@dataclass(frozen=True)
class HeldOut:
    """What a model fitted on every other set would refuse of one set's answers."""

    name: str
    right: int
    right_refused: int
    wrong: int
    wrong_refused: int
    error: str = ""  # why it could not be measured (the other sets hold only right answers, say)


def held_out(rows: dict[str, Rows], threshold: float) -> list[HeldOut]:
    """Each set held out in turn: fitted on the others, what the threshold refuses of its right and wrong answers."""
    report = []
    for name, own in rows.items():
        if not own:
            continue
        right = sum(ok for _, ok in own)
        try:
            model = fit([row for other, some in rows.items() if other != name for row in some])
        except ValueError as exc:
            report.append(HeldOut(name, right, 0, len(own) - right, 0, str(exc)))
            continue
        refused = [model.probability(x) < threshold for x, _ in own]
        right_refused = sum(r and ok for r, (_, ok) in zip(refused, own, strict=True))
        wrong_refused = sum(r and not ok for r, (_, ok) in zip(refused, own, strict=True))
        report.append(HeldOut(name, right, right_refused, len(own) - right, wrong_refused))
    return report
