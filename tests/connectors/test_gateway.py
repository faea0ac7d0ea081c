"""The gateway as a real process (`python -m connectors`) against fake Zalo OA, Zalo Bot, Telegram and Rasa
servers on 127.0.0.1 that speak real HTTP and record what they receive.

Checked: signatures and secret tokens (good, bad, missing), duplicates, splitting, buttons and numbered
lists, token refresh (also two managers at once: one refresh), Rasa down then up, platform 5xx then
recovery, undeliverable messages, the gateway restarting mid-queue, hand-off silence, the web chat — with
zero lost and zero duplicated replies.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.metrics import samples
from tests.fake_rasa import FakeRasa
from tests.fakes import FakeZaloOA, free_port

ROOT = Path(__file__).resolve().parents[2]
OA_SECRET = "oa-secret-key"
BOT_SECRET = "zalo-bot-secret"
TG_SECRET = "tg_secret-1"


def wait_for(predicate, timeout: float = 20.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class GatewayProcess:
    def __init__(self, env: dict, data: Path):
        self.env = env
        self.data = data
        self.port = int(env["TROLYSO_GATEWAY_PORT"])
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None

    def start(self) -> GatewayProcess:
        log = open(self.data / "gateway.log", "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "connectors"], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()

        def healthy():
            assert self.proc.poll() is None, (self.data / "gateway.log").read_text()[-3000:]
            try:
                return requests.get(f"{self.url}/healthz", timeout=1).status_code == 200
            except requests.RequestException:
                return False

        wait_for(healthy, 30, "gateway health")
        return self

    def stop(self) -> bool:
        """SIGTERM, as a service manager stops it; True when it shut down cleanly (uvicorn finishes the
        application's shutdown, then exits by the signal it caught)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=40)
        return self.proc.returncode in (0, -signal.SIGTERM) and "Application shutdown complete" in (
            self.data / "gateway.log"
        ).read_text(encoding="utf-8")

    def db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.data / "trolyso.db")

    @functools.cached_property
    def queue_store(self):
        from bot.config import Settings
        from bot.store import Store

        return Store(Settings.from_env(self.env).database_url)

    def inbox_count(self, conversation_id: str | None = None) -> int:
        """Messages the gateway has stored (all, or one conversation's). A webhook is stored before it is
        acknowledged, so a refused one that left this unchanged can never be answered."""
        from sqlalchemy import func, select

        from bot.store.schema import inbox

        query = select(func.count()).select_from(inbox)
        if conversation_id is not None:
            query = query.where(inbox.c.conversation_id == conversation_id)
        with self.queue_store.engine.connect() as conn:
            return conn.execute(query).scalar_one()


