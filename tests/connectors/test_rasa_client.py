"""The REST client the chat, the benchmark and the gateway use: Rasa down or broken is a clear error."""

from __future__ import annotations

import asyncio
import datetime as _dt
import http.server
import json
import socket
import threading
import time

import pytest

from connectors.rasa_client import (
    AsyncRasaClient,
    AsyncRasaPool,
    RasaClient,
    RasaSilent,
    RasaUnavailable,
    RasaUnreachable,
    message_id_for,
    rendezvous_order,
)
from tests.fake_rasa import FakeRasa


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


# --- several Rasa servers (AsyncRasaPool) ---------------------------------------------------------------------------


def test_message_ids_name_the_inbox_row_and_its_second_and_go_in_the_body():
    at = _dt.datetime(2025, 3, 4, 5, 6, 7, 891011, tzinfo=_dt.UTC)
    assert message_id_for(42, at) == "trolyso-42-20250304050607"
    assert message_id_for(42) == "trolyso-42"
    assert RasaClient.body("u", "x", message_id="trolyso-1") == {
        "sender": "u",
        "message": "x",
        "message_id": "trolyso-1",
    }
    assert "message_id" not in RasaClient.body("u", "x")


def test_rendezvous_order_is_stable_and_removing_a_server_moves_only_its_conversations():
    urls = [f"http://127.0.0.1:{5005 + i}" for i in range(3)]
    conversations = [f"zalo-oa:{i}" for i in range(3000)]
    first = {c: rendezvous_order(c, urls)[0] for c in conversations}
    assert first == {c: rendezvous_order(c, list(reversed(urls)))[0] for c in conversations}  # order-independent
    shares = {u: sum(1 for f in first.values() if f == u) for u in urls}
    assert all(800 < n < 1200 for n in shares.values()), shares
    without = {c: rendezvous_order(c, urls[:2])[0] for c in conversations}
    moved = [c for c in conversations if without[c] != first[c]]
    assert moved and all(first[c] == urls[2] for c in moved)  # only the removed server's conversations move
    assert all(without[c] == rendezvous_order(c, urls)[1] for c in moved)  # to their second choice


def pool_run(pool: AsyncRasaPool, coro_factory):
    async def run():
        try:
            return await coro_factory()
        finally:
            await pool.close()

    return asyncio.run(run())


@pytest.fixture
def rasas():
    servers = [FakeRasa().up() for _ in range(3)]
    yield servers
    for s in servers:
        s.down()


def test_the_pool_spreads_conversations_and_keeps_each_on_one_server(rasas):
    pool = AsyncRasaPool([r.url for r in rasas], token="t")
    conversations = [f"c{i}" for i in range(60)]

    async def talk():
        for round_ in range(2):
            for c in conversations:
                [reply] = await pool.send(c, f"tin {round_}", message_id=f"trolyso-{c}-{round_}")
                assert reply.text == f"Đáp: tin {round_}"

    pool_run(pool, talk)
    served = {c: [i for i, r in enumerate(rasas) if r.messages_from(c)] for c in conversations}
    assert all(len(s) == 1 for s in served.values())  # one server per conversation
    assert all(len(r.received) >= 20 for r in rasas), [len(r.received) for r in rasas]  # 120 over 3: spread
    assert {m["message_id"] for r in rasas for m in r.received} == {
        f"trolyso-{c}-{n}" for c in conversations for n in range(2)
    }


def test_a_stopped_server_is_skipped_at_once_left_out_for_a_while_and_used_again_when_back(rasas):
    clock = {"now": 1000.0}
    failed: list[str] = []
    pool = AsyncRasaPool(
        [r.url for r in rasas], down_seconds=5.0, clock=lambda: clock["now"], on_failover=lambda u, e: failed.append(u)
    )
    dead = rasas[0]
    mine = [c for c in (f"c{i}" for i in range(100)) if rendezvous_order(c, pool.urls)[0] == dead.url][:5]
    port = dead.port
    dead.down()
    timings: list[float] = []

    async def talk(conversation: str, text: str) -> str:
        t0 = time.perf_counter()
        [reply] = await pool.send(conversation, text)
        timings.append(time.perf_counter() - t0)
        return reply.text

    async def scenario():
        assert await talk(mine[0], "một") == "Đáp: một"  # answered by the conversation's second server
        assert failed == [dead.url] and pool.is_down(dead.url)
        for c in mine[1:]:  # within the 5 s: the dead server is not tried again
            assert await talk(c, "hai") == "Đáp: hai"
        assert failed == [dead.url]
        back = FakeRasa(port=port).up()
        try:
            clock["now"] += 4.0
            await talk(mine[0], "ba")
            assert back.received == []  # still left out
            clock["now"] += 1.5
            assert await talk(mine[0], "bốn") == "Đáp: bốn"
            assert back.messages_from(mine[0]) == ["bốn"]  # back to its own server
            assert not pool.is_down(dead.url)
        finally:
            back.down()

    pool_run(pool, scenario)
    second = rendezvous_order(mine[0], pool.urls)[1]
    assert [r.messages_from(mine[0]) for r in rasas if r.url == second] == [["một", "ba"]]
    print(f"failover to the next Rasa: {timings[0] * 1000:.1f} ms; later calls {max(timings[1:]) * 1000:.1f} ms max")
    assert timings[0] < 1.0


def test_a_silent_server_fails_over_a_refusal_does_not_and_all_down_is_rasa_unavailable(rasas, fake_rasa):
    pool = AsyncRasaPool([r.url for r in rasas])

    async def silent():
        await pool.send("c1", "/silent")  # [] from each: an action failed everywhere

    with pytest.raises(RasaSilent):
        pool_run(pool, silent)
    assert [r.messages_from("c1") for r in rasas] == [["/silent"]] * 3  # each tried once, in turn
    url, state = fake_rasa
    state["status"] = 401
    refusing = AsyncRasaPool([url, rasas[0].url])
    [mine] = [c for c in (f"r{i}" for i in range(20)) if rendezvous_order(c, refusing.urls)[0] == url][:1]

    async def refused():
        await refusing.send(mine, "x")

    with pytest.raises(RasaUnavailable, match="401"):
        pool_run(refusing, refused)
    assert not refusing.is_down(url) and rasas[0].messages_from(mine) == []  # a wrong token is not a dead server
    for r in rasas:
        r.down()
    alone = AsyncRasaPool([rasas[0].url])

    async def down():
        await alone.send("c3", "x")

    with pytest.raises(RasaUnreachable):
        pool_run(alone, down)
