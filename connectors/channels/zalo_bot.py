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
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from connectors.messages import DeliveryError, Inbound, Limits, Part, WebhookRejected

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
    chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
    chat_id, text, msg_id = chat.get("id"), message.get("text"), message.get("message_id")
    if not isinstance(chat_id, (str, int)) or not isinstance(text, str) or not text.strip() or msg_id in (None, ""):
        raise WebhookRejected(400, "text message without chat id, text or message id")
    return [Inbound(CHANNEL, str(msg_id), str(chat_id), text)]


def parse_webhook(config: ZaloBotConfig, raw_body: bytes, secret_header: str | None) -> list[Inbound]:
    if not config.secret_token:
        raise WebhookRejected(403, "webhook mode is off (no ZALO_BOT_SECRET_TOKEN)")
    if not secret_header or not hmac.compare_digest(secret_header.encode(), config.secret_token.encode()):
        raise WebhookRejected(401, "bad or missing X-Bot-Api-Secret-Token")
    try:
        body = json.loads(raw_body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise WebhookRejected(400, "body is not JSON") from None
    return parse_update(body)


class ZaloBotClient:
    channel = CHANNEL
    limits = LIMITS

    def __init__(self, config: ZaloBotConfig, http: httpx.AsyncClient):
        self.config = config
        self.http = http

    async def call(self, method: str, body: dict, timeout: float = 20) -> dict:
        try:
            resp = await self.http.post(self.config.method_url(method), json=body, timeout=timeout)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"zalo-bot unreachable: {exc.__class__.__name__}", retry=True) from None
        if resp.status_code >= 500 or resp.status_code == 429:
            raise DeliveryError(
                f"zalo-bot HTTP {resp.status_code}", retry=True, delay=30 if resp.status_code == 429 else None
            )
        try:
            data = resp.json()
        except ValueError:
            raise DeliveryError(f"zalo-bot HTTP {resp.status_code}, body not JSON", retry=True) from None
        return data if isinstance(data, dict) else {"ok": False, "error_code": resp.status_code}

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

    async def poll(self, accept: Callable[[Inbound], Awaitable[None]], stop: asyncio.Event, timeout: int = 30) -> None:
        """getUpdates until `stop` is set; each text message goes to `accept` (which stores it). A webhook
        left from webhook mode is removed first: the two modes exclude each other."""
        try:
            await self.call("deleteWebhook", {})
        except DeliveryError as exc:
            log.warning("zalo-bot deleteWebhook before polling failed: %s", exc)
        backoff = 1.0
        while not stop.is_set():
            try:
                data = await self.call("getUpdates", {"timeout": str(timeout)}, timeout=timeout + 10)
            except DeliveryError as exc:
                log.warning("zalo-bot polling: %s; retrying in %.0f s", exc, backoff)
                await _sleep_or_stop(stop, backoff)
                backoff = min(backoff * 2, 60)
                continue
            backoff = 1.0
            if not data.get("ok"):
                if data.get("error_code") != 408:  # 408: no update within the timeout
                    log.warning("zalo-bot getUpdates: %s", data.get("description"))
                    await _sleep_or_stop(stop, 5)
                continue
            try:
                for message in parse_update(data.get("result")):
                    await accept(message)
            except WebhookRejected as exc:
                log.warning("zalo-bot polling: skipped an update (%s)", exc.reason)


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass
