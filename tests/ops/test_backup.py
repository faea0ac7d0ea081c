"""`trolyso backup` / `trolyso restore`: a store with rows, the knowledge folder and a small index are backed up and
restored into a fresh data dir; rows, question texts and the index come back, an old backup comes up at the
migration head, and a data dir that already holds data is not overwritten without --force. The `model` test
answers a question from the restored shipped index; the PostgreSQL test runs pg_dump / pg_restore against a
throw-away server."""

from __future__ import annotations

import shutil
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bot.config import Settings
from bot.ops.backup import BackupError, backup, pg_bin, restore
from bot.store import Store, connect
from bot.store.migrate import SchemaKind, head, state
from bot.store.schema import feedback, handoffs, questions
from tests import pg
from tests.conftest import write
from tests.engine.test_index import CountingEmbedder, doc

QUESTION = "Đăng ký VNeID mức 2 ở đâu? số 0912345678"


def fill(store: Store) -> None:
    """Console history: questions (one with a masked phone number), feedback, a hand-off."""
    first = store.record_question(
        QUESTION, channel="zalo-oa", user_id="u1", answered=False, reason="no_match", score=0.2
    )
    second = store.record_question(
        "Bình dân học vụ số là gì",
        channel="web",
        user_id="u2",
        answered=True,
        reason="answered",
        score=0.9,
        sources=[{"title": "BDHVS"}],
    )
    store.record_feedback(second, True, "câu trả lời")
    store.request_handoff("zalo-oa:u1", channel="zalo-oa", context=f"hỏi {first}")


def counts(url: str) -> dict[str, int]:
    engine = connect(url)
    try:
        with engine.connect() as conn:
            return {
                t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in (questions, feedback, handoffs)
            }
    finally:
        engine.dispose()


@pytest.fixture
def installed(tmp_path: Path) -> Settings:
    """A data dir with a store holding rows, a knowledge folder and a two-file index (fake vectors)."""
    from bot.engine.index import KnowledgeIndex

    knowledge = tmp_path / "knowledge"
    write(knowledge / "explainers" / "a.md", doc("Tài liệu A", "## Một\nNội dung một.\n## Hai\nNội dung hai."))
    write(knowledge / "explainers" / "b.md", doc("Tài liệu B", "## Ba\nNội dung ba."))
    settings = Settings.from_env({"TROLYSO_DATA_DIR": str(tmp_path / "data"), "TROLYSO_KNOWLEDGE_DIR": str(knowledge)})
    fill(Store(settings.database_url))
    index, _ = KnowledgeIndex.update(knowledge, CountingEmbedder())
    index.save(settings.index_dir)
    return settings


def fresh(tmp_path: Path, name: str = "fresh") -> Settings:
    return Settings.from_env(
        {"TROLYSO_DATA_DIR": str(tmp_path / name / "data"), "TROLYSO_KNOWLEDGE_DIR": str(tmp_path / name / "kn")}
    )


def test_backup_then_restore_into_a_fresh_data_dir(installed, tmp_path):
    from bot.engine.index import KnowledgeIndex

    done = backup(installed, tmp_path / "backups")
    assert done.path.name.startswith("trolyso-backup-") and done.path.name.endswith(".tar.gz")
    manifest = done.manifest
    assert manifest["database"] | {"file": None} == {"kind": "sqlite", "file": None, "revision": head(), "head": head()}
    assert manifest["knowledge_files"] == 2 and manifest["index"]["files"] == 2
    with tarfile.open(done.path) as tar:  # only the served version of the index
        names = tar.getnames()
    assert sum(n.endswith("/manifest.json") and "/index/" in n for n in names) == 1

    target = fresh(tmp_path)
    restored, migrated, _ = restore(target, done.path)
    assert restored["created_at"] == manifest["created_at"] and "nothing to do" in migrated
    assert (
        counts(target.database_url) == counts(installed.database_url) == {"questions": 2, "feedback": 1, "handoffs": 1}
    )
    store = Store(target.database_url)
    assert store.question(1).text == "Đăng ký VNeID mức 2 ở đâu? số ********78"
    assert [f["question"] for f in store.feedback_rows()] == ["Bình dân học vụ số là gì"]
    assert sorted(p.name for p in (target.knowledge_dir / "explainers").iterdir()) == ["a.md", "b.md"]
    index = KnowledgeIndex.load(target.index_dir)
    assert [c.id for c in index.chunks] == [c.id for c in KnowledgeIndex.load(installed.index_dir).chunks]


def test_an_old_backup_comes_up_at_head(installed, tmp_path):
    from alembic import command

    from bot.store.migrate import alembic_config

    engine = connect(installed.database_url)
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0002")
    engine.dispose()
    done = backup(installed, tmp_path / "backups")
    assert done.manifest["database"]["revision"] == "0002"
    target = fresh(tmp_path)
    _, migrated, _ = restore(target, done.path)
    assert "upgraded from revision 0002" in migrated
    engine = connect(target.database_url)
    assert state(engine).kind == SchemaKind.HEAD
    engine.dispose()
    assert counts(target.database_url)["questions"] == 2


