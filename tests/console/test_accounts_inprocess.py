"""Console accounts and the audit log in-process (TestClient, the seeded console of test_pages_inprocess.py):
login throttling per username and per address (429, a Vietnamese message, failures logged without the
password), the admin's account actions (disable, enable, new password, end sessions: admins only), and the
audit log page recording what the team did."""

from __future__ import annotations

import dataclasses
import logging
import re

from starlette.testclient import TestClient

from bot.clock import VIETNAM
from bot.status import AuditAction
from bot.team.accounts import Accounts
from bot.team.audit import AuditLog
from bot.team.throttle import LoginThrottle
from tests.console import test_pages_inprocess
from tests.console.test_pages_inprocess import GUIDE, ROOT, csrf_of, login

site = test_pages_inprocess.site  # the seeded console (a fixture: this module gets its own)


def try_login(client: TestClient, username: str, password: str):
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/admin/login").text).group(1)
    return client.post(
        "/admin/login", data={"csrf": csrf, "username": username, "password": password}, follow_redirects=False
    )


def entries(site, action: AuditAction) -> list:
    return [e for e in AuditLog(site["store"]).recent(1000) if e.action == action]


# --- throttling ----------------------------------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_username_with_a_clear_message_and_are_logged(site, caplog):
    Accounts(site["store"]).add_user("khoa.team", "team", "mat-khau-khoa.team")
    client = TestClient(site["app"], client=("10.0.0.5", 40000))
    caplog.set_level(logging.WARNING, logger="bot.console.auth")
    for _ in range(4):
        r = try_login(client, "khoa.team", "doan-sai-123")
        assert r.status_code == 401 and "Sai tên đăng nhập" in r.text
    locked = try_login(client, "khoa.team", "doan-sai-123")
    assert locked.status_code == 429 and locked.headers["retry-after"] == "60"
    assert "tạm thời bị khóa vì nhập sai nhiều lần" in locked.text and "1 phút" in locked.text
    # locked: even the right password, from another address, is not checked now
    elsewhere = TestClient(site["app"], client=("10.0.0.6", 40000))
    assert try_login(elsewhere, "khoa.team", "mat-khau-khoa.team").status_code == 429
    # an unknown username is locked the same way (nothing tells it apart from a real one)
    for _ in range(4):
        assert try_login(elsewhere, "khong.co.ai", "doan-sai-123").status_code == 401
    assert try_login(elsewhere, "khong.co.ai", "doan-sai-123").status_code == 429

    failures = [r.getMessage() for r in caplog.records if "login failed" in r.getMessage()]
    assert len(failures) == 10 and "'khoa.team'" in failures[0] and "10.0.0.5" in failures[0]
    assert all("doan-sai" not in r.getMessage() for r in caplog.records)
    assert any("refused" in r.getMessage() and "10.0.0.6" in r.getMessage() for r in caplog.records)
    audited = [e for e in entries(site, AuditAction.LOGIN_FAILED) if e.target == "khoa.team"]
    assert len(audited) == 5 and {e.detail for e in audited} == {"10.0.0.5"}


def test_one_address_trying_many_usernames_is_locked(site, monkeypatch):
    # a lower limit per address than the 20 in use (tests/team/test_accounts.py checks that one): fewer hashes
    monkeypatch.setattr(site["app"].routes[0].app.state.console, "throttle", LoginThrottle(per_address=6))
    client = TestClient(site["app"], client=("10.0.0.7", 40000))
    codes = [try_login(client, f"doan.{i}", "doan-sai-123").status_code for i in range(6)]
    assert codes == [401] * 5 + [429]
    assert try_login(client, "hoa.admin", "mat-khau-hoa.admin").status_code == 429
    assert login(site, "hoa.admin")  # the same account from another address


