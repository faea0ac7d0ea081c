"""`trolyso lint --eval`: content staff see that an edit broke an answer before it is served (a real process over a
small knowledge folder and a tiny question file; the served index is never touched)."""

from __future__ import annotations

import json
import os

import pytest

from tests.conftest import write
from tests.test_cli import EXPLAINER, GUIDE, trolyso

QUESTIONS = [
    {
        "scope": "in",
        "topic": "NQ57",
        "q": "Nghị quyết 57 đặt mục tiêu kinh tế số bao nhiêu phần trăm GDP?",
        "must": [["30%"]],
    },
    {"scope": "in", "topic": "VNEID", "q": "lam sao kich hoat tk vneid", "must": [["Tải ứng dụng VNeID"]]},
    {"scope": "out", "q": "Hôm nay giá vàng bao nhiêu?"},
]


@pytest.fixture
def env(tmp_path, settings):
    write(tmp_path / "knowledge" / "guides" / "vneid-kich-hoat.md", GUIDE)
    write(tmp_path / "knowledge" / "explainers" / "nq57.md", EXPLAINER)
    write(tmp_path / "questions.jsonl", "".join(json.dumps(q, ensure_ascii=False) + "\n" for q in QUESTIONS))
    e = dict(
        os.environ,
        TROLYSO_DATA_DIR=str(tmp_path / "var"),
        TROLYSO_KNOWLEDGE_DIR=str(tmp_path / "knowledge"),
        TROLYSO_MODEL_DIR=str(settings.model_dir),
    )
    e.pop("TROLYSO_DATABASE_URL", None)
    return tmp_path, e


@pytest.mark.model
def test_lint_eval_names_the_answer_an_edit_broke_and_exits_1(env):
    root, _ = env
    trolyso(env, "index", "--quiet")
    same = trolyso(env, "lint", "--eval", "--questions", "questions.jsonl")
    assert "nothing to compare" in same.stdout
    served = sorted(p.name for p in (root / "var" / "index").iterdir())

    explainer = root / "knowledge" / "explainers" / "nq57.md"
    explainer.write_text(EXPLAINER.replace("30%", "20%"), encoding="utf-8")  # broken on purpose
    proc = trolyso(env, "lint", "--eval", "--questions", "questions.jsonl", check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout
    assert "changed files: explainers/nq57.md" in out
    assert "as typed: right 2/3 now, 3/3 before; answered but wrong 1/2 now, 0/2 before" in out
    assert "no diacritics: right 2/3 now, 3/3 before" in out
    assert "WORSE [as typed] Nghị quyết 57 đặt mục tiêu kinh tế số bao nhiêu phần trăm GDP?" in out
    assert (
        "before from explainers/nq57.md, now from explainers/nq57.md; changed files involved: explainers/nq57.md" in out
    )
    assert sorted(p.name for p in (root / "var" / "index").iterdir()) == served  # the served index is untouched

    # an edit that breaks nothing passes
    explainer.write_text(EXPLAINER + "\n## Tầm nhìn 2045\n\nKinh tế số đạt ít nhất 50% GDP.\n", encoding="utf-8")
    ok = trolyso(env, "lint", "--eval", "--questions", "questions.jsonl", check=False)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "0 right before and wrong now" in ok.stdout
