"""What every channel module provides to the gateway, and how a delivery fails."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from .queue import Part


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
    max_text: int          # characters per message
    max_buttons: int       # 0 = no buttons on this platform


class Sender(Protocol):
    channel: str
    limits: Limits

    async def send(self, recipient: str, part: Part) -> None:
        """Deliver one part or raise DeliveryError."""
