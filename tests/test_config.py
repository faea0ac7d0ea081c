"""Settings: one object reads the environment; malformed values are refused with the variable's name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import ROOT, Settings, SettingsError
from connectors.config import GatewayConfig

PACKAGES = ("bot", "connectors", "actions", "nlu")


def test_defaults_from_an_empty_environment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no .env here
    s = Settings.from_env({})
    assert s.data_dir == (tmp_path / "var").resolve()
    assert s.database_url == f"sqlite:///{s.data_dir / 'trolyso.db'}"
    assert s.model_dir == s.data_dir / "models" / "e5-small" and s.index_dir == s.data_dir / "index"
    assert (s.host, s.gateway_port, s.rasa_port, s.actions_port) == ("127.0.0.1", 8000, 5005, 5055)
    assert s.rasa_url == "http://127.0.0.1:5005" and s.rasa_model == ROOT / "models" / "trolyso.tar.gz"
    assert s.commune_name == "" and s.report_header == "Xã ..." and s.rasa_token == ""
    assert s.watch_knowledge and s.actions_warm and not s.cookie_secure and s.channels.web_chat
    assert GatewayConfig.from_settings(s).enabled() == ["web"]


def test_values_are_read_once_and_typed(tmp_path):
    env = {
        "TROLYSO_DATA_DIR": str(tmp_path / "d"),
        "TROLYSO_HOST": "10.0.0.5",
        "TROLYSO_INTERNAL_HOST": "10.0.0.6",
        "TROLYSO_RASA_PORT": "6005",
        "TROLYSO_SESSION_HOURS": "2.5",
        "TROLYSO_COOKIE_SECURE": "yes",
        "TROLYSO_WATCH_KNOWLEDGE": "0",
        "TROLYSO_COMMUNE_NAME": " Xã Con Cuông ",
        "TELEGRAM_BOT_TOKEN": "123:abc",
        "TELEGRAM_API_BASE": "http://127.0.0.1:9/",
        "ZALO_OA_APP_ID": "app",  # without its secret key the Zalo OA channel stays off
        "TROLYSO_RASA_TOKEN": " tok3n ",
    }
    s = Settings.from_env(env)
    assert s.rasa_url == "http://10.0.0.6:6005" and s.session_hours == 2.5 and s.cookie_secure
    assert s.rasa_token == "tok3n" and GatewayConfig.from_settings(s).rasa_token == "tok3n"
    assert not s.watch_knowledge and s.report_header == "Xã Con Cuông"
    gw = GatewayConfig.from_settings(s)
    assert gw.enabled() == ["telegram", "web"] and gw.telegram is not None
    assert gw.telegram.api_base == "http://127.0.0.1:9"


@pytest.mark.parametrize(
    "name,value",
    [
        ("TROLYSO_GATEWAY_PORT", "eighty"),
        ("TROLYSO_RASA_PORT", "70000"),
        ("TROLYSO_ZALO_WINDOW_DAYS", "-1"),
        ("TROLYSO_HANDOFF_RELEASE_MINUTES", "0"),
        ("TROLYSO_RETRY_BASE", "soon"),
        ("TROLYSO_COOKIE_SECURE", "maybe"),
    ],
)
def test_a_malformed_value_names_its_variable(name, value):
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


def test_no_other_module_reads_the_environment_for_a_setting():
    """Reading settings anywhere else is how two defaults for one variable happened; only bot/config.py reads."""
    reads = re.compile(r"os\.environ\.get\(|os\.getenv\(|os\.environ\[[^\]]+\](?!\s*=)")
    offenders = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path == ROOT / "bot" / "config.py":
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if reads.search(line):
                    offenders.append(f"{Path(path).relative_to(ROOT)}:{n}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


def test_internal_services_have_their_own_interface(tmp_path):
    s = Settings.from_env({"TROLYSO_DATA_DIR": str(tmp_path), "TROLYSO_HOST": "0.0.0.0"})
    assert (s.host, s.internal_host, s.rasa_url) == ("0.0.0.0", "127.0.0.1", "http://127.0.0.1:5005")
    s = Settings.from_env({"TROLYSO_DATA_DIR": str(tmp_path), "TROLYSO_INTERNAL_HOST": "10.0.0.7"})
    assert (s.host, s.rasa_url) == ("127.0.0.1", "http://10.0.0.7:5005")


def test_security_settings(tmp_path):
    s = Settings.from_env({"TROLYSO_DATA_DIR": str(tmp_path)})
    assert s.metrics_token == "" and s.zalo_event_window_minutes == 120
    s = Settings.from_env(
        {
            "TROLYSO_DATA_DIR": str(tmp_path),
            "TROLYSO_METRICS_TOKEN": " t0k ",
            "TROLYSO_ZALO_EVENT_WINDOW_MINUTES": "2.5",
            "ZALO_OA_APP_ID": "app",
            "ZALO_OA_SECRET_KEY": "k",
        }
    )
    assert s.metrics_token == "t0k"
    zalo_oa = GatewayConfig.from_settings(s).zalo_oa
    assert zalo_oa is not None and zalo_oa.event_window == 150
    with pytest.raises(SettingsError, match="TROLYSO_ZALO_EVENT_WINDOW_MINUTES"):
        Settings.from_env({"TROLYSO_ZALO_EVENT_WINDOW_MINUTES": "0"})


@pytest.mark.parametrize(
    "url,secret",
    [("ZALO_BOT_WEBHOOK_URL", "ZALO_BOT_SECRET_TOKEN"), ("TELEGRAM_WEBHOOK_URL", "TELEGRAM_SECRET_TOKEN")],
)
def test_a_webhook_url_without_its_secret_is_a_start_up_error(tmp_path, url, secret):
    env = {"TROLYSO_DATA_DIR": str(tmp_path), "ZALO_BOT_TOKEN": "1:a", "TELEGRAM_BOT_TOKEN": "2:b"}
    env[url] = "https://xa.example.vn/webhooks/x"
    with pytest.raises(SettingsError) as exc:
        Settings.from_env(env)
    assert url in str(exc.value) and secret in str(exc.value)
    with pytest.raises(SettingsError):
        Settings.from_env({**env, secret: "   "})  # blank counts as unset
    assert Settings.from_env({**env, secret: "s3cret-1"}).channels.telegram_bot_token == "2:b"
