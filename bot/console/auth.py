"""Login (throttled per username and per client address), logout, the accounts (admins: disable, enable, new
password, end sessions) and the audit log (admins)."""

from __future__ import annotations

import asyncio
import hmac
import logging
import math
import secrets
from collections.abc import Collection

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot import net
from bot.console.web import LOGIN_CSRF_COOKIE, SESSION_COOKIE, Console, back, field, page_number
from bot.labels import AUDIT_ACTION_NAMES
from bot.status import AuditAction, Role
from bot.team.accounts import USERNAME, Session, UnknownAccount, WeakPassword

log = logging.getLogger(__name__)
AUDIT_PAGE = 50
USER_DONE = {
    "disabled": "Đã khóa tài khoản {who}; các phiên đăng nhập của tài khoản đã kết thúc.",
    "enabled": "Đã mở khóa tài khoản {who}.",
    "password": "Đã đặt mật khẩu mới cho {who}; các phiên đăng nhập của tài khoản đã kết thúc.",
    "sessions": "Đã kết thúc mọi phiên đăng nhập của {who}.",
}


def client_address(request: Request, trusted: Collection[str]) -> str:
    """The client's address (bot/net.py): X-Forwarded-For counts only from a trusted proxy."""
    return net.client_address(
        request.client.host if request.client else None, request.headers.get("x-forwarded-for"), trusted
    )


def routes(console: Console) -> list[Route]:
    accounts = console.accounts

    def login_page(request: Request, status: int = 200, error: str | None = None) -> Response:
        token = secrets.token_urlsafe(24)
        response = console.page(request, "login.html", None, status, csrf=token, error=error)
        response.set_cookie(
            LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=console.secure, path="/admin"
        )
        return response

    def locked_out(request: Request, seconds: float) -> Response:
        minutes = max(1, math.ceil(seconds / 60))
        response = login_page(
            request,
            429,
            "Dạ, đăng nhập tạm thời bị khóa vì nhập sai nhiều lần. "
            f"Anh/chị vui lòng thử lại sau khoảng {minutes} phút.",
        )
        response.headers["Retry-After"] = str(math.ceil(seconds))
        return response

    async def login_form(request: Request) -> Response:
        return login_page(request)

    async def login(request: Request) -> Response:
        form = await request.form()
        cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        if not cookie or not hmac.compare_digest(str(form.get("csrf", "")), cookie):
            return console.refuse(request, None, "Phiên đăng nhập không hợp lệ, anh/chị tải lại trang đăng nhập.", 403)
        username = str(form.get("username", "")).strip().lower()[:64]
        address = client_address(request, console.settings.trusted_proxies)
        wait = console.throttle.admit(username, address)
        if wait:
            log.warning("console login refused for %r from %s: too many failures", username, address)
            return locked_out(request, wait)
        token = None
        try:
            token = await asyncio.to_thread(accounts.login, username, str(form.get("password", "")))
        finally:
            locked = console.throttle.finish(username, address, token is not None)
        if token is None:
            log.warning("console login failed for %r from %s", username, address)
            await asyncio.to_thread(console.audit.record, username, AuditAction.LOGIN_FAILED, username, address)
            if locked:
                log.warning("console logins for %r or from %s locked for %d s", username, address, locked)
                return locked_out(request, locked)
            return login_page(request, 401, "Sai tên đăng nhập hoặc mật khẩu.")
        await asyncio.to_thread(console.audit.record, username, AuditAction.LOGIN, username, address)
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
        await console.record(session, AuditAction.LOGOUT, session.username)
        response = RedirectResponse("/admin/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/admin")
        return response

    def user_page(request: Request, session: Session, status: int = 200, error: str | None = None) -> Response:
        done = USER_DONE.get(request.query_params.get("done", ""), "")
        return console.page(
            request,
            "users.html",
            session,
            status,
            users=accounts.list_users(),
            done=done.format(who=who if USERNAME.match(who := request.query_params.get("who", "")) else "")
            if done
            else "",
            error=error,
        )

    @console.guard(Role.ADMIN)
    async def user_list(request: Request, session: Session) -> Response:
        return await asyncio.to_thread(user_page, request, session)

    def user_action(action: AuditAction, done: str):
        """A POST on /admin/users/…: the account named in the form, changed, recorded, back to the list."""

        @console.guard(Role.ADMIN)
        async def handler(request: Request, session: Session) -> Response:
            form = await request.form()
            username = field(form, "username", 32)
            if username == session.username and action == AuditAction.ACCOUNT_DISABLED:
                return await asyncio.to_thread(
                    user_page, request, session, 400, "Anh/chị không thể tự khóa tài khoản đang dùng."
                )
            try:
                detail = await asyncio.to_thread(accounts.change, action, username, str(form.get("password", "")))
            except WeakPassword:
                return await asyncio.to_thread(user_page, request, session, 400, "Mật khẩu cần ít nhất 10 ký tự.")
            except UnknownAccount:
                return await asyncio.to_thread(user_page, request, session, 400, f"Không có tài khoản {username}.")
            await console.record(session, action, username, detail)
            return back(f"/admin/users?done={done}&who={username}")

        handler.__name__ = f"user_{done}"
        return handler

    @console.guard(Role.ADMIN)
    async def audit_page(request: Request, session: Session) -> Response:
        page_no = page_number(request)
        entries = await asyncio.to_thread(console.audit.recent, AUDIT_PAGE + 1, (page_no - 1) * AUDIT_PAGE)
        return console.page(
            request,
            "audit.html",
            session,
            entries=entries[:AUDIT_PAGE],
            more=len(entries) > AUDIT_PAGE,
            page_no=page_no,
            names=AUDIT_ACTION_NAMES,
        )

    return [
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/users", user_list, methods=["GET"]),
        Route("/users/disable", user_action(AuditAction.ACCOUNT_DISABLED, "disabled"), methods=["POST"]),
        Route("/users/enable", user_action(AuditAction.ACCOUNT_ENABLED, "enabled"), methods=["POST"]),
        Route("/users/password", user_action(AuditAction.PASSWORD_CHANGED, "password"), methods=["POST"]),
        Route("/users/sessions/end", user_action(AuditAction.SESSIONS_ENDED, "sessions"), methods=["POST"]),
        Route("/audit", audit_page, methods=["GET"]),
    ]
