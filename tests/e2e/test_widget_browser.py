"""The web chat page in real headless Chromium (Debian's chromium, driven by Playwright), against the gateway
process and a fake Rasa: a resident opens /chat, gets the greeting and menu, taps a button, types a question.
Screenshots go to var/screenshots/ as test artefacts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM, chromium
from tests.connectors.test_gateway import GatewayProcess, free_port
from tests.fake_rasa import FakeRasa

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "var" / "screenshots"

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and os.environ.get("TROLYSO_E2E") != "1",
    reason="Debian chromium is installed by `make test` (make browser)",
)


@pytest.fixture(scope="module")
def web_gateway(tmp_path_factory):
    rasa = FakeRasa().up()
    data = tmp_path_factory.mktemp("web")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZALO_", "TELEGRAM_"))}
    env.update({"TROLYSO_DATA_DIR": str(data), "TROLYSO_GATEWAY_PORT": str(free_port()), "TROLYSO_RASA_URL": rasa.url})
    g = GatewayProcess(env, data).start()
    yield g, rasa
    g.stop()
    rasa.down()


def test_resident_chats_in_the_browser(web_gateway):
    from playwright.sync_api import expect

    gateway, rasa = web_gateway
    SHOTS.mkdir(parents=True, exist_ok=True)
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 390, "height": 780})  # a phone
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{gateway.url}/chat")
        expect(page.get_by_text("Đáp: /greet")).to_be_visible(timeout=15000)  # greeting requested on first open
        page.screenshot(path=str(SHOTS / "web-chat-greeting.png"))
        page.get_by_role("button", name="Tiếp theo").first.click()
        expect(page.get_by_text("Đáp: /next_step")).to_be_visible(timeout=15000)
        box = page.get_by_placeholder("Nhập câu hỏi, có dấu hoặc không dấu…")
        box.fill("vneid mức 2 là gì <b>thử</b>")
        box.press("Enter")
        expect(page.get_by_text("Đáp: vneid mức 2 là gì <b>thử</b>")).to_be_visible(timeout=15000)  # shown as text
        page.screenshot(path=str(SHOTS / "web-chat-conversation.png"), full_page=True)
        # a shared PC at the commune: no resident text in the browser's storage, the token in an HttpOnly cookie
        stored = page.evaluate("JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])")
        assert "vneid" not in stored and "Đáp" not in stored, stored
        [cookie] = [c for c in page.context.cookies() if c["name"] == "troly_chat"]
        assert (
            cookie["httpOnly"] and cookie["sameSite"] == "Lax" and "troly_chat" not in page.evaluate("document.cookie")
        )
        page.get_by_role("button", name="Kết thúc cuộc trò chuyện và xoá nội dung trên máy này").click()
        expect(page.get_by_text("Đã kết thúc cuộc trò chuyện.")).to_be_visible(timeout=15000)
        expect(page.get_by_text("Đáp: /next_step")).to_have_count(0)
        assert [c for c in page.context.cookies() if c["name"] == "troly_chat"] == []
    assert errors == []
    sender = rasa.received[0]["sender"]
    assert [m for m in rasa.messages_from(sender)] == ["/greet", "/next_step", "vneid mức 2 là gì <b>thử</b>"]


def test_the_widget_embedded_on_another_origin_works_under_the_gateways_headers(web_gateway):
    """The commune's portal (here http://localhost:<port>, another origin than the gateway's 127.0.0.1) loads
    widget.js and widget.css from the gateway: nosniff, the Content-Security-Policy and the CORS answers must let
    the script, the stylesheet and the chat API through."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from playwright.sync_api import expect

    gateway, rasa = web_gateway
    html = (
        '<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Cổng thông tin xã</title></head>'
        f'<body><h1>UBND xã</h1><script src="{gateway.url}/static/widget.js" data-gateway="{gateway.url}" defer>'
        "</script></body></html>"
    ).encode()

    class Portal(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(html)))
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Portal)  # on this machine: Chromium lets it reach the gateway
    threading.Thread(target=server.serve_forever, daemon=True).start()
    portal = f"http://localhost:{server.server_address[1]}/"
    with server, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(portal)
        launcher = page.get_by_role("button", name="Hỏi Trợ lý số")
        color = launcher.evaluate("b => getComputedStyle(b).backgroundColor")  # from widget.css
        launcher.click()
        box = page.get_by_placeholder("Nhập câu hỏi, có dấu hoặc không dấu…")
        box.fill("hỏi từ cổng thông tin")
        box.press("Enter")
        expect(page.get_by_text("Đáp: hỏi từ cổng thông tin")).to_be_visible(timeout=15000)
        page.screenshot(path=str(SHOTS / "web-chat-embedded.png"))
        server.shutdown()
    assert errors == [] and color == "rgb(11, 79, 156)"  # no refusal in the console; widget.css applied
    assert "hỏi từ cổng thông tin" in [m["message"] for m in rasa.received]
