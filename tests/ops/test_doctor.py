"""`trolyso doctor` on a temporary data dir described by an environment mapping: a healthy setup passes, and each
broken part gives its own failing line (and exit 1 from the command)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.ops.doctor import Status, diagnose, failed
from tests.conftest import free_port, write

PLAN = """---
title: Kế hoạch chuyển đổi số xã Mường Mùn
kind: plan
topics: [PLAN]
issuer: UBND xã Mường Mùn
locality: "xã Mường Mùn, tỉnh Điện Biên"
---
## Mục tiêu
Mỗi thôn có một Tổ công nghệ số cộng đồng.
"""


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A healthy installation: database at head, an index, the model's files, a Rasa model, the commune's plan."""
    from bot.store import Store

    data = tmp_path / "data"
    Store(f"sqlite:///{data / 'trolyso.db'}").engine.dispose()
    write(data / "index" / "v1" / "manifest.json", json.dumps({"files": {"plans/muong-mun.md": {}}, "built_at": "x"}))
    write(data / "index" / "CURRENT", "v1\n")
    for name in ("modules.json", "config.json", "model.safetensors", "tokenizer.json"):
        write(data / "models" / "e5-small" / name, "{}")
    write(tmp_path / "models" / "trolyso.tar.gz", "rasa")
    write(tmp_path / "knowledge" / "plans" / "muong-mun.md", PLAN)
    return {
        "TROLYSO_DATA_DIR": str(data),
        "TROLYSO_KNOWLEDGE_DIR": str(tmp_path / "knowledge"),
        "TROLYSO_RASA_MODEL": str(tmp_path / "models" / "trolyso.tar.gz"),
        "TROLYSO_COMMUNE": "muong-mun",
        "TROLYSO_USER_SALT": "a-long-random-secret",
        "TROLYSO_GATEWAY_PORT": str(free_port()),
        "TROLYSO_RASA_PORT": str(free_port()),
        "TROLYSO_ACTIONS_PORT": str(free_port()),
    }


def failing(checks) -> list[str]:
    return [c.line() for c in checks if c.status == Status.FAIL]


def test_a_healthy_installation_passes(env):
    checks = diagnose(env)
    assert failing(checks) == [] and not failed(checks)
    assert all(c.status == Status.OK for c in checks), [c.line() for c in checks]
    lines = "\n".join(c.line() for c in checks)
    assert "OK   Cơ sở dữ liệu: đã nâng cấp (" in lines and " / database migrated" in lines
    assert 'muong-mun khớp kế hoạch "xã Mường Mùn, tỉnh Điện Biên"' in lines


def test_a_database_behind_head(env, tmp_path):
    from alembic import command

    from bot.store import connect
    from bot.store.migrate import alembic_config, head

    engine = connect(f"sqlite:///{tmp_path / 'data' / 'trolyso.db'}")
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0002")
    engine.dispose()
    [line] = failing(diagnose(env))
    assert line.startswith(f"FAIL Cơ sở dữ liệu: cần nâng cấp (0002 → {head()})") and "trolyso db upgrade" in line


def test_no_database_file_is_reported_and_not_created(env, tmp_path):
    (tmp_path / "data" / "trolyso.db").unlink()
    [line] = failing(diagnose(env))
    assert "Cơ sở dữ liệu: chưa có tệp" in line
    assert not (tmp_path / "data" / "trolyso.db").exists()


def test_a_missing_index(env, tmp_path):
    (tmp_path / "data" / "index" / "CURRENT").unlink()
    assert failing(diagnose(env)) == [
        f"FAIL Chỉ mục kiến thức: chưa có trong {tmp_path / 'data' / 'index'} (chạy `trolyso index`) / index missing"
    ]