def gateway_env(fakes, data: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZALO_", "TELEGRAM_"))}
    env.update(
        {
            "TROLYSO_DATA_DIR": str(data),
            "TROLYSO_GATEWAY_PORT": str(free_port()),
            "TROLYSO_RASA_URL": fakes["rasa"].url,
            "TROLYSO_RETRY_BASE": "0.1",
            "TROLYSO_RETRY_MAX": "0.5",
            "ZALO_OA_APP_ID": "app1",
            "ZALO_OA_SECRET_KEY": OA_SECRET,
            "ZALO_APP_SECRET": "appsecret",
            "ZALO_OA_ACCESS_TOKEN": "at-0",
            "ZALO_OA_REFRESH_TOKEN": "rt-0",
            "ZALO_OA_API_BASE": fakes["oa"].url,
            "ZALO_OAUTH_BASE": fakes["oa"].url,
            "ZALO_BOT_TOKEN": "123:abc",
            "ZALO_BOT_SECRET_TOKEN": BOT_SECRET,
            "ZALO_BOT_API_BASE": fakes["bot"].url,
            "TELEGRAM_BOT_TOKEN": "42:TEST",
            "TELEGRAM_SECRET_TOKEN": TG_SECRET,
            "TELEGRAM_API_BASE": fakes["tg"].url,
        }
    )
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def gateway(fakes, tmp_path_factory):
    data = tmp_path_factory.mktemp("gateway")
    g = GatewayProcess(gateway_env(fakes, data), data).start()
    yield g
    g.stop()


_counter = iter(range(10**6))


def oa_event(user: str, text: str, msg_id: str | None = None, event: str = "user_send_text") -> tuple[bytes, str]:
    timestamp = str(int(time.time() * 1000))  # the gateway refuses an event stamped outside its window
    body = json.dumps(
        {
            "event_name": event,
            "app_id": "app1",
            "sender": {"id": user},
            "recipient": {"id": "oa1"},
            "message": {"text": text, "msg_id": msg_id or f"m{next(_counter)}"},
            "timestamp": timestamp,
        },
        ensure_ascii=False,
    ).encode()
    return body, FakeZaloOA.sign("app1", body, timestamp, OA_SECRET)


def post_oa(gateway, user, text, msg_id=None, signature=None, event="user_send_text"):
    body, sig = oa_event(user, text, msg_id, event)
    headers = {"Content-Type": "application/json"}
    if signature != "missing":
        headers["X-ZEvent-Signature"] = signature or sig
    return requests.post(f"{gateway.url}/webhooks/zalo-oa", data=body, headers=headers, timeout=5)


def oa_texts(fakes, user) -> list[str]:
    return [b["message"]["text"] for b in fakes["oa"].sent() if b["recipient"]["user_id"] == user]


# --- Zalo OA -----------------------------------------------------------------------------------------


def test_zalo_oa_good_signature_is_answered_with_the_button_template(gateway, fakes):
    r = post_oa(gateway, "u-good", "xin chào")
    assert r.status_code == 200
    wait_for(lambda: oa_texts(fakes, "u-good"), what="reply on Zalo OA")
    body = [b for b in fakes["oa"].sent() if b["recipient"]["user_id"] == "u-good"][0]
    assert body["message"]["text"] == "Đáp: xin chào"
    buttons = body["message"]["attachment"]["payload"]["buttons"]
    assert [(b["title"], b["type"], b["payload"]) for b in buttons] == [
        ("Tiếp theo", "oa.query.hide", "/next_step"),
        ("Về menu", "oa.query.hide", "/menu"),
    ]


@pytest.mark.parametrize("signature", ["missing", "0" * 64, "mac=deadbeef"])
def test_zalo_oa_bad_or_missing_signature_is_refused_and_nothing_is_done(gateway, fakes, signature):
    user = f"u-bad-{signature[:4]}"
    before = gateway.inbox_count()
    r = post_oa(gateway, user, "xin chào", signature=signature)
    assert r.status_code == 401
    # nothing stored (a message is stored before the acknowledgement), so nothing can reach Rasa or the resident
    assert gateway.inbox_count() == before and gateway.inbox_count(f"zalo-oa:{user}") == 0


def test_zalo_oa_signature_with_mac_prefix_is_accepted(gateway, fakes):
    body, sig = oa_event("u-mac", "chào")
    r = requests.post(f"{gateway.url}/webhooks/zalo-oa", data=body, headers={"X-ZEvent-Signature": f"mac={sig}"})
    assert r.status_code == 200
    wait_for(lambda: oa_texts(fakes, "u-mac"))


def test_zalo_oa_retried_deliveries_give_one_reply(gateway, fakes):
    for _ in range(3):
        assert post_oa(gateway, "u-dup", "một lần thôi", msg_id="dup-1").status_code == 200
    wait_for(lambda: oa_texts(fakes, "u-dup"))
    time.sleep(1.0)
    assert oa_texts(fakes, "u-dup") == ["Đáp: một lần thôi"]
    assert fakes["rasa"].messages_from("zalo-oa:u-dup") == ["một lần thôi"]


def test_zalo_oa_long_reply_is_split_at_sentences_under_2000(gateway, fakes):
    post_oa(gateway, "u-long", "/long 4500")
    parts = wait_for(lambda: (lambda t: t if len(t) >= 3 else None)(oa_texts(fakes, "u-long")))
    assert len(parts) == 3 and all(len(p) <= 2000 for p in parts)
    assert all(p.endswith(".") for p in parts[:-1]), "cut between sentences"


def test_zalo_oa_more_than_five_buttons_become_a_numbered_list_and_a_number_selects(gateway, fakes):
    post_oa(gateway, "u-menu", "/buttons 7")
    text = wait_for(lambda: oa_texts(fakes, "u-menu"))[0]
    assert "1. Mục 1" in text and "7. Mục 7" in text
    assert "attachment" not in [b for b in fakes["oa"].sent() if b["recipient"]["user_id"] == "u-menu"][0]["message"]
    post_oa(gateway, "u-menu", "2")
    wait_for(lambda: len(fakes["rasa"].messages_from("zalo-oa:u-menu")) == 2)
    assert fakes["rasa"].messages_from("zalo-oa:u-menu")[1] == "/opt2"


def test_zalo_oa_button_tap_event_comes_back_as_its_payload(gateway, fakes):
    post_oa(gateway, "u-tap", "/next_step", event="user_click_button")
    wait_for(lambda: oa_texts(fakes, "u-tap"))
    assert fakes["rasa"].messages_from("zalo-oa:u-tap") == ["/next_step"]


def test_zalo_oa_expired_token_is_refreshed_once_and_the_reply_goes_out(gateway, fakes):
    before = fakes["oa"].refresh_count
    fakes["oa"].expire_access_token()
    for user in ("u-exp1", "u-exp2", "u-exp3"):
        post_oa(gateway, user, "sau khi hết hạn")
    for user in ("u-exp1", "u-exp2", "u-exp3"):
        wait_for(lambda u=user: oa_texts(fakes, u), what=f"reply to {user}")
    assert fakes["oa"].refresh_count == before + 1
    with gateway.db() as db:
        access, refresh, version = db.execute(
            "select access_token, refresh_token, version from channel_tokens"
        ).fetchone()
    assert access in fakes["oa"].valid_access_tokens and version >= 1 and refresh != "rt-0"


def test_zalo_oa_platform_5xx_then_recovery_delivers_once(gateway, fakes):
    fakes["oa"].fail_next(3, status=502)
    post_oa(gateway, "u-5xx", "thử lỗi")
    wait_for(lambda: oa_texts(fakes, "u-5xx"), what="delivery after 5xx")
    time.sleep(0.5)
    assert oa_texts(fakes, "u-5xx") == ["Đáp: thử lỗi"]


def test_zalo_oa_outside_the_window_is_recorded_undeliverable_and_later_messages_flow(gateway, fakes):
    fakes["oa"].force_error(-230, n=1)
    post_oa(gateway, "u-window", "tin thứ nhất")

    def recorded():
        with gateway.db() as db:
            return db.execute(
                "select error from outbox where conversation_id='zalo-oa:u-window' and status='undeliverable'"
            ).fetchall()

    assert "7-day" in wait_for(recorded, what="undeliverable record")[0][0]
    post_oa(gateway, "u-window", "tin thứ hai")
    assert wait_for(lambda: oa_texts(fakes, "u-window")) == ["Đáp: tin thứ hai"]


# --- Rasa down, restarts, hand-off ---------------------------------------------------------------------


def test_rasa_down_then_up_and_a_gateway_restart_mid_queue_lose_and_repeat_nothing(fakes, tmp_path):
    rasa = FakeRasa().up()
    port = rasa.port
    env = gateway_env(
        fakes,
        tmp_path,
        TROLYSO_RASA_URL=rasa.url,
        ZALO_OA_ACCESS_TOKEN=fakes["oa"].access_token,
        ZALO_OA_REFRESH_TOKEN=fakes["oa"].refresh_token,
    )  # the pair the module's gateway left
    g = GatewayProcess(env, tmp_path).start()
    rasa.down()
    try:
        for i in range(5):
            assert post_oa(g, "u-restart", f"tin {i}").status_code == 200
        time.sleep(0.8)
        assert oa_texts(fakes, "u-restart") == []
        assert g.stop()  # graceful restart while messages wait
        g = GatewayProcess(env, tmp_path).start()
        time.sleep(0.5)
        rasa = FakeRasa(port=port).up()
        wait_for(lambda: len(oa_texts(fakes, "u-restart")) >= 5, 30, "all five replies")
        time.sleep(1.0)
        assert oa_texts(fakes, "u-restart") == [f"Đáp: tin {i}" for i in range(5)]  # in order, once each
    finally:
        g.stop()
        rasa.down()


def test_while_the_team_has_the_conversation_the_bot_stays_silent(gateway, fakes):
    now = "2026-11-22 00:00:00"
    with gateway.db() as db:
        db.execute(
            "insert into handoffs (requested_at, conversation_id, channel, user_hash, status, context, "
            "updated_at) values (?, 'zalo-oa:u-taken', 'zalo-oa', 'x', 'taken', '', ?)",
            (now, now),
        )
    post_oa(gateway, "u-taken", "cán bộ ơi")

    def held():
        with gateway.db() as db:
            return db.execute("select status from inbox where conversation_id='zalo-oa:u-taken'").fetchall()

    wait_for(lambda: held() == [("held",)], what="the message held for the team")
    assert fakes["rasa"].messages_from("zalo-oa:u-taken") == [] and oa_texts(fakes, "u-taken") == []


# --- Zalo Bot ----------------------------------------------------------------------------------------


def post_bot(gateway, chat_id, text, secret=BOT_SECRET, message_id=None, wrapped=False):
    update = {
        "event_name": "message.text.received",
        "message": {
            "message_id": message_id or f"b{next(_counter)}",
            "date": 1766619597466,
            "chat": {"id": chat_id, "chat_type": "PRIVATE"},
            "from": {"id": chat_id, "display_name": "A", "is_bot": False},
            "text": text,
        },
    }
    body = {"ok": True, "result": update} if wrapped else update
    headers = {"X-Bot-Api-Secret-Token": secret} if secret else {}
    return requests.post(f"{gateway.url}/webhooks/zalo-bot", json=body, headers=headers, timeout=5)


def bot_texts(fakes, chat_id):
    return [b["text"] for b in fakes["bot"].sent() if str(b["chat_id"]) == chat_id]


def test_zalo_bot_secret_token_checked_and_menus_become_numbered_lists(gateway, fakes):
    before = gateway.inbox_count()
    assert post_bot(gateway, "c-bad", "chào", secret="wrong").status_code == 401
    assert post_bot(gateway, "c-bad", "chào", secret=None).status_code == 401
    assert gateway.inbox_count() == before and gateway.inbox_count("zalo-bot:c-bad") == 0
    assert post_bot(gateway, "c1", "chào", wrapped=True).status_code == 200
    text = wait_for(lambda: bot_texts(fakes, "c1"))[0]
    assert text.startswith("Đáp: chào") and "1. Tiếp theo" in text and "2. Về menu" in text
    post_bot(gateway, "c1", "2")
    wait_for(lambda: len(fakes["rasa"].messages_from("zalo-bot:c1")) == 2)
    assert fakes["rasa"].messages_from("zalo-bot:c1")[1] == "/menu"
    assert bot_texts(fakes, "c-bad") == []


def test_zalo_bot_polling_mode(fakes, tmp_path):
    env = gateway_env(fakes, tmp_path, ZALO_BOT_POLLING="1", ZALO_BOT_SECRET_TOKEN="")
    g = GatewayProcess(env, tmp_path).start()
    try:
        fakes["bot"].push_update("c-poll", "chào từ polling")
        assert wait_for(lambda: bot_texts(fakes, "c-poll"), 20)[0].startswith("Đáp: chào từ polling")
    finally:
        g.stop()


# --- Telegram ----------------------------------------------------------------------------------------


def post_tg(gateway, update, secret=TG_SECRET):
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
    return requests.post(f"{gateway.url}/webhooks/telegram", json=update, headers=headers, timeout=5)


def tg_sent(fakes, chat_id):
    return [b for b in fakes["tg"].sent() if str(b["chat_id"]) == str(chat_id)]


def test_telegram_secret_inline_keyboard_callback_and_split(gateway, fakes):
    tg = fakes["tg"]
    before = gateway.inbox_count()
    assert post_tg(gateway, tg.make_message_update(501, "chào"), secret="nope").status_code == 403
    assert post_tg(gateway, tg.make_message_update(501, "chào"), secret=None).status_code == 403
    assert gateway.inbox_count() == before and gateway.inbox_count("telegram:501") == 0
    assert post_tg(gateway, tg.make_message_update(500, "chào")).status_code == 200
    sent = wait_for(lambda: tg_sent(fakes, 500))[0]
    keyboard = sent["reply_markup"]["inline_keyboard"]
    assert [row[0]["text"] for row in keyboard] == ["Tiếp theo", "Về menu"]
    assert keyboard[0][0]["callback_data"] == "/next_step"
    post_tg(gateway, tg.make_callback_update(500, "/next_step"))
    wait_for(lambda: len(fakes["rasa"].messages_from("telegram:500")) == 2)
    assert fakes["rasa"].messages_from("telegram:500")[1] == "/next_step"
    post_tg(gateway, tg.make_message_update(500, "/long 5000"))
    parts = wait_for(lambda: (lambda s: s if len(s) >= 4 else None)(tg_sent(fakes, 500)))[2:]
    assert len(parts) == 2 and all(len(p["text"]) <= 4096 for p in parts)
    assert tg_sent(fakes, 501) == []


def test_telegram_polling_mode(fakes, tmp_path):
    env = gateway_env(fakes, tmp_path, TELEGRAM_POLLING="1", TELEGRAM_SECRET_TOKEN="")
    g = GatewayProcess(env, tmp_path).start()
    try:
        fakes["tg"].push_message(777, "chào từ polling")
        assert wait_for(lambda: tg_sent(fakes, 777), 20)[0]["text"] == "Đáp: chào từ polling"
    finally:
        g.stop()


# --- web chat ----------------------------------------------------------------------------------------


def test_web_chat_contract_and_bad_input(gateway, fakes):
    """The contract in short; tokens, limits and the flood: test_web_chat.py."""
    r = requests.post(f"{gateway.url}/api/chat", json={"text": "xin chào"}, headers={"X-Chat-Token": "new"}, timeout=30)
    assert r.status_code == 200
    body = r.json()
    token = body.pop("token")
    assert body["messages"] == [
        {
            "text": "Đáp: xin chào",
            "buttons": [{"title": "Tiếp theo", "payload": "/next_step"}, {"title": "Về menu", "payload": "/menu"}],
        }
    ]
    again = requests.get(
        f"{gateway.url}/api/chat/messages", params={"after": body["last_id"]}, headers={"X-Chat-Token": token}
    )
    assert again.status_code == 200 and again.json()["messages"] == []
    for bad in ({"user_id": "w1"}, {"text": ""}, {"text": "x" * 1001}, {"text": "x", "after": "nhiều"}, [1, 2]):
        assert requests.post(f"{gateway.url}/api/chat", json=bad, headers={"X-Chat-Token": token}).status_code == 400
    assert requests.post(f"{gateway.url}/api/chat", data=b"{not json").status_code == 400
    page = requests.get(f"{gateway.url}/chat")
    assert page.status_code == 200 and "Trợ lý số xã" in page.text
    assert requests.get(f"{gateway.url}/static/widget.js").status_code == 200


def test_healthz_and_metrics(gateway):
    health = requests.get(f"{gateway.url}/healthz").json()
    assert health["status"] == "ok" and set(health["channels"]) == {"zalo-oa", "zalo-bot", "telegram", "web"}
    metrics = samples(requests.get(f"{gateway.url}/metrics").text)
    assert metrics[("trolyso_messages_in_total", (("channel", "zalo-oa"),))] > 0
    assert metrics[("trolyso_ack_seconds_count", (("channel", "zalo-oa"),))] > 0
    assert ("trolyso_queue_depth", (("queue", "inbox"),)) in metrics


def test_logs_mask_identity_and_phone_numbers(gateway, fakes):
    """A platform refusal that quotes the text it was sent (an unlisted Zalo error: retried) is logged by the
    worker, resident's numbers and all: the process's log filter masks them. (The filter itself: test_logging.py.)"""
    said = "số căn cước 001203004567, điện thoại 0912345678"
    fakes["oa"].force_error(-9999, n=1, message=f"Parameters are invalid: text 'Đáp: {said}'")
    post_oa(gateway, "u-log", said)
    assert wait_for(lambda: oa_texts(fakes, "u-log")) == [f"Đáp: {said}"]  # delivered on the retry

    def quoted() -> list[str]:
        log = (gateway.data / "gateway.log").read_text(encoding="utf-8")
        return [line for line in log.splitlines() if "Parameters are invalid: text" in line]

    line = wait_for(quoted, what="the worker's log line quoting the refusal")[0]
    assert "căn cước **********67, điện thoại ********78" in line
    log = (gateway.data / "gateway.log").read_text(encoding="utf-8")
    assert "001203004567" not in log and "0912345678" not in log


# --- fuzzing -----------------------------------------------------------------------------------------


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=20,
)
FUZZ_KEYS = ["event_name", "app_id", "sender", "message", "timestamp", "update_id", "callback_query", "result", "ok"]
BODIES = st.one_of(
    st.binary(max_size=300),
    JSON.map(lambda v: json.dumps(v).encode()),
    st.dictionaries(st.sampled_from(FUZZ_KEYS), JSON, max_size=6).map(lambda v: json.dumps(v).encode()),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(["zalo-oa", "zalo-bot", "telegram"]), body=BODIES, signed_ok=st.booleans())
