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


# Runs in .venv-rasa: Rasa's own in-memory lock and tracker stores behind a stub agent whose processing takes 0.3 s;
# two copies of one message (the same message_id) arrive together. Prints how often the message was processed and
# what each copy was answered.
TWO_COPIES = """
import asyncio, json
from types import SimpleNamespace
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from nlu.rest_channel import TokenRestInput

class SlowProcessor:
    def __init__(self, trackers):
        self.trackers, self.calls = trackers, 0

    async def handle_message(self, message):
        self.calls += 1
        tracker = await self.trackers.get_or_create_tracker(message.sender_id)
        await asyncio.sleep(0.3)  # NLU, the policies and an action call
        reply = f"Bước {self.calls + 1}"
        tracker.update(UserUttered(message.text, message_id=message.message_id))
        tracker.update(BotUttered(reply))
        await self.trackers.save(tracker)
        await message.output_channel.send_text_message(message.sender_id, reply)

async def main():
    trackers = InMemoryTrackerStore(Domain.empty())
    processor = SlowProcessor(trackers)
    agent = SimpleNamespace(
        tracker_store=trackers, lock_store=InMemoryLockStore(), processor=processor, is_ready=lambda: True
    )
    request = SimpleNamespace(app=SimpleNamespace(ctx=SimpleNamespace(agent=agent)))

    async def copy():
        collector = CollectingOutputChannel()
        message = UserMessage("tiếp", collector, "u1", message_id="trolyso-7")
        assert await TokenRestInput.handle_once(request, message, collector)
        return [m["text"] for m in collector.messages]

    answers = await asyncio.gather(copy(), copy())
    print(json.dumps({"calls": processor.calls, "answers": answers}, ensure_ascii=False))

asyncio.run(main())
"""


def test_two_copies_of_one_message_arriving_together_are_processed_once(tmp_path):
    """The look-up of the message_id and the processing hold the conversation's lock together: the second copy waits,
    then finds the first one's reply (were the lock released between them, both copies would be processed)."""
    done = run_rasa_python(TWO_COPIES, tmp_path, TROLYSO_RASA_TOKEN=TOKEN)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"calls": 1, "answers": [["Bước 2"], ["Bước 2"]]}
