"""Schema migrations: a new database is created at the head revision; a database made by release 0.1 (commit
33191b6, fixture in tests/store/fixtures/, made by make_release_db.py with that release's code) is refused by
the Store until `trolyso db upgrade` recognises it and upgrades it, every row kept; the migrated schema equals
bot/store/schema.py. On SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import datetime as _dt
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    func,
    select,
    text,
)

from bot.store import SchemaError, Store, connect
from bot.store.migrate import FOREIGN_TABLES, RELEASE_0_1_TABLES, head, include_name, state, upgrade
from bot.store.schema import metadata
from tests import pg

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
RELEASE_DUMP = FIXTURES / "release-0.1.sql"
RELEASE_PG_DDL = FIXTURES / "release-0.1.postgresql.sql"

needs_pg = pytest.mark.skipif(
    not pg.available() and os.environ.get("TROLYSO_E2E") != "1",
    reason="PostgreSQL server binaries are installed by `make test` (make postgres)",
)


# --- helpers ---------------------------------------------------------------------------------------------------


def release_rows() -> dict[str, list[tuple]]:
    """Every row of the fixture, per table, as SQLite stores it (sorted)."""
    con = sqlite3.connect(":memory:")
    con.executescript(RELEASE_DUMP.read_text(encoding="utf-8"))
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    rows = {t: sorted(con.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}
    con.close()
    return rows


def legacy_sqlite(path: Path, drop: tuple[str, ...] = ()) -> str:
    """A SQLite database as release 0.1 left it (optionally without some of its tables)."""
    con = sqlite3.connect(path)
    con.executescript(RELEASE_DUMP.read_text(encoding="utf-8"))
    for table in drop:
        con.execute(f'DROP TABLE "{table}"')
    con.commit()
    con.close()
    return f"sqlite:///{path}"


def sqlite_rows(path: Path) -> dict[str, list[tuple]]:
    con = sqlite3.connect(path)
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    rows = {t: sorted(con.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}
    con.close()
    return rows


# Columns later revisions appended to release 0.1's tables, with the value an upgraded row gets: (name, value) in order
LATER_COLUMNS: dict[str, tuple[tuple[str, object], ...]] = {
    "inbox": (("kind", "text"), ("media_url", None)),  # 0004
}


def without_later_tables(rows: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    """The rows of release 0.1's tables; the tables later revisions added (audit_log, …) must be empty, and the
    columns they appended (LATER_COLUMNS) hold their defaults."""
    later = {t: rows[t] for t in set(rows) - RELEASE_0_1_TABLES}
    assert all(r == [] for r in later.values()), later
    kept = {}
    for t, table_rows in rows.items():
        if t not in RELEASE_0_1_TABLES:
            continue
        added = tuple(value for _, value in LATER_COLUMNS.get(t, ()))
        if added:
            assert all(r[-len(added) :] == added for r in table_rows), (t, table_rows)
            table_rows = [r[: -len(added)] for r in table_rows]
        kept[t] = table_rows
    return kept


def schema_differences(engine, ignore_foreign: bool = True) -> list:
    opts = {"compare_type": True, "compare_server_default": True}
    if ignore_foreign:
        opts["include_name"] = include_name  # as bot/store/migrations/env.py: Rasa's tracker store tables
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts=opts)
        return compare_metadata(context, metadata)


def add_rasa_tracker_table(engine) -> None:
    """The table Rasa 3.6's SQLTrackerStore creates in the database bot/stack.py gives it (rasa/core/tracker_store.py,
    SQLEvent), with its index."""
    rasa = MetaData()
    Table(
        "events",
        rasa,
        Column("id", Integer, primary_key=True),
        Column("sender_id", String(255), nullable=False, index=True),
        Column("type_name", String(255), nullable=False),
        Column("timestamp", Float),
        Column("intent_name", String(255)),
        Column("action_name", String(255)),
        Column("data", Text),
    )
    rasa.create_all(engine)


def version(engine) -> str:
    with engine.connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()


def open_at_once(url: str, processes: int = 6) -> None:
    """Several processes open the store on the same database at the same moment: none may fail."""
    start = time.time() + 2  # after every interpreter has started
    code = (
        "import sys, time\n"
        "from bot.store import Store\n"
        f"time.sleep(max(0, {start} - time.time()))\n"
        "Store(sys.argv[1]).record_question('x', channel='t', user_id='u', answered=True, reason='r', score=1)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen([sys.executable, "-c", code, url], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
        for _ in range(processes)
    ]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * processes, "\n".join(errors)


def check_release_values(store: Store) -> None:
    """A few values of the fixture read back through today's code."""
    q = store.question(1)
    assert q is not None and q.text == "Làm sao cài VNeID? số tôi ********78" and q.channel == "telegram"
    assert q.answered and q.sources[0]["path"] == "vneid/cai-dat.md" and abs(q.score - 0.82) < 1e-9
    assert q.asked_at.year >= 2026
    [fb] = store.feedback_rows()
    assert fb["helpful"] and fb["question"] == q.text
    assert {h["conversation_id"]: h["status"] for h in store.handoffs()} == {
        "telegram:101": "taken",
        "zalo-oa:202": "waiting",
    }
    assert {s["conversation_id"] for s in store.subscribers()} == {"telegram:101", "zalo-oa:202", "zalo-bot:404"}
    from bot.team.accounts import Accounts

    assert Accounts(store).login("lan", "mat-khau-cua-lan")  # the release's password hashes still verify
    # new rows get ids after the release's (sequences / rowids carry on)
    new = store.record_question("câu mới", channel="web", user_id="9", answered=False, reason="no_match", score=0)
    assert new == 5


