"""The verifier: its features, its stored model, its export from scikit-learn and its place in the engine."""

from __future__ import annotations

import json
import random
from dataclasses import replace

import pytest

from bot.engine.answer import AnswerEngine
from bot.engine.verifier import ANSWER_CHARS_CAP, FEATURES, MODEL_PATH, Decision, Verifier, features, fit
from bot.status import Reason


def decision(**fields) -> Decision:
    base = {
        "question": "Kế hoạch ban hành ngày nào được không",
        "subject": ["ke", "hoach", "ban", "hanh"],
        "answer": "Kế hoạch được ban hành ngày 5/5/2025.",
        "titles": "Kế hoạch của xã",
        "top_heading": "Kế hoạch của xã Căn cứ",
        "top_kind": "plan",
        "dense": [0.9, 0.85, 0.8],
        "top_fused": 0.03,
        "bm25": [10.0, 12.0, 3.0],
        "coverage": 0.8,
        "oos": 0.82,
        "had_diacritics": True,
        "asked_kinds": 1,
        "asks": 1,
        "asks_home": False,
    }
    return Decision(**{**base, **fields})


def named(values: list[float]) -> dict[str, float]:
    return dict(zip(FEATURES, values, strict=True))


def test_features_say_how_much_of_the_subject_the_answer_holds():
    idf = {"ke": 1.0, "hoach": 1.0, "ban": 2.0, "hanh": 2.0, "ngan": 4.0}
    f = named(features(decision(), idf.get, idf.__contains__))
    assert f["subject_covered"] == 1.0 and f["missing_words"] == 0 and f["rarest_missing_idf"] == 0
    f = named(features(decision(subject=["ke", "hoach", "ngan"]), idf.get, idf.__contains__))
    assert f["missing_words"] == 1 and f["rarest_missing_idf"] == 4.0 and f["subject_covered"] == pytest.approx(2 / 6)
    # dense puts the first candidate first, BM25 the second: the two do not agree
    assert f["ranks_agree"] == 0.0 and f["dense_lead"] == pytest.approx(0.05)
    assert f["yes_no"] == 1.0 and f["from_plan"] == 1.0 and f["from_guide"] == 0.0


def test_a_word_the_knowledge_never_uses_counts_as_unknown():
    idf = {"ke": 1.0, "hoach": 1.0}
    f = named(features(decision(subject=["ke", "hoach", "zzz"]), lambda t: idf.get(t, 2.0), idf.__contains__))
    assert f["unknown_share"] == pytest.approx(0.5)


def test_answer_length_counts_only_up_to_the_judged_limit():
    f = named(features(decision(answer="x" * 4000), lambda t: 1.0, lambda t: True))
    assert f["answer_chars"] == ANSWER_CHARS_CAP


def test_the_exported_trees_give_scikit_learns_probabilities():
    from sklearn.ensemble import GradientBoostingClassifier

    from bot.engine.verifier import FIT_PARAMS

    rng = random.Random(7)
    rows = []
    for _ in range(400):
        x = [rng.random() for _ in FEATURES]
        rows.append((x, x[0] + 0.5 * x[6] - 0.3 * x[1] + 0.2 * rng.random() > 0.6))
    model = fit(rows)
    reference = GradientBoostingClassifier(**FIT_PARAMS).fit([x for x, _ in rows], [int(y) for _, y in rows])
    probe = [[rng.random() for _ in FEATURES] for _ in range(50)]
    expected = reference.predict_proba(probe)[:, 1]
    assert [model.probability(x) for x in probe] == pytest.approx(list(expected), abs=1e-6)
    # and the JSON it is stored as loads to the same model
    assert Verifier(**{**model.to_json(), "features": tuple(FEATURES), "trees": model.trees}).probability(probe[0]) == (
        pytest.approx(expected[0], abs=1e-6)
    )


def test_the_stored_model_loads_and_was_fitted_on_these_features(tmp_path):
    model = Verifier.load()
    assert model is not None and model.features == FEATURES and len(model.trees) > 0
    assert "blind7" in model.fitted_on
    stored = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    path = tmp_path / "verifier.json"
    path.write_text(json.dumps({**stored, "features": ["something_else"]}), encoding="utf-8")
    with pytest.raises(ValueError, match="verifier.json: fitted on other features"):
        Verifier.load(path)
    assert Verifier.load(tmp_path / "none.json") is None  # no model: every answer is kept


@pytest.fixture
def doubting_engine(engine):
    """The engine with a verifier that doubts every answer (its prior alone: 1% right)."""
    e = AnswerEngine(engine.index, engine.embedder, replace(engine.tuning, verifier_threshold=0.4), home=engine.home)
    e.verifier = Verifier(FEATURES, prior=-4.6, rate=0.1, trees=())
    return e


