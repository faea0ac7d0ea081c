"""Where the served index is: `<data dir>/index/` holds version folders and a `CURRENT` file naming the one
served, swapped with one atomic rename (bot/engine/index.py writes them). Reading the pointer and the manifest
needs no faiss or numpy, so the console (in the gateway process) reads what is served from here.
Standard library and filelock only."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from filelock import FileLock

T = TypeVar("T")
CURRENT = "CURRENT"  # names the version folder inside the index dir that readers load


def current_folder(index_dir: Path) -> Path:
    """The folder holding the index now served from index_dir (the dir itself for the old flat layout)."""
    index_dir = Path(index_dir)
    try:
        name = (index_dir / CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return index_dir
    if not name or "/" in name or name.startswith("."):
        raise FileNotFoundError(f"the index pointer {index_dir / CURRENT} is damaged: run 'trolyso index'")
    return index_dir / name


def read_current(index_dir: Path, read: Callable[[Path], T]) -> T:
    """read(folder) on the version now served; if that version was pruned mid-read, again on the new one."""
    index_dir = Path(index_dir)
    for attempt in range(5):
        folder = current_folder(index_dir)
        try:
            return read(folder)
        except FileNotFoundError:
            if attempt == 4 or current_folder(index_dir) == folder:
                raise
    raise AssertionError("unreachable")


def read_manifest(index_dir: Path) -> dict:
    """The manifest (files, chunks, errors, built_at) of the index now served, or {} if there is none."""
    try:
        return read_current(
            index_dir, lambda folder: json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        )
    except (OSError, ValueError):
        return {}


def index_lock(index_dir: Path) -> FileLock:
    """The lock every writer of index_dir holds while it reads, updates and saves (CLI and watcher)."""
    return FileLock(str(Path(index_dir).parent / "index.lock"))
