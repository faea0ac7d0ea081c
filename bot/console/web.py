"""The console's shell, shared by every page module: templates, the login session, role and CSRF checks, and
the `Desk` through which the console reaches residents (provided by the gateway that serves the console).
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import hmac
from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from bot.clock import VIETNAM, as_utc
from bot.config import Settings
from bot.labels import CHANNEL_NAMES, MESSAGE_KIND_NAMES
from bot.status import AuditAction, Role
from bot.store import Store
from bot.team.accounts import Accounts, Session, role_allows
from bot.team.audit import AuditLog
from bot.team.desk import Desk
from bot.team.throttle import LoginThrottle
from bot.text import nfc

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))
SESSION_COOKIE = "trolyso_session"
LOGIN_CSRF_COOKIE = "trolyso_login_csrf"

# (title, path, lowest role that sees it) — the header's menu, in order
NAV = [
    ("Tổng quan", "/admin/", Role.TEAM),
    ("Câu hỏi chưa trả lời", "/admin/questions", Role.TEAM),
    ('Góp ý "Chưa đúng"', "/admin/feedback", Role.TEAM),
    ("Gặp cán bộ", "/admin/handoffs", Role.TEAM),
    ("Kho kiến thức", "/admin/knowledge", Role.TEAM),
    ("Báo cáo", "/admin/reports", Role.TEAM),
    ("Tin tức", "/admin/news", Role.EDITOR),
    ("Tài khoản", "/admin/users", Role.ADMIN),
    ("Nhật ký", "/admin/audit", Role.ADMIN),
]


def local_time(value: _dt.datetime | None, fmt: str = "%d/%m %H:%M") -> str:
    """Stored times are UTC; the team reads Việt Nam time."""
    if value is None:
        return ""
    return as_utc(value).astimezone(VIETNAM).strftime(fmt)


TEMPLATES.env.filters["local"] = local_time
TEMPLATES.env.filters["channel"] = lambda c: CHANNEL_NAMES.get(c, c)
TEMPLATES.env.filters["message_kind"] = lambda k: MESSAGE_KIND_NAMES.get(k, k)


Handler = Callable[[Request, Session], Awaitable[Response]]


class Console:
    """What every page module gets: the store, the settings, the accounts, the desk, and helpers to render a
    page and to guard a route."""

    def __init__(self, store: Store, settings: Settings, desk: Desk | None = None):
        self.store = store
        self.settings = settings
        self.desk = desk
        self.accounts = Accounts(store, settings.session_hours)
        self.audit = AuditLog(store)
        self.throttle = LoginThrottle()  # failed logins per username and per client address, in memory
        self.secure = settings.cookie_secure  # set TROLYSO_COOKIE_SECURE=1 behind HTTPS

    def current(self, request: Request) -> Session | None:
        return self.accounts.session(request.cookies.get(SESSION_COOKIE))

    def page(self, request: Request, name: str, session: Session | None, status: int = 200, **ctx) -> HTMLResponse:
        nav = [(t, u) for t, u, role in NAV if session and role_allows(session.role, role)]
        return TEMPLATES.TemplateResponse(
            request,
            name,
            {
                "session": session,
                "nav": nav,
                "path": request.url.path,
                "can": (lambda role: session is not None and role_allows(session.role, role)),
                **ctx,
            },
            status_code=status,
        )

    async def record(self, session: Session, action: AuditAction, target: object = "", detail: object = "") -> None:
        """Write what the session's account did to the audit log."""
        await asyncio.to_thread(self.audit.record, session.username, action, target, detail)

    def refuse(self, request: Request, session: Session | None, message: str, status: int = 400) -> HTMLResponse:
        return self.page(request, "error.html", session, status, message=message)

    def guard(self, needed: Role) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
        """Route decorator: a login for anonymous users, 403 for a role too low, CSRF check on POST."""

        def wrap(handler: Handler):
            async def route(request: Request) -> Response:
                session = await asyncio.to_thread(self.current, request)
                if session is None:
                    return RedirectResponse("/admin/login", status_code=303)
                if not role_allows(session.role, needed):
                    return self.refuse(request, session, "Tài khoản của anh/chị không có quyền xem trang này.", 403)
                if request.method == "POST":
                    form = await request.form(max_part_size=2 * 1024 * 1024)
                    if not hmac.compare_digest(str(form.get("csrf", "")), session.csrf):
                        return self.refuse(
                            request, session, "Phiên làm việc không hợp lệ, anh/chị tải lại trang rồi thử lại.", 403
                        )
                return await handler(request, session)

            route.__name__ = handler.__name__
            return route

        return wrap


def field(form: FormData, name: str, limit: int = 4000) -> str:
    """A text field of a submitted form, trimmed and NFC, at most `limit` characters."""
    value = form.get(name)
    return nfc(value if isinstance(value, str) else "").strip()[:limit]


def page_number(request: Request) -> int:
    """The ?page= of a paged list (1 when missing or not a number)."""
    try:
        return max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        return 1


def back(url: str) -> RedirectResponse:
    """After a successful POST: back to a page (the browser then GETs it)."""
    return RedirectResponse(url, status_code=303)
