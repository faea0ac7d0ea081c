"""The layout's promises, checked where they matter: the Rasa environment can import the text module (standard
library only), the import contracts in pyproject.toml hold, and the gateway process, used as the team uses it,
never loads torch or faiss."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.fakes import free_port
from tests.web import login

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "faiss", "sentence_transformers", "transformers", "rank_bm25", "pyvi")


def test_text_and_the_leaves_need_only_the_standard_library():
    """`-S`: no site-packages at all, so any third-party import would fail (the Rasa environment imports bot.text
    through nlu/vietnamese.py; bot.clock and bot.config are read by every process)."""
    leaves = "bot.text, bot.clock, bot.config, bot.labels, bot.status, bot.logs"
    code = f"import sys; sys.path.insert(0, {str(ROOT)!r}); import {leaves}"
    proc = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    if not lint.exists():
        pytest.skip("import-linter is not installed (make setup installs it)")
    proc = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout


# Runs the gateway exactly as `python -m connectors` does; once the test has used it, the test creates `ask`, and a
# thread writes which heavy modules the process has loaded to `out`.
PROBE = """
import json, os, runpy, sys, threading, time
HEAVY = {heavy!r}
def report():
    while not os.path.exists({ask!r}):
        time.sleep(0.05)
    loaded = sorted(m for m in list(sys.modules) if m.split(".")[0] in HEAVY or m.startswith("bot.engine."))
    with open({out!r} + ".tmp", "w") as f:
        json.dump(loaded, f)
    os.replace({out!r} + ".tmp", {out!r})
threading.Thread(target=report, daemon=True).start()
sys.argv = ["connectors"]
runpy.run_module("connectors", run_name="__main__", alter_sys=True)
"""


def test_the_gateway_process_never_loads_torch_or_faiss(tmp_path):
    port = free_port()
    out = tmp_path / "modules.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZALO_", "TELEGRAM_"))}
    env.update(
        TROLYSO_DATA_DIR=str(tmp_path / "data"),
        TROLYSO_GATEWAY_PORT=str(port),
        TROLYSO_RASA_URL=f"http://127.0.0.1:{free_port()}",  # nothing listens: the gateway must not care
        TROLYSO_KNOWLEDGE_DIR=str(ROOT / "knowledge"),
        PYTHONPATH=str(ROOT),
    )
    subprocess.run(
        [sys.executable, "-m", "bot.cli", "user", "add", "lan.team", "--role", "editor", "--password-stdin"],
        input="mat-khau-lan.team\n",
        env=env,
        cwd=tmp_path,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # a served index with its manifest, so the knowledge page reads a real one
    if (ROOT / "var" / "index").is_dir():
        shutil.copytree(ROOT / "var" / "index", tmp_path / "data" / "index")
    proc = subprocess.Popen(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY, out=str(out), ask=str(tmp_path / "ask"))],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=2).status_code in (200, 503):
                    break
            except requests.ConnectionError:
                pass
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the gateway did not start"
            time.sleep(0.2)
        # use it as the team does: log in, open every page that reads the knowledge, the index or the store
        s = login(base, "lan.team")
        for page in ("/admin/", "/admin/knowledge", "/admin/questions", "/admin/reports", "/admin/news"):
            assert s.get(f"{base}{page}").status_code == 200, page
        (tmp_path / "ask").touch()
        deadline = time.monotonic() + 30
        while not out.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    loaded = json.loads(out.read_text())
    assert not [m for m in loaded if m.split(".")[0] in HEAVY], loaded
    # the engine's light modules the console reads: the knowledge parser, the index pointer, the last evaluation
    assert set(loaded) <= {"bot.engine.knowledge", "bot.engine.manifest", "bot.engine.eval_report"}, loaded
