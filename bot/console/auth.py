"""Login, logout and the account list (admins)."""

from __future__ import annotations

import asyncio
import hmac
import secrets

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.console.web import LOGIN_CSRF_COOKIE, SESSION_COOKIE, Console
from bot.status import Role
from bot.team.accounts import Session


def routes(console: Console) -> list[Route]:
    accounts = console.accounts

    def login_page(request: Request, status: int = 200, error: str | None = None) -> Response:
        token = secrets.token_urlsafe(24)
        response = console.page(request, "login.html", None, status, csrf=token, error=error)
        response.set_cookie(
            LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=console.secure, path="/admin"
        )
        return response

    async def login_form(request: Request) -> Response:
        return login_page(request)

    async def login(request: Request) -> Response:
        form = await request.form()
        cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        if not cookie or not hmac.compare_digest(str(form.get("csrf", "")), cookie):
            return console.refuse(request, None, "Phiên đăng nhập không hợp lệ, anh/chị tải lại trang đăng nhập.", 403)
        token = await asyncio.to_thread(
            accounts.login, str(form.get("username", "")).strip().lower(), str(form.get("password", ""))
        )
        if token is None:
            return login_page(request, 401, "Sai tên đăng nhập hoặc mật khẩu.")
        response = RedirectResponse("/admin/", status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            token,
            httponly=True,
            samesite="lax",
            secure=console.secure,
            path="/admin",
            max_age=int(accounts.session_length.total_seconds()),
        )
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/admin")
        return response

    @console.guard(Role.TEAM)
    async def logout(request: Request, session: Session) -> Response:
        await asyncio.to_thread(accounts.logout, request.cookies.get(SESSION_COOKIE, ""))
        response = RedirectResponse("/admin/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/admin")
        return response

    @console.guard(Role.ADMIN)
    async def user_list(request: Request, session: Session) -> Response:
        return console.page(request, "users.html", session, users=await asyncio.to_thread(accounts.list_users))

    return [
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/users", user_list, methods=["GET"]),
    ]
