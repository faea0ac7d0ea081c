"""Unanswered questions grouped by meaning; FAQ files; the knowledge watcher that makes them answerable."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from bot.engine.index import KnowledgeIndex
from bot.store import Store
from bot.team.faq import FaqError, safe_knowledge_path, slugify, write_faq
from bot.team.groups import Features, QuestionGroups, wordings

ROOT = Path(__file__).resolve().parents[2]
os.environ.setdefault("TROLYSO_ACTIONS_WARM", "0")  # importing actions must not load the shipped services


def features(direction: int, words: dict[str, float], noise: float = 0.0) -> Features:
    v = np.zeros(384, "float32")
    v[direction] = 1.0
    v[(direction + 1) % 384] = noise
    return Features(v, words)


def ask(
    store: Store,
    groups: QuestionGroups,
    text: str,
    f: Features,
    *,
    channel: str = "web",
    conversation: str | None = None,
) -> int:
    qid = store.record_question(
        text, channel=channel, user_id=conversation or text, answered=False, reason="no_match", score=0.0
    )
    return groups.assign(qid, f, conversation_id=conversation)


def test_similar_questions_share_a_group_and_different_ones_do_not(store):
    groups = QuestionGroups(store)
    wifi = {"wifi": 0.8, "ubnd": 0.6}
    a = ask(store, groups, "Mật khẩu wifi ở UBND xã là gì?", features(0, wifi), conversation="web:a")
    b = ask(
        store, groups, "wifi o ubnd pass la gi", features(0, wifi, 0.2), channel="telegram", conversation="telegram:7"
    )
    c = ask(store, groups, "Lịch cắt điện tuần này?", features(5, {"cat": 0.7, "dien": 0.7}))
    assert a == b != c
    listed = groups.groups("open")
    assert [g.size for g in listed] == [2, 1]  # biggest group first
    top = listed[0]
    assert top.label == "Mật khẩu wifi ở UBND xã là gì?" and top.residents == 2
    assert top.channels == {"web": 1, "telegram": 1}
    assert set(top.examples) == {"Mật khẩu wifi ở UBND xã là gì?", "wifi o ubnd pass la gi"}
    assert top.first_asked <= top.last_asked
    assert wordings(top)[0] == top.label
    assert sorted(groups.recipients(a)) == ["telegram:7", "web:a"]


def test_closed_groups_keep_history_and_out_of_scope_ones_still_collect(store):
    groups = QuestionGroups(store)
    f = features(3, {"bong": 1.0})
    g = ask(store, groups, "Giải bóng đá xã khi nào?", f)
    groups.close(g, "out_of_scope", "lan.team")
    assert ask(store, groups, "giai bong da xa", f) == g  # joins quietly, no new work item
    assert groups.count("open") == 0 and groups.group(g).size == 2
    groups.close(g, "open", "lan.team")
    groups.close(g, "answered", "lan.team", faq_path="faq/x.md", answer="Dạ …")
    assert ask(store, groups, "bong da", f) != g  # an answered group is history: a new one opens
    done = groups.groups("answered")
    assert done[0].faq_path == "faq/x.md" and done[0].closed_by == "lan.team"
    with pytest.raises(KeyError):
        groups.close(999, "answered", "x")


def test_mark_notified_sends_once(store):
    groups = QuestionGroups(store)
    g = ask(store, groups, "Hỏi", features(1, {"hoi": 1.0}), conversation="web:z")
    groups.mark_notified(g, ["web:z"])
    assert groups.recipients(g) == [] and groups.group(g).notified == 1


def test_what_the_engine_cannot_answer_is_recorded_and_grouped(ask, store):
    for q in ("Mật khẩu wifi ở trụ sở UBND xã là gì ạ?", "wifi o ubnd xa pass la gi", "pass wifi ubnd xa"):
        assert not ask(q, channel="web", user_id="web:1")[0].answered
    assert not ask("Bao giờ có lịch tiêm phòng dại cho chó mèo?", channel="web", user_id="web:2")[0].answered
    sizes = sorted(g.size for g in QuestionGroups(store).groups("open"))
    assert sizes == [1, 3], sizes


def test_a_grouping_failure_still_refuses_politely_and_the_backlog_groups_it_later(ask, recorder, store, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(recorder.groups, "assign", broken)
    answer, question_id = ask("Bao giờ có lịch tiêm phòng dại cho chó mèo?", channel="web", user_id="web:2")
    assert not answer.answered and question_id is not None and answer.text
    monkeypatch.undo()
    ungrouped = QuestionGroups(store).ungrouped()
    assert [qid for qid, _ in ungrouped] == [question_id]  # what the action server groups at its start


def test_faq_files_are_valid_knowledge_and_never_overwrite(tmp_path):
    kw = dict(
        title="Mật khẩu Wi-Fi ở trụ sở UBND xã là gì?",
        questions=["wifi o ubnd xa pass la gi"],
        answer="Dạ, Wi-Fi cho người dân ở trụ sở UBND xã tên UBND-KHACH, mật khẩu dán ở bàn một cửa.",
        source="Văn phòng UBND xã",
        author="lan.team",
    )
    first = write_faq(tmp_path, **kw)
    second = write_faq(tmp_path, **kw)
    assert first == "faq/mat-khau-wi-fi-o-tru-so-ubnd-xa-la-gi.md" and second.endswith("-2.md")
    from bot.engine.knowledge import load_file

    chunks, errors = load_file(tmp_path / first, tmp_path)
    assert not errors and chunks[0].kind == "faq" and "wifi o ubnd xa pass la gi" in chunks[0].meta["questions"]
    with pytest.raises(FaqError, match="ngắn"):
        write_faq(tmp_path, **(kw | {"answer": "Dạ có."}))
    with pytest.raises(FaqError, match="nguồn"):
        write_faq(tmp_path, **(kw | {"source": " "}))
    assert slugify("Đăng ký VNeID ở đâu?") == "dang-ky-vneid-o-dau"


@pytest.mark.parametrize(
    "name",
    [
        "../x.md",
        "/etc/passwd",
        "faq/../../x.md",
        "faq/.hidden.md",
        "faq/_x.md",
        "a\\..\\..\\b.md",
        "faq/x.txt",
        "faq/tệp.md",
        "",
        "faq/x.md\x00.md",
    ],
)
def test_file_names_cannot_escape_the_knowledge_folder(tmp_path, name):
    with pytest.raises(FaqError):
        safe_knowledge_path(tmp_path, name)


def test_safe_names_stay_inside(tmp_path):
    assert safe_knowledge_path(tmp_path, "faq/./ok-1.md") == (tmp_path / "faq" / "ok-1.md").resolve()


def test_the_watcher_indexes_a_new_faq_in_seconds_and_skips_a_broken_file(tmp_path, embedder, shipped_index, store):
    from bot.engine.answer import AnswerEngine
    from bot.engine.watcher import KnowledgeWatcher

    knowledge = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge)
    index_dir = tmp_path / "data" / "index"
    shipped_index.save(index_dir)
    engine = AnswerEngine(KnowledgeIndex.load(index_dir), embedder)
    question = "Mật khẩu Wi-Fi ở trụ sở UBND xã là gì?"
    assert not engine.ask(question).answered
    served = []
    watcher = KnowledgeWatcher(knowledge, index_dir, embedder, lambda idx: (engine.use_index(idx), served.append(idx)))
    watcher.serving = engine.index.manifest["built_at"]
    watcher.start()
    try:
        time.sleep(0.5)
        write_faq(
            knowledge,
            title=question,
            questions=["wifi o ubnd xa pass la gi"],
            answer="Dạ, Wi-Fi cho người dân ở trụ sở UBND xã tên UBND-KHACH, mật khẩu dán ở bàn một cửa.",
            source="Văn phòng UBND xã",
            author="lan.team",
        )
        t0 = time.monotonic()
        while not served and time.monotonic() - t0 < 20:
            time.sleep(0.1)
        assert served, "the watcher did not pick up the new FAQ"
        took = time.monotonic() - t0
        answer = engine.ask("wifi o ubnd xa pass la gi")
        assert answer.answered and "UBND-KHACH" in answer.text, answer.text
        assert took < 10

        broken = next(p for p in sorted((knowledge / "guides").glob("*.md")))
        broken.write_text("---\ntitle: [không đóng\n---\nnội dung\n", encoding="utf-8")
        t0 = time.monotonic()
        while time.monotonic() - t0 < 20:
            errors = KnowledgeIndex.load(index_dir).errors
            if errors:
                break
            time.sleep(0.1)
        assert errors and errors[0].path == broken.relative_to(knowledge).as_posix()
        assert len(engine.index.chunks) >= len(shipped_index.chunks)  # the last good version still serves
        assert engine.ask("kich hoat vneid muc 2 nhu the nao").answered
    finally:
        watcher.stop()


def test_questions_stored_before_grouping_join_their_groups(settings, engine, store):
    from actions.runtime import Services
    from bot.app import App

    for q in ("wifi ubnd xa pass la gi", "Mật khẩu wifi ở UBND xã là gì?"):
        store.record_question(q, channel="web", user_id="web:old", answered=False, reason="no_match", score=0.0)
    services = Services(App(settings).provide(store=store, engine=engine))
    assert services.group_backlog() == 2
    assert [g.size for g in QuestionGroups(store).groups("open")] == [2]
    assert services.group_backlog() == 0
