"""Index versions on disk: build beside the current one, then switch over atomically.

Layout of ``index/<name>/``::

    CURRENT            name of the live version folder (replaced atomically)
    v-<time>/          complete versions: manifest.json, store.sqlite, vectors.faiss, lexical/
    .building-<time>/  a build in progress (left behind only by a killed build; removed later)
    .lock              held while a build runs
"""
from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

logger = logging.getLogger(__name__)

CURRENT = "CURRENT"
MANIFEST = "manifest.json"


def current_version(index_path: Path) -> Path | None:
    """The live version folder, or None when nothing was ever built."""
    try:
        name = (index_path / CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    folder = index_path / name
    return folder if (folder / MANIFEST).exists() else None


@contextlib.contextmanager
def build_lock(index_path: Path) -> Iterator[None]:
    """One build at a time per index (other processes wait)."""
    index_path.mkdir(parents=True, exist_ok=True)
    with open(index_path / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def new_build_folder(index_path: Path) -> Path:
    """An empty folder for a version being built."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    folder = index_path / f".building-{stamp}"
    folder.mkdir(parents=True)
    return folder


def publish(index_path: Path, build_folder: Path) -> Path:
    """Make a finished build the live version; the switch is one atomic rename of CURRENT."""
    _fsync_tree(build_folder)
    final = index_path / build_folder.name.replace(".building-", "v-")
    os.rename(build_folder, final)
    pointer = index_path / f".{CURRENT}.tmp"
    with open(pointer, "w", encoding="utf-8") as handle:
        handle.write(final.name)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(pointer, index_path / CURRENT)
    _fsync_dir(index_path)
    return final


def remove_stale(index_path: Path, keep: int = 1) -> None:
    """Delete unfinished builds and all but the live version and ``keep`` older ones.

    Older versions are kept a little while: a process that opened one keeps reading it.
    """
    live = current_version(index_path)
    versions = sorted(p for p in index_path.glob("v-*") if p != live)
    for folder in list(index_path.glob(".building-*")) + versions[: max(len(versions) - keep, 0)]:
        logger.debug("removing %s", folder)
        shutil.rmtree(folder, ignore_errors=True)


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    for path in [folder, *(p for p in folder.rglob("*") if p.is_dir())]:
        _fsync_dir(path)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
