"""`trolyso up`'s services (bot/stack.py) as argv, without starting them: Rasa and the action server stay on the
internal interface whatever interface the gateway serves."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import Settings, SettingsError
from bot.stack import Stack, StackConfig, StackError, build_services, salt_warning, scale_warnings

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


RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"


def endpoints_of(tmp_path: Path, **env: str) -> tuple[dict, dict[str, str]]:
    """Rasa's generated endpoints.yml, parsed, and the environment `trolyso up` gives Rasa."""
    import yaml

    rasa = services(tmp_path, **env)["rasa"]
    path = Path(flag(rasa.argv, "--endpoints"))
    assert path == tmp_path / "endpoints.yml"
    return yaml.safe_load(path.read_text(encoding="utf-8")), rasa.env


def test_rasa_keeps_conversations_in_a_sqlite_file_of_the_data_dir_and_locks_in_memory_by_default(tmp_path):
    endpoints, env = endpoints_of(tmp_path)
    assert endpoints["action_endpoint"] == {"url": "http://127.0.0.1:5055/webhook"}
    assert endpoints["tracker_store"] == {"type": "SQL", "url": "${TROLYSO_RASA_TRACKER_URL}"}
    assert env["TROLYSO_RASA_TRACKER_URL"] == f"sqlite:///{tmp_path / 'rasa_tracker.db'}"
    assert "lock_store" not in endpoints  # Rasa's in-memory lock: one Rasa process


@pytest.mark.parametrize(
    "url", ["postgresql+psycopg://u:p%40ss@db.example:5433/trolyso", "postgresql://u:p%40ss@db.example:5433/trolyso"]
)
def test_with_postgresql_rasa_keeps_conversations_in_the_same_database_through_psycopg2(tmp_path, url):
    endpoints, env = endpoints_of(tmp_path, TROLYSO_DATABASE_URL=url)
    assert env["TROLYSO_RASA_TRACKER_URL"] == "postgresql+psycopg2://u:p%40ss@db.example:5433/trolyso"
    assert "p%40ss" not in (tmp_path / "endpoints.yml").read_text(encoding="utf-8")  # the password stays in env
    assert not (tmp_path / "rasa_tracker.db").exists()


def test_with_redis_rasa_locks_conversations_there_the_password_only_in_its_environment(tmp_path):
    endpoints, env = endpoints_of(tmp_path, TROLYSO_REDIS_URL="redis://:s%2Fcret@10.0.0.5:6380/2")
    assert endpoints["lock_store"] == {
        "type": "redis",
        "url": "10.0.0.5",
        "port": 6380,
        "db": 2,
        "password": "${TROLYSO_RASA_REDIS_PASSWORD}",
    }
    assert env["TROLYSO_RASA_REDIS_PASSWORD"] == "s/cret"
    endpoints, env = endpoints_of(tmp_path, TROLYSO_REDIS_URL="rediss://127.0.0.1")
    assert endpoints["lock_store"] == {"type": "redis", "url": "127.0.0.1", "port": 6379, "db": 0, "use_ssl": True}
    assert "TROLYSO_RASA_REDIS_PASSWORD" not in env


@pytest.mark.parametrize("url", ["127.0.0.1:6379", "http://127.0.0.1:6379", "redis://", "redis://h:port/0"])
def test_a_redis_address_that_is_not_one_is_refused(tmp_path, url):
    with pytest.raises(SettingsError, match="TROLYSO_REDIS_URL"):
        Settings.from_env({"TROLYSO_DATA_DIR": str(tmp_path), "TROLYSO_REDIS_URL": url})


