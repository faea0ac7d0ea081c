"""The console in-process (Starlette's TestClient, no gateway process, no model): built from a temporary SQLite
store, the settings and a fake desk, mounted at /admin as the gateway mounts it. Every page renders for the
roles that may see it, with residents' numbers masked; roles are enforced; anonymous users are sent to the
login on every route; every form refuses a missing or forged CSRF token (and changes nothing); the reports
CSV downloads; a team member's reply goes through the desk. The Chromium and real-process checks stay in
test_console*.py."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from bot.config import Settings
from bot.console import create_console
from bot.features import Features
from bot.store import Store
from bot.team.accounts import Accounts
from bot.team.desk import Desk, DeskError, Reach
from bot.team.groups import QuestionGroups
from bot.team.news import Newsroom

ROOT = Path(__file__).resolve().parents[2]
GUIDE = "guides/dvc-nop-ho-so.md"
USERS = {"lan.team": "team", "minh.editor": "editor", "hoa.admin": "admin"}


class FakeDesk(Desk):
    """The gateway's side of the console, recorded: every conversation is reachable, sends are kept."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    def history(self, conversation_id: str, limit: int = 200) -> list[dict]:
        from bot.clock import utcnow

        return [{"at": utcnow(), "who": "resident", "text": "số tôi 0912345678, cần gặp cán bộ", "status": "done"}]

    def reach(self, conversation_id: str) -> Reach:
        return Reach(True)

    def reachable(self, conversation_ids: list[str]) -> list[str]:
        return list(conversation_ids)

    def send(self, conversation_id: str, text: str, origin: str) -> list[int]:
        if not text:
            raise DeskError("empty")
        self.sent.append((conversation_id, text, origin))
        return [len(self.sent)]

    def news_channel(self) -> str:
        return "@kenh_xa"

    def post_to_news_channel(self, text: str) -> list[int]:
        self.sent.append(("@kenh_xa", text, "news"))
        return [len(self.sent)]

    def wake(self) -> None:
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    data = tmp_path_factory.mktemp("console-inprocess")
    knowledge = data / "knowledge"
    (knowledge / "guides").mkdir(parents=True)
    shutil.copy(ROOT / "knowledge" / GUIDE, knowledge / GUIDE)
    store = Store(f"sqlite:///{data / 'trolyso.db'}")
    settings = dataclasses.replace(
        Settings.from_env(),
        data_dir=data,
        knowledge_dir=knowledge,
        index_dir=data / "index",
        database_url=f"sqlite:///{data / 'trolyso.db'}",
        cookie_secure=False,  # the test client speaks plain HTTP, whatever the developer's environment says
        session_hours=8.0,
    )
    accounts = Accounts(store, 8)
    for name, role in USERS.items():
        accounts.add_user(name, role, f"mat-khau-{name}")

    # what the pages show: an unanswered question group, a "Chưa đúng" feedback, a waiting hand-off, a draft
    groups = QuestionGroups(store)
    vector = np.zeros(384, "float32")
    vector[0] = 1
    for text, who in (("Mật khẩu wifi ở UBND xã là gì?", "web:ba-lan"), ("wifi xã, sđt 0912345678", "zalo-oa:99")):
        qid = store.record_question(
            text, channel=who.split(":")[0], user_id=who, answered=False, reason="no_match", score=0.0
        )
        group_id = groups.assign(qid, Features(vector, {"wifi": 1.0}), conversation_id=who)
    answered = store.record_question(
        "VNeID mức 2 làm ở đâu?", channel="web", user_id="web:x", answered=True, reason="", score=0.9
    )
    store.record_feedback(answered, False, "Dạ, anh/chị đến công an xã (CCCD 001203004567).")
    handoff_id, _ = store.request_handoff("telegram:501", channel="telegram", context="cần gặp cán bộ")
    news_id = Newsroom(store).create(
        "Lớp học kỹ năng số", "Tối thứ Bảy tại nhà văn hoá thôn.", "activity", "minh.editor"
    )

    desk = FakeDesk()
    app = Starlette(routes=[Mount("/admin", app=create_console(store, settings, desk))])
    return {
        "app": app,
        "store": store,
        "desk": desk,
        "ids": {"group": group_id, "handoff": handoff_id, "news": news_id},
        "data": data,
    }


