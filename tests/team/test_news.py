"""News ("Tin tức") through the real gateway process, with fake Telegram, Zalo OA, Zalo Bot and Rasa: an
editor writes an announcement, previews it and sends it; subscribers on the web chat, Telegram and Zalo OA
(within Zalo's 7-day window) receive it once with the "hủy nhận tin" footer, the commune's Telegram channel
gets the post, a Zalo subscriber outside the window is skipped with the reason shown, an unsubscribed
resident gets nothing, a double send sends once; roles and CSRF. Then the core (bot/team/news.py) in-process:
concurrent sends, a resumed interrupted send, the channel switched off or not configured.
"""

from __future__ import annotations

import datetime as _dt
import re
import threading

import pytest
import requests

from bot.store import Store
from bot.team.accounts import Accounts
from tests import pg
from tests.connectors.test_gateway import GatewayProcess, gateway_env, wait_for
from tests.web import csrf_of as page_csrf
from tests.web import login

NEWS_CHAT = "@kenh_xa_test"
FOOTER = "Để ngừng nhận tin, anh/chị nhắn: hủy nhận tin"
USERS = (("lan.team", "team"), ("minh.editor", "editor"), ("hoa.admin", "admin"))


# --- the real gateway ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gateway(fakes, tmp_path_factory):
    data = tmp_path_factory.mktemp("news")
    store = Store(f"sqlite:///{data / 'trolyso.db'}")
    accounts = Accounts(store)
    for name, role in USERS:
        accounts.add_user(name, role, f"mat-khau-{name}")
    g = GatewayProcess(gateway_env(fakes, data, TELEGRAM_NEWS_CHAT=NEWS_CHAT), data).start()
    g.store = store
    yield g
    g.stop()


def csrf_of(session: requests.Session, gateway) -> str:
    return page_csrf(session, f"{gateway.url}/admin/news")


