"""End to end: the real action server and the real Rasa server (trained model), driven over HTTP through
Rasa's REST channel, the way the gateway and `make run` talk to it.

Each flow is walked as a resident would: buttons and typed text (with and without diacritics). Expected texts
are read from the guide files, not written here, and the store is checked for what must be recorded.
The services run on free ports with a temporary data directory and a temporary copy of knowledge/ (so a test
can edit a guide the way content staff do). Needs `.venv-rasa` and models/trolyso.tar.gz: `make test` builds
both and sets TROLYSO_E2E=1; without it the module is skipped.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest

from bot.engine.guides import GuideLibrary
from bot.store import Store
from connectors.rasa_client import RasaClient, RasaUnavailable
from tests.conftest import E2E, free_port, running_stack

ROOT = Path(__file__).resolve().parents[2]

pytestmark = E2E


@pytest.fixture(scope="module")
def stack(tmp_path_factory, settings):
    with running_stack(tmp_path_factory.mktemp("e2e"), settings) as run:
        yield {
            "client": RasaClient(run["config"].rasa_url, timeout=60, token=run["config"].rasa_token),
            "rasa": run["config"].rasa_url,
            "rasa_token": run["config"].rasa_token,
            "knowledge": run["knowledge"],
            "stack": run["stack"],
            "gateway": run["config"].gateway_url,
            "store": run["store"],
            "guides": GuideLibrary(run["knowledge"]),
        }


class Resident:
    """One conversation: sends text or taps buttons of the last reply."""

    def __init__(self, client: RasaClient):
        self.client = client
        self.id = f"test-{uuid.uuid4().hex[:8]}"
        self.replies = []

    def say(self, text: str) -> str:
        self.replies = self.client.send(self.id, text)
        assert self.replies, f"no reply to {text!r}"
        return "\n".join(r.text for r in self.replies)

    def buttons(self) -> list[dict]:
        return [b for r in self.replies for b in r.buttons]

    def tap(self, title: str) -> str:
        payloads = [b["payload"] for b in self.buttons() if b["title"] == title]
        assert payloads, f"no button {title!r} in {[b['title'] for b in self.buttons()]}"
        return self.say(payloads[0])


def test_menu_lists_every_flow_and_the_team(stack):
    r = Resident(stack["client"])
    text = r.say("xin chao")
    assert "Trợ lý số" in text
    titles = [b["title"] for b in r.buttons()]
    for expected in (
        "Dịch vụ công trực tuyến",
        "Thanh toán số",
        "Tài khoản VNeID mức 2",
        "Tôi nghi bị lừa đảo",
        "Gặp cán bộ",
        "Đăng ký nhận tin",
    ):
        assert expected in titles


def test_public_services_flow_steps_back_stuck_question_and_back(stack):
    guides = stack["guides"]
    r = Resident(stack["client"])
    r.say("huong dan lam dich vu cong truc tuyen")
    options = guides.guides("dvc")
    assert [b["title"] for b in r.buttons()] == [g.button for g in options]
    guide = guides.find("dvc", "khai sinh")
    text = r.say("khai sinh")  # typed, no diacritics, instead of tapping
    assert guide.step(1).text in text and f"Bước 1/{len(guide.steps)}" in text
    assert r.tap("Tiếp theo").count(guide.step(2).title) == 1
    assert guide.step(1).title in r.tap("Quay lại")
    stuck = r.tap("Tôi bị vướng ở bước này")
    for item in guide.step(1).stuck:
        assert item in stuck
    assert guide.step(2).title in r.tap("Đã được, tiếp theo")
    answer = r.say("nghi quyet 57 la gi")  # an unrelated question mid-guide
    assert "Tiếp tục hướng dẫn" in [b["title"] for b in r.buttons()]
    assert answer.strip()
    back = r.tap("Tiếp tục hướng dẫn")
    assert guide.step(2).title in back, "coming back shows the step the resident was on"
    assert guide.step(3).title in r.say("tiep theo")


def test_payment_flow_what_how_steps_and_safety_rules(stack):
    guides = stack["guides"]
    r = Resident(stack["client"])
    r.say("/flow_thanhtoan")
    guide = guides.find("thanhtoan", "tien-dien")
    text = r.tap(guide.button)
    if len(guide.methods) > 1:
        assert [b["title"] for b in r.buttons()] == [m[1] for m in guide.methods]
        key, label, note = guide.methods[-1]
        text = r.tap(label)
        assert note in text
    assert guide.step(1).text in text
    for _ in range(len(guide.steps)):
        text = r.tap("Tiếp theo")
    assert f"hết {len(guide.steps)} bước" in text
    for rule in guide.safety:
        assert rule in text
    assert "Nguồn:" in text


def test_question_while_the_form_asks_then_the_form_asks_again(stack):
    r = Resident(stack["client"])
    r.say("/flow_vneid")
    text = r.say("vneid muc 2 dung de lam gi")
    assert "Nguồn:" in text or "chưa tìm thấy" in text
    assert [b["title"] for b in r.replies[-1].buttons] == [g.button for g in stack["guides"].guides("vneid")], (
        "after the answer the form asks for the task again"
    )
    guide = stack["guides"].guides("vneid")[2]
    assert guide.step(1).text in r.say("3")  # a number picks from the list


def test_scam_triage_gives_what_to_do_now(stack):
    guide = stack["guides"].guides("luadao")[0]
    r = Resident(stack["client"])
    question = r.say("toi nghi minh bi lua dao")
    assert guide.triage[0].question in question
    r.say("dạ có rồi")  # money or OTP given: yes
    for _ in guide.triage[1:]:
        text = r.say("ko")
    urgent = sorted(set(guide.triage[0].if_yes))
    for n in urgent:
        assert guide.step(n).text in text
    assert "156" in text or any("156" in guide.step(n).text for n in urgent) or "156" in r.tap("Xem từng bước")


def test_knowledge_answer_feedback_and_unanswered_are_stored(stack):
    store: Store = stack["store"]
    r = Resident(stack["client"])
    text = r.say("Nghị quyết 57 do ai ký")
    assert "Nguồn:" in text
    r.tap("Chưa đúng")
    rows = [f for f in store.feedback_rows(helpful=False) if f["question"] == "Nghị quyết 57 do ai ký"]
    assert rows and rows[0]["sources"] and "Nguồn:" in rows[0]["answer"]
    before = store.count_questions(answered=False)
    text = r.say("giá vàng hôm nay bao nhiêu")
    assert "ghi lại" in text
    assert store.count_questions(answered=False) == before + 1


def test_handoff_and_subscription_are_stored(stack):
    store: Store = stack["store"]
    r = Resident(stack["client"])
    r.say("/flow_dvc")
    r.say("tra cứu hồ sơ")
    r.tap("Tôi bị vướng ở bước này")
    text = r.tap("Vẫn chưa được")
    assert "Tổ công nghệ số cộng đồng" in text
    handoff = store.open_handoff(r.id)
    assert handoff and handoff["status"] == "waiting" and "Tra cứu" in handoff["context"]
    r.say("cho toi gap can bo")  # asking again does not queue twice
    assert len([h for h in store.handoffs() if h["conversation_id"] == r.id]) == 1
    r.say("đăng ký nhận tin")
    assert r.id in [s["conversation_id"] for s in store.subscribers()]
    r.say("huy nhan tin")
    assert r.id not in [s["conversation_id"] for s in store.subscribers()]


def test_a_step_edited_by_content_staff_is_served_without_retraining(stack):
    path = stack["knowledge"] / "guides" / "vneid-kich-hoat.md"
    guide = stack["guides"].get("guides/vneid-kich-hoat.md")
    new = "Anh/chị mở ứng dụng VNeID phiên bản mới nhất (dòng này do cán bộ vừa sửa)."
    path.write_text(path.read_text(encoding="utf-8").replace(guide.step(1).text, new), encoding="utf-8")
    r = Resident(stack["client"])
    r.say("/flow_vneid")
    assert new in r.tap(guide.button)


def test_web_chat_through_the_gateway_reaches_the_real_bot(stack):
    import requests

    chat = requests.Session()  # the conversation is the server's: its token comes back as a cookie
    r = chat.post(f"{stack['gateway']}/api/chat", json={"text": "xin chào"}, timeout=60)
    assert r.status_code == 200
    [message] = r.json()["messages"]
    assert "Trợ lý số" in message["text"]
    assert "Dịch vụ công trực tuyến" in [b["title"] for b in message["buttons"]]
    r = chat.post(f"{stack['gateway']}/api/chat", json={"text": "/flow_vneid"}, timeout=60)
    assert [b["title"] for b in r.json()["messages"][-1]["buttons"]] == [
        g.button for g in stack["guides"].guides("vneid")
    ]


def test_rasa_rest_channel_answers_only_with_the_gateways_token(stack):
    """Someone who reaches Rasa's port directly cannot talk as a resident: without the token `trolyso up` gave the
    gateway, or with a wrong one, the REST channel answers 401 (streaming too); with it, the bot's reply. The health
    check the gateway and `trolyso up` poll stays open."""
    import requests

    webhook = f"{stack['rasa']}/webhooks/rest/webhook"
    body = {"sender": f"direct-{uuid.uuid4().hex[:8]}", "message": "/menu"}
    refused = [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": f"Bearer {stack['rasa_token']}x"},
        {"Authorization": stack["rasa_token"]},  # no scheme
        {"Authorization": f"Basic {stack['rasa_token']}"},
    ]
    for headers in refused:
        for params in ({}, {"stream": "true"}):
            r = requests.post(webhook, json=body, headers=headers, params=params, timeout=60)
            assert r.status_code == 401, (headers, params, r.status_code, r.text[:200])
            assert "Dịch vụ công" not in r.text
    r = requests.post(webhook, json=body, headers={"Authorization": f"Bearer {stack['rasa_token']}"}, timeout=60)
    assert r.status_code == 200
    assert "Dịch vụ công trực tuyến" in [b["title"] for m in r.json() for b in m.get("buttons") or []]
    assert requests.get(f"{stack['rasa']}/webhooks/rest/", timeout=10).json() == {"status": "ok"}


def test_trolyso_up_waits_for_health_serves_and_stops_cleanly_on_ctrl_c(tmp_path, settings):
    import signal
    import subprocess
    import sys
    import time

    shutil.copytree(settings.index_dir, tmp_path / "index")
    rasa_port, actions_port, gateway_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "TROLYSO_DATA_DIR": str(tmp_path),
        "TROLYSO_MODEL_DIR": str(settings.model_dir),
        "TROLYSO_RASA_PORT": str(rasa_port),
        "TROLYSO_ACTIONS_PORT": str(actions_port),
        "TROLYSO_GATEWAY_PORT": str(gateway_port),
        "TROLYSO_RASA_TOKEN": "up-test-token",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "up"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    out = []
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            out.append(line)
            if "Running" in line or proc.poll() is not None:
                break
        printed = "".join(out)
        assert all(f"127.0.0.1:{p}" in printed for p in (rasa_port, actions_port, gateway_port)), printed
        replies = RasaClient(f"http://127.0.0.1:{rasa_port}", token="up-test-token").send("up-test", "/menu")
        assert "Dịch vụ công trực tuyến" in [b["title"] for r in replies for b in r.buttons]
    finally:
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0 and "Stopped." in rest
    with pytest.raises(RasaUnavailable):
        RasaClient(f"http://127.0.0.1:{rasa_port}", timeout=2, token="up-test-token").send("up-test", "/menu")


def test_a_web_resident_erases_their_data_after_confirming(stack):
    """ "xoa du lieu cua toi" through the gateway's web chat, the real Rasa and action server: the bot asks first, a
    typed "có" confirms, and the resident's questions, messages and subscription are gone from the store while the
    other residents' stay; the audit log has counts, no words."""
    import requests
    from sqlalchemy import func, select

    from bot.store.schema import audit_log, inbox, outbox, questions, subscriptions
    from bot.team.erasure import ERASED

    store: Store = stack["store"]
    tag = uuid.uuid4().hex[:8].translate(str.maketrans("0123456789", "ghijklmnop"))  # letters: a word, not a number

    def count(table, where=None) -> int:
        query = select(func.count()).select_from(table)
        with store.engine.connect() as conn:
            return conn.execute(query if where is None else query.where(where)).scalar_one()

    chat = requests.Session()

    def say(text: str) -> list[dict]:
        r = chat.post(f"{stack['gateway']}/api/chat", json={"text": text}, timeout=60)
        assert r.status_code == 200, r.text
        return r.json()["messages"]

    say(f"nghị quyết 57 do ai ký, mã {tag}")
    with store.engine.connect() as conn:
        [conversation] = conn.execute(select(inbox.c.conversation_id).where(inbox.c.text.contains(tag))).scalars()
    say("đăng ký nhận tin")
    others = count(questions, ~questions.c.text.contains(tag))
    assert count(questions, questions.c.text.contains(tag)) == 1
    assert count(subscriptions, subscriptions.c.conversation_id == conversation) == 1
    asked = say("xoa du lieu cua toi")
    assert [b["title"] for b in asked[-1]["buttons"]] == ["Xác nhận xóa", "Không xóa"]
    assert count(inbox, inbox.c.conversation_id == conversation) == 3  # nothing deleted before the answer
    done = say("có")
    assert "em đã xoá dữ liệu của anh/chị" in done[-1]["text"] and "1 câu hỏi" in done[-1]["text"]
    assert count(questions, questions.c.text.contains(tag)) == 0 and count(questions) == others
    assert count(subscriptions, subscriptions.c.conversation_id == conversation) == 0
    # what is left of the conversation: the "có" being answered, the reply confirming it (then still pending) and
    # the newest earlier reply with its text replaced (bot/team/erasure.py: web chat ids never go back)
    assert count(inbox, inbox.c.conversation_id == conversation) == 1
    with store.engine.connect() as conn:
        left = conn.execute(select(outbox.c.text).where(outbox.c.conversation_id == conversation)).scalars().all()
    assert left[0] == ERASED and left[1] == done[-1]["text"] and len(left) == 2
    with store.engine.connect() as conn:
        entry = conn.execute(select(audit_log).order_by(audit_log.c.id.desc()).limit(1)).one()
    assert entry.action == "resident_erased" and entry.username == "resident:web"
    assert tag not in entry.target + entry.detail and "questions 1" in entry.detail
    assert "Trợ lý số" in say("xin chào")[-1]["text"]  # the conversation goes on


def test_action_server_down_is_a_clear_error_not_silence(stack):
    """Runs last against the shared services: with the action server gone, Rasa answers nothing, and the
    client says so (the gateway then keeps the message and retries)."""
    import signal

    actions = next(s for s in stack["stack"].services if s.name == "actions")
    os.killpg(actions.process.pid, signal.SIGKILL)
    actions.process.wait()
    with pytest.raises(RasaUnavailable, match="no reply"):
        Resident(stack["client"]).say("/menu")
