"""A small client for Rasa's REST channel (`POST /webhooks/rest/webhook`), on httpx: `RasaClient` (blocking) for
the terminal chat, the dialogue benchmark and the tests, `AsyncRasaClient` for the gateway's worker. Both build the
same request and read the answer with `parse_replies`; Rasa down or broken is `RasaUnavailable`. The channel
(nlu/rest_channel.py) answers only requests with `Authorization: Bearer <TROLYSO_RASA_TOKEN>`: pass `token`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from bot.text import nfc

WEBHOOK = "/webhooks/rest/webhook"


class RasaUnavailable(RuntimeError):
    """Rasa did not answer (down, starting, an error on its side, or no reply because an action failed): the
    message was not processed."""


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
        raise RasaUnavailable(f"Rasa at {url} sent no reply (is the action server running?)")
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
    def body(sender: str, text: str, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"sender": sender, "message": nfc(text)}
        if metadata:
            body["metadata"] = metadata
        return body

    def unreachable(self, exc: httpx.HTTPError) -> RasaUnavailable:
        return RasaUnavailable(f"Rasa at {self.url} did not answer: {exc.__class__.__name__}")

    def replies(self, resp: httpx.Response) -> list[Reply]:
        return parse_replies(self.url, resp.status_code, resp.content)


class RasaClient(_RasaRest):
    """Blocking: the terminal chat, the dialogue benchmark, the tests."""

    def __init__(self, url: str = "http://127.0.0.1:5005", timeout: float = 30.0, token: str = ""):
        super().__init__(url, timeout, token)
        self.http = httpx.Client(timeout=timeout, headers=self.headers)

    def send(self, sender: str, text: str, metadata: dict[str, Any] | None = None) -> list[Reply]:
        try:
            resp = self.http.post(self.webhook, json=self.body(sender, text, metadata))
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

    async def send(self, sender: str, text: str, metadata: dict[str, Any] | None = None) -> list[Reply]:
        try:
            resp = await self.http.post(self.webhook, json=self.body(sender, text, metadata))
        except httpx.HTTPError as exc:
            raise self.unreachable(exc) from exc
        return self.replies(resp)

    async def close(self) -> None:
        await self.http.aclose()
