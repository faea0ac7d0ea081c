"""The gateway's message types: a resident's message as a channel parsed it (`Inbound`), one part of a reply
ready for its channel (`Part`), each platform's `Limits`, what every channel's sender provides, and how a webhook
or a delivery fails."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass
class Inbound:
    """A resident's message as a channel parsed it, before it is queued."""

    channel: str
    platform_id: str
    recipient: str
    text: str

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


@dataclass(frozen=True)
class Limits:
    max_text: int  # characters per message
    max_buttons: int  # 0 = no buttons on this platform


class Sender(Protocol):
    channel: str
    limits: Limits

    async def send(self, recipient: str, part: Part) -> None:
        """Deliver one part or raise DeliveryError."""