def test_fuzzed_webhook_bodies_never_crash_and_never_get_a_reply(gateway, fakes, path, body, signed_ok):
    headers = {"Content-Type": "application/json"}
    if path == "zalo-oa":
        headers["X-ZEvent-Signature"] = "0" * 64  # nobody can forge it: every fuzzed body is refused
    elif path == "zalo-bot":
        headers["X-Bot-Api-Secret-Token"] = BOT_SECRET if signed_ok else "wrong"
    else:
        headers["X-Telegram-Bot-Api-Secret-Token"] = TG_SECRET if signed_ok else "wrong"
    before = gateway.inbox_count()
    r = requests.post(f"{gateway.url}/webhooks/{path}", data=body, headers=headers, timeout=5)
    assert r.status_code in (200, 400, 401, 403), r.text
    if path == "zalo-oa":
        assert r.status_code != 200
    if r.status_code != 200:
        # stored before acknowledged: a refused body that stored nothing can never be answered
        assert gateway.inbox_count() == before


def test_gateway_is_healthy_after_fuzzing(gateway, fakes):
    assert requests.get(f"{gateway.url}/healthz").json()["status"] == "ok"
    assert "Traceback" not in (gateway.data / "gateway.log").read_text(encoding="utf-8")
    # and the worker still answers: a real message after the fuzzed ones gets its reply
    assert post_bot(gateway, "c-after-fuzz", "còn đó không").status_code == 200
    assert wait_for(lambda: bot_texts(fakes, "c-after-fuzz"))[0].startswith("Đáp: còn đó không")