def test_behind_a_trusted_proxy_each_forwarded_address_has_its_own_count(site, monkeypatch):
    """Behind the commune's reverse proxy every login comes from the proxy: counting the proxy would lock the whole
    team out at once. From a trusted proxy the forwarded address counts (the same rule as the web chat's limits)."""
    console = site["app"].routes[0].app.state.console
    monkeypatch.setattr(console, "throttle", LoginThrottle(per_address=3))
    monkeypatch.setattr(console, "settings", dataclasses.replace(console.settings, trusted_proxies=("10.9.9.9",)))
    proxy = TestClient(site["app"], client=("10.9.9.9", 40000))

    def attempt(forwarded: str, username: str) -> int:
        csrf = re.search(r'name="csrf" value="([^"]+)"', proxy.get("/admin/login").text).group(1)
        return proxy.post(
            "/admin/login",
            data={"csrf": csrf, "username": username, "password": "doan-sai-123"},
            headers={"x-forwarded-for": forwarded},
            follow_redirects=False,
        ).status_code

    assert [attempt("203.0.113.7", f"thu.{i}") for i in range(3)] == [401, 401, 429]  # the 3rd failure locks
    assert attempt("203.0.113.8", "thu.khac") == 401  # another resident of the office behind the same proxy
    # a client that is not a trusted proxy cannot pick its address by writing the header
    direct = TestClient(site["app"], client=("10.0.0.9", 40000))
    for i in range(3):
        csrf = re.search(r'name="csrf" value="([^"]+)"', direct.get("/admin/login").text).group(1)
        direct.post(
            "/admin/login",
            data={"csrf": csrf, "username": f"x.{i}", "password": "doan-sai-123"},
            headers={"x-forwarded-for": f"198.51.100.{i}"},
            follow_redirects=False,
        )
    assert try_login(direct, "x.9", "doan-sai-123").status_code == 429


# --- accounts ------------------------------------------------------------------------------------------------------


def test_an_admin_disables_enables_resets_and_ends_sessions_and_it_takes_effect_at_once(site):
    Accounts(site["store"]).add_user("tuan.team", "team", "mat-khau-tuan.team")
    tuan = login(site, "tuan.team")
    admin = login(site, "hoa.admin")
    csrf = csrf_of(admin)
    page = admin.get("/admin/users")
    assert 'action="/admin/users/disable"' in page.text and "Đặt mật khẩu mới" in page.text

    r = admin.post("/admin/users/disable", data={"csrf": csrf, "username": "tuan.team"})
    assert r.status_code == 200 and "Đã khóa tài khoản tuan.team" in r.text and "đã khóa" in r.text
    assert tuan.get("/admin/", follow_redirects=False).status_code == 303  # its open session stopped at once
    assert try_login(TestClient(site["app"]), "tuan.team", "mat-khau-tuan.team").status_code == 401

    r = admin.post("/admin/users/enable", data={"csrf": csrf, "username": "tuan.team"})
    assert r.status_code == 200 and "Đã mở khóa tài khoản tuan.team" in r.text
    tuan = login(site, "tuan.team")

    short = admin.post("/admin/users/password", data={"csrf": csrf, "username": "tuan.team", "password": "ngan"})
    assert short.status_code == 400 and "ít nhất 10 ký tự" in short.text
    r = admin.post("/admin/users/password", data={"csrf": csrf, "username": "tuan.team", "password": "mat-khau-moi-1"})
    assert r.status_code == 200 and "Đã đặt mật khẩu mới cho tuan.team" in r.text
    assert tuan.get("/admin/", follow_redirects=False).status_code == 303
    assert try_login(TestClient(site["app"]), "tuan.team", "mat-khau-moi-1").status_code == 303

    tuan = TestClient(site["app"])
    assert try_login(tuan, "tuan.team", "mat-khau-moi-1").status_code == 303
    r = admin.post("/admin/users/sessions/end", data={"csrf": csrf, "username": "tuan.team"})
    assert r.status_code == 200 and "Đã kết thúc mọi phiên đăng nhập của tuan.team" in r.text
    assert tuan.get("/admin/", follow_redirects=False).status_code == 303

    myself = admin.post("/admin/users/disable", data={"csrf": csrf, "username": "hoa.admin"})
    assert myself.status_code == 400 and "không thể tự khóa" in myself.text
    missing = admin.post("/admin/users/enable", data={"csrf": csrf, "username": "khong.co"})
    assert missing.status_code == 400 and "Không có tài khoản khong.co" in missing.text

    done = {(e.username, e.action, e.target) for e in AuditLog(site["store"]).recent(1000)}
    for action in ("account_disabled", "account_enabled", "password_changed", "sessions_ended"):
        assert ("hoa.admin", action, "tuan.team") in done, action
    assert [e.detail for e in entries(site, AuditAction.SESSIONS_ENDED)][:1] == ["2 sessions"]


