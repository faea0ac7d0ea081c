"""bot.stats.percentile: nearest rank."""

from __future__ import annotations

import random

import pytest

from bot.stats import percentile


def test_nearest_rank_on_one_to_hundred():
    values = list(range(1, 101))
    random.Random(1).shuffle(values)
    assert percentile(values, 0.95) == 95
    assert percentile(values, 0.5) == 50
    assert percentile(values, 1.0) == 100
    assert percentile(values, 0.0) == 1
    assert percentile(values, 0.951) == 96


def test_small_samples_give_a_measured_value():
    assert percentile([3.0], 0.95) == 3.0
    assert percentile([1, 2], 0.95) == 2
    assert percentile(range(1, 21), 0.95) == 19  # ⌈0.95 · 20⌉ = 19, not the maximum
    assert percentile(iter([5, 1, 4]), 0.5) == 4


def test_no_values_and_bad_q():
    assert percentile([], 0.95) == 0.0
    with pytest.raises(ValueError):
        percentile([1], 95)