def test_a_team_reply_queued_by_another_process_goes_out_through_the_residents_channel(gateway, fakes):
    """What the console does when a team member answers: queue the reply in the shared store."""
    from bot.store import Store
    from connectors.messages import Part
    from connectors.queue import MessageQueue

    queue = MessageQueue(Store(f"sqlite:///{gateway.data / 'trolyso.db'}"))
    queue.enqueue("zalo-oa", "u-team", [Part("Chào anh/chị, cán bộ xã đây ạ.")], origin="team")
    queue.enqueue("telegram", "600", [Part("Cán bộ xã trả lời qua Telegram.")], origin="team")
    assert wait_for(lambda: oa_texts(fakes, "u-team")) == ["Chào anh/chị, cán bộ xã đây ạ."]
    assert wait_for(lambda: tg_sent(fakes, 600))[0]["text"] == "Cán bộ xã trả lời qua Telegram."


def test_zalo_oa_rate_limit_backs_off_then_delivers_once(gateway, fakes):
    fakes["oa"].force_error(-32, n=2)
    post_oa(gateway, "u-rate", "nhiều người hỏi quá")
    assert wait_for(lambda: oa_texts(fakes, "u-rate")) == ["Đáp: nhiều người hỏi quá"]
    with gateway.db() as db:
        attempts = db.execute("select attempts from outbox where conversation_id='zalo-oa:u-rate'").fetchone()[0]
    # every try is one call to the platform; the forced refusals may also hit another conversation's message
    # still being sent by an earlier test, so count this resident's calls rather than assume both were ours
    tries = [
        c for c in fakes["oa"].calls_to("/message/cs") if (c.json or {}).get("recipient", {}).get("user_id") == "u-rate"
    ]
    assert attempts == len(tries) >= 2  # at least one refusal (-32) backed off, then delivered once


