"""Web-chat sessions: the server, never the browser, chooses a web conversation.

The first `POST /api/chat` without a valid token gets a new conversation ("web:<random>") and an unguessable token
(`secrets.token_urlsafe(32)`); the browser sends the token back (an HttpOnly cookie on the /chat page, the
`X-Chat-Token` header from the widget on the commune's portal). Only the token's SHA-256 is stored, so neither the
table nor a log line gives a conversation away. A token unused for `max_age` is refused and later deleted.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import secrets
from typing import NamedTuple, TypeGuard

from sqlalchemy import delete, insert, select, update

from bot.clock import as_utc, utcnow
from bot.store import Store
from bot.store.schema import web_sessions

CHANNEL = "web"
TOKEN_MAX = 128  # a token is 43 characters; anything much longer is not one of ours
TOUCH_EVERY = _dt.timedelta(minutes=10)  # last_seen is written at most this often per session


class WebSession(NamedTuple):
    token: str  # only known when just created; "" for a session looked up by its token
    conversation_id: str  # "web:<recipient>"
    recipient: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _plausible(token: str | None) -> TypeGuard[str]:
    """Could this be one of our tokens (not missing, not huge, ASCII)? Nothing else is looked up."""
    return token is not None and 0 < len(token) <= TOKEN_MAX and token.isascii()


class WebSessions:
    def __init__(self, store: Store, max_age: _dt.timedelta = _dt.timedelta(days=30)):
        self.engine = store.engine
        self.max_age = max_age

    def create(self, conversation_id: str | None = None) -> WebSession:
        """A new session with a fresh token. `conversation_id` is for tests and tools that give an existing web
        conversation a token; the gateway never passes one (the id is always random)."""
        token = secrets.token_urlsafe(32)
        conversation_id = conversation_id or f"{CHANNEL}:{secrets.token_hex(12)}"
        t = utcnow()
        with self.engine.begin() as conn:
            conn.execute(
                insert(web_sessions).values(
                    token_hash=token_hash(token), conversation_id=conversation_id, created_at=t, last_seen=t
                )
            )
        return WebSession(token, conversation_id, conversation_id.split(":", 1)[1])

    def find(self, token: str | None) -> WebSession | None:
        """The session of a token, or None (missing, malformed, unknown or expired)."""
        if not _plausible(token):
            return None
        key, t = token_hash(token), utcnow()
        with self.engine.connect() as conn:
            row = conn.execute(
                select(web_sessions.c.conversation_id, web_sessions.c.last_seen).where(web_sessions.c.token_hash == key)
            ).first()
        if row is None:
            return None
        last_seen = as_utc(row.last_seen)
        if t - last_seen > self.max_age:
            return None
        if t - last_seen > TOUCH_EVERY:
            with self.engine.begin() as conn:
                conn.execute(update(web_sessions).where(web_sessions.c.token_hash == key).values(last_seen=t))
        return WebSession("", row.conversation_id, row.conversation_id.split(":", 1)[1])

    def end(self, token: str | None) -> bool:
        """The resident ended the conversation ("Kết thúc"): its token stops working. True if there was one."""
        if not _plausible(token):
            return False
        with self.engine.begin() as conn:
            return conn.execute(delete(web_sessions).where(web_sessions.c.token_hash == token_hash(token))).rowcount > 0

    def prune(self) -> int:
        """Delete sessions unused for longer than `max_age`; how many went."""
        with self.engine.begin() as conn:
            return conn.execute(delete(web_sessions).where(web_sessions.c.last_seen < utcnow() - self.max_age)).rowcount