# --- SQLite ----------------------------------------------------------------------------------------------------


def test_the_fixture_has_rows_in_every_table_release_0_1_had():
    rows = release_rows()
    assert set(rows) == RELEASE_0_1_TABLES
    assert RELEASE_0_1_TABLES <= set(metadata.tables)
    assert all(rows[t] for t in rows), [t for t in rows if not rows[t]]
    assert len(rows["questions"]) == 4 and len(rows["news_deliveries"]) == 3


def test_a_new_sqlite_database_is_created_at_head(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'new.db'}")
    assert version(store.engine) == head()
    assert state(store.engine).kind == "head"
    assert schema_differences(store.engine) == []
    Store(f"sqlite:///{tmp_path / 'new.db'}")  # opened again: nothing to do


def test_rasas_tracker_table_in_the_same_database_is_left_out_of_the_comparison(tmp_path):
    assert not FOREIGN_TABLES & set(metadata.tables), "a table of ours would collide with Rasa's tracker store"
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    engine = create_engine(url)
    add_rasa_tracker_table(engine)  # Rasa may start first: the database is still new to us
    assert state(engine).kind == "empty"
    store = Store(url)
    assert state(store.engine).kind == "head"
    assert schema_differences(store.engine) == []
    assert schema_differences(store.engine, ignore_foreign=False), "without the filter Rasa's table is a difference"


def test_a_release_database_is_refused_then_upgraded_with_every_row(tmp_path):
    path = tmp_path / "trolyso.db"
    url = legacy_sqlite(path)
    before = sqlite_rows(path)
    with pytest.raises(SchemaError) as refused:
        Store(url)
    message = str(refused.value)
    assert "release 0.1" in message and "trolyso db upgrade" in message and "sao lưu" in message
    assert sqlite_rows(path) == before  # refused: nothing written

    engine = connect(url)
    was, now = upgrade(engine)
    assert (was.kind, was.revision) == ("legacy", None)
    assert (now.kind, now.revision) == ("head", head())
    assert schema_differences(engine) == []
    after = sqlite_rows(path)
    assert after.pop("alembic_version") == [(head(),)]
    assert without_later_tables(after) == before == release_rows()
    assert upgrade(engine)[0].kind == "head"  # again: nothing to do
    engine.dispose()
    check_release_values(Store(url))


def test_tables_a_release_database_never_got_are_created(tmp_path):
    # release 0.1 created a module's tables only once a process had imported it
    path = tmp_path / "trolyso.db"
    url = legacy_sqlite(path, drop=("inbox", "outbox", "shown_options", "channel_tokens"))
    engine = connect(url)
    assert state(engine).kind == "legacy"
    upgrade(engine)
    assert schema_differences(engine) == []
    rows = sqlite_rows(path)
    assert rows["inbox"] == [] and rows["channel_tokens"] == []
    assert rows["questions"] == release_rows()["questions"]
    engine.dispose()


@pytest.mark.process
def test_a_database_from_a_newer_version_is_left_alone(tmp_path):
    url = f"sqlite:///{tmp_path / 'newer.db'}"
    store = Store(url)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff_future'"))
    with pytest.raises(SchemaError, match="newer version"):
        Store(url)
    with pytest.raises(SchemaError, match="ffff_future"):
        upgrade(store.engine)


def cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "db", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.process
def test_trolyso_db_upgrade_recognises_a_release_database_and_is_idempotent(tmp_path):
    path = tmp_path / "data" / "trolyso.db"
    path.parent.mkdir()
    url = legacy_sqlite(path)
    env = {"TROLYSO_DATA_DIR": str(tmp_path / "data"), "TROLYSO_DATABASE_URL": url}
    proc = cli(env, "current")
    assert proc.returncode == 0, proc.stderr
    assert "release 0.1" in proc.stdout and f"head:    {head()}" in proc.stdout
    first = cli(env, "upgrade")
    assert first.returncode == 0, first.stderr
    assert "release 0.1 database recognised" in first.stdout and head() in first.stdout
    again = cli(env, "upgrade")
    assert again.returncode == 0 and "nothing to do" in again.stdout
    quiet = cli(env, "upgrade", "--quiet")
    assert quiet.returncode == 0 and quiet.stdout == ""
    assert f"current: {head()}" in cli(env, "current").stdout
    rows = sqlite_rows(path)
    rows.pop("alembic_version")
    assert without_later_tables(rows) == release_rows()


@pytest.mark.process
def test_trolyso_db_upgrade_creates_a_new_database(tmp_path):
    env = {"TROLYSO_DATA_DIR": str(tmp_path / "fresh")}  # the default database URL: <data>/trolyso.db
    proc = cli(env, "upgrade")
    assert proc.returncode == 0, proc.stderr
    assert "created" in proc.stdout
    engine = connect(f"sqlite:///{tmp_path / 'fresh' / 'trolyso.db'}")
    assert version(engine) == head() and schema_differences(engine) == []
    engine.dispose()


def test_trolyso_up_upgrades_the_database_before_starting_the_services(tmp_path):
    from types import SimpleNamespace

    from bot.stack import upgrade_database

    url = legacy_sqlite(tmp_path / "trolyso.db")
    said: list[str] = []
    upgrade_database(SimpleNamespace(database_url=url), echo=said.append)
    assert len(said) == 1 and "release 0.1 database recognised" in said[0]
    upgrade_database(SimpleNamespace(database_url=url), echo=said.append)
    assert len(said) == 1  # nothing to do, nothing said
    check_release_values(Store(url))


@pytest.mark.process
def test_processes_opening_a_new_sqlite_database_at_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    open_at_once(url)
    store = Store(url)
    assert store.count_questions() == 6 and version(store.engine) == head()


