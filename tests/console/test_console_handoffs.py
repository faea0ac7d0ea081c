"""The hand-offs page ("Gặp cán bộ") through the real gateway process, with a fake Telegram and a fake Rasa on
127.0.0.1: a resident's conversation is taken by a team member (the resident is told, the bot goes silent and
holds the resident's messages), answered from the console through Telegram, given back to the bot (which
answers again), or given back automatically after the idle time; a second team member cannot take it; forms
need the CSRF token; anonymous users go to the login; residents' numbers stay masked; one run in Chromium."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
import requests

from bot.console.handoffs import RELEASED_TEXT
from bot.store import Store
from bot.team.accounts import Accounts
from tests.conftest import chromium
from tests.connectors.test_gateway import TG_SECRET, GatewayProcess, post_tg, tg_sent, wait_for
from tests.fake_rasa import FakeRasa
from tests.fakes import FakeTelegram, free_port
from tests.web import csrf_of as page_csrf
from tests.web import login

ROOT = Path(__file__).resolve().parents[2]
TAKEN = "Dạ, cán bộ Tổ công nghệ số cộng đồng đã nhận hỗ trợ anh/chị"
RELEASED = "Dạ, cuộc trò chuyện với cán bộ đã kết thúc, trợ lý số tiếp tục hỗ trợ anh/chị"
USERS = (("lan.team", "team"), ("tuan.team", "team"), ("hoa.admin", "admin"))


@pytest.fixture(scope="module")
def fakes():
    tg = FakeTelegram(token="42:TEST").start()
    rasa = FakeRasa().up()
    yield {"tg": tg, "rasa": rasa}
    tg.stop()
    rasa.down()


def start_gateway(fakes, data: Path, release_minutes: str) -> tuple[GatewayProcess, Store]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZALO_", "TELEGRAM_"))}
    env.update(
        {
            "TROLYSO_DATA_DIR": str(data),
            "TROLYSO_GATEWAY_PORT": str(free_port()),
            "TROLYSO_RASA_URL": fakes["rasa"].url,
            "TROLYSO_RETRY_BASE": "0.1",
            "TROLYSO_RETRY_MAX": "0.5",
            "TROLYSO_HANDOFF_RELEASE_MINUTES": release_minutes,
            "TELEGRAM_BOT_TOKEN": "42:TEST",
            "TELEGRAM_SECRET_TOKEN": TG_SECRET,
            "TELEGRAM_API_BASE": fakes["tg"].url,
        }
    )
    env.pop("TROLYSO_DATABASE_URL", None)
    store = Store(f"sqlite:///{data / 'trolyso.db'}")
    accounts = Accounts(store, 8)
    for name, role in USERS:
        accounts.add_user(name, role, f"mat-khau-{name}")
    return GatewayProcess(env, data).start(), store


@pytest.fixture(scope="module")
def gw(fakes, tmp_path_factory):
    g, store = start_gateway(fakes, tmp_path_factory.mktemp("handoffs"), "30")
    g.store = store
    yield g
    g.stop()


def csrf_of(s: requests.Session, g) -> str:
    return page_csrf(s, f"{g.url}/admin/handoffs")


def post(s: requests.Session, g, path: str, **data) -> requests.Response:
    return s.post(f"{g.url}/admin/handoffs/{path}", data={"csrf": csrf_of(s, g), **data}, allow_redirects=False)


def texts(fakes, chat_id: int) -> list[str]:
    return [m["text"] for m in tg_sent({"tg": fakes["tg"]}, chat_id)]


def resident_writes(g, fakes, chat_id: int, text: str):
    assert post_tg(g, fakes["tg"].make_message_update(chat_id, text)).status_code == 200


def inbox_statuses(g, conversation: str) -> list[str]:
    with g.db() as db:
        return [
            r[0] for r in db.execute("select status from inbox where conversation_id=? order by id", (conversation,))
        ]


def test_anonymous_users_go_to_the_login_on_every_route(gw):
    for method, path in (
        ("GET", "/admin/handoffs"),
        ("GET", "/admin/handoffs/1"),
        ("POST", "/admin/handoffs/1/take"),
        ("POST", "/admin/handoffs/1/reply"),
        ("POST", "/admin/handoffs/1/release"),
    ):
        r = requests.request(method, f"{gw.url}{path}", data={"text": "x"}, allow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/admin/login", (method, path)


def test_forms_without_the_csrf_token_are_refused_and_change_nothing(gw):
    hid, _ = gw.store.request_handoff("telegram:690", channel="telegram", context="hỏi giờ làm việc")
    s = login(gw, "lan.team")
    for action in ("take", "reply", "release"):
        for data in ({}, {"csrf": "forged"}):
            r = s.post(f"{gw.url}/admin/handoffs/{hid}/{action}", data={"text": "x", **data}, allow_redirects=False)
            assert r.status_code == 403, (action, data)
    assert gw.store.handoff(hid)["status"] == "waiting"
    assert gw.store.release_handoff(hid)


def test_unknown_hand_off_is_404(gw):
    s = login(gw, "lan.team")
    assert s.get(f"{gw.url}/admin/handoffs/987654").status_code == 404
    for action in ("take", "reply", "release"):
        r = post(s, gw, f"987654/{action}", text="Dạ")
        assert r.status_code == 404 and "Không tìm thấy" in r.text


def test_take_reply_release_through_telegram_with_the_bot_silent_meanwhile(gw, fakes):
    chat, conv = 700, "telegram:700"
    rasa = fakes["rasa"]
    resident_writes(gw, fakes, chat, "chào")
    assert wait_for(lambda: texts(fakes, chat), what="bot reply") == ["Đáp: chào"]
    resident_writes(gw, fakes, chat, "số CCCD 001203004567, điện thoại 0912345678, tôi muốn gặp cán bộ")
    wait_for(lambda: len(texts(fakes, chat)) == 2, what="second bot reply")
    hid, created = gw.store.request_handoff(conv, channel="telegram", context="hỏi cấp lại CCCD, để lại số 0912345678")
    assert created

    lan, tuan = login(gw, "lan.team"), login(gw, "tuan.team")
    board = lan.get(f"{gw.url}/admin/handoffs").text
    waiting = board.split("Đang chờ (")[1].split("Đang được hỗ trợ")[0]
    assert f"/admin/handoffs/{hid}" in waiting and "Telegram" in waiting and "hỏi cấp lại CCCD" in waiting
    assert "0912345678" not in board and "********78" in board

    page = lan.get(f"{gw.url}/admin/handoffs/{hid}").text
    assert "Nhận hỗ trợ" in page and "Đáp: chào" in page
    assert "001203004567" not in page and "0912345678" not in page and "**********67" in page

    # lan takes it: the resident is told on Telegram
    r = post(lan, gw, f"{hid}/take")
    assert r.status_code == 303 and r.headers["location"] == f"/admin/handoffs/{hid}?done=taken"
    wait_for(lambda: any(t.startswith(TAKEN) for t in texts(fakes, chat)), what="the 'taken' message")
    assert gw.store.handoff(hid)["taken_by"] == "lan.team"

    # a second team member can neither take it nor answer in it
    r = post(tuan, gw, f"{hid}/take")
    assert r.status_code == 409 and "Cán bộ lan.team đã nhận hỗ trợ người dân này rồi" in r.text
    r = post(tuan, gw, f"{hid}/reply", text="Tôi trả lời thay")
    assert r.status_code == 409 and "Tôi trả lời thay" in r.text
    r = post(tuan, gw, f"{hid}/release")
    assert r.status_code == 409 and gw.store.handoff(hid)["status"] == "taken"
    page = tuan.get(f"{gw.url}/admin/handoffs/{hid}").text
    assert "Cán bộ lan.team đang hỗ trợ" in page and "/reply" not in page

    # while taken, the resident's messages are held: no Rasa call, no bot reply
    asked = len(rasa.messages_from(conv))
    sent_before = len(texts(fakes, chat))
    resident_writes(gw, fakes, chat, "cán bộ ơi, CCCD của tôi là 001203004567")
    wait_for(lambda: inbox_statuses(gw, conv)[-1] == "held", what="the message held for the team")
    time.sleep(0.3)
    assert len(rasa.messages_from(conv)) == asked and len(texts(fakes, chat)) == sent_before

    # the conversation shows it (masked), and who has it
    page = lan.get(f"{gw.url}/admin/handoffs/{hid}").text
    assert "Anh/chị đang hỗ trợ người dân này" in page and "Nhắn khi cán bộ đang hỗ trợ" in page
    assert "001203004567" not in page and 'name="text"' in page

    # replies: empty and too long are refused (the text comes back), a good one goes out through Telegram
    r = post(lan, gw, f"{hid}/reply", text="   ")
    assert r.status_code == 400 and "chưa nhập nội dung" in r.text
    long = "Dạ " + "x" * 2000
    r = post(lan, gw, f"{hid}/reply", text=long)
    assert r.status_code == 400 and "tối đa 2000" in r.text and long in r.text
    before = gw.store.handoff(hid)["updated_at"]
    answer = "Dạ, anh/chị mang CCCD cũ và tờ khai đến bộ phận một cửa, sáng thứ Hai đến thứ Sáu ạ."
    r = post(lan, gw, f"{hid}/reply", text=answer)
    assert r.status_code == 303 and "done=sent" in r.headers["location"]
    wait_for(lambda: answer in texts(fakes, chat), what="the team's reply on Telegram")
    assert gw.store.handoff(hid)["updated_at"] > before  # the auto-release clock starts again
    assert answer in lan.get(f"{gw.url}/admin/handoffs/{hid}").text
    assert len(rasa.messages_from(conv)) == asked

    # given back: the resident is told, and the bot answers again
    r = post(lan, gw, f"{hid}/release")
    assert r.status_code == 303 and "done=released" in r.headers["location"]
    wait_for(lambda: any(t.startswith(RELEASED) for t in texts(fakes, chat)), what="the 'released' message")
    assert gw.store.handoff(hid)["status"] == "released"
    resident_writes(gw, fakes, chat, "cảm ơn")
    wait_for(lambda: "Đáp: cảm ơn" in texts(fakes, chat), what="the bot answering again")
    board = lan.get(f"{gw.url}/admin/handoffs").text
    assert f"/admin/handoffs/{hid}" in board.split("Đã trả lại cho trợ lý gần đây")[1]
    # the whole Telegram conversation, in order, each message once
    sent = texts(fakes, chat)
    second = "Đáp: số CCCD 001203004567, điện thoại 0912345678, tôi muốn gặp cán bộ"
    assert len(sent) == 6 and sent[:2] == ["Đáp: chào", second]
    assert sent[2].startswith(TAKEN) and sent[3] == answer and sent[4].startswith(RELEASED) and sent[5] == "Đáp: cảm ơn"


def test_a_channel_that_cannot_be_reached_keeps_the_typed_reply(gw):
    hid, _ = gw.store.request_handoff("zalo-oa:u-away", channel="zalo-oa", context="hỏi đăng ký khai sinh")
    s = login(gw, "lan.team")
    r = post(s, gw, f"{hid}/take")
    assert r.headers["location"] == f"/admin/handoffs/{hid}?done=taken_quiet"
    page = s.get(f"{gw.url}/admin/handoffs/{hid}").text
    assert "Không nhắn được cho người dân" in page and "chưa được cấu hình" in page and "disabled" in page
    r = post(s, gw, f"{hid}/reply", text="Dạ, anh/chị mang giấy chứng sinh ạ.")
    assert r.status_code == 409 and "Chưa gửi được" in r.text and "Dạ, anh/chị mang giấy chứng sinh ạ." in r.text
    assert post(s, gw, f"{hid}/release").headers["location"].endswith("done=released_quiet")


def test_a_taken_conversation_returns_to_the_bot_by_itself(fakes, tmp_path):
    g, store = start_gateway(fakes, tmp_path, "0.02")  # 1.2 s without a team message
    try:
        chat, conv = 710, "telegram:710"
        hid, _ = store.request_handoff(conv, channel="telegram", context="hỏi lịch tiêm chủng")
        s = login(g, "lan.team")
        assert post(s, g, f"{hid}/take").status_code == 303
        wait_for(lambda: any(t.startswith(TAKEN) for t in texts(fakes, chat)), what="the 'taken' message")
        wait_for(lambda: store.handoff(hid)["status"] == "released", 10, "the automatic release")
        wait_for(
            lambda: any(t.startswith(RELEASED_TEXT[:40]) for t in texts(fakes, chat)),
            10,
            "the resident told the assistant is back",
        )
        resident_writes(g, fakes, chat, "còn ai không")
        wait_for(lambda: "Đáp: còn ai không" in texts(fakes, chat), what="the bot answering again")
        page = s.get(f"{g.url}/admin/handoffs/{hid}").text
        assert "Đã trả lại cho trợ lý" in page and "Nhận hỗ trợ" not in page
    finally:
        g.stop()


def test_hand_off_in_chromium(gw, fakes):
    chat, conv = 720, "telegram:720"
    resident_writes(gw, fakes, chat, "tôi cần gặp cán bộ, số tôi 0987654321")
    wait_for(lambda: texts(fakes, chat), what="bot reply")
    hid, _ = gw.store.request_handoff(conv, channel="telegram", context="hỏi thủ tục chứng thực bản sao")
    shots = ROOT / "var" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    answer = "Dạ, anh/chị mang bản chính và bản sao đến bộ phận một cửa ạ."
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 412, "height": 915})  # a phone
        page.goto(f"{gw.url}/admin/login")
        page.get_by_label("Tên đăng nhập").fill("lan.team")
        page.get_by_label("Mật khẩu").fill("mat-khau-lan.team")
        page.get_by_role("button", name="Đăng nhập").click()
        page.wait_for_url(f"{gw.url}/admin/")
        page.goto(f"{gw.url}/admin/handoffs")
        page.get_by_text("hỏi thủ tục chứng thực bản sao").wait_for()
        page.screenshot(path=str(shots / "console-handoffs.png"), full_page=True)
        page.get_by_text("hỏi thủ tục chứng thực bản sao").click()
        page.wait_for_url(f"{gw.url}/admin/handoffs/{hid}")
        assert "0987654321" not in page.content()
        page.get_by_role("button", name="Nhận hỗ trợ").click()
        page.get_by_text("Anh/chị đã nhận hỗ trợ người dân này").wait_for()
        page.get_by_label("Nội dung").fill(answer)
        page.get_by_role("button", name="Gửi").click()
        page.get_by_text("Đã gửi câu trả lời").wait_for()
        page.locator("li.msg.team", has_text=answer).wait_for()
        page.screenshot(path=str(shots / "console-handoff.png"), full_page=True)
        page.get_by_role("button", name="Trả lại cho trợ lý").click()
        page.get_by_text("Đã trả lại cho trợ lý;").wait_for()
    wait_for(lambda: answer in texts(fakes, chat), what="the reply on Telegram")
    wait_for(lambda: any(t.startswith(RELEASED) for t in texts(fakes, chat)), what="the 'released' message")
    assert gw.store.handoff(hid)["status"] == "released"


def test_a_console_without_the_gateway_says_replies_cannot_be_sent(tmp_path):
    """The console can run on its own (no desk): hand-offs can still be taken and given back."""
    from starlette.applications import Starlette
    from starlette.routing import Mount
    from starlette.testclient import TestClient

    from bot.config import Settings
    from bot.console import create_console

    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    Accounts(store, 8).add_user("lan.team", "team", "mat-khau-lan.team")
    hid, _ = store.request_handoff("telegram:730", channel="telegram", context="hỏi giờ làm việc")
    app = Starlette(routes=[Mount("/admin", app=create_console(store, Settings.from_env(), desk=None))])
    with TestClient(app) as client:
        form = client.get("/admin/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
        client.post("/admin/login", data={"csrf": csrf, "username": "lan.team", "password": "mat-khau-lan.team"})
        csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/admin/handoffs").text).group(1)
        r = client.post(f"/admin/handoffs/{hid}/take", data={"csrf": csrf}, follow_redirects=False)
        assert r.headers["location"] == f"/admin/handoffs/{hid}?done=taken_quiet"
        page = client.get(f"/admin/handoffs/{hid}").text
        assert "không gửi được tin nhắn" in page and "disabled" in page
        r = client.post(f"/admin/handoffs/{hid}/reply", data={"csrf": csrf, "text": "Dạ, cán bộ xã đây ạ."})
        assert r.status_code == 503 and "không gửi được tin nhắn" in r.text and "Dạ, cán bộ xã đây ạ." in r.text
        client.post(f"/admin/handoffs/{hid}/release", data={"csrf": csrf})
    assert store.handoff(hid)["status"] == "released"


def test_the_gateway_logged_no_error(gw):
    log = (gw.data / "gateway.log").read_text(encoding="utf-8")
    assert "Traceback" not in log and '"level": "ERROR"' not in log
