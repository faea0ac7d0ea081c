"""Fake chat-platform servers for the channel-gateway tests.

Each fake is a real HTTP server on ``127.0.0.1`` (an OS-chosen port), run by the
standard library's :class:`http.server.ThreadingHTTPServer` in a background thread.
Point the gateway's base URLs at ``fake.url`` and it talks to the fake exactly as it
would talk to the platform, over real sockets. Every request is recorded as a
:class:`Call`, so tests can assert on what was sent.

The fakes answer like the real platforms, as described in the project's
``docs/channels.md`` (the platform facts the channel modules rely on):

* :class:`FakeZaloOA`: Zalo Official Account Open API v3 (``/v3.0/oa/message/cs``)
  and the OAuth v4 token endpoint (``/v4/oa/access_token``), with access-token
  expiry and single-use refresh tokens. Errors use HTTP 200 and a non-zero ``error``
  field, as Zalo does.
* :class:`FakeZaloBot`: Zalo Bot Platform API (``/bot<TOKEN>/<method>``, envelope
  ``{"ok", "result"}``, one update per ``getUpdates`` call, 408 on an empty long poll).
* :class:`FakeMessenger`: Meta's Graph API Send API (``POST /me/messages?access_token=``), Graph
  error bodies ``{"error": {"code", "error_subcode", ...}}`` with HTTP 400.
* :class:`FakeTelegram`: Telegram Bot API, enough for python-telegram-bot 22
  (``getMe``, ``sendMessage``, callbacks, webhooks, ``getUpdates``). It accepts JSON,
  url-encoded and multipart bodies. PTB sends form-encoded bodies, with nested
  values such as ``reply_markup`` JSON-encoded as strings.

Features shared by all fakes (see :class:`FakeServer`):

* ``fail_next(n, status, body)`` injects HTTP failures;
* ``set_delay(seconds)`` slows every answer;
* ``calls`` / ``calls_to(suffix)`` / ``wait_for_calls(...)`` inspect the traffic.

Long polls never wait longer than :data:`LONG_POLL_CAP` seconds, so tests stay fast.
Where the platform's behaviour is undocumented, the fake picks one plausible answer.
Each such choice is noted where it is made.

Usage::

    with FakeZaloBot() as fake:
        config = ZaloBotConfig(token=fake.token, secret_token="", api_base=fake.url, webhook_url="", polling=False)
        client = ZaloBotClient(config, httpx.AsyncClient())
        ...
        assert fake.sent()[0]["text"] == "Xin chào"
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import socket
import socketserver
import sys
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Self
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = [
    "LONG_POLL_CAP",
    "Call",
    "FakeServer",
    "FakeMessenger",
    "FakeTelegram",
    "FakeZaloBot",
    "FakeZaloOA",
    "free_port",
]

#: Upper bound (seconds) on how long any fake holds a long-poll request open.
LONG_POLL_CAP = 1.0

Response = tuple[int, Any]  # (HTTP status, JSON-able payload | bytes | str)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------- requests


@dataclass
class Call:
    """One HTTP request received by a fake server."""

    method: str
    path: str  # URL path without the query string, percent-decoded
    query: dict[str, list[str]]
    headers: dict[str, str]  # names lower-cased; repeated headers joined with ", "
    body: bytes
    json: Any | None  # parsed body when it is JSON, else None
    form: dict[str, str] | None  # url-encoded or multipart text fields, else None
    at: float  # time.monotonic() when the request was read
    files: dict[str, bytes] = field(default_factory=dict)  # multipart file parts

    def params(self) -> dict[str, Any]:
        """Query, form and JSON-object parameters merged (the body wins over the query)."""
        merged: dict[str, Any] = {key: values[-1] for key, values in self.query.items()}
        if self.form:
            merged.update(self.form)
        if isinstance(self.json, dict):
            merged.update(self.json)
        return merged


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    """Read the request body (Content-Length or chunked transfer encoding)."""
    if "chunked" in handler.headers.get("Transfer-Encoding", "").lower():
        chunks = []
        while True:
            size_line = handler.rfile.readline()
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()  # CRLF after each chunk
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length > 0 else b""


def _parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, bytes]]:
    """Split a multipart/form-data body into text fields and file parts."""
    message = BytesParser(policy=policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    form: dict[str, str] = {}
    files: dict[str, bytes] = {}
    if not message.is_multipart():
        return form, files
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True) or b""
        if part.get_filename() is None:
            form[str(name)] = payload.decode(part.get_content_charset() or "utf-8", "replace")
        else:
            files[str(name)] = payload
    return form, files


def _parse_request(handler: BaseHTTPRequestHandler) -> Call:
    at = time.monotonic()
    url = urlsplit(handler.path)
    headers: dict[str, str] = {}
    for name, value in handler.headers.items():
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    body = _read_body(handler)

    content_type = headers.get("content-type", "")
    mime = content_type.split(";")[0].strip().lower()
    form: dict[str, str] | None = None
    files: dict[str, bytes] = {}
    parsed_json: Any | None = None
    if mime == "application/x-www-form-urlencoded":
        pairs = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        form = {key: values[-1] for key, values in pairs.items()}
    elif mime == "multipart/form-data":
        form, files = _parse_multipart(content_type, body)
    elif body.strip():
        try:
            parsed_json = json.loads(body)
        except ValueError:
            parsed_json = None

    return Call(
        method=handler.command,
        path=unquote(url.path),
        query=parse_qs(url.query, keep_blank_values=True),
        headers=headers,
        body=body,
        json=parsed_json,
        form=form,
        at=at,
        files=files,
    )


# --------------------------------------------------------------------------- server core


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeServer):
        self.fake = fake
        super().__init__(("127.0.0.1", 0), _Handler)

    def server_bind(self) -> None:
        # Skip HTTPServer.server_bind's socket.getfqdn() (a reverse DNS lookup).
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.0: one request per connection, so a stopped fake never keeps answering
    # on a kept-alive socket.
    protocol_version = "HTTP/1.0"
    server_version = "FakePlatform/1.0"
    server: _HTTPServer

    def _serve(self) -> None:
        self.server.fake._serve(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output quiet


class FakeServer:
    """Base class: a recording HTTP server on 127.0.0.1 in a background thread.

    Subclasses implement :meth:`_route`. All mutable state is guarded by ``_lock``.
    ``_cond`` (built on that lock) is notified on every recorded call, on every
    queued update, and on stop.
    """

    def __init__(self) -> None:
        self.calls: list[Call] = []
        #: Path suffixes that ``fail_next`` never fails (e.g. ``"/getUpdates"``).
        self.never_fail_paths: set[str] = set()
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._url: str | None = None
        self._fail_remaining = 0
        self._fail_status = 500
        self._fail_body: Any = None
        self._delay = 0.0

    # -- lifecycle ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL, ``http://127.0.0.1:<port>`` (available once started)."""
        if self._url is None:
            raise RuntimeError(f"{type(self).__name__} has not been started")
        return self._url

    def start(self) -> Self:
        """Bind a fresh port and serve in a daemon thread. Idempotent; returns self."""
        if self._thread is not None:
            return self
        self._stopping.clear()
        self._httpd = _HTTPServer(self)
        self._url = f"http://127.0.0.1:{self._httpd.server_port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{type(self).__name__}-{self._httpd.server_port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake any long polls, and close the socket. Idempotent."""
        if self._thread is None or self._httpd is None:
            return
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
        self._thread = None
        self._httpd = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- test controls -----------------------------------------------------------------

    def fail_next(self, n: int, status: int = 500, body: dict | None = None) -> None:
        """Answer the next ``n`` requests with HTTP ``status`` and ``body``.

        Paths ending with an entry of :attr:`never_fail_paths` are skipped. When
        ``body`` is None, the platform's usual error body for ``status`` is used.
        A new call replaces any failures still pending.
        """
        with self._lock:
            self._fail_remaining = n
            self._fail_status = status
            self._fail_body = body

    def set_delay(self, seconds: float) -> None:
        """Sleep ``seconds`` before answering every request (0 turns it off)."""
        with self._lock:
            self._delay = max(0.0, float(seconds))

    def calls_to(self, path_suffix: str) -> list[Call]:
        """Recorded calls whose path ends with ``path_suffix``, in order."""
        with self._lock:
            return [call for call in self.calls if call.path.endswith(path_suffix)]

    def wait_for_calls(self, path_suffix: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Block until at least ``count`` calls end with ``path_suffix``; return them.

        Raises ``TimeoutError`` if they do not arrive within ``timeout`` seconds.
        Useful when the code under test talks to the fake from another thread or task.
        """
        with self._cond:
            done = self._cond.wait_for(lambda: len(self.calls_to(path_suffix)) >= count, timeout)
            matching = self.calls_to(path_suffix)
        if not done:
            raise TimeoutError(f"expected {count} call(s) to *{path_suffix}, got {len(matching)}")
        return matching

    # -- request handling --------------------------------------------------------------

    def _route(self, call: Call) -> Response:
        """Answer one request: return (HTTP status, payload). Subclasses override this."""
        return 404, {"error": 404, "message": f"no route for {call.method} {call.path}"}

    def _failure_body(self, status: int) -> Any:
        """The body sent by ``fail_next`` when no explicit body was given."""
        return {"error": status, "message": _reason(status)}

    def _take_failure(self, path: str) -> Response | None:
        with self._lock:
            if self._fail_remaining <= 0 or any(path.endswith(p) for p in self.never_fail_paths):
                return None
            self._fail_remaining -= 1
            body = self._fail_body if self._fail_body is not None else self._failure_body(self._fail_status)
            return self._fail_status, body

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        call = _parse_request(handler)
        with self._cond:
            self.calls.append(call)
            self._cond.notify_all()
            delay = self._delay
        if delay:
            self._stopping.wait(delay)
        response = self._take_failure(call.path)
        if response is None:
            try:
                response = self._route(call)
            except Exception as exc:  # noqa: BLE001 - a bug in the fake must not hang the client
                traceback.print_exc(file=sys.stderr)
                response = 500, {"error": 500, "message": f"fake server error: {exc!r}"}
        self._respond(handler, *response)

    @staticmethod
    def _respond(handler: BaseHTTPRequestHandler, status: int, payload: Any) -> None:
        if isinstance(payload, bytes):
            data, content_type = payload, "application/octet-stream"
        elif isinstance(payload, str):
            data, content_type = payload.encode("utf-8"), "text/plain; charset=utf-8"
        else:
            data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
            content_type = "application/json; charset=utf-8"
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(data)))
            handler.send_header("Connection", "close")
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (e.g. its own timeout); nothing to do
        handler.close_connection = True

    def _wait_until(self, predicate: Callable[[], Any], timeout: float) -> Any:
        """Wait (lock held by caller) until ``predicate()`` is truthy, stop, or timeout."""
        timeout = max(0.0, min(timeout, LONG_POLL_CAP))
        return self._cond.wait_for(lambda: predicate() or self._stopping.is_set(), timeout) and predicate()


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _now_ms() -> int:
    return int(time.time() * 1000)


def _as_float(value: Any, default: float = 0.0) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


# --------------------------------------------------------------------------- Zalo OA


class FakeZaloOA(FakeServer):
    """Zalo OA Open API v3 plus the OAuth v4 token endpoint, on one URL.

    Point both ``ZALO_OA_API_BASE`` and ``ZALO_OAUTH_BASE`` at :attr:`url`.

    * ``POST /v3.0/oa/message/cs``, with header ``access_token`` and a JSON body. The
      answer is always HTTP 200; ``error`` is 0 on success. Token checks come first:
      ``-216`` for an unknown token, ``-220`` for an expired or removed one. Then the
      body is validated: ``-201`` for bad parameters, text over 2000 characters, or
      more than 5 buttons.
    * ``POST /v4/oa/access_token``, with header ``secret_key`` and a url-encoded form
      ``refresh_token, app_id, grant_type=refresh_token``. It returns a new token pair
      with ``expires_in`` as a string. The refresh token is single-use. Using it
      moves every current access token to :attr:`expired_access_tokens`, so an old
      token then gets ``-220``. A stale or unknown refresh token gets ``-14014``; a
      wrong ``secret_key`` or ``app_id`` gets ``-14002``; a missing or unsupported
      parameter gets ``-14001``. All of these use HTTP 200. The exact OAuth error
      codes are not documented, so ``-14001``, ``-14002`` and ``-14014`` are this
      fake's choices.

    New tokens are ``at-<n>`` / ``rt-<n>``, where n is :attr:`refresh_count`.
    """

    MESSAGE_PATH = "/v3.0/oa/message/cs"
    TOKEN_PATH = "/v4/oa/access_token"
    MAX_TEXT = 2000
    MAX_BUTTONS = 5
    EXPIRES_IN = "90000"  # seconds, as a string, like Zalo

    ERROR_MESSAGES: ClassVar[dict[int, str]] = {
        -32: "Exceeded the rate limit",
        -201: "Parameters are invalid",
        -204: "Official Account has been deleted",
        -205: "Official Account does not exist",
        -213: "User has not followed the Official Account",
        -216: "Access token is invalid",
        -220: "Access token has expired or been removed",
        -230: "User has not interacted with the OA in the past 7 days",
        -233: "Message type is invalid or unsupported",
        -305: "Cannot reply to the user after 48 hours",
        -311: "Out of reply quota",
    }

    def __init__(
        self,
        app_id: str = "app1",
        app_secret: str = "appsecret",
        access_token: str = "at-0",
        refresh_token: str = "rt-0",
    ) -> None:
        super().__init__()
        self.app_id = app_id
        self.app_secret = app_secret
        self.oa_id = "oa1"
        self.access_token = access_token  # the newest access token issued
        self.refresh_token = refresh_token  # the only refresh token currently accepted
        self.valid_access_tokens: set[str] = {access_token}
        self.expired_access_tokens: set[str] = set()
        self.refresh_count = 0
        self._forced: deque[tuple[int, str]] = deque()
        self._sent: list[dict] = []

    # -- test controls -----------------------------------------------------------------

    def expire_access_token(self) -> None:
        """Every currently valid access token becomes expired (answers ``-220``)."""
        with self._lock:
            self.expired_access_tokens |= self.valid_access_tokens
            self.valid_access_tokens.clear()

    def force_error(self, code: int, n: int = 1, message: str = "") -> None:
        """The next ``n`` message/cs calls answer ``{"error": code, "message": ...}``.

        This check runs before the token and body checks.
        """
        text = message or self.ERROR_MESSAGES.get(code, "Forced error")
        with self._lock:
            self._forced.extend([(code, text)] * n)

    def sent(self) -> list[dict]:
        """JSON bodies of the successful message/cs calls, in order."""
        with self._lock:
            return list(self._sent)

    @staticmethod
    def sign(app_id: str, raw_body: bytes, timestamp: str, oa_secret_key: str) -> str:
        """The ``X-ZEvent-Signature`` value: hex sha256(app_id + body + timestamp + key)."""
        material = app_id + raw_body.decode("utf-8") + timestamp + oa_secret_key
        return hashlib.sha256(material.encode("utf-8")).hexdigest()

    def make_text_event(self, user_id: str, text: str, msg_id: str | None = None) -> dict:
        """A ``user_send_text`` webhook event for this OA, shaped like Zalo's."""
        return {
            "event_name": "user_send_text",
            "app_id": self.app_id,
            "sender": {"id": str(user_id)},
            "recipient": {"id": self.oa_id},
            "message": {"text": text, "msg_id": msg_id or uuid.uuid4().hex[:20]},
            "timestamp": str(_now_ms()),
            "user_id_by_app": f"app-{user_id}",
        }

    def make_media_event(self, user_id: str, event: str, url: str | None = None, msg_id: str | None = None) -> dict:
        """A ``user_send_image`` / ``user_send_audio`` / … event: ``message.attachments[0]`` of the event's type,
        with ``payload.url`` when ``url`` is given (a sticker or a location may come without one)."""
        kind = event.removeprefix("user_send_")
        payload = {"url": url, "thumbnail": url} if url is not None else {}
        return {
            "event_name": event,
            "app_id": self.app_id,
            "sender": {"id": str(user_id)},
            "recipient": {"id": self.oa_id},
            "message": {"msg_id": msg_id or uuid.uuid4().hex[:20], "attachments": [{"type": kind, "payload": payload}]},
            "timestamp": str(_now_ms()),
            "user_id_by_app": f"app-{user_id}",
        }

    def make_follow_event(self, user_id: str, event: str = "follow") -> dict:
        """A ``follow`` / ``unfollow`` event: the follower is in ``follower.id``, not in ``sender``."""
        return {
            "event_name": event,
            "app_id": self.app_id,
            "oa_id": self.oa_id,
            "follower": {"id": str(user_id)},
            "source": "oa_profile",
            "timestamp": str(_now_ms()),
            "user_id_by_app": f"app-{user_id}",
        }

    # -- routing -----------------------------------------------------------------------

    def _route(self, call: Call) -> Response:
        if call.method == "POST" and call.path.endswith(self.MESSAGE_PATH):
            return 200, self._send_cs(call)
        if call.method == "POST" and call.path.endswith(self.TOKEN_PATH):
            return 200, self._refresh(call)
        return 404, {"error": 404, "message": f"Unknown API {call.method} {call.path}"}

    def _error(self, code: int, message: str = "") -> dict:
        return {"error": code, "message": message or self.ERROR_MESSAGES.get(code, "Error")}

    def _send_cs(self, call: Call) -> dict:
        token = call.headers.get("access_token", "")
        with self._lock:
            if self._forced:
                return self._error(*self._forced.popleft())
            if token in self.expired_access_tokens:
                return self._error(-220)
            if token not in self.valid_access_tokens:
                return self._error(-216)

        body = call.json
        if not isinstance(body, dict):
            return self._error(-201, "Parameters are invalid: body must be a JSON object")
        recipient = body.get("recipient")
        message = body.get("message")
        if not isinstance(recipient, dict) or not (recipient.get("user_id") or recipient.get("message_id")):
            return self._error(-201, "Parameters are invalid: recipient.user_id is missing")
        if not isinstance(message, dict):
            return self._error(-201, "Parameters are invalid: message is missing")
        text = message.get("text")
        attachment = message.get("attachment")
        if text is not None and not isinstance(text, str):
            return self._error(-201, "Parameters are invalid: message.text must be a string")
        if not text and not attachment:
            return self._error(-201, "Parameters are invalid: message.text is empty")
        if text and len(text) > self.MAX_TEXT:
            return self._error(-201, f"Parameters are invalid: text too long (max {self.MAX_TEXT} characters)")
        payload = attachment.get("payload") if isinstance(attachment, dict) else None
        buttons = payload.get("buttons") if isinstance(payload, dict) else None
        if isinstance(buttons, list) and len(buttons) > self.MAX_BUTTONS:
            return self._error(-201, f"Parameters are invalid: at most {self.MAX_BUTTONS} buttons are supported")

        with self._lock:
            self._sent.append(body)
        return {
            "error": 0,
            "message": "Success",
            "data": {"message_id": uuid.uuid4().hex, "user_id": recipient.get("user_id")},
        }

    @staticmethod
    def _oauth_error(code: int, name: str, description: str = "") -> dict:
        return {"error": code, "error_name": name, "error_description": description or name}

    def _refresh(self, call: Call) -> dict:
        form = call.form or {}
        if not form.get("refresh_token") or not form.get("app_id") or not form.get("grant_type"):
            return self._oauth_error(
                -14001, "Invalid parameter", "refresh_token, app_id and grant_type are required (form-encoded)"
            )
        if form["grant_type"] != "refresh_token":
            return self._oauth_error(-14001, "Invalid parameter", f"unsupported grant_type {form['grant_type']!r}")
        if form["app_id"] != self.app_id or call.headers.get("secret_key") != self.app_secret:
            return self._oauth_error(-14002, "Invalid app id or secret key")
        with self._lock:
            if form["refresh_token"] != self.refresh_token:
                return self._oauth_error(-14014, "Invalid refresh token")
            self.refresh_count += 1
            self.access_token = f"at-{self.refresh_count}"
            self.refresh_token = f"rt-{self.refresh_count}"
            self.expired_access_tokens |= self.valid_access_tokens
            self.valid_access_tokens = {self.access_token}
            return {
                "access_token": self.access_token,
                "refresh_token": self.refresh_token,
                "expires_in": self.EXPIRES_IN,
            }


# --------------------------------------------------------------------------- Bot-API style base


class _BotApiFake(FakeServer):
    """Shared plumbing for the Telegram-style ``/bot<TOKEN>/<method>`` APIs.

    An ``ok: false`` answer uses ``error_code`` as its HTTP status too, as Telegram
    does. A wrong token gets 401. An unknown method gets 404.
    """

    _PATH = re.compile(r"/bot(?P<token>[^/]+)/(?P<method>[A-Za-z]+)/?$")

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        self._sent: list[dict] = []

    def sent(self) -> list[dict]:
        """Parameters of the successful ``sendMessage`` calls, in order."""
        with self._lock:
            return list(self._sent)

    def _methods(self) -> dict[str, Callable[[dict[str, Any]], Response]]:
        raise NotImplementedError

    def _params(self, call: Call) -> dict[str, Any]:
        return call.params()

    def _route(self, call: Call) -> Response:
        match = self._PATH.search(call.path)
        if match is None:
            return self._err(404, "Not Found")
        if match["token"] != self.token:
            return self._err(401, "Unauthorized")
        handler = {name.lower(): fn for name, fn in self._methods().items()}.get(match["method"].lower())
        if handler is None:
            return self._err(404, "Not Found")
        return handler(self._params(call))

    @staticmethod
    def _ok(result: Any, **extra: Any) -> Response:
        return 200, {"ok": True, "result": result, **extra}

    @staticmethod
    def _err(code: int, description: str, **extra: Any) -> Response:
        return code, {"ok": False, "error_code": code, "description": description, **extra}

    def _failure_body(self, status: int) -> Any:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": _reason(status)}
        if status == 429:
            body["description"] = "Too Many Requests: retry after 1"
            body["parameters"] = {"retry_after": 1}
        return body


# --------------------------------------------------------------------------- Zalo Bot


class FakeZaloBot(_BotApiFake):
    """Zalo Bot Platform API at ``/bot<TOKEN>/<method>`` (POST, JSON; form also accepted).

    Methods: ``getMe``, ``sendMessage``, ``sendPhoto``, ``sendSticker``,
    ``sendChatAction``, ``getUpdates``, ``setWebhook``, ``deleteWebhook`` and
    ``getWebhookInfo``.

    ``getUpdates`` returns ONE update object per call. With none queued, it waits
    up to ``min(timeout, LONG_POLL_CAP)`` seconds and then answers HTTP 408 with
    ``{"ok": false, "error_code": 408}``. A missing ``timeout`` means no wait. While a
    webhook is set, ``getUpdates`` answers 409. The platform only says polling and
    webhooks are mutually exclusive; the exact answer is this fake's choice.
    """

    MAX_TEXT = 2000

    def __init__(self, token: str = "123:abc") -> None:
        super().__init__(token)
        self.bot_id = token.split(":", 1)[0]
        self.webhook_url = ""
        self.webhook_secret: str | None = None
        self.webhook_updated_at = 0
        self._updates: deque[dict] = deque()

    # -- test controls -----------------------------------------------------------------

    def make_update(self, chat_id: str, text: str, message_id: str | None = None) -> dict:
        """Build (don't queue) a ``message.text.received`` update. ``date`` is in ms."""
        return {
            "event_name": "message.text.received",
            "message": {
                "message_id": message_id or uuid.uuid4().hex[:20],
                "date": _now_ms(),
                "chat": {"id": str(chat_id), "chat_type": "PRIVATE"},
                "from": {"id": str(chat_id), "display_name": "Người dùng", "is_bot": False},
                "text": text,
            },
        }

    def push_update(self, chat_id: str, text: str, message_id: str | None = None) -> dict:
        """Queue a ``message.text.received`` update for ``getUpdates``; return it."""
        return self.push(self.make_update(chat_id, text, message_id))

    def make_event_update(self, chat_id: str, event_name: str, message_id: str | None = None, **fields: Any) -> dict:
        """Build (don't queue) a non-text update, e.g. ``message.image.received`` with ``photo_url=…``: the
        message has no ``text``, and ``fields`` are added to it."""
        update = self.make_update(chat_id, "", message_id)
        update["event_name"] = event_name
        del update["message"]["text"]
        update["message"].update(fields)
        return update

    def push(self, update: dict) -> dict:
        """Queue any update for ``getUpdates``; return it."""
        with self._cond:
            self._updates.append(update)
            self._cond.notify_all()
        return update

    # -- methods -----------------------------------------------------------------------

    def _methods(self) -> dict[str, Callable[[dict[str, Any]], Response]]:
        return {
            "getMe": self._get_me,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendSticker": self._send_sticker,
            "sendChatAction": self._send_chat_action,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
        }

    def _get_me(self, params: dict[str, Any]) -> Response:
        return self._ok(
            {"id": self.bot_id, "account_name": "bot.fake", "account_type": "BASIC", "can_join_groups": False}
        )

    @staticmethod
    def _sent_result() -> dict:
        return {"message_id": uuid.uuid4().hex[:20], "date": _now_ms()}

    def _send_message(self, params: dict[str, Any]) -> Response:
        if params.get("chat_id") in (None, ""):
            return self._err(400, "Bad Request: chat_id is required")
        text = params.get("text")
        if not isinstance(text, str) or not 1 <= len(text) <= self.MAX_TEXT:
            return self._err(400, f"Bad Request: text must be 1-{self.MAX_TEXT} characters")
        with self._lock:
            self._sent.append(params)
        return self._ok(self._sent_result())

    def _send_photo(self, params: dict[str, Any]) -> Response:
        if params.get("chat_id") in (None, "") or not params.get("photo"):
            return self._err(400, "Bad Request: chat_id and photo are required")
        if len(str(params.get("caption") or "")) > self.MAX_TEXT:
            return self._err(400, f"Bad Request: caption must be at most {self.MAX_TEXT} characters")
        return self._ok(self._sent_result())

    def _send_sticker(self, params: dict[str, Any]) -> Response:
        if params.get("chat_id") in (None, "") or not params.get("sticker"):
            return self._err(400, "Bad Request: chat_id and sticker are required")
        return self._ok(self._sent_result())

    def _send_chat_action(self, params: dict[str, Any]) -> Response:
        if params.get("chat_id") in (None, "") or params.get("action") not in ("typing", "upload_photo"):
            return self._err(400, "Bad Request: chat_id and a valid action are required")
        return self._ok(True)

    def _get_updates(self, params: dict[str, Any]) -> Response:
        with self._cond:
            if self.webhook_url:
                return self._err(409, "Conflict: getUpdates is unavailable while a webhook is set")
            if self._wait_until(lambda: self._updates, _as_float(params.get("timeout"))):
                return self._ok(self._updates.popleft())
        return self._err(408, "timeout")

    def _set_webhook(self, params: dict[str, Any]) -> Response:
        url = str(params.get("url") or "")
        secret = params.get("secret_token")
        if not url.startswith("https://"):
            return self._err(400, "Bad Request: url must be an HTTPS URL")
        if not isinstance(secret, str) or not 8 <= len(secret) <= 256:
            return self._err(400, "Bad Request: secret_token must be 8-256 characters")
        with self._lock:
            self.webhook_url, self.webhook_secret, self.webhook_updated_at = url, secret, _now_ms()
            return self._ok({"url": url, "updated_at": self.webhook_updated_at})

    def _delete_webhook(self, params: dict[str, Any]) -> Response:
        with self._lock:
            self.webhook_url, self.webhook_secret, self.webhook_updated_at = "", None, _now_ms()
            return self._ok({"url": "", "updated_at": self.webhook_updated_at})

    def _get_webhook_info(self, params: dict[str, Any]) -> Response:
        with self._lock:
            return self._ok({"url": self.webhook_url, "updated_at": self.webhook_updated_at})


# --------------------------------------------------------------------------- Telegram


class FakeTelegram(_BotApiFake):
    """Telegram Bot API at ``/bot<TOKEN>/<method>``, for python-telegram-bot 22.

    Build the bot with ``telegram.Bot(token, base_url=f"{fake.url}/bot")``.

    PTB 22 (``HTTPXRequest``) posts ``application/x-www-form-urlencoded`` bodies, or
    multipart when it uploads files. Every value is a string, and non-string values
    are JSON-encoded. The fake normalises parameters in a few ways:

    * JSON-encoded fields such as ``reply_markup`` and ``entities`` become objects.
    * Numeric id fields such as ``chat_id`` and ``offset`` become ints.
    * ``"true"``/``"false"`` flags become booleans.

    So :meth:`sent` looks the same whether the client posted JSON or a form.

    Methods: ``getMe``, ``sendMessage``, ``editMessageText``,
    ``editMessageReplyMarkup``, ``deleteMessage``, ``sendChatAction``,
    ``answerCallbackQuery``, ``setMyCommands``, ``deleteMyCommands``, ``setWebhook``,
    ``deleteWebhook``, ``getWebhookInfo`` and ``getUpdates``.

    Errors use Telegram's status codes and descriptions: 400 ``Bad Request: ...``,
    401, 404, and 409 ``Conflict`` for ``getUpdates`` while a webhook is set.
    """

    MAX_TEXT = 4096
    MAX_CALLBACK_DATA = 64  # bytes
    _JSON_FIELDS = frozenset(
        {
            "reply_markup",
            "entities",
            "caption_entities",
            "link_preview_options",
            "reply_parameters",
            "allowed_updates",
            "commands",
            "scope",
        }
    )
    _INT_FIELDS = frozenset(
        {
            "chat_id",
            "message_id",
            "reply_to_message_id",
            "message_thread_id",
            "offset",
            "limit",
            "timeout",
            "cache_time",
            "max_connections",
        }
    )
    _BOOL_FIELDS = frozenset(
        {
            "disable_notification",
            "protect_content",
            "disable_web_page_preview",
            "allow_sending_without_reply",
            "show_alert",
            "drop_pending_updates",
        }
    )
    _SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")

    def __init__(self, token: str = "42:TEST") -> None:
        super().__init__(token)
        prefix = token.split(":", 1)[0]
        self.bot_id = int(prefix) if prefix.isdigit() else 42
        self.webhook_url = ""
        self.webhook_secret: str | None = None
        self.allowed_updates: list[str] | None = None
        self.commands: list[dict] = []
        self._updates: list[dict] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)

    # -- objects -----------------------------------------------------------------------

    def bot_user(self) -> dict:
        """The bot's ``User`` object (the ``getMe`` result)."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Tro ly",
            "username": "troly_bot",
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    @staticmethod
    def _user(chat_id: int) -> dict:
        return {"id": chat_id, "is_bot": False, "first_name": "Nguoi dung", "language_code": "vi"}

    @staticmethod
    def _chat(chat_id: Any) -> dict:
        if isinstance(chat_id, int) and chat_id < 0:
            return {"id": chat_id, "type": "group", "title": "Nhom thu"}
        return {"id": chat_id, "type": "private"}

    def _bot_message(self, chat_id: Any, text: str, reply_markup: Any = None, message_id: int | None = None) -> dict:
        message = {
            "message_id": message_id if message_id is not None else next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": {key: self.bot_user()[key] for key in ("id", "is_bot", "first_name", "username")},
            "text": text,
        }
        if isinstance(reply_markup, dict) and "inline_keyboard" in reply_markup:
            message["reply_markup"] = reply_markup
        return message

    def make_message_update(self, chat_id: int, text: str) -> dict:
        """Build (don't queue) an update carrying a user's text message.

        A leading ``/command`` gets its ``bot_command`` entity, as Telegram adds it.
        """
        with self._lock:
            update_id, message_id = next(self._update_ids), next(self._message_ids)
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {**self._chat(chat_id), **({"first_name": "Nguoi dung"} if chat_id > 0 else {})},
            "from": self._user(abs(chat_id)),
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return {"update_id": update_id, "message": message}

    def make_callback_update(self, chat_id: int, data: str) -> dict:
        """Build (don't queue) an update carrying a ``callback_query`` (a button tap)."""
        with self._lock:
            update_id, message_id = next(self._update_ids), next(self._message_ids)
        return {
            "update_id": update_id,
            "callback_query": {
                "id": str(uuid.uuid4().int % 10**18),
                "from": self._user(abs(chat_id)),
                "chat_instance": f"ci-{chat_id}",
                "data": data,
                "message": self._bot_message(chat_id, "Chọn một mục:", message_id=message_id),
            },
        }

    # a sample of each kind of content a user can send instead of text, as the Bot API shows it
    CONTENT: dict[str, dict[str, Any]] = {
        "voice": {"voice": {"file_id": "v1", "file_unique_id": "uv1", "duration": 4, "mime_type": "audio/ogg"}},
        "audio": {"audio": {"file_id": "a1", "file_unique_id": "ua1", "duration": 180, "title": "Bài hát"}},
        "photo": {
            "photo": [
                {"file_id": "p1s", "file_unique_id": "up1s", "width": 90, "height": 67, "file_size": 1200},
                {"file_id": "p1", "file_unique_id": "up1", "width": 1280, "height": 960, "file_size": 98000},
            ]
        },
        "video": {"video": {"file_id": "vd1", "file_unique_id": "uvd1", "width": 640, "height": 360, "duration": 9}},
        "video_note": {"video_note": {"file_id": "vn1", "file_unique_id": "uvn1", "length": 240, "duration": 5}},
        "animation": {  # Telegram sends an animation's document too, for old clients
            "animation": {"file_id": "g1", "file_unique_id": "ug1", "width": 320, "height": 240, "duration": 2},
            "document": {"file_id": "g1", "file_unique_id": "ug1", "file_name": "a.gif.mp4", "mime_type": "video/mp4"},
        },
        "sticker": {
            "sticker": {
                "file_id": "s1",
                "file_unique_id": "us1",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": "👍",
            }
        },
        "document": {
            "document": {
                "file_id": "d1",
                "file_unique_id": "ud1",
                "file_name": "don.pdf",
                "mime_type": "application/pdf",
            }
        },
        "location": {"location": {"latitude": 22.6657, "longitude": 106.2579}},
        "venue": {
            "location": {"latitude": 22.6657, "longitude": 106.2579},
            "venue": {
                "location": {"latitude": 22.6657, "longitude": 106.2579},
                "title": "UBND xã",
                "address": "Cao Bằng",
            },
        },
        "contact": {"contact": {"phone_number": "+84912345678", "first_name": "Lan"}},
        "poll": {
            "poll": {
                "id": "pl1",
                "question": "Họp lúc nào?",
                "options": [
                    {"text": "Sáng", "voter_count": 0, "persistent_id": "o1"},
                    {"text": "Chiều", "voter_count": 0, "persistent_id": "o2"},
                ],
                "total_voter_count": 0,
                "is_closed": False,
                "is_anonymous": True,
                "type": "regular",
                "allows_multiple_answers": False,
                "allows_revoting": False,
                "members_only": False,  # these two and the options' persistent_id: required by PTB 22.8
            }
        },
        "dice": {"dice": {"emoji": "🎲", "value": 4}},
        "joined": {"new_chat_members": [{"id": 9, "is_bot": False, "first_name": "Mai"}]},  # a service message
    }

    def make_content_update(self, chat_id: int, content: str, caption: str | None = None) -> dict:
        """Build (don't queue) an update carrying a user's message with ``CONTENT[content]`` instead of text (a
        voice note, a photo…), with its ``caption`` if given."""
        update = self.make_message_update(chat_id, "")
        message = update["message"]
        del message["text"]
        message.update(json.loads(json.dumps(self.CONTENT[content])))
        if caption is not None:
            message["caption"] = caption
        return update

    def make_member_update(self, chat_id: int, new_status: str, old_status: str = "member") -> dict:
        """Build (don't queue) a ``my_chat_member`` update: the bot's status in the chat went from ``old_status`` to
        ``new_status`` ("kicked" in a private chat = the user blocked the bot)."""
        with self._lock:
            update_id = next(self._update_ids)
        bot = {key: self.bot_user()[key] for key in ("id", "is_bot", "first_name", "username")}

        def member(status: str) -> dict:
            return {"user": bot, "status": status, **({"until_date": 0} if status == "kicked" else {})}

        return {
            "update_id": update_id,
            "my_chat_member": {
                "chat": {**self._chat(chat_id), **({"first_name": "Nguoi dung"} if chat_id > 0 else {})},
                "from": self._user(abs(chat_id)),
                "date": int(time.time()),
                "old_chat_member": member(old_status),
                "new_chat_member": member(new_status),
            },
        }

    def push_update(self, update: dict) -> dict:
        """Queue any update for ``getUpdates``; return it."""
        return self._queue(update)

    def push_message(self, chat_id: int, text: str) -> dict:
        """Queue a message update for ``getUpdates``; return it."""
        return self._queue(self.make_message_update(chat_id, text))

    def push_callback(self, chat_id: int, data: str) -> dict:
        """Queue a callback-query update for ``getUpdates``; return it."""
        return self._queue(self.make_callback_update(chat_id, data))

    def _queue(self, update: dict) -> dict:
        with self._cond:
            self._updates.append(update)
            self._cond.notify_all()
        return update

    # -- parameters --------------------------------------------------------------------

    def _params(self, call: Call) -> dict[str, Any]:
        params = call.params()
        for key, value in params.items():
            if not isinstance(value, str):
                continue
            if key in self._JSON_FIELDS:
                try:
                    params[key] = json.loads(value)
                except ValueError:
                    pass
            elif key in self._INT_FIELDS and re.fullmatch(r"-?\d+", value):
                params[key] = int(value)
            elif key in self._BOOL_FIELDS and value in ("true", "false"):
                params[key] = value == "true"
        return params

    def _check_markup(self, markup: Any) -> str | None:
        """Return an error description if ``reply_markup`` is unacceptable."""
        if markup is None:
            return None
        if not isinstance(markup, dict):
            return "Bad Request: can't parse reply keyboard markup JSON object"
        for row in markup.get("inline_keyboard") or []:
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode("utf-8")) <= self.MAX_CALLBACK_DATA:
                    return "Bad Request: BUTTON_DATA_INVALID"
                if not button.get("text"):
                    return "Bad Request: text buttons are unallowed in the inline keyboard"
        return None

    def _check_text(self, text: Any) -> str | None:
        if not isinstance(text, str) or not text:
            return "Bad Request: message text is empty"
        if len(text) > self.MAX_TEXT:
            return "Bad Request: message is too long"
        return None

    # -- methods -----------------------------------------------------------------------

    def _methods(self) -> dict[str, Callable[[dict[str, Any]], Response]]:
        return {
            "getMe": lambda params: self._ok(self.bot_user()),
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_reply_markup,
            "deleteMessage": self._needs("chat_id", "message_id"),
            "sendChatAction": self._needs("chat_id", "action"),
            "answerCallbackQuery": self._needs("callback_query_id"),
            "setMyCommands": self._set_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "getUpdates": self._get_updates,
        }

    def _needs(self, *names: str) -> Callable[[dict[str, Any]], Response]:
        """A method that answers ``true`` once the required parameters are present."""

        def method(params: dict[str, Any]) -> Response:
            missing = [name for name in names if params.get(name) in (None, "")]
            if missing:
                return self._err(400, f"Bad Request: {missing[0]} is empty")
            return self._ok(True)

        return method

    def _send_message(self, params: dict[str, Any]) -> Response:
        if params.get("chat_id") in (None, ""):
            return self._err(400, "Bad Request: chat_id is empty")
        error = self._check_text(params.get("text")) or self._check_markup(params.get("reply_markup"))
        if error:
            return self._err(400, error)
        with self._lock:
            self._sent.append(params)
            message = self._bot_message(params["chat_id"], params["text"], params.get("reply_markup"))
        return self._ok(message)

    def _edit_message_text(self, params: dict[str, Any]) -> Response:
        if params.get("chat_id") in (None, "") or params.get("message_id") in (None, ""):
            return self._err(400, "Bad Request: message to edit not found")
        error = self._check_text(params.get("text")) or self._check_markup(params.get("reply_markup"))
        if error:
            return self._err(400, error)
        return self._ok(
            self._bot_message(params["chat_id"], params["text"], params.get("reply_markup"), params["message_id"])
        )

    def _edit_reply_markup(self, params: dict[str, Any]) -> Response:
        if params.get("chat_id") in (None, "") or params.get("message_id") in (None, ""):
            return self._err(400, "Bad Request: message to edit not found")
        error = self._check_markup(params.get("reply_markup"))
        if error:
            return self._err(400, error)
        return self._ok(self._bot_message(params["chat_id"], "", params.get("reply_markup"), params["message_id"]))

    def _set_my_commands(self, params: dict[str, Any]) -> Response:
        commands = params.get("commands")
        if not isinstance(commands, list):
            return self._err(400, "Bad Request: can't parse commands JSON object")
        with self._lock:
            self.commands = commands
        return self._ok(True)

    def _delete_my_commands(self, params: dict[str, Any]) -> Response:
        with self._lock:
            self.commands = []
        return self._ok(True)

    def _set_webhook(self, params: dict[str, Any]) -> Response:
        url = str(params.get("url") or "")
        secret = params.get("secret_token")
        if url and not url.startswith("https://"):
            return self._err(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        if secret is not None and not self._SECRET_TOKEN.fullmatch(str(secret)):
            return self._err(400, "Bad Request: secret token contains unallowed characters")
        with self._lock:
            self.webhook_url, self.webhook_secret = url, (str(secret) if secret is not None else None)
            self.allowed_updates = params.get("allowed_updates")
            if params.get("drop_pending_updates"):
                self._updates.clear()
        return self._ok(True, description="Webhook was set" if url else "Webhook was deleted")

    def _delete_webhook(self, params: dict[str, Any]) -> Response:
        with self._lock:
            self.webhook_url, self.webhook_secret = "", None
            if params.get("drop_pending_updates"):
                self._updates.clear()
        return self._ok(True, description="Webhook was deleted")

    def _get_webhook_info(self, params: dict[str, Any]) -> Response:
        with self._lock:
            info: dict[str, Any] = {
                "url": self.webhook_url,
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            }
            if self.allowed_updates is not None:
                info["allowed_updates"] = self.allowed_updates
        return self._ok(info)

    def _get_updates(self, params: dict[str, Any]) -> Response:
        offset = params.get("offset")
        offset = offset if isinstance(offset, int) and offset > 0 else 0
        limit = params.get("limit")
        limit = min(limit, 100) if isinstance(limit, int) and limit > 0 else 100
        timeout = _as_float(params.get("timeout"))
        with self._cond:
            if self.webhook_url:
                return self._err(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            # Updates below the offset are confirmed and forgotten, as in Telegram.
            self._updates = [update for update in self._updates if update["update_id"] >= offset]
            self._wait_until(lambda: self._updates, timeout)
            return self._ok(list(self._updates[:limit]))


# --------------------------------------------------------------------------- Messenger (Graph API)


class FakeMessenger(FakeServer):
    """Meta's Send API: ``POST <url>/me/messages?access_token=<page token>`` with a JSON body.

    Success: HTTP 200 ``{"recipient_id", "message_id"}``. Errors: HTTP 400 and Graph's error body
    ``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``; an unknown token gets code 190.
    The body is validated as Meta documents it (``recipient.id``, ``messaging_type``, text ≤ 2,000 characters,
    ≤ 13 quick replies); a quick-reply title over 20 characters is *refused* here with code 100 (Meta truncates
    it), so a test notices when the gateway sends one. Use :meth:`force_error` for any other Graph error.
    """

    PATH = "/me/messages"
    MAX_TEXT = 2000
    MAX_QUICK_REPLIES = 13
    MAX_TITLE = 20

    def __init__(self, page_access_token: str = "page-token", app_secret: str = "app-secret") -> None:
        super().__init__()
        self.page_access_token = page_access_token
        self.app_secret = app_secret
        self.page_id = "page1"
        self._forced: deque[tuple[int, int | None, int, str]] = deque()
        self._sent: list[dict] = []

    def force_error(self, code: int, subcode: int | None = None, n: int = 1, status: int = 400, message: str = ""):
        """The next ``n`` Send API calls answer this Graph error (before any other check)."""
        with self._lock:
            self._forced.extend([(code, subcode, status, message or f"forced error {code}")] * n)

    def sent(self) -> list[dict]:
        """JSON bodies of the accepted Send API calls, in order."""
        with self._lock:
            return list(self._sent)

    @staticmethod
    def sign(app_secret: str, raw_body: bytes) -> str:
        """The ``X-Hub-Signature-256`` value Meta sends: ``sha256=`` + hex HMAC-SHA256 of the raw body."""
        return "sha256=" + hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()

    def event(self, psid: str, *, text: str | None = None, mid: str | None = None, **fields: Any) -> dict:
        """A webhook body (``object: page``) with one messaging event from ``psid``: a text message when ``text`` is
        given (plus ``quick_reply``/``is_echo`` from ``fields``), else ``fields`` as the event's own keys."""
        event: dict[str, Any] = {
            "sender": {"id": psid},
            "recipient": {"id": self.page_id},
            "timestamp": _now_ms(),
        }
        if text is not None:
            message: dict[str, Any] = {"mid": mid or f"m_{uuid.uuid4().hex}", "text": text}
            message.update(fields)
            event["message"] = message
        else:
            event.update(fields)
        return {"object": "page", "entry": [{"id": self.page_id, "time": _now_ms(), "messaging": [event]}]}

    def attachment_event(self, psid: str, *attachments: Any, mid: str | None = None, **message_fields: Any) -> dict:
        """A webhook body with one message from ``psid`` carrying ``attachments`` (e.g. ``{"type": "audio",
        "payload": {"url": …}}``, given as they are: a test may pass odd ones) and no text."""
        message = {"mid": mid or f"m_{uuid.uuid4().hex}", "attachments": list(attachments), **message_fields}
        return self.event(psid, message=message)

    @staticmethod
    def attachment(kind: str, url: str | None = None, **payload: Any) -> dict:
        """One ``message.attachments[]`` item as Meta sends it: ``{"type", "payload": {"url", …}}``."""
        return {"type": kind, "payload": {**({"url": url} if url is not None else {}), **payload}}

    def _route(self, call: Call) -> Response:
        if call.method == "POST" and call.path.endswith(self.PATH):
            return self._send(call)
        return 400, self._error(100, None, f"Unsupported request {call.method} {call.path}")

    @staticmethod
    def _error(code: int, subcode: int | None, message: str) -> dict:
        error: dict[str, Any] = {
            "message": message,
            "type": "OAuthException",
            "code": code,
            "fbtrace_id": uuid.uuid4().hex[:11],
        }
        if subcode is not None:
            error["error_subcode"] = subcode
        return {"error": error}

    def _send(self, call: Call) -> Response:
        with self._lock:
            if self._forced:
                code, subcode, status, message = self._forced.popleft()
                return status, self._error(code, subcode, message)
        if (call.query.get("access_token") or [""])[-1] != self.page_access_token:
            return 400, self._error(190, None, "Invalid OAuth access token.")
        body = call.json
        if not isinstance(body, dict):
            return 400, self._error(100, None, "(#100) body must be a JSON object")
        recipient, message = body.get("recipient"), body.get("message")
        if not isinstance(recipient, dict) or not recipient.get("id"):
            return 400, self._error(100, None, "(#100) The parameter recipient is required")
        if body.get("messaging_type") not in ("RESPONSE", "UPDATE", "MESSAGE_TAG"):
            return 400, self._error(100, None, "(#100) messaging_type is required")
        if not isinstance(message, dict) or not isinstance(message.get("text"), str) or not message["text"]:
            return 400, self._error(100, None, "(#100) message.text is required")
        if len(message["text"]) > self.MAX_TEXT:
            return 400, self._error(
                100, None, "(#100) Length of param message[text] must be less than or equal to 2000"
            )
        quick = message.get("quick_replies", [])
        if not isinstance(quick, list) or len(quick) > self.MAX_QUICK_REPLIES:
            return 400, self._error(100, None, "(#100) at most 13 quick replies")
        for q in quick:
            if not isinstance(q, dict) or not q.get("payload") or len(str(q.get("title", ""))) > self.MAX_TITLE:
                return 400, self._error(100, None, "(#100) quick reply title over 20 characters or no payload")
        with self._lock:
            self._sent.append(body)
        return 200, {"recipient_id": recipient["id"], "message_id": f"m_{uuid.uuid4().hex}"}
