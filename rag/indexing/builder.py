"""Incremental (re)indexing of a folder of articles into a new index version: the live version's store is
copied, :func:`rag.indexing.plan.plan` decides what changes, :func:`apply` carries it out (embedding new and
changed articles), and the new version is written beside the live one and switched to atomically.
"""
from __future__ import annotations

import logging
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from rag.embed.base import Embedder
from rag.embed.factory import embedder_for
from rag.indexing.lexical import LexicalIndex
from rag.indexing.manifest import Manifest, index_signature, signature_changes
from rag.indexing.plan import Entry, Plan, dedupe, plan
from rag.indexing.reader import LEXICAL_DIR, STORE_FILE, VECTORS_FILE, Catalogue
from rag.indexing.store import Store
from rag.indexing.vectors import VectorIndex, wanted_layout
from rag.indexing.versions import (
    MANIFEST,
    build_lock,
    current_version,
    discard_build,
    new_build_folder,
    publish,
    remove_stale,
    storage_error,
)
from rag.ingest.articles import load_folder
from rag.settings import Settings
from rag.text.chunking import chunk_article, embedding_input
from rag.types import Article, Chunk, Problem

logger = logging.getLogger(__name__)


@dataclass
class BuildReport:
    """What one `rag index` run did."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    renamed: list[str] = field(default_factory=list)
    unchanged: int = 0
    metadata_updated: int = 0
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (kept source, duplicate source)
    kept_unreadable: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    chunks_embedded: int = 0
    full_rebuild_reason: str | None = None
    vector_index_change: str | None = None  # e.g. "exact -> ivf(lists=316, nprobe=32)"
    version: Path | None = None

    @property
    def modified(self) -> bool:
        return bool(self.added or self.changed or self.removed or self.renamed or self.metadata_updated)

    def summary(self) -> str:
        """One line of counts, e.g. "added 1, changed 0, removed 0, unchanged 10 (not re-embedded), ..."."""
        return (f"added {len(self.added)}, changed {len(self.changed)}, removed {len(self.removed)}, "
                f"unchanged {self.unchanged} (not re-embedded), renamed {len(self.renamed)}; "
                f"{self.chunks_embedded} chunks embedded; {len(self.problems)} files skipped")


@dataclass(frozen=True)
class BuildProgress:
    """How far a build has got: its stage ("reading", "embedding", "writing"), and while embedding the articles
    being embedded and the chunks done of the total."""

    stage: str
    articles: int = 0
    done: int = 0
    total: int = 0


Progress = Callable[[BuildProgress], None]


def _ignore(_: BuildProgress) -> None:
    pass


def build_index(folder: Path, settings: Settings, embedder: Embedder | None = None,
                progress: Progress | None = None) -> BuildReport:
    """Bring the index at ``settings.index_path`` in line with ``folder``; see the module docstring.

    The new version is built beside the live one and switched to atomically, so a build killed at
    any moment leaves the previous version intact. A full disk or a read-only index folder raises
    :class:`rag.indexing.versions.IndexWriteError` naming the folder and the cause. ``progress`` is told
    each stage, and each batch of chunks embedded.
    """
    progress = progress or _ignore
    progress(BuildProgress("reading"))
    loaded = load_folder(folder, max_bytes=settings.max_file_bytes)
    entries, duplicates = dedupe(loaded.articles)
    report = BuildReport(problems=loaded.problems, duplicates=duplicates)
    embedder = embedder or embedder_for(settings)
    index_path = settings.index_path
    try:
        with build_lock(index_path):
            remove_stale(index_path)
            _build(index_path, entries, embedder, settings, report, progress)
            remove_stale(index_path)
    except (OSError, sqlite3.Error, RuntimeError) as exc:  # RuntimeError: FAISS write errors
        clear = storage_error(exc, index_path)
        if clear is None:
            raise
        raise clear from exc
    return report


def _build(index_path: Path, entries: list[Entry], embedder: Embedder, settings: Settings,
           report: BuildReport, progress: Progress) -> None:
    """Write the new version beside the live one and switch to it (nothing when up to date).

    A build that fails removes its folder; one that is killed leaves it to the next build's cleanup.
    """
    signature = index_signature(settings)
    live = current_version(index_path)
    catalogue, vectors = _open_compatible(live, signature, report) or (None, None)
    building = new_build_folder(index_path)
    try:
        logger.info("stage: copy")
        if catalogue is not None:
            try:
                store = catalogue.store.copy_to(building / STORE_FILE)
            finally:
                catalogue.close()
        else:
            store = Store(building / STORE_FILE)
        try:
            changes = plan(entries, {a.id: a for a in store.articles()}, report.problems)
            vectors = apply(changes, store, vectors, embedder, settings, report, progress)
            progress(BuildProgress("writing"))
            vectors = _fit_layout(vectors, settings, report)
            up_to_date = (live is not None and not report.modified and not report.full_rebuild_reason
                          and not report.vector_index_change)
            if not up_to_date:
                _finish(building, store, vectors, signature)
        finally:
            store.close()
        if up_to_date:
            logger.info("index is up to date")
            shutil.rmtree(building)
            return
        logger.info("stage: publish")
        report.version = publish(index_path, building)
    except BaseException:
        discard_build(index_path, building)
        raise


def _open_compatible(live: Path | None, signature: dict, report: BuildReport
                     ) -> tuple[Catalogue, VectorIndex] | None:
    """The live version's catalogue and vectors if it was built with the same signature (else None: full
    rebuild). Its BM25 index is not loaded: the build writes a new one."""
    if live is None:
        return None
    catalogue = Catalogue.open_catalogue(live)
    if catalogue.manifest.signature == signature:
        try:
            return catalogue, VectorIndex.load(live / VECTORS_FILE)
        except BaseException:
            catalogue.close()
            raise
    catalogue.close()
    report.full_rebuild_reason = "index settings changed (" + "; ".join(
        signature_changes(catalogue.manifest.signature, signature)) + ")"
    logger.warning("full rebuild: %s", report.full_rebuild_reason)
    return None


def apply(changes: Plan, store: Store, vectors: VectorIndex | None, embedder: Embedder, settings: Settings,
          report: BuildReport, progress: Progress = _ignore) -> VectorIndex:
    """Carry out ``changes`` on ``store`` and ``vectors`` (in place; new vectors in a new index when there
    were none), embedding the chunks of new and changed articles (told to ``progress``); counts them in
    ``report``."""
    report.added, report.changed = changes.added, list(changes.changed)
    report.renamed = [f"{old_id} -> {entry.article.id}" for old_id, entry in changes.renamed]
    report.unchanged, report.metadata_updated = changes.unchanged, len(changes.metadata)
    report.removed, report.kept_unreadable = list(changes.removed), list(changes.kept_unreadable)
    for article_id in changes.kept_unreadable:
        logger.warning("kept indexed copy of %s: its file could not be read", article_id)
    with store.transaction():
        for old_id, entry in changes.renamed:
            store.rename_article(old_id, entry.article.id)
        for article_id in [*changes.changed, *changes.removed]:
            _remove(store, vectors, article_id)
        for entry in [entry for _, entry in changes.renamed] + changes.metadata + changes.embed:
            store.put_article(entry.article, entry.content_hash, entry.sources)
        to_embed: list[tuple[Article, Chunk]] = [
            (entry.article, chunk) for entry in changes.embed for chunk in chunk_article(
                entry.article, target_chars=settings.chunk_chars, overlap_sentences=settings.chunk_overlap)]
        if to_embed:
            logger.info("stage: embed %d chunks", len(to_embed))
            articles, total = len(changes.embed), len(to_embed)
            progress(BuildProgress("embedding", articles, 0, total))
            matrix = embedder.encode([embedding_input(a, c) for a, c in to_embed], progress=True,
                                     on_batch=lambda done: progress(BuildProgress("embedding", articles, done, total)))
            first = store.max_chunk_id() + 1
            ids = np.arange(first, first + len(to_embed), dtype=np.int64)
            store.put_chunks(ids.tolist(), [c for _, c in to_embed])
            vectors = vectors or VectorIndex.empty(matrix.shape[1])
            vectors.add(ids, matrix)
            report.chunks_embedded = len(to_embed)
    return vectors or VectorIndex.empty(embedder.dimension)


def _fit_layout(vectors: VectorIndex, settings: Settings, report: BuildReport) -> VectorIndex:
    """``vectors`` in the layout the ``vector_index`` settings ask for at this size (re-encoded if needed)."""
    layout = wanted_layout(settings.vector_index, len(vectors), settings.approx_min_chunks, settings.ivf_nprobe)
    before = vectors.layout.describe()
    vectors = vectors.with_layout(layout)
    if vectors.layout.describe() != before:
        report.vector_index_change = f"{before} -> {vectors.layout.describe()}"
        logger.warning("vector index: %s", report.vector_index_change)
    return vectors


def _remove(store: Store, vectors: VectorIndex | None, article_id: str) -> None:
    ids = store.remove_article(article_id)
    if vectors is not None:
        vectors.remove(np.asarray(ids, dtype=np.int64))


def _finish(building: Path, store: Store, vectors: VectorIndex, signature: dict) -> None:
    logger.info("stage: write vectors")
    vectors.save(building / VECTORS_FILE)
    logger.info("stage: write lexical")
    chunks = list(store.all_chunks())
    LexicalIndex.build([c.text for c in chunks], [c.language for c in chunks],
                       [c.id for c in chunks]).save(building / LEXICAL_DIR)
    logger.info("stage: write manifest")
    Manifest(
        signature=signature,
        dimension=vectors.dimension,
        built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        articles={a.id: a.content_hash for a in store.articles()},
        chunks=len(chunks),
        vector_index=vectors.layout.describe(),
    ).save(building / MANIFEST)
