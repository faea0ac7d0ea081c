"""Zalo Bot Platform (the Telegram-like bot API): webhook with the secret-token header, long polling with
getUpdates for communes without a public HTTPS address, and sendMessage. There are no buttons on this
platform: menus are sent as numbered lists and the resident answers with the number.

API (docs/channels.md): POST {base}/bot<TOKEN>/<method> with JSON; envelope {"ok", "result"} or
{"ok": false, "error_code", "description"}; getUpdates returns one update per call (408 = no update);
webhook header X-Bot-Api-Secret-Token; text ≤ 2,000 characters. Webhook bodies may be flat or wrapped in
{"ok", "result"}: both are accepted.

Non-text messages become an Inbound of their kind with text "" (EVENT_KINDS; docs/channels.md says which event
names are confirmed and which assumed); a picture's link is kept as media_url. This platform documents no
follow/unfollow events.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from bot.retry import backoff, sleep_or_stop
from bot.status import MessageKind
from connectors.messages import (
    POLL_RETRY_BASE,
    POLL_RETRY_MAX,
    DeliveryError,
    Inbound,
    Limits,
    Part,
    WebhookRejected,
    check_secret_token,
    json_body,
    media_link,
    post_to_platform,
)

log = logging.getLogger(__name__)

CHANNEL = "zalo-bot"
LIMITS = Limits(max_text=2000, max_buttons=0)
# event_name → what the resident sent. Text, image, sticker and unsupported are the event names the research found
# in two independent clients (openclaw, zalobot-python); voice appears only in some SDKs. Any other
# `message.<x>.received` counts as OTHER, so a resident never goes unanswered; other events are skipped.
EVENT_KINDS = {
    "message.text.received": MessageKind.TEXT,
    "message.image.received": MessageKind.IMAGE,
    "message.sticker.received": MessageKind.STICKER,
    "message.voice.received": MessageKind.VOICE,
    "message.unsupported.received": MessageKind.OTHER,
}
# where a kind's link to the file may be, first found wins: `photo_url` (zalobot-python) or `photo` (openclaw,
# a URL string); `voice_url` (third-party SDKs only)
MEDIA_FIELDS = {MessageKind.IMAGE: ("photo_url", "photo"), MessageKind.VOICE: ("voice_url",)}


@dataclass(frozen=True)
class ZaloBotConfig:
    token: str
    secret_token: str = ""
    api_base: str = "https://bot-api.zaloplatforms.com"
    webhook_url: str = ""
    polling: bool = False

    def method_url(self, method: str) -> str:
        return f"{self.api_base}/bot{self.token}/{method}"


def event_kind(event_name: object) -> MessageKind | None:
    """What a `message.<x>.received` event carries (OTHER for an <x> not in EVENT_KINDS); None for other events."""
    if not isinstance(event_name, str):
        return None
    if event_name in EVENT_KINDS:
        return EVENT_KINDS[event_name]
    return MessageKind.OTHER if event_name.startswith("message.") and event_name.endswith(".received") else None


def parse_update(update: object, token: str = "") -> list[Inbound]:
    """A message update → one Inbound: text, or a picture, sticker… with text "" and the picture's link (never one
    containing `token`); other events → nothing. Raises WebhookRejected(400) for a body that is not an update, or a
    message without its chat id or message id (or a text message without text)."""
    if isinstance(update, dict) and "result" in update and "ok" in update:
        update = update["result"]
    if not isinstance(update, dict):
        raise WebhookRejected(400, "update is not a JSON object")
    message = update.get("message")
    if not isinstance(message, dict):
        raise WebhookRejected(400, "update without message")
    kind = event_kind(update.get("event_name"))
    if kind is None:
        return []
    chat = c if isinstance(c := message.get("chat"), dict) else {}
    chat_id, text, msg_id = chat.get("id"), message.get("text"), message.get("message_id")
    if kind is not MessageKind.TEXT:
        if not isinstance(chat_id, (str, int)) or msg_id in (None, ""):
            raise WebhookRejected(400, "message without chat id or message id")
        links = (media_link(message.get(name), token) for name in MEDIA_FIELDS.get(kind, ()))
        return [Inbound(CHANNEL, str(msg_id), str(chat_id), "", kind, next((u for u in links if u), ""))]
    if not isinstance(chat_id, (str, int)) or not isinstance(text, str) or not text.strip() or msg_id in (None, ""):
        raise WebhookRejected(400, "text message without chat id, text or message id")
    return [Inbound(CHANNEL, str(msg_id), str(chat_id), text)]


def parse_webhook(config: ZaloBotConfig, raw_body: bytes, secret_header: str | None) -> list[Inbound]:
    if not config.secret_token:
        raise WebhookRejected(403, "webhook mode is off (no ZALO_BOT_SECRET_TOKEN)")
    check_secret_token(secret_header, config.secret_token, 401, "X-Bot-Api-Secret-Token")
    return parse_update(json_body(raw_body), config.token)


class ZaloBotClient:
    channel = CHANNEL
    limits = LIMITS

    def __init__(self, config: ZaloBotConfig, http: httpx.AsyncClient):
        self.config = config
        self.http = http

    async def call(self, method: str, body: dict, timeout: float = 20) -> dict:
        status, data = await post_to_platform(
            self.http, CHANNEL, self.config.method_url(method), rate_limit_delay=30, json=body, timeout=timeout
        )
        return data if isinstance(data, dict) else {"ok": False, "error_code": status}

    async def send(self, recipient: str, part: Part) -> None:
        data = await self.call("sendMessage", {"chat_id": recipient, "text": part.text})
        if data.get("ok"):
            return
        code = data.get("error_code")
        if code in (401, 403):
            raise DeliveryError(f"zalo-bot refused ({code}): check ZALO_BOT_TOKEN", retry=True, delay=300)
        if code == 429:
            raise DeliveryError("zalo-bot rate limit", retry=True, delay=30)
        raise DeliveryError(f"zalo-bot error {code}: {data.get('description', '')}", retry=False)

    async def set_webhook(self) -> None:
        data = await self.call("setWebhook", {"url": self.config.webhook_url, "secret_token": self.config.secret_token})
        if not data.get("ok"):
            raise RuntimeError(f"zalo-bot setWebhook failed: {data}")

    async def poll(
        self, accept: Callable[[Inbound], Awaitable[object]], stop: asyncio.Event, timeout: int = 30
    ) -> None:
        """getUpdates until `stop` is set; each message goes to `accept` (which stores it). A webhook
        left from webhook mode is removed first: the two modes exclude each other."""
        try:
            await self.call("deleteWebhook", {})
        except DeliveryError as exc:
            log.warning("zalo-bot deleteWebhook before polling failed: %s", exc)
        failures = 0
        while not stop.is_set():
            try:
                data = await self.call("getUpdates", {"timeout": str(timeout)}, timeout=timeout + 10)
            except DeliveryError as exc:
                delay = backoff(failures, POLL_RETRY_BASE, POLL_RETRY_MAX)
                log.warning("zalo-bot polling: %s; retrying in %.0f s", exc, delay)
                await sleep_or_stop(stop, delay)
                failures += 1
                continue
            failures = 0
            if not data.get("ok"):
                if data.get("error_code") != 408:  # 408: no update within the timeout
                    log.warning("zalo-bot getUpdates: %s", data.get("description"))
                    await sleep_or_stop(stop, 5)
                continue
            try:
                for message in parse_update(data.get("result"), self.config.token):
                    await accept(message)
            except WebhookRejected as exc:
                log.warning("zalo-bot polling: skipped an update (%s)", exc.reason)
