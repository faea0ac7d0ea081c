"""connectors.channels.messenger: the subscription check, X-Hub-Signature-256, parsing (texts, quick replies,
postbacks, echoes and receipts skipped; fuzzed), quick replies within Meta's limits, the Send API's errors as
retry / refresh / undeliverable against a fake Graph API, the 24-hour window for the team and news, and the real
gateway process: a message in, its reply at the fake Graph API exactly once."""

from __future__ import annotations

import asyncio
import datetime as _dt
import json
import logging
import os
import time
import types

import httpx
import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from bot.clock import utcnow
from bot.config import Settings, SettingsError
from bot.status import MessageKind, Origin
from bot.store.schema import inbox
from bot.team.desk import DeskError
from connectors.channels.messenger import (
    GET_STARTED_PAYLOAD,
    LIMITS,
    MessengerConfig,
    MessengerSender,
    check_signature,
    parse_webhook,
    verify_subscription,
)
from connectors.config import GatewayConfig
from connectors.desk import GatewayDesk
from connectors.messages import DeliveryError, Inbound, Part, WebhookRejected
from connectors.queue import MessageQueue
from connectors.render import NUMBER_HINT, render_for
from tests.fake_rasa import FakeRasa
from tests.fakes import FakeMessenger, free_port

SECRET = "app-secret"
VERIFY = "verify-me"


def config(api_base: str = "http://x") -> MessengerConfig:
    return MessengerConfig(page_access_token="page-token", app_secret=SECRET, verify_token=VERIFY, api_base=api_base)


def raw(body: dict) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()


FAKE = FakeMessenger()  # only its body builders (never started)


# --- webhook -----------------------------------------------------------------------------------------


def test_subscription_check_echoes_the_challenge_only_for_our_token():
    ok = {"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"}
    assert verify_subscription(config(), ok) == "1158201444"
    for bad in (
        ok | {"hub.verify_token": "verify-mf"},
        ok | {"hub.mode": "unsubscribe"},
        {k: v for k, v in ok.items() if k != "hub.verify_token"},
        {},
    ):
        with pytest.raises(WebhookRejected) as exc:
            verify_subscription(config(), bad)
        assert exc.value.status == 403


def test_signature_good_bad_missing():
    body = raw(FAKE.event("psid1", text="xin chào"))
    check_signature(config(), body, FakeMessenger.sign(SECRET, body))
    check_signature(config(), body, FakeMessenger.sign(SECRET, body).upper().replace("SHA256=", "sha256="))
    for sig in (None, "", "sha256=" + "0" * 64, FakeMessenger.sign("another-secret", body), "deadbeef"):
        with pytest.raises(WebhookRejected) as exc:
            check_signature(config(), body, sig)
        assert exc.value.status == 403
    with pytest.raises(WebhookRejected):  # the body changed after signing
        check_signature(config(), body + b" ", FakeMessenger.sign(SECRET, body))


def test_text_quick_reply_and_postback_are_parsed():
    [m] = parse_webhook(raw(FAKE.event("psid1", text="xin chào", mid="m_1")))
    assert (m.channel, m.platform_id, m.recipient, m.text) == ("messenger", "m_1", "psid1", "xin chào")
    [q] = parse_webhook(raw(FAKE.event("psid1", text="Về menu", mid="m_2", quick_reply={"payload": "/menu"})))
    assert (q.platform_id, q.text) == ("m_2", "/menu")
    body = FAKE.event("psid1", postback={"title": "Bắt đầu", "payload": "/greet", "mid": "m_3"})
    [p] = parse_webhook(raw(body))
    assert (p.platform_id, p.text) == ("m_3", "/greet")
    old_postback = FAKE.event("psid1", postback={"title": "Bắt đầu", "payload": "/greet"})
    [o] = parse_webhook(raw(old_postback))
    assert o.text == "/greet" and o.platform_id.startswith("postback:psid1:")


def test_echoes_receipts_and_other_objects_give_nothing():
    assert parse_webhook(raw(FAKE.event("page1", text="Đáp: chào", is_echo=True, app_id=1))) == []
    echoed = FAKE.attachment_event("page1", FAKE.attachment("image", "https://x/a.jpg"), is_echo=True)
    assert parse_webhook(raw(echoed)) == []  # the page's own picture
    assert parse_webhook(raw(FAKE.event("psid1", delivery={"mids": ["m_1"], "watermark": 1}))) == []
    assert parse_webhook(raw(FAKE.event("psid1", read={"watermark": 1}))) == []
    assert parse_webhook(raw(FAKE.event("psid1", text="hi") | {"object": "instagram"})) == []


