"""Evaluation on a content change (bot/engine/regression.py): the comparison with fake engines (no model), the
report file, the background runner, and the knowledge watcher running it after a real change (model)."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

from bot.engine.eval_report import latest_path, read_report, write_report
from bot.engine.regression import RegressionRunner, changed_files, compare
from bot.text import fold
from tests.conftest import write

ITEMS = [
    {"scope": "in", "topic": "NQ57", "q": "Kinh tế số đạt bao nhiêu phần trăm GDP?", "must": [["30%"]]},
    {"scope": "in", "topic": "VNEID", "q": "Kích hoạt VNeID ở đâu?", "must": [["công an"]]},
    {"scope": "out", "q": "Giá vàng hôm nay?"},
]


class FakeEngine:
    """Answers from a table keyed by the question's first word (the same as typed and without diacritics)."""

    def __init__(self, table: dict[str, tuple[str, str]]):
        self.table = table  # first word -> (text, source path); missing = refused
        self.asked: list[str] = []

    def ask(self, q: str):
        self.asked.append(q)
        hit = self.table.get(fold(q.split()[0].lower()))
        if hit is None:
            return SimpleNamespace(answered=False, text="Dạ, em chưa có thông tin này.", sources=[])
        text, path = hit
        return SimpleNamespace(answered=True, text=text, sources=[{"title": "t", "path": path, "section": "s"}])


OLD = FakeEngine(
    {"kinh": ("Kinh tế số đạt 30% GDP.", "explainers/nq57.md"), "kich": ("Dạ, ở công an xã.", "guides/v.md")}
)
NEW = FakeEngine(
    {"kinh": ("Kinh tế số đạt 20% GDP.", "explainers/nq57.md"), "kich": ("Dạ, ở công an xã.", "guides/v.md")}
)


def test_a_question_right_before_and_wrong_after_is_listed_with_its_files():
    result = compare(OLD, NEW, ITEMS, ["explainers/nq57.md", "faq/moi.md"])
    assert [(r.variant, r.q) for r in result.regressions] == [
        ("as typed", "Kinh tế số đạt bao nhiêu phần trăm GDP?"),
        ("no diacritics", "kinh te so dat bao nhieu phan tram gdp?"),
    ]
    worse = result.regressions[0]
    assert worse.old_source == worse.new_source == "explainers/nq57.md"
    assert worse.files == ["explainers/nq57.md"]  # the changed file the answer came from, not every changed file
    assert worse.answered and "20%" in worse.text and worse.topic == "NQ57"
    assert result.improvements == 0
    typed = result.to_json()["variants"][0]
    assert typed["label"] == "as typed"
    assert typed["before"] == {"right": 3, "total": 3, "in_right": 2, "in_total": 2, "wrong": 0, "wrong_of": 2}
    assert typed["after"] == {"right": 2, "total": 3, "in_right": 1, "in_total": 2, "wrong": 1, "wrong_of": 2}
    lines = "\n".join(result.lines())
    assert "right 2/3 now, 3/3 before" in lines and "WORSE [as typed] Kinh tế số" in lines


def test_an_answer_lost_to_a_new_file_names_it_and_improvements_are_counted():
    new = FakeEngine({"kinh": ("Kinh tế số đạt 30% GDP.", "explainers/nq57.md"), "kich": ("Mở app.", "faq/moi.md")})
    result = compare(OLD, new, ITEMS, ["faq/moi.md"])
    assert {(r.old_source, r.new_source, tuple(r.files)) for r in result.regressions} == {
        ("guides/v.md", "faq/moi.md", ("faq/moi.md",))
    }
    back = compare(new, OLD, ITEMS, ["faq/moi.md"])
    assert not back.regressions and back.improvements == 2
    # nothing involved by its source: every changed file is named
    refused = compare(OLD, FakeEngine({"kinh": ("Kinh tế số đạt 30% GDP.", "explainers/nq57.md")}), ITEMS, ["a.md"])
    assert [(r.answered, r.new_source, r.files) for r in refused.regressions][0] == (False, "", ["a.md"])


def test_changed_files_compares_the_manifests_hashes():
    old = {"files": {"a.md": {"sha256": "1"}, "b.md": {"sha256": "2"}, "gone.md": {"sha256": "3"}}}
    new = {"files": {"a.md": {"sha256": "1"}, "b.md": {"sha256": "9"}, "new.md": {"sha256": "4"}}}
    assert changed_files(old, new) == ["b.md", "gone.md", "new.md"]
    assert changed_files(old, old) == []


