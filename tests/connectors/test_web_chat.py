"""The web chat's security through the real gateway process: conversation tokens the server issues (cookie for the
/chat page, X-Chat-Token for the widget), only their hashes stored, replies readable only with the token, `after`
validated before anything is queued, rate limits (per conversation, per address, new conversations, hand-off and
subscription buttons) answered with a Vietnamese 429 and Retry-After, and a flood from one address that stays
bounded while a Zalo OA resident keeps getting quick replies.

The gateway trusts 127.0.0.1 as a proxy (TROLYSO_TRUSTED_PROXIES), so each test speaks from an address of its own
(X-Forwarded-For) and the per-address limits of one test do not touch another."""

from __future__ import annotations

import hashlib
import json
import statistics
import subprocess
import sys
import time
from collections import Counter

import pytest
import requests
from sqlalchemy import func, select

from bot.stats import percentile
from bot.store.schema import inbox, web_sessions
from tests.connectors.test_gateway import ROOT, GatewayProcess, gateway_env, oa_texts, post_oa
from tests.fake_rasa import FakeRasa

URL_TOKEN = "X-Chat-Token"


@pytest.fixture(scope="module")
def web(fakes, tmp_path_factory):
    rasa = FakeRasa().up()  # this module's own: its counts of hand-off payloads are this gateway's alone
    data = tmp_path_factory.mktemp("web-chat")
    g = GatewayProcess(gateway_env(dict(fakes, rasa=rasa), data, TROLYSO_TRUSTED_PROXIES="127.0.0.1"), data).start()
    yield g, rasa
    g.stop()
    rasa.down()


def chat(g, text, *, ip, token="new", session=None, **body):
    headers = {"X-Forwarded-For": ip}
    if token is not None:
        headers[URL_TOKEN] = token
    return (session or requests).post(f"{g.url}/api/chat", json={"text": text, **body}, headers=headers, timeout=30)


def read(g, *, ip, token=None, after=0, session=None, **params):
    headers = {"X-Forwarded-For": ip} | ({URL_TOKEN: token} if token else {})
    return (session or requests).get(
        f"{g.url}/api/chat/messages", params={"after": after, **params}, headers=headers, timeout=10
    )


def sessions_count(g) -> int:
    with g.queue_store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(web_sessions)).scalar_one()


def inbox_texts(g, conversation_id: str) -> list[str]:
    with g.queue_store.engine.connect() as conn:
        return list(conn.execute(select(inbox.c.text).where(inbox.c.conversation_id == conversation_id)).scalars())


def conversation_of(g, token: str) -> str:
    with g.queue_store.engine.connect() as conn:
        return conn.execute(
            select(web_sessions.c.conversation_id).where(
                web_sessions.c.token_hash == hashlib.sha256(token.encode()).hexdigest()
            )
        ).scalar_one()


def test_the_server_chooses_the_conversation_and_the_token_opens_it(web):
    g, rasa = web
    ip = "198.51.100.1"
    r = chat(g, "xin chào", ip=ip, user_id="w-chosen-by-the-client")
    assert r.status_code == 200, r.text
    token = r.json()["token"]
    assert len(token) >= 40 and "set-cookie" not in r.headers  # the widget's token travels in the body only
    conversation = conversation_of(g, token)  # only the hash is stored: the token itself is nowhere in the table
    assert conversation.startswith("web:") and "w-chosen" not in conversation and token not in conversation
    assert g.inbox_count("web:w-chosen-by-the-client") == 0
    assert chat(g, "câu thứ hai", ip=ip, token=token).status_code == 200
    assert inbox_texts(g, conversation) == ["xin chào", "câu thứ hai"]

    # the team's reply in a hand-off: the token reads it; nobody else, whatever they send
    from connectors.messages import Part
    from connectors.queue import MessageQueue

    MessageQueue(g.queue_store).enqueue("web", conversation.split(":", 1)[1], [Part("Cán bộ xã đây ạ.")], origin="team")
    assert [m["text"] for m in read(g, ip=ip, token=token).json()["messages"]][-1] == "Cán bộ xã đây ạ."
    for stranger in (
        read(g, ip=ip),
        read(g, ip=ip, token="x" * 43),
        read(g, ip=ip, user_id=conversation.split(":", 1)[1]),
        requests.get(f"{g.url}/api/chat/messages?token={token}", headers={"X-Forwarded-For": ip}, timeout=10),
    ):
        assert stranger.status_code == 401 and "messages" not in stranger.json()
        assert "phiên trò chuyện không hợp lệ" in stranger.json()["error"]
    # a wrong token in a POST starts a new conversation of the server's, never the one it names
    other = chat(g, "tôi là người khác", ip=ip, token="x" * 43).json()["token"]
    assert conversation_of(g, other) != conversation

    # "Kết thúc": the token stops working
    end = requests.post(f"{g.url}/api/chat/end", headers={URL_TOKEN: token, "X-Forwarded-For": ip}, timeout=10)
    assert end.status_code == 200
    assert read(g, ip=ip, token=token).status_code == 401


