"""The REST client the chat, the benchmark and the gateway use: Rasa down or broken is a clear error."""

from __future__ import annotations

import asyncio
import http.server
import json
import socket
import threading

import pytest

from connectors.rasa_client import AsyncRasaClient, RasaClient, RasaUnavailable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_rasa_down_is_a_clear_error():
    with pytest.raises(RasaUnavailable, match="did not answer"):
        RasaClient(f"http://127.0.0.1:{free_port()}", timeout=2).send("x", "xin chao")


@pytest.fixture
def fake_rasa():
    """A fake Rasa REST channel on 127.0.0.1 that replies with what the test sets."""
    state = {"status": 200, "body": b"[]", "seen": [], "auth": []}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            state["seen"].append(self.rfile.read(int(self.headers["Content-Length"])))
            state["auth"].append(self.headers.get("Authorization"))
            self.send_response(state["status"])
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(state["body"])

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", state
    server.shutdown()


def test_replies_and_buttons_are_parsed_and_text_is_nfc(fake_rasa):
    url, state = fake_rasa
    state["body"] = (
        '[{"recipient_id": "u", "text": "Da\\u0323, chào", "buttons": [{"title": "Tiếp theo", '
        '"payload": "/next_step"}]}, {"recipient_id": "u", "image": "x.png"}]'
    ).encode()
    replies = RasaClient(url).send("u", "xin chào")
    assert len(replies) == 1 and replies[0].text == "Dạ, chào"
    assert replies[0].buttons == [{"title": "Tiếp theo", "payload": "/next_step"}]
    assert json.loads(state["seen"][0]) == {"sender": "u", "message": "xin chào"}


@pytest.mark.parametrize("status,body", [(500, b"{}"), (200, b"not json"), (200, b"[]"), (200, b'[{"x": 1}]')])
def test_rasa_errors_and_empty_replies_are_clear(fake_rasa, status, body):
    """[] is what Rasa answers when the action server is down (checked by hand against the real servers)."""
    url, state = fake_rasa
    state["status"], state["body"] = status, body
    with pytest.raises(RasaUnavailable):
        RasaClient(url).send("u", "xin chào")


def test_the_async_client_sends_the_same_request_and_reads_the_same_replies(fake_rasa):
    url, state = fake_rasa
    state["body"] = '[{"recipient_id": "u", "text": "Chào"}]'.encode()

    async def run():
        client = AsyncRasaClient(url)
        try:
            return await client.send("u", "xin chào", metadata={"channel": "telegram"})
        finally:
            await client.close()

    replies = asyncio.run(run())
    assert [r.text for r in replies] == ["Chào"]
    assert json.loads(state["seen"][0]) == {"sender": "u", "message": "xin chào", "metadata": {"channel": "telegram"}}
    state["status"] = 500
    with pytest.raises(RasaUnavailable, match="HTTP 500"):
        asyncio.run(run())


def test_both_clients_send_the_rest_channel_token_and_a_refusal_names_it(fake_rasa):
    """nlu/rest_channel.py answers only `Authorization: Bearer <TROLYSO_RASA_TOKEN>`; without a token none is sent."""
    url, state = fake_rasa
    state["body"] = '[{"recipient_id": "u", "text": "Chào"}]'.encode()
    RasaClient(url, token="t0k").send("u", "xin chào")
    RasaClient(url).send("u", "xin chào")

    async def run():
        client = AsyncRasaClient(url, token="t0k")
        try:
            return await client.send("u", "xin chào")
        finally:
            await client.close()

    asyncio.run(run())
    assert state["auth"] == ["Bearer t0k", None, "Bearer t0k"]
    state["status"] = 401
    with pytest.raises(RasaUnavailable, match="401: TROLYSO_RASA_TOKEN"):
        RasaClient(url, token="wrong").send("u", "xin chào")
