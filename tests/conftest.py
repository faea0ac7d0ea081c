from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def settings():
    from bot.config import Settings

    old = os.getcwd()
    os.chdir(ROOT)
    try:
        return Settings.from_env()
    finally:
        os.chdir(old)


@pytest.fixture(scope="session")
def embedder(settings):
    from bot.embedding import Embedder

    return Embedder(settings.model_dir)


@pytest.fixture(scope="session")
def shipped_index(settings, embedder):
    """The index over the shipped knowledge/ (incrementally brought up to date, as `make test` does)."""
    from bot.index import KnowledgeIndex

    try:
        previous = KnowledgeIndex.load(settings.index_dir)
    except FileNotFoundError:
        previous = None
    index, report = KnowledgeIndex.update(settings.knowledge_dir, embedder, previous)
    if report.chunks_embedded:
        index.save(settings.index_dir)
    return index


@pytest.fixture
def store(tmp_path):
    from bot.store import Store

    return Store(f"sqlite:///{tmp_path / 'test.db'}")


@pytest.fixture
def engine(shipped_index, embedder, store):
    from bot.answer import AnswerEngine

    return AnswerEngine(shipped_index, embedder, store)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