def login(site, username: str) -> TestClient:
    client = TestClient(site["app"])
    form = client.get("/admin/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    r = client.post(
        "/admin/login",
        data={"csrf": csrf, "username": username, "password": f"mat-khau-{username}"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/admin/", r.text
    return client


def csrf_of(client: TestClient) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/admin/").text).group(1)


def routes(site) -> list[tuple[str, str]]:
    """Every (method, path) of the console, read from the application (a new page cannot be forgotten), with
    the ids of the seeded rows."""
    ids = site["ids"]
    fill = {"group_id": ids["group"], "handoff_id": ids["handoff"], "news_id": ids["news"], "path": GUIDE}
    console = site["app"].routes[0].app
    found = []
    for route in console.routes:
        path = re.sub(r"\{(\w+)(:\w+)?\}", lambda m: str(fill[m.group(1)]), route.path)
        for method in sorted(route.methods - {"HEAD"}):
            if path != "/login":
                found.append((method, "/admin" + path))
    return found


# --- every page renders ----------------------------------------------------------------------------------------

TEAM_PAGES = {
    "/admin/": "Tổng quan",
    "/admin/questions": "Câu hỏi chưa trả lời",
    "/admin/questions/{group}": "wifi",
    "/admin/faq/new": "Viết câu hỏi thường gặp",
    "/admin/feedback": "Góp ý của người dân",
    "/admin/handoffs": "Gặp cán bộ",
    "/admin/handoffs/{handoff}": "Người dân nhắn qua",
    "/admin/knowledge": "Kho kiến thức",
    f"/admin/knowledge/{GUIDE}": GUIDE,
    "/admin/reports": "Báo cáo",
    "/admin/reports/print": "Báo cáo kết quả hoạt động",
}
EDITOR_PAGES = {"/admin/news": "Tin tức gửi người dân", "/admin/news/{news}": "Lớp học kỹ năng số"}


def test_every_page_renders_for_the_team_with_numbers_masked(site):
    client = login(site, "lan.team")
    for path, heading in TEAM_PAGES.items():
        r = client.get(path.format(**site["ids"]))
        assert r.status_code == 200, (path, r.status_code, r.text[:500])
        assert heading in r.text, path
        assert "0912345678" not in r.text and "001203004567" not in r.text, path
        assert 'href="/admin/news"' not in r.text and 'href="/admin/users"' not in r.text, path  # not in the menu
    assert "********78" in client.get(f"/admin/handoffs/{site['ids']['handoff']}").text
    assert "**********67" in client.get("/admin/feedback").text


def test_news_pages_render_for_an_editor_and_accounts_for_an_admin(site):
    editor = login(site, "minh.editor")
    for path, heading in EDITOR_PAGES.items():
        r = editor.get(path.format(**site["ids"]))
        assert r.status_code == 200 and heading in r.text, path
    admin = login(site, "hoa.admin")
    page = admin.get("/admin/users")
    assert page.status_code == 200 and all(name in page.text for name in USERS)


# --- roles, anonymous users, CSRF --------------------------------------------------------------------------------


def test_the_team_cannot_open_editor_or_admin_pages(site):
    team = login(site, "lan.team")
    for path in ("/admin/news", f"/admin/news/{site['ids']['news']}", "/admin/users"):
        r = team.get(path, follow_redirects=False)
        assert r.status_code == 403 and "không có quyền" in r.text, path
    csrf = csrf_of(team)
    files = {"file": ("moi.md", b"---\ntitle: x\n---\nx\n", "text/markdown")}
    upload = team.post("/admin/knowledge/upload", data={"csrf": csrf, "folder": "guides"}, files=files)
    assert upload.status_code == 403
    news = team.post("/admin/news", data={"csrf": csrf, "title": "Tin giả", "body": "x", "kind": "activity"})
    assert news.status_code == 403
    assert [n["title"] for n in Newsroom(site["store"]).listing("draft")] == ["Lớp học kỹ năng số"]
    assert login(site, "minh.editor").get("/admin/users").status_code == 403


def test_anonymous_users_are_sent_to_the_login_on_every_route(site):
    anonymous = TestClient(site["app"])
    found = routes(site)
    assert {"/admin/", "/admin/news", "/admin/users", "/admin/reports.csv", "/admin/logout"} <= {p for _, p in found}
    for method, path in found:
        r = anonymous.request(method, path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/admin/login", (method, path, r.status_code)


def test_every_form_refuses_a_missing_or_forged_csrf_token_and_changes_nothing(site):
    admin = login(site, "hoa.admin")
    before = {
        "handoff": site["store"].handoff(site["ids"]["handoff"])["status"],
        "news": [(n["id"], n["status"]) for n in Newsroom(site["store"]).listing(("draft", "sending", "sent"))],
        "group": QuestionGroups(site["store"]).group(site["ids"]["group"]).status,
        "sent": list(site["desk"].sent),
    }
    posts = [path for method, path in routes(site) if method == "POST"]
    assert len(posts) >= 12
    for path in posts:
        for data in ({}, {"csrf": "forged", "text": "x", "title": "x", "body": "x", "answer": "x"}):
            r = admin.post(path, data=data, follow_redirects=False)
            assert r.status_code == 403 and "Phiên làm việc không hợp lệ" in r.text, (path, data, r.status_code)
    assert admin.get("/admin/", follow_redirects=False).status_code == 200  # logout without a token did nothing
    after = {
        "handoff": site["store"].handoff(site["ids"]["handoff"])["status"],
        "news": [(n["id"], n["status"]) for n in Newsroom(site["store"]).listing(("draft", "sending", "sent"))],
        "group": QuestionGroups(site["store"]).group(site["ids"]["group"]).status,
        "sent": list(site["desk"].sent),
    }
    assert after == before


def test_login_needs_its_csrf_cookie_and_the_right_password(site):
    client = TestClient(site["app"])
    no_csrf = client.post("/admin/login", data={"username": "lan.team", "password": "mat-khau-lan.team"})
    assert no_csrf.status_code == 403
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/admin/login").text).group(1)
    wrong = client.post("/admin/login", data={"csrf": csrf, "username": "lan.team", "password": "sai-mat-khau"})
    assert wrong.status_code == 401 and "Sai tên đăng nhập" in wrong.text
    assert client.get("/admin/", follow_redirects=False).status_code == 303


def test_with_the_token_a_team_member_takes_a_hand_off_and_replies_through_the_desk_then_logs_out(site):
    team = login(site, "lan.team")
    handoff = site["ids"]["handoff"]
    csrf = csrf_of(team)
    assert team.post(f"/admin/handoffs/{handoff}/take", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    assert site["store"].handoff(handoff)["taken_by"] == "lan.team"
    r = team.post(
        f"/admin/handoffs/{handoff}/reply", data={"csrf": csrf, "text": "Chào anh/chị."}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == f"/admin/handoffs/{handoff}?done=sent#reply"
    assert ("telegram:501", "Chào anh/chị.", "team") in site["desk"].sent
    assert team.post("/admin/logout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    assert team.get("/admin/", follow_redirects=False).status_code == 303


def test_a_held_voice_note_or_picture_shows_its_kind_and_a_safe_link_to_the_platforms_file(site, monkeypatch):
    from bot.clock import utcnow

    def history(conversation_id: str, limit: int = 200) -> list[dict]:
        at = utcnow()
        return [
            {
                "at": at,
                "who": "resident",
                "text": "",
                "status": "held",
                "kind": "image",
                "media_url": "https://f.zdn.vn/a.jpg",
            },
            {"at": at, "who": "resident", "text": "", "status": "held", "kind": "voice", "media_url": ""},
            {
                "at": at,
                "who": "resident",
                "text": "",
                "status": "held",
                "kind": "file",
                "media_url": "javascript:alert(1)",
            },
            {"at": at, "who": "resident", "text": "chào cán bộ", "status": "held", "kind": "text", "media_url": ""},
        ]

    monkeypatch.setattr(site["desk"], "history", history)
    page = login(site, "lan.team").get(f"/admin/handoffs/{site['ids']['handoff']}").text
    assert "[Hình ảnh]" in page and "[Tin nhắn thoại]" in page and "[Tệp]" in page and "chào cán bộ" in page
    [link] = re.findall(r"<a [^>]*>Mở tệp người dân gửi</a>", page)
    assert 'href="https://f.zdn.vn/a.jpg"' in link and 'target="_blank"' in link
    assert 'rel="noopener noreferrer"' in link
    assert "javascript:" not in page and page.count("không gửi kèm liên kết") == 2  # the voice note and the file
    assert "[Tin nhắn chữ]" not in page


# --- reports ------------------------------------------------------------------------------------------------------


def test_the_reports_page_counts_voice_notes_pictures_follows_and_unfollows_per_channel(site):
    from sqlalchemy import delete, insert

    from bot.clock import utcnow
    from bot.store.schema import channel_events

    store = site["store"]
    rows = [("zalo-oa", "voice"), ("zalo-oa", "voice"), ("telegram", "image"), ("zalo-oa", "follow")]
    rows.append(("zalo-oa", "unfollow"))
    with store.engine.begin() as conn:
        conn.execute(insert(channel_events), [{"channel": c, "kind": k, "at": utcnow()} for c, k in rows])
    try:
        team = login(site, "lan.team")
        page = team.get("/admin/reports", params={"preset": "this-month"}).text
        assert "Tin không phải chữ và lượt quan tâm" in page
        assert "3 tin nhắn thoại, hình ảnh, tệp…" in page and "1 lượt quan tâm · 1 lượt bỏ quan tâm" in page
        assert re.search(r"<td>Tin nhắn thoại</td><td>Zalo OA</td><td class=\"num\">2</td>", page)
        assert re.search(r"<td>Hình ảnh</td><td>Telegram</td><td class=\"num\">1</td>", page)
        printed = team.get("/admin/reports/print", params={"preset": "this-month"}).text
        assert "3 / 1 / 1" in printed
        csv_text = team.get("/admin/reports.csv", params={"preset": "this-month"}).content.decode("utf-8-sig")
        assert "Tin không phải chữ và lượt quan tâm,Tin nhắn thoại,Số lượng (Zalo OA),2" in csv_text
    finally:
        with store.engine.begin() as conn:
            conn.execute(delete(channel_events))


def test_the_reports_csv_downloads_with_the_period_in_its_name(site):
    team = login(site, "lan.team")
    r = team.get("/admin/reports.csv", params={"preset": "this-month"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert re.fullmatch(
        r'attachment; filename="bao-cao-tro-ly-so-\d{4}-\d\d-\d\d(-den-\d{4}-\d\d-\d\d)?\.csv"',
        r.headers["content-disposition"],
    )
    assert r.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0] == ["Phần", "Mục", "Chỉ số", "Giá trị"]
    values = {(row[0], row[1], row[2]): row[3] for row in rows[1:]}
    assert values[("Tổng quan", "Câu hỏi", "Số lượng")] == "3"
    assert values[("Tổng quan", "Đã trả lời", "Số lượng")] == "1"
    assert "0912345678" not in r.text
    bad = team.get("/admin/reports.csv", params={"from": "2026-13-01", "to": "x"})
    assert bad.status_code == 400


def test_the_knowledge_page_shows_the_last_evaluation_after_a_change(site):
    from bot.engine.eval_report import latest_path, write_report

    client = login(site, "lan.team")
    assert "Chưa có kết quả" in client.get("/admin/knowledge").text
    score = {"right": 170, "total": 177, "in_right": 140, "in_total": 146, "wrong": 3, "wrong_of": 150}
    worse = dict(score, right=169, in_right=139, wrong=4)
    report = {
        "when": "2026-11-29T12:00:00+00:00",
        "changed_files": ["explainers/vneid.md"],
        "questions": 177,
        "variants": [
            {"label": "as typed", "before": score, "after": worse},
            {"label": "no diacritics", "before": score, "after": score},
        ],
        "regressions": [
            {
                "variant": "as typed",
                "q": "Kích hoạt VNeID mức 2 ở đâu?",
                "topic": "VNEID",
                "old_source": "guides/vneid-muc-2.md",
                "new_source": "explainers/vneid.md",
                "files": ["explainers/vneid.md"],
                "answered": True,
                "text": "Dạ, …",
            }
        ],
        "improvements": 2,
    }
    path = latest_path(site["data"])
    write_report(path, report)
    try:
        page = client.get("/admin/knowledge").text
    finally:
        path.unlink()
    assert "Chưa có kết quả" not in page
    assert "Gõ có dấu" in page and "Gõ không dấu" in page
    assert "169/177" in page and "170/177" in page and "4/150" in page
    assert "1 câu trước trả lời đúng, nay sai" in page
    assert "Kích hoạt VNeID mức 2 ở đâu?" in page
    assert "<code>guides/vneid-muc-2.md</code>" in page and "<code>explainers/vneid.md</code>" in page
    assert "2 câu trước sai, nay đúng" in page


# --- Bản tin phát thanh --------------------------------------------------------------------------------------------


def test_an_editor_makes_a_loudspeaker_bulletin_from_news_or_knowledge_and_prints_it(site):
    editor = login(site, "minh.editor")
    news_id = site["ids"]["news"]
    form = editor.get(f"/admin/news/broadcast?news={news_id}")
    assert form.status_code == 200 and "Bản tin phát thanh" in form.text
    assert f'<option value="{news_id}" selected>Lớp học kỹ năng số (nháp)' in form.text
    assert 'href="/admin/news/broadcast"' in editor.get("/admin/news").text
    csrf = csrf_of(editor)
    chosen = {"csrf": csrf, "source": "news", "news": str(news_id), "minutes": "1"}
    page = editor.post("/admin/news/broadcast", data=chosen)
    assert page.status_code == 200, page.text[:500]
    assert "Kính thưa toàn thể nhân dân xã" in page.text and "Tối thứ Bảy tại nhà văn hoá thôn." in page.text
    assert "Xin cảm ơn bà con đã chú ý lắng nghe." in page.text
    assert re.search(r"Thời lượng ước tính: khoảng \d+ giây \(\d+ âm tiết, đọc 140 âm tiết/phút\)", page.text)
    printed = editor.post("/admin/news/broadcast/print", data=chosen)
    assert printed.status_code == 200 and "@page { size: A4" in printed.text
    assert "độ dài 1 phút" in printed.text and "Lớp học kỹ năng số" in printed.text and "window.print()" in printed.text

    section = {"csrf": csrf, "source": "knowledge", "path": GUIDE, "section": "Bước 1", "minutes": "2"}
    page = editor.post("/admin/news/broadcast", data=section)
    assert page.status_code == 200 and "dịch vụ công chấm gốp chấm vê en" in page.text, page.text[:800]
    missing = editor.post("/admin/news/broadcast", data={**section, "section": "không có mục này"})
    assert missing.status_code == 400 and "Không tìm thấy mục này" in missing.text
    outside = editor.post("/admin/news/broadcast", data={**section, "path": "../secret.md"})
    assert outside.status_code == 400

    team = login(site, "lan.team")
    assert team.get("/admin/news/broadcast", follow_redirects=False).status_code == 403
    chosen["csrf"] = csrf_of(team)
    assert team.post("/admin/news/broadcast/print", data=chosen, follow_redirects=False).status_code == 403
