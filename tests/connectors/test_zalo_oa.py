"""connectors.channels.zalo_oa in-process: signatures, webhook parsing, and the token manager — two managers (as two
gateway processes would have) refused at once refresh exactly once; a new pair in the environment wins."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import httpx
import pytest

from bot.store import Store
from connectors.channels.zalo_oa import (
    TokenManager,
    ZaloOAConfig,
    ZaloOASender,
    parse_webhook,
)
from connectors.messages import Part, WebhookRejected
from tests.fakes import FakeZaloOA


def config(fake: FakeZaloOA | None = None, **kw) -> ZaloOAConfig:
    base = dict(
        app_id="app1",
        oa_secret_key="k",
        app_secret="appsecret",
        access_token="at-0",
        refresh_token="rt-0",
        api_base=fake.url if fake else "http://x",
        oauth_base=fake.url if fake else "http://x",
    )
    base.update(kw)
    return ZaloOAConfig(**base)


def now_ms() -> int:
    return int(time.time() * 1000)


def signed(body: dict, key: str = "k") -> tuple[bytes, str]:
    """`body` signed as Zalo would; its "timestamp" is now unless the body has one of its own."""
    body = {"timestamp": str(now_ms()), **body}
    raw = json.dumps(body).encode()
    return raw, FakeZaloOA.sign(body.get("app_id", ""), raw, str(body.get("timestamp", "")), key)


EVENT = {
    "event_name": "user_send_text",
    "app_id": "app1",
    "sender": {"id": "u1"},
    "recipient": {"id": "oa"},
    "message": {"text": "chào", "msg_id": "m1"},
}


def test_signed_text_event_is_parsed():
    raw, sig = signed(EVENT)
    [m] = parse_webhook(config(), raw, sig)
    assert (m.channel, m.platform_id, m.recipient, m.text) == ("zalo-oa", "m1", "u1", "chào")
    assert parse_webhook(config(), raw, "mac=" + sig.upper())


@pytest.mark.parametrize(
    "mutate,status",
    [
        (lambda raw, sig: (raw, None), 401),
        (lambda raw, sig: (raw, "f" * 64), 401),
        (lambda raw, sig: (raw.replace(b"chao", b"chao!") + b" ", sig), 401),  # body changed after signing
        (lambda raw, sig: (b"not json", sig), 400),
    ],
)
def test_bad_requests_are_rejected(mutate, status):
    raw, sig = signed(EVENT)
    with pytest.raises(WebhookRejected) as exc:
        parse_webhook(config(), *mutate(raw, sig))
    assert exc.value.status == status


def test_other_events_are_acknowledged_without_messages_and_other_apps_refused():
    raw, sig = signed(dict(EVENT, event_name="user_send_sticker"))
    assert parse_webhook(config(), raw, sig) == []
    raw, sig = signed(dict(EVENT, app_id="someone-else"))
    with pytest.raises(WebhookRejected) as exc:
        parse_webhook(config(), raw, sig)
    assert exc.value.status == 403


@pytest.mark.parametrize("offset_s", [-601, -3600 * 24 * 400, 601])
def test_a_message_event_stamped_outside_the_window_is_refused(offset_s):
    """A replayed (old) or oddly future-dated delivery, validly signed, is refused; at the edges it is accepted."""
    at = now_ms()
    raw, sig = signed(dict(EVENT, timestamp=str(at + offset_s * 1000)))
    with pytest.raises(WebhookRejected) as exc:
        parse_webhook(config(event_window=600), raw, sig, now_ms=at)
    assert exc.value.status == 403 and "window" in exc.value.reason
    edge = -599 if offset_s < 0 else 599
    raw, sig = signed(dict(EVENT, timestamp=str(at + edge * 1000)))
    assert len(parse_webhook(config(event_window=600), raw, sig, now_ms=at)) == 1
    raw, sig = signed(dict(EVENT, timestamp=str(at + offset_s * 1000)))
    assert len(parse_webhook(config(event_window=3600 * 24 * 500), raw, sig, now_ms=at)) == 1  # a wider window


def test_the_default_window_keeps_zalos_retries_and_refuses_a_day_old_event():
    at = now_ms()
    raw, sig = signed(dict(EVENT, timestamp=str(at - 110 * 60 * 1000)))  # Zalo's last retry, ~2 h after an outage
    assert len(parse_webhook(config(), raw, sig, now_ms=at)) == 1
    raw, sig = signed(dict(EVENT, timestamp=str(at - 24 * 3600 * 1000)))
    with pytest.raises(WebhookRejected):
        parse_webhook(config(), raw, sig, now_ms=at)


def test_a_message_event_without_a_timestamp_is_refused_other_events_are_not_checked():
    for stamp in ("", "yesterday"):
        raw, sig = signed(dict(EVENT, timestamp=stamp))
        with pytest.raises(WebhookRejected) as exc:
            parse_webhook(config(), raw, sig)
        assert exc.value.status == 400
    raw, sig = signed(dict(EVENT, event_name="follow", timestamp="1700000000000"))
    assert parse_webhook(config(), raw, sig) == []


def _send_in_own_loop(store, cfg, tmp_path, results, i):
    async def go():
        async with httpx.AsyncClient() as http:
            manager = TokenManager(store, cfg, http, tmp_path)
            await ZaloOASender(cfg, manager, http).send("u1", Part(f"tin {i}"))

    try:
        asyncio.run(go())
        results[i] = "ok"
    except Exception as exc:  # noqa: BLE001 - reported by the assertion below
        results[i] = repr(exc)


def test_two_workers_refused_at_once_refresh_once(tmp_path):
    with FakeZaloOA() as fake:
        store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
        cfg = config(fake)
        asyncio.run(_seed(store, cfg, tmp_path))
        fake.expire_access_token()
        fake.set_delay(0.2)  # both sends meet the expired token before either refreshes
        results = {}
        threads = [
            threading.Thread(target=_send_in_own_loop, args=(store, cfg, tmp_path, results, i)) for i in range(2)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results == {0: "ok", 1: "ok"}
        assert fake.refresh_count == 1 and len(fake.sent()) == 2


async def _seed(store, cfg, tmp_path):
    async with httpx.AsyncClient() as http:
        TokenManager(store, cfg, http, tmp_path)


def test_a_new_pair_in_the_environment_replaces_the_stored_one(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    asyncio.run(_seed(store, config(), tmp_path))
    asyncio.run(_seed(store, config(access_token="at-9", refresh_token="rt-9"), tmp_path))

    async def current():
        async with httpx.AsyncClient() as http:
            return await TokenManager(
                store, config(access_token="at-9", refresh_token="rt-9"), http, tmp_path
            ).access_token()

    assert asyncio.run(current())[0] == "at-9"


def test_first_start_without_tokens_is_a_clear_error(tmp_path):
    from connectors.channels.zalo_oa import TokenError

    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with pytest.raises(TokenError, match="ZALO_OA_ACCESS_TOKEN"):
        asyncio.run(_seed(store, config(access_token="", refresh_token=""), tmp_path))
