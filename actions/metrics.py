"""The action server's metrics (prometheus_client): how long the answer engine takes per question, and how many
questions it answered or refused, by reason (bot.status.Reason). Served on their own small HTTP server at
TROLYSO_ACTIONS_METRICS_PORT on TROLYSO_INTERNAL_HOST (loopback by default), started by `python -m actions`; off
when the port is 0 (the default). README ("Metrics") lists the names.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Histogram, PlatformCollector, ProcessCollector
from prometheus_client import start_http_server as _start_http_server

log = logging.getLogger(__name__)

# seconds: a question is tens of milliseconds on two cores, more while the model is cold or the machine is busy
BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

registry = CollectorRegistry()  # the process's own (one action server per process), with its CPU and memory
ProcessCollector(registry=registry)
PlatformCollector(registry=registry)
ENGINE_SECONDS = Histogram(
    "trolyso_engine_seconds", "The answer engine's time for one question", buckets=BUCKETS, registry=registry
)
QUESTIONS = Counter(
    "trolyso_engine_questions",
    "Questions the answer engine answered (answered=yes) or refused (no), by reason",
    ["answered", "reason"],
    registry=registry,
)
FAILURES = Counter("trolyso_engine_failures", "Questions the answer engine or the store failed on", registry=registry)


@contextmanager
def timed() -> Iterator[None]:
    """Time one call of the answer engine into ENGINE_SECONDS (a failed call too)."""
    with ENGINE_SECONDS.time():
        yield


def count(answered: bool, reason: str) -> None:
    QUESTIONS.labels("yes" if answered else "no", str(reason)).inc()


def serve(host: str, port: int) -> WSGIServer | None:
    """Start the metrics server in a daemon thread (its server, for `shutdown()`); None when off (port 0) or when
    the port cannot be had (logged): the action server still serves residents without its metrics."""
    if not port:
        return None
    try:
        server, _ = _start_http_server(port, addr=host, registry=registry)
    except OSError as exc:
        log.error("action server metrics not served on %s:%d: %s", host, port, exc)
        return None
    log.info("action server metrics on http://%s:%d/metrics", host, port)
    return server
