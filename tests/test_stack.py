"""`trolyso up`'s services (bot/stack.py) as argv, without starting them: Rasa and the action server stay on the
internal interface whatever interface the gateway serves."""

from __future__ import annotations

import sys
from pathlib import Path

from bot.config import Settings
from bot.stack import StackConfig, build_services


def services(tmp_path: Path, **env: str):
    rasa_bin, model = tmp_path / "rasa", tmp_path / "model.tar.gz"
    rasa_bin.touch()
    model.touch()
    settings = Settings.from_env(
        {"TROLYSO_DATA_DIR": str(tmp_path), "TROLYSO_RASA_BIN": str(rasa_bin), "TROLYSO_RASA_MODEL": str(model), **env}
    )
    return {s.name: s for s in build_services(StackConfig.from_settings(settings), settings)}


def flag(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def test_a_public_gateway_keeps_rasa_and_the_action_server_on_loopback(tmp_path):
    s = services(tmp_path, TROLYSO_HOST="0.0.0.0", TROLYSO_RASA_PORT="6005", TROLYSO_ACTIONS_PORT="6055")
    assert flag(s["gateway"].argv, "--host") == "0.0.0.0"
    assert flag(s["rasa"].argv, "--interface") == "127.0.0.1"
    assert s["actions"].argv[:3] == [sys.executable, "-m", "actions"]
    assert flag(s["actions"].argv, "--host") == "127.0.0.1"
    # the gateway reaches Rasa, and Rasa the actions, on the internal address
    assert s["gateway"].env["TROLYSO_RASA_URL"] == "http://127.0.0.1:6005"
    assert s["rasa"].health_url == "http://127.0.0.1:6005/webhooks/rest/"
    assert 'url: "http://127.0.0.1:6055/webhook"' in (tmp_path / "endpoints.yml").read_text(encoding="utf-8")


def test_the_internal_interface_is_its_own_setting(tmp_path):
    s = services(tmp_path, TROLYSO_INTERNAL_HOST="10.1.2.3")
    assert flag(s["rasa"].argv, "--interface") == "10.1.2.3" and flag(s["actions"].argv, "--host") == "10.1.2.3"
    assert flag(s["gateway"].argv, "--host") == "127.0.0.1"
    assert s["gateway"].env["TROLYSO_RASA_URL"] == "http://10.1.2.3:5005"
