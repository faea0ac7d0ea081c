"""Index persistence and incremental update, with a counting fake embedder (the real model is tested in
test_embedding.py); the logic under test is what gets embedded, kept, replaced and saved."""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import bot.engine.index
from bot.engine.index import KnowledgeIndex
from bot.engine.manifest import CURRENT, current_folder, read_manifest
from tests.conftest import write


class CountingEmbedder:
    def __init__(self):
        self.passages: list[str] = []

    def encode_passages(self, texts, batch_size=16, progress=False):
        self.passages.extend(texts)
        out = []
        for t in texts:
            seed = int(hashlib.sha1(t.encode()).hexdigest()[:8], 16)
            v = np.random.default_rng(seed).normal(size=384).astype("float32")
            out.append(v / np.linalg.norm(v))
        return np.stack(out)


def doc(title: str, body: str, topics: str = "[DVC]") -> str:
    return f"---\ntitle: {title}\nkind: explainer\ntopics: {topics}\n---\n{body}\n"


@pytest.fixture
def kdir(tmp_path: Path) -> Path:
    root = tmp_path / "knowledge"
    write(root / "explainers" / "a.md", doc("Tài liệu A", "## Một\nNội dung một.\n## Hai\nNội dung hai."))
    write(root / "explainers" / "b.md", doc("Tài liệu B", "## Ba\nNội dung ba."))
    return root


def test_build_save_load_roundtrip(kdir: Path, tmp_path: Path):
    emb = CountingEmbedder()
    idx, rep = KnowledgeIndex.update(kdir, emb)
    assert (rep.files, rep.chunks, rep.chunks_embedded) == (2, 3, 3)
    idx.save(tmp_path / "index")
    loaded = KnowledgeIndex.load(tmp_path / "index")
    assert [c.id for c in loaded.chunks] == [c.id for c in idx.chunks]
    assert np.allclose(loaded.vectors, idx.vectors)
    assert loaded.faiss.ntotal == 3
    assert loaded.bm25 is not None
    # The saved folder holds one version and the pointer to it, nothing half-written.
    assert sorted(p.name for p in (tmp_path / "index").iterdir()) == [
        "CURRENT",
        current_folder(tmp_path / "index").name,
    ]


def test_unchanged_folder_embeds_nothing(kdir: Path):
    emb = CountingEmbedder()
    idx, _ = KnowledgeIndex.update(kdir, emb)
    emb.passages.clear()
    idx2, rep = KnowledgeIndex.update(kdir, emb, idx)
    assert rep.files_changed == 0 and rep.chunks_embedded == 0 and emb.passages == []
    assert len(idx2) == 3


def test_only_changed_sections_are_embedded(kdir: Path):
    emb = CountingEmbedder()
    idx, _ = KnowledgeIndex.update(kdir, emb)
    emb.passages.clear()
    write(kdir / "explainers" / "a.md", doc("Tài liệu A", "## Một\nNội dung một.\n## Hai\nNội dung hai đã sửa."))
    write(kdir / "explainers" / "c.md", doc("Tài liệu C", "## Bốn\nNội dung bốn."))
    (kdir / "explainers" / "b.md").unlink()
    idx2, rep = KnowledgeIndex.update(kdir, emb, idx)
    assert rep.files_changed == 2 and rep.files_removed == 1
    assert rep.chunks_embedded == 2
    assert any("đã sửa" in p for p in emb.passages) and any("bốn" in p for p in emb.passages)
    assert {c.path for c in idx2.chunks} == {"explainers/a.md", "explainers/c.md"}
    # vectors stay aligned with their chunks
    for c, v in zip(idx2.chunks, idx2.vectors, strict=True):
        assert np.allclose(v, CountingEmbedder().encode_passages([c.passage()])[0])


