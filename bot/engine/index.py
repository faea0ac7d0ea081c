"""The search index over knowledge/: chunks, their vectors (faiss), and a BM25 index over folded text.

Build outputs live in `<data dir>/index/`. Updating is incremental: a file whose bytes did not change keeps
its chunks and vectors; a changed file is re-chunked and only chunks with new text are embedded. A file that
breaks keeps serving its last good chunks (and the error is reported) until it is fixed or deleted.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import faiss
import numpy as np
from rank_bm25 import BM25Okapi

from bot.clock import utcnow
from bot.engine.embedding import DIM, MODEL_NAME, Embedder
from bot.engine.knowledge import Chunk, KnowledgeError, iter_knowledge_files, load_file
from bot.engine.manifest import CURRENT, current_folder, read_current
from bot.text import search_tokens

FORMAT_VERSION = 2
T = TypeVar("T")
PRUNE_AFTER_SECONDS = 60  # a replaced version stays this long for readers still on it
LEGACY_FILES = {"manifest.json", "chunks.jsonl", "vectors.npy", "heading_vectors.npy", "dense.faiss"}


def _prune(index_dir: Path, keep: set[str]) -> None:
    """Remove versions replaced over PRUNE_AFTER_SECONDS ago, and writes a crash left behind."""
    now = time.time()
    versions = sorted((_written_at(p), p) for p in index_dir.iterdir() if p.is_dir() and p.name.startswith("v"))
    for (_, path), (replaced_at, _) in itertools.pairwise(versions):  # replaced when the next one was written
        if path.name not in keep and now - replaced_at > PRUNE_AFTER_SECONDS:
            shutil.rmtree(path, ignore_errors=True)
    for path in index_dir.glob(".*.tmp"):
        if now - path.stat().st_mtime > PRUNE_AFTER_SECONDS:
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)


def _written_at(folder: Path) -> float:
    """A version folder's time, from its name (v<time_ns>-<pid>); its mtime if the name is not one of ours."""
    try:
        return int(folder.name[1:].split("-")[0]) / 1e9
    except ValueError:
        return folder.stat().st_mtime


def _fsync(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


@dataclass
class UpdateReport:
    files: int = 0
    files_changed: int = 0
    files_removed: int = 0
    chunks: int = 0
    chunks_embedded: int = 0
    errors: list[KnowledgeError] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"{self.files} files, {self.files_changed} changed, {self.files_removed} removed; "
            f"{self.chunks} chunks, {self.chunks_embedded} embedded; {len(self.errors)} errors; "
            f"{self.seconds:.1f}s"
        )