def test_restore_refuses_a_data_dir_with_data_unless_forced(installed, tmp_path):
    done = backup(installed, tmp_path / "backups")
    target = fresh(tmp_path)
    (target.data_dir / "models").mkdir(parents=True)  # what `make setup` leaves there does not count
    restore(target, done.path)
    Store(target.database_url).record_question(
        "câu mới", channel="web", user_id="u", answered=False, reason="no_match", score=0.1
    )
    with pytest.raises(BackupError, match="already holds data"):
        restore(target, done.path)
    assert counts(target.database_url)["questions"] == 3  # untouched
    restore(target, done.path, force=True)
    assert counts(target.database_url)["questions"] == 2
    [aside] = target.data_dir.glob("before-restore-*")
    assert counts(f"sqlite:///{aside / 'trolyso.db'}")["questions"] == 3  # what was replaced is kept


def test_a_damaged_backup_is_refused(installed, tmp_path):
    done = backup(installed, tmp_path / "backups")
    unpacked = tmp_path / "unpacked"
    with tarfile.open(done.path) as tar:
        tar.extractall(unpacked, filter="data")
    [root] = unpacked.iterdir()
    (root / "knowledge" / "explainers" / "a.md").write_text("sửa", encoding="utf-8")
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(damaged, "w:gz") as tar:
        tar.add(root, arcname=root.name)
    target = fresh(tmp_path)
    with pytest.raises(BackupError, match="knowledge/explainers/a.md is damaged"):
        restore(target, damaged)
    assert not (target.data_dir / "trolyso.db").exists()


def test_trolyso_backup_and_restore_commands(installed, tmp_path, monkeypatch):
    from bot.cli import main

    monkeypatch.chdir(tmp_path)
    env = {"TROLYSO_DATA_DIR": str(installed.data_dir), "TROLYSO_KNOWLEDGE_DIR": str(installed.knowledge_dir)}
    result = CliRunner(env=env).invoke(main, ["backup", "--to", str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    [archive] = (tmp_path / "b").glob("*.tar.gz")
    assert f"backup: {archive} (" in result.output and f"database sqlite at revision {head()}" in result.output
    result = CliRunner(env=env).invoke(main, ["restore", str(archive)])
    assert result.exit_code == 1 and "already holds data" in result.output
    env["TROLYSO_KNOWLEDGE_DIR"] = str(tmp_path / "kn2")
    result = CliRunner(env=env).invoke(main, ["restore", str(archive), "--data-dir", str(tmp_path / "d2")])
    assert result.exit_code == 0, result.output
    assert counts(f"sqlite:///{tmp_path / 'd2' / 'trolyso.db'}")["questions"] == 2
    assert (tmp_path / "kn2" / "explainers" / "a.md").is_file()


def test_answers_from_the_restored_index(settings, shipped_index, embedder, engine, tmp_path):
    """Back up a data dir serving the shipped knowledge, restore it elsewhere, and answer from what came back."""
    from bot.engine.answer import AnswerEngine
    from bot.engine.index import KnowledgeIndex

    data = tmp_path / "data"
    shutil.copytree(settings.index_dir, data / "index")
    source = Settings.from_env({"TROLYSO_DATA_DIR": str(data), "TROLYSO_KNOWLEDGE_DIR": str(settings.knowledge_dir)})
    fill(Store(source.database_url))
    done = backup(source, tmp_path / "backups")
    target = fresh(tmp_path)
    restore(target, done.path)
    restored = AnswerEngine(KnowledgeIndex.load(target.index_dir), embedder)
    question = "Bình dân học vụ số là gì"
    answer = restored.ask(question)
    assert answer.answered and answer.text == engine.ask(question).text
    assert Store(target.database_url).question(1).text == "Đăng ký VNeID mức 2 ở đâu? số ********78"


@pytest.mark.skipif(
    not (pg.available() and pg_bin("pg_dump") and pg_bin("pg_restore")),
    reason="needs the PostgreSQL server and client binaries (make test installs them)",
)
def test_backup_and_restore_on_postgresql(tmp_path):
    from sqlalchemy import create_engine, text

    server = pg.PostgresServer().start()
    try:
        admin = create_engine(server.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text('CREATE DATABASE "restored"'))
        admin.dispose()
        knowledge = tmp_path / "knowledge"
        write(knowledge / "explainers" / "a.md", doc("Tài liệu A", "## Một\nNội dung một."))
        source = Settings.from_env(
            {
                "TROLYSO_DATA_DIR": str(tmp_path / "data"),
                "TROLYSO_KNOWLEDGE_DIR": str(knowledge),
                "TROLYSO_DATABASE_URL": server.url,
            }
        )
        fill(Store(source.database_url))
        done = backup(source, tmp_path / "backups")
        assert done.manifest["database"]["kind"] == "postgresql" and done.manifest["database"]["revision"] == head()
        restored_url = server.url.rsplit("/", 1)[0] + "/restored"
        target = Settings.from_env(
            {
                "TROLYSO_DATA_DIR": str(tmp_path / "d2"),
                "TROLYSO_KNOWLEDGE_DIR": str(tmp_path / "k2"),
                "TROLYSO_DATABASE_URL": restored_url,
            }
        )
        restore(target, done.path)
        assert counts(restored_url) == {"questions": 2, "feedback": 1, "handoffs": 1}
        assert Store(restored_url).question(1).text == "Đăng ký VNeID mức 2 ở đâu? số ********78"
        with pytest.raises(BackupError, match="already holds data"):
            restore(target, done.path)
        restore(target, done.path, force=True)  # pg_restore --clean over the existing tables
        assert counts(restored_url)["questions"] == 2
    finally:
        server.stop()
