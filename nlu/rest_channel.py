"""Rasa's REST channel behind a token (loaded by the Rasa server in `.venv-rasa`, named in credentials.yml).

Rasa's `--auth-token` guards only its HTTP API, never `/webhooks/rest/webhook`: anyone who reaches Rasa's port
could talk to the bot as any resident. `TokenRestInput` is Rasa's `RestInput` with one addition: every request
to the channel except its health check (`GET /webhooks/rest/`) must carry `Authorization: Bearer <token>`, where
the token is TROLYSO_RASA_TOKEN (read through `bot.config.Settings`). `trolyso up` (bot/stack.py) generates one per
start unless it is set and gives it to Rasa and to the gateway only. Without a token Rasa refuses to start.

A message sent twice is processed once. The gateway sends each message with its inbox row's `message_id`
(connectors/rasa_client.py `message_id_for`); a gateway process can die after Rasa processed a message but before it
stored the reply, and then another one sends the message again once the lease expires. Before handling a message
with a `message_id`, the channel looks in the conversation's tracker (under the conversation's lock, so a copy
arriving while the first is still being processed waits for it): if that message is there with bot utterances after
it, those utterances are the answer, in the same JSON as a processed message's, and nothing is processed again;
found with no utterance after it (an action failed), it is processed as usual.
"""

from __future__ import annotations

import asyncio
import hmac
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import rasa.utils.endpoints
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.shared.core.events import BotUttered, Event, UserUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse, ResponseStream

from bot.config import Settings

log = logging.getLogger(__name__)

TOKEN_SETTING = "TROLYSO_RASA_TOKEN"
MAX_MESSAGE_ID = 200  # characters; a longer or non-string `message_id` is ignored (Rasa makes one)


def token_matches(authorization: str | None, token: str) -> bool:
    """`Authorization: Bearer <token>`, compared in constant time; an empty expected token matches nothing."""
    scheme, _, given = (authorization or "").strip().partition(" ")
    if not token or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode("utf-8"), token.encode("utf-8"))


def answered(events: list[Event], message_id: str) -> list[BotUttered] | None:
    """The bot's utterances after the user message `message_id` (up to the next user message); None when that
    message is not in `events`. An empty list: it is there but nothing was said after it (process it again)."""
    found: list[BotUttered] | None = None
    for event in events:
        if isinstance(event, UserUttered):
            if found is not None:
                break
            if event.message_id == message_id:
                found = []
        elif found is not None and isinstance(event, BotUttered):
            found.append(event)
    return found


class TokenRestInput(RestInput):
    """`RestInput` (same name "rest", same URLs, same replies) that answers 401 to a request without the token."""

    def __init__(self, token: str) -> None:
        if not token:
            raise ValueError(
                f"{TOKEN_SETTING} is not set: Rasa's REST channel would answer anyone. Start the services with "
                f"`trolyso up` (it sets one), or set {TOKEN_SETTING} for Rasa and the gateway alike."
            )
        self.token = token

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TokenRestInput:
        return cls(Settings.from_env().rasa_token)

    @staticmethod
    def _extract_message_id(request: Request) -> str | None:
        value = (request.json or {}).get("message_id")
        return value if isinstance(value, str) and 0 < len(value) <= MAX_MESSAGE_ID else None

    @staticmethod
    async def handle_once(request: Request, message: UserMessage, collector: CollectingOutputChannel) -> bool:
        """Process `message` unless its `message_id` was processed already, in which case put what the bot said
        after it into `collector`. The look-up and the processing hold the conversation's lock together (what
        Agent.handle_message does, with the look-up inside), so two copies of one message sent at once (a gateway
        whose lease ran out while Rasa was still at it) are processed once. False when there is no agent to ask:
        the caller hands the message to Rasa the usual way."""
        agent = getattr(request.app.ctx, "agent", None)
        if agent is None or getattr(agent, "tracker_store", None) is None or not agent.is_ready():
            return False
        sender_id, message_id = message.sender_id, message.message_id
        async with agent.lock_store.lock(sender_id):
            tracker = await agent.tracker_store.retrieve(sender_id)
            said = answered(list(tracker.events), message_id) if tracker is not None else None
            if not said:
                await agent.processor.handle_message(message)
                return True
        log.info(
            "REST channel: message %s of %s was processed already; its %d replies sent again",
            message_id,
            sender_id,
            len(said),
        )
        for event in said:
            await collector.send_response(sender_id, event.message())
        return True

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        """RestInput's routes (health check, webhook with `?stream=true`), the webhook reading `message_id`."""
        module = inspect.getmodule(self)
        bp = Blueprint(f"custom_webhook_{type(self).__name__}", module.__name__ if module else None)

        @bp.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> ResponseStream | HTTPResponse:
            sender_id = await self._extract_sender(request)
            text = self._extract_message(request)
            input_channel = self._extract_input_channel(request)
            metadata = self.get_metadata(request)
            if rasa.utils.endpoints.bool_arg(request, "stream", default=False):
                # Rasa's Sanic (21.12) has response.stream; the app environment's newer Sanic, which mypy reads, not
                return response.stream(  # type: ignore[attr-defined]
                    self.stream_response(on_new_message, text, sender_id, input_channel, metadata),
                    content_type="text/event-stream",
                )
            message_id = self._extract_message_id(request)
            collector = CollectingOutputChannel()
            message = UserMessage(
                text, collector, sender_id, input_channel=input_channel, metadata=metadata, message_id=message_id
            )
            try:
                if not (message_id and sender_id and await self.handle_once(request, message, collector)):
                    await on_new_message(message)
            except asyncio.CancelledError:
                log.error("REST channel: message of %s timed out", sender_id)
            except Exception:
                log.exception("REST channel: message of %s failed", sender_id)
            return response.json(collector.messages)

        @bp.middleware("request")
        async def require_token(request: Request) -> HTTPResponse | None:
            if request.method == "GET":  # the health check: says only that Rasa is up
                return None
            if token_matches(request.headers.get("Authorization"), self.token):
                return None
            log.warning("REST channel: refused a %s request without a valid token from %s", request.method, request.ip)
            return response.json({"error": "unauthorized"}, status=401, headers={"WWW-Authenticate": "Bearer"})

        return bp