@pytest.mark.process
@pytest.mark.skipif(not RASA_PYTHON.exists(), reason="needs .venv-rasa (make rasa-env)")
def test_rasa_reads_the_generated_endpoints_and_opens_its_sqlite_tracker_and_redis_lock_store(tmp_path):
    """Rasa 3.6's own readers: ${VAR} interpolated, a SQLTrackerStore that saves and reads back a conversation in
    the data dir's SQLite file, a RedisLockStore (connected lazily: no server needed)."""
    _, env = endpoints_of(tmp_path, TROLYSO_REDIS_URL="redis://:pw@127.0.0.1:6390/3")
    code = """
import asyncio, sys
from rasa.core.lock_store import LockStore, RedisLockStore
from rasa.core.tracker_store import SQLTrackerStore, create_tracker_store
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config

endpoints = sys.argv[1]
lock = LockStore.create(read_endpoint_config(endpoints, "lock_store"))
assert isinstance(lock, RedisLockStore), lock
kwargs = lock.red.connection_pool.connection_kwargs
assert (kwargs["port"], kwargs["db"], kwargs["password"]) == (6390, 3, "pw"), kwargs
domain = Domain.load("domain.yml")
store = create_tracker_store(read_endpoint_config(endpoints, "tracker_store"), domain)
assert isinstance(store, SQLTrackerStore), store
tracker = DialogueStateTracker("resident-1", domain.slots)
tracker.update(UserUttered("xin chào"))
asyncio.run(store.save(tracker))
again = create_tracker_store(read_endpoint_config(endpoints, "tracker_store"), domain)
print(asyncio.run(again.retrieve("resident-1")).latest_message.text)
"""
    run = subprocess.run(
        [str(RASA_PYTHON), "-c", code, str(tmp_path / "endpoints.yml")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **env, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"},
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.strip().endswith("xin chào")
    assert (tmp_path / "rasa_tracker.db").exists()


# --- `trolyso up --workers N` ---------------------------------------------------------------------------------------


def layout(tmp_path: Path, workers: int = 1, counts: tuple[int, int, int] = (0, 0, 0), **env: str):
    import yaml

    tmp_path.mkdir(exist_ok=True)
    rasa_bin, model = tmp_path / "rasa", tmp_path / "model.tar.gz"
    rasa_bin.touch()
    model.touch()
    settings = Settings.from_env(
        {"TROLYSO_DATA_DIR": str(tmp_path), "TROLYSO_RASA_BIN": str(rasa_bin), "TROLYSO_RASA_MODEL": str(model), **env}
    )
    config = StackConfig.from_settings(settings, workers=workers)
    config.actions_workers, config.rasa_workers, config.gateway_workers = counts
    built = build_services(config, settings)
    endpoints = {
        s.name: yaml.safe_load(Path(flag(s.argv, "--endpoints")).read_text(encoding="utf-8"))
        for s in built
        if s.name.startswith("rasa")
    }
    return built, endpoints, config, settings


def test_one_worker_is_the_layout_of_today(tmp_path):
    built, endpoints, config, _ = layout(tmp_path, TROLYSO_REDIS_URL="redis://127.0.0.1:6379/0")
    assert [s.name for s in built] == ["actions", "rasa", "gateway"]
    assert flag(built[1].argv, "--endpoints") == str(tmp_path / "endpoints.yml")
    assert not list(tmp_path.glob("endpoints-*.yml"))
    gateway = built[2].env
    assert gateway["TROLYSO_RASA_URL"] == gateway["TROLYSO_RASA_URLS"] == "http://127.0.0.1:5005"
    assert "TELEGRAM_POLLING" not in gateway and "TROLYSO_EVAL_ON_CHANGE" not in built[0].env
    assert [len(b) for b in Stack(built, tmp_path).batches()] == [1, 1, 1]


def test_n_workers_run_n_of_each_kind_on_consecutive_ports_rasa_i_calling_action_server_i(tmp_path):
    built, endpoints, config, _ = layout(
        tmp_path, 3, TROLYSO_REDIS_URL="redis://127.0.0.1:6379/0", TROLYSO_ACTIONS_METRICS_PORT="9100"
    )
    names = [s.name for s in built]
    assert names == [f"{k}-{i}" for k in ("actions", "rasa", "gateway") for i in range(3)]
    by = {s.name: s for s in built}
    assert [flag(by[f"actions-{i}"].argv, "--port") for i in range(3)] == ["5055", "5056", "5057"]
    assert [flag(by[f"rasa-{i}"].argv, "--port") for i in range(3)] == ["5005", "5006", "5007"]
    assert [flag(by[f"gateway-{i}"].argv, "--port") for i in range(3)] == ["8000", "8001", "8002"]
    assert [flag(by[f"rasa-{i}"].argv, "--endpoints") for i in range(3)] == [
        str(tmp_path / f"endpoints-{i}.yml") for i in range(3)
    ]
    assert [endpoints[f"rasa-{i}"]["action_endpoint"]["url"] for i in range(3)] == [
        f"http://127.0.0.1:{5055 + i}/webhook" for i in range(3)
    ]
    assert all(e["lock_store"]["type"] == "redis" and e["tracker_store"]["type"] == "SQL" for e in endpoints.values())
    assert by["rasa-2"].health_url == "http://127.0.0.1:5007/webhooks/rest/"
    urls = "http://127.0.0.1:5005,http://127.0.0.1:5006,http://127.0.0.1:5007"
    for i in range(3):
        gateway = by[f"gateway-{i}"]
        assert gateway.env["TROLYSO_RASA_URLS"] == urls and gateway.health_url == f"http://127.0.0.1:{8000 + i}/healthz"
        assert Settings.from_env(gateway.env).rasa_urls == tuple(urls.split(","))
        # one gateway polls the platforms, one action server runs the question sets after a knowledge change
        assert ("TELEGRAM_POLLING" in gateway.env) is (i > 0) and ("ZALO_BOT_POLLING" in gateway.env) is (i > 0)
        assert (by[f"actions-{i}"].env.get("TROLYSO_EVAL_ON_CHANGE") == "0") is (i > 0)
    assert [by[f"actions-{i}"].env.get("TROLYSO_ACTIONS_METRICS_PORT") for i in range(3)] == [None, "9101", "9102"]
    tokens = {s.env["TROLYSO_RASA_TOKEN"] for s in built if not s.name.startswith("actions")}
    assert len(tokens) == 1
    assert [[s.name for s in b] for b in Stack(built, tmp_path).batches()] == [names[0:3], names[3:6], names[6:9]]


def test_other_counts_per_kind_share_the_action_servers_round_robin(tmp_path):
    """The fault test's layout: 2 action servers, 3 Rasa, 2 gateways."""
    built, endpoints, _, _ = layout(tmp_path, counts=(2, 3, 2), TROLYSO_REDIS_URL="redis://127.0.0.1:6379/0")
    assert [s.name for s in built] == ["actions-0", "actions-1", "rasa-0", "rasa-1", "rasa-2", "gateway-0", "gateway-1"]
    assert [endpoints[f"rasa-{i}"]["action_endpoint"]["url"] for i in range(3)] == [
        "http://127.0.0.1:5055/webhook",
        "http://127.0.0.1:5056/webhook",
        "http://127.0.0.1:5055/webhook",
    ]


def test_several_rasa_processes_need_redis_and_sqlite_is_warned_about(tmp_path):
    with pytest.raises(StackError, match="TROLYSO_REDIS_URL"):
        layout(tmp_path, 2)
    _, _, config, settings = layout(tmp_path, 2, TROLYSO_REDIS_URL="redis://127.0.0.1:6379/0")
    [warning] = scale_warnings(config, settings)
    assert "SQLite" in warning and "PostgreSQL" in warning
    _, _, config, settings = layout(
        tmp_path / "pg",
        2,
        TROLYSO_REDIS_URL="redis://127.0.0.1:6379/0",
        TROLYSO_DATABASE_URL="postgresql://u:p@db/trolyso",
    )
    assert scale_warnings(config, settings) == []
    _, _, config, settings = layout(tmp_path / "one")
    assert scale_warnings(config, settings) == []


def test_rasa_urls_and_the_queue_lease_are_settings(tmp_path):
    base = {"TROLYSO_DATA_DIR": str(tmp_path)}
    one = Settings.from_env({**base, "TROLYSO_RASA_URL": "http://10.0.0.1:5005/"})
    assert one.rasa_urls == ("http://10.0.0.1:5005",) and one.queue_lease_seconds == 120.0
    many = Settings.from_env({**base, "TROLYSO_RASA_URLS": " http://a:5005, http://b:5005/ ,http://a:5005"})
    assert many.rasa_urls == ("http://a:5005", "http://b:5005")
    assert Settings.from_env({**base, "TROLYSO_QUEUE_LEASE_SECONDS": "10"}).queue_lease_seconds == 10.0
    with pytest.raises(SettingsError, match="TROLYSO_RASA_URLS"):
        Settings.from_env({**base, "TROLYSO_RASA_URLS": "a:5005"})
    with pytest.raises(SettingsError, match="TROLYSO_QUEUE_LEASE_SECONDS"):
        Settings.from_env({**base, "TROLYSO_QUEUE_LEASE_SECONDS": "0"})