# --- body limits, security headers, /metrics (connectors/limits.py) ------------------------------------


def raw_request(gateway, head: str, body: bytes = b"", timeout: float = 10) -> tuple[int, dict, bytes]:
    """Send `head` (request line and headers) and `body` as given — a body may be declared and never sent, or
    be chunks with no final one — and read the answer up to the close: (status, headers, body)."""
    import socket

    with socket.create_connection(("127.0.0.1", gateway.port), timeout=timeout) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    top, _, content = answer.partition(b"\r\n\r\n")
    lines = top.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, content


def chunked(parts: list[bytes]) -> bytes:
    """Chunked transfer encoding of `parts`, without the closing zero-size chunk (the body never ends)."""
    return b"".join(f"{len(p):x}\r\n".encode() + p + b"\r\n" for p in parts)


def test_a_declared_oversized_body_is_refused_before_it_is_sent(gateway):
    """Content-Length over the route's limit: 413 at once (the server waits for none of the body)."""
    before = gateway.inbox_count()
    for path, declared in (("/webhooks/zalo-bot", 1024 * 1024 + 1), ("/api/chat", 16 * 1024 + 1)):
        head = f"POST {path} HTTP/1.1\nHost: x\nContent-Type: application/json\nContent-Length: {declared}\n"
        status, headers, body = raw_request(gateway, head + f"X-Bot-Api-Secret-Token: {BOT_SECRET}\n")
        assert status == 413, (path, body)
        assert "lớn quá giới hạn" in json.loads(body)["error"] and headers["x-content-type-options"] == "nosniff"
    head = "POST /admin/login HTTP/1.1\nHost: x\nContent-Type: application/x-www-form-urlencoded\n"
    assert raw_request(gateway, head + f"Content-Length: {64 * 1024 + 1}\n")[0] == 413
    assert gateway.inbox_count() == before


