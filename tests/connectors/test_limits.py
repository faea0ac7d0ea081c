"""connectors/limits.py in-process: the body limit per route (also when a route swallows the error), the security
headers (HSTS only over HTTPS), and who may read /metrics — the gateway built by create_app under Starlette's
TestClient, whose client address can be set. The real-process checks (declared and chunked bodies, headers on
every route) are in test_gateway.py."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from bot.app import App
from bot.config import Settings
from connectors.gateway import create_app
from connectors.limits import BodyLimit, SecurityHeaders, body_limit, metrics_allowed


def test_limits_per_route():
    assert body_limit("/webhooks/telegram") == 1024 * 1024
    assert body_limit("/api/chat") == body_limit("/api/chat/messages") == 16 * 1024
    assert body_limit("/admin/knowledge/upload") == 2 * 1024 * 1024
    assert body_limit("/admin/login") == body_limit("/admin/news") == 64 * 1024
    assert body_limit("/metrics") == body_limit("/chat") == 64 * 1024


def echo_app(swallow: bool = False) -> Starlette:
    async def echo(request: Request) -> JSONResponse:
        try:
            return JSONResponse({"size": len(await request.body())})
        except Exception:  # a route that turns any failure into its own answer
            if not swallow:
                raise
            return JSONResponse({"error": "swallowed"}, status_code=400)

    return Starlette(routes=[Route("/api/chat", echo, methods=["POST"])])


@pytest.mark.parametrize("swallow", [False, True])
def test_a_streamed_body_over_the_limit_is_413_whatever_the_route_does(swallow):
    client = TestClient(BodyLimit(echo_app(swallow)))

    def parts(n: int):  # a generator body is sent without Content-Length
        for _ in range(n):
            yield b" " * 4096

    assert client.post("/api/chat", content=parts(4)).json() == {"size": 16 * 1024}  # exactly the limit
    r = client.post("/api/chat", content=parts(5))
    assert r.status_code == 413 and "lớn quá giới hạn" in r.json()["error"]
    assert client.post("/api/chat", content=b"x" * (16 * 1024 + 1)).status_code == 413  # declared


def test_hsts_only_when_the_deployment_is_https():
    for hsts in (False, True):
        r = TestClient(SecurityHeaders(echo_app(), hsts=hsts)).post("/api/chat", content=b"{}")
        assert ("Strict-Transport-Security" in r.headers) == hsts
        assert r.headers["Cache-Control"] == "no-store" and r.headers["X-Content-Type-Options"] == "nosniff"


def test_who_may_read_metrics():
    assert metrics_allowed("127.0.0.1", {}, "") and metrics_allowed("::1", {}, "")
    assert not metrics_allowed("203.0.113.9", {}, "") and not metrics_allowed(None, {}, "")
    assert not metrics_allowed("127.0.0.1", {"x-forwarded-for": "203.0.113.9"}, "")  # through a local proxy
    assert metrics_allowed("203.0.113.9", {"authorization": "Bearer s3cret"}, "s3cret")
    assert not metrics_allowed("203.0.113.9", {"authorization": "Bearer wrong"}, "s3cret")
    assert not metrics_allowed("203.0.113.9", {"authorization": "Bearer "}, "")  # no token set: none accepted


@pytest.fixture
def gateway_settings(tmp_path):
    def make(**env: str) -> Settings:
        return Settings.from_env({"TROLYSO_DATA_DIR": str(tmp_path), "TROLYSO_RASA_URL": "http://127.0.0.1:9", **env})

    return make


def test_metrics_from_another_machine_need_the_token(gateway_settings):
    settings = gateway_settings(TROLYSO_METRICS_TOKEN="s3cret-token")
    with TestClient(create_app(App(settings)), client=("203.0.113.9", 40000)) as remote:
        assert remote.get("/metrics").status_code == 403
        assert remote.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 403
        ok = remote.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
        assert ok.status_code == 200 and ok.headers["content-type"].startswith("text/plain")
        assert "trolyso_messages_in" in {f.name for f in text_string_to_metric_families(ok.text)}
        assert remote.get("/healthz").status_code in (200, 503)  # only /metrics is guarded
    with TestClient(create_app(App(settings)), client=("127.0.0.1", 40000)) as local:
        assert local.get("/metrics").status_code == 200


def test_the_gateway_sends_hsts_when_cookies_are_secure(gateway_settings):
    with TestClient(create_app(App(gateway_settings(TROLYSO_COOKIE_SECURE="1")))) as client:
        assert client.get("/chat").headers["Strict-Transport-Security"] == "max-age=31536000"
    with TestClient(create_app(App(gateway_settings()))) as client:
        assert "Strict-Transport-Security" not in client.get("/chat").headers
