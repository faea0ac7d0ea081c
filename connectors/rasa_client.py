"""A small client for Rasa's REST channel (`POST /webhooks/rest/webhook`), on httpx: `RasaClient` (blocking) for
the terminal chat, the dialogue benchmark and the tests, `AsyncRasaClient` for the gateway's worker. Both build the
same request and read the answer with `parse_replies`; Rasa down or broken is `RasaUnavailable`. The channel
(nlu/rest_channel.py) answers only requests with `Authorization: Bearer <TROLYSO_RASA_TOKEN>`: pass `token`.

`AsyncRasaPool` spreads the gateway's conversations over several Rasa processes (TROLYSO_RASA_URLS): each
conversation goes to the server its rendezvous hash ranks first, so one server's death moves only its own
conversations; a server that does not answer (or answers nothing: its action server failed) is skipped at once for
the next one in that conversation's order and left out for `down_seconds`, then tried again. Each message carries a
`message_id` (`message_id_for`: the inbox row), with which Rasa answers a message sent twice from its tracker instead
of processing it again (nlu/rest_channel.py)."""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from bot.text import nfc

WEBHOOK = "/webhooks/rest/webhook"


class RasaUnavailable(RuntimeError):
    """Rasa did not answer (down, starting, an error on its side, or no reply because an action failed): the
    message was not processed."""


class RasaUnreachable(RasaUnavailable):
    """No answer at all: the connection was refused or broken, or it timed out (another Rasa may answer)."""


class RasaSilent(RasaUnavailable):
    """Rasa answered an empty list: an action failed, usually because its action server is down (another Rasa, with
    another action server, may answer)."""


def message_id_for(inbox_id: int, received_at: _dt.datetime | None = None) -> str:
    """The `message_id` Rasa stores with a resident's message: the inbox row (shared by every gateway process of one
    database) and the second it arrived, so a database started afresh or restored from an older backup (the inbox
    ids are used again) never meets an old conversation's message of the same id in Rasa's tracker store."""
    return f"trolyso-{inbox_id}" + (f"-{received_at:%Y%m%d%H%M%S}" if received_at is not None else "")


@dataclass
class Reply:
    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)


def parse_replies(url: str, status: int, payload: bytes) -> list[Reply]:
    """Rasa's REST answer → replies; anything but a non-empty list of messages is RasaUnavailable."""
    if status == 401:
        raise RasaUnavailable(f"Rasa at {url} answered HTTP 401: TROLYSO_RASA_TOKEN is missing or not Rasa's")
    if status != 200:
        raise RasaUnavailable(f"Rasa at {url} answered HTTP {status}")
    try:
        messages = json.loads(payload)
    except ValueError as exc:
        raise RasaUnavailable(f"Rasa at {url} sent a body that is not JSON") from exc
    if not isinstance(messages, list):
        messages = []
    replies = [
        Reply(
            text=nfc(m.get("text") or ""),
            buttons=[
                {"title": nfc(str(b.get("title", ""))), "payload": str(b.get("payload", ""))}
                for b in m.get("buttons") or []
                if isinstance(b, dict)
            ],
        )
        for m in messages
        if isinstance(m, dict) and (m.get("text") or m.get("buttons"))
    ]
    if not replies:
        # Every turn of this bot says something; Rasa answers [] when an action failed (e.g. the action
        # server is down), so the message must be treated as not processed and retried later.
        raise RasaSilent(f"Rasa at {url} sent no reply (is the action server running?)")
    return replies


class _RasaRest:
    """What both clients share: the webhook address, the request body and how a failed call is reported."""

    def __init__(self, url: str = "http://127.0.0.1:5005", timeout: float = 30.0, token: str = ""):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    @property
    def webhook(self) -> str:
        return f"{self.url}{WEBHOOK}"

    @staticmethod
    def body(
        sender: str, text: str, metadata: dict[str, Any] | None = None, message_id: str | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"sender": sender, "message": nfc(text)}
        if metadata:
            body["metadata"] = metadata
        if message_id:
            body["message_id"] = message_id
        return body

    def unreachable(self, exc: httpx.HTTPError) -> RasaUnavailable:
        kind = RasaUnreachable if isinstance(exc, httpx.TransportError) else RasaUnavailable
        return kind(f"Rasa at {self.url} did not answer: {exc.__class__.__name__}")

    def replies(self, resp: httpx.Response) -> list[Reply]:
        return parse_replies(self.url, resp.status_code, resp.content)


