"""The gateway: one ASGI application (Starlette) for every channel.

    POST /webhooks/zalo-oa | /webhooks/zalo-bot | /webhooks/telegram   platform webhooks
    GET|POST /webhooks/messenger                                       Meta's subscription check, Messenger events
    POST /api/chat, GET /api/chat/messages                             the web chat (README, "How the gateway works")
    GET  /chat, /static/…                                              the chat page and embeddable widget
    GET  /privacy                                                      the residents' privacy notice
    GET  /healthz, /metrics

A webhook is verified, its message stored (a retried delivery is recognised and dropped), and only then
acknowledged; the worker (connectors/worker.py) takes it to Rasa and the reply back, in the background.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as _dt
import json
import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bot import logs
from bot.app import App
from bot.retry import sleep_or_stop
from bot.status import InboxStatus, Origin
from bot.store import Store
from bot.team.desk import DeskError
from bot.text import nfc
from connectors.channels import messenger, zalo_bot, zalo_oa
from connectors.channels import telegram as tg
from connectors.config import GatewayConfig
from connectors.desk import GatewayDesk
from connectors.limits import BodyLimit, SecurityHeaders, metrics_allowed
from connectors.messages import Inbound, Sender, WebhookRejected
from connectors.metrics import CONTENT_TYPE, Metrics
from connectors.privacy import privacy_page
from connectors.queue import MessageQueue
from connectors.rasa_client import AsyncRasaPool, RasaUnavailable
from connectors.ratelimit import Limit, WebLimits
from connectors.web_sessions import WebSessions
from connectors.worker import Worker, WorkerConfig

log = logging.getLogger("trolyso.gateway")
STATIC = Path(__file__).resolve().parent / "static"
WEB_MAX_TEXT = 1000
WEB_MAX_AFTER = 2**53 - 1  # the largest reply id a client may name (a larger one is clamped to it)
WEB_COOKIE = "troly_chat"  # the /chat page's conversation token (HttpOnly)
WEB_TOKEN_HEADER = "x-chat-token"  # the widget's conversation token
WEB_WAIT = 25.0  # seconds POST /api/chat waits for the reply before answering 202
PURGE_FIRST = 600.0  # seconds after start-up before the first retention purge (then daily)
PURGE_EVERY = 86400.0


class Gateway:
    """Everything the routes share; built at startup (lifespan), closed at shutdown."""

    def __init__(self, app: App, config: GatewayConfig, worker_config: WorkerConfig | None = None):
        self.app = app
        self.config = config
        self.settings = settings = app.settings
        self.worker_config = worker_config or WorkerConfig(retry_base=settings.retry_base, retry_max=settings.retry_max)
        self.metrics = Metrics(config.enabled())
        self.store: Store | None = None
        self.queue: MessageQueue | None = None
        self.worker: Worker | None = None
        self.senders: dict[str, Sender] = {}
        self.telegram: tg.TelegramClient | None = None
        self.zalo_bot: zalo_bot.ZaloBotClient | None = None
        self.stop = asyncio.Event()
        self.tasks: list[asyncio.Task] = []
        self.http: httpx.AsyncClient | None = None
        self.rasa: AsyncRasaPool | None = None
        self.desk: GatewayDesk | None = None
        self.web_limits = WebLimits(settings)  # the web chat's rate limits (connectors/ratelimit.py)
        self.web_sessions: WebSessions | None = None
        self.accept_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="accept")

    async def start(self) -> None:
        self.store = self.app.store
        self.queue = MessageQueue(self.store, lease_seconds=self.settings.queue_lease_seconds)
        self.metrics.watch_store(self.store, self.queue)
        self.web_sessions = WebSessions(self.store, _dt.timedelta(days=self.settings.web_session_days))
        self.desk = GatewayDesk(self, asyncio.get_running_loop())  # the console's way to residents
        self.http = httpx.AsyncClient(timeout=20, limits=httpx.Limits(max_connections=64))
        self.rasa = AsyncRasaPool(self.config.rasa_servers, token=self.config.rasa_token, on_failover=self.rasa_failed)
        if self.config.zalo_oa:
            tokens = zalo_oa.TokenManager(self.store, self.config.zalo_oa, self.http, self.settings.data_dir)
            self.senders[zalo_oa.CHANNEL] = zalo_oa.ZaloOASender(self.config.zalo_oa, tokens, self.http)
        if self.config.zalo_bot:
            self.zalo_bot = zalo_bot.ZaloBotClient(self.config.zalo_bot, self.http)
            self.senders[zalo_bot.CHANNEL] = self.zalo_bot
            if self.config.zalo_bot.polling:
                self.tasks.append(asyncio.create_task(self.zalo_bot.poll(self.accept, self.stop)))
            elif self.config.zalo_bot.webhook_url:
                await self.zalo_bot.set_webhook()
        if self.config.messenger:
            self.senders[messenger.CHANNEL] = messenger.MessengerSender(self.config.messenger, self.http)
        if self.config.telegram:
            self.telegram = tg.TelegramClient(self.config.telegram)
            await self.telegram.start()
            self.senders[tg.CHANNEL] = self.telegram
            if self.config.telegram.polling:
                self.tasks.append(asyncio.create_task(self.telegram.poll(self.accept, self.stop)))
        self.worker = Worker(self.queue, self.store, self.rasa, self.senders, self.metrics, self.worker_config)
        self.tasks.append(asyncio.create_task(self.worker.run(self.stop)))
        self.tasks.append(asyncio.create_task(self.release_stale_handoffs()))
        self.tasks.append(asyncio.create_task(self.prune_web_sessions()))
        self.tasks.append(asyncio.create_task(self.purge_old_data()))
        log.info("gateway ready: channels %s, Rasa at %s", ", ".join(self.config.enabled()), self.rasa.url)

    def rasa_failed(self, url: str, exc: RasaUnavailable) -> None:
        """One Rasa process did not answer: the pool tries the conversation's next one at once."""
        self.metrics.rasa_server_failures.labels(url).inc()
        if len(self.config.rasa_servers) > 1:
            log.warning("%s: its conversations go to the next Rasa for a while", exc)

    async def release_stale_handoffs(self) -> None:
        """A conversation a team member took and left goes back to the bot after the configured idle time."""
        idle = _dt.timedelta(minutes=self.settings.handoff_release_minutes)
        every = min(20.0, max(0.5, idle.total_seconds() / 4))
        while not self.stop.is_set():
            try:
                assert self.store is not None  # set by start(), which runs this task
                for row in await asyncio.to_thread(self.store.release_stale_handoffs, idle):
                    log.info("hand-off %s released after %.0f idle minutes", row["id"], idle.total_seconds() / 60)
                    await asyncio.to_thread(self.tell_released, row["conversation_id"])
            except Exception:  # the store is busy or down: try next round
                log.exception("releasing idle hand-offs failed")
            await sleep_or_stop(self.stop, every)

    async def prune_web_sessions(self) -> None:
        """Web-chat tokens unused for TROLYSO_WEB_SESSION_DAYS are deleted (hourly)."""
        while not self.stop.is_set():
            try:
                assert self.web_sessions is not None  # set by start(), which runs this task
                if gone := await asyncio.to_thread(self.web_sessions.prune):
                    log.info("%d expired web-chat sessions deleted", gone)
            except Exception:  # the store is busy or down: try next round
                log.exception("deleting expired web-chat sessions failed")
            await sleep_or_stop(self.stop, 3600)

    async def purge_old_data(self) -> None:
        """Residents' data older than TROLYSO_RETENTION_DAYS is deleted daily (bot/team/retention.py)."""
        from bot.team.retention import GATEWAY, purge

        wait = PURGE_FIRST
        while not await sleep_or_stop(self.stop, wait):
            wait = PURGE_EVERY
            try:
                report = await asyncio.to_thread(purge, self.app.store, self.settings.retention_days, actor=GATEWAY)
                log.info("retention purge (older than %d days): %s", self.settings.retention_days, report.describe())
            except Exception:  # the store is busy or down: try next round
                log.exception("retention purge failed")

    def tell_released(self, conversation_id: str) -> None:
        """The resident learns the assistant is back (when the platform still lets us write)."""
        from bot.console.handoffs import RELEASED_TEXT

        assert self.desk is not None  # set by start()
        try:
            self.desk.send(conversation_id, RELEASED_TEXT, Origin.TEAM)
        except DeskError as exc:
            log.info("released conversation not told: %s", exc)

    async def close(self) -> None:
        self.stop.set()
        if self.tasks:
            await asyncio.wait(self.tasks, timeout=30)
        if self.telegram:
            with contextlib.suppress(Exception):
                await self.telegram.stop()
        if self.rasa:
            await self.rasa.close()
        if self.http:
            await self.http.aclose()
        self.accept_pool.shutdown(wait=True)

    async def accept(self, message: Inbound) -> bool:
        """Store one inbound message (the acknowledgement follows only after this). False for a duplicate.
        Runs on threads of its own, so acknowledgements never wait behind the worker's database work."""
        assert self.queue is not None and self.worker is not None  # set by start(), before any message
        _, new = await asyncio.get_running_loop().run_in_executor(self.accept_pool, self.queue.accept, message)
        (self.metrics.messages_in if new else self.metrics.duplicates).labels(message.channel).inc()
        if new:
            self.worker.wake.set()
        return new


