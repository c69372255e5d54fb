"""Fault injection for the crash-safety tests: number every interesting moment of an index build and
SIGKILL the process (or raise an OSError) at one of them.

A moment ("point") is: an embedding batch (forward pass), opening a file for writing under the index
folder and each write/flush/close of it, ``os.fsync/rename/replace/unlink/rmdir/mkdir``, an SQLite write
statement or COMMIT on a database under the index folder, the start and end of the store copy, each
write of ``faiss.write_index`` (it is written through a Python writer: the same bytes, but every write
is a point), and the switch of ``CURRENT``. Each point records the build phase it belongs to and whether
``CURRENT`` had already been switched to the new version.

In a process that will die anyway, ``install(faults)`` patches for good; in the test process pass
``monkeypatch.setattr`` so everything is undone. Run as a module (from the repository root) it wraps the ``rag``
command:

    python -m tests.helpers.faults --root INDEX_DIR --kill-label "switch:switched CURRENT" -- index FOLDER ...
"""
from __future__ import annotations

import argparse
import builtins
import contextlib
import io
import json
import os
import re
import signal
import sqlite3
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

SQL_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "BEGIN", "COMMIT")
REAL_OPEN = builtins.open
_STAMP = re.compile(r"\d{8}T\d{6,}")


@dataclass(frozen=True)
class Point:
    """One numbered moment of a build."""

    number: int
    phase: str        # prepare, store, embed, faiss, lexical, manifest, switch, cleanup
    what: str         # e.g. "write vectors.faiss", "sql COMMIT store.sqlite", "batch"
    switched: bool    # CURRENT already names the new version

    @property
    def label(self) -> str:
        return f"{self.phase}:{self.what}"


class Faults:
    """Counts points; kills the process at point ``kill_at`` (or the first whose label contains
    ``kill_label``), or raises ``OSError(fail_errno)`` at the first point whose label contains ``fail_label`` (once)."""

    def __init__(self, root: Path, kill_at: int | None = None, kill_label: str | None = None,
                 fail_label: str | None = None, fail_errno: int = 0, report: Path | None = None) -> None:
        self.root = os.path.realpath(root)
        self.kill_at, self.kill_label = kill_at, kill_label
        self.fail_label, self.fail_errno = fail_label, fail_errno
        self.report = report  # the point killed at (JSON) is written here first
        self.points: list[Point] = []
        self.failed: Point | None = None  # where the injected error was raised
        self.phase = "prepare"
        self.switched = False

    def hit(self, what: str, phase: str | None = None, path: str | None = None) -> None:
        """Record a point; die or fail here if asked to."""
        what = _STAMP.sub("<time>", what)  # v-20260101T120000123456 -> v-<time>: the same in every run
        point = Point(len(self.points) + 1, phase or self.phase, what, self.switched)
        self.points.append(point)
        if point.number == self.kill_at or (self.kill_label and self.kill_label in point.label):
            if self.report:
                with REAL_OPEN(self.report, "w", encoding="utf-8") as handle:
                    json.dump(asdict(point), handle)
            os.kill(os.getpid(), signal.SIGKILL)
        if self.fail_label and self.fail_label in point.label and self.failed is None:
            self.failed = point
            raise OSError(self.fail_errno, os.strerror(self.fail_errno), path)

    @contextlib.contextmanager
    def in_phase(self, phase: str) -> Iterator[None]:
        previous, self.phase = self.phase, phase
        try:
            yield
        finally:
            self.phase = previous

    def under_root(self, path: Any) -> str | None:
        """``path`` as an absolute string if it lies under the index folder, else None."""
        if not isinstance(path, (str, os.PathLike)):
            return None
        full = os.path.realpath(os.fspath(path))
        return full if full == self.root or full.startswith(self.root + os.sep) else None

    def save(self, path: Path) -> None:
        with REAL_OPEN(path, "w", encoding="utf-8") as handle:
            json.dump([asdict(p) for p in self.points], handle)


def spread(items: list[Point], n: int) -> list[Point]:
    """``n`` items evenly spread from first to last (all of them when there are fewer)."""
    if len(items) <= n:
        return items
    return [items[round(i * (len(items) - 1) / (n - 1))] for i in range(n)]


def load_points(path: Path) -> list[Point]:
    return [Point(**p) for p in json.loads(path.read_text(encoding="utf-8"))]