def test_a_database_at_the_baseline_gets_the_audit_log_and_its_old_password_hashes_still_verify(tmp_path):
    from alembic import command

    from bot.store.migrate import alembic_config

    path = tmp_path / "trolyso.db"
    url = legacy_sqlite(path)
    engine = connect(url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0001")
    assert (state(engine).kind, state(engine).revision) == ("behind", "0001")
    with pytest.raises(SchemaError, match="trolyso db upgrade"):
        Store(url)
    upgrade(engine)
    assert state(engine).kind == "head" and schema_differences(engine) == []
    rows = sqlite_rows(path)
    assert rows.pop("alembic_version") == [(head(),)]
    assert without_later_tables(rows) == release_rows()
    engine.dispose()
    check_release_values(Store(url))  # release 0.1's n=2^14 hash logs in (and is replaced then)


def test_a_database_at_0003_with_messages_gets_message_kinds_and_keeps_its_rows(tmp_path):
    """0004: inbox rows already there become text messages without a link; channel_events starts empty."""
    from alembic import command

    from bot.store.migrate import alembic_config

    path = tmp_path / "trolyso.db"
    url = legacy_sqlite(path)
    engine = connect(url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0003")
    assert (state(engine).kind, state(engine).revision) == ("behind", "0003")
    before = sqlite_rows(path)["inbox"]
    upgrade(engine)
    assert state(engine).kind == "head" and schema_differences(engine) == []
    rows = sqlite_rows(path)
    assert [r[:-2] for r in rows["inbox"]] == before and len(before) == 2
    assert {r[-2:] for r in rows["inbox"]} == {("text", None)}
    assert rows["channel_events"] == []
    with engine.begin() as conn:  # a row written the old way (no kind) is a text message
        conn.execute(
            text(
                "INSERT INTO inbox (channel, platform_id, conversation_id, recipient, text, received_at, status, "
                "attempts, next_try_at) "
                "VALUES ('web', 'p', 'web:x', 'x', 'chào', '2026-12-01', 'done', 0, '2026-12-01')"
            )
        )
        assert conn.execute(text("SELECT kind FROM inbox WHERE platform_id = 'p'")).scalar_one() == "text"
    engine.dispose()


# --- PostgreSQL ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pg_server():
    server = pg.PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture
def pg_db(pg_server):
    """A new, empty database on the test server."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_server.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return pg_server.url.rsplit("/", 1)[0] + "/" + name


def pg_release_database(url: str) -> None:
    """Release 0.1 on PostgreSQL: the DDL its create_all ran, then the fixture's rows."""
    engine = create_engine(url)
    reflected = MetaData()
    with engine.begin() as conn:
        for statement in RELEASE_PG_DDL.read_text(encoding="utf-8").split(";\n"):
            if statement.strip():
                conn.exec_driver_sql(statement)
        reflected.reflect(conn)
        rows = release_rows()
        for table in reflected.sorted_tables:
            kinds = [c.type for c in table.columns]
            converted = []
            for row in rows[table.name]:
                values = {}
                for column, kind, value in zip(table.columns, kinds, row, strict=True):
                    if value is not None and isinstance(kind, DateTime):
                        value = _dt.datetime.fromisoformat(value).replace(tzinfo=_dt.UTC)
                    elif value is not None and isinstance(kind, Boolean):
                        value = bool(value)
                    elif value is not None and isinstance(kind, LargeBinary):
                        value = bytes(value)
                    values[column.name] = value
                converted.append(values)
            conn.execute(table.insert(), converted)
            if "id" in table.c:  # what the release's inserts left the SERIAL sequences at
                sequence = f"pg_get_serial_sequence('{table.name}', 'id')"
                conn.execute(text(f"SELECT setval({sequence}, (SELECT max(id) FROM {table.name}))"))
    engine.dispose()


def pg_rows(engine) -> dict[str, list[tuple]]:
    reflected = MetaData()
    with engine.connect() as conn:
        reflected.reflect(conn)
        return {t.name: sorted((tuple(r) for r in conn.execute(select(t))), key=repr) for t in reflected.sorted_tables}


@needs_pg
def test_a_new_postgresql_database_is_created_at_head(pg_db):
    store = Store(pg_db)
    assert version(store.engine) == head()
    assert schema_differences(store.engine) == []
    store.engine.dispose()


@needs_pg
def test_a_release_postgresql_database_is_refused_then_upgraded_with_every_row(pg_db):
    pg_release_database(pg_db)
    engine = connect(pg_db)
    before = pg_rows(engine)
    assert set(before) == RELEASE_0_1_TABLES
    assert {t: len(r) for t, r in before.items()} == {t: len(r) for t, r in release_rows().items()}
    with pytest.raises(SchemaError, match="trolyso db upgrade"):
        Store(pg_db)
    assert "alembic_version" not in pg_rows(engine)

    was, now = upgrade(engine)
    assert (was.kind, now.kind, now.revision) == ("legacy", "head", head())
    after = pg_rows(engine)
    assert after.pop("alembic_version") == [(head(),)]
    assert without_later_tables(after) == before
    assert schema_differences(engine) == []
    engine.dispose()
    store = Store(pg_db)
    check_release_values(store)
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(metadata.tables["group_members"])).scalar_one() == 2
    store.engine.dispose()


@needs_pg
@pytest.mark.process
def test_trolyso_db_upgrade_on_postgresql(pg_db, tmp_path):
    pg_release_database(pg_db)
    env = {"TROLYSO_DATA_DIR": str(tmp_path), "TROLYSO_DATABASE_URL": pg_db}
    first = cli(env, "upgrade")
    assert first.returncode == 0, first.stderr
    assert "release 0.1 database recognised" in first.stdout
    assert "nothing to do" in cli(env, "upgrade").stdout


@needs_pg
@pytest.mark.process
def test_processes_opening_a_new_postgresql_database_at_once(pg_db):
    open_at_once(pg_db)
    store = Store(pg_db)
    assert store.count_questions() == 6 and version(store.engine) == head()
    store.engine.dispose()


def test_switching_a_new_file_to_wal_waits_out_a_lock():
    """SQLite may answer "database is locked" at once, without its busy wait, to the switch to WAL while another
    process opens the same new file (seen once in CI: one of six processes failed). The switch is tried again."""
    import sqlite3

    from bot.store import _sqlite_pragmas

    class Cursor:
        def __init__(self, locked: int):
            self.locked, self.done = locked, []

        def execute(self, sql):
            if "journal_mode" in sql and self.locked:
                self.locked -= 1
                raise sqlite3.OperationalError("database is locked")
            self.done.append(sql)

        def close(self):
            pass

    class Connection:
        def __init__(self, locked: int):
            self.cur = Cursor(locked)

        def cursor(self):
            return self.cur

    conn = Connection(locked=3)
    _sqlite_pragmas(conn, None)
    assert "PRAGMA journal_mode=WAL" in conn.cur.done and "PRAGMA busy_timeout=10000" in conn.cur.done

    class Broken(Cursor):
        def execute(self, sql):
            raise sqlite3.OperationalError("disk I/O error")

    broken = Connection(0)
    broken.cur = Broken(0)
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        _sqlite_pragmas(broken, None)