CDN = "https://scontent.xx.fbcdn.net/v/t1.15752-9/123_456_n.jpg?_nc_cat=1&oh=00_AbC&oe=6650A1B2"


@pytest.mark.parametrize(
    "attachments,fields,kind,url",
    [
        ([FAKE.attachment("audio", CDN)], {}, MessageKind.VOICE, CDN),  # a voice note
        ([FAKE.attachment("image", CDN)], {}, MessageKind.IMAGE, CDN),
        ([FAKE.attachment("video", CDN)], {}, MessageKind.VIDEO, CDN),
        ([FAKE.attachment("file", CDN)], {}, MessageKind.FILE, CDN),
        # a sticker: `image` with sticker_id (until August 2026), both types during the transition, `sticker` after
        ([FAKE.attachment("image", CDN, sticker_id=369239263222822)], {"sticker_id": 369239263222822},
         MessageKind.STICKER, CDN),
        ([FAKE.attachment("image", "https://x/i.png"), FAKE.attachment("sticker", CDN, sticker_id=1)], {},
         MessageKind.STICKER, CDN),
        ([FAKE.attachment("sticker", CDN, sticker_id=1)], {}, MessageKind.STICKER, CDN),
        ([FAKE.attachment("location", coordinates={"lat": 22.66, "long": 106.25})], {}, MessageKind.LOCATION, ""),
        ([{"type": "fallback", "title": "Cổng dịch vụ công", "url": "https://dichvucong.gov.vn",
           "payload": {"url": "https://dichvucong.gov.vn"}}], {}, MessageKind.OTHER, ""),  # a shared link: no file
        ([{"type": "fallback"}], {}, MessageKind.OTHER, ""),  # an unsupported share: no payload
        ([FAKE.attachment("template", template_type="generic")], {}, MessageKind.OTHER, ""),
        ([FAKE.attachment("ig_post", CDN)], {}, MessageKind.OTHER, ""),  # a type not mapped: OTHER
        ([FAKE.attachment("image", CDN), FAKE.attachment("image", "https://x/2.jpg")], {}, MessageKind.IMAGE, CDN),
    ],
)  # fmt: skip
def test_attachments_become_their_kind_with_their_link(attachments, fields, kind, url):
    body = FAKE.attachment_event("psid1", *attachments, mid="m_at", **fields)
    assert parse_webhook(raw(body)) == [Inbound("messenger", "m_at", "psid1", "", kind, url)]


def test_text_with_an_attachment_stays_text_and_bad_links_are_dropped():
    body = FAKE.attachment_event("psid1", {"type": "fallback", "payload": {"url": CDN}}, mid="m_t", text="xem này")
    assert parse_webhook(raw(body)) == [Inbound("messenger", "m_t", "psid1", "xem này")]
    for bad in (None, 42, ["x"], {"u": 1}, "", "ftp://x/a.jpg", "https://x/" + "a" * 1000, "javascript:alert(1)"):
        [m] = parse_webhook(raw(FAKE.attachment_event("psid1", {"type": "image", "payload": {"url": bad}})))
        assert (m.kind, m.media_url) == (MessageKind.IMAGE, "")


def test_odd_attachments_are_skipped_like_any_odd_event():
    for attachments in ([], [None, 3, "image"], [{"payload": {"url": CDN}}], [{"type": 5}], [{"type": ""}]):
        assert parse_webhook(raw(FAKE.attachment_event("psid1", *attachments))) == []
    for not_a_list in ("image", {"type": "image"}, 7, None):
        assert parse_webhook(raw(FAKE.event("psid1", message={"mid": "m_x", "attachments": not_a_list}))) == []
    no_mid = FAKE.event("psid1", message={"attachments": [FAKE.attachment("image", CDN)]})
    assert parse_webhook(raw(no_mid)) == []
    # a payload that is not an object: the kind is still known, without a link
    [m] = parse_webhook(raw(FAKE.attachment_event("psid1", {"type": "audio", "payload": "x"}, mid="m_p")))
    assert (m.kind, m.media_url) == (MessageKind.VOICE, "")


