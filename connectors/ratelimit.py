"""The web chat's rate limits, with the `limits` library: moving windows in its in-memory storage (per gateway
process). Keys are the client's address (`client_address`: X-Forwarded-For only from a trusted proxy) and the
server-issued conversation id, never anything the client chooses.

The library's memory storage drops expired counters and trims expired moving-window entries, but leaves an empty
entry list behind for every key it has seen (limits 5.8.0); `sweep` removes those at most once a minute, so the
memory follows the keys active in the last window, not every address ever seen.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from typing import NamedTuple

from limits import RateLimitItem, RateLimitItemPerHour, RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from bot.config import Settings
from bot.net import client_address

SWEEP_EVERY = 60.0  # seconds


class Limit(NamedTuple):
    item: RateLimitItem
    key: str


class WebLimits:
    def __init__(self, settings: Settings):
        self.storage = MemoryStorage()
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.per_conversation = RateLimitItemPerMinute(settings.web_rate_conversation, namespace="conversation")
        self.per_ip = RateLimitItemPerMinute(settings.web_rate_ip, namespace="ip")
        self.new_conversations = RateLimitItemPerHour(settings.web_new_conversations, namespace="new")
        self.handoffs = RateLimitItemPerHour(settings.web_handoffs, namespace="handoff")
        self.subscriptions = RateLimitItemPerHour(settings.web_subscriptions, namespace="subscribe")
        self.trusted = frozenset(settings.trusted_proxies)
        self.swept = time.monotonic()

    def hit(self, limits: Iterable[Limit]) -> float:
        """Count one request against every limit, or against none when one of them is used up: then the seconds
        until it frees a place (Retry-After), else 0."""
        self.sweep()
        limits = list(limits)
        waits = [self._wait(lim) for lim in limits if not self.limiter.test(lim.item, lim.key)]
        if waits:
            return max(waits)
        for lim in limits:
            self.limiter.hit(lim.item, lim.key)
        return 0.0

    def _wait(self, lim: Limit) -> float:
        reset = self.limiter.get_window_stats(lim.item, lim.key).reset_time
        return max(1.0, math.ceil(reset - time.time()))

    def sweep(self, force: bool = False) -> None:
        """Forget the keys whose entries have all expired (see the module's docstring)."""
        now = time.monotonic()
        if not force and now - self.swept < SWEEP_EVERY:
            return
        self.swept = now
        events = self.storage.events
        for key in [k for k, v in list(events.items()) if not v]:
            with self.storage.locks[key]:
                if not events.get(key, True):
                    events.pop(key, None)
            self.storage.locks.pop(key, None)

    def keys(self) -> int:
        """How many keys the storage holds (tests)."""
        return len(self.storage.events) + len(self.storage.storage)

    def client_address(self, peer: str | None, forwarded_for: str | None) -> str:
        """The client's address (bot/net.py): X-Forwarded-For counts only from a trusted proxy."""
        return client_address(peer, forwarded_for, self.trusted)
