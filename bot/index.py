"""The search index over knowledge/: chunks, their vectors (faiss), and a BM25 index over folded text.

Build outputs live in `<data dir>/index/`. Updating is incremental: a file whose bytes did not change keeps
its chunks and vectors; a changed file is re-chunked and only chunks with new text are embedded. A file that
breaks keeps serving its last good chunks (and the error is reported) until it is fixed or deleted.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np
from rank_bm25 import BM25Okapi

from .embedding import DIM, MODEL_NAME, Embedder
from .knowledge import Chunk, KnowledgeError, iter_knowledge_files, load_file
from .text import search_tokens

FORMAT_VERSION = 2


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
        return (f"{self.files} files, {self.files_changed} changed, {self.files_removed} removed; "
                f"{self.chunks} chunks, {self.chunks_embedded} embedded; {len(self.errors)} errors; "
                f"{self.seconds:.1f}s")


class KnowledgeIndex:
    """Chunks + vectors + faiss + BM25, with the manifest that makes updates incremental."""

    def __init__(self, chunks: list[Chunk], vectors: np.ndarray, manifest: dict,
                 heading_vectors: np.ndarray | None = None):
        self.chunks = chunks
        self.vectors = vectors.astype("float32").reshape(-1, DIM)
        self.heading_vectors = (heading_vectors if heading_vectors is not None else vectors).astype("float32").reshape(-1, DIM)
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
    def empty(cls) -> "KnowledgeIndex":
        return cls([], np.zeros((0, DIM), "float32"), {"version": FORMAT_VERSION, "model": MODEL_NAME, "files": {}},
                   np.zeros((0, DIM), "float32"))

    @classmethod
    def load(cls, index_dir: Path) -> "KnowledgeIndex":
        index_dir = Path(index_dir)
        manifest_path = index_dir / "manifest.json"
        if not manifest_path.is_file():
            raise FileNotFoundError(f"no index in {index_dir}: run 'trolyso index' first")
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if manifest.get("version") != FORMAT_VERSION or manifest.get("model") != MODEL_NAME:
            raise FileNotFoundError(f"the index in {index_dir} was built by another version: run 'trolyso index'")
        chunks = [Chunk.from_dict(json.loads(line)) for line in
                  (index_dir / "chunks.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
        vectors = np.load(index_dir / "vectors.npy")
        heading_vectors = np.load(index_dir / "heading_vectors.npy")
        if not len(vectors) == len(heading_vectors) == len(chunks):
            raise FileNotFoundError(f"the index in {index_dir} is inconsistent: run 'trolyso index'")
        return cls(chunks, vectors, manifest, heading_vectors)

    def save(self, index_dir: Path) -> None:
        """Write to a fresh folder, then swap it in, so a reader never sees half an index."""
        index_dir = Path(index_dir)
        tmp = index_dir.with_name(index_dir.name + ".new")
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
        with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as fh:
            for c in self.chunks:
                fh.write(json.dumps(c.to_dict(), ensure_ascii=False) + "\n")
        np.save(tmp / "vectors.npy", self.vectors)
        np.save(tmp / "heading_vectors.npy", self.heading_vectors)
        faiss.write_index(self.faiss, str(tmp / "dense.faiss"))
        (tmp / "manifest.json").write_text(json.dumps(self.manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        old = index_dir.with_name(index_dir.name + ".old")
        if old.exists():
            shutil.rmtree(old)
        if index_dir.exists():
            index_dir.rename(old)
        tmp.rename(index_dir)
        if old.exists():
            shutil.rmtree(old)

    # --- building ---------------------------------------------------------------------------------
    @classmethod
    def update(cls, knowledge_dir: Path, embedder: Embedder, previous: "KnowledgeIndex | None" = None,
               progress: bool = False) -> tuple["KnowledgeIndex", UpdateReport]:
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
        now = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")

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
                files[rel] = {"sha256": sha, "indexed_at": (prev or {}).get("indexed_at"),
                              "checked_at": now, "chunks": len(kept), "title": (prev or {}).get("title"),
                              "errors": [e.__dict__ for e in errors], "stale": bool(kept)}
                continue
            chunks.extend(new_chunks)
            files[rel] = {"sha256": sha, "indexed_at": now, "checked_at": now, "chunks": len(new_chunks),
                          "title": new_chunks[0].title if new_chunks else "", "errors": []}
        report.files_removed = len(set(prev_files) - seen)

        todo: dict[str, str] = {}
        for c in chunks:
            if c.digest not in cache:
                todo[c.digest] = c.passage()
            if c.heading_digest not in cache:
                todo[c.heading_digest] = c.heading()
        if todo:
            keys = list(todo)
            for key, v in zip(keys, embedder.encode_passages([todo[k] for k in keys], progress=progress)):
                cache[key] = v
        report.chunks_embedded = sum(1 for c in chunks if c.digest in todo)
        empty = np.zeros((0, DIM), "float32")
        vectors = np.stack([cache[c.digest] for c in chunks]) if chunks else empty
        heading_vectors = np.stack([cache[c.heading_digest] for c in chunks]) if chunks else empty
        manifest = {"version": FORMAT_VERSION, "model": MODEL_NAME, "built_at": now, "files": files}
        report.chunks = len(chunks)
        report.seconds = time.perf_counter() - start
        return cls(chunks, vectors, manifest, heading_vectors), report
