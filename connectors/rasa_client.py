"""A small client for Rasa's REST channel (`POST /webhooks/rest/webhook`), used by the terminal chat, the
dialogue benchmark and the tests; the gateway uses the same contract."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import requests

from bot.text import nfc


class RasaUnavailable(RuntimeError):
    """Rasa did not answer (down, starting, an error on its side, or no reply because an action failed): the
    message was not processed."""


@dataclass
class Reply:
    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)


def parse_replies(url: str, status: int, payload: bytes) -> list[Reply]:
    """Rasa's REST answer → replies; anything but a non-empty list of messages is RasaUnavailable."""
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


class AsyncRasaClient:
    """The same contract for the gateway's asyncio worker (httpx)."""

    def __init__(self, url: str = "http://127.0.0.1:5005", timeout: float = 30.0):
        import httpx

        self.url = url.rstrip("/")
        self.http = httpx.AsyncClient(timeout=timeout, limits=httpx.Limits(max_connections=32))

    async def send(self, sender: str, text: str, metadata: dict[str, Any] | None = None) -> list[Reply]:
        import httpx

        body: dict[str, Any] = {"sender": sender, "message": nfc(text)}
        if metadata:
            body["metadata"] = metadata
        try:
            resp = await self.http.post(f"{self.url}/webhooks/rest/webhook", json=body)
        except httpx.HTTPError as exc:
            raise RasaUnavailable(f"Rasa at {self.url} did not answer: {exc.__class__.__name__}") from exc
        return parse_replies(self.url, resp.status_code, resp.content)

    async def close(self) -> None:
        await self.http.aclose()


class RasaClient:
    def __init__(self, url: str = "http://127.0.0.1:5005", timeout: float = 30.0):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()

    def send(self, sender: str, text: str, metadata: dict[str, Any] | None = None) -> list[Reply]:
        body: dict[str, Any] = {"sender": sender, "message": nfc(text)}
        if metadata:
            body["metadata"] = metadata
        try:
            resp = self.session.post(f"{self.url}/webhooks/rest/webhook", json=body, timeout=self.timeout)
        except requests.RequestException as exc:
            raise RasaUnavailable(f"Rasa at {self.url} did not answer: {exc.__class__.__name__}") from exc
        return parse_replies(self.url, resp.status_code, resp.content)
