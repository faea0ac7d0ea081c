"""Zalo Official Account (Open API v3): webhook verification and parsing, customer-service replies with the
button template, and the access-token manager (tokens kept in the store, refreshed before they expire; the
refresh token is single-use, so refreshes are serialised across processes and the new pair saved at once).

Facts used (see docs/channels.md): signature = sha256(app_id + raw body + timestamp + OA secret key) in
`X-ZEvent-Signature` (optionally prefixed "mac="); replies POST /v3.0/oa/message/cs with header
`access_token`; text ≤ 2,000 characters; ≤ 5 buttons; tokens from POST /v4/oa/access_token (form, header
`secret_key`), `expires_in` a string of seconds; error codes -216/-220 token, -230/-213/-305/-311 window or
quota, -32 rate limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as _dt
import hashlib
import hmac
import logging
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import httpx
from filelock import FileLock
from sqlalchemy import (
    insert,
    select,
    update,
)
from sqlalchemy import text as sql_text
from sqlalchemy.exc import IntegrityError

from bot.clock import as_utc, utcnow
from bot.status import MessageKind
from bot.store import Store
from bot.store.schema import channel_tokens
from connectors.messages import (
    DeliveryError,
    Inbound,
    Limits,
    Part,
    WebhookRejected,
    json_body,
    media_link,
    post_to_platform,
)

log = logging.getLogger(__name__)

CHANNEL = "zalo-oa"
LIMITS = Limits(max_text=2000, max_buttons=5)
TOKEN_ERRORS = {-216, -220, -124}
UNDELIVERABLE = {
    -213: "resident does not follow the OA",
    -230: "outside the 7-day window",
    -305: "outside the 48-hour reply window",
    -311: "reply quota used up",
    -204: "OA deleted",
    -205: "OA does not exist",
    -201: "invalid parameters",
    -233: "message type not supported",
}
RATE_LIMITED = -32
TEXT_EVENTS = ("user_send_text", "user_click_button")
# The events of a resident sending something else than text (docs/channels.md): the kind each becomes.
MEDIA_EVENTS = {
    "user_send_audio": MessageKind.VOICE,
    "user_send_image": MessageKind.IMAGE,
    "user_send_gif": MessageKind.IMAGE,
    "user_send_video": MessageKind.VIDEO,
    "user_send_sticker": MessageKind.STICKER,
    "user_send_file": MessageKind.FILE,
    "user_send_location": MessageKind.LOCATION,
    "user_send_link": MessageKind.OTHER,
    "user_send_business_card": MessageKind.OTHER,
}
FOLLOW_EVENTS = {"follow": MessageKind.FOLLOW, "unfollow": MessageKind.UNFOLLOW}  # {oa_id, follower: {id}, …}
REFRESH_MARGIN = _dt.timedelta(hours=1)  # refresh this long before the access token expires


@dataclass(frozen=True)
class ZaloOAConfig:
    app_id: str
    oa_secret_key: str  # webhook signatures (the "OA Secret Key" of the webhook page)
    app_secret: str  # token refresh (the app's secret key)
    access_token: str  # seed values; the store holds the current pair after the first start
    refresh_token: str
    api_base: str = "https://openapi.zalo.me"
    oauth_base: str = "https://oauth.zaloapp.com"
    event_window: float = 7200.0  # seconds: a message event stamped further from now, past or future, is refused


# --- webhook ---------------------------------------------------------------------------------------


def expected_signature(app_id: str, raw_body: bytes, timestamp: str, oa_secret_key: str) -> str:
    return hashlib.sha256(f"{app_id}{raw_body.decode('utf-8')}{timestamp}{oa_secret_key}".encode()).hexdigest()


def parse_webhook(
    config: ZaloOAConfig, raw_body: bytes, signature: str | None, now_ms: int | None = None
) -> list[Inbound]:
    """Verify and parse one webhook delivery. Raises WebhookRejected (401 bad/missing signature, 400 bad body,
    403 another app, 403 a message event whose `timestamp` (ms) is more than `config.event_window` from `now_ms`).

    The signature covers no nonce, so a captured delivery stays valid for ever: the window is what stops a replay
    once the message's de-duplication row is gone (or when it had no msg_id). Only the events that become messages
    are checked; a refused one is logged and counted (`rejected_zalo-oa`), never stored."""
    if not signature:
        raise WebhookRejected(401, "missing X-ZEvent-Signature")
    body = json_body(raw_body)
    if not isinstance(body, dict):
        raise WebhookRejected(400, "body is not a JSON object")
    timestamp = str(body.get("timestamp", ""))
    given = signature.strip()
    given = given[4:] if given.lower().startswith("mac=") else given
    want = expected_signature(str(body.get("app_id", "")), raw_body, timestamp, config.oa_secret_key)
    if not hmac.compare_digest(given.lower().encode(), want.encode()):
        raise WebhookRejected(401, "bad signature")
    if str(body.get("app_id", "")) != config.app_id:
        raise WebhookRejected(403, "webhook for another app")
    event = body.get("event_name")
    if event not in TEXT_EVENTS and event not in MEDIA_EVENTS and event not in FOLLOW_EVENTS:
        return []  # seen, received, link clicks…: acknowledged, nothing to answer
    try:
        stamped = int(timestamp)
    except ValueError:
        raise WebhookRejected(400, "message event without a timestamp") from None
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    if abs(now_ms - stamped) > config.event_window * 1000:
        raise WebhookRejected(403, f"event timestamp {(now_ms - stamped) / 1000:.0f} s from now, outside the window")
    message = m if isinstance(m := body.get("message"), dict) else {}
    if event in FOLLOW_EVENTS:
        follower = f if isinstance(f := body.get("follower"), dict) else {}
        user_id = follower.get("id")
        if not isinstance(user_id, (str, int)) or not str(user_id):
            raise WebhookRejected(400, f"{event} event without follower id")
        return [Inbound(CHANNEL, f"{event}:{user_id}:{timestamp}", str(user_id), "", FOLLOW_EVENTS[event])]
    sender = s if isinstance(s := body.get("sender"), dict) else {}
    if event in MEDIA_EVENTS:
        user_id = sender.get("id")
        if not isinstance(user_id, (str, int)) or not str(user_id):
            raise WebhookRejected(400, "message event without sender id")
        msg_id = message.get("msg_id") or f"{event}:{user_id}:{timestamp}"
        return [Inbound(CHANNEL, str(msg_id), str(user_id), "", MEDIA_EVENTS[event], _media_url(message))]
    user_id, text = sender.get("id"), message.get("text")
    msg_id = message.get("msg_id") or f"{user_id}:{timestamp}"
    if not isinstance(user_id, (str, int)) or not isinstance(text, str) or not text.strip():
        raise WebhookRejected(400, "message event without sender id or text")
    return [Inbound(CHANNEL, str(msg_id), str(user_id), text)]


def _media_url(message: dict) -> str:
    """The link Zalo gives to the first attachment (`message.attachments[0].payload.url`) as
    connectors.messages.media_link keeps it; "" otherwise (a location or a sticker may have none)."""
    attachments = message.get("attachments")
    first = attachments[0] if isinstance(attachments, list) and attachments else None
    payload = first.get("payload") if isinstance(first, dict) else None
    return media_link(payload.get("url")) if isinstance(payload, dict) else ""


# --- tokens ----------------------------------------------------------------------------------------


class TokenError(RuntimeError):
    pass


class TokenManager:
    """The OA access token: read from the store, refreshed before expiry (or when Zalo says it is expired).

    A refresh uses the single-use refresh token, so only one may run at a time across every process sharing
    the store: a file lock beside the SQLite database, or a transaction-scoped advisory lock on PostgreSQL.
    Whoever gets the lock second sees the new pair (the version moved) and does not refresh again."""

    NAME = CHANNEL

    def __init__(self, store: Store, config: ZaloOAConfig, http: httpx.AsyncClient, lock_dir: Path):
        self.store = store
        self.config = config
        self.http = http
        lock_dir.mkdir(parents=True, exist_ok=True)
        self.file_lock = FileLock(str(lock_dir / "zalo-oa-token.lock"), timeout=60, thread_local=False)
        self.task_lock = asyncio.Lock()  # one refresh at a time inside this process, the file lock across
        self._seed()

    def _seed(self) -> None:
        """Start from ZALO_OA_ACCESS_TOKEN / ZALO_OA_REFRESH_TOKEN the first time. Afterwards the store holds
        the current pair (each refresh replaces it); putting a *different* pair in the environment (after
        a new authorisation) replaces the stored one at the next start. Several gateways starting at once on
        one database may all find no row: the first insert wins, and the others read what it stored."""
        try:
            self._seed_once()
        except IntegrityError:
            log.info("zalo-oa: another gateway stored the token pair first")
            self._seed_once()

    def _seed_once(self) -> None:
        seed = hashlib.sha256(f"{self.config.access_token}\n{self.config.refresh_token}".encode()).hexdigest()
        have_env = bool(self.config.access_token and self.config.refresh_token)
        values = dict(
            access_token=self.config.access_token,
            refresh_token=self.config.refresh_token,
            # unknown lifetime of a seed token: treat it as fresh for 24 h (Zalo gives 25 h)
            expires_at=utcnow() + _dt.timedelta(hours=24),
            seed=seed,
            updated_at=utcnow(),
        )
        with self.store.engine.begin() as conn:
            row = conn.execute(
                select(channel_tokens.c.seed, channel_tokens.c.version).where(channel_tokens.c.name == self.NAME)
            ).first()
            if row is None:
                if not have_env:
                    raise TokenError("set ZALO_OA_ACCESS_TOKEN and ZALO_OA_REFRESH_TOKEN for the first start")
                conn.execute(insert(channel_tokens).values(name=self.NAME, version=0, **values))
            elif have_env and row[0] != seed:
                conn.execute(
                    update(channel_tokens)
                    .where(channel_tokens.c.name == self.NAME)
                    .values(version=row[1] + 1, **values)
                )
                log.info("zalo-oa: a new token pair from the environment replaces the stored one")

    def _read(self) -> dict:
        with self.store.engine.connect() as conn:
            row = conn.execute(select(channel_tokens).where(channel_tokens.c.name == self.NAME)).one()
        d = dict(row._mapping)
        d["expires_at"] = as_utc(d["expires_at"])
        return d

    async def access_token(self) -> tuple[str, int]:
        """The access token to use and its version (pass the version to `refresh` if Zalo refuses it)."""
        current = self._read()
        if current["expires_at"] - utcnow() < REFRESH_MARGIN:
            await self.refresh(seen_version=current["version"])
            current = self._read()
        return current["access_token"], current["version"]

    async def refresh(self, seen_version: int) -> str:
        """Refresh the token of version `seen_version`, unless someone already did; returns the current
        access token. (Without the version, a second worker refused with the same old token would refresh
        again and burn the new single-use refresh token.)"""
        async with self.task_lock:
            await asyncio.to_thread(self.file_lock.acquire)
            try:
                return await self._refresh_locked(seen_version)
            finally:
                self.file_lock.release()

    async def _refresh_locked(self, seen_version: int) -> str:
        async with self._pg_lock():
            current = self._read()
            if current["version"] != seen_version:
                return current["access_token"]  # another worker refreshed meanwhile
            resp = await self.http.post(
                f"{self.config.oauth_base}/v4/oa/access_token",
                headers={"secret_key": self.config.app_secret},
                data={
                    "refresh_token": current["refresh_token"],
                    "app_id": self.config.app_id,
                    "grant_type": "refresh_token",
                },
                timeout=20,
            )
            try:
                data = resp.json()
            except ValueError:
                data = {}
            if resp.status_code != 200 or not data.get("access_token") or not data.get("refresh_token"):
                raise TokenError(
                    f"Zalo refused the token refresh (HTTP {resp.status_code}, "
                    f"error {data.get('error')}): get a new token pair and restart"
                )
            expires_in = int(str(data.get("expires_in") or "90000"))
            with self.store.engine.begin() as conn:  # the new pair, saved in one statement
                conn.execute(
                    update(channel_tokens)
                    .where(channel_tokens.c.name == self.NAME)
                    .values(
                        access_token=data["access_token"],
                        refresh_token=data["refresh_token"],
                        expires_at=utcnow() + _dt.timedelta(seconds=expires_in),
                        version=current["version"] + 1,
                        updated_at=utcnow(),
                    )
                )
            log.info("zalo-oa access token refreshed (version %d)", current["version"] + 1)
            return data["access_token"]

    @contextlib.asynccontextmanager
    async def _pg_lock(self):
        """On PostgreSQL, also hold an advisory lock (gateways on several machines share no file system).
        Waiting for it happens on a thread, never blocking the event loop."""
        if self.store.engine.dialect.name != "postgresql":
            yield
            return
        key = {"k": zlib.crc32(b"trolyso-zalo-oa-token")}
        conn = await asyncio.to_thread(self.store.engine.connect)
        try:
            await asyncio.to_thread(conn.execute, sql_text("SELECT pg_advisory_lock(:k)"), key)
            try:
                yield
            finally:
                await asyncio.to_thread(conn.execute, sql_text("SELECT pg_advisory_unlock(:k)"), key)
        finally:
            await asyncio.to_thread(conn.close)


# --- sending ---------------------------------------------------------------------------------------


class ZaloOASender:
    channel = CHANNEL
    limits = LIMITS

    def __init__(self, config: ZaloOAConfig, tokens: TokenManager, http: httpx.AsyncClient):
        self.config = config
        self.tokens = tokens
        self.http = http

    def _body(self, recipient: str, part: Part) -> dict:
        message: dict = {"text": part.text}
        if part.buttons:
            message["attachment"] = {
                "type": "template",
                "payload": {
                    "buttons": [
                        {"title": b["title"][:100], "type": "oa.query.hide", "payload": b["payload"]}
                        for b in part.buttons[: LIMITS.max_buttons]
                    ]
                },
            }
        return {"recipient": {"user_id": recipient}, "message": message}

    async def _post(self, token: str, body: dict) -> dict:
        url = f"{self.config.api_base}/v3.0/oa/message/cs"
        _, data = await post_to_platform(
            self.http, CHANNEL, url, json=body, headers={"access_token": token}, timeout=20
        )
        return data if isinstance(data, dict) else {"error": -1}

    async def send(self, recipient: str, part: Part) -> None:
        body = self._body(recipient, part)
        try:
            token, version = await self.tokens.access_token()
            data = await self._post(token, body)
            if data.get("error") in TOKEN_ERRORS:  # expired or revoked: refresh, retry once
                token = await self.tokens.refresh(seen_version=version)
                data = await self._post(token, body)
        except TokenError as exc:
            raise DeliveryError(str(exc), retry=True, delay=300) from None
        except httpx.HTTPError as exc:
            raise DeliveryError(f"zalo-oa oauth unreachable: {exc.__class__.__name__}", retry=True) from None
        code = data.get("error", 0)
        if code == 0:
            return
        if code == RATE_LIMITED:
            raise DeliveryError("zalo-oa rate limit", retry=True, delay=30)
        if code in UNDELIVERABLE:
            raise DeliveryError(f"zalo-oa {code}: {UNDELIVERABLE[code]}", retry=False)
        if code in TOKEN_ERRORS:
            raise DeliveryError(f"zalo-oa {code}: token still refused after refresh", retry=True, delay=300)
        raise DeliveryError(f"zalo-oa error {code}: {data.get('message', '')}", retry=True)
