"""Voice notes, pictures, follows and unfollows through the real gateway process on Telegram (webhook mode), Zalo Bot
and Messenger, as tests/connectors/test_zalo_oa.py checks them for Zalo OA. The fake Rasa echoes what it is sent, so
a reply "Đáp: /non_text{…}" or "Đáp: /greet" at the fake platform names the path the gateway took. Each webhook is
delivered twice (a platform retrying): one reply, one inbox row, one count in channel_events.

What each platform has: Telegram /start is a follow and blocking the bot an unfollow; Messenger's "Get Started"
postback is a follow and there is no unfollow webhook; the Zalo Bot Platform documents neither."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import count

import pytest
import requests

from tests.connectors.test_gateway import BOT_SECRET, GatewayProcess, gateway_env, post_tg, wait_for
from tests.connectors.test_zalo_oa import events, inbox_rows
from tests.fakes import FakeMessenger

MESSENGER_SECRET = "messenger-app-secret"
MENU = ["Tiếp theo", "Về menu"]  # the two buttons of every fake Rasa reply
_ids = count(1)

Body = Callable[[str], dict]


@dataclass
class Channel:
    """One platform as the tests drive it: how a webhook is delivered, the bodies it sends, and what reached it."""

    name: str
    deliver: Callable[[GatewayProcess, dict], requests.Response]
    voice: Body
    picture: Body
    links: dict[str, str]  # kind → the link the gateway keeps for the team ("" where the platform gives none)
    replies: Callable[[str], list[tuple[str, list[str]]]]  # a user's replies at the fake: (text, button titles)
    follow: Body | None = None
    unfollow: Body | None = None

    def new_user(self) -> str:
        n = next(_ids)
        return str(880000 + n) if self.name == "telegram" else f"{self.name}-u{n}"  # Telegram chat ids are numbers


def numbered_titles(text: str) -> list[str]:
    return re.findall(r"^\d+\. (.+)$", text, re.MULTILINE)  # connectors.render.numbered


@pytest.fixture(scope="module")
def graph():
    fake = FakeMessenger(app_secret=MESSENGER_SECRET).start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def gateway(fakes, graph, tmp_path_factory):
    data = tmp_path_factory.mktemp("gateway-kinds")
    env = gateway_env(
        fakes,
        data,
        MESSENGER_PAGE_ACCESS_TOKEN=graph.page_access_token,
        MESSENGER_APP_SECRET=MESSENGER_SECRET,
        MESSENGER_VERIFY_TOKEN="verify-me",
        MESSENGER_API_BASE=graph.url,
    )
    g = GatewayProcess(env, data).start()
    yield g
    g.stop()


@pytest.fixture(scope="module")
def channels(fakes, graph) -> dict[str, Channel]:
    tg, zbot = fakes["tg"], fakes["bot"]

    def post_bot(gateway: GatewayProcess, body: dict) -> requests.Response:
        headers = {"X-Bot-Api-Secret-Token": BOT_SECRET}
        return requests.post(f"{gateway.url}/webhooks/zalo-bot", json=body, headers=headers, timeout=5)

    def post_messenger(gateway: GatewayProcess, body: dict) -> requests.Response:
        raw = json.dumps(body, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": graph.sign(MESSENGER_SECRET, raw)}
        return requests.post(f"{gateway.url}/webhooks/messenger", data=raw, headers=headers, timeout=5)

    voice_url, photo_url = "https://files.example.vn/voice/1.m4a", "https://files.example.vn/photo/1.jpg"
    return {
        "telegram": Channel(
            "telegram",
            deliver=post_tg,
            voice=lambda u: tg.make_content_update(int(u), "voice"),
            picture=lambda u: tg.make_content_update(int(u), "photo"),
            links={"voice": "", "image": ""},  # Telegram's file links carry the bot token: never kept
            replies=lambda u: [
                (b["text"], [row[0]["text"] for row in b.get("reply_markup", {}).get("inline_keyboard", [])])
                for b in tg.sent()
                if str(b["chat_id"]) == u
            ],
            follow=lambda u: tg.make_message_update(int(u), "/start"),
            unfollow=lambda u: tg.make_member_update(int(u), "kicked"),
        ),
        "zalo-bot": Channel(
            "zalo-bot",
            deliver=post_bot,
            voice=lambda u: zbot.make_event_update(u, "message.voice.received", voice_url=voice_url),
            picture=lambda u: zbot.make_event_update(u, "message.image.received", photo_url=photo_url),
            links={"voice": voice_url, "image": photo_url},
            replies=lambda u: [(b["text"], numbered_titles(b["text"])) for b in zbot.sent() if str(b["chat_id"]) == u],
        ),
        "messenger": Channel(
            "messenger",
            deliver=post_messenger,
            voice=lambda u: graph.attachment_event(u, FakeMessenger.attachment("audio", voice_url)),
            picture=lambda u: graph.attachment_event(u, FakeMessenger.attachment("image", photo_url)),
            links={"voice": voice_url, "image": photo_url},
            replies=lambda u: [
                (b["message"]["text"], [q["title"] for q in b["message"].get("quick_replies", [])])
                for b in graph.sent()
                if b["recipient"]["id"] == u
            ],
            # an older postback without `mid`: told apart by its timestamp, so Meta's retry is still the same event
            follow=lambda u: graph.event(u, postback={"title": "Bắt đầu", "payload": "GET_STARTED"}),
        ),
    }


def deliver_twice(gateway: GatewayProcess, channel: Channel, body: dict) -> None:
    for _ in range(2):  # the platform did not see the first acknowledgement and sent the webhook again
        assert channel.deliver(gateway, body).status_code == 200


@pytest.mark.parametrize("kind", ["voice", "image"])
@pytest.mark.parametrize("name", ["telegram", "zalo-bot", "messenger"])
def test_a_voice_note_or_picture_is_answered_through_rasas_non_text_intent_once(gateway, fakes, channels, name, kind):
    channel, before = channels[name], events(gateway)
    user = channel.new_user()
    deliver_twice(gateway, channel, channel.voice(user) if kind == "voice" else channel.picture(user))
    [(text, buttons)] = wait_for(lambda: channel.replies(user), what=f"the reply to the {kind} on {name}")
    payload = "/non_text" + json.dumps({"kind": kind})
    assert text.startswith(f"Đáp: {payload}") and buttons == MENU  # the polite reply and the menu, as Rasa gave them
    assert fakes["rasa"].messages_from(f"{name}:{user}") == [payload]
    assert inbox_rows(gateway, user, name) == [(kind, channel.links[kind] or None, "done", "")]
    time.sleep(0.5)  # a duplicate would have been answered by now
    assert len(channel.replies(user)) == 1 and events(gateway)[len(before) :] == [(name, kind)]


@pytest.mark.parametrize("name", ["telegram", "messenger"])
def test_a_new_follower_is_greeted_with_the_menu_once(gateway, fakes, channels, name):
    channel, before = channels[name], events(gateway)
    user = channel.new_user()
    assert channel.follow is not None
    deliver_twice(gateway, channel, channel.follow(user))
    [(text, buttons)] = wait_for(lambda: channel.replies(user), what=f"the welcome on {name}")
    assert (text, buttons) == ("Đáp: /greet", MENU)  # Rasa's greet rule: action_menu
    assert fakes["rasa"].messages_from(f"{name}:{user}") == ["/greet"]
    assert inbox_rows(gateway, user, name) == [("follow", None, "done", "")]
    time.sleep(0.5)
    assert len(channel.replies(user)) == 1 and events(gateway)[len(before) :] == [(name, "follow")]


@pytest.mark.parametrize("name", ["telegram"])
def test_an_unfollow_ends_the_news_subscription_and_sends_nothing(gateway, fakes, channels, name):
    channel, before = channels[name], events(gateway)
    gone, stays = channel.new_user(), channel.new_user()
    for user in (gone, stays):
        gateway.queue_store.set_subscription(f"{name}:{user}", channel=name, active=True)
    assert channel.unfollow is not None
    deliver_twice(gateway, channel, channel.unfollow(gone))
    wait_for(lambda: inbox_rows(gateway, gone, name) == [("unfollow", None, "done", "")], what="the unfollow handled")
    subscribed = {s["conversation_id"] for s in gateway.queue_store.subscribers(name)}
    assert f"{name}:{gone}" not in subscribed and f"{name}:{stays}" in subscribed
    time.sleep(0.5)
    assert channel.replies(gone) == [] and fakes["rasa"].messages_from(f"{name}:{gone}") == []
    with gateway.db() as db:
        queued = db.execute("select count(*) from outbox where conversation_id = ?", (f"{name}:{gone}",)).fetchone()
    assert queued == (0,)
    assert events(gateway)[len(before) :] == [(name, "unfollow")]
