"""The gateway's metrics in Prometheus's text format (prometheus_client), served at /metrics (connectors/gateway.py).

Counters and histograms live in memory, in a `CollectorRegistry` each gateway app owns (not the process-global one,
so tests can build several apps); the queues' backlog and the last hour's unanswered questions are read from the
store at scrape time (`StoreCollector`), so every gateway process reports the same numbers for them. Counters are
per process: with several gateway processes, Prometheus scrapes each and `sum()` adds them up. README
("Metrics") lists every name.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Iterable, Iterator, Sequence

from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector
from sqlalchemy import case, func, select

from bot.clock import utcnow
from bot.status import Origin
from bot.store import Store
from bot.store.schema import questions
from connectors.queue import MessageQueue, Row

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# seconds: a webhook's acknowledgement is milliseconds, a Rasa turn with the answer engine tenths to seconds
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
UNANSWERED_WINDOW = _dt.timedelta(hours=1)


class Metrics:
    """What the gateway counts and times. Counters carry a channel label (zalo-oa, zalo-bot, telegram, web)."""

    def __init__(self, channels: Iterable[str] = ()):
        self.registry = r = CollectorRegistry()
        ProcessCollector(registry=r)  # this process's CPU, memory and open files (process_*)
        self.messages_in = Counter(
            "trolyso_messages_in", "Residents' messages stored (acknowledged to the platform)", ["channel"], registry=r
        )
        self.duplicates = Counter(
            "trolyso_duplicates",
            "Webhook deliveries already stored (a platform's retry), dropped",
            ["channel"],
            registry=r,
        )
        self.rejected = Counter(
            "trolyso_rejected", "Webhook requests refused (bad signature or secret, malformed)", ["channel"], registry=r
        )
        self.messages_out = Counter(
            "trolyso_messages_out",
            "Message parts delivered to residents, by who wrote them (bot, team, news)",
            ["channel", "origin"],
            registry=r,
        )
        self.delivery_failures = Counter(
            "trolyso_delivery_failures",
            "Failed deliveries: kind=retry (tried again later) or undeliverable (given up)",
            ["channel", "kind"],
            registry=r,
        )
        self.held = Counter(
            "trolyso_held", "Messages kept from the bot while the team has the conversation", ["channel"], registry=r
        )
        self.rasa_failures = Counter("trolyso_rasa_failures", "Rasa calls that failed (the message waits)", registry=r)
        self.rasa_server_failures = Counter(
            "trolyso_rasa_server_failures",
            "Calls to one Rasa process that found it down or silent (the gateway tried the next one at once)",
            ["server"],
            registry=r,
        )
        self.web_limited = Counter("trolyso_web_limited", "Web-chat requests refused by the rate limits", registry=r)
        self.web_conversations = Counter("trolyso_web_conversations", "Web-chat conversations started", registry=r)
        self.ack_seconds = Histogram(
            "trolyso_ack_seconds",
            "A webhook's handling until its acknowledgement",
            ["channel"],
            buckets=BUCKETS,
            registry=r,
        )
        self.rasa_seconds = Histogram(
            "trolyso_rasa_seconds", "Round trip of one call to Rasa's REST channel", buckets=BUCKETS, registry=r
        )
        self.rasa_reply_seconds = Histogram(
            "trolyso_rasa_reply_seconds",
            "From a resident's message stored to its replies queued",
            ["channel"],
            buckets=BUCKETS,
            registry=r,
        )
        for channel in channels:  # the enabled channels' series exist from the start (at 0)
            self.messages_in.labels(channel)
            self.messages_out.labels(channel, Origin.BOT)

    def watch_store(self, store: Store, queue: MessageQueue) -> None:
        """Read the queues' backlog and the unanswered rate from `store` at each scrape."""
        self.registry.register(StoreCollector(store, queue))

    def web_replies(self, rows: Sequence[Row]) -> None:
        """Web-chat replies handed to the widget (a row fetched again is not counted again)."""
        for row in rows:
            if row.fresh:
                self.messages_out.labels("web", row.origin).inc()

    def render(self) -> bytes:
        """The text exposition (runs the store's queries: call it off the event loop)."""
        return generate_latest(self.registry)


class StoreCollector(Collector):
    """Gauges computed from the store when Prometheus scrapes: queue depth and age of the oldest pending row
    (connectors/queue.py `backlog`), and questions answered or not in the last hour (the `asked_at` index)."""

    def __init__(self, store: Store, queue: MessageQueue):
        self.store = store
        self.queue = queue

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("trolyso_store_up", "1 when the store answered this scrape's queries")
        try:
            backlog = self.queue.backlog()
            last_hour = self.questions_last_hour()
        except Exception:  # the store is down: say so, the scrape itself still answers
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        now = utcnow()
        depth = GaugeMetricFamily("trolyso_queue_depth", "Rows waiting in a queue (pending)", labels=["queue"])
        age = GaugeMetricFamily(
            "trolyso_queue_oldest_age_seconds", "Age of a queue's oldest pending row (0 when empty)", labels=["queue"]
        )
        for name, b in backlog.items():
            depth.add_metric([name], b.depth)
            age.add_metric([name], max(0.0, (now - b.oldest).total_seconds()) if b.oldest else 0.0)
        yield depth
        yield age
        asked = GaugeMetricFamily(
            "trolyso_questions_last_hour", "Questions for the answer engine in the last hour", labels=["answered"]
        )
        asked.add_metric(["yes"], last_hour[True])
        asked.add_metric(["no"], last_hour[False])
        yield asked
        total = last_hour[True] + last_hour[False]
        yield GaugeMetricFamily(
            "trolyso_unanswered_ratio_last_hour",
            "Share of the last hour's questions left unanswered (0 when none were asked)",
            value=last_hour[False] / total if total else 0.0,
        )

    def questions_last_hour(self) -> dict[bool, int]:
        """One range over the `asked_at` index (a GROUP BY answered would walk the whole `answered` index)."""
        since = utcnow() - UNANSWERED_WINDOW
        answered = func.sum(case((questions.c.answered, 1), else_=0))
        with self.store.engine.connect() as conn:
            total, yes = conn.execute(select(func.count(), answered).where(questions.c.asked_at >= since)).one()
        return {True: int(yes or 0), False: int(total) - int(yes or 0)}


# --- reading an exposition (tests, scripts/bench_gateway.py) ---------------------------------------


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a text exposition: (name, sorted labels) → value."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def histogram_quantile(text: str, name: str, q: float, **where: str) -> float | None:
    """The q-quantile of histogram `name` (all its label sets together, or those with the labels `where`, e.g.
    channel="messenger") estimated from its buckets, as Prometheus's histogram_quantile() does (linear within a
    bucket); None without observations."""
    buckets: dict[float, float] = {}
    for (sample, labels), value in samples(text).items():
        if sample == f"{name}_bucket" and where.items() <= dict(labels).items():
            le = float(dict(labels)["le"])
            buckets[le] = buckets.get(le, 0.0) + value
    bounds = sorted(buckets)
    if not bounds or buckets[bounds[-1]] == 0:
        return None
    rank = q * buckets[bounds[-1]]
    lower, below = 0.0, 0.0
    for upper in bounds:
        if buckets[upper] >= rank:
            if math.isinf(upper):
                return lower  # beyond the largest finite bucket: its bound is all that is known
            inside = buckets[upper] - below
            return lower + (upper - lower) * ((rank - below) / inside if inside else 1.0)
        lower, below = upper, buckets[upper]
    return lower