def test_get_started_is_a_follow_and_other_postbacks_stay_text():
    body = FAKE.event("psid1", postback={"title": "Bắt đầu", "payload": GET_STARTED_PAYLOAD, "mid": "m_gs"})
    assert parse_webhook(raw(body)) == [Inbound("messenger", "m_gs", "psid1", "", MessageKind.FOLLOW)]
    [old] = parse_webhook(raw(FAKE.event("psid1", postback={"title": "Bắt đầu", "payload": "GET_STARTED"})))
    assert old.kind is MessageKind.FOLLOW and old.platform_id.startswith("postback:psid1:")
    [other] = parse_webhook(raw(FAKE.event("psid1", postback={"title": "Menu", "payload": "/menu", "mid": "m_pm"})))
    assert (other.kind, other.text) == (MessageKind.TEXT, "/menu")
    # a resident typing the words is not tapping the button
    [typed] = parse_webhook(raw(FAKE.event("psid1", text="GET_STARTED", mid="m_ty")))
    assert (typed.kind, typed.text) == (MessageKind.TEXT, "GET_STARTED")


def test_a_batch_keeps_its_good_events_when_one_is_odd():
    body = FAKE.event("psid1", text="một", mid="m_a")
    body["entry"][0]["messaging"] += [{"sender": "nobody"}, {"sender": {"id": "psid2"}, "message": {"text": "hai"}}]
    body["entry"].append({"messaging": [FAKE.event("psid3", text="ba", mid="m_c")["entry"][0]["messaging"][0]]})
    assert [(m.recipient, m.text) for m in parse_webhook(raw(body))] == [("psid1", "một"), ("psid3", "ba")]


def test_a_body_that_is_not_a_json_object_is_a_400():
    for body in (b"not json", b"\xff\xfe", b"[]", b"42", b"null"):
        with pytest.raises(WebhookRejected) as exc:
            parse_webhook(body)
        assert exc.value.status == 400


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
_keys = st.sampled_from(["object", "entry", "messaging", "sender", "id", "message", "mid", "text", "is_echo",
                         "quick_reply", "payload", "postback", "timestamp", "delivery", "read", "attachments",
                         "type", "url", "sticker_id"])  # fmt: skip
_shaped = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=6) | st.just("page"),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=5),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(_json.map(lambda v: json.dumps(v).encode()), _shaped.map(lambda v: json.dumps(v).encode()),
                 st.binary(max_size=64)))  # fmt: skip
def test_fuzzed_bodies_give_messages_or_the_channels_own_error(body):
    try:
        found = parse_webhook(body)
    except WebhookRejected as exc:
        assert exc.status == 400
        return
    for m in found:
        assert isinstance(m, Inbound) and m.recipient and m.platform_id
        assert m.text.strip() if m.kind is MessageKind.TEXT else m.text == ""
        assert m.media_url == "" or m.media_url.startswith(("http://", "https://"))


# --- rendering ---------------------------------------------------------------------------------------


def test_buttons_become_quick_replies_within_the_limits_else_a_numbered_list():
    buttons = [{"title": f"Mục {i}", "payload": f"/opt{i}"} for i in range(1, 14)]
    [part] = render_for(LIMITS, "Chọn:", buttons)
    assert len(part.buttons) == 13
    body = MessengerSender.body("psid1", part)
    assert body["messaging_type"] == "RESPONSE" and len(body["message"]["quick_replies"]) == 13
    assert body["message"]["quick_replies"][0] == {"content_type": "text", "title": "Mục 1", "payload": "/opt1"}
    [part] = render_for(LIMITS, "Chọn:", [*buttons, {"title": "Mục 14", "payload": "/opt14"}])
    assert part.buttons == [] and NUMBER_HINT in part.text and "14. Mục 14" in part.text
    long_title = [{"title": "Tra cứu hồ sơ trực tuyến", "payload": "/a"}, {"title": "Menu", "payload": "/m"}]
    [part] = render_for(LIMITS, "Chọn:", long_title)  # 24 characters: over Messenger's 20
    assert part.buttons == [] and "1. Tra cứu hồ sơ trực tuyến" in part.text


def test_long_text_is_split_under_2000_characters():
    text = "Đây là một câu khá dài để thử chia tin nhắn cho Messenger. " * 80
    parts = render_for(LIMITS, text)
    assert len(parts) >= 3 and all(len(p.text) <= 2000 for p in parts)


