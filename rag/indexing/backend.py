"""Which store serves an index (setting ``store_backend``): ``local`` (version folders: SQLite, FAISS, BM25
files; rag/indexing/builder.py, reader.py) or ``milvus`` (rag/indexing/milvus_*.py). The library and the
retriever open, search and build an index only through these functions."""
from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from rag.embed.base import Embedder
from rag.settings import Settings, SettingsError

if TYPE_CHECKING:
    from rag.indexing.builder import Progress


def open_catalogue(settings: Settings):
    """The live index's catalogue (manifest and articles; ``IndexNotBuilt`` when there is none)."""
    if settings.store_backend == "milvus":
        from rag.indexing.milvus_reader import open_milvus

        return open_milvus(settings)
    from rag.indexing.reader import Catalogue

    return Catalogue.open(settings.index_path)


def live_index(settings: Settings):
    """The live index shared by searches (``LiveIndex`` or its Milvus form)."""
    if settings.store_backend == "milvus":
        from rag.indexing.milvus_reader import MilvusLive

        return MilvusLive(settings)
    from rag.indexing.reader import LiveIndex

    return LiveIndex(settings.index_path)


def live_key(settings: Settings) -> tuple:
    """What identifies the index the settings point at (a new live index when it changes)."""
    return settings.store_backend, settings.index_path, settings.milvus_uri


def build_index(folder: Path, settings: Settings, embedder: Embedder | None = None,
                progress: Progress | None = None):
    """Bring the index in line with ``folder`` (incremental; a ``BuildReport``); see each backend's builder.
    ``progress`` is told how far the local backend's build has got."""
    if settings.store_backend != "milvus":
        if settings.shard:
            raise SettingsError("setting 'shard' needs store_backend=milvus (machines sharing one index)")
        from rag.indexing.builder import build_index as build_local

        return build_local(folder, settings, embedder, progress)
    from rag.embed.factory import embedder_for
    from rag.indexing.builder import BuildReport
    from rag.indexing.milvus_builder import build_milvus, parse_shard
    from rag.indexing.plan import dedupe
    from rag.indexing.versions import build_lock, storage_error
    from rag.ingest.articles import load_folder

    parse_shard(settings.shard)
    loaded = load_folder(folder, max_bytes=settings.max_file_bytes)
    entries, duplicates = dedupe(loaded.articles)
    report = BuildReport(problems=loaded.problems, duplicates=duplicates)
    embedder = embedder or embedder_for(settings)
    try:
        with build_lock(settings.index_path):
            build_milvus(entries, settings, embedder, report)
    except (OSError, sqlite3.Error, RuntimeError) as exc:
        clear = storage_error(exc, settings.index_path)
        if clear is None:
            raise
        raise clear from exc
    return report


def close_connections() -> None:
    """Close this process's Milvus clients (and stop Milvus Lite); nothing for the local backend."""
    import sys

    if "rag.indexing.milvus_store" in sys.modules:
        sys.modules["rag.indexing.milvus_store"].close_clients()