def test_missing_models(env, tmp_path):
    (tmp_path / "data" / "models" / "e5-small" / "model.safetensors").unlink()
    (tmp_path / "models" / "trolyso.tar.gz").unlink()
    lines = failing(diagnose(env))
    assert len(lines) == 2
    assert "Mô hình nhúng: thiếu model.safetensors" in lines[0] and lines[0].endswith("embedding model missing")
    assert lines[1].endswith("/ Rasa model missing")


def test_a_commune_without_a_plan(env):
    [line] = failing(diagnose(env | {"TROLYSO_COMMUNE": "con-cuong"}))
    assert "TROLYSO_COMMUNE=con-cuong không khớp kế hoạch nào" in line and "(muong-mun)" in line


def test_the_default_salt_on_every_interface(env):
    env = {k: v for k, v in env.items() if k != "TROLYSO_USER_SALT"}
    assert failing(diagnose(env)) == []  # loopback: the default is tolerated (a warning)
    [line] = failing(diagnose(env | {"TROLYSO_HOST": "0.0.0.0"}))
    assert "TROLYSO_USER_SALT: đang là giá trị mặc định công khai" in line and "(0.0.0.0)" in line


def test_a_port_taken_by_another_program(env):
    with socket.socket() as other:
        other.bind(("127.0.0.1", int(env["TROLYSO_RASA_PORT"])))
        other.listen()
        [line] = failing(diagnose(env))
    assert line == f"FAIL Cổng {env['TROLYSO_RASA_PORT']} (Rasa): đang bị chương trình khác dùng / Rasa port " + (
        f"{env['TROLYSO_RASA_PORT']} is used by another program"
    )


def test_channel_tokens_and_settings_errors(env):
    [line] = failing(diagnose(env | {"TELEGRAM_BOT_TOKEN": "42:T"}))
    assert "Kênh Telegram: có mã nhưng chưa đặt TELEGRAM_WEBHOOK_URL" in line
    [line] = failing(diagnose(env | {"ZALO_OA_APP_ID": "1", "ZALO_OA_SECRET_KEY": "k"}))
    assert "Kênh Zalo OA: thiếu ZALO_APP_SECRET, ZALO_OA_REFRESH_TOKEN" in line
    [check] = diagnose(env | {"TELEGRAM_WEBHOOK_URL": "https://x/telegram", "TELEGRAM_BOT_TOKEN": "42:T"})
    assert check.status == Status.FAIL and "TELEGRAM_SECRET_TOKEN is empty" in check.vi


def test_the_webhook_is_asked_only_online(env):
    from tests.fakes import FakeTelegram

    with FakeTelegram(token="42:TEST") as tg:
        env = env | {
            "TELEGRAM_BOT_TOKEN": "42:TEST",
            "TELEGRAM_API_BASE": tg.url,
            "TELEGRAM_WEBHOOK_URL": "https://xa.example/telegram/webhook",
            "TELEGRAM_SECRET_TOKEN": "s" * 32,
        }
        offline = diagnose(env)
        assert [c.status for c in offline if "Webhook" in c.vi] == [Status.SKIP] and not failed(offline)
        [line] = failing(diagnose(env, online=True))
        assert "Webhook Telegram: nền tảng gửi tới (không có), không phải https://xa.example" in line
        tg.webhook_url = "https://xa.example/telegram/webhook"
        checks = diagnose(env, online=True)
        assert not failed(checks)
        assert "OK   Webhook Telegram: nền tảng đang gửi tới https://xa.example/telegram/webhook" in [
            c.line().split(" / ")[0] for c in checks
        ]


def test_trolyso_doctor_prints_a_line_per_check_and_exits_1_on_a_failure(env, tmp_path, monkeypatch):
    from bot.cli import main

    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    result = CliRunner(env=env).invoke(main, ["doctor"])
    assert result.exit_code == 0, result.output
    assert len(result.output.splitlines()) == len(diagnose(env))
    (tmp_path / "data" / "index" / "CURRENT").unlink()
    result = CliRunner(env=env).invoke(main, ["doctor"])
    assert result.exit_code == 1 and "FAIL Chỉ mục kiến thức" in result.output
