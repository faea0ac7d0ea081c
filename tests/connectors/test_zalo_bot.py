"""connectors.channels.zalo_bot: pictures, stickers, voice notes and unsupported messages become an Inbound of their
kind with text "" (a picture with its link, never one carrying the bot token), in webhook and polling mode; odd
shapes give messages or the channel's own 400; the secret-token check stays first."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.status import MessageKind
from connectors.channels.zalo_bot import ZaloBotClient, ZaloBotConfig, parse_update, parse_webhook
from connectors.messages import Inbound, WebhookRejected
from tests.fakes import FakeZaloBot

TOKEN = "123:abc"
SECRET = "bot-secret-123"
FAKE = FakeZaloBot(TOKEN)  # only its update builders (never started)
PHOTO = "https://f21-zpc.zdn.vn/jpg/1234567890/anh.jpg"


def config(api_base: str = "http://x") -> ZaloBotConfig:
    return ZaloBotConfig(token=TOKEN, secret_token=SECRET, api_base=api_base)


def webhook(update: dict) -> list[Inbound]:
    return parse_webhook(config(), json.dumps(update).encode(), SECRET)


@pytest.mark.parametrize(
    "event,fields,kind,url",
    [
        ("message.image.received", {"photo_url": PHOTO, "caption": "ảnh lỗi"}, MessageKind.IMAGE, PHOTO),
        ("message.image.received", {"photo": PHOTO}, MessageKind.IMAGE, PHOTO),  # the field openclaw reads
        ("message.sticker.received", {"sticker": "st-1", "url": "https://zalo-api.zadn.vn/st.png"},
         MessageKind.STICKER, ""),
        ("message.voice.received", {"voice_url": "https://voice-aac.zdn.vn/v.aac"}, MessageKind.VOICE,
         "https://voice-aac.zdn.vn/v.aac"),
        ("message.unsupported.received", {}, MessageKind.OTHER, ""),
        ("message.file.received", {"url": "https://f.zdn.vn/don.pdf"}, MessageKind.OTHER, ""),  # not documented
    ],
)  # fmt: skip
def test_non_text_events_become_their_kind(event, fields, kind, url):
    update = FAKE.make_event_update("c-7", event, message_id="m-7", **fields)
    expected = [Inbound("zalo-bot", "m-7", "c-7", "", kind, url)]
    assert webhook(update) == expected
    assert webhook({"ok": True, "result": update}) == expected  # the wrapped form too


def test_a_link_that_is_not_http_too_long_or_carries_the_token_is_dropped():
    carrying_token = f"https://bot-api.zaloplatforms.com/bot{TOKEN}/file.jpg"
    for bad in ("ftp://x/a.jpg", "javascript:alert(1)", "https://x/" + "a" * 1000, 42, None, ["https://x/a.jpg"],
                carrying_token, "https://x/a b.jpg", "https://x/\na.jpg"):  # fmt: skip
        [m] = webhook(FAKE.make_event_update("c-8", "message.image.received", message_id="m-8", photo_url=bad))
        assert (m.kind, m.media_url) == (MessageKind.IMAGE, "")


def test_a_non_text_message_without_chat_or_message_id_is_a_400_like_a_text_one():
    for field in ("chat", "message_id"):
        update = FAKE.make_event_update("c-9", "message.image.received", photo_url=PHOTO)
        del update["message"][field]
        with pytest.raises(WebhookRejected) as exc:
            webhook(update)
        assert exc.value.status == 400
    other = FAKE.make_event_update("c-9", "bot.added", message_id="m-9")  # not a message event: nothing
    assert webhook(other) == []


def test_the_secret_token_is_checked_before_anything_is_parsed():
    body = json.dumps(FAKE.make_event_update("c-10", "message.sticker.received")).encode()
    for header in (None, "", "wrong"):
        with pytest.raises(WebhookRejected) as exc:
            parse_webhook(config(), body, header)
        assert exc.value.status == 401


_odd = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8), st.lists(st.integers(), max_size=2),
                 st.dictionaries(st.text(max_size=4), st.integers(), max_size=2))  # fmt: skip
_events = st.sampled_from(["message.image.received", "message.sticker.received", "message.voice.received",
                           "message.unsupported.received", "message.text.received", "message.x.received",
                           "other"])  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(event=_events, field=st.sampled_from(["photo_url", "photo", "voice_url", "chat", "message_id", "text"]),
       odd=_odd)  # fmt: skip
def test_odd_shapes_give_messages_or_the_channels_own_400(event, field, odd):
    update = FAKE.make_event_update("c-11", event, message_id="m-11", text="chào")
    update["message"][field] = odd
    try:
        found = parse_update(update, TOKEN)
    except WebhookRejected as exc:
        assert exc.status == 400
        return
    for m in found:
        assert m.recipient and m.platform_id and (m.text.strip() if m.kind is MessageKind.TEXT else m.text == "")
        assert m.media_url == "" or (m.media_url.startswith("https://") and TOKEN not in m.media_url)


def test_polling_passes_non_text_messages_through():
    with FakeZaloBot(TOKEN) as fake:
        fake.push(fake.make_event_update("c-12", "message.image.received", message_id="m-12a", photo_url=PHOTO))
        fake.push(fake.make_event_update("c-12", "message.sticker.received", message_id="m-12b"))
        fake.push_update("c-12", "chào", message_id="m-12c")
        got: list[Inbound] = []

        async def go() -> None:
            stop = asyncio.Event()

            async def accept(message: Inbound) -> None:
                got.append(message)
                if len(got) == 3:
                    stop.set()

            async with httpx.AsyncClient() as http:
                client = ZaloBotClient(ZaloBotConfig(token=TOKEN, api_base=fake.url, polling=True), http)
                await asyncio.wait_for(client.poll(accept, stop, timeout=1), 20)

        asyncio.run(go())
        assert got == [
            Inbound("zalo-bot", "m-12a", "c-12", "", MessageKind.IMAGE, PHOTO),
            Inbound("zalo-bot", "m-12b", "c-12", "", MessageKind.STICKER),
            Inbound("zalo-bot", "m-12c", "c-12", "chào"),
        ]
