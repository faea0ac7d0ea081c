"""The `trolyso` command as a user runs it: real processes, a small knowledge folder, a private data dir."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest

from tests.conftest import write

GUIDE = """---
title: Kích hoạt tài khoản VNeID
kind: guide
topics: [VNEID]
flow: vneid
task: kich-hoat
button: Kích hoạt
issuer: Trợ lý số xã (tổng hợp)
issued: 2024
reviewed: 2026-11-22
---
Hướng dẫn này giúp anh/chị kích hoạt tài khoản định danh điện tử mức 2 trên ứng dụng VNeID.

## Bước 1. Tải ứng dụng VNeID

Ứng dụng VNeID chỉ tải từ App Store hoặc CH Play.

## Bước 2. Nhập số định danh cá nhân

Nhập số định danh cá nhân 12 số và số điện thoại, rồi bấm Gửi yêu cầu.

## Bước 3. Nhập mã OTP

Ứng dụng gửi mã OTP qua tin nhắn.
"""

EXPLAINER = """---
title: Nghị quyết 57-NQ/TW
kind: explainer
topics: [NQ57]
issuer: Trợ lý số xã (tổng hợp)
issued: 2024-12-22
---
## Nghị quyết 57 là gì

Nghị quyết 57-NQ/TW ngày 22/12/2024 của Bộ Chính trị bàn về đột phá phát triển khoa học, \
công nghệ, đổi mới sáng tạo và chuyển đổi số quốc gia.

## Mục tiêu về kinh tế số

Nghị quyết 57-NQ/TW đặt mục tiêu kinh tế số đạt ít nhất 30% GDP vào năm 2030.
"""


@pytest.fixture(scope="module")
def env(tmp_path_factory, settings):
    root = tmp_path_factory.mktemp("cli")
    write(root / "knowledge" / "guides" / "vneid-kich-hoat.md", GUIDE)
    write(root / "knowledge" / "explainers" / "nq57.md", EXPLAINER)
    e = dict(
        os.environ,
        TROLYSO_DATA_DIR=str(root / "var"),
        TROLYSO_KNOWLEDGE_DIR=str(root / "knowledge"),
        TROLYSO_MODEL_DIR=str(settings.model_dir),
    )
    e.pop("TROLYSO_DATABASE_URL", None)
    return root, e


def trolyso(env, *args, input=None, check=True):
    root, e = env
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=input,
        capture_output=True,
        text=True,
        env=e,
        cwd=root,
        timeout=300,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"trolyso {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def test_ask_before_index_is_a_clear_error(env):
    proc = trolyso(env, "ask", "xin chào", check=False)
    assert proc.returncode != 0
    assert "trolyso index" in proc.stderr


@pytest.mark.model
def test_index_then_jsonl_contract(env):
    out = trolyso(env, "index", "--quiet").stdout
    assert "2 files" in out and "0 errors" in out
    questions = [
        "Nghị quyết 57 đặt mục tiêu kinh tế số bao nhiêu phần trăm GDP?",
        "",
        "lam sao kich hoat tk vneid",
        "Hôm nay giá vàng bao nhiêu?",
        "gọi tôi theo số 0912345678 nhé, thời tiết mai thế nào",
    ]
    proc = trolyso(env, "ask", "--jsonl", "--channel", "test", input="\n".join(questions) + "\n")
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(rows) == len(questions)
    for q, row in zip(questions, rows, strict=True):
        assert set(row) == {"q", "answered", "text", "sources", "score"}
        assert row["q"] == q
        assert isinstance(row["answered"], bool) and isinstance(row["text"], str) and row["text"]
        assert len(row["text"]) <= 1500
        assert isinstance(row["score"], (int, float))
        for src in row["sources"]:
            assert set(src) == {"title", "path", "section"}
    assert rows[0]["answered"] and "30%" in rows[0]["text"]
    assert rows[0]["sources"][0]["path"] == "explainers/nq57.md"
    assert "Nguồn: Nghị quyết 57-NQ/TW" in rows[0]["text"]
    assert rows[1]["answered"] is False
    # a how-to question on a guide lists its steps
    assert rows[2]["answered"] and "1. Tải ứng dụng VNeID" in rows[2]["text"] and "3. Nhập mã OTP" in rows[2]["text"]
    assert "Nguồn: Kích hoạt tài khoản VNeID · Trợ lý số xã (tổng hợp), rà soát 22/11/2026" in rows[2]["text"]
    assert rows[3]["answered"] is False and rows[3]["sources"] == []
    assert rows[4]["answered"] is False
    # refused questions are stored for the team, masked, with a hashed user id
    db = sqlite3.connect(env[0] / "var" / "trolyso.db")
    stored = db.execute("select channel, user_hash, text, answered from questions order by id").fetchall()
    assert len(stored) == 4  # the empty line is not a question
    assert all(r[0] == "test" for r in stored)
    assert "0912345678" not in " ".join(r[2] for r in stored)
    assert any("********78" in r[2] for r in stored)
    assert all(r[1] != "cli" and len(r[1]) == 24 for r in stored)


@pytest.mark.model
def test_incremental_reindex_only_embeds_the_change(env):
    root, _ = env
    path = root / "knowledge" / "explainers" / "nq57.md"
    path.write_text(
        path.read_text(encoding="utf-8") + "\n## Tầm nhìn 2045\n\nKinh tế số đạt ít nhất 50% GDP.\n", encoding="utf-8"
    )
    out = trolyso(env, "index", "--quiet").stdout
    assert "1 changed" in out and "1 embedded" in out
    row = json.loads(trolyso(env, "ask", "--jsonl", "--no-record", input="tầm nhìn 2045 kinh tế số\n").stdout)
    assert row["answered"] and "50%" in row["text"]


@pytest.mark.model
def test_lint_reports_broken_files_with_file_and_line(env):
    root, _ = env
    ok = trolyso(env, "lint")
    assert "0 with errors" in ok.stdout
    bad = root / "knowledge" / "explainers" / "broken.md"
    write(bad, "---\ntitle: Hỏng\nkind: explainer\ntopics: [NQ57, THOITIET]\n---\nNội dung.\n")
    try:
        proc = trolyso(env, "lint", check=False)
        assert proc.returncode == 1
        assert "explainers/broken.md:4: front matter: unknown topic 'THOITIET'" in proc.stdout
        # indexing still succeeds, reports the error, and keeps answering from the good files
        idx = trolyso(env, "index", "--quiet")
        assert "explainers/broken.md:4" in idx.stderr and "1 errors" in idx.stdout
        row = json.loads(trolyso(env, "ask", "--jsonl", "--no-record", input="nghị quyết 57 là gì\n").stdout)
        assert row["answered"]
    finally:
        bad.unlink()


@pytest.mark.model  # `up` checks the Rasa environment (.venv-rasa) before the dialogue model
def test_up_without_a_dialogue_model_is_a_clear_error(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "TROLYSO_RASA_MODEL": str(tmp_path / "missing.tar.gz"), "TROLYSO_DATA_DIR": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "bot.cli", "up"], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "No trained dialogue model" in proc.stderr and "make train" in proc.stderr
