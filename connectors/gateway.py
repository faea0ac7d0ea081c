"""The gateway: one ASGI application (Starlette) for every channel.

    POST /webhooks/zalo-oa | /webhooks/zalo-bot | /webhooks/telegram   platform webhooks
    POST /api/chat, GET /api/chat/messages                             the web chat (README, "How the gateway works")
    GET  /chat, /static/…                                              the chat page and embeddable widget
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
from collections import defaultdict, deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bot.app import App
from bot.retry import sleep_or_stop
from bot.status import InboxStatus, Origin
from bot.store import Store
from bot.team.desk import DeskError
from bot.text import mask_personal_numbers, nfc
from connectors.channels import telegram as tg
from connectors.channels import zalo_bot, zalo_oa
from connectors.config import GatewayConfig
from connectors.desk import GatewayDesk
from connectors.messages import Inbound, Sender, WebhookRejected
from connectors.metrics import Metrics
from connectors.queue import MessageQueue
from connectors.rasa_client import AsyncRasaClient
from connectors.worker import Worker, WorkerConfig

log = logging.getLogger("trolyso.gateway")
STATIC = Path(__file__).resolve().parent / "static"
WEB_MAX_TEXT = 1000
WEB_RATE = 20  # messages per minute per web-chat user
WEB_WAIT = 25.0  # seconds POST /api/chat waits for the reply before answering 202


class Gateway:
    """Everything the routes share; built at startup (lifespan), closed at shutdown."""

    def __init__(self, app: App, config: GatewayConfig, worker_config: WorkerConfig | None = None):
        self.app = app
        self.config = config
        self.settings = settings = app.settings
        self.worker_config = worker_config or WorkerConfig(retry_base=settings.retry_base, retry_max=settings.retry_max)
        self.metrics = Metrics()
        self.store: Store | None = None
        self.queue: MessageQueue | None = None
        self.worker: Worker | None = None
        self.senders: dict[str, Sender] = {}
        self.telegram: tg.TelegramClient | None = None
        self.zalo_bot: zalo_bot.ZaloBotClient | None = None
        self.stop = asyncio.Event()
        self.tasks: list[asyncio.Task] = []
        self.http: httpx.AsyncClient | None = None
        self.rasa: AsyncRasaClient | None = None
        self.desk: GatewayDesk | None = None
        self.web_hits: dict[str, deque] = defaultdict(deque)
        self.accept_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="accept")

    async def start(self) -> None:
        self.store = self.app.store
        self.queue = MessageQueue(self.store)
        self.desk = GatewayDesk(self, asyncio.get_running_loop())  # the console's way to residents
        self.http = httpx.AsyncClient(timeout=20, limits=httpx.Limits(max_connections=64))
        self.rasa = AsyncRasaClient(self.config.rasa_url)
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
        if self.config.telegram:
            self.telegram = tg.TelegramClient(self.config.telegram)
            await self.telegram.start()
            self.senders[tg.CHANNEL] = self.telegram
            if self.config.telegram.polling:
                self.tasks.append(asyncio.create_task(self.telegram.poll(self.accept, self.stop)))
        self.worker = Worker(self.queue, self.store, self.rasa, self.senders, self.metrics, self.worker_config)
        self.tasks.append(asyncio.create_task(self.worker.run(self.stop)))
        self.tasks.append(asyncio.create_task(self.release_stale_handoffs()))
        log.info("gateway ready: channels %s, Rasa at %s", ", ".join(self.config.enabled()), self.config.rasa_url)

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
        self.metrics.count("messages_in" if new else "duplicates")
        if new:
            self.worker.wake.set()
        return new


def _reject(exc: WebhookRejected, gateway: Gateway, channel: str) -> JSONResponse:
    gateway.metrics.count(f"rejected_{channel}")
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
        gateway.metrics.observe("ack_seconds", time.perf_counter() - t0)
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

    # --- web chat ----------------------------------------------------------------------------------
    def _web_user(value: object) -> str | None:
        if not isinstance(value, str):
            return None
        value = value.strip()
        return value if 0 < len(value) <= 128 and value.isprintable() else None

    def _messages(rows) -> list[dict]:
        return [{"text": r.text, "buttons": r.buttons} for r in rows]

    async def api_chat(request: Request) -> Response:
        if not config.web_chat:
            return JSONResponse({"error": "Kênh trò chuyện trên web đang tắt."}, status_code=404)
        assert gateway.queue is not None and gateway.worker is not None  # set at startup (lifespan)
        try:
            body = json.loads(await request.body())
        except ValueError:
            return JSONResponse({"error": 'Yêu cầu không hợp lệ (cần JSON {"user_id", "text"}).'}, status_code=400)
        if not isinstance(body, dict):
            return JSONResponse({"error": "Yêu cầu không hợp lệ (cần một đối tượng JSON)."}, status_code=400)
        user, text = _web_user(body.get("user_id")), body.get("text")
        if user is None:
            return JSONResponse({"error": "Thiếu mã người dùng (user_id) hợp lệ."}, status_code=400)
        if not isinstance(text, str) or not text.strip() or len(text) > WEB_MAX_TEXT:
            return JSONResponse({"error": f"Tin nhắn cần từ 1 đến {WEB_MAX_TEXT} ký tự."}, status_code=400)
        hits, now_ = gateway.web_hits[user], time.monotonic()
        while hits and now_ - hits[0] > 60:
            hits.popleft()
        if len(hits) >= WEB_RATE:
            return JSONResponse({"error": "Anh/chị gửi nhanh quá, vui lòng đợi một chút."}, status_code=429)
        hits.append(now_)
        conversation = f"web:{user}"
        asked_after = body.get("after")
        after = (
            asked_after
            if isinstance(asked_after, int)
            else await asyncio.to_thread(gateway.queue.last_reply_id, conversation)
        )
        message = Inbound("web", uuid.uuid4().hex, user, nfc(text))
        row_id, _ = await asyncio.to_thread(gateway.queue.accept, message)
        assert row_id is not None  # a fresh uuid4 platform id is never a duplicate
        gateway.metrics.count("messages_in")
        settled = gateway.worker.settled[row_id] = asyncio.Event()
        gateway.worker.wake.set()
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
                return JSONResponse({"messages": [], "queued": True, "last_id": after}, status_code=202)
        finally:
            gateway.worker.settled.pop(row_id, None)
        rows = await asyncio.to_thread(gateway.queue.take_web_replies, conversation, after)
        gateway.metrics.count("messages_out", len(rows))
        return JSONResponse({"messages": _messages(rows), "last_id": rows[-1].id if rows else after})

    async def api_chat_messages(request: Request) -> Response:
        user = _web_user(request.query_params.get("user_id"))
        try:
            after = int(request.query_params.get("after", "0"))
        except ValueError:
            after = -1
        if user is None or after < 0:
            return JSONResponse({"error": "Thiếu user_id hoặc after không phải số."}, status_code=400)
        assert gateway.queue is not None  # set at startup (lifespan)
        rows = await asyncio.to_thread(gateway.queue.take_web_replies, f"web:{user}", after)
        return JSONResponse({"messages": _messages(rows), "last_id": rows[-1].id if rows else after})

    async def chat_page(request: Request) -> Response:
        return FileResponse(STATIC / "chat.html")

    # --- operations ----------------------------------------------------------------------------------
    async def healthz(request: Request) -> Response:
        try:
            assert gateway.queue is not None  # set at startup (lifespan)
            counts = await asyncio.to_thread(gateway.queue.counts)
            store_ok = True
        except Exception:  # the store is down: say so, do not crash
            counts, store_ok = {}, False
        rasa_ok = True
        assert gateway.http is not None  # set at startup (lifespan)
        try:
            resp = await gateway.http.get(f"{config.rasa_url}/webhooks/rest/", timeout=2)
            rasa_ok = resp.status_code == 200
        except httpx.HTTPError:
            rasa_ok = False
        ok = store_ok
        return JSONResponse(
            {
                "status": "ok" if ok else "degraded",
                "store": store_ok,
                "rasa": rasa_ok,
                "channels": config.enabled(),
                "queue": {"inbound": counts.get("inbox_pending", 0), "outbound": counts.get("outbox_pending", 0)},
            },
            status_code=200 if ok else 503,
        )

    async def metrics(request: Request) -> Response:
        snap = gateway.metrics.snapshot()
        assert gateway.queue is not None  # set at startup (lifespan)
        snap["queue"] = await asyncio.to_thread(gateway.queue.counts)
        return JSONResponse(snap)

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
        Route("/api/chat", api_chat, methods=["POST"]),
        Route("/api/chat/messages", api_chat_messages, methods=["GET"]),
        Route("/chat", chat_page, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Mount("/static", app=StaticFiles(directory=STATIC, check_dir=False), name="static"),
        Mount("/admin", app=_LazyConsole(gateway)),
    ]
    # The widget is embedded on the commune's portal, another origin: the chat API answers cross-origin calls.
    middleware = [
        Middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST"], allow_headers=["Content-Type"])
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


class MaskingFilter(logging.Filter):
    """Identity and phone numbers never reach the logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_personal_numbers(record.getMessage())
        record.args = ()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["error"] = mask_personal_numbers(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(MaskingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "telegram", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
