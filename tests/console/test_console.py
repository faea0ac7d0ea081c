"""The console's secure shell through the real gateway process: every route refuses anonymous users, roles
are enforced, forms without the CSRF token are refused, sessions end at logout; the login in Chromium."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from bot.store import Store
from bot.team.accounts import Accounts, check_password, hash_password
from tests.conftest import chromium
from tests.connectors.test_gateway import GatewayProcess, free_port
from tests.web import login

ROOT = Path(__file__).resolve().parents[2]


def console_routes() -> list[tuple[str, str]]:
    """Every route the console has, read from the application itself (so a new page cannot be forgotten)."""
    from bot.config import Settings
    from bot.console import create_console

    app = create_console(Store("sqlite://"), Settings.from_env())
    found = []
    for route in app.routes:
        path = re.sub(r"\{[^}]*:int\}", "1", route.path)
        path = re.sub(r"\{[^}]*:path\}", "guides/x.md", path)
        for method in sorted(route.methods - {"HEAD"}):
            if path != "/login":
                found.append((method, "/admin" + path))
    return found


ROUTES = console_routes()


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    data = tmp_path_factory.mktemp("console")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZALO_", "TELEGRAM_"))}
    env.update(
        {
            "TROLYSO_DATA_DIR": str(data),
            "TROLYSO_GATEWAY_PORT": str(free_port()),
            "TROLYSO_RASA_URL": f"http://127.0.0.1:{free_port()}",
        }
    )
    for name, role in (("lan.team", "team"), ("minh.editor", "editor"), ("hoa.admin", "admin")):
        proc = subprocess.run(
            [sys.executable, "-m", "bot.cli", "user", "add", name, "--role", role, "--password-stdin"],
            input=f"mat-khau-{name}\n",
            text=True,
            env=env,
            capture_output=True,
            cwd=ROOT,
        )
        assert proc.returncode == 0, proc.stderr
    store = Store(f"sqlite:///{data / 'trolyso.db'}")
    store.record_question(
        "cho tôi số CCCD 001203004567 của hàng xóm",
        channel="zalo-oa",
        user_id="u",
        answered=False,
        reason="personal_data",
        score=0.0,
    )
    g = GatewayProcess(env, data).start()
    yield g
    g.stop()


def test_passwords_are_hashed_and_checked():
    h = hash_password("mat-khau-dai-1")
    assert h.startswith("scrypt$") and "mat-khau" not in h
    assert check_password("mat-khau-dai-1", h) and not check_password("mat-khau-dai-2", h)


@pytest.mark.parametrize("method,path", ROUTES)
def test_every_console_route_refuses_anonymous_users(console, method, path):
    r = requests.request(method, f"{console.url}{path}", allow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/admin/login"


def test_the_route_list_covers_every_page():
    paths = {p for _, p in ROUTES}
    assert {
        "/admin/",
        "/admin/questions",
        "/admin/feedback",
        "/admin/knowledge",
        "/admin/knowledge/upload",
        "/admin/users",
        "/admin/logout",
    } <= paths


@pytest.mark.parametrize("method,path", [(m, p) for m, p in ROUTES if m == "POST"])
def test_every_form_refuses_a_missing_or_forged_csrf_token(console, method, path):
    s = login(console, "hoa.admin")
    for data in ({}, {"csrf": "forged"}):
        r = s.post(f"{console.url}{path}", data=data, allow_redirects=False)
        assert r.status_code == 403, (path, r.status_code)


def test_wrong_password_and_login_without_csrf_are_refused(console):
    s = requests.Session()
    form = s.get(f"{console.url}/admin/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    bad = s.post(f"{console.url}/admin/login", data={"csrf": csrf, "username": "lan.team", "password": "sai"})
    assert bad.status_code == 401 and "Sai tên đăng nhập" in bad.text
    no_csrf = requests.post(
        f"{console.url}/admin/login", data={"username": "lan.team", "password": "mat-khau-lan.team"}
    )
    assert no_csrf.status_code == 403


def test_roles_editor_cannot_do_admin_things(console):
    editor = login(console, "minh.editor")
    assert editor.get(f"{console.url}/admin/").status_code == 200
    assert editor.get(f"{console.url}/admin/users").status_code == 403
    admin = login(console, "hoa.admin")
    page = admin.get(f"{console.url}/admin/users")
    assert page.status_code == 200 and "minh.editor" in page.text


def test_overview_shows_stored_questions_masked(console):
    page = login(console, "lan.team").get(f"{console.url}/admin/")
    assert "câu hỏi chưa trả lời được" in page.text
    assert "001203004567" not in page.text and "********67" in page.text


def test_forms_without_a_valid_csrf_token_are_refused_and_logout_ends_the_session(console):
    s = login(console, "lan.team")
    assert s.post(f"{console.url}/admin/logout", data={}).status_code == 403
    assert s.post(f"{console.url}/admin/logout", data={"csrf": "forged"}).status_code == 403
    csrf = re.search(r'name="csrf" value="([^"]+)"', s.get(f"{console.url}/admin/").text).group(1)
    assert s.post(f"{console.url}/admin/logout", data={"csrf": csrf}, allow_redirects=False).status_code == 303
    assert s.get(f"{console.url}/admin/", allow_redirects=False).status_code == 303


def test_sessions_expire(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    accounts = Accounts(store, session_hours=8)
    accounts.add_user("lan.team", "team", "mat-khau-dai-1")
    token = accounts.login("lan.team", "mat-khau-dai-1")
    assert accounts.session(token).username == "lan.team"
    accounts.expire_all("lan.team")
    assert accounts.session(token) is None


def test_login_in_chromium(console):
    shots = ROOT / "var" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    with chromium() as browser:
        page = browser.new_page()
        page.goto(f"{console.url}/admin/")
        assert page.url.endswith("/admin/login")
        page.get_by_label("Tên đăng nhập").fill("lan.team")
        page.get_by_label("Mật khẩu").fill("mat-khau-lan.team")
        page.get_by_role("button", name="Đăng nhập").click()
        page.get_by_text("người dân đang chờ gặp cán bộ").wait_for()
        page.screenshot(path=str(shots / "console-overview.png"), full_page=True)
        page.get_by_role("button", name="Đăng xuất").click()
        page.get_by_role("button", name="Đăng nhập").wait_for()
