"""bot.retry: exponential backoff with full jitter, and the wait a stop cuts short."""

from __future__ import annotations

import asyncio
import random
import statistics
import time

import pytest

from bot.retry import backoff, sleep_or_stop


@pytest.mark.parametrize("attempt", [0, 1, 2, 5, 10, 100, 10**6])
def test_backoff_stays_between_zero_and_the_ceiling(attempt):
    rng = random.Random(attempt)
    ceiling = min(60.0, 1.0 * 2 ** min(attempt, 64))
    for _ in range(500):
        assert 0.0 <= backoff(attempt, 1.0, 60.0, rng) <= ceiling


def test_backoff_grows_with_the_attempt_until_the_cap():
    rng = random.Random(7)
    means = [statistics.fmean(backoff(a, 0.5, 30.0, rng) for _ in range(4000)) for a in range(9)]
    # expected: half the ceiling 0.5·2**a, i.e. 0.25, 0.5, 1, 2, 4, 8, then half of the cap 30
    for a, mean in enumerate(means):
        assert mean == pytest.approx(min(30.0, 0.5 * 2**a) / 2, rel=0.08)
    assert means[0] < means[1] < means[2] < means[3] < means[4] < means[5] < means[6]


def test_backoff_never_exceeds_the_cap():
    rng = random.Random(3)
    waits = [backoff(a, 1.0, 5.0, rng) for a in range(3, 200) for _ in range(20)]
    assert max(waits) <= 5.0
    assert max(waits) > 4.5  # the cap is reached, not just approached


def test_backoff_jitter_spreads_the_waits_and_a_seed_repeats_them():
    waits = [backoff(4, 1.0, 60.0, random.Random(42)) for _ in range(3)]
    assert waits[0] == waits[1] == waits[2]  # the same seed, the same wait
    rng = random.Random(42)
    spread = [backoff(4, 1.0, 60.0, rng) for _ in range(1000)]
    assert len(set(spread)) == 1000
    assert min(spread) < 2.0 and max(spread) > 14.0  # across the whole [0, 16) range
    assert statistics.pstdev(spread) == pytest.approx(16 / 12**0.5, rel=0.1)  # uniform's spread


def test_backoff_with_zero_base_is_no_wait():
    assert backoff(3, 0.0, 60.0) == 0.0


def test_sleep_or_stop_sleeps_the_whole_time_without_a_stop():
    async def run():
        t0 = time.monotonic()
        stopped = await sleep_or_stop(asyncio.Event(), 0.1)
        return stopped, time.monotonic() - t0

    stopped, took = asyncio.run(run())
    assert not stopped and took >= 0.09


def test_sleep_or_stop_ends_at_the_stop_or_a_wake():
    async def run():
        stop, wake = asyncio.Event(), asyncio.Event()
        asyncio.get_running_loop().call_later(0.05, wake.set)
        t0 = time.monotonic()
        woken = await sleep_or_stop(stop, 10, wake)
        t1 = time.monotonic()
        asyncio.get_running_loop().call_later(0.05, stop.set)
        stopped = await sleep_or_stop(stop, 10, asyncio.Event())
        t2 = time.monotonic()
        await asyncio.sleep(0)  # let the cancelled waiters finish
        return woken, t1 - t0, stopped, t2 - t1, len(asyncio.all_tasks())

    woken, took_wake, stopped, took_stop, tasks = asyncio.run(run())
    assert not woken and took_wake < 1
    assert stopped and took_stop < 1
    assert tasks == 1  # no waiter left behind