def test_a_doubtful_answer_goes_to_the_team(engine, doubting_engine):
    question = "Nghị quyết 57 là gì"
    assert engine.ask(question).answered
    a = doubting_engine.ask(question)
    assert not a.answered and a.reason is Reason.NO_MATCH and "Tổ công nghệ số" in a.text
    assert a.retrieval is not None  # the team's grouping still sees what retrieval found


def test_a_scam_warning_is_never_doubted(doubting_engine):
    a = doubting_engine.ask("có người gọi tự xưng công an bắt em đọc mã OTP, em có nên đọc không")
    assert a.answered and a.reason is Reason.SCAM_ALERT


def test_switched_off_the_verifier_keeps_every_answer(engine):
    e = AnswerEngine(engine.index, engine.embedder, replace(engine.tuning, verifier_threshold=0.0), home=engine.home)
    assert e.verifier is None


def test_the_fit_command_reports_each_set_held_out_and_stores_the_model(engine, tmp_path, monkeypatch):
    import bot.engine.verifier as verifier
    from bot.cli import _fit_verifier

    lines = {
        "a.jsonl": [
            {"scope": "in", "q": "Nghị quyết 57 là gì", "must": [["57"]]},
            {"scope": "in", "q": "Nghị quyết 57 ban hành ngày nào", "must": [["22/12/2024"]]},
            {"scope": "unanswerable", "q": "số điện thoại của chủ tịch xã Mường Mùn là gì"},
            # judged wrong whatever is answered: the fit needs wrong answers too
            {"scope": "in", "q": "Bình dân học vụ số là gì", "must": [["khong co cum nay"]]},
            {"scope": "in", "q": "thanh toán tiền điện qua app ngân hàng thế nào", "must": [["khong co cum nay"]]},
        ],
        "b.jsonl": [
            {"scope": "in", "q": "VNeID mức 2 đăng ký ở đâu", "must": [["cong an"]]},
            {"scope": "in", "q": "kích hoạt VNeID thế nào", "must": [["vneid"]]},
            {"scope": "in", "q": "VietQR là gì", "must": [["khong co cum nay"]]},
            {"scope": "unanswerable", "q": "Nghị quyết 57 có mấy trang giấy"},
            {"scope": "out", "q": "mai trời có mưa không"},
        ],
    }
    paths = []
    for name, items in lines.items():
        path = tmp_path / name
        path.write_text("\n".join(json.dumps(i, ensure_ascii=False) for i in items) + "\n", encoding="utf-8")
        paths.append(path)
    out = tmp_path / "verifier.json"
    monkeypatch.setattr(verifier, "MODEL_PATH", out)
    echoed: list[str] = []
    monkeypatch.setattr("click.echo", lambda line="": echoed.append(str(line)))
    _fit_verifier(engine, paths)
    assert any("a.jsonl: right answers refused" in line for line in echoed), echoed
    assert any(line.startswith("  all: right answers refused") for line in echoed), echoed
    model = Verifier.load(out)
    assert model is not None and "a, b" in model.fitted_on


def test_the_fit_needs_right_and_wrong_answers():
    with pytest.raises(ValueError, match="both right and wrong"):
        fit([([0.0] * len(FEATURES), True)] * 5)


def test_an_engine_with_a_stale_model_answers_unverified_and_says_so(engine, tmp_path, monkeypatch, caplog):
    """A model fitted on other features does not stop the engine (nor `trolyso eval --fit-verifier`, which needs an
    engine to fit a new one): it is logged as an error and answers go out unverified."""
    import bot.engine.verifier as verifier

    stale = tmp_path / "verifier.json"
    stale.write_text(json.dumps({**json.loads(MODEL_PATH.read_text(encoding="utf-8")), "features": ["x"]}))
    monkeypatch.setattr(verifier, "MODEL_PATH", stale)
    with caplog.at_level("ERROR"):
        e = AnswerEngine(engine.index, engine.embedder, engine.tuning, home=engine.home)
    assert e.verifier is None and "--fit-verifier" in caplog.text
    assert e.ask("Nghị quyết 57 là gì").answered


def test_a_set_held_out_is_counted_or_says_why_not():
    from bot.engine.verifier import held_out

    rng = random.Random(3)

    def rows(n: int, wrong_share: float):
        out = []
        for _ in range(n):
            ok = rng.random() > wrong_share
            out.append(([float(ok) + 0.3 * rng.random() for _ in FEATURES], ok))
        return out

    mixed = {"a": rows(60, 0.3), "b": rows(60, 0.3), "c": rows(60, 0.3)}
    report = held_out(mixed, 0.5)
    assert [h.name for h in report] == ["a", "b", "c"] and not any(h.error for h in report)
    # the features give the verdict away: a model fitted on the other two refuses the wrong answers, keeps the right
    assert all(h.wrong_refused == h.wrong and h.right_refused == 0 for h in report)
    lopsided = held_out({"only right": [([1.0] * len(FEATURES), True)] * 5, "mixed": rows(20, 0.5)}, 0.5)
    assert "both right and wrong" in next(h for h in lopsided if h.name == "mixed").error
