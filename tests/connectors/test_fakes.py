"""Self-tests for tests/fakes.py: each fake over real HTTP (requests, and PTB 22 for Telegram)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
import time

import pytest
import requests

from tests.fakes import (
    LONG_POLL_CAP,
    Call,
    FakeTelegram,
    FakeZaloBot,
    FakeZaloOA,
    free_port,
)


@pytest.fixture
def oa():
    with FakeZaloOA() as fake:
        yield fake


@pytest.fixture
def zbot():
    with FakeZaloBot() as fake:
        yield fake


@pytest.fixture
def tg():
    with FakeTelegram() as fake:
        yield fake


# --------------------------------------------------------------------------- base features


def test_free_port_is_bindable():
    port = free_port()
    assert 1024 <= port <= 65535


def test_lifecycle_and_recording():
    fake = FakeZaloBot()
    with pytest.raises(RuntimeError):
        _ = fake.url
    with fake:
        assert fake.url.startswith("http://127.0.0.1:")
        r = requests.post(f"{fake.url}/bot123:abc/getMe?x=1&x=2", json={"a": "b"}, headers={"X-Custom": "v"}, timeout=5)
        assert r.json()["ok"] is True
        (call,) = fake.calls
        assert isinstance(call, Call)
        assert (call.method, call.path, call.query) == ("POST", "/bot123:abc/getMe", {"x": ["1", "2"]})
        assert call.headers["x-custom"] == "v"
        assert call.json == {"a": "b"} and call.form is None
        assert json.loads(call.body) == {"a": "b"}
        assert call.at <= time.monotonic()
        assert fake.calls_to("/getMe") == [call]
        assert fake.calls_to("/sendMessage") == []
    with pytest.raises(requests.ConnectionError):
        requests.post(f"{fake.url}/bot123:abc/getMe", timeout=2)


def test_fail_next_and_never_fail_paths(zbot):
    zbot.never_fail_paths.add("/getMe")
    zbot.fail_next(2, status=503)
    base = f"{zbot.url}/bot{zbot.token}"
    assert requests.post(f"{base}/getMe", json={}, timeout=5).status_code == 200
    first = requests.post(f"{base}/sendMessage", json={"chat_id": "u1", "text": "a"}, timeout=5)
    assert first.status_code == 503 and first.json() == {
        "ok": False,
        "error_code": 503,
        "description": "Service Unavailable",
    }
    assert requests.post(f"{base}/sendMessage", json={"chat_id": "u1", "text": "b"}, timeout=5).status_code == 503
    assert requests.post(f"{base}/sendMessage", json={"chat_id": "u1", "text": "c"}, timeout=5).status_code == 200
    assert [p["text"] for p in zbot.sent()] == ["c"]
    assert len(zbot.calls_to("/sendMessage")) == 3  # failed calls are recorded too

    zbot.fail_next(1, status=502, body={"custom": True})
    r = requests.post(f"{base}/sendMessage", json={"chat_id": "u1", "text": "d"}, timeout=5)
    assert (r.status_code, r.json()) == (502, {"custom": True})


def test_set_delay(oa):
    oa.set_delay(0.3)
    start = time.monotonic()
    requests.post(f"{oa.url}/v3.0/oa/message/cs", json={}, timeout=5)
    assert time.monotonic() - start >= 0.3
    oa.set_delay(0)


def test_wait_for_calls(zbot):
    def later():
        time.sleep(0.1)
        requests.post(f"{zbot.url}/bot{zbot.token}/getMe", json={}, timeout=5)

    threading.Thread(target=later).start()
    assert len(zbot.wait_for_calls("/getMe", timeout=3)) == 1
    with pytest.raises(TimeoutError):
        zbot.wait_for_calls("/getMe", count=2, timeout=0.2)


# --------------------------------------------------------------------------- Zalo OA


def _cs(oa: FakeZaloOA, token: str, message: dict, user_id: str = "u1") -> dict:
    r = requests.post(
        f"{oa.url}/v3.0/oa/message/cs",
        headers={"access_token": token},
        json={"recipient": {"user_id": user_id}, "message": message},
        timeout=5,
    )
    assert r.status_code == 200  # Zalo reports errors in the body
    return r.json()


def _refresh(oa: FakeZaloOA, refresh_token: str, secret: str = "appsecret", app_id: str = "app1") -> dict:
    r = requests.post(
        f"{oa.url}/v4/oa/access_token",
        headers={"secret_key": secret},
        data={"refresh_token": refresh_token, "app_id": app_id, "grant_type": "refresh_token"},
        timeout=5,
    )
    assert r.status_code == 200
    return r.json()


def test_oa_send_and_validation(oa):
    ok = _cs(oa, "at-0", {"text": "Xin chào"})
    assert ok["error"] == 0 and ok["message"] == "Success"
    assert ok["data"]["user_id"] == "u1" and ok["data"]["message_id"]
    assert _cs(oa, "at-0", {"text": "again"})["data"]["message_id"] != ok["data"]["message_id"]

    assert _cs(oa, "nope", {"text": "x"})["error"] == -216
    too_long = _cs(oa, "at-0", {"text": "a" * 2001})
    assert too_long["error"] == -201 and "too long" in too_long["message"]
    assert _cs(oa, "at-0", {"text": "a" * 2000})["error"] == 0

    def buttons(n):
        return {
            "text": "Chọn",
            "attachment": {
                "type": "template",
                "payload": {
                    "buttons": [{"title": f"b{i}", "type": "oa.query.show", "payload": f"p{i}"} for i in range(n)]
                },
            },
        }

    assert _cs(oa, "at-0", buttons(5))["error"] == 0
    assert _cs(oa, "at-0", buttons(6))["error"] == -201
    assert [body["message"]["text"] for body in oa.sent()] == ["Xin chào", "again", "a" * 2000, "Chọn"]


def test_oa_expiry_and_forced_errors(oa):
    oa.expire_access_token()
    assert _cs(oa, "at-0", {"text": "x"})["error"] == -220
    assert "at-0" in oa.expired_access_tokens and not oa.valid_access_tokens

    new = _refresh(oa, "rt-0")
    oa.force_error(-230, n=2)
    assert _cs(oa, new["access_token"], {"text": "x"}) == {"error": -230, "message": FakeZaloOA.ERROR_MESSAGES[-230]}
    assert _cs(oa, new["access_token"], {"text": "x"})["error"] == -230
    assert _cs(oa, new["access_token"], {"text": "x"})["error"] == 0
    oa.force_error(-32, message="slow down")
    assert _cs(oa, new["access_token"], {"text": "x"}) == {"error": -32, "message": "slow down"}


def test_oa_refresh_token_is_single_use(oa):
    first = _refresh(oa, "rt-0")
    assert first == {"access_token": "at-1", "refresh_token": "rt-1", "expires_in": "90000"}
    assert oa.refresh_count == 1 and (oa.access_token, oa.refresh_token) == ("at-1", "rt-1")

    # The old access token is gone, the new one works.
    assert _cs(oa, "at-0", {"text": "x"})["error"] == -220
    assert _cs(oa, "at-1", {"text": "x"})["error"] == 0

    # Reusing the old refresh token fails, and does not disturb the current pair.
    reused = _refresh(oa, "rt-0")
    assert reused["error"] == -14014 and reused["error_name"] == "Invalid refresh token"
    assert _refresh(oa, "unknown")["error"] == -14014
    assert _cs(oa, "at-1", {"text": "x"})["error"] == 0
    assert oa.refresh_count == 1

    assert _refresh(oa, "rt-1", secret="wrong")["error"] == -14002
    assert _refresh(oa, "rt-1", app_id="other")["error"] == -14002
    assert _refresh(oa, "rt-1") == {"access_token": "at-2", "refresh_token": "rt-2", "expires_in": "90000"}
    assert oa.refresh_count == 2
    assert len(oa.calls_to("/v4/oa/access_token")) == 6


def test_oa_concurrent_refreshes_only_one_wins(oa):
    results: list[dict] = []
    threads = [threading.Thread(target=lambda: results.append(_refresh(oa, "rt-0"))) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum("access_token" in r for r in results) == 1
    assert sum(r.get("error") == -14014 for r in results) == 4
    assert oa.refresh_count == 1


def test_oa_refresh_requires_form_encoding(oa):
    r = requests.post(
        f"{oa.url}/v4/oa/access_token",
        headers={"secret_key": "appsecret"},
        json={"refresh_token": "rt-0", "app_id": "app1", "grant_type": "refresh_token"},
        timeout=5,
    )
    assert r.json()["error"] == -14001 and oa.refresh_count == 0


def test_oa_sign():
    raw = b'{"event_name":"user_send_text","message":{"text":"Ch\xc3\xa0o"}}'
    expected = hashlib.sha256(("app1" + raw.decode() + "1699003881354" + "oakey").encode()).hexdigest()
    assert FakeZaloOA.sign("app1", raw, "1699003881354", "oakey") == expected
    assert len(expected) == 64 and expected == expected.lower()

    event = FakeZaloOA().make_text_event("u1", "Xin chào")
    assert event["event_name"] == "user_send_text" and event["sender"]["id"] == "u1"
    assert isinstance(event["timestamp"], str) and len(event["timestamp"]) == 13


# --------------------------------------------------------------------------- Zalo Bot


def test_zalo_bot_methods(zbot):
    base = f"{zbot.url}/bot{zbot.token}"
    me = requests.post(f"{base}/getMe", json={}, timeout=5).json()
    assert me["ok"] and me["result"]["id"] == "123"

    sent = requests.post(f"{base}/sendMessage", json={"chat_id": "u1", "text": "Xin chào"}, timeout=5).json()
    assert sent["ok"] and set(sent["result"]) == {"message_id", "date"}
    assert zbot.sent() == [{"chat_id": "u1", "text": "Xin chào"}]

    for bad_text in ("", "a" * 2001):
        r = requests.post(f"{base}/sendMessage", json={"chat_id": "u1", "text": bad_text}, timeout=5)
        assert r.status_code == 400 and r.json()["ok"] is False and r.json()["error_code"] == 400
    assert len(zbot.sent()) == 1

    r = requests.post(f"{zbot.url}/bot123:wrong/sendMessage", json={"chat_id": "u1", "text": "x"}, timeout=5)
    assert r.status_code == 401 and r.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    assert requests.post(f"{base}/noSuchMethod", json={}, timeout=5).status_code == 404
    assert requests.post(f"{base}/sendChatAction", json={"chat_id": "u1", "action": "typing"}, timeout=5).json() == {
        "ok": True,
        "result": True,
    }


def test_zalo_bot_get_updates(zbot):
    base = f"{zbot.url}/bot{zbot.token}"
    first = zbot.push_update("u1", "một")
    second = zbot.push_update("u2", "hai", message_id="m2")
    assert first["event_name"] == "message.text.received" and second["message"]["message_id"] == "m2"

    got = [requests.post(f"{base}/getUpdates", json={"timeout": "30"}, timeout=5).json() for _ in range(2)]
    assert got == [{"ok": True, "result": first}, {"ok": True, "result": second}]

    start = time.monotonic()
    empty = requests.post(f"{base}/getUpdates", json={"timeout": "30"}, timeout=5)
    assert LONG_POLL_CAP - 0.1 <= time.monotonic() - start < LONG_POLL_CAP + 1
    assert empty.json() == {"ok": False, "error_code": 408, "description": "timeout"}

    # An update pushed during the long poll is delivered at once.
    threading.Timer(0.2, zbot.push_update, args=("u3", "ba")).start()
    late = requests.post(f"{base}/getUpdates", json={"timeout": "30"}, timeout=5).json()
    assert late["ok"] and late["result"]["message"]["text"] == "ba"


def test_zalo_bot_webhook(zbot):
    base = f"{zbot.url}/bot{zbot.token}"
    bad = requests.post(f"{base}/setWebhook", json={"url": "http://x", "secret_token": "12345678"}, timeout=5)
    assert bad.status_code == 400
    short = requests.post(f"{base}/setWebhook", json={"url": "https://x/h", "secret_token": "short"}, timeout=5)
    assert short.status_code == 400

    ok = requests.post(f"{base}/setWebhook", json={"url": "https://x/h", "secret_token": "s3cret-token"}, timeout=5)
    assert ok.json()["result"]["url"] == "https://x/h" and zbot.webhook_secret == "s3cret-token"
    assert requests.post(f"{base}/getWebhookInfo", json={}, timeout=5).json()["result"]["url"] == "https://x/h"
    assert requests.post(f"{base}/getUpdates", json={}, timeout=5).status_code == 409
    assert requests.post(f"{base}/deleteWebhook", json={}, timeout=5).json()["result"]["url"] == ""
    assert zbot.webhook_url == ""


# --------------------------------------------------------------------------- Telegram (requests)


def test_telegram_accepts_json_form_and_multipart(tg):
    base = f"{tg.url}/bot{tg.token}"
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    as_json = requests.post(f"{base}/sendMessage", json={"chat_id": 7, "text": "j", "reply_markup": markup}, timeout=5)
    as_form = requests.post(
        f"{base}/sendMessage", data={"chat_id": "7", "text": "f", "reply_markup": json.dumps(markup)}, timeout=5
    )
    as_multipart = requests.post(
        f"{base}/sendMessage",
        data={"chat_id": "7", "text": "m"},
        files={"document": ("a.txt", b"hello")},
        timeout=5,
    )
    for r in (as_json, as_form, as_multipart):
        assert r.status_code == 200 and r.json()["ok"]
        assert r.json()["result"]["chat"] == {"id": 7, "type": "private"}
    assert tg.sent()[0] == tg.sent()[1] | {"text": "j"}
    assert tg.sent()[1] == {"chat_id": 7, "text": "f", "reply_markup": markup}
    assert tg.calls[2].files == {"document": b"hello"}

    too_long = requests.post(f"{base}/sendMessage", json={"chat_id": 7, "text": "x" * 4097}, timeout=5)
    assert too_long.status_code == 400
    assert too_long.json() == {"ok": False, "error_code": 400, "description": "Bad Request: message is too long"}
    assert requests.post(f"{tg.url}/bot1:bad/getMe", timeout=5).status_code == 401


def test_telegram_get_updates_offsets(tg):
    base = f"{tg.url}/bot{tg.token}"
    m = tg.push_message(5, "/start")
    c = tg.push_callback(5, "menu:thu_tuc")
    assert c["update_id"] == m["update_id"] + 1
    assert m["message"]["entities"][0] == {"type": "bot_command", "offset": 0, "length": 6}

    got = requests.post(f"{base}/getUpdates", data={"offset": "0", "timeout": "0"}, timeout=5).json()["result"]
    assert got == [m, c]
    got = requests.post(f"{base}/getUpdates", json={"offset": c["update_id"], "timeout": 0}, timeout=5).json()
    assert got["result"] == [c]
    start = time.monotonic()
    got = requests.post(f"{base}/getUpdates", json={"offset": c["update_id"] + 1, "timeout": 10}, timeout=5).json()
    assert got == {"ok": True, "result": []}
    assert time.monotonic() - start < LONG_POLL_CAP + 1


# --------------------------------------------------------------------------- Telegram (PTB 22)


def test_telegram_with_python_telegram_bot(tg):
    from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
    from telegram.error import BadRequest, Conflict, InvalidToken

    async def scenario():
        bot = Bot(tg.token, base_url=f"{tg.url}/bot")
        async with bot:  # initialize() calls getMe
            assert bot.username == "troly_bot" and bot.id == 42
            markup = InlineKeyboardMarkup(
                [
                    [InlineKeyboardButton("Thủ tục", callback_data="menu:thu_tuc")],
                    [InlineKeyboardButton("Liên hệ", callback_data="menu:lien_he")],
                ]
            )
            message = await bot.send_message(chat_id=1, text="Xin chào", reply_markup=markup)
            assert message.text == "Xin chào" and message.chat.id == 1 and message.chat.type == "private"
            assert message.reply_markup == markup

            with pytest.raises(BadRequest, match="too long"):
                await bot.send_message(chat_id=1, text="x" * 4097)

            tg.push_message(1, "thủ tục khai sinh")
            tg.push_callback(1, "menu:lien_he")
            updates = await bot.get_updates(offset=0, timeout=1)
            assert [u.message.text if u.message else u.callback_query.data for u in updates] == [
                "thủ tục khai sinh",
                "menu:lien_he",
            ]
            assert await bot.answer_callback_query(updates[1].callback_query.id, text="ok") is True
            assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == ()

            assert await bot.set_webhook("https://example.org/tg", secret_token="s3cret_token") is True
            assert tg.webhook_secret == "s3cret_token"
            with pytest.raises(Conflict):
                await bot.get_updates(timeout=0)
            assert await bot.delete_webhook() is True
            with pytest.raises(BadRequest):
                await bot.set_webhook("http://insecure.example.org/tg")

            # Webhook payloads built by the fake parse into PTB objects.
            update = Update.de_json(tg.make_callback_update(1, "menu:thu_tuc"), bot)
            assert update.callback_query.data == "menu:thu_tuc"
            assert update.effective_chat.id == 1

        with pytest.raises(InvalidToken):
            async with Bot("1:WRONG", base_url=f"{tg.url}/bot"):
                pass

    asyncio.run(scenario())

    (first, _too_long) = tg.calls_to("/sendMessage")
    assert first.form is not None  # PTB 22 posts form-encoded bodies
    assert tg.sent() == [
        {
            "chat_id": 1,
            "text": "Xin chào",
            "reply_markup": {
                "inline_keyboard": [
                    [{"text": "Thủ tục", "callback_data": "menu:thu_tuc"}],
                    [{"text": "Liên hệ", "callback_data": "menu:lien_he"}],
                ]
            },
        }
    ]
