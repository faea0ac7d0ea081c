"""The web console at /admin for the community digital team, content editors and admins: server-rendered,
Vietnamese, no external resources. Served by the gateway application (connectors/gateway.py).

This first part is the secure shell every page needs: login with an account made by `trolyso user add`,
sessions that expire, a CSRF token on every form, role checks; and an overview page (unanswered questions,
conversations waiting for a person, answers marked "Chưa đúng"). The work pages of the console build on it.
"""
from __future__ import annotations

import asyncio
import datetime as _dt
import hmac
import os
import secrets
from pathlib import Path

from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from ..accounts import Accounts, Session, role_allows
from ..store import Store, feedback, handoffs, questions

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))
VIETNAM = _dt.timezone(_dt.timedelta(hours=7), "ICT")      # no daylight saving in Việt Nam


def _local(value: _dt.datetime, fmt: str = "%d/%m %H:%M") -> str:
    """Stored times are UTC; the team reads Việt Nam time."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.timezone.utc)
    return value.astimezone(VIETNAM).strftime(fmt)


TEMPLATES.env.filters["local"] = _local
SESSION_COOKIE = "trolyso_session"
LOGIN_CSRF_COOKIE = "trolyso_login_csrf"
NAV = [("Tổng quan", "/admin/", "team"), ("Tài khoản", "/admin/users", "admin")]


def create_console(store: Store) -> Starlette:
    accounts = Accounts(store, float(os.environ.get("TROLYSO_SESSION_HOURS", "8")))
    secure = os.environ.get("TROLYSO_COOKIE_SECURE", "0") == "1"     # set 1 behind HTTPS

    def current(request: Request) -> Session | None:
        return accounts.session(request.cookies.get(SESSION_COOKIE))

    def page(request: Request, name: str, session: Session | None, status: int = 200, **ctx) -> HTMLResponse:
        nav = [(t, u) for t, u, role in NAV if session and role_allows(session.role, role)]
        return TEMPLATES.TemplateResponse(request, name, {"session": session, "nav": nav, **ctx},
                                          status_code=status)

    def guard(needed: str):
        """Route decorator: a login for anonymous users, 403 for a role too low, CSRF check on POST."""
        def wrap(handler):
            async def route(request: Request) -> Response:
                session = await asyncio.to_thread(current, request)
                if session is None:
                    return RedirectResponse("/admin/login", status_code=303)
                if not role_allows(session.role, needed):
                    return page(request, "error.html", session, 403,
                                message="Tài khoản của anh/chị không có quyền xem trang này.")
                if request.method == "POST":
                    form = await request.form()
                    if not hmac.compare_digest(str(form.get("csrf", "")), session.csrf):
                        return page(request, "error.html", session, 403,
                                    message="Phiên làm việc không hợp lệ, anh/chị tải lại trang rồi thử lại.")
                return await handler(request, session)
            return route
        return wrap

    async def login_form(request: Request) -> Response:
        token = secrets.token_urlsafe(24)
        response = page(request, "login.html", None, csrf=token, error=None)
        response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure,
                            path="/admin")
        return response

    async def login(request: Request) -> Response:
        form = await request.form()
        cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        if not cookie or not hmac.compare_digest(str(form.get("csrf", "")), cookie):
            return page(request, "error.html", None, 403, message="Phiên đăng nhập không hợp lệ, anh/chị tải lại "
                                                                  "trang đăng nhập.")
        token = await asyncio.to_thread(accounts.login, str(form.get("username", "")).strip().lower(),
                                        str(form.get("password", "")))
        if token is None:
            fresh = secrets.token_urlsafe(24)
            response = page(request, "login.html", None, 401, csrf=fresh,
                            error="Sai tên đăng nhập hoặc mật khẩu.")
            response.set_cookie(LOGIN_CSRF_COOKIE, fresh, httponly=True, samesite="strict", secure=secure,
                                path="/admin")
            return response
        response = RedirectResponse("/admin/", status_code=303)
        response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", secure=secure, path="/admin",
                            max_age=int(accounts.session_length.total_seconds()))
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/admin")
        return response

    @guard("team")
    async def logout(request: Request, session: Session) -> Response:
        await asyncio.to_thread(accounts.logout, request.cookies.get(SESSION_COOKIE, ""))
        response = RedirectResponse("/admin/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/admin")
        return response

    def overview() -> dict:
        with store.engine.connect() as conn:
            unanswered = conn.execute(select(func.count()).select_from(questions)
                                      .where(questions.c.answered.is_(False))).scalar_one()
            waiting = conn.execute(select(func.count()).select_from(handoffs)
                                   .where(handoffs.c.status == "waiting")).scalar_one()
            wrong = conn.execute(select(func.count()).select_from(feedback)
                                 .where(feedback.c.helpful.is_(False))).scalar_one()
        return {"unanswered": unanswered, "waiting": waiting, "wrong": wrong,
                "latest": store.unanswered(limit=20), "handoffs": store.handoffs(status="waiting")[:20]}

    @guard("team")
    async def home(request: Request, session: Session) -> Response:
        return page(request, "home.html", session, **await asyncio.to_thread(overview))

    @guard("admin")
    async def user_list(request: Request, session: Session) -> Response:
        return page(request, "users.html", session, users=await asyncio.to_thread(accounts.list_users))

    return Starlette(routes=[
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/", home, methods=["GET"]),
        Route("/users", user_list, methods=["GET"]),
    ])
