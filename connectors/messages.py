"""The gateway's message types: a resident's message as a channel parsed it (`Inbound`), one part of a reply
ready for its channel (`Part`), each platform's `Limits`, what every channel's sender provides, and how a webhook
or a delivery fails."""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from bot.status import MessageKind

# A platform's getUpdates that fails is retried after bot.retry.backoff(failures, POLL_RETRY_BASE, POLL_RETRY_MAX)
POLL_RETRY_BASE = 1.0  # seconds
POLL_RETRY_MAX = 60.0


@dataclass
class Inbound:
    """A resident's message as a channel parsed it, before it is queued."""

    channel: str
    platform_id: str
    recipient: str
    text: str  # the typed text or button payload; "" for anything else
    # what was sent (bot.status.MessageKind): TEXT, a non-text kind (voice note, picture…), FOLLOW or UNFOLLOW
    kind: MessageKind = MessageKind.TEXT
    media_url: str = ""  # the platform's link to the picture/voice note/file, where it gives one (for the team)

    @property
    def conversation_id(self) -> str:
        return f"{self.channel}:{self.recipient}"


@dataclass
class Part:
    """One message to send, already fitting its channel (length, buttons)."""

    text: str
    buttons: list[dict] = field(default_factory=list)


class DeliveryError(Exception):
    """Sending failed. `retry` says whether to try again later (after `delay` seconds if given); a message
    that can never be delivered (outside the platform's window, blocked bot…) has retry=False."""

    def __init__(self, message: str, *, retry: bool, delay: float | None = None):
        super().__init__(message)
        self.retry = retry
        self.delay = delay


class WebhookRejected(Exception):
    """A webhook request that must not be processed: `status` is what the platform gets back."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


def check_secret_token(given: str | None, secret: str, status: int, header: str) -> None:
    """A platform's secret-token header against ours (constant time); WebhookRejected(`status`) if it differs."""
    if not given or not hmac.compare_digest(given.encode(), secret.encode()):
        raise WebhookRejected(status, f"bad or missing {header}")


MEDIA_URL_MAX = 1000  # characters: a longer link is dropped rather than cut


def media_link(value: object, *secrets: str) -> str:
    """A platform's link to a resident's file as Inbound.media_url: an http(s) URL of at most MEDIA_URL_MAX
    characters that contains none of `secrets` (a bot token must never reach the store or the console); else ""."""
    if not isinstance(value, str):
        return ""
    url = value.strip()
    if len(url) > MEDIA_URL_MAX or not url.lower().startswith(("https://", "http://")):
        return ""
    if not url.isprintable() or " " in url:  # control characters, line breaks or spaces: not a link as given
        return ""
    return "" if any(secret and secret in url for secret in secrets) else url


def json_body(raw_body: bytes) -> Any:
    """A webhook's body as JSON; WebhookRejected(400) if it is not."""
    try:
        return json.loads(raw_body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise WebhookRejected(400, "body is not JSON") from None


async def post_to_platform(
    http: httpx.AsyncClient, channel: str, url: str, *, rate_limit_delay: float | None = None, **kwargs: Any
) -> tuple[int, Any]:
    """POST to a platform's API: its HTTP status and JSON answer (any shape). Unreachable, overloaded (5xx, 429: retried
    after `rate_limit_delay` if given) or not JSON is DeliveryError(retry=True)."""
    try:
        resp = await http.post(url, **kwargs)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{channel} unreachable: {exc.__class__.__name__}", retry=True) from None
    if resp.status_code >= 500 or resp.status_code == 429:
        delay = rate_limit_delay if resp.status_code == 429 else None
        raise DeliveryError(f"{channel} HTTP {resp.status_code}", retry=True, delay=delay)
    try:
        return resp.status_code, resp.json()
    except ValueError:
        raise DeliveryError(f"{channel} HTTP {resp.status_code}, body not JSON", retry=True) from None


@dataclass(frozen=True)
class Limits:
    max_text: int  # characters per message
    max_buttons: int  # 0 = no buttons on this platform
    max_title: int = 0  # characters per button title (0 = no limit); a longer title turns the buttons into a list


class Sender(Protocol):
    channel: str
    limits: Limits

    async def send(self, recipient: str, part: Part) -> None:
        """Deliver one part or raise DeliveryError."""
