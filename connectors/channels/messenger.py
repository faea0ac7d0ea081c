"""Facebook Messenger (a commune's Facebook page): webhook verification and parsing, replies through the Send API
with quick replies, and the Send API's errors mapped to retry / refresh / undeliverable.

Facts used (see docs/channels.md, "Facebook Messenger", for which were confirmed in Meta's documentation):
subscription check GET `hub.mode=subscribe`, `hub.verify_token`, answered with `hub.challenge`; every POST signed in
`X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with the app secret>`; events in
`entry[].messaging[]` of an `object: page` body; replies POST {api base}/me/messages?access_token=<page token>
with `messaging_type: RESPONSE`; ≤ 13 quick replies, titles ≤ 20 characters; text ≤ 2,000 characters; the standard
messaging window is 24 hours after the resident's last message; errors as {"error": {"code", "error_subcode"}}.

A message without text becomes an Inbound of its attachment's kind (ATTACHMENT_KINDS) with text "" and the
attachment's `payload.url` as media_url; the "Get Started" postback (GET_STARTED_PAYLOAD, which the page sets with
the Messenger Profile API) is FOLLOW. Pages get no webhook when someone stops following them: there is no UNFOLLOW.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from bot.status import MessageKind
from connectors.messages import (
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

CHANNEL = "messenger"
LIMITS = Limits(max_text=2000, max_buttons=13, max_title=20)
WINDOW = _dt.timedelta(hours=24)  # the standard messaging window after the resident's last message
SIGNATURE_HEADER = "x-hub-signature-256"
# the payload of the "Get Started" button on the page's welcome screen (set with the Messenger Profile API,
# docs/channels.md §4b): its postback is a new follower, not a question
GET_STARTED_PAYLOAD = "GET_STARTED"
# `message.attachments[].type` → what the resident sent; any other type (post, ig_post, appointment_booking, a type
# Meta adds later) is OTHER. Stickers come as `sticker` (since 2026), or as `image` with a `sticker_id`.
ATTACHMENT_KINDS = {
    "image": MessageKind.IMAGE,
    "audio": MessageKind.VOICE,
    "video": MessageKind.VIDEO,
    "reel": MessageKind.VIDEO,
    "ig_reel": MessageKind.VIDEO,
    "file": MessageKind.FILE,
    "sticker": MessageKind.STICKER,
    "location": MessageKind.LOCATION,
    "fallback": MessageKind.OTHER,  # a shared link, or an unsupported share (then without payload)
    "template": MessageKind.OTHER,
}
# the kinds whose `payload.url` is the resident's file (a fallback's URL is a shared web page, not a file)
LINKED_KINDS = {MessageKind.IMAGE, MessageKind.VOICE, MessageKind.VIDEO, MessageKind.FILE, MessageKind.STICKER}

RETRY_CODES = {
    1: "unknown error",
    2: "temporary error",
    4: "application request limit reached",
    17: "user request limit reached",
    32: "page request limit reached",
    613: "calls exceeded the rate limit",
    1200: "temporary send message failure",
}
RATE_LIMIT_CODES = {4, 17, 32, 613}
TOKEN_CODE = 190  # invalid or expired page access token
WINDOW_SUBCODES = {2018278: "outside the 24-hour standard messaging window"}
UNDELIVERABLE_SUBCODES = {
    2018108: "the page may not message this person (app not live, or not a tester)",
    2018001: "no matching user found",
    1545041: "this person is not available right now",
}
UNDELIVERABLE_CODES = {
    10: "permission denied (outside the messaging window or policy)",
    100: "invalid parameter",
    200: "permission error",
    551: "this person is not available right now",
}


@dataclass(frozen=True)
class MessengerConfig:
    page_access_token: str
    app_secret: str  # X-Hub-Signature-256
    verify_token: str  # the subscription check (GET)
    api_base: str = "https://graph.facebook.com/v19.0"


# --- webhook ---------------------------------------------------------------------------------------


def verify_subscription(config: MessengerConfig, params: Mapping[str, str]) -> str:
    """Meta's subscription check (GET): `hub.challenge` to echo back when `hub.mode` is "subscribe" and
    `hub.verify_token` is ours (constant time); WebhookRejected(403) otherwise."""
    given = params.get("hub.verify_token") or ""
    if params.get("hub.mode") != "subscribe" or not config.verify_token:
        raise WebhookRejected(403, "not a subscription check")
    check_secret_token(given, config.verify_token, 403, "hub.verify_token")
    return params.get("hub.challenge") or ""


def expected_signature(app_secret: str, raw_body: bytes) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()


def check_signature(config: MessengerConfig, raw_body: bytes, signature: str | None) -> None:
    """WebhookRejected(403) unless `signature` is the raw body's HMAC-SHA256 with the app secret."""
    given = (signature or "").strip()
    given = "sha256=" + given[7:].lower() if given[:7].lower() == "sha256=" else given
    check_secret_token(given, expected_signature(config.app_secret, raw_body), 403, "X-Hub-Signature-256")


def parse_webhook(raw_body: bytes) -> list[Inbound]:
    """The residents' messages in one (already verified) delivery: texts, quick-reply payloads, postbacks ("Get
    Started" as FOLLOW) and attachments (by kind, with their link). Echoes of the page's own messages, delivery and
    read receipts, and anything else are skipped; an event that is not shaped as expected is skipped too (Meta
    batches events: one odd event must not refuse the others). Raises only WebhookRejected(400), for a body that
    is not a JSON object."""
    body = json_body(raw_body)
    if not isinstance(body, dict):
        raise WebhookRejected(400, "body is not a JSON object")
    if body.get("object") != "page":
        return []
    found: list[Inbound] = []
    for entry in _dicts(body.get("entry")):
        for event in _dicts(entry.get("messaging")):
            message = _event(event)
            if message is not None:
                found.append(message)
    return found