def _reject(exc: WebhookRejected, gateway: Gateway, channel: str) -> JSONResponse:
    gateway.metrics.rejected.labels(channel).inc()
    log.warning("rejected %s webhook: %s", channel, exc.reason)
    return JSONResponse({"error": exc.reason}, status_code=exc.status)


def create_app(
    app: App | None = None, config: GatewayConfig | None = None, worker_config: WorkerConfig | None = None
) -> Starlette:
    app = app or App()
    config = config or GatewayConfig.from_settings(app.settings)
    gateway = Gateway(app, config, worker_config)

    async def webhook(request: Request, channel: str, parse) -> Response:
        t0 = time.perf_counter()
        raw = await request.body()
        try:
            messages, after = parse(raw, request.headers)
        except WebhookRejected as exc:
            return _reject(exc, gateway, channel)
        for m in messages:
            await gateway.accept(m)
        if after is not None:
            asyncio.create_task(after)
        gateway.metrics.ack_seconds.labels(channel).observe(time.perf_counter() - t0)
        return JSONResponse({"ok": True})

    async def zalo_oa_webhook(request: Request) -> Response:
        if not config.zalo_oa:
            return JSONResponse({"error": "Zalo OA is not enabled"}, status_code=404)
        return await webhook(
            request,
            "zalo-oa",
            lambda raw, h: (zalo_oa.parse_webhook(config.zalo_oa, raw, h.get("x-zevent-signature")), None),
        )

    async def zalo_bot_webhook(request: Request) -> Response:
        if not config.zalo_bot:
            return JSONResponse({"error": "Zalo Bot is not enabled"}, status_code=404)
        return await webhook(
            request,
            "zalo-bot",
            lambda raw, h: (zalo_bot.parse_webhook(config.zalo_bot, raw, h.get("x-bot-api-secret-token")), None),
        )

    async def telegram_webhook(request: Request) -> Response:
        telegram = gateway.telegram
        if not telegram:
            return JSONResponse({"error": "Telegram is not enabled"}, status_code=404)

        def parse(raw, headers):
            messages, query_id = telegram.parse_webhook(raw, headers.get("x-telegram-bot-api-secret-token"))
            return messages, (telegram.answer_callback(query_id) if query_id else None)

        return await webhook(request, "telegram", parse)

    async def messenger_webhook(request: Request) -> Response:
        mc = config.messenger
        if not mc:
            return JSONResponse({"error": "Messenger is not enabled"}, status_code=404)
        if request.method == "GET":  # Meta's subscription check
            try:
                challenge = messenger.verify_subscription(mc, request.query_params)
            except WebhookRejected as exc:
                return _reject(exc, gateway, messenger.CHANNEL)
            return Response(challenge, media_type="text/plain")

        def parse(raw, headers):
            messenger.check_signature(mc, raw, headers.get(messenger.SIGNATURE_HEADER))
            return messenger.parse_webhook(raw), None

        return await webhook(request, messenger.CHANNEL, parse)

    # --- web chat ----------------------------------------------------------------------------------
    # The conversation is the server's (connectors/web_sessions.py): a token in an HttpOnly cookie (the /chat page)
    # or the X-Chat-Token header (the widget on the commune's portal). A client-sent "user_id" is ignored.
    def _messages(rows) -> list[dict]:
        return [{"text": r.text, "buttons": r.buttons} for r in rows]

    def _after(value: object) -> int | None:
        """The client's last seen reply id: a non-negative integer (a huge one is clamped), else None."""
        if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 100:
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            return None
        return min(value, WEB_MAX_AFTER)

    def _token(request: Request) -> str | None:
        return request.headers.get(WEB_TOKEN_HEADER) or request.cookies.get(WEB_COOKIE)

    def _too_many(wait: float) -> JSONResponse:
        gateway.metrics.web_limited.inc()
        return JSONResponse(
            {"error": "Dạ, anh/chị gửi nhanh quá, vui lòng đợi một chút rồi gửi lại ạ."},
            status_code=429,
            headers={"Retry-After": str(int(wait))},
        )

    def _unauthorized() -> JSONResponse:
        return JSONResponse(
            {"error": "Dạ, phiên trò chuyện không hợp lệ hoặc đã hết hạn. Anh/chị vui lòng tải lại trang ạ."},
            status_code=401,
        )

    def _capped_payload(text: str, ip: str) -> Limit | None:
        """Button payloads that reach the team's board or the subscriber list: capped per address and hour. The same
        wish typed in words is only known to Rasa's NLU, so it is limited by the message limits alone."""
        payload = text.strip()
        if payload.startswith("/human_handoff"):
            return Limit(gateway.web_limits.handoffs, ip)
        if payload.startswith("/subscribe"):
            return Limit(gateway.web_limits.subscriptions, ip)
        return None

    def _address(request: Request) -> str:
        return gateway.web_limits.client_address(
            request.client.host if request.client else None, request.headers.get("x-forwarded-for")
        )

    async def api_chat(request: Request) -> Response:
        if not config.web_chat:
            return JSONResponse({"error": "Kênh trò chuyện trên web đang tắt."}, status_code=404)
        assert gateway.queue is not None and gateway.worker is not None  # set at startup (lifespan)
        assert gateway.web_sessions is not None
        limits = gateway.web_limits
        ip = _address(request)
        if wait := limits.hit([Limit(limits.per_ip, ip)]):
            return _too_many(wait)
        try:
            body = json.loads(await request.body())
        except ValueError:
            return JSONResponse({"error": 'Yêu cầu không hợp lệ (cần JSON {"text"}).'}, status_code=400)
        if not isinstance(body, dict):
            return JSONResponse({"error": "Yêu cầu không hợp lệ (cần một đối tượng JSON)."}, status_code=400)
        text = body.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > WEB_MAX_TEXT:
            return JSONResponse({"error": f"Tin nhắn cần từ 1 đến {WEB_MAX_TEXT} ký tự."}, status_code=400)
        raw_after = body.get("after")
        asked_after = None if raw_after is None else _after(raw_after)
        if raw_after is not None and asked_after is None:  # checked before anything is stored or queued
            return JSONResponse({"error": "Giá trị after cần là số nguyên không âm."}, status_code=400)
        session = await asyncio.to_thread(gateway.web_sessions.find, _token(request))
        if session is None:
            wanted = [Limit(limits.new_conversations, ip)]
        else:
            wanted = [Limit(limits.per_conversation, session.conversation_id)]
        if capped := _capped_payload(text, ip):
            wanted.append(capped)
        if wait := limits.hit(wanted):
            return _too_many(wait)
        new = session is None
        if session is None:
            session = await asyncio.to_thread(gateway.web_sessions.create)
            limits.hit([Limit(limits.per_conversation, session.conversation_id)])
            gateway.metrics.web_conversations.inc()
        conversation = session.conversation_id
        after = (
            asked_after
            if asked_after is not None
            else await asyncio.to_thread(gateway.queue.last_reply_id, conversation)
        )
        message = Inbound("web", uuid.uuid4().hex, session.recipient, nfc(text))
        row_id, _ = await asyncio.to_thread(gateway.queue.accept, message)
        assert row_id is not None  # a fresh uuid4 platform id is never a duplicate
        gateway.metrics.messages_in.labels("web").inc()
        settled = gateway.worker.settled[row_id] = asyncio.Event()
        gateway.worker.wake.set()
        answer: dict = {}
        status_code = 200
        try:
            # the worker signals this message; a retry (Rasa down) leaves it pending: answer 202, the widget polls
            deadline = time.monotonic() + WEB_WAIT
            while not settled.is_set() and time.monotonic() < deadline:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(settled.wait(), timeout=1.0)
                settled.clear()
                status = await asyncio.to_thread(gateway.queue.inbound_status, row_id)
                if status in (InboxStatus.DONE, InboxStatus.HELD):
                    break
            else:
                answer, status_code = {"messages": [], "queued": True, "last_id": after}, 202
        finally:
            gateway.worker.settled.pop(row_id, None)
        if not answer:
            rows = await asyncio.to_thread(gateway.queue.take_web_replies, conversation, after)
            gateway.metrics.web_replies(rows)
            answer = {"messages": _messages(rows), "last_id": rows[-1].id if rows else after}
        widget = WEB_TOKEN_HEADER in request.headers
        if new and widget:  # the widget keeps it (sessionStorage) and sends it back
            answer = answer | {"token": session.token}
        response = JSONResponse(answer, status_code=status_code)
        if new and not widget:  # the /chat page: a cookie its script cannot read
            response.set_cookie(
                WEB_COOKIE,
                session.token,
                max_age=int(gateway.settings.web_session_days * 86400),
                path="/api/chat",
                secure=gateway.settings.cookie_secure,
                httponly=True,
                samesite="lax",
            )
        return response

    async def api_chat_messages(request: Request) -> Response:
        if not config.web_chat:
            return JSONResponse({"error": "Kênh trò chuyện trên web đang tắt."}, status_code=404)
        assert gateway.queue is not None and gateway.web_sessions is not None  # set at startup (lifespan)
        session = await asyncio.to_thread(gateway.web_sessions.find, _token(request))
        if session is None:
            # a wrong token counts against the address, like a message: guessing stays as slow as chatting
            if wait := gateway.web_limits.hit([Limit(gateway.web_limits.per_ip, _address(request))]):
                return _too_many(wait)
            return _unauthorized()
        after = _after(request.query_params.get("after", "0"))
        if after is None:
            return JSONResponse({"error": "Giá trị after cần là số nguyên không âm."}, status_code=400)
        rows = await asyncio.to_thread(gateway.queue.take_web_replies, session.conversation_id, after)
        gateway.metrics.web_replies(rows)
        return JSONResponse({"messages": _messages(rows), "last_id": rows[-1].id if rows else after})

    async def api_chat_end(request: Request) -> Response:
        """ "Kết thúc": the conversation's token stops working and the cookie is cleared (the page cannot reach it)."""
        assert gateway.web_sessions is not None  # set at startup (lifespan)
        await asyncio.to_thread(gateway.web_sessions.end, _token(request))
        response = JSONResponse({"ended": True})
        response.delete_cookie(
            WEB_COOKIE, path="/api/chat", secure=gateway.settings.cookie_secure, httponly=True, samesite="lax"
        )
        return response

    async def chat_page(request: Request) -> Response:
        return FileResponse(STATIC / "chat.html")

    async def privacy(request: Request) -> Response:
        return HTMLResponse(privacy_page(gateway.settings))

    # --- operations ----------------------------------------------------------------------------------
    async def healthz(request: Request) -> Response:
        try:
            assert gateway.queue is not None  # set at startup (lifespan)
            counts = await asyncio.to_thread(gateway.queue.counts)
            store_ok = True
        except Exception:  # the store is down: say so, do not crash
            counts, store_ok = {}, False
        assert gateway.http is not None  # set at startup (lifespan)
        http = gateway.http

        async def answers(url: str) -> bool:
            try:
                return (await http.get(f"{url}/webhooks/rest/", timeout=2)).status_code == 200
            except httpx.HTTPError:
                return False

        servers = config.rasa_servers
        up = await asyncio.gather(*(answers(url) for url in servers))
        rasa_ok = any(up)  # the pool fails over: one Rasa answering is enough
        ok = store_ok
        return JSONResponse(
            {
                "status": "ok" if ok else "degraded",
                "store": store_ok,
                "rasa": rasa_ok,
                **({"rasa_servers": dict(zip(servers, up, strict=True))} if len(servers) > 1 else {}),
                "channels": config.enabled(),
                "queue": {"inbound": counts.get("inbox_pending", 0), "outbound": counts.get("outbox_pending", 0)},
            },
            status_code=200 if ok else 503,
        )

    async def metrics(request: Request) -> Response:
        if not metrics_allowed(
            request.client.host if request.client else None, request.headers, gateway.settings.metrics_token
        ):
            return JSONResponse({"error": "Không có quyền xem số liệu vận hành."}, status_code=403)
        return Response(await asyncio.to_thread(gateway.metrics.render), media_type=CONTENT_TYPE)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        await gateway.start()
        try:
            yield
        finally:
            await gateway.close()

    routes = [
        Route("/webhooks/zalo-oa", zalo_oa_webhook, methods=["POST"]),
        Route("/webhooks/zalo-bot", zalo_bot_webhook, methods=["POST"]),
        Route("/webhooks/telegram", telegram_webhook, methods=["POST"]),
        Route("/webhooks/messenger", messenger_webhook, methods=["GET", "POST"]),
        Route("/api/chat", api_chat, methods=["POST"]),
        Route("/api/chat/messages", api_chat_messages, methods=["GET"]),
        Route("/api/chat/end", api_chat_end, methods=["POST"]),
        Route("/chat", chat_page, methods=["GET"]),
        Route("/privacy", privacy, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Mount("/static", app=StaticFiles(directory=STATIC, check_dir=False), name="static"),
        Mount("/admin", app=_LazyConsole(gateway)),
    ]
    # The widget is embedded on the commune's portal, another origin: the chat API answers cross-origin calls.
    # Outermost first: every answer (a 413 and CORS's included) gets the security headers; bodies are limited
    # before any route reads them (connectors/limits.py).
    middleware = [
        Middleware(SecurityHeaders, hsts=app.settings.cookie_secure),
        Middleware(
            CORSMiddleware,
            allow_origins=["*"],
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "X-Chat-Token"],
            expose_headers=["Retry-After"],
        ),
        Middleware(BodyLimit),
    ]
    asgi = Starlette(routes=routes, lifespan=lifespan, middleware=middleware)
    asgi.state.gateway = gateway
    return asgi


class _LazyConsole:
    """The console (bot/console) mounted at /admin; built once the store exists (at startup)."""

    def __init__(self, gateway: Gateway):
        self.gateway = gateway
        self.app: Starlette | None = None

    async def __call__(self, scope, receive, send) -> None:
        if self.app is None:
            from bot.console import create_console

            assert self.gateway.store is not None  # requests are served only after startup
            self.app = create_console(self.gateway.store, self.gateway.settings, self.gateway.desk)
        await self.app(scope, receive, send)


def configure_logging(level: int = logging.INFO) -> None:
    """JSON lines on stderr, masked (bot/logs.py)."""
    logs.configure_logging(level, json_lines=True)
    for noisy in ("httpx", "httpcore", "telegram", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
