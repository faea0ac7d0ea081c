"""Scam stories through the trained NLU model (models/trolyso.tar.gz, in .venv-rasa): every wording of the scam safety
net's test set (tests/engine/scam_messages.py) must reach the "Tôi nghi bị lừa đảo" flow or the answer engine, never
an intent that would answer something else (the privacy notice, the next guide step, erasing data, news)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.engine.scam_messages import SCAMS

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
MODEL = ROOT / "models" / "trolyso.tar.gz"
WRONG = {"privacy", "next_step", "previous_step", "erase_my_data", "erase_confirm", "subscribe", "unsubscribe"}

pytestmark = pytest.mark.skipif(
    not (RASA_PYTHON.exists() and MODEL.exists()), reason="needs the Rasa environment and the model (make train)"
)

# Runs in .venv-rasa: loads the model, prints the intent of each message (argv[2], a JSON list) as the last line.
PARSE = """
import asyncio, json, logging, sys
logging.disable(logging.WARNING)
from rasa.core.agent import Agent

async def main():
    agent = Agent.load(sys.argv[1])
    intents = [(await agent.parse_message(t))["intent"]["name"] for t in json.loads(sys.argv[2])]
    print("\\n" + json.dumps(intents))

asyncio.run(main())
"""


def test_scam_stories_never_land_on_an_intent_that_answers_something_else(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [str(RASA_PYTHON), "-c", PARSE, str(MODEL), json.dumps(SCAMS, ensure_ascii=False)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    intents = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(intents) == len(SCAMS)
    wrong = [(intent, text) for intent, text in zip(intents, SCAMS, strict=True) if intent in WRONG]
    assert wrong == []
    # the guided scam flow takes most of them; the rest go to the answer engine (ask_question or nlu_fallback)
    assert intents.count("flow_luadao") >= len(SCAMS) * 3 // 4
