"""The gateway's protective middleware (pure ASGI, wired in `connectors.gateway.create_app`):

- `BodyLimit`: a request body larger than its route allows is refused with 413 before anything parses it — at once
  when `Content-Length` says so, else (chunked) as soon as the bytes received pass the limit; nothing beyond that
  chunk is read, and the route's own answer is replaced by the 413.
- `SecurityHeaders`: nosniff, a same-origin referrer, a Content-Security-Policy per area, no caching of the
  console and the chat API, HSTS when the deployment is HTTPS (`TROLYSO_COOKIE_SECURE=1`).
- `metrics_allowed`: who may read /metrics (loopback, or the bearer token `TROLYSO_METRICS_TOKEN`).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

KB = 1024
# (path prefix, largest body in bytes): the first matching prefix wins, DEFAULT_LIMIT otherwise
BODY_LIMITS: tuple[tuple[str, int], ...] = (
    ("/webhooks/", 1024 * KB),  # platform deliveries
    ("/api/chat", 16 * KB),  # one web-chat message (≤ 1,000 characters) in JSON
    ("/admin/knowledge/upload", 2048 * KB),  # a Markdown file (the page itself refuses more than 512 KB)
    ("/admin/", 64 * KB),  # console forms
)
DEFAULT_LIMIT = 64 * KB

TOO_LARGE_TEXT = "Dạ, nội dung gửi lên lớn quá giới hạn cho phép, anh/chị vui lòng rút gọn rồi gửi lại."
BAD_LENGTH_TEXT = "Dạ, yêu cầu không hợp lệ (độ dài nội dung sai)."


def body_limit(path: str) -> int:
    """The largest request body (bytes) the gateway accepts at `path`."""
    for prefix, limit in BODY_LIMITS:
        if path.startswith(prefix) or path == prefix.rstrip("/"):
            return limit
    return DEFAULT_LIMIT


class _TooLarge(Exception):
    """Raised into the application from `receive` once the body passed its limit."""


async def _send_json(send: Send, status: int, body: dict) -> None:
    raw = json.dumps(body, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(raw)).encode()),
                (b"connection", b"close"),  # the rest of the body is never read
            ],
        }
    )
    await send({"type": "http.response.body", "body": raw})


class BodyLimit:
    """Refuse (413) a request body larger than `limit_for(path)` before the application parses it."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int] = body_limit):
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        declared = [v for k, v in scope.get("headers", []) if k.lower() == b"content-length"]
        if declared:
            try:
                length = int(declared[0])
            except ValueError:
                length = -1
            if length < 0:
                await _send_json(send, 400, {"error": BAD_LENGTH_TEXT})
                return
            if length > limit:
                await _send_json(send, 413, {"error": TOO_LARGE_TEXT, "limit": limit})
                return
        received = 0
        exceeded = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                raise _TooLarge
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # the application's own answer (an error page, a 500) gives way to the 413
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except _TooLarge:
            if started:
                raise
        if exceeded and not started:
            await _send_json(send, 413, {"error": TOO_LARGE_TEXT, "limit": limit})


# --- response headers ---------------------------------------------------------------------------------

# The console's templates carry small inline scripts, handlers and styles (and one script per news item with its
# id in it, so hashes cannot list them): they need 'unsafe-inline'; Jinja's autoescaping is what keeps
# residents' text out of them. The chat page and the widget have no inline code at all.
CSP_ADMIN = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
CSP_PAGE = "default-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
# JSON, webhooks, static files: nothing to run or frame. (A script or stylesheet ignores the CSP of its own
# response, so the widget still loads on the commune's portal.)
CSP_OTHER = "default-src 'none'; frame-ancestors 'none'"
HSTS = "max-age=31536000"


def security_headers(path: str, hsts: bool) -> list[tuple[bytes, bytes]]:
    """The headers every gateway response at `path` gets (replacing any the application set)."""
    if path == "/admin" or path.startswith("/admin/"):
        csp = CSP_ADMIN
    elif path in ("/chat", "/privacy"):  # pages with the widget's stylesheet and no inline code
        csp = CSP_PAGE
    else:
        csp = CSP_OTHER
    headers = [
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"content-security-policy", csp.encode()),
    ]
    if path == "/admin" or path.startswith(("/admin/", "/api/chat")):
        headers.append((b"cache-control", b"no-store"))
    if hsts:
        headers.append((b"strict-transport-security", HSTS.encode()))
    return headers


class SecurityHeaders:
    def __init__(self, app: ASGIApp, hsts: bool = False):
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = security_headers(scope.get("path", ""), self.hsts)
        names = {k for k, _ in extra}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message["headers"] = kept + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)


# --- /metrics -----------------------------------------------------------------------------------------

PROXY_HEADERS = ("x-forwarded-for", "x-real-ip", "forwarded")


def metrics_allowed(client_host: str | None, headers: Mapping[str, str], token: str) -> bool:
    """/metrics for a scraper on this machine, or anyone with `Authorization: Bearer <token>` when a token is set.
    A request relayed by a reverse proxy (it carries a forwarding header) is not local, whatever its address."""
    if token:
        given = str(headers.get("authorization", ""))
        if given[:7].lower() == "bearer " and hmac.compare_digest(given[7:].strip().encode(), token.encode()):
            return True
    if any(headers.get(name) for name in PROXY_HEADERS):
        return False
    try:
        return client_host is not None and ipaddress.ip_address(client_host).is_loopback
    except ValueError:
        return False