class KnowledgeIndex:
    """Chunks + vectors + faiss + BM25, with the manifest that makes updates incremental."""

    def __init__(
        self, chunks: list[Chunk], vectors: np.ndarray, manifest: dict, heading_vectors: np.ndarray | None = None
    ):
        self.chunks = chunks
        self.vectors = vectors.astype("float32").reshape(-1, DIM)
        self.heading_vectors = (
            (heading_vectors if heading_vectors is not None else vectors).astype("float32").reshape(-1, DIM)
        )
        self.manifest = manifest
        self.faiss = faiss.IndexFlatIP(DIM)
        if len(chunks):
            self.faiss.add(self.vectors)
        self._bm25_tokens = [search_tokens(c.passage()) for c in chunks]
        self.bm25 = BM25Okapi(self._bm25_tokens) if chunks else None

    def __len__(self) -> int:
        return len(self.chunks)

    @property
    def errors(self) -> list[KnowledgeError]:
        return [KnowledgeError(**e) for f in self.manifest.get("files", {}).values() for e in f.get("errors", [])]

    # --- persistence -------------------------------------------------------------------------------
    @classmethod
    def empty(cls) -> KnowledgeIndex:
        return cls(
            [],
            np.zeros((0, DIM), "float32"),
            {"version": FORMAT_VERSION, "model": MODEL_NAME, "files": {}},
            np.zeros((0, DIM), "float32"),
        )

    @classmethod
    def load(cls, index_dir: Path) -> KnowledgeIndex:
        """The index saved in index_dir, read from the one version its CURRENT pointer names.

        A save never changes a version folder a reader may be reading: it writes a new one and moves the
        pointer. Should the folder be pruned while this load reads it, the load starts again.
        """
        index_dir = Path(index_dir)
        return read_current(index_dir, lambda folder: cls._load_folder(index_dir, folder))

    @classmethod
    def _load_folder(cls, index_dir: Path, folder: Path) -> KnowledgeIndex:
        manifest_path = folder / "manifest.json"
        if not manifest_path.is_file():
            raise FileNotFoundError(f"no index in {index_dir}: run 'trolyso index' first")
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if manifest.get("version") != FORMAT_VERSION or manifest.get("model") != MODEL_NAME:
            raise FileNotFoundError(f"the index in {index_dir} was built by another version: run 'trolyso index'")
        chunks = [
            Chunk.from_dict(json.loads(line))
            for line in (folder / "chunks.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
        vectors = np.load(folder / "vectors.npy")
        heading_vectors = np.load(folder / "heading_vectors.npy")
        if not len(vectors) == len(heading_vectors) == len(chunks):
            raise FileNotFoundError(f"the index in {index_dir} is inconsistent: run 'trolyso index'")
        return cls(chunks, vectors, manifest, heading_vectors)

    def save(self, index_dir: Path) -> None:
        """Write a new version folder, then point CURRENT at it with one atomic rename.

        Readers never see half an index and never find the index missing. The previous version is kept, and
        any other for PRUNE_AFTER_SECONDS after it was replaced (a reader may still be reading it).
        """
        index_dir = Path(index_dir)
        index_dir.mkdir(parents=True, exist_ok=True)
        name = f"v{time.time_ns()}-{os.getpid()}"
        tmp = index_dir / f".{name}.tmp"
        tmp.mkdir()
        with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as fh:
            for c in self.chunks:
                fh.write(json.dumps(c.to_dict(), ensure_ascii=False) + "\n")
        np.save(tmp / "vectors.npy", self.vectors)
        np.save(tmp / "heading_vectors.npy", self.heading_vectors)
        faiss.write_index(self.faiss, str(tmp / "dense.faiss"))
        (tmp / "manifest.json").write_text(json.dumps(self.manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        for path in tmp.iterdir():
            _fsync(path)
        tmp.rename(index_dir / name)
        previous = current_folder(index_dir)
        pointer = index_dir / f".{CURRENT}.{name}.tmp"
        pointer.write_text(name + "\n", encoding="utf-8")
        _fsync(pointer)
        os.replace(pointer, index_dir / CURRENT)
        _prune(index_dir, keep={name, previous.name})
        for legacy in LEGACY_FILES:  # the flat layout of earlier releases, now replaced
            (index_dir / legacy).unlink(missing_ok=True)

    # --- building ---------------------------------------------------------------------------------
    @classmethod
    def update(
        cls, knowledge_dir: Path, embedder: Embedder, previous: KnowledgeIndex | None = None, progress: bool = False
    ) -> tuple[KnowledgeIndex, UpdateReport]:
        """Bring the index up to date with knowledge_dir, embedding only new chunk texts."""
        start = time.perf_counter()
        knowledge_dir = Path(knowledge_dir)
        previous = previous or cls.empty()
        prev_files = previous.manifest.get("files", {})
        by_path: dict[str, list[int]] = {}
        for i, c in enumerate(previous.chunks):
            by_path.setdefault(c.path, []).append(i)
        cache = {c.digest: previous.vectors[i] for i, c in enumerate(previous.chunks)}
        cache.update({c.heading_digest: previous.heading_vectors[i] for i, c in enumerate(previous.chunks)})
        now = utcnow().isoformat(timespec="seconds")

        report = UpdateReport()
        chunks: list[Chunk] = []
        files: dict[str, dict] = {}
        seen: set[str] = set()
        for path in iter_knowledge_files(knowledge_dir):
            rel = path.relative_to(knowledge_dir).as_posix()
            seen.add(rel)
            report.files += 1
            sha = hashlib.sha256(path.read_bytes()).hexdigest()
            prev = prev_files.get(rel)
            if prev and prev.get("sha256") == sha and not prev.get("errors"):
                chunks.extend(previous.chunks[i] for i in by_path.get(rel, []))
                files[rel] = prev
                continue
            report.files_changed += 1
            new_chunks, errors = load_file(path, knowledge_dir)
            if errors:
                report.errors.extend(errors)
                kept = [previous.chunks[i] for i in by_path.get(rel, [])]
                chunks.extend(kept)  # the last good version keeps serving
                files[rel] = {
                    "sha256": sha,
                    "indexed_at": (prev or {}).get("indexed_at"),
                    "checked_at": now,
                    "chunks": len(kept),
                    "title": (prev or {}).get("title"),
                    "errors": [e.__dict__ for e in errors],
                    "stale": bool(kept),
                }
                continue
            chunks.extend(new_chunks)
            files[rel] = {
                "sha256": sha,
                "indexed_at": now,
                "checked_at": now,
                "chunks": len(new_chunks),
                "title": new_chunks[0].title if new_chunks else "",
                "errors": [],
            }
        report.files_removed = len(set(prev_files) - seen)

        todo: dict[str, str] = {}
        for c in chunks:
            if c.digest not in cache:
                todo[c.digest] = c.passage()
            if c.heading_digest not in cache:
                todo[c.heading_digest] = c.heading()
        if todo:
            keys = list(todo)
            for key, v in zip(keys, embedder.encode_passages([todo[k] for k in keys], progress=progress), strict=True):
                cache[key] = v
        report.chunks_embedded = sum(1 for c in chunks if c.digest in todo)
        empty = np.zeros((0, DIM), "float32")
        vectors = np.stack([cache[c.digest] for c in chunks]) if chunks else empty
        heading_vectors = np.stack([cache[c.heading_digest] for c in chunks]) if chunks else empty
        manifest = {"version": FORMAT_VERSION, "model": MODEL_NAME, "built_at": now, "files": files}
        report.chunks = len(chunks)
        report.seconds = time.perf_counter() - start
        return cls(chunks, vectors, manifest, heading_vectors), report