# --- sending and the Send API's errors ----------------------------------------------------------------


def send(fake: FakeMessenger, part: Part, token: str = "page-token") -> None:
    async def go():
        async with httpx.AsyncClient() as http:
            cfg = MessengerConfig(page_access_token=token, app_secret=SECRET, verify_token=VERIFY, api_base=fake.url)
            await MessengerSender(cfg, http).send("psid1", part)

    asyncio.run(go())


def test_a_reply_goes_to_the_send_api_with_the_page_token():
    with FakeMessenger() as fake:
        send(fake, Part("Dạ, chào anh/chị.", [{"title": "Về menu", "payload": "/menu"}]))
        [call] = fake.calls_to("/me/messages")
        assert call.query["access_token"] == ["page-token"]
        assert fake.sent() == [
            {
                "recipient": {"id": "psid1"},
                "messaging_type": "RESPONSE",
                "message": {
                    "text": "Dạ, chào anh/chị.",
                    "quick_replies": [{"content_type": "text", "title": "Về menu", "payload": "/menu"}],
                },
            }
        ]


@pytest.mark.parametrize(
    "code,subcode,status,retry,words",
    [
        (613, None, 400, True, "rate limit"),
        (4, None, 400, True, "request limit"),
        (2, None, 400, True, "temporary"),
        (1200, None, 400, True, "temporary send"),
        (1, None, 500, True, "HTTP 500"),
        (10, 2018278, 400, False, "24-hour"),
        (551, None, 400, False, "not available"),
        (100, 2018001, 400, False, "no matching user"),
        (10, 2018108, 400, False, "may not message"),
    ],
)
def test_send_api_errors_are_mapped(code, subcode, status, retry, words):
    with FakeMessenger() as fake:
        fake.force_error(code, subcode, status=status)
        with pytest.raises(DeliveryError) as exc:
            send(fake, Part("chào"))
        assert exc.value.retry is retry and words in str(exc.value)
        assert fake.sent() == []


def test_a_refused_page_token_waits_for_a_new_one_with_a_clear_log_line(caplog):
    with FakeMessenger() as fake, caplog.at_level(logging.ERROR, logger="connectors.channels.messenger"):
        with pytest.raises(DeliveryError) as exc:
            send(fake, Part("chào"), token="expired-token")
        assert exc.value.retry and exc.value.delay == 300 and "190" in str(exc.value)
        assert any("MESSENGER_PAGE_ACCESS_TOKEN" in r.getMessage() for r in caplog.records)


# --- settings ------------------------------------------------------------------------------------------


def test_settings_turn_messenger_on_and_refuse_a_token_without_its_secrets(tmp_path):
    env = {
        "TROLYSO_DATA_DIR": str(tmp_path),
        "MESSENGER_PAGE_ACCESS_TOKEN": "t",
        "MESSENGER_APP_SECRET": "s",
        "MESSENGER_VERIFY_TOKEN": "v",
        "MESSENGER_API_BASE": "http://127.0.0.1:9/v19.0/",
    }
    gc = GatewayConfig.from_settings(Settings.from_env(env))
    assert gc.messenger == MessengerConfig("t", "s", "v", "http://127.0.0.1:9/v19.0") and "messenger" in gc.enabled()
    assert GatewayConfig.from_settings(Settings.from_env({"TROLYSO_DATA_DIR": str(tmp_path)})).messenger is None
    for missing in ("MESSENGER_APP_SECRET", "MESSENGER_VERIFY_TOKEN"):
        with pytest.raises(SettingsError, match=missing):
            Settings.from_env({k: v for k, v in env.items() if k != missing})


# --- the 24-hour window for team replies and news --------------------------------------------------------