class RasaClient(_RasaRest):
    """Blocking: the terminal chat, the dialogue benchmark, the tests."""

    def __init__(self, url: str = "http://127.0.0.1:5005", timeout: float = 30.0, token: str = ""):
        super().__init__(url, timeout, token)
        self.http = httpx.Client(timeout=timeout, headers=self.headers)

    def send(
        self, sender: str, text: str, metadata: dict[str, Any] | None = None, message_id: str | None = None
    ) -> list[Reply]:
        try:
            resp = self.http.post(self.webhook, json=self.body(sender, text, metadata, message_id))
        except httpx.HTTPError as exc:
            raise self.unreachable(exc) from exc
        return self.replies(resp)

    def close(self) -> None:
        self.http.close()


class AsyncRasaClient(_RasaRest):
    """For the gateway's asyncio worker."""

    def __init__(self, url: str = "http://127.0.0.1:5005", timeout: float = 30.0, token: str = ""):
        super().__init__(url, timeout, token)
        self.http = httpx.AsyncClient(timeout=timeout, limits=httpx.Limits(max_connections=32), headers=self.headers)

    async def send(
        self, sender: str, text: str, metadata: dict[str, Any] | None = None, message_id: str | None = None
    ) -> list[Reply]:
        try:
            resp = await self.http.post(self.webhook, json=self.body(sender, text, metadata, message_id))
        except httpx.HTTPError as exc:
            raise self.unreachable(exc) from exc
        return self.replies(resp)

    async def close(self) -> None:
        await self.http.aclose()


def rendezvous_order(conversation_id: str, urls: Sequence[str]) -> list[str]:
    """The servers in the order a conversation tries them: highest rendezvous (highest random weight) score first.
    Stable across processes and restarts; removing one server moves only the conversations it ranked first."""

    def score(url: str) -> int:
        digest = hashlib.blake2b(f"{url}\n{conversation_id}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big")

    return sorted(urls, key=score, reverse=True)


class AsyncRasaPool:
    """Several Rasa servers for the gateway's worker, with `AsyncRasaClient.send`'s signature; with one server it
    behaves exactly as `AsyncRasaClient`. `on_failover(url, error)` is told each time a server is skipped (metrics)."""

    def __init__(
        self,
        urls: Sequence[str],
        timeout: float = 30.0,
        token: str = "",
        down_seconds: float = 5.0,
        on_failover: Callable[[str, RasaUnavailable], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        if not urls:
            raise ValueError("AsyncRasaPool needs at least one Rasa address")
        self.clients = {u.rstrip("/"): AsyncRasaClient(u, timeout=timeout, token=token) for u in urls}
        self.urls = list(self.clients)
        self.down_seconds = down_seconds
        self.on_failover = on_failover
        self.clock = clock
        self.down_until: dict[str, float] = {}

    @property
    def url(self) -> str:
        return ", ".join(self.urls)

    def is_down(self, url: str) -> bool:
        return self.down_until.get(url, 0.0) > self.clock()

    def order(self, conversation_id: str) -> list[str]:
        """This conversation's servers, those marked down moved to the end (still tried when all are down)."""
        ranked = rendezvous_order(conversation_id, self.urls)
        return [u for u in ranked if not self.is_down(u)] + [u for u in ranked if self.is_down(u)]

    async def send(
        self, sender: str, text: str, metadata: dict[str, Any] | None = None, message_id: str | None = None
    ) -> list[Reply]:
        error: RasaUnavailable | None = None
        for url in self.order(sender):
            try:
                replies = await self.clients[url].send(sender, text, metadata, message_id)
            except (RasaUnreachable, RasaSilent) as exc:
                self.down_until[url] = self.clock() + self.down_seconds
                if self.on_failover is not None:
                    self.on_failover(url, exc)
                error = exc
                continue
            self.down_until.pop(url, None)
            return replies
        assert error is not None  # the loop ran at least once (urls is not empty)
        raise error

    async def close(self) -> None:
        for client in self.clients.values():
            await client.close()