def test_broken_file_keeps_last_good_version(kdir: Path):
    emb = CountingEmbedder()
    idx, _ = KnowledgeIndex.update(kdir, emb)
    write(kdir / "explainers" / "b.md", "---\ntitle: B\nkind: explainer\ntopics: [DVC\n---\nHỏng.\n")
    write(kdir / "explainers" / "new-broken.md", "no front matter here")
    idx2, rep = KnowledgeIndex.update(kdir, emb, idx)
    assert sorted(e.path for e in rep.errors) == ["explainers/b.md", "explainers/new-broken.md"]
    assert any(c.text == "Nội dung ba." for c in idx2.chunks), "the last good version of b.md keeps serving"
    assert idx2.manifest["files"]["explainers/b.md"]["stale"] is True
    assert [str(e) for e in idx2.errors] == [str(e) for e in rep.errors]
    # once fixed, the file is indexed again and the error is gone
    write(kdir / "explainers" / "b.md", doc("Tài liệu B", "## Ba\nNội dung ba, bản mới."))
    (kdir / "explainers" / "new-broken.md").unlink()
    idx3, rep3 = KnowledgeIndex.update(kdir, emb, idx2)
    assert not rep3.errors and not idx3.errors
    assert any(c.text == "Nội dung ba, bản mới." for c in idx3.chunks)


def test_load_missing_index_says_what_to_do(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="trolyso index"):
        KnowledgeIndex.load(tmp_path / "nothing")


def test_readers_never_see_a_missing_or_half_saved_index(kdir: Path, tmp_path: Path):
    """The watcher saves while the console and other processes load: every load gets a whole index."""
    idx, _ = KnowledgeIndex.update(kdir, CountingEmbedder())
    index_dir = tmp_path / "index"
    idx.save(index_dir)
    done = threading.Event()
    saves = []

    def keep_saving():
        while not done.is_set() and len(saves) < 200:
            idx.save(index_dir)
            saves.append(1)

    writer = threading.Thread(target=keep_saving)
    writer.start()
    loads = 0
    try:
        while writer.is_alive() and loads < 2000:
            loaded = KnowledgeIndex.load(index_dir)
            assert len(loaded.chunks) == 3 and loaded.vectors.shape == (3, 384)
            assert read_manifest(index_dir)["files"]
            loads += 1
    finally:
        done.set()
        writer.join()
    assert loads > 10 and len(saves) > 10


def test_replaced_versions_are_pruned_after_a_while(kdir: Path, tmp_path: Path, monkeypatch):
    idx, _ = KnowledgeIndex.update(kdir, CountingEmbedder())
    index_dir = tmp_path / "index"
    for _ in range(4):
        idx.save(index_dir)
    assert len([p for p in index_dir.iterdir() if p.is_dir()]) == 4  # replaced seconds ago: kept for readers
    (index_dir / ".v1-1.tmp").mkdir()  # a save that crashed long ago
    os.utime(index_dir / ".v1-1.tmp", (1, 1))
    monkeypatch.setattr(bot.engine.index, "PRUNE_AFTER_SECONDS", 0)
    time.sleep(0.01)
    idx.save(index_dir)
    left = sorted(p.name for p in index_dir.iterdir())
    assert len(left) == 3 and left[0] == CURRENT  # the current version and the one before
    assert current_folder(index_dir).name in left
    assert len(KnowledgeIndex.load(index_dir).chunks) == 3


def test_an_index_saved_by_an_earlier_release_loads_and_is_migrated(kdir: Path, tmp_path: Path):
    idx, _ = KnowledgeIndex.update(kdir, CountingEmbedder())
    index_dir = tmp_path / "index"
    idx.save(tmp_path / "staging")
    shutil.copytree(current_folder(tmp_path / "staging"), index_dir)  # the flat layout: files in index/
    assert not (index_dir / CURRENT).exists()
    assert len(KnowledgeIndex.load(index_dir).chunks) == 3
    assert read_manifest(index_dir)["files"]
    idx.save(index_dir)
    assert not (index_dir / "manifest.json").exists()
    assert len(KnowledgeIndex.load(index_dir).chunks) == 3


def test_a_damaged_pointer_says_what_to_do(kdir: Path, tmp_path: Path):
    idx, _ = KnowledgeIndex.update(kdir, CountingEmbedder())
    idx.save(tmp_path / "index")
    (tmp_path / "index" / CURRENT).write_text("../../etc\n", encoding="utf-8")
    with pytest.raises(FileNotFoundError, match="trolyso index"):
        KnowledgeIndex.load(tmp_path / "index")
    assert read_manifest(tmp_path / "index") == {}
