"""connectors.channels.telegram: what a resident sends besides text (voice notes, pictures, stickers, files,
locations…) becomes an Inbound of its kind with no link (Telegram's file URLs carry the bot token), /start is a
follow, blocking the bot an unfollow; both the webhook and getUpdates ask Telegram for `my_chat_member`; fuzzed
updates give messages or the channel's own 400."""

from __future__ import annotations

import asyncio
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from telegram import Bot

from bot.status import MessageKind
from connectors.channels.telegram import TelegramClient, TelegramConfig, parse_update
from connectors.messages import Inbound, WebhookRejected
from tests.fakes import FakeTelegram

FAKE = FakeTelegram()  # only its update builders (never started)
BOT = Bot(FAKE.token)


def parse(update: dict) -> list[Inbound]:
    messages, query_id = parse_update(update, BOT)
    assert query_id is None
    return messages


@pytest.mark.parametrize(
    "content,kind",
    [
        ("voice", MessageKind.VOICE),
        ("audio", MessageKind.VOICE),
        ("photo", MessageKind.IMAGE),
        ("animation", MessageKind.IMAGE),  # a GIF: also carries a `document`, still not a FILE
        ("video", MessageKind.VIDEO),
        ("video_note", MessageKind.VIDEO),
        ("sticker", MessageKind.STICKER),
        ("document", MessageKind.FILE),
        ("location", MessageKind.LOCATION),
        ("venue", MessageKind.LOCATION),
        ("contact", MessageKind.OTHER),
        ("poll", MessageKind.OTHER),
        ("dice", MessageKind.OTHER),
    ],
)
def test_non_text_messages_become_their_kind_without_a_link(content, kind):
    update = FAKE.make_content_update(501, content)
    assert parse(update) == [Inbound("telegram", str(update["update_id"]), "501", "", kind, "")]


def test_a_caption_is_not_taken_as_text_and_service_messages_give_nothing():
    update = FAKE.make_content_update(501, "photo", caption="ảnh lỗi trên cổng dịch vụ công")
    [m] = parse(update)
    assert (m.kind, m.text, m.media_url) == (MessageKind.IMAGE, "", "")
    assert parse(FAKE.make_content_update(-501, "joined")) == []  # someone joined a group


def test_start_is_a_follow_with_or_without_a_deep_link_and_other_commands_stay_text():
    for text, chat in (("/start", 502), ("/start thong-bao", 502), ("/start@troly_bot", -502)):
        update = FAKE.make_message_update(chat, text)
        assert parse(update) == [Inbound("telegram", str(update["update_id"]), str(chat), "", MessageKind.FOLLOW)]
    for text in ("/starter", "/menu", "start"):
        [m] = parse(FAKE.make_message_update(502, text))
        assert (m.kind, m.text) == (MessageKind.TEXT, text)


def test_blocking_the_bot_is_an_unfollow_and_other_member_changes_give_nothing():
    update = FAKE.make_member_update(503, "kicked")
    assert parse(update) == [Inbound("telegram", str(update["update_id"]), "503", "", MessageKind.UNFOLLOW)]
    assert parse(FAKE.make_member_update(503, "member", old_status="kicked")) == []  # unblocked: /start follows
    assert parse(FAKE.make_member_update(-503, "kicked")) == []  # removed from a group: no resident unfollowed
    assert parse(FAKE.make_member_update(-503, "left")) == []


def test_the_same_update_keeps_the_same_id():
    update = FAKE.make_content_update(504, "voice")
    assert parse(update)[0].platform_id == parse(json.loads(json.dumps(update)))[0].platform_id


_content = st.sampled_from(sorted(FakeTelegram.CONTENT))
_odd = st.one_of(st.none(), st.integers(), st.text(max_size=5), st.lists(st.integers(), max_size=2), st.just({}))


@settings(max_examples=200, deadline=None)
@given(content=_content, field=st.sampled_from(["voice", "photo", "sticker", "document", "location", "chat", "date"]),
       odd=_odd, member=st.booleans())  # fmt: skip
def test_odd_shapes_give_messages_or_the_channels_own_400(content, field, odd, member):
    update = FAKE.make_member_update(505, "kicked") if member else FAKE.make_content_update(505, content)
    (update["my_chat_member"] if member else update["message"])[field] = odd
    try:
        found = parse(update)
    except WebhookRejected as exc:
        assert exc.status == 400
        return
    assert all(isinstance(m.kind, MessageKind) and m.recipient and m.platform_id and m.media_url == "" for m in found)


# --- both modes ask Telegram for my_chat_member ----------------------------------------------------------


def test_webhook_mode_registers_my_chat_member_and_passes_it_through():
    with FakeTelegram() as fake:
        config = TelegramConfig(
            token=fake.token, secret_token="s3cret", api_base=fake.url, webhook_url="https://xa.example.vn/tg"
        )
        client = TelegramClient(config)
        asyncio.run(client.start())
        assert fake.webhook_url == "https://xa.example.vn/tg"
        assert set(fake.allowed_updates or []) >= {"message", "callback_query", "my_chat_member"}
        raw = json.dumps(fake.make_member_update(506, "kicked")).encode()
        with pytest.raises(WebhookRejected) as exc:
            client.parse_webhook(raw, "wrong")
        assert exc.value.status == 403
        [m], _ = client.parse_webhook(raw, "s3cret")
        assert (m.kind, m.recipient) == (MessageKind.UNFOLLOW, "506")


def test_polling_mode_asks_for_my_chat_member_and_passes_non_text_through():
    with FakeTelegram() as fake:
        client = TelegramClient(TelegramConfig(token=fake.token, api_base=fake.url, polling=True))
        voice = fake.push_update(fake.make_content_update(507, "voice"))
        start = fake.push_message(507, "/start")
        blocked = fake.push_update(fake.make_member_update(507, "kicked"))
        got: list[Inbound] = []

        async def go() -> None:
            stop = asyncio.Event()

            async def accept(message: Inbound) -> None:
                got.append(message)
                if len(got) == 3:
                    stop.set()

            await client.start()
            await asyncio.wait_for(client.poll(accept, stop, timeout=1), 20)

        asyncio.run(go())
        assert [(m.platform_id, m.kind) for m in got] == [
            (str(voice["update_id"]), MessageKind.VOICE),
            (str(start["update_id"]), MessageKind.FOLLOW),
            (str(blocked["update_id"]), MessageKind.UNFOLLOW),
        ]
        calls = fake.calls_to("/getUpdates")
        assert calls and all("my_chat_member" in json.loads(c.params()["allowed_updates"]) for c in calls)
