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
    assert errors == []
    sender = rasa.received[0]["sender"]
    assert [m for m in rasa.messages_from(sender)] == ["/greet", "/next_step", "vneid mức 2 là gì <b>thử</b>"]
