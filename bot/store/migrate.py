"""The store's schema migrations (Alembic, bot/store/migrations/): which revision a database is at, and bringing
it to the head revision (`trolyso db upgrade`).

A database is in one of these states:
  empty    none of our tables: `upgrade` creates them all (the Store does this by itself, so a first start and
           the tests need no extra step);
  legacy   made by release 0.1 (commit 33191b6): its tables, no alembic_version. `upgrade` recognises it, keeps
           every row, runs the baseline on it (adding only a table that release never created there), then
           the later revisions;
  behind   at an older revision: `upgrade` runs the missing revisions;
  head     what this code needs;
  unknown  at a revision this code does not know (written by a newer version): nothing is done.

Only one process migrates at a time: a file lock beside a SQLite database, a transaction-scoped advisory lock on
PostgreSQL (the migration runs in that transaction: PostgreSQL rolls the DDL back if it fails). Whoever waited
looks at the state again once it holds the lock.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from filelock import FileLock
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version"
# every table release 0.1 could create (it had no migrations): one of them and no alembic_version = legacy
RELEASE_0_1_TABLES = frozenset(
    {
        "questions",
        "feedback",
        "handoffs",
        "subscriptions",
        "users",
        "sessions",
        "question_groups",
        "group_members",
        "news",
        "news_deliveries",
        "inbox",
        "outbox",
        "shown_options",
        "channel_tokens",
    }
)
# tables other programs keep in the same database, never ours to create, alter or drop: Rasa's SQL tracker store
# (bot/stack.py gives it the store's PostgreSQL database; Rasa creates `events` itself)
FOREIGN_TABLES = frozenset({"events"})
PG_LOCK_KEY = zlib.crc32(b"trolyso-schema-migration")
_memory_lock = threading.Lock()  # an in-memory SQLite database has no file to put a lock beside

UPGRADE_HINT = (
    "Stop the services, back up the database (the data folder, or pg_dump), then run `trolyso db upgrade`.\n"
    "Cơ sở dữ liệu cần được nâng cấp: hãy dừng dịch vụ, sao lưu dữ liệu (thư mục dữ liệu hoặc pg_dump), "
    "rồi chạy `trolyso db upgrade`."
)


class SchemaKind(StrEnum):
    """Where a database stands against this code's migrations (the module docstring says what each means)."""

    EMPTY = "empty"
    LEGACY = "legacy"
    BEHIND = "behind"
    HEAD = "head"
    UNKNOWN = "unknown"


class SchemaError(RuntimeError):
    """The database is not at the schema this code needs (and is not empty, so it is not migrated silently)."""


@dataclass(frozen=True)
class SchemaState:
    revision: str | None  # the alembic_version row, None if there is none
    head: str
    kind: SchemaKind

    def describe(self) -> str:
        return {
            SchemaKind.EMPTY: "empty",
            SchemaKind.LEGACY: "a release 0.1 database, not under migrations yet",
            SchemaKind.BEHIND: f"at revision {self.revision}, behind the head {self.head}",
            SchemaKind.HEAD: f"at revision {self.revision} (head)",
            SchemaKind.UNKNOWN: f"at revision {self.revision}, unknown to this version (its head is {self.head})",
        }[self.kind]


def summary(before: SchemaState, after: SchemaState) -> str:
    """One line on what `upgrade` did."""
    if before.kind == SchemaKind.HEAD:
        return f"database {after.describe()}: nothing to do"
    if before.kind == SchemaKind.EMPTY:
        return f"database created: now {after.describe()}"
    if before.kind == SchemaKind.LEGACY:
        return f"release 0.1 database recognised and upgraded, every row kept: now {after.describe()}"
    return f"database upgraded from revision {before.revision}: now {after.describe()}"


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, in code (no alembic.ini): the scripts folder and the connection to migrate."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's `include_name` hook: schema comparisons (autogenerate, the tests) leave FOREIGN_TABLES out."""
    return not (type_ == "table" and name in FOREIGN_TABLES)


@functools.cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    """The revision this code needs."""
    found = _scripts().get_current_head()
    if found is None:
        raise RuntimeError(f"no migration scripts in {MIGRATIONS_DIR / 'versions'}")
    return found


def _read_state(conn: Connection) -> SchemaState:
    tables = set(inspect(conn).get_table_names())
    revision = None
    if VERSION_TABLE in tables:
        revision = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
    top = head()
    if revision is None:
        kind = SchemaKind.LEGACY if tables & RELEASE_0_1_TABLES else SchemaKind.EMPTY
    elif revision == top:
        kind = SchemaKind.HEAD
    else:
        try:
            known = _scripts().get_revision(revision) is not None
        except CommandError:
            known = False
        kind = SchemaKind.BEHIND if known else SchemaKind.UNKNOWN
    return SchemaState(revision, top, kind)


def state(engine: Engine) -> SchemaState:
    with engine.connect() as conn:
        return _read_state(conn)


def current(engine: Engine) -> str | None:
    """The database's revision (None: empty, or a release 0.1 database not yet upgraded)."""
    return state(engine).revision


@contextlib.contextmanager
def _locked(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that only one process (and thread) at a time gets, per database."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_LOCK_KEY})
            yield conn  # the lock goes with the transaction: at commit or rollback
        return
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        lock: contextlib.AbstractContextManager = _memory_lock
    else:
        lock = FileLock(f"{database}.migrate.lock")
    with lock, engine.begin() as conn:
        yield conn


def _schema_error(st: SchemaState, engine: Engine) -> SchemaError:
    where = engine.url.render_as_string(hide_password=True)
    if st.kind == SchemaKind.UNKNOWN:
        return SchemaError(
            f"The database {where} is at revision {st.revision}, which this version of trolyso does not know "
            f"(it needs {st.head}): it was upgraded by a newer version. Run that version, or restore the backup "
            "made before that upgrade.\n"
            f"Cơ sở dữ liệu đã được nâng cấp bởi một phiên bản mới hơn ({st.revision}): hãy chạy phiên bản đó "
            "hoặc khôi phục bản sao lưu."
        )
    return SchemaError(
        f"The database {where} is {st.describe()}; this version needs revision {st.head}.\n" + UPGRADE_HINT
    )


def upgrade(engine: Engine) -> tuple[SchemaState, SchemaState]:
    """Bring the database to the head revision (a release 0.1 database is recognised and taken under migrations
    first); returns the states before and after. Safe to run again and from several processes at once."""
    with _locked(engine) as conn:
        before = _read_state(conn)
        if before.kind == SchemaKind.UNKNOWN:
            raise _schema_error(before, engine)
        if before.kind != SchemaKind.HEAD:
            command.upgrade(alembic_config(conn), "head")
        after = _read_state(conn)
    return before, after


def ensure(engine: Engine) -> None:
    """What the Store checks when it opens a database: at head, go on; empty, create the schema (upgrade to
    head); anything else raises SchemaError, since that needs the operator (back up, `trolyso db upgrade`)."""
    if state(engine).kind == SchemaKind.HEAD:
        return
    with _locked(engine) as conn:
        st = _read_state(conn)  # another process may have just done it
        if st.kind == SchemaKind.EMPTY:
            command.upgrade(alembic_config(conn), "head")
        elif st.kind != SchemaKind.HEAD:
            raise _schema_error(st, engine)


def upgrade_database(url: str) -> tuple[SchemaState, SchemaState]:
    """`upgrade` on the database at `url` (what `trolyso db upgrade` and `trolyso up` run); SchemaError as upgrade."""
    from bot.store import connect

    engine = connect(url)
    try:
        return upgrade(engine)
    finally:
        engine.dispose()