class _File:
    """A file opened for writing under the index folder: each write, flush and close is a point."""

    def __init__(self, handle, name: str, faults: Faults) -> None:
        self._handle, self._name, self._faults = handle, name, faults

    def write(self, data):
        self._faults.hit(f"write {self._name}")
        return self._handle.write(data)

    def flush(self) -> None:
        self._faults.hit(f"flush {self._name}")
        self._handle.flush()

    def close(self) -> None:
        if self._handle.closed:
            return
        self._faults.hit(f"close {self._name}")
        self._handle.close()
        if self._name == "CURRENT":  # written in place rather than replaced: switched once complete
            self._faults.switched = True
        self._faults.hit(f"closed {self._name}")

    def __enter__(self) -> _File:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __getattr__(self, name: str):
        return getattr(self._handle, name)


def install(faults: Faults, setattr: Callable[[Any, str, Any], None] = builtins.setattr) -> None:
    """Patch the file, os, SQLite, FAISS, embedding and phase hooks to report to ``faults``."""
    _patch_files(faults, setattr)
    _patch_os(faults, setattr)
    _patch_sqlite(faults, setattr)
    _patch_faiss(faults, setattr)
    _patch_phases(faults, setattr)


def _patch_files(faults: Faults, setattr) -> None:
    real_open = builtins.open

    def open_(file, mode="r", *args, **kwargs):
        path = faults.under_root(file) if any(c in mode for c in "wax+") else None
        if path is None:
            return real_open(file, mode, *args, **kwargs)
        name = os.path.basename(path)
        faults.hit(f"open {name}", path=path)
        return _File(real_open(file, mode, *args, **kwargs), name, faults)

    setattr(builtins, "open", open_)
    setattr(io, "open", open_)  # pathlib opens through io.open


def _patch_os(faults: Faults, setattr) -> None:
    def wrap(name: str, real: Callable) -> Callable:
        def hooked(*args, **kwargs):
            target = args[-1] if name in ("rename", "replace") else args[0]
            path: str | None
            if name == "fsync":
                path = _fd_path(target)
            elif "dir_fd" in kwargs:  # shutil.rmtree: a name inside a folder being removed
                path = faults.root + os.sep + str(target)
            else:
                path = faults.under_root(target)
            if path is None:
                return real(*args, **kwargs)
            short = os.path.basename(path)
            faults.hit(f"{name} {short}", path=path)
            result = real(*args, **kwargs)
            if name in ("rename", "replace"):
                faults.switched = faults.switched or (name == "replace" and short == "CURRENT")
                faults.hit(f"{'switched' if short == 'CURRENT' else name + 'd'} {short}")
            return result
        return hooked

    for name in ("fsync", "rename", "replace", "unlink", "rmdir", "mkdir"):
        setattr(os, name, wrap(name, getattr(os, name)))


def _fd_path(fd: int) -> str:
    """The file behind ``fd`` (Linux), for readable labels."""
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return f"fd {fd}"


def _patch_sqlite(faults: Faults, setattr) -> None:
    from rag.indexing.store import Store

    real_connect, real_copy = sqlite3.connect, Store.copy_to

    def connect(database, *args, **kwargs):
        connection = real_connect(database, *args, **kwargs)
        path = faults.under_root(database)
        if path is not None:
            name = os.path.basename(path)

            def trace(statement: str) -> None:
                verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
                if verb in SQL_WRITES:
                    faults.hit(f"sql {verb} {name}", phase="store")
            connection.set_trace_callback(trace)
        return connection

    def copy_to(store, path):
        faults.hit("copy begin", phase="store")
        copy = real_copy(store, path)
        faults.hit("copy end", phase="store")
        return copy

    setattr(sqlite3, "connect", connect)
    setattr(Store, "copy_to", copy_to)


def _patch_faiss(faults: Faults, setattr) -> None:
    import faiss

    real_write = faiss.write_index

    def write_index(index, target, *args):
        if faults.under_root(target) is None:
            return real_write(index, target, *args)
        with builtins.open(target, "wb") as handle:  # the patched open: every write is a point
            # faiss's type stub leaves out its SWIG IO classes
            real_write(index, faiss.PyCallbackIOWriter(handle.write), *args)  # type: ignore[attr-defined]

    setattr(faiss, "write_index", write_index)