def test_a_chunked_body_is_refused_once_it_passes_the_limit(gateway):
    """No Content-Length: the bytes are counted as they arrive and the answer is 413 as soon as they pass the
    limit — the body never ends here, so a gateway that read it all would never answer."""
    before = gateway.inbox_count()
    for path, limit in (("/webhooks/zalo-bot", 1024 * 1024), ("/api/chat", 16 * 1024), ("/admin/login", 64 * 1024)):
        head = f"POST {path} HTTP/1.1\nHost: x\nTransfer-Encoding: chunked\nX-Bot-Api-Secret-Token: {BOT_SECRET}\n"
        kind = "application/x-www-form-urlencoded" if path.startswith("/admin") else "application/json"
        status, _, body = raw_request(
            gateway, head + f"Content-Type: {kind}\n", chunked([b" " * 4096] * (limit // 4096) + [b"{}"])
        )
        assert status == 413, (path, body)
    # under the limit, a chunked body is read to its end as before (here: a body that is not JSON)
    head = "POST /api/chat HTTP/1.1\nHost: x\nTransfer-Encoding: chunked\nConnection: close\n"
    assert raw_request(gateway, head, chunked([b"{not json"]) + b"0\r\n\r\n")[0] == 400
    assert gateway.inbox_count() == before


def test_oversized_valid_deliveries_store_nothing_and_large_ones_within_the_limit_pass(gateway, fakes):
    before = gateway.inbox_count()
    chat = requests.post(f"{gateway.url}/api/chat", json={"text": "chào", "pad": "x" * 17_000}, timeout=10)
    assert chat.status_code == 413
    update = {
        "event_name": "message.text.received",
        "message": {
            "message_id": "big-1",
            "date": 1766619597466,
            "chat": {"id": "c-big", "chat_type": "PRIVATE"},
            "from": {"id": "c-big", "display_name": "A", "is_bot": False},
            "text": "tin rất dài",
        },
    }
    headers = {"X-Bot-Api-Secret-Token": BOT_SECRET}
    big = requests.post(f"{gateway.url}/webhooks/zalo-bot", json={**update, "pad": "x" * 1_100_000}, headers=headers)
    assert big.status_code == 413
    assert gateway.inbox_count() == before and gateway.inbox_count("zalo-bot:c-big") == 0
    # a webhook may be far larger than a console form (900 KB here), and it is stored and answered as usual
    ok = requests.post(f"{gateway.url}/webhooks/zalo-bot", json={**update, "pad": "x" * 900_000}, headers=headers)
    assert ok.status_code == 200 and gateway.inbox_count("zalo-bot:c-big") == 1
    assert wait_for(lambda: bot_texts(fakes, "c-big"))[0].startswith("Đáp: tin rất dài")


def test_security_headers_on_every_answer(gateway):
    pages = {
        "/chat": ("'self'", False),
        "/admin/login": ("'self'", True),
        "/api/chat/messages?after=0": ("'none'", True),
        "/static/widget.js": ("'none'", False),
        "/healthz": ("'none'", False),
        "/nowhere": ("'none'", False),
    }
    for path, (default_src, no_store) in pages.items():
        r = requests.get(f"{gateway.url}{path}", allow_redirects=False)
        assert r.headers["X-Content-Type-Options"] == "nosniff", path
        assert r.headers["Referrer-Policy"] == "same-origin", path
        csp = r.headers["Content-Security-Policy"]
        assert f"default-src {default_src}" in csp and "frame-ancestors 'none'" in csp, path
        assert (r.headers.get("Cache-Control") == "no-store") == no_store, path
        assert "Strict-Transport-Security" not in r.headers, path  # plain HTTP here (TROLYSO_COOKIE_SECURE unset)
    script = requests.get(f"{gateway.url}/static/widget.js").headers["Content-Type"]
    assert "javascript" in script  # nosniff needs the right type for the portal to run the widget


def test_metrics_refuse_a_request_relayed_from_elsewhere(gateway):
    assert requests.get(f"{gateway.url}/metrics").status_code == 200  # a scraper on this machine
    relayed = requests.get(f"{gateway.url}/metrics", headers={"X-Forwarded-For": "203.0.113.7"})
    assert relayed.status_code == 403 and "counters" not in relayed.text


def test_rasa_pool_failover_and_a_killed_gateways_message_sent_again_with_its_id_after_the_lease(fakes, tmp_path):
    """Two Rasa servers, one stopped: every conversation is answered by the other. Then a gateway is killed
    (SIGKILL) while Rasa handles a message: with TROLYSO_QUEUE_LEASE_SECONDS=1 the next gateway sends it again about
    a second later, with the same message_id (what lets the real Rasa answer it from its tracker), and the resident
    gets one reply."""
    up, stopped, slow = FakeRasa().up(), FakeRasa().up(), FakeRasa(delay=3.0).up()
    stopped.down()
    oa = {"ZALO_OA_ACCESS_TOKEN": fakes["oa"].access_token, "ZALO_OA_REFRESH_TOKEN": fakes["oa"].refresh_token}
    env = gateway_env(fakes, tmp_path, TROLYSO_RASA_URLS=f"{stopped.url},{up.url}", **oa)
    g = GatewayProcess(env, tmp_path).start()
    try:
        users = [f"u-pool-{i}" for i in range(12)]  # about half of them rank the stopped server first
        for u in users:
            assert post_oa(g, u, "xin chào").status_code == 200
        wait_for(lambda: all(oa_texts(fakes, u) for u in users), 20, "every conversation answered")
        assert all(oa_texts(fakes, u) == ["Đáp: xin chào"] for u in users)
        assert len(up.received) == len(users) and all(r["message_id"].startswith("trolyso-") for r in up.received)
        metrics = samples(requests.get(f"{g.url}/metrics", timeout=5).text)
        assert metrics[("trolyso_rasa_server_failures_total", (("server", stopped.url),))] >= 1
        assert metrics.get(("trolyso_rasa_failures_total", ()), 0) == 0  # no message had to wait
        health = requests.get(f"{g.url}/healthz", timeout=5).json()
        assert health["rasa"] is True and health["rasa_servers"] == {stopped.url: False, up.url: True}
    finally:
        g.stop()
        up.down()
    data = tmp_path / "lease"
    data.mkdir()
    env = gateway_env(fakes, data, TROLYSO_RASA_URL=slow.url, TROLYSO_QUEUE_LEASE_SECONDS="1", **oa)
    g = GatewayProcess(env, data).start()
    try:
        assert post_oa(g, "u-lease", "tin một").status_code == 200
        wait_for(lambda: slow.received, 10, "Rasa called")
        g.proc.send_signal(signal.SIGKILL)  # died while Rasa worked: no reply stored
        g.proc.wait()
        t0 = time.monotonic()
        env["TROLYSO_GATEWAY_PORT"] = str(free_port())
        g = GatewayProcess(env, data).start()
        wait_for(lambda: oa_texts(fakes, "u-lease"), 20, "the reply")
        seconds = time.monotonic() - t0
        time.sleep(1.0)
        assert oa_texts(fakes, "u-lease") == ["Đáp: tin một"]
        first, again = [r for r in slow.received if r["message"] == "tin một"]
        assert first["message_id"] == again["message_id"] and first["message_id"].startswith("trolyso-")
        print(f"killed gateway's message answered by the next one {seconds:.1f} s after the kill (lease 1 s)")
    finally:
        g.stop()
        slow.down()