def test_the_chat_page_holds_its_token_in_an_httponly_cookie(web):
    g, _ = web
    page = requests.Session()
    r = chat(g, "xin chào", ip="198.51.100.2", token=None, session=page)
    assert r.status_code == 200 and "token" not in r.json()
    cookie = r.headers["set-cookie"]
    assert "troly_chat=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert "Path=/api/chat" in cookie and "Secure" not in cookie  # TROLYSO_COOKIE_SECURE=1 adds it
    token = page.cookies["troly_chat"]
    assert chat(g, "câu thứ hai", ip="198.51.100.2", token=None, session=page).status_code == 200
    assert inbox_texts(g, conversation_of(g, token)) == ["xin chào", "câu thứ hai"]
    assert read(g, ip="198.51.100.2", session=page).status_code == 200
    page.post(f"{g.url}/api/chat/end", timeout=10)
    assert "troly_chat" not in page.cookies and read(g, ip="198.51.100.2", token=token).status_code == 401


def test_after_is_checked_before_anything_is_queued(web):
    g, _ = web
    ip = "198.51.100.3"
    token = chat(g, "xin chào", ip=ip).json()["token"]
    conversation = conversation_of(g, token)
    for bad in ("nhiều", -1, 1.5, True, [1], "9" * 5000):
        r = chat(g, "không được lưu", ip=ip, token=token, after=bad)
        assert r.status_code == 400 and "after" in r.json()["error"], (bad, r.text)
    assert inbox_texts(g, conversation) == ["xin chào"]
    r = chat(g, "số thật lớn", ip=ip, token=token, after=10**30)  # clamped, never a 500
    assert r.status_code == 200 and r.json()["messages"] == []
    assert read(g, ip=ip, token=token, after=10**30).status_code == 200
    assert read(g, ip=ip, token=token, after="x").status_code == 400


def test_a_busy_conversation_gets_a_vietnamese_429_with_retry_after(web):
    g, _ = web
    ip = "198.51.100.4"
    token = chat(g, "1", ip=ip).json()["token"]
    answers = [chat(g, str(i), ip=ip, token=token) for i in range(2, 23)]
    assert [a.status_code for a in answers].count(200) == 19  # 20 a minute per conversation
    limited = answers[-1]
    assert limited.status_code == 429 and "gửi nhanh quá" in limited.json()["error"]
    assert 1 <= int(limited.headers["retry-after"]) <= 60


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")) / 1024


def oa_latencies(g, fakes, tag: str, n: int = 20) -> list[float]:
    """Seconds from a Zalo OA resident's webhook to the reply reaching the (fake) platform, one message at a time."""
    out = []
    user = f"u-latency-{tag}"
    for i in range(n):
        text = f"câu {i} lúc {tag}"
        t0 = time.perf_counter()
        assert post_oa(g, user, text).status_code == 200
        while f"Đáp: {text}" not in oa_texts(fakes, user):  # finer than wait_for's 50 ms
            assert time.perf_counter() - t0 < 20, "the Zalo OA reply never came"
            time.sleep(0.002)
        out.append(time.perf_counter() - t0)
    return out


