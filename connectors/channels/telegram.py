"""Telegram through python-telegram-bot 22: webhook (the secret-token header checked here, since the gateway
serves the webhook itself) or polling, inline keyboards for buttons, texts split at 4,096 characters.

A button's payload is sent as its callback_data when it fits Telegram's 64 bytes; otherwise the button
carries its number ("#3") and the gateway maps it back through the options last shown to that chat.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)

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
)

log = logging.getLogger(__name__)

CHANNEL = "telegram"
LIMITS = Limits(max_text=4096, max_buttons=8)
CALLBACK_MAX_BYTES = 64


@dataclass(frozen=True)
class TelegramConfig:
    token: str
    secret_token: str = ""
    api_base: str = "https://api.telegram.org"
    webhook_url: str = ""
    polling: bool = False
    news_chat: str = ""  # the commune's Telegram channel for news ("@kenh_xa" or its numeric id)


def callback_data(index: int, payload: str) -> str:
    return payload if len(payload.encode("utf-8")) <= CALLBACK_MAX_BYTES else f"#{index}"


def parse_update(data: object, bot: Bot) -> tuple[list[Inbound], str | None]:
    """A text message or a button tap → Inbound; returns also the callback query id to acknowledge."""
    if not isinstance(data, dict) or "update_id" not in data:
        raise WebhookRejected(400, "not a Telegram update")
    try:
        update = Update.de_json(data, bot)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise WebhookRejected(400, f"malformed update: {exc.__class__.__name__}") from None
    if update is None:
        raise WebhookRejected(400, "empty update")
    platform_id = str(update.update_id)
    q = update.callback_query
    if q is not None and q.message is not None:
        text = q.data or ""
        if not text:
            return [], q.id
        if text.startswith("#") and text[1:].isdigit():
            text = text[1:]  # a number: mapped to the shown option by the worker
        return [Inbound(CHANNEL, platform_id, str(q.message.chat.id), text)], q.id
    message = update.message
    if message is None or not message.text or message.chat is None:
        return [], None  # edits, stickers, photos, joins…: nothing to answer
    return [Inbound(CHANNEL, platform_id, str(message.chat.id), message.text)], None


class TelegramClient:
    channel = CHANNEL
    limits = LIMITS

    def __init__(self, config: TelegramConfig):
        self.config = config
        self.bot = Bot(config.token, base_url=f"{config.api_base}/bot", base_file_url=f"{config.api_base}/file/bot")

    async def start(self) -> None:
        await self.bot.initialize()  # getMe: fails early on a wrong token
        if self.config.webhook_url and not self.config.polling:
            await self.bot.set_webhook(
                self.config.webhook_url,
                secret_token=self.config.secret_token or None,
                allowed_updates=["message", "callback_query"],
            )

    async def stop(self) -> None:
        await self.bot.shutdown()

    def parse_webhook(self, raw_body: bytes, secret_header: str | None) -> tuple[list[Inbound], str | None]:
        if not self.config.secret_token:
            raise WebhookRejected(403, "webhook mode is off (no TELEGRAM_SECRET_TOKEN)")
        check_secret_token(secret_header, self.config.secret_token, 403, "X-Telegram-Bot-Api-Secret-Token")
        return parse_update(json_body(raw_body), self.bot)

    async def answer_callback(self, query_id: str | None) -> None:
        if not query_id:
            return
        try:
            await self.bot.answer_callback_query(query_id)
        except TelegramError as exc:  # only stops the spinner on the button: never fatal
            log.info("telegram answerCallbackQuery failed: %s", exc)

    async def send(self, recipient: str, part: Part) -> None:
        markup = None
        if part.buttons:
            markup = InlineKeyboardMarkup(
                [
                    [InlineKeyboardButton(b["title"][:64], callback_data=callback_data(i, b["payload"]))]
                    for i, b in enumerate(part.buttons, 1)
                ]
            )
        try:
            await self.bot.send_message(chat_id=recipient, text=part.text, reply_markup=markup)
        except RetryAfter as exc:
            delay = exc.retry_after.total_seconds() if hasattr(exc.retry_after, "total_seconds") else exc.retry_after
            raise DeliveryError("telegram flood control", retry=True, delay=float(delay)) from None
        except BadRequest as exc:  # a NetworkError subclass in PTB, but it will never succeed
            raise DeliveryError(f"telegram refused: {exc.message}", retry=False) from None
        except NetworkError as exc:  # TimedOut included
            raise DeliveryError(f"telegram unreachable: {exc.__class__.__name__}", retry=True) from None
        except Forbidden as exc:
            raise DeliveryError(f"telegram: {exc.message} (the resident blocked the bot)", retry=False) from None
        except InvalidToken:
            raise DeliveryError("telegram: invalid TELEGRAM_BOT_TOKEN", retry=True, delay=300) from None
        except TelegramError as exc:
            raise DeliveryError(f"telegram error: {exc}", retry=True) from None

    async def poll(
        self, accept: Callable[[Inbound], Awaitable[object]], stop: asyncio.Event, timeout: int = 25
    ) -> None:
        """getUpdates until `stop` is set (the webhook is removed first: the two modes exclude each other)."""
        await self.bot.delete_webhook()
        offset = None
        failures = 0
        while not stop.is_set():
            try:
                updates = await self.bot.get_updates(
                    offset=offset, timeout=timeout, allowed_updates=["message", "callback_query"]
                )
            except TelegramError as exc:
                delay = backoff(failures, POLL_RETRY_BASE, POLL_RETRY_MAX)
                log.warning("telegram polling: %s; retrying in %.0f s", exc, delay)
                await sleep_or_stop(stop, delay)
                failures += 1
                continue
            failures = 0
            for update in updates:
                offset = update.update_id + 1
                try:
                    messages, query_id = parse_update(update.to_dict(), self.bot)
                except WebhookRejected as exc:
                    log.warning("telegram polling: skipped an update (%s)", exc.reason)
                    continue
                for message in messages:
                    await accept(message)
                await self.answer_callback(query_id)