def test_the_report_is_written_atomically_and_read_back(tmp_path):
    path = latest_path(tmp_path)
    assert read_report(path) is None
    result = compare(OLD, NEW, ITEMS, ["explainers/nq57.md"])
    write_report(path, result.to_json())
    report = read_report(path)
    assert report is not None and report["changed_files"] == ["explainers/nq57.md"]
    assert report["regressions"][0]["files"] == ["explainers/nq57.md"] and report["when"]
    assert [p.name for p in path.parent.iterdir()] == ["latest.json"]  # no temporary file left behind
    path.write_text("{half", encoding="utf-8")
    assert read_report(path) is None


def test_the_runner_works_in_the_background_and_a_newer_change_replaces_a_queued_run(tmp_path):
    gate = threading.Event()
    engines = {"v1": OLD, "v2": NEW, "v3": NEW}
    built: list[str] = []

    def make_engine(index):
        built.append(index.name)
        if index.name == "v2" and len(built) == 2:
            gate.wait(10)  # the first run is busy while two more changes arrive
        return engines[index.name]

    def index(name: str, sha: str):
        return SimpleNamespace(name=name, manifest={"files": {"explainers/nq57.md": {"sha256": sha}}})

    v1, v2, v3 = index("v1", "a"), index("v2", "b"), index("v3", "c")
    runner = RegressionRunner(make_engine, lambda: ITEMS, latest_path(tmp_path))
    t0 = time.monotonic()
    runner.submit(v1, v2)
    assert time.monotonic() - t0 < 1  # never on the caller's path
    time.sleep(0.2)
    runner.submit(v2, v3)
    runner.submit(v3, v3)  # supersedes the queued run, keeping its "before"
    gate.set()
    assert runner.wait(2, timeout=10)
    time.sleep(0.2)
    assert runner.runs == 2 and built == ["v1", "v2", "v2", "v3"]
    report = read_report(latest_path(tmp_path))
    assert report is not None and report["changed_files"] == ["explainers/nq57.md"]


GUIDE = """---
title: Kích hoạt tài khoản VNeID
kind: guide
topics: [VNEID]
issuer: Trợ lý số xã (tổng hợp)
issued: 2024
---
## Kích hoạt VNeID mức 2 ở đâu

Anh/chị mang căn cước công dân đến công an xã để kích hoạt tài khoản định danh điện tử mức 2.
"""

EXPLAINER = """---
title: Nghị quyết 57-NQ/TW
kind: explainer
topics: [NQ57]
issuer: Trợ lý số xã (tổng hợp)
issued: 2024-12-22
---
## Mục tiêu về kinh tế số

Nghị quyết 57-NQ/TW đặt mục tiêu kinh tế số đạt ít nhất 30% GDP vào năm 2030.
"""

SMALL_SET = [
    {
        "scope": "in",
        "topic": "NQ57",
        "q": "Nghị quyết 57 đặt mục tiêu kinh tế số bao nhiêu phần trăm GDP?",
        "must": [["30%"]],
    },
    {"scope": "out", "q": "Hôm nay giá vàng bao nhiêu?"},
]


def test_the_watcher_writes_the_comparison_after_a_change(tmp_path, embedder):
    from bot.engine.answer import AnswerEngine
    from bot.engine.index import KnowledgeIndex
    from bot.engine.tuning import Tuning
    from bot.engine.watcher import KnowledgeWatcher

    knowledge = tmp_path / "knowledge"
    write(knowledge / "guides" / "vneid.md", GUIDE)
    explainer = write(knowledge / "explainers" / "nq57.md", EXPLAINER)
    index_dir = tmp_path / "data" / "index"
    KnowledgeIndex.update(knowledge, embedder)[0].save(index_dir)
    # a two-file knowledge folder is not what the verifier was fitted on (its BM25 scores and idf are another scale):
    # the comparison is tested without it
    tuning = Tuning(verifier_threshold=0.0)
    engine = AnswerEngine(KnowledgeIndex.load(index_dir), embedder, tuning)
    assert engine.ask(SMALL_SET[0]["q"]).answered
    out = latest_path(tmp_path / "data")
    runner = RegressionRunner(lambda idx: AnswerEngine(idx, embedder, tuning), lambda: SMALL_SET, out)
    watcher = KnowledgeWatcher(knowledge, index_dir, embedder, engine.use_index, on_change=runner.submit)
    watcher.serving = engine.index.manifest["built_at"]
    watcher.start()
    try:
        time.sleep(0.5)
        explainer.write_text(EXPLAINER.replace("30%", "20%"), encoding="utf-8")
        assert runner.wait(1, timeout=60), "no comparison after the change"
    finally:
        watcher.stop()
    report = read_report(out)
    assert report is not None and report["changed_files"] == ["explainers/nq57.md"]
    assert [(r["q"], r["old_source"], r["files"]) for r in report["regressions"]][:1] == [
        (SMALL_SET[0]["q"], "explainers/nq57.md", ["explainers/nq57.md"])
    ]
    typed = report["variants"][0]
    assert typed["before"]["in_right"] == 1 and typed["after"]["in_right"] == 0
