"""End to end: a resident's place in a guide survives a restart. Rasa keeps conversations in its SQL tracker store
(bot/stack.py writes it into <data dir>/endpoints.yml): a SQLite file in the data directory by default, the store's
PostgreSQL database when TROLYSO_DATABASE_URL names one; with TROLYSO_REDIS_URL Rasa's lock store is Redis.

A resident walks the VNeID activation guide to step 2; Rasa is killed (SIGKILL, as a crash) and started again with
the same endpoints — or the whole stack is stopped and started — and the button the resident still has on screen
("Tiếp theo") brings step 3, then typing "tiếp" step 4. With Rasa's in-memory tracker store the conversation
starts from nothing after the restart and step 3 never comes. Needs `.venv-rasa` and the trained model (`make test`
sets TROLYSO_E2E=1); the PostgreSQL + Redis run needs their server binaries (`make postgres redis`).
"""

from __future__ import annotations

import os
import signal
import time
import uuid

import pytest
from sqlalchemy import create_engine, text

from bot.engine.guides import GuideLibrary
from bot.stack import Stack
from connectors.rasa_client import RasaClient
from tests import pg, redis_server
from tests.conftest import E2E, running_stack

pytestmark = E2E

needs_servers = pytest.mark.skipif(
    (not pg.available() or not redis_server.available()) and os.environ.get("TROLYSO_E2E") != "1",
    reason="PostgreSQL and Redis server binaries are installed by `make test` (make postgres redis)",
)


class Resident:
    def __init__(self, client: RasaClient):
        self.client = client
        self.id = f"restart-{uuid.uuid4().hex[:8]}"
        self.replies: list = []

    def say(self, message: str) -> str:
        self.replies = self.client.send(self.id, message)
        assert self.replies, f"no reply to {message!r}"
        return "\n".join(r.text for r in self.replies)

    def tap(self, title: str) -> str:
        payloads = [b["payload"] for r in self.replies for b in r.buttons if b["title"] == title]
        assert payloads, f"no button {title!r} in {[b['title'] for r in self.replies for b in r.buttons]}"
        return self.say(payloads[0])


def restart_rasa(stack: Stack) -> float:
    """Kill Rasa (SIGKILL: no chance to flush anything) and start it again, same argv and environment; returns the
    seconds from the kill until it answers again."""
    [rasa] = [s for s in stack.services if s.name == "rasa"]
    assert rasa.process is not None
    t0 = time.monotonic()
    os.killpg(rasa.process.pid, signal.SIGKILL)
    rasa.process.wait()
    Stack([rasa], stack.log_dir).start(echo=lambda *_: None)  # the same Service: the stack still stops it
    return time.monotonic() - t0


def restart_everything(stack: Stack) -> float:
    t0 = time.monotonic()
    stack.stop()
    stack.start(echo=lambda *_: None)
    return time.monotonic() - t0


def walk_restart_and_go_on(run, restart) -> tuple[str, float]:
    guide = GuideLibrary(run["knowledge"]).get("guides/vneid-kich-hoat.md")
    assert len(guide.steps) >= 4
    r = Resident(RasaClient(run["config"].rasa_url, timeout=60, token=run["config"].rasa_token))
    r.say("/flow_vneid")
    assert guide.step(1).text in r.tap(guide.button)
    assert f"Bước 2/{len(guide.steps)}" in r.tap("Tiếp theo")
    seconds = restart(run["stack"])
    after = r.tap("Tiếp theo")  # the button still on the resident's screen from before the restart
    assert f"Bước 3/{len(guide.steps)}. {guide.step(3).title}" in after, f"not step 3 after the restart: {after!r}"
    assert f"Bước 4/{len(guide.steps)}. {guide.step(4).title}" in r.say("tiếp")
    return r.id, seconds


def test_rasa_killed_and_restarted_the_resident_goes_on_at_the_next_step_sqlite(tmp_path, settings):
    with running_stack(tmp_path, settings) as run:
        resident, seconds = walk_restart_and_go_on(run, restart_rasa)
        tracker_db = run["data"] / "rasa_tracker.db"
        engine = create_engine(f"sqlite:///{tracker_db}")
        with engine.connect() as conn:
            n = conn.execute(text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": resident}).scalar_one()
        engine.dispose()
        assert n > 0
    print(f"Rasa restart (kill to answering): {seconds:.1f} s")


@needs_servers
def test_the_whole_stack_restarted_on_postgresql_and_redis_the_resident_goes_on_at_the_next_step(tmp_path, settings):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from bot.store.migrate import include_name, state
    from bot.store.schema import metadata

    server = pg.PostgresServer().start()
    redis = redis_server.RedisServer().start()
    try:
        env = {"TROLYSO_DATABASE_URL": server.url, "TROLYSO_REDIS_URL": redis.url}
        with running_stack(tmp_path, settings, env=env) as run:
            commands = int(redis.command("INFO", "stats").split("total_commands_processed:")[1].split()[0])
            resident, seconds = walk_restart_and_go_on(run, restart_everything)
            after = int(redis.command("INFO", "stats").split("total_commands_processed:")[1].split()[0])
            assert after - commands > 10, "Rasa's lock store did not use Redis"
            assert not (run["data"] / "rasa_tracker.db").exists()
        engine = create_engine(server.url)
        with engine.connect() as conn:
            n = conn.execute(text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": resident}).scalar_one()
            context = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": include_name})
            assert compare_metadata(context, metadata) == []  # Rasa's table beside ours is no difference
        assert n > 0 and state(engine).kind == "head"
        engine.dispose()
    finally:
        redis.stop()
        server.stop()
    print(f"whole stack restart: {seconds:.1f} s")
