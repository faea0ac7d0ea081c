"""Telegram through python-telegram-bot 22: webhook (the secret-token header checked here, since the gateway
serves the webhook itself) or polling, inline keyboards for buttons, texts split at 4,096 characters.

A button's payload is sent as its callback_data when it fits Telegram's 64 bytes; otherwise the button
carries its number ("#3") and the gateway maps it back through the options last shown to that chat.

Anything a resident sends that is not text becomes an Inbound of its kind (bot.status.MessageKind) with text "";
`/start` (with or without a deep-link parameter) is FOLLOW, and blocking the bot (a `my_chat_member` update to
"kicked" in a private chat) is UNFOLLOW. media_url always stays "": Telegram has no public link to a file, and the
getFile download URL contains the bot token, which must never reach the store or the console.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)

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
)

log = logging.getLogger(__name__)

CHANNEL = "telegram"
LIMITS = Limits(max_text=4096, max_buttons=8)
CALLBACK_MAX_BYTES = 64
# what the webhook and getUpdates ask Telegram for (Telegram remembers the last list given): my_chat_member tells
# when a resident blocks the bot
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
# a message's content → its kind, first match wins: an animation also carries a `document` (Telegram keeps it for
# old clients), so it is looked at first. An animation (a GIF, which Telegram turns into a silent MP4) counts as
# IMAGE, as GIFs do on Zalo; a venue also carries its location.
CONTENT_KINDS: tuple[tuple[str, MessageKind], ...] = (
    ("voice", MessageKind.VOICE),
    ("audio", MessageKind.VOICE),
    ("video_note", MessageKind.VIDEO),
    ("video", MessageKind.VIDEO),
    ("animation", MessageKind.IMAGE),
    ("photo", MessageKind.IMAGE),
    ("live_photo", MessageKind.IMAGE),
    ("sticker", MessageKind.STICKER),
    ("document", MessageKind.FILE),
    ("venue", MessageKind.LOCATION),
    ("location", MessageKind.LOCATION),
    ("contact", MessageKind.OTHER),
    ("poll", MessageKind.OTHER),
    ("dice", MessageKind.OTHER),
    ("game", MessageKind.OTHER),
    ("story", MessageKind.OTHER),
    ("paid_media", MessageKind.OTHER),
    ("checklist", MessageKind.OTHER),
)


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


def content_kind(message: Message) -> MessageKind | None:
    """What a resident's message carries: TEXT, FOLLOW for /start, a non-text kind, or None for a service message
    (someone joined a group, a pinned message…) that has nothing to answer."""
    if message.text:
        command = (message.text.split(maxsplit=1) or [""])[0]
        return MessageKind.FOLLOW if command == "/start" or command.startswith("/start@") else MessageKind.TEXT
    for attribute, kind in CONTENT_KINDS:
        if getattr(message, attribute, None):
            return kind
    return None


def parse_update(data: object, bot: Bot) -> tuple[list[Inbound], str | None]:
    """A text message, a button tap, anything else a resident sends, /start or blocking the bot → Inbound;
    returns also the callback query id to acknowledge. media_url stays "" (see the module's docstring)."""
    if not isinstance(data, dict) or "update_id" not in data:
        raise WebhookRejected(400, "not a Telegram update")
    try:
        update = Update.de_json(data, bot)
    # OverflowError, OSError: a date out of range (datetime.fromtimestamp)
    except (TypeError, ValueError, KeyError, AttributeError, OverflowError, OSError) as exc:
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
    member = update.my_chat_member
    if member is not None:
        # the resident blocked the bot: their news subscription ends. Unblocking is not a FOLLOW: Telegram's
        # "Restart" button after unblocking sends /start, which is one already.
        new, chat = member.new_chat_member, member.chat
        blocked = new is not None and chat is not None and new.status == "kicked" and chat.type == "private"
        return ([Inbound(CHANNEL, platform_id, str(chat.id), "", MessageKind.UNFOLLOW)] if blocked else []), None
    message = update.message
    kind = content_kind(message) if message is not None and message.chat is not None else None
    if message is None or kind is None:
        return [], None  # edits, joins, pinned messages…: nothing to answer
    text = (message.text or "") if kind is MessageKind.TEXT else ""
    return [Inbound(CHANNEL, platform_id, str(message.chat.id), text, kind)], None


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
                allowed_updates=ALLOWED_UPDATES,
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
                updates = await self.bot.get_updates(offset=offset, timeout=timeout, allowed_updates=ALLOWED_UPDATES)
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