def create(gateway, session, title: str, body: str, kind: str = "activity") -> int:
    r = session.post(
        f"{gateway.url}/admin/news",
        data={"csrf": csrf_of(session, gateway), "title": title, "body": body, "kind": kind},
        allow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return int(re.match(r"/admin/news/(\d+)\?done=saved$", r.headers["location"]).group(1))


def send(gateway, session, news_id: int, csrf: str, channel: bool = True) -> requests.Response:
    data = {"csrf": csrf, **({"channel": "1"} if channel else {})}
    return session.post(f"{gateway.url}/admin/news/{news_id}/send", data=data, allow_redirects=False)


def saw_inbox(gateway, conversation_id: str, days_ago: float) -> None:
    """As if the resident last wrote `days_ago` days ago (the gateway stores every inbound message here)."""
    when = (_dt.datetime.now(_dt.UTC) - _dt.timedelta(days=days_ago)).strftime("%Y-%m-%d %H:%M:%S.%f")
    channel, _, recipient = conversation_id.partition(":")
    with gateway.db() as db:
        db.execute(
            "insert into inbox (channel, platform_id, conversation_id, recipient, text, received_at, status, "
            "attempts, next_try_at) values (?, ?, ?, ?, 'đăng ký nhận tin', ?, 'done', 1, ?)",
            (channel, f"p-{conversation_id}-{days_ago}", conversation_id, recipient, when, when),
        )


def news_rows(gateway, conversation_id: str) -> list[str]:
    with gateway.db() as db:
        return [
            r[0]
            for r in db.execute(
                "select text from outbox where conversation_id = ? and origin = 'news' order by id", (conversation_id,)
            )
        ]


def tg_texts(fakes, chat) -> list[str]:
    return [m["text"] for m in fakes["tg"].sent() if str(m["chat_id"]) == str(chat)]


def oa_texts(fakes, user) -> list[str]:
    return [b["message"]["text"] for b in fakes["oa"].sent() if b["recipient"]["user_id"] == user]


def web_texts(gateway, user) -> list[str]:
    from connectors.web_sessions import WebSessions

    token = WebSessions(gateway.store).create(f"web:{user}").token  # as the resident's browser holds it
    r = requests.get(
        f"{gateway.url}/api/chat/messages", params={"after": 0}, headers={"X-Chat-Token": token}, timeout=5
    )
    return [m["text"] for m in r.json()["messages"]]


def test_news_reaches_each_subscriber_once_within_the_platform_rules(gateway, fakes):
    store = gateway.store
    for cid in ("telegram:9001", "web:w-news", "zalo-oa:u-recent", "zalo-oa:u-old", "zalo-oa:u-never", "telegram:9002"):
        store.set_subscription(cid, channel=cid.split(":")[0], active=True)
    store.set_subscription("telegram:9002", channel="telegram", active=False)  # wrote "hủy nhận tin"
    saw_inbox(gateway, "zalo-oa:u-recent", 1)
    saw_inbox(gateway, "zalo-oa:u-old", 10)

    editor = login(gateway, "minh.editor")
    title = "Ra mắt Tổ công nghệ số cộng đồng"
    body = (
        "Sáng Chủ nhật 8 giờ, tại nhà văn hoá thôn, Tổ hướng dẫn cài VNeID mức 2 và thanh toán số.\nMang theo căn cước."
    )
    news_id = create(gateway, editor, title, body)
    page = editor.get(f"{gateway.url}/admin/news/{news_id}?done=saved")
    assert page.status_code == 200 and "Đã lưu bản nháp" in page.text
    assert f"📢 {title}" in page.text and FOOTER in page.text and "Mang theo căn cước." in page.text
    assert NEWS_CHAT in page.text and 'name="channel" value="1" checked' in page.text
    assert "5</b> người dân đang đăng ký" in page.text  # the unsubscribed one is not counted

    csrf = csrf_of(editor, gateway)  # a double click: two sends at once
    answers: list[requests.Response] = []
    tabs = [requests.Session() for _ in range(2)]  # same login, one connection each
    for tab in tabs:
        tab.cookies.update(editor.cookies)
    threads = [threading.Thread(target=lambda t=tab: answers.append(send(gateway, t, news_id, csrf))) for tab in tabs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(a.headers["location"] for a in answers) == [
        f"/admin/news/{news_id}?done=already",
        f"/admin/news/{news_id}?done=sent",
    ]
    assert send(gateway, editor, news_id, csrf).headers["location"] == f"/admin/news/{news_id}?done=already"

    expected = f"📢 {title}\n\n{body}\n\n{FOOTER}"
    assert wait_for(lambda: tg_texts(fakes, 9001), what="the Telegram subscriber's news") == [expected]
    assert wait_for(lambda: oa_texts(fakes, "u-recent"), what="the Zalo OA subscriber's news") == [expected]
    post = wait_for(lambda: tg_texts(fakes, NEWS_CHAT), what="the channel post")
    assert len(post) == 1 and post[0].startswith(f"📢 {title}\n\n{body}") and "hủy nhận tin" not in post[0]
    assert web_texts(gateway, "w-news") == [expected]  # the widget fetches it
    # exactly one queued message per reachable subscriber, none for the others
    assert news_rows(gateway, "telegram:9001") == [expected] and news_rows(gateway, "web:w-news") == [expected]
    assert news_rows(gateway, "zalo-oa:u-recent") == [expected]
    for cid in ("telegram:9002", "zalo-oa:u-old", "zalo-oa:u-never"):
        assert news_rows(gateway, cid) == [], cid
    assert tg_texts(fakes, 9002) == [] and oa_texts(fakes, "u-old") == [] and oa_texts(fakes, "u-never") == []

    def result_page():
        text = editor.get(f"{gateway.url}/admin/news/{news_id}").text
        return text if "Kênh Telegram của xã: đã đăng" in text else None

    result = wait_for(result_page, what="the channel post delivered on the result page")
    assert "Kết quả gửi" in result and "Zalo chỉ cho nhắn trong 7 ngày" in result
    assert "Người dân chưa nhắn qua Zalo lần nào" in result
    row = re.search(r"<td>Zalo OA</td><td>(\d+)</td><td>(\d+)</td>", result)
    assert row.groups() == ("3", "1")  # 3 tried, 1 queued, 2 skipped with why
    assert "Gửi bản tin</button>" not in result and "Sửa bản nháp" not in result
    history = editor.get(f"{gateway.url}/admin/news").text
    assert title in history and "đã đăng" in history
    with gateway.db() as db:
        assert db.execute("select status from news where id = ?", (news_id,)).fetchone() == ("sent",)


def test_after_unsubscribing_the_next_news_skips_the_resident(gateway, fakes):
    store = gateway.store
    store.set_subscription("telegram:9101", channel="telegram", active=True)
    store.set_subscription("telegram:9102", channel="telegram", active=True)
    editor = login(gateway, "minh.editor")
    csrf = csrf_of(editor, gateway)
    first = create(
        gateway,
        editor,
        "Cảnh báo giả danh công an gọi điện",
        "Công an không gọi điện yêu cầu chuyển tiền. Ai nhận cuộc gọi như vậy, anh/chị cúp máy và báo Công an xã.",
        kind="warning",
    )
    assert send(gateway, editor, first, csrf).status_code == 303
    warning = wait_for(lambda: tg_texts(fakes, 9101), what="the first news")
    assert warning[0].startswith("⚠️ CẢNH BÁO LỪA ĐẢO: Cảnh báo giả danh công an") and warning[0].endswith(FOOTER)

    store.set_subscription("telegram:9101", channel="telegram", active=False)  # what "hủy nhận tin" does
    second = create(gateway, editor, "Lịch tiếp dân tuần sau", "UBND xã tiếp dân sáng thứ Năm.")
    assert send(gateway, editor, second, csrf).status_code == 303
    assert (
        len(
            wait_for(
                lambda: (lambda t: t if len(t) == 2 else None)(tg_texts(fakes, 9102)),
                what="both news to the one still subscribed",
            )
        )
        == 2
    )
    assert len(news_rows(gateway, "telegram:9101")) == 1 and len(tg_texts(fakes, 9101)) == 1
    assert "Lịch tiếp dân" not in " ".join(news_rows(gateway, "telegram:9101"))


def test_too_long_or_empty_announcements_are_refused_with_a_clear_message(gateway):
    editor = login(gateway, "minh.editor")
    csrf = csrf_of(editor, gateway)
    body = "Nội dung rất dài. " * 60  # 1,080 characters
    r = editor.post(
        f"{gateway.url}/admin/news",
        data={"csrf": csrf, "title": "Tin dài quá", "body": body, "kind": "activity"},
        allow_redirects=False,
    )
    assert r.status_code == 400
    assert "tối đa 1.000 ký tự" in r.text and "Nội dung dài 1.079 ký tự" in r.text
    assert "Nội dung rất dài." in r.text  # what was typed is kept
    r = editor.post(
        f"{gateway.url}/admin/news",
        data={"csrf": csrf, "title": "T" * 121, "body": "x", "kind": "activity"},
        allow_redirects=False,
    )
    assert r.status_code == 400 and "tối đa 120 ký tự" in r.text
    for data in (
        {"title": "", "body": "x", "kind": "activity"},
        {"title": "x", "body": "  ", "kind": "activity"},
        {"title": "x", "body": "y", "kind": "quảng cáo"},
    ):
        assert editor.post(f"{gateway.url}/admin/news", data={"csrf": csrf, **data}).status_code == 400
    with gateway.db() as db:
        assert db.execute("select count(*) from news where title in ('Tin dài quá', 'x')").fetchone() == (0,)


def test_drafts_can_be_edited_and_deleted_a_sent_one_cannot(gateway):
    editor = login(gateway, "minh.editor")
    csrf = csrf_of(editor, gateway)
    news_id = create(gateway, editor, "Thử", "Bản nháp")
    r = editor.post(
        f"{gateway.url}/admin/news/{news_id}/edit",
        data={"csrf": csrf, "title": "Họp thôn", "body": "Tối nay 19 giờ.", "kind": "activity"},
    )
    assert r.status_code == 200 and "📢 Họp thôn\n\nTối nay 19 giờ." in r.text
    too_long = editor.post(
        f"{gateway.url}/admin/news/{news_id}/edit",
        data={"csrf": csrf, "title": "Họp thôn", "body": "x" * 1001, "kind": "activity"},
    )
    assert too_long.status_code == 400 and "tối đa 1.000 ký tự" in too_long.text
    assert send(gateway, editor, news_id, csrf).status_code == 303
    again = editor.post(
        f"{gateway.url}/admin/news/{news_id}/edit",
        data={"csrf": csrf, "title": "Sửa", "body": "Sửa", "kind": "activity"},
    )
    assert again.status_code == 409 and "không sửa được" in again.text
    assert editor.post(f"{gateway.url}/admin/news/{news_id}/delete", data={"csrf": csrf}).status_code == 409
    other = create(gateway, editor, "Sẽ xoá <b>", "Nháp <script>alert(1)</script>")
    page = editor.get(f"{gateway.url}/admin/news/{other}").text
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page and "Sẽ xoá &lt;b&gt;" in page
    r = editor.post(f"{gateway.url}/admin/news/{other}/delete", data={"csrf": csrf}, allow_redirects=False)
    assert r.status_code == 303 and editor.get(f"{gateway.url}/admin/news/{other}").status_code == 404


def test_only_editors_and_admins_see_news_and_every_form_needs_its_token(gateway):
    editor = login(gateway, "minh.editor")
    news_id = create(gateway, editor, "Quyền", "Chỉ biên tập viên và quản trị")
    paths = [
        ("GET", "/admin/news"),
        ("POST", "/admin/news"),
        ("GET", f"/admin/news/{news_id}"),
        ("POST", f"/admin/news/{news_id}/edit"),
        ("POST", f"/admin/news/{news_id}/delete"),
        ("POST", f"/admin/news/{news_id}/send"),
    ]
    for method, path in paths:
        r = requests.request(method, f"{gateway.url}{path}", allow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/admin/login", path
    team = login(gateway, "lan.team")
    team_csrf = re.search(r'name="csrf" value="([^"]+)"', team.get(f"{gateway.url}/admin/").text).group(1)
    assert "/admin/news" not in team.get(f"{gateway.url}/admin/").text  # not in the team's menu
    for method, path in paths:
        assert team.request(method, f"{gateway.url}{path}", data={"csrf": team_csrf}).status_code == 403, path
    for method, path in paths:
        if method == "POST":
            for data in ({}, {"csrf": "forged"}):
                assert editor.post(f"{gateway.url}{path}", data=data).status_code == 403, path
    admin = login(gateway, "hoa.admin")
    assert admin.get(f"{gateway.url}/admin/news").status_code == 200
    assert admin.get(f"{gateway.url}/admin/news/{news_id}").status_code == 200
    with gateway.db() as db:
        assert db.execute("select status from news where id = ?", (news_id,)).fetchone() == ("draft",)


# --- the core, in-process ---------------------------------------------------------------------------------


class FakeDesk:
    """The console's Desk: web and Telegram reachable, Zalo only for the ones listed as recent."""

    def __init__(self, channel: str | None = NEWS_CHAT, recent: tuple[str, ...] = ()):
        self.channel = channel
        self.recent = set(recent)
        self.sent: list[tuple[str, str, str]] = []
        self.posts: list[str] = []
        self.lock = threading.Lock()

    def reach(self, conversation_id):
        from bot.team.desk import Reach

        if conversation_id.startswith("zalo") and conversation_id not in self.recent:
            return Reach(False, "Zalo chỉ cho nhắn trong 7 ngày kể từ lần cuối người dân nhắn; đã quá thời hạn.")
        return Reach(True)

    def reachable(self, conversation_ids):
        return [c for c in conversation_ids if self.reach(c).ok]

    def send(self, conversation_id, text, origin):  # like the gateway's desk: refuses the unreachable
        from bot.team.desk import DeskError

        reach = self.reach(conversation_id)
        if not reach.ok:
            raise DeskError(reach.reason)
        with self.lock:
            self.sent.append((conversation_id, text, origin))
            return [len(self.sent)]

    def news_channel(self):
        return self.channel or ""

    def post_to_news_channel(self, text):
        from bot.team.desk import DeskError

        if not self.channel:
            raise DeskError("Chưa cấu hình kênh Telegram của xã (biến TELEGRAM_NEWS_CHAT).")
        self.posts.append(text)
        return [1000 + len(self.posts)]

    def wake(self):
        pass

    def history(self, conversation_id, limit=200):
        return []


@pytest.fixture
def room(tmp_path):
    from bot.team.news import Newsroom

    store = Store(f"sqlite:///{tmp_path / 'news.db'}")
    for cid in ("telegram:1", "telegram:2", "web:a", "zalo-oa:near", "zalo-oa:far", "zalo-bot:z"):
        store.set_subscription(cid, channel=cid.split(":")[0], active=True)
    store.set_subscription("telegram:2", channel="telegram", active=False)
    return Newsroom(store)


def send_at_once(room, news_id: int, desk, n: int) -> list:
    """n editors press "Gửi" for the same item at the same moment; what each send returned."""
    outcomes: list = []
    threads = [
        threading.Thread(target=lambda: outcomes.append(room.send(news_id, desk, by="minh.editor", to_channel=True)))
        for _ in range(n)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def test_core_concurrent_sends_send_once_and_count_per_channel(room):
    desk = FakeDesk(recent=("zalo-oa:near",))
    news_id = room.create("Tin", "Nội dung", "activity", "minh.editor")
    outcomes = send_at_once(room, news_id, desk, 4)
    done = [o for o in outcomes if o is not None]
    assert len(done) == 1 and len(outcomes) == 4
    assert sorted(c for c, _, _ in desk.sent) == ["telegram:1", "web:a", "zalo-oa:near"]
    assert all(origin == "news" and text.endswith(FOOTER) for _, text, origin in desk.sent)
    assert len(desk.posts) == 1 and FOOTER not in desk.posts[0]
    channels = done[0].channels
    assert channels["zalo-oa"] == {
        "subscribers": 2,
        "queued": 1,
        "skipped": 1,
        "reasons": {"Zalo chỉ cho nhắn trong 7 ngày kể từ lần cuối người dân nhắn; đã quá thời hạn.": 1},
    }
    assert channels["zalo-bot"]["skipped"] == 1 and channels["telegram"]["queued"] == 1
    assert list(channels) == ["zalo-oa", "zalo-bot", "telegram", "web"]
    item = room.get(news_id)
    assert item["status"] == "sent" and item["queued"] == 3 and item["skipped"] == 2
    assert item["channel_status"] == "queued" and item["sent_by"] == "minh.editor"
    assert room.send(news_id, desk, by="hoa.admin", to_channel=True) is None and len(desk.sent) == 3


def test_core_an_interrupted_send_resumes_without_sending_twice(room):
    from sqlalchemy import update

    from bot.store.schema import news

    desk = FakeDesk(recent=("zalo-oa:near",))
    news_id = room.create("Tin", "Nội dung", "warning", "minh.editor")
    assert room.claim(news_id, "minh.editor", to_channel=True)
    room._post_to_channel(room.get(news_id), desk)
    room._deliver(news_id, "telegram:1", "telegram", room.get(news_id)["text"], desk)  # then the server died
    assert room.send(news_id, desk, by="hoa.admin", to_channel=True) is None  # still "sending": refused
    with room.engine.begin() as conn:  # … for a while
        conn.execute(
            update(news)
            .where(news.c.id == news_id)
            .values(claimed_at=_dt.datetime.now(_dt.UTC) - _dt.timedelta(minutes=10))
        )
    assert room.get(news_id)["stale"]
    outcome = room.send(news_id, desk, by="hoa.admin", to_channel=True)
    assert outcome is not None and outcome.queued == 3
    assert sorted(c for c, _, _ in desk.sent) == ["telegram:1", "web:a", "zalo-oa:near"]  # telegram:1 once
    assert len(desk.posts) == 1 and desk.sent[0][1].startswith("⚠️ CẢNH BÁO LỪA ĐẢO: Tin")


def test_core_channel_off_or_not_configured_is_reported(room):
    off = room.create("Một", "Nội dung", "activity", "minh.editor")
    room.send(off, FakeDesk(), by="minh.editor", to_channel=False)
    assert room.get(off)["channel_status"] == "off"
    missing = room.create("Hai", "Nội dung", "activity", "minh.editor")
    outcome = room.send(missing, FakeDesk(channel=None), by="minh.editor", to_channel=True)
    assert outcome.channel_status == "skipped" and "TELEGRAM_NEWS_CHAT" in outcome.channel_note
    assert outcome.queued == 2  # residents still get it


def test_page_says_when_the_telegram_channel_is_not_configured(tmp_path, monkeypatch):
    from starlette.applications import Starlette
    from starlette.routing import Mount
    from starlette.testclient import TestClient

    from bot.config import Settings
    from bot.console import create_console

    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    store.set_subscription("telegram:1", channel="telegram", active=True)
    Accounts(store).add_user("minh.editor", "editor", "mat-khau-minh.editor")
    desk = FakeDesk(channel=None)
    app = Starlette(routes=[Mount("/admin", app=create_console(store, Settings.from_env(), desk))])
    with TestClient(app, base_url="http://127.0.0.1") as client:
        csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/admin/login").text).group(1)
        client.post("/admin/login", data={"csrf": csrf, "username": "minh.editor", "password": "mat-khau-minh.editor"})
        page = client.get("/admin/news")
        assert "Kênh Telegram của xã chưa được cấu hình" in page.text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        r = client.post(
            "/admin/news",
            data={"csrf": csrf, "title": "Tin", "body": "Nội dung", "kind": "activity"},
            follow_redirects=False,
        )
        news_id = int(r.headers["location"].split("/")[-1].split("?")[0])
        draft = client.get(f"/admin/news/{news_id}").text
        assert "chưa cấu hình (biến TELEGRAM_NEWS_CHAT" in draft and 'name="channel" value="1"' not in draft
        result = client.post(f"/admin/news/{news_id}/send", data={"csrf": csrf})
        assert "Không đăng lên kênh Telegram của xã: Chưa cấu hình kênh Telegram" in result.text
        assert [c for c, _, _ in desk.sent] == ["telegram:1"]


@pytest.mark.skipif(
    not pg.available(), reason="PostgreSQL server binaries are installed by `make test` (make postgres)"
)
def test_core_on_postgresql():
    from bot.team.news import Newsroom

    server = pg.PostgresServer().start()
    try:
        store = Store(server.url)
        for cid in ("telegram:1", "web:a", "zalo-oa:far"):
            store.set_subscription(cid, channel=cid.split(":")[0], active=True)
        room = Newsroom(store)
        desk = FakeDesk()
        news_id = room.create("Tin", "Nội dung", "activity", "minh.editor")
        outcomes = send_at_once(room, news_id, desk, 3)
        assert len([o for o in outcomes if o is not None]) == 1
        assert sorted(c for c, _, _ in desk.sent) == ["telegram:1", "web:a"] and len(desk.posts) == 1
        room._record(news_id, "telegram:1", "telegram", "queued")  # a duplicate is refused, not raised
        assert room.get(news_id)["results"]["zalo-oa"]["skipped"] == 1
        assert room.delivery(news_id) == ({}, None)  # no gateway queue in this database
        store.engine.dispose()
    finally:
        server.stop()
