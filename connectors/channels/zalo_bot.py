"""Zalo Bot Platform (the Telegram-like bot API): webhook with the secret-token header, long polling with
getUpdates for communes without a public HTTPS address, and sendMessage. There are no buttons on this
platform: menus are sent as numbered lists and the resident answers with the number.

API (docs/channels.md): POST {base}/bot<TOKEN>/<method> with JSON; envelope {"ok", "result"} or
{"ok": false, "error_code", "description"}; getUpdates returns one update per call (408 = no update);
webhook header X-Bot-Api-Secret-Token; text ≤ 2,000 characters. Webhook bodies may be flat or wrapped in
{"ok", "result"}: both are accepted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from bot.retry import backoff, sleep_or_stop
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
    post_to_platform,
)

log = logging.getLogger(__name__)

CHANNEL = "zalo-bot"
LIMITS = Limits(max_text=2000, max_buttons=0)


@dataclass(frozen=True)
class ZaloBotConfig:
    token: str
    secret_token: str = ""
    api_base: str = "https://bot-api.zaloplatforms.com"
    webhook_url: str = ""
    polling: bool = False

    def method_url(self, method: str) -> str:
        return f"{self.api_base}/bot{self.token}/{method}"


def parse_update(update: object) -> list[Inbound]:
    """A text message update → one Inbound; other events (images, stickers…) → nothing. Raises
    WebhookRejected(400) for a body that is not an update."""
    if isinstance(update, dict) and "result" in update and "ok" in update:
        update = update["result"]
    if not isinstance(update, dict):
        raise WebhookRejected(400, "update is not a JSON object")
    message = update.get("message")
    if not isinstance(message, dict):
        raise WebhookRejected(400, "update without message")
    if update.get("event_name") != "message.text.received":
        return []
    chat = c if isinstance(c := message.get("chat"), dict) else {}
    chat_id, text, msg_id = chat.get("id"), message.get("text"), message.get("message_id")
    if not isinstance(chat_id, (str, int)) or not isinstance(text, str) or not text.strip() or msg_id in (None, ""):
        raise WebhookRejected(400, "text message without chat id, text or message id")
    return [Inbound(CHANNEL, str(msg_id), str(chat_id), text)]


def parse_webhook(config: ZaloBotConfig, raw_body: bytes, secret_header: str | None) -> list[Inbound]:
    if not config.secret_token:
        raise WebhookRejected(403, "webhook mode is off (no ZALO_BOT_SECRET_TOKEN)")
    check_secret_token(secret_header, config.secret_token, 401, "X-Bot-Api-Secret-Token")
    return parse_update(json_body(raw_body))


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
        """getUpdates until `stop` is set; each text message goes to `accept` (which stores it). A webhook
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
                for message in parse_update(data.get("result")):
                    await accept(message)
            except WebhookRejected as exc:
                log.warning("zalo-bot polling: skipped an update (%s)", exc.reason)
