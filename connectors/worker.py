"""The worker: takes stored messages to Rasa and stored replies to the platforms, with retries and backoff.

One conversation's messages are handled one at a time, oldest first (replies go out in order); different
conversations run concurrently. If Rasa is down, messages wait and are retried; if a platform fails, the
reply waits and is retried; a reply the platform will never take is recorded as undeliverable. While the
community digital team has taken a conversation over (the console), the bot stays silent for that user.
A voice note, picture… goes to Rasa as '/non_text{"kind": …}' and a new follower as "/greet"; an unfollow ends the
resident's news subscription, with no reply (they can no longer be written to).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass

from bot.retry import backoff, sleep_or_stop
from bot.status import NON_TEXT, HandoffStatus, MessageKind
from bot.store import Store
from connectors.messages import DeliveryError, Part, Sender
from connectors.metrics import Metrics
from connectors.queue import MessageQueue, Row
from connectors.rasa_client import AsyncRasaClient, AsyncRasaPool, RasaUnavailable, message_id_for
from connectors.render import render_for

log = logging.getLogger(__name__)
RETRY, UNDELIVERABLE = "retry", "undeliverable"  # the `kind` of a delivery failure (connectors/metrics.py)


@dataclass
class WorkerConfig:
    concurrency: int = 16  # conversations handled at once
    idle_poll: float = 0.5  # seconds between looks at the queue when nothing wakes the worker
    retry_base: float = 1.0  # ceiling of the first retry delay; doubles per attempt (bot.retry.backoff)
    retry_max: float = 60.0
    max_attempts: int = 200  # a reply still failing after this many tries is given up (recorded)


def rasa_text(row: Row) -> str:
    """What Rasa is sent for a message that is not text: a follow is a greeting (the welcome and the menu), a
    voice note, picture… the `non_text` intent with its kind (actions/people.py answers it). "" for text."""
    if row.kind == MessageKind.FOLLOW:
        return "/greet"
    if row.kind in NON_TEXT:
        return "/non_text" + json.dumps({"kind": str(row.kind)})
    return ""


class Worker:
    def __init__(
        self,
        queue: MessageQueue,
        store: Store,
        rasa: AsyncRasaClient | AsyncRasaPool,
        senders: dict[str, Sender],
        metrics: Metrics,
        config: WorkerConfig | None = None,
    ):
        self.queue = queue
        self.store = store
        self.rasa = rasa
        self.senders = senders
        self.metrics = metrics
        self.config = config or WorkerConfig()
        self.wake = asyncio.Event()
        self._busy: set[str] = set()
        self._tasks: set[asyncio.Task] = set()
        self.settled: dict[int, asyncio.Event] = {}  # inbox id → set once answered or held (web chat waits)

    def delay(self, attempts: int) -> float:
        return backoff(attempts, self.config.retry_base, self.config.retry_max)

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop`: start work for every conversation that has something due; then let the running
        tasks finish (a graceful restart loses and repeats nothing)."""
        while not stop.is_set():
            started = await self._tick()
            if not started:
                self.wake.clear()
                await sleep_or_stop(stop, self.config.idle_poll, self.wake)
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _tick(self) -> int:
        free = self.config.concurrency - len(self._tasks)
        if free <= 0:
            await asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED)
            return 1
        started = 0
        for kind, ready in (
            ("out", await asyncio.to_thread(self.queue.ready_outbound, 256)),
            ("in", await asyncio.to_thread(self.queue.ready_inbound, 256)),
        ):
            for row_id, conversation_id in ready:
                if started >= free:
                    return started
                if conversation_id in self._busy:  # one thing at a time per conversation
                    continue
                self._busy.add(conversation_id)
                task = asyncio.create_task(self._handle(kind, row_id, conversation_id))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
                started += 1
        return started

    async def _handle(self, kind: str, row_id: int, conversation_id: str) -> None:
        try:
            claim = self.queue.claim_outbound if kind == "out" else self.queue.claim_inbound
            row = await asyncio.to_thread(claim, row_id)
            if row is None:  # another gateway process took it
                return
            renew = asyncio.create_task(self._keep_lease(row)) if kind == "in" else None
            try:
                if kind == "in":
                    await self.process_inbound(row)
                else:
                    await self.deliver(row)
            except Exception:  # never let one message stop the worker
                log.exception("worker: unexpected error on %s row %s", kind, row.id)
                retry = self.queue.retry_inbound if kind == "in" else self.queue.retry_outbound
                await asyncio.to_thread(retry, row, "unexpected error", self.delay(row.attempts))
            finally:
                if renew is not None:
                    renew.cancel()
        finally:
            self._busy.discard(conversation_id)
            if kind == "in" and row_id in self.settled:
                self.settled[row_id].set()
            self.wake.set()

    async def _keep_lease(self, row: Row) -> None:
        """Renew a message's lease while it is being answered: Rasa may take longer than a lease (waiting for the
        conversation's lock a killed Rasa held, failing over to the next server), and another gateway process that
        took the row meanwhile would send it to Rasa a second time, racing the first (the step advanced twice).
        Only a dead process's rows come back to the others, after at most one lease."""
        period = self.queue.lease.total_seconds() / 3
        while True:
            await asyncio.sleep(period)
            try:
                await asyncio.to_thread(self.queue.renew_inbound, row)
            except Exception:  # the store briefly unreachable: try again next period
                log.warning("worker: could not renew the lease of message %s", row.id)

    async def process_inbound(self, row: Row) -> None:
        if row.kind == MessageKind.UNFOLLOW:  # they can no longer be written to: no reply, no news
            await asyncio.to_thread(self.store.set_subscription, row.conversation_id, channel=row.channel, active=False)
            await asyncio.to_thread(self.queue.complete, row, [])
            return
        handoff = await asyncio.to_thread(self.store.open_handoff, row.conversation_id)
        if handoff and handoff["status"] == HandoffStatus.TAKEN:
            await asyncio.to_thread(self.queue.hold, row)
            self.metrics.held.labels(row.channel).inc()
            return
        text = rasa_text(row)
        if not text:
            chosen = await asyncio.to_thread(self.queue.option_payload, row.conversation_id, row.text)
            text = chosen or row.text
        t0 = time.perf_counter()
        try:
            # the row's id lets Rasa answer a message sent twice (a gateway died before storing the reply) once
            message_id = message_id_for(row.id, row.received_at)
            replies = await self.rasa.send(row.conversation_id, text, {"channel": row.channel}, message_id)
            self.metrics.rasa_seconds.observe(time.perf_counter() - t0)
        except RasaUnavailable as exc:
            delay = self.delay(row.attempts)
            log.warning("rasa unavailable (%s): message %s waits %.1f s", exc, row.id, delay)
            self.metrics.rasa_failures.inc()
            await asyncio.to_thread(self.queue.retry_inbound, row, str(exc), delay)
            return
        sender = self.senders.get(row.channel)
        limits = sender.limits if sender else None  # None: web chat
        parts, options = [], []
        for reply in replies:
            parts.extend(render_for(limits, reply.text, reply.buttons))
            if reply.buttons:
                options = reply.buttons
        await asyncio.to_thread(self.queue.complete, row, parts, options or None)
        if row.received_at is not None:
            self.metrics.rasa_reply_seconds.labels(row.channel).observe(time.time() - row.received_at.timestamp())
        self.wake.set()

    async def deliver(self, row: Row) -> None:
        sender = self.senders.get(row.channel)
        if sender is None:
            self.metrics.delivery_failures.labels(row.channel, UNDELIVERABLE).inc()
            await asyncio.to_thread(self.queue.mark_undeliverable, row, f"channel {row.channel} is not enabled")
            return
        try:
            await sender.send(row.recipient, Part(row.text, row.buttons))
        except DeliveryError as exc:
            given_up = not exc.retry or row.attempts + 1 >= self.config.max_attempts
            self.metrics.delivery_failures.labels(row.channel, UNDELIVERABLE if given_up else RETRY).inc()
            if given_up:
                log.warning("undeliverable reply %s on %s: %s", row.id, row.channel, exc)
                await asyncio.to_thread(self.queue.mark_undeliverable, row, str(exc))
                return
            # the platform's own wait (rate limit) or our backoff, never longer than retry_max
            delay = min(exc.delay, self.config.retry_max) if exc.delay is not None else self.delay(row.attempts)
            log.info("reply %s on %s not delivered (%s): retry in %.1f s", row.id, row.channel, exc, delay)
            await asyncio.to_thread(self.queue.retry_outbound, row, str(exc), delay)
            return
        await asyncio.to_thread(self.queue.mark_sent, row)
        self.metrics.messages_out.labels(row.channel, row.origin).inc()