FLOODER = """
import json, sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
import requests

url, address = sys.argv[1], sys.argv[2]
texts = ["/human_handoff", "xin chào", "/subscribe", "đăng ký tin"]


def attempt(i):  # no token: every one asks for a new conversation
    r = requests.post(url + "/api/chat", json={"text": texts[i % 4]}, headers={"X-Forwarded-For": address}, timeout=60)
    return r.status_code, r.headers.get("retry-after", "")


with ThreadPoolExecutor(16) as pool:
    answers = list(pool.map(attempt, range(1000)))
limited = sorted({r for s, r in answers if s == 429})
print(json.dumps({"statuses": Counter(s for s, _ in answers), "retry_after": limited}))
"""


@pytest.mark.process
def test_a_flood_from_one_address_is_limited_and_bounded(web, fakes):
    g, rasa = web
    flooder, handoffs = "203.0.113.66", "203.0.113.67"
    oa_latencies(g, fakes, "warm-up", 5)
    quiet = oa_latencies(g, fakes, "quiet")
    rss_before, sessions_before = rss_mb(g.proc.pid), sessions_count(g)

    # the flooder is a process of its own: its threads must not slow the fake platform (in this process) down
    t0 = time.perf_counter()
    flood = subprocess.Popen(
        [sys.executable, "-c", FLOODER, g.url, flooder], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    busy = oa_latencies(g, fakes, "flood")
    out, _ = flood.communicate(timeout=60)
    flood_seconds = time.perf_counter() - t0
    result = json.loads(out)
    statuses, retry_after = Counter({int(k): v for k, v in result["statuses"].items()}), set(result["retry_after"])
    rss_after, created = rss_mb(g.proc.pid), sessions_count(g) - sessions_before

    # hand-off and subscription buttons from one address with a valid token: capped at 3 an hour each
    token = chat(g, "xin chào", ip=handoffs).json()["token"]
    pushed = [chat(g, p, ip=handoffs, token=token) for p in ["/human_handoff"] * 6 + ['/subscribe{"x": 1}'] * 6]
    conversation = conversation_of(g, token)

    q50, q95, b50, b95 = (
        statistics.median(quiet),
        percentile(quiet, 0.95),
        statistics.median(busy),
        percentile(busy, 0.95),
    )
    print(
        f"\nflood: 1000 attempts in {flood_seconds:.1f} s from one address: {dict(statuses)}, "
        f"{created} conversations created, Retry-After {sorted(retry_after)}"
        f"\ngateway RSS {rss_before:.1f} MB before, {rss_after:.1f} MB after ({rss_after - rss_before:+.1f} MB)"
        f"\nZalo OA reply latency over 20 messages: quiet median {q50 * 1000:.0f} ms, p95 {q95 * 1000:.0f} ms; "
        f"during the flood median {b50 * 1000:.0f} ms, p95 {b95 * 1000:.0f} ms"
        f"\nduring the flood, each (ms): {[round(b * 1000) for b in busy]}"
        f"\nbuttons with a token: {[r.status_code for r in pushed]}"
    )
    assert flood.returncode == 0 and sum(statuses.values()) == 1000
    assert statuses[200] == created == 10 and statuses[429] == 990  # 10 new conversations an hour per address
    assert retry_after and all(v.isdigit() and int(v) >= 1 for v in retry_after)
    assert rss_after - rss_before < 50
    # of the flood's buttons, at most the cap reached the store and Rasa
    flood_handoffs = [m for m in (r["message"] for r in rasa.received) if m.startswith("/human_handoff")]
    assert [r.status_code for r in pushed] == [200] * 3 + [429] * 3 + [200] * 3 + [429] * 3
    assert inbox_texts(g, conversation).count("/human_handoff") == 3
    assert len(flood_handoffs) <= 3 + 3  # the flooder's (at most 3) and the token holder's (exactly 3)
    assert len([m for m in (r["message"] for r in rasa.received) if m.startswith("/subscribe")]) <= 3 + 3
    # The Zalo OA resident is still served during the flood: every reply came (each waited for above, at most 20 s).
    # How fast is measured, not asserted: on a shared 2-core machine 20 samples' timing is noise-dominated (a quiet
    # p95 of 500 ms has been seen), and a timed assertion only flakes. The numbers are printed above (README).
    assert len(busy) == len(quiet) == 20
