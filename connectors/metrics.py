"""Basic metrics for /metrics: counters and latency percentiles, kept in memory by the gateway process."""

from __future__ import annotations

import statistics
import threading
from collections import defaultdict, deque

from bot.stats import percentile


class Metrics:
    def __init__(self, window: int = 2000):
        self._lock = threading.Lock()
        self.counters: dict[str, int] = defaultdict(int)
        self.samples: dict[str, deque[float]] = defaultdict(lambda: deque(maxlen=window))

    def count(self, name: str, n: int = 1) -> None:
        with self._lock:
            self.counters[name] += n

    def observe(self, name: str, seconds: float) -> None:
        with self._lock:
            self.samples[name].append(seconds)

    def snapshot(self) -> dict:
        with self._lock:
            out: dict = {"counters": dict(self.counters), "latency_ms": {}}
            for name, values in self.samples.items():
                v = sorted(values)
                if v:
                    out["latency_ms"][name] = {
                        "n": len(v),
                        "p50": round(statistics.median(v) * 1000, 1),
                        "p95": round(percentile(v, 0.95) * 1000, 1),
                        "max": round(v[-1] * 1000, 1),
                    }
            return out