def _dicts(value: Any) -> list[dict]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _id(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    text = str(value).strip()
    return text or None


def _event(event: dict) -> Inbound | None:
    sender = event.get("sender")
    user = _id(sender.get("id")) if isinstance(sender, dict) else None
    if user is None:
        return None
    message, postback = event.get("message"), event.get("postback")
    if isinstance(message, dict):
        if message.get("is_echo"):
            return None  # the page's own message (ours, or a team member's on Meta Business Suite)
        mid = _id(message.get("mid"))
        quick = message.get("quick_reply")
        payload = quick.get("payload") if isinstance(quick, dict) else None
        text = payload if isinstance(payload, str) and payload.strip() else message.get("text")
        if mid is None:
            return None
        if isinstance(text, str) and text.strip():
            return Inbound(CHANNEL, mid, user, text)
        attachment = _attachment(message)
        if attachment is None:
            return None  # no text and no attachment with a type: nothing to answer
        return Inbound(CHANNEL, mid, user, "", *attachment)
    if isinstance(postback, dict):
        payload = postback.get("payload")
        if not isinstance(payload, str) or not payload.strip():
            return None
        # newer postbacks carry an `mid`; older ones are told apart by their timestamp
        key = _id(postback.get("mid")) or f"postback:{user}:{_id(event.get('timestamp')) or payload}"
        if payload.strip() == GET_STARTED_PAYLOAD:
            return Inbound(CHANNEL, key, user, "", MessageKind.FOLLOW)
        return Inbound(CHANNEL, key, user, payload)
    return None  # delivery, read, reaction, referral, optin…


def _attachment(message: dict) -> tuple[MessageKind, str] | None:
    """A message's attachments as one kind and link: a sticker wins (Meta sends a sticker as both `sticker` and
    `image` for a while), else the first attachment with a type. None when there is none."""
    found: list[tuple[MessageKind, str]] = []
    for item in _dicts(message.get("attachments")):
        name = item.get("type")
        if not isinstance(name, str) or not name.strip():
            continue  # an attachment without a type tells nothing
        payload = p if isinstance(p := item.get("payload"), dict) else {}
        kind = MessageKind.STICKER if _id(payload.get("sticker_id")) else ATTACHMENT_KINDS.get(name, MessageKind.OTHER)
        found.append((kind, media_link(payload.get("url")) if kind in LINKED_KINDS else ""))
    stickers = [a for a in found if a[0] is MessageKind.STICKER]
    if stickers or _id(message.get("sticker_id")):
        return stickers[0] if stickers else (MessageKind.STICKER, found[0][1] if found else "")
    return found[0] if found else None


# --- sending ---------------------------------------------------------------------------------------


class MessengerSender:
    channel = CHANNEL
    limits = LIMITS

    def __init__(self, config: MessengerConfig, http: httpx.AsyncClient):
        self.config = config
        self.http = http

    @staticmethod
    def body(recipient: str, part: Part) -> dict:
        message: dict = {"text": part.text}
        if part.buttons:
            message["quick_replies"] = [
                {"content_type": "text", "title": b["title"][: LIMITS.max_title], "payload": b["payload"]}
                for b in part.buttons[: LIMITS.max_buttons]
            ]
        return {"recipient": {"id": recipient}, "messaging_type": "RESPONSE", "message": message}

    async def send(self, recipient: str, part: Part) -> None:
        _, data = await post_to_platform(
            self.http,
            CHANNEL,
            f"{self.config.api_base}/me/messages",
            params={"access_token": self.config.page_access_token},
            json=self.body(recipient, part),
            timeout=20,
        )
        error = data.get("error") if isinstance(data, dict) else None
        if error is None and isinstance(data, dict) and data.get("message_id"):
            return
        raise send_error(error if isinstance(error, dict) else {})


def send_error(error: dict) -> DeliveryError:
    """A Send API error as the worker acts on it: retry (temporary, rate limits), refresh (the page token: no
    refresh exists for it, so the message waits for a new token and a restart), or undeliverable with the reason."""
    code, subcode = _int(error.get("code")), _int(error.get("error_subcode"))
    where = f"messenger {code}" + (f"/{subcode}" if subcode is not None else "")
    if code == TOKEN_CODE:
        log.error(
            "messenger: Meta refused MESSENGER_PAGE_ACCESS_TOKEN (%s: %s): make a new page access token, set it and "
            "restart the gateway; replies wait meanwhile",
            where,
            error.get("message", ""),
        )
        return DeliveryError(f"{where}: page access token invalid or expired", retry=True, delay=300)
    if subcode in WINDOW_SUBCODES:
        return DeliveryError(f"{where}: {WINDOW_SUBCODES[subcode]}", retry=False)
    if subcode in UNDELIVERABLE_SUBCODES:
        return DeliveryError(f"{where}: {UNDELIVERABLE_SUBCODES[subcode]}", retry=False)
    if code in RETRY_CODES:
        delay = 30.0 if code in RATE_LIMIT_CODES else None
        return DeliveryError(f"{where}: {RETRY_CODES[code]}", retry=True, delay=delay)
    if code in UNDELIVERABLE_CODES:
        return DeliveryError(f"{where}: {UNDELIVERABLE_CODES[code]}", retry=False)
    return DeliveryError(f"{where}: {error.get('message', 'unexpected answer')}", retry=True)


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
