"""Waiting between tries, in one place: how long to wait before the next try (`backoff`) and a wait that a
stop cuts short (`sleep_or_stop`). Standard library only.

Backoff
-------
Exponential backoff with *full jitter*: before retry number `attempt` (0 for the first retry) wait a uniformly
random time in ``[0, min(cap, base · 2**attempt))``. The ceiling starts at `base`, doubles per attempt and never
exceeds `cap` (TROLYSO_RETRY_BASE and TROLYSO_RETRY_MAX for the worker), so a wait is never longer than `cap`;
the randomness spreads out retries that failed together (Rasa restarting, a platform outage) so they do not all
come back at the same moment. Expected wait: half the ceiling.
"""

from __future__ import annotations

import asyncio
import random

_MAX_DOUBLINGS = 64  # 2**64 · base exceeds any sensible cap; avoids float overflow for huge attempt counts


def backoff(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds to wait before retry `attempt` (0-based): uniform in [0, min(cap, base · 2**attempt)]."""
    ceiling = min(cap, base * 2.0 ** min(max(attempt, 0), _MAX_DOUBLINGS))
    return (rng or random).uniform(0.0, max(ceiling, 0.0))


async def sleep_or_stop(stop: asyncio.Event, seconds: float, *wake: asyncio.Event) -> bool:
    """Sleep `seconds`, or less if `stop` (or any of the `wake` events) is set meanwhile.
    Returns whether `stop` is set."""
    if stop.is_set():
        return True
    waiters = [asyncio.ensure_future(e.wait()) for e in (stop, *wake)]
    try:
        await asyncio.wait(waiters, timeout=max(seconds, 0.0), return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()
    return stop.is_set()
