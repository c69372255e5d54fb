"""Index versions on disk: build beside the current one, then switch over atomically.

Layout of ``index/<name>/``::

    CURRENT            name of the live version folder (replaced atomically)
    v-<time>/          complete versions: manifest.json, store.sqlite, vectors.faiss, lexical/
    .building-<time>/  a build in progress (left behind only by a killed build; removed later)
    .lock              held while a build runs

A build that cannot write (disk full, read-only folder) raises :class:`IndexWriteError`, which names
the folder and the cause; the live version is never touched before the final switch.
"""
from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import resource
import shutil
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

from rag.errors import IndexWriteError

logger = logging.getLogger(__name__)

CURRENT = "CURRENT"
MANIFEST = "manifest.json"
POINTER_TMP = f".{CURRENT}.tmp"  # the next CURRENT, written and fsynced before the switch

# Text in an OSError (its strerror), an SQLite or a FAISS error -> the cause told to the user.
_STORAGE_CAUSES = {
    "No space left on device": "no space left on the disk",
    "database or disk is full": "no space left on the disk",
    "Disk quota exceeded": "disk quota exceeded",
    "File too large": "file size limit reached (ulimit -f)",
    "Read-only file system": "the folder is read-only",
    "readonly database": "the folder is read-only",
    "Permission denied": "permission denied (the folder is not writable)",
}


def storage_error(exc: BaseException, index_path: Path) -> IndexWriteError | None:
    """A clear :class:`IndexWriteError` when ``exc`` comes from storage (no space, read-only), else None."""
    cause = storage_cause(exc, index_path)
    if cause is None:
        return None
    live = current_version(index_path)
    state = f"the live index {live.name} is intact" if live else "no index has been built yet"
    return IndexWriteError(f"cannot write the index in {index_path}: {cause}; {state}")


def storage_cause(exc: BaseException, index_path: Path) -> str | None:
    """Why writing under ``index_path`` failed, if it is the storage's fault; None otherwise."""
    text = str(exc)
    for marker, cause in _STORAGE_CAUSES.items():
        if marker in text:
            return cause
    # numpy ("N requested and M written") and SQLite ("disk I/O error") may not say why a write failed.
    silent = (isinstance(exc, OSError) and exc.errno is None) or \
        getattr(exc, "sqlite_errorname", "").startswith("SQLITE_IOERR")
    if not silent:
        return None
    if shutil.disk_usage(index_path).free < 1_000_000:
        return "no space left on the disk"
    if resource.getrlimit(resource.RLIMIT_FSIZE)[0] != resource.RLIM_INFINITY:
        return "file size limit reached (ulimit -f)"
    return None


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
    pointer = index_path / POINTER_TMP
    with open(pointer, "w", encoding="utf-8") as handle:  # before the rename: a full disk fails here
        handle.write(final.name)
        handle.flush()
        os.fsync(handle.fileno())
    os.rename(build_folder, final)
    os.replace(pointer, index_path / CURRENT)
    _fsync_dir(index_path)
    return final


def discard_build(index_path: Path, build_folder: Path) -> None:
    """Remove a failed build's folder and pointer file (a full disk gets its space back)."""
    shutil.rmtree(build_folder, ignore_errors=True)
    with contextlib.suppress(OSError):
        (index_path / POINTER_TMP).unlink(missing_ok=True)


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
