"""GET /privacy: the residents' privacy notice (Nghị định 13/2023/NĐ-CP) with the retention period from the
settings, served under the page CSP (no inline code), and linked from the chat page and the widget."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from bot.app import App
from bot.config import Settings
from connectors.gateway import create_app
from connectors.limits import CSP_PAGE

STATIC = Path(__file__).resolve().parents[2] / "connectors" / "static"


def gateway(tmp_path: Path, **env: str) -> TestClient:
    settings = Settings.from_env({"TROLYSO_DATA_DIR": str(tmp_path), "TROLYSO_RASA_URL": "http://127.0.0.1:9", **env})
    return TestClient(create_app(App(settings)))


def test_the_privacy_notice_says_what_is_kept_how_long_and_how_to_ask_for_deletion(tmp_path):
    with gateway(tmp_path, TROLYSO_RETENTION_DAYS="90", TROLYSO_COMMUNE_NAME="Xã Con Cuông") as client:
        page = client.get("/privacy")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    text = page.text
    assert "Tối đa 90 ngày" in text and "365" not in text
    for words in (
        "Nghị định 13/2023/NĐ-CP",
        "được\n      che đi",  # identifiers masked
        "Tổ công nghệ số cộng đồng",  # who sees it
        "nhắn “xóa dữ liệu của tôi” cho\n    trợ lý",  # erasure from any channel (actions/privacy.py)
        "“Xác nhận xóa”",
        "UBND xã Con Cuông",
        'href="/chat"',
    ):
        assert words in text, words
    assert page.headers["content-security-policy"] == CSP_PAGE and "unsafe-inline" not in CSP_PAGE
    assert "<script" not in text and "style=" not in text and "<style" not in text and " on" + "click" not in text
    assert '<link rel="stylesheet" href="/static/widget.css">' in text


def test_the_default_period_and_a_commune_without_a_name(tmp_path):
    with gateway(tmp_path) as client:
        text = client.get("/privacy").text
    assert "Tối đa 365 ngày" in text and "liên hệ trực tiếp\n    UBND xã (bộ phận một cửa)" in text


def test_the_chat_page_and_the_widget_link_to_it():
    widget = (STATIC / "widget.js").read_text(encoding="utf-8")  # the /chat page is drawn by the widget's script
    assert "privacy: 'Quyền riêng tư'" in widget and "privacy.href = gateway + '/privacy'" in widget
    assert "/static/widget.js" in (STATIC / "chat.html").read_text(encoding="utf-8")
