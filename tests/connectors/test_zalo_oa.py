"""connectors.channels.zalo_oa in-process: signatures, webhook parsing, and the token manager — two managers (as two
gateway processes would have) refused at once refresh exactly once; a new pair in the environment wins."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import httpx
import pytest
import requests

from bot.status import MessageKind
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
    for event in ("user_seen_message", "user_received_message", "user_click_link"):
        raw, sig = signed(dict(EVENT, event_name=event))
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
    raw, sig = signed(dict(EVENT, event_name="user_seen_message", timestamp="1700000000000"))
    assert parse_webhook(config(), raw, sig) == []


# --- voice notes, pictures, follows (the kinds of bot.status.MessageKind) ----------------------------------------


@pytest.mark.parametrize(
    "event,kind",
    [
        ("user_send_audio", MessageKind.VOICE),
        ("user_send_image", MessageKind.IMAGE),
        ("user_send_gif", MessageKind.IMAGE),
        ("user_send_video", MessageKind.VIDEO),
        ("user_send_sticker", MessageKind.STICKER),
        ("user_send_file", MessageKind.FILE),
        ("user_send_location", MessageKind.LOCATION),
        ("user_send_link", MessageKind.OTHER),
        ("user_send_business_card", MessageKind.OTHER),
    ],
)
def test_media_events_become_messages_of_their_kind_with_the_platforms_link(event, kind):
    fake = FakeZaloOA(app_id="app1")
    body = fake.make_media_event("u9", event, url="https://f.zdn.vn/x/1.jpg", msg_id="mm1")
    raw, sig = signed(body)
    [m] = parse_webhook(config(), raw, sig)
    assert (m.platform_id, m.recipient, m.text, m.kind, m.media_url) == (
        "mm1",
        "u9",
        "",
        kind,
        "https://f.zdn.vn/x/1.jpg",
    )
    assert m.conversation_id == "zalo-oa:u9"


@pytest.mark.parametrize(
    "url",
    [None, "javascript:alert(1)", "file:///etc/passwd", "ftp://x/y", "https://x/" + "a" * 1000, 42, ""],
)
def test_a_missing_or_unsafe_attachment_link_is_left_out(url):
    body = FakeZaloOA(app_id="app1").make_media_event("u9", "user_send_image", msg_id="mm2")
    if url is not None:
        body["message"]["attachments"][0]["payload"]["url"] = url
    raw, sig = signed(body)
    [m] = parse_webhook(config(), raw, sig)
    assert m.kind == MessageKind.IMAGE and m.media_url == ""
    raw, sig = signed(dict(body, message={"msg_id": "mm3", "attachments": "not a list"}))
    assert parse_webhook(config(), raw, sig)[0].media_url == ""


def test_a_media_event_without_msg_id_gets_a_stable_id_and_without_sender_is_refused():
    body = FakeZaloOA(app_id="app1").make_media_event("u9", "user_send_audio")
    del body["message"]["msg_id"]
    raw, sig = signed(body)
    first, again = parse_webhook(config(), raw, sig), parse_webhook(config(), raw, sig)
    assert first[0].platform_id == again[0].platform_id == f"user_send_audio:u9:{json.loads(raw)['timestamp']}"
    raw, sig = signed(dict(body, sender={}))
    with pytest.raises(WebhookRejected) as exc:
        parse_webhook(config(), raw, sig)
    assert exc.value.status == 400


@pytest.mark.parametrize("event,kind", [("follow", MessageKind.FOLLOW), ("unfollow", MessageKind.UNFOLLOW)])
def test_follow_and_unfollow_name_the_follower_and_are_checked_like_messages(event, kind):
    body = FakeZaloOA(app_id="app1").make_follow_event("u7", event)
    raw, sig = signed(body)
    [m] = parse_webhook(config(), raw, sig)
    assert (m.platform_id, m.recipient, m.text, m.kind) == (f"{event}:u7:{body['timestamp']}", "u7", "", kind)
    with pytest.raises(WebhookRejected) as bad:  # the same signature check
        parse_webhook(config(), raw, "f" * 64)
    assert bad.value.status == 401
    raw, sig = signed(dict(body, timestamp=str(now_ms() - 24 * 3600 * 1000)))  # a replayed day-old event
    with pytest.raises(WebhookRejected) as old:
        parse_webhook(config(), raw, sig)
    assert old.value.status == 403
    raw, sig = signed(dict(body, follower={"name": "no id"}))
    with pytest.raises(WebhookRejected) as no_id:
        parse_webhook(config(), raw, sig)
    assert no_id.value.status == 400


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


def test_two_gateways_starting_at_once_both_start(tmp_path, monkeypatch):
    """Both find no stored pair; the other gateway's insert lands between this one's look-up and its insert. The
    unique name turns the second insert away, and this gateway then reads the stored pair instead of dying (seen
    in the fault test on PostgreSQL: 'duplicate key value violates unique constraint')."""
    from connectors.channels import zalo_oa

    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    real = zalo_oa.TokenManager._seed_once
    calls = []

    def racing(self):
        if not calls:  # the other gateway stores the pair first, after this one looked and found nothing
            calls.append(1)
            real(self)
            raise zalo_oa.IntegrityError("INSERT", {}, Exception("duplicate key"))
        calls.append(2)
        real(self)

    monkeypatch.setattr(zalo_oa.TokenManager, "_seed_once", racing)
    asyncio.run(_seed(store, config(), tmp_path))
    assert calls == [1, 2]


def test_first_start_without_tokens_is_a_clear_error(tmp_path):
    from connectors.channels.zalo_oa import TokenError

    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with pytest.raises(TokenError, match="ZALO_OA_ACCESS_TOKEN"):
        asyncio.run(_seed(store, config(access_token="", refresh_token=""), tmp_path))


# --- through the real gateway process: the reply (or the effect) at the fake Zalo OA ------------------------------


@pytest.fixture(scope="module")
def gateway(fakes, tmp_path_factory):
    from tests.connectors.test_gateway import GatewayProcess, gateway_env

    data = tmp_path_factory.mktemp("gateway-oa-kinds")
    g = GatewayProcess(gateway_env(fakes, data), data).start()
    yield g
    g.stop()


def deliver(gateway, body: dict) -> requests.Response:
    from tests.connectors.test_gateway import OA_SECRET

    raw = json.dumps(body, ensure_ascii=False).encode()
    sig = FakeZaloOA.sign(body["app_id"], raw, body["timestamp"], OA_SECRET)
    headers = {"Content-Type": "application/json", "X-ZEvent-Signature": sig}
    return requests.post(f"{gateway.url}/webhooks/zalo-oa", data=raw, headers=headers, timeout=5)


def sent_to(fakes, user: str) -> list[dict]:
    return [b for b in fakes["oa"].sent() if b["recipient"]["user_id"] == user]


def events(gateway) -> list[tuple[str, str]]:
    with gateway.db() as db:
        return db.execute("select channel, kind from channel_events order by id").fetchall()


def inbox_rows(gateway, user: str, channel: str = "zalo-oa") -> list[tuple]:
    with gateway.db() as db:
        return db.execute(
            "select kind, media_url, status, text from inbox where conversation_id = ? order by id",
            (f"{channel}:{user}",),
        ).fetchall()


def test_a_voice_note_is_answered_through_rasas_non_text_intent_and_counted_once(gateway, fakes):
    from tests.connectors.test_gateway import wait_for

    body = fakes["oa"].make_media_event("u-voice", "user_send_audio", url="https://voice.zdn.vn/a.aac")
    assert deliver(gateway, body).status_code == 200
    assert deliver(gateway, body).status_code == 200  # Zalo retried the delivery: one reply, one count
    [reply] = wait_for(lambda: sent_to(fakes, "u-voice"), what="the reply to the voice note")
    # the fake Rasa echoes what it was sent (tests/fake_rasa.py): the gateway asked for the non_text intent
    assert reply["message"]["text"] == 'Đáp: /non_text{"kind": "voice"}'
    assert fakes["rasa"].messages_from("zalo-oa:u-voice") == ['/non_text{"kind": "voice"}']
    assert inbox_rows(gateway, "u-voice") == [("voice", "https://voice.zdn.vn/a.aac", "done", "")]
    time.sleep(0.5)
    assert len(sent_to(fakes, "u-voice")) == 1 and events(gateway).count(("zalo-oa", "voice")) == 1


def test_a_picture_is_answered_and_a_follower_is_greeted_with_the_menu(gateway, fakes):
    from tests.connectors.test_gateway import wait_for

    before = events(gateway)
    deliver(gateway, fakes["oa"].make_media_event("u-pic", "user_send_image", url="https://photo.zdn.vn/p.jpg"))
    wait_for(lambda: sent_to(fakes, "u-pic"), what="the reply to the picture")
    assert fakes["rasa"].messages_from("zalo-oa:u-pic") == ['/non_text{"kind": "image"}']
    deliver(gateway, fakes["oa"].make_follow_event("u-new", "follow"))
    [welcome] = wait_for(lambda: sent_to(fakes, "u-new"), what="the welcome to the new follower")
    assert fakes["rasa"].messages_from("zalo-oa:u-new") == ["/greet"]  # Rasa's greet rule: action_menu
    assert welcome["message"]["text"] == "Đáp: /greet" and welcome["message"]["attachment"]  # with its buttons
    assert events(gateway)[len(before) :] == [("zalo-oa", "image"), ("zalo-oa", "follow")]


def test_an_unfollow_ends_the_news_subscription_and_sends_nothing(gateway, fakes):
    from tests.connectors.test_gateway import wait_for

    gateway.queue_store.set_subscription("zalo-oa:u-gone", channel="zalo-oa", active=True)
    gateway.queue_store.set_subscription("zalo-oa:u-stays", channel="zalo-oa", active=True)
    assert deliver(gateway, fakes["oa"].make_follow_event("u-gone", "unfollow")).status_code == 200
    wait_for(lambda: inbox_rows(gateway, "u-gone") == [("unfollow", None, "done", "")], what="the unfollow handled")
    subscribed = {s["conversation_id"] for s in gateway.queue_store.subscribers("zalo-oa")}
    assert "zalo-oa:u-gone" not in subscribed and "zalo-oa:u-stays" in subscribed
    time.sleep(0.5)
    assert sent_to(fakes, "u-gone") == [] and fakes["rasa"].messages_from("zalo-oa:u-gone") == []
    with gateway.db() as db:
        assert db.execute("select count(*) from outbox where conversation_id = 'zalo-oa:u-gone'").fetchone() == (0,)
    assert events(gateway).count(("zalo-oa", "unfollow")) == 1


def test_a_picture_during_a_hand_off_is_held_for_the_team_with_its_link(gateway, fakes):
    from tests.connectors.test_gateway import wait_for

    with gateway.db() as db:
        db.execute(
            "insert into handoffs (requested_at, conversation_id, channel, user_hash, status, context, updated_at) "
            "values ('2026-11-22 00:00:00', 'zalo-oa:u-shot', 'zalo-oa', 'x', 'taken', '', '2026-11-22 00:00:00')"
        )
    deliver(gateway, fakes["oa"].make_media_event("u-shot", "user_send_image", url="https://photo.zdn.vn/err.png"))
    wait_for(lambda: [r[2] for r in inbox_rows(gateway, "u-shot")] == ["held"], what="the picture held")
    assert inbox_rows(gateway, "u-shot") == [("image", "https://photo.zdn.vn/err.png", "held", "")]
    assert fakes["rasa"].messages_from("zalo-oa:u-shot") == [] and sent_to(fakes, "u-shot") == []
