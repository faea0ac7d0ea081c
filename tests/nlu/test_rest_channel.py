"""Rasa's REST channel behind a token (nlu/rest_channel.py), in the Rasa environment (.venv-rasa): the channel's
blueprint served by Sanic next to Rasa's own RestInput, both with the same message handler. The whole real Rasa
server is tested in tests/e2e/test_dialogue_e2e.py (`test_rasa_rest_channel_answers_only_with_the_gateways_token`)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
TOKEN = "s3cret-Token_for-rasa"

pytestmark = pytest.mark.skipif(not RASA_PYTHON.exists(), reason="needs the Rasa environment (make rasa-env)")

# Runs in .venv-rasa: serves TokenRestInput at /webhooks/rest and Rasa's RestInput at /webhooks/plain, sends each
# case to both, prints [status, body] per request as JSON.
PROBE = """
import asyncio, json, socket, sys
import aiohttp
from rasa.core.channels.rest import RestInput
from sanic import Sanic
from nlu.rest_channel import TokenRestInput, token_matches

async def handle(message):
    await message.output_channel.send_text_message(message.sender_id, "Dạ, " + (message.text or ""))
    await message.output_channel.send_text_message(message.sender_id, "kênh " + str(message.input_channel))

async def main():
    app = Sanic("probe")
    app.blueprint(TokenRestInput.from_credentials(None).blueprint(handle), url_prefix="/webhooks/rest")
    app.blueprint(RestInput().blueprint(handle), url_prefix="/webhooks/plain")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False)
    await server.startup()
    base = f"http://127.0.0.1:{port}/webhooks"
    cases = json.loads(sys.argv[1])
    out = {"rest": [], "plain": []}
    async with aiohttp.ClientSession() as http:
        for prefix in out:
            for headers, params in cases:
                body = {"sender": "u1", "message": "xin chào"}
                async with http.post(f"{base}/{prefix}/webhook", json=body, headers=headers, params=params) as r:
                    out[prefix].append([r.status, await r.text()])
            async with http.get(f"{base}/{prefix}/") as r:
                out[prefix].append([r.status, await r.text()])
    server.close()
    await server.wait_closed()
    print(json.dumps(out, ensure_ascii=False))

asyncio.run(main())
"""


def run_rasa_python(code: str, tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k != "TROLYSO_RASA_TOKEN"}
    return subprocess.run(
        [str(RASA_PYTHON), "-c", code, *args],
        cwd=tmp_path,  # no .env here
        env={**base, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_only_requests_with_the_token_reach_the_bot_and_they_get_what_rest_input_gives(tmp_path):
    right = {"Authorization": f"Bearer {TOKEN}"}
    refused = [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": f"Bearer {TOKEN[:-1]}"},
        {"Authorization": TOKEN},
        {"Authorization": f"Basic {TOKEN}"},
        {"X-Trolyso-Token": TOKEN},
    ]
    cases = [[h, {}] for h in refused] + [[h, {"stream": "true"}] for h in refused[:2]]
    accepted = [[right, {}], [{"Authorization": f"bearer  {TOKEN} "}, {}], [right, {"stream": "true"}]]
    proc = run_rasa_python(PROBE, tmp_path, json.dumps(cases + accepted), TROLYSO_RASA_TOKEN=TOKEN)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    n = len(cases)
    for (headers, params), (status, body) in zip(cases, out["rest"][:n], strict=True):
        assert status == 401, (headers, params, status, body)
        assert json.loads(body) == {"error": "unauthorized"}
    # with the token: exactly what Rasa's RestInput answers (plain JSON and the streamed variant); health is open
    assert out["rest"][n:] == out["plain"][n:]
    status, body = out["rest"][n]
    assert status == 200
    assert json.loads(body) == [
        {"recipient_id": "u1", "text": "Dạ, xin chào"},
        {"recipient_id": "u1", "text": "kênh rest"},
    ]
    assert out["rest"][-1] == [200, '{"status":"ok"}']
    assert "refused a POST request without a valid token" in proc.stderr


def test_without_a_token_rasa_does_not_start_the_channel(tmp_path):
    code = "from nlu.rest_channel import TokenRestInput\nTokenRestInput.from_credentials(None)"
    proc = run_rasa_python(code, tmp_path)
    assert proc.returncode != 0
    assert "TROLYSO_RASA_TOKEN is not set" in proc.stderr