def test_only_admins_change_accounts_or_read_the_audit_log(site):
    Accounts(site["store"]).add_user("vy.team", "team", "mat-khau-vy.team")
    for name in ("lan.team", "minh.editor"):
        client = login(site, name)
        csrf = csrf_of(client)
        assert client.get("/admin/audit").status_code == 403
        assert 'href="/admin/audit"' not in client.get("/admin/").text
        for path in ("/admin/users/disable", "/admin/users/sessions/end", "/admin/users/password"):
            r = client.post(path, data={"csrf": csrf, "username": "vy.team", "password": "mat-khau-cua-toi"})
            assert r.status_code == 403, (name, path)
    assert Accounts(site["store"]).login("vy.team", "mat-khau-vy.team")  # unchanged
    assert 'href="/admin/audit"' in login(site, "hoa.admin").get("/admin/").text


# --- audit log -----------------------------------------------------------------------------------------------------


def test_what_the_team_does_in_the_console_is_in_the_audit_log(site):
    ids = site["ids"]
    team = login(site, "lan.team")
    csrf = csrf_of(team)
    post = lambda path, **data: team.post(path, data={"csrf": csrf, **data}, follow_redirects=False)  # noqa: E731
    assert post(f"/admin/questions/{ids['group']}/out-of-scope").status_code == 303
    assert post(f"/admin/questions/{ids['group']}/reopen").status_code == 303
    r = post(
        f"/admin/questions/{ids['group']}/answer",
        title="Mật khẩu Wi-Fi ở UBND xã là gì?",
        questions="Mật khẩu wifi ở UBND xã là gì?",
        answer="Dạ, mật khẩu Wi-Fi cho người dân dán ở bàn một cửa của UBND xã.",
        source="Văn phòng UBND xã",
        topics="TOCNSCD",
    )
    assert r.status_code == 303, r.text
    handoff = ids["handoff"]
    assert post(f"/admin/handoffs/{handoff}/take").status_code == 303
    assert post(f"/admin/handoffs/{handoff}/reply", text="Dạ, cán bộ xã đây ạ.").status_code == 303
    assert post(f"/admin/handoffs/{handoff}/release").status_code == 303
    assert post("/admin/logout").status_code == 303

    editor = login(site, "minh.editor")
    csrf = csrf_of(editor)
    files = {"file": ("ban-sao.md", (ROOT / "knowledge" / GUIDE).read_bytes(), "text/markdown")}
    r = editor.post(
        "/admin/knowledge/upload", data={"csrf": csrf, "folder": "guides"}, files=files, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    r = editor.post(f"/admin/news/{ids['news']}/send", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303

    done = [(e.username, e.action, e.target) for e in reversed(AuditLog(site["store"]).recent(1000))]
    expected = [
        ("lan.team", "group_out_of_scope", str(ids["group"])),
        ("lan.team", "group_reopened", str(ids["group"])),
        ("lan.team", "group_answered", str(ids["group"])),
        ("lan.team", "handoff_taken", str(handoff)),
        ("lan.team", "handoff_replied", str(handoff)),
        ("lan.team", "handoff_released", str(handoff)),
        ("lan.team", "logout", "lan.team"),
        ("minh.editor", "login", "minh.editor"),
        ("minh.editor", "knowledge_uploaded", "guides/ban-sao.md"),
        ("minh.editor", "news_sent", str(ids["news"])),
    ]
    assert done[-len(expected) :] == expected
    # short notes only: nothing a resident or the team wrote
    assert all(
        "cán bộ xã đây" not in e.detail and "Wi-Fi" not in e.detail for e in AuditLog(site["store"]).recent(1000)
    )


def test_the_audit_page_is_paged_in_vietnam_time(site):
    audit = AuditLog(site["store"])
    for i in range(120):
        audit.record("cli", AuditAction.ACCOUNT_CREATED, f"tai.khoan{i}", "role team")
    newest = audit.recent(1)[0]
    admin = login(site, "hoa.admin")
    first = admin.get("/admin/audit")
    assert first.status_code == 200 and "Nhật ký thao tác" in first.text
    assert first.text.count("<tr><td>") == 50 and "Trang sau" in first.text and "Trang trước" not in first.text
    assert "Tạo tài khoản" in first.text and "tai.khoan119" in first.text
    assert newest.at.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M:%S") in first.text
    second = admin.get("/admin/audit?page=2")
    assert "tai.khoan69" in second.text and "tai.khoan119" not in second.text and "Trang trước" in second.text
    last = admin.get(f"/admin/audit?page={audit.count() // 50 + 1}")
    assert "Trang sau" not in last.text and "Đăng nhập" in last.text
