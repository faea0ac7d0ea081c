"""Rasa's REST channel behind a token (loaded by the Rasa server in `.venv-rasa`, named in credentials.yml).

Rasa's `--auth-token` guards only its HTTP API, never `/webhooks/rest/webhook`: anyone who reaches Rasa's port
could talk to the bot as any resident. `TokenRestInput` is Rasa's `RestInput` with one addition: every request
to the channel except its health check (`GET /webhooks/rest/`) must carry `Authorization: Bearer <token>`, where
the token is TROLYSO_RASA_TOKEN (read through `bot.config.Settings`). `trolyso up` (bot/stack.py) generates one per
start unless it is set and gives it to Rasa and to the gateway only. Without a token Rasa refuses to start.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.config import Settings

log = logging.getLogger(__name__)

TOKEN_SETTING = "TROLYSO_RASA_TOKEN"


def token_matches(authorization: str | None, token: str) -> bool:
    """`Authorization: Bearer <token>`, compared in constant time; an empty expected token matches nothing."""
    scheme, _, given = (authorization or "").strip().partition(" ")
    if not token or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode("utf-8"), token.encode("utf-8"))


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

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        bp = super().blueprint(on_new_message)

        @bp.middleware("request")
        async def require_token(request: Request) -> HTTPResponse | None:
            if request.method == "GET":  # the health check: says only that Rasa is up
                return None
            if token_matches(request.headers.get("Authorization"), self.token):
                return None
            log.warning("REST channel: refused a %s request without a valid token from %s", request.method, request.ip)
            return response.json({"error": "unauthorized"}, status=401, headers={"WWW-Authenticate": "Bearer"})

        return bp