def _patch_phases(faults: Faults, setattr) -> None:
    import rag.indexing.builder
    from rag.embed.base import Embedder
    from rag.indexing.lexical import LexicalIndex
    from rag.indexing.manifest import Manifest
    from rag.indexing.vectors import VectorIndex

    def phase(name: str, real: Callable) -> Callable:
        def hooked(*args, **kwargs):
            with faults.in_phase(name):
                faults.hit(f"{real.__name__} begin")
                result = real(*args, **kwargs)
                faults.hit(f"{real.__name__} end")
                return result
        return hooked

    real_encode = Embedder.encode

    def encode(embedder, texts, **kwargs):
        real_batch = embedder._embed

        def batch(*args, **kwargs):
            faults.hit("batch", phase="embed")
            return real_batch(*args, **kwargs)

        embedder._embed = batch  # every backend embeds batch by batch through _embed
        try:
            return real_encode(embedder, texts, **kwargs)
        finally:
            del embedder._embed

    setattr(Embedder, "encode", phase("embed", encode))
    setattr(VectorIndex, "save", phase("faiss", VectorIndex.save))
    setattr(LexicalIndex, "save", phase("lexical", LexicalIndex.save))
    setattr(Manifest, "save", phase("manifest", Manifest.save))
    setattr(rag.indexing.builder, "publish", phase("switch", rag.indexing.builder.publish))
    setattr(rag.indexing.builder, "remove_stale", phase("cleanup", rag.indexing.builder.remove_stale))


# --- the Milvus backend -------------------------------------------------------------------------------------
# Points: every write call of the pymilvus client (insert, delete, create/drop collection, alias), every file
# write, flush, fsync and rename of Milvus Lite under the index folder (its WAL, segments, manifests), and
# every embedding batch. Phases: prepare (before the build's pending record), write (its rows), embed,
# cleanup (after its commit record or the alias switch). ``switched``: the new build is visible.
MILVUS_WRITES = ("insert", "delete", "create_collection", "drop_collection", "create_alias", "alter_alias")


def install_milvus(faults: Faults, setattr: Callable[[Any, str, Any], None] = builtins.setattr) -> None:
    """Patch the file and os hooks, the pymilvus client's writes and the embedder to report to ``faults``."""
    from pymilvus import MilvusClient

    from rag.embed.base import Embedder

    _patch_files(faults, setattr)
    _patch_os(faults, setattr)

    def wrap(name: str, real: Callable) -> Callable:
        def hooked(client, collection, *args, **kwargs):
            rows = kwargs.get("data", args[0] if args else None)
            kind = {"_cat": "catalogue", "_rec": "records"}.get(str(collection)[-4:], "chunks")
            record = rows[0]["pk"].split(":")[0] if name == "insert" and kind != "chunks" and rows else ""
            what = f"milvus {name} {kind}" + (f":{record}" if record else "")
            faults.hit(what)
            result = real(client, collection, *args, **kwargs)
            if record == "p":
                faults.phase = "write"
            if record == "c" and not faults.switched or name in ("create_alias", "alter_alias"):
                faults.switched = True
                faults.phase = "cleanup"
                faults.hit(f"switched by {what}")
            return result
        return hooked

    for name in MILVUS_WRITES:
        setattr(MilvusClient, name, wrap(name, getattr(MilvusClient, name)))
    real_encode = Embedder.encode

    def encode(embedder, texts, **kwargs):
        real_batch = embedder._embed

        def batch(*args, **kwargs):
            faults.hit("batch")
            return real_batch(*args, **kwargs)

        embedder._embed = batch  # every backend embeds batch by batch through _embed
        try:
            with faults.in_phase("embed"):
                return real_encode(embedder, texts, **kwargs)
        finally:
            del embedder._embed

    setattr(Embedder, "encode", encode)


def main(argv: list[str] | None = None) -> int:
    """Run the ``rag`` command (the arguments after ``--``) with faults installed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True, help="the index folder whose writes are points")
    parser.add_argument("--kill-label", help="SIGKILL at the first point whose label contains this")
    parser.add_argument("--kill-at", type=int, help="SIGKILL at this point")
    parser.add_argument("--report", type=Path, help="write the point killed at here (JSON)")
    parser.add_argument("--points", type=Path, help="write every point here (JSON) when the command ends")
    parser.add_argument("--milvus", action="store_true", help="the Milvus backend's points")
    parser.add_argument("rag_args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    from rag.cli import main as rag_main

    faults = Faults(args.root, kill_at=args.kill_at, kill_label=args.kill_label, report=args.report)
    (install_milvus if args.milvus else install)(faults)
    code = rag_main([a for a in args.rag_args if a != "--"])
    if args.points:
        faults.save(args.points)
    return code


if __name__ == "__main__":
    sys.exit(main())