def test_team_replies_and_news_outside_the_24_hour_window_are_refused_with_the_reason(store, tmp_path):
    queue = MessageQueue(store)
    gateway = types.SimpleNamespace(
        queue=queue,
        config=GatewayConfig(messenger=config()),
        senders={"messenger": MessengerSender(config(), None)},  # type: ignore[arg-type]
        settings=Settings.from_env({"TROLYSO_DATA_DIR": str(tmp_path)}),
        worker=None,
    )
    desk = GatewayDesk(gateway, asyncio.new_event_loop())
    never = desk.reach("messenger:psid-new")
    assert not never.ok and "Messenger" in never.reason
    queue.accept(Inbound("messenger", "m_1", "psid1", "chào"))
    queue.accept(Inbound("messenger", "m_2", "psid2", "chào"))
    with store.engine.begin() as conn:
        conn.execute(
            update(inbox)
            .where(inbox.c.recipient == "psid2")
            .values(received_at=utcnow() - _dt.timedelta(hours=24, minutes=1))
        )
    assert desk.reach("messenger:psid1").ok
    late = desk.reach("messenger:psid2")
    assert not late.ok and "24 giờ" in late.reason
    assert desk.reachable(["messenger:psid1", "messenger:psid2"]) == ["messenger:psid1"]
    with pytest.raises(DeskError, match="24 giờ"):
        desk.send("messenger:psid2", "Dạ, cán bộ xã trả lời anh/chị.", Origin.TEAM)
    assert desk.send("messenger:psid1", "Dạ, cán bộ xã trả lời anh/chị.", Origin.TEAM)


# --- the real gateway process ----------------------------------------------------------------------------


@pytest.fixture
def live(tmp_path):
    from tests.connectors.test_gateway import GatewayProcess

    graph, rasa = FakeMessenger(app_secret=SECRET).start(), FakeRasa().up()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZALO_", "TELEGRAM_", "MESSENGER_"))}
    env.update(
        {
            "TROLYSO_DATA_DIR": str(tmp_path),
            "TROLYSO_GATEWAY_PORT": str(free_port()),
            "TROLYSO_RASA_URL": rasa.url,
            "TROLYSO_RETRY_BASE": "0.1",
            "TROLYSO_RETRY_MAX": "0.5",
            "MESSENGER_PAGE_ACCESS_TOKEN": graph.page_access_token,
            "MESSENGER_APP_SECRET": SECRET,
            "MESSENGER_VERIFY_TOKEN": VERIFY,
            "MESSENGER_API_BASE": graph.url,
        }
    )
    g = GatewayProcess(env, tmp_path).start()
    yield g, graph
    g.stop()
    graph.stop()
    rasa.down()


def post(g, body: bytes, signature: str | None) -> requests.Response:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return requests.post(f"{g.url}/webhooks/messenger", data=body, headers=headers, timeout=5)


@pytest.mark.process
def test_the_gateway_process_verifies_checks_signatures_and_answers_once(live):
    from tests.connectors.test_gateway import wait_for

    g, graph = live
    ok = {"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "314159"}
    r = requests.get(f"{g.url}/webhooks/messenger", params=ok, timeout=5)
    assert (r.status_code, r.text) == (200, "314159")
    bad = requests.get(f"{g.url}/webhooks/messenger", params=ok | {"hub.verify_token": "nope"}, timeout=5)
    assert bad.status_code == 403 and "314159" not in bad.text

    before = g.inbox_count()
    body = raw(graph.event("psid-bad", text="xin chào"))
    for sig in (None, "sha256=" + "0" * 64, FakeMessenger.sign("other", body)):
        assert post(g, body, sig).status_code == 403
    assert g.inbox_count() == before

    body = raw(graph.event("psid-live", text="xin chào", mid="m_live"))
    for _ in range(3):  # Meta retries a delivery it did not see acknowledged: the same mid, stored once
        assert post(g, body, FakeMessenger.sign(SECRET, body)).status_code == 200
    wait_for(lambda: graph.sent(), what="reply at the fake Graph API")
    quick = raw(graph.event("psid-live", text="Về menu", mid="m_q", quick_reply={"payload": "/menu"}))
    assert post(g, quick, FakeMessenger.sign(SECRET, quick)).status_code == 200
    wait_for(lambda: len(graph.sent()) >= 2, what="the quick reply's answer")
    time.sleep(0.8)  # a duplicate would have been answered by now
    texts = [b["message"]["text"] for b in graph.sent()]
    assert texts == ["Đáp: xin chào", "Đáp: /menu"]
    assert g.inbox_count("messenger:psid-live") == 2 and g.inbox_count("messenger:psid-bad") == 0
    first = graph.sent()[0]
    assert first["recipient"] == {"id": "psid-live"} and first["messaging_type"] == "RESPONSE"
    assert [q["payload"] for q in first["message"]["quick_replies"]] == ["/next_step", "/menu"]
