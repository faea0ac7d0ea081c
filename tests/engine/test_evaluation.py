"""The evaluation's bookkeeping: right, refused and answered-but-wrong are told apart (no model needed)."""

import json

import pytest

from bot.engine.evaluation import load_questions, run_eval, tone_accuracy

ITEMS = [
    {"scope": "in", "topic": "VNEID", "q": "VNeID mức 2 làm ở đâu", "must": [["cong an"]]},
    {"scope": "in", "topic": "VNEID", "q": "kích hoạt VNeID", "must": [["kich hoat"]]},
    {"scope": "in", "topic": "PAY", "q": "trả tiền điện", "must": [["ma khach hang"]]},
    {"scope": "unanswerable", "topic": "TOCNS", "q": "số điện thoại tổ trưởng thôn", "must": []},
    {"scope": "unanswerable", "topic": "PLAN", "q": "xã chi bao nhiêu tiền", "must": []},
    {"scope": "out", "q": "thời tiết mai thế nào"},
]

# What a fake bot says: right, refused, answered-but-wrong, wrongly answered, rightly refused, refused.
REPLIES = {
    "VNeID mức 2 làm ở đâu": (True, "Dạ, anh/chị đến Công an xã."),
    "kích hoạt VNeID": (False, "Dạ, em chưa tìm thấy…"),
    "trả tiền điện": (True, "Nghị quyết 57 gồm 5 quan điểm…"),
    "số điện thoại tổ trưởng thôn": (True, "Tổ công nghệ số cộng đồng gồm…"),
    "xã chi bao nhiêu tiền": (False, "Dạ, em chưa tìm thấy…"),
    "thời tiết mai thế nào": (False, "Dạ, câu hỏi này nằm ngoài phạm vi…"),
}


def test_answered_but_wrong_is_counted_apart_from_refusals():
    (typed,) = run_eval(ITEMS, lambda q: REPLIES[q], folded=False)
    assert (typed.in_ok, typed.in_refused, typed.in_wrong, typed.in_total) == (1, 1, 1, 3)
    assert (typed.unans_ok, typed.unans_total) == (1, 2)
    assert (typed.out_ok, typed.out_total) == (1, 1)
    # one wrong in-scope answer + one answered unanswerable, over the 5 questions in the bot's topics
    assert typed.wrong == 2
    assert typed.wrong_rate == pytest.approx(2 / 5)
    assert "answered but wrong in all: 2/5" in "\n".join(typed.lines())
    assert {t for t, *_ in typed.misses} == {"VNEID", "PAY", "UNANSWERABLE"}


def test_too_long_answer_is_wrong_not_refused():
    item = {"scope": "in", "topic": "DVC", "q": "nộp hồ sơ", "must": [["ho so"]]}
    (typed,) = run_eval([item], lambda q: (True, "hồ sơ " * 400), folded=False)
    assert (typed.in_ok, typed.in_wrong, typed.in_refused) == (0, 1, 0)


def test_question_files_are_checked(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"scope": "maybe", "q": "x"}) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="bad.jsonl:1"):
        load_questions(bad)
    no_must = tmp_path / "no_must.jsonl"
    no_must.write_text(json.dumps({"scope": "in", "q": "x"}) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="needs 'must'"):
        load_questions(no_must)


def test_every_shipped_question_file_loads():
    from pathlib import Path

    files = sorted(Path("eval").rglob("*.jsonl"))
    assert files
    for path in files:
        if path.parent.name == "groups":
            continue  # grouping pairs, another format (bot/groups_eval.py)
        assert load_questions(path), path


def test_tone_accuracy_compares_the_restored_marks_with_the_typed_ones():
    items = [{"q": "Có mấy bước?"}, {"q": "xa minh co may to"}, {"q": "Đăng ký VNeID ở đâu"}]
    guesses = {"co may buoc?": "có máy bước?", "dang ky vneid o dau": "đăng ký vneid ở đâu"}
    acc = tone_accuracy(items, lambda q: guesses[q])
    assert (acc.questions, acc.syllables, acc.right, acc.questions_right) == (2, 8, 7, 1)  # unaccented: skipped
    assert dict(acc.misses) == {("mấy", "máy"): 1}
    assert "7/8 (87.5%)" in acc.line("set") and "1/2" in acc.line("set")
