"""`trolyso up`'s services (bot/stack.py) as argv, without starting them: Rasa and the action server stay on the
internal interface whatever interface the gateway serves."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import Settings
from bot.stack import StackConfig, build_services, salt_warning

ROOT = Path(__file__).resolve().parents[1]


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


def test_only_rasa_and_the_gateway_get_the_rest_channel_token_a_new_one_per_start_unless_set(tmp_path):
    """nlu/rest_channel.py refuses requests without TROLYSO_RASA_TOKEN: nobody has to configure it, and the action
    server (which never calls Rasa's REST channel) is not given it."""
    first, second = services(tmp_path), services(tmp_path)
    token = first["rasa"].env["TROLYSO_RASA_TOKEN"]
    assert len(token) >= 40 and first["gateway"].env["TROLYSO_RASA_TOKEN"] == token
    assert "TROLYSO_RASA_TOKEN" not in first["actions"].env
    assert second["rasa"].env["TROLYSO_RASA_TOKEN"] != token  # generated anew per start
    assert "--credentials" in first["rasa"].argv and "TokenRestInput" in Path(
        flag(first["rasa"].argv, "--credentials")
    ).read_text(encoding="utf-8")
    fixed = services(tmp_path, TROLYSO_RASA_TOKEN="set-by-the-admin")
    assert fixed["rasa"].env["TROLYSO_RASA_TOKEN"] == fixed["gateway"].env["TROLYSO_RASA_TOKEN"] == "set-by-the-admin"
    assert "set-by-the-admin" not in repr(StackConfig(rasa_token="set-by-the-admin"))


@pytest.mark.parametrize(
    ("env", "warned"),
    [
        ({"TROLYSO_HOST": "0.0.0.0"}, True),
        ({"TROLYSO_HOST": "192.168.1.10"}, True),
        ({"TROLYSO_HOST": "::"}, True),
        ({}, False),  # 127.0.0.1
        ({"TROLYSO_HOST": "localhost"}, False),
        ({"TROLYSO_HOST": "::1"}, False),
        ({"TROLYSO_HOST": "127.0.0.2"}, False),
        ({"TROLYSO_HOST": "0.0.0.0", "TROLYSO_USER_SALT": "a-long-random-secret"}, False),
    ],
)
def test_the_public_default_salt_is_warned_about_only_off_loopback(tmp_path, env, warned):
    message = salt_warning(Settings.from_env({"TROLYSO_DATA_DIR": str(tmp_path), **env}))
    assert (message is not None) is warned
    if message:
        assert "WARNING: TROLYSO_USER_SALT" in message and "CẢNH BÁO: TROLYSO_USER_SALT" in message
        assert env["TROLYSO_HOST"] in message


@pytest.mark.process
@pytest.mark.parametrize("host", ["0.0.0.0", "127.0.0.1"])
def test_trolyso_up_prints_the_salt_warning(tmp_path, host):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TROLYSO_")}
    env |= {"TROLYSO_DATA_DIR": str(tmp_path), "TROLYSO_HOST": host, "TROLYSO_RASA_BIN": str(tmp_path / "no-rasa")}
    env["PYTHONPATH"] = str(ROOT)
    # Rasa is missing, so `up` stops right after the warning: nothing is started
    up = subprocess.run(
        [sys.executable, "-m", "bot.cli", "up"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120
    )
    assert up.returncode == 1 and "Rasa is not installed" in up.stderr
    assert ("CẢNH BÁO: TROLYSO_USER_SALT" in up.stderr) is (host == "0.0.0.0")
