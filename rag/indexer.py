"""Incremental (re)indexing of a folder of articles into a new index version.

Articles are matched to the live version by id and content hash: unchanged ones keep their
vectors, renamed ones (same content, new id) keep theirs too, changed and new ones are embedded,
and articles whose files are gone are removed. Identical articles under several names are indexed
once with all their sources. An article whose file has become unreadable keeps its indexed copy.
"""
from __future__ import annotations

import hashlib
import logging
import shutil
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from rag.articles import load_folder
from rag.chunking import chunk_article, embedding_input
from rag.embedding import Embedder
from rag.index import LEXICAL_DIR, STORE_FILE, VECTORS_FILE, Index
from rag.lexical import LexicalIndex
from rag.manifest import Manifest, index_signature, signature_changes
from rag.settings import Settings
from rag.store import Store
from rag.types import Article, Chunk, Problem
from rag.vectors import VectorIndex, wanted_layout
from rag.versions import (MANIFEST, build_lock, current_version, discard_build, new_build_folder, publish,
                          remove_stale, storage_error)

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


@dataclass
class _Entry:
    """One distinct article of the corpus and every source it was found under."""

    article: Article
    content_hash: str
    sources: list[str]


def content_hash(article: Article) -> str:
    """Hash of everything that reaches the embedder or the reader (not the file name)."""
    payload = "\0".join([article.title, article.published or "", article.text])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def build_index(folder: Path, settings: Settings, embedder: Embedder | None = None) -> BuildReport:
    """Bring the index at ``settings.index_path`` in line with ``folder``; see the module docstring.

    The new version is built beside the live one and switched to atomically, so a build killed at
    any moment leaves the previous version intact. A full disk or a read-only index folder raises
    :class:`rag.versions.IndexWriteError` naming the folder and the cause.
    """
    loaded = load_folder(folder, max_bytes=int(settings.max_file_mb * 1_000_000))
    report = BuildReport(problems=loaded.problems)
    entries = _dedupe(loaded.articles, report)
    embedder = embedder or Embedder(settings.embed_model, settings.embed_batch_size)
    index_path = settings.index_path
    try:
        with build_lock(index_path):
            remove_stale(index_path)
            _build(index_path, entries, embedder, settings, report)
            remove_stale(index_path)
    except (OSError, sqlite3.Error, RuntimeError) as exc:  # RuntimeError: FAISS write errors
        clear = storage_error(exc, index_path)
        if clear is None:
            raise
        raise clear from exc
    return report


def _build(index_path: Path, entries: list[_Entry], embedder: Embedder, settings: Settings,
           report: BuildReport) -> None:
    """Write the new version beside the live one and switch to it (nothing when up to date).

    A build that fails removes its folder; one that is killed leaves it to the next build's cleanup.
    """
    signature = index_signature(settings)
    live = current_version(index_path)
    old = _open_compatible(live, signature, report)
    building = new_build_folder(index_path)
    try:
        logger.info("stage: copy")
        vectors = old.vectors if old else None
        if old:
            try:
                store = old.store.copy_to(building / STORE_FILE)
            finally:
                old.close()
        else:
            store = Store(building / STORE_FILE)
        try:
            vectors = _apply(entries, store, vectors, embedder, settings, report, report.problems)
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


def _open_compatible(live: Path | None, signature: dict, report: BuildReport) -> Index | None:
    """The live version if it was built with the same signature (else None: full rebuild)."""
    if live is None:
        return None
    old = Index.open_version(live)
    if old.manifest.signature == signature:
        return old
    old.close()
    report.full_rebuild_reason = "index settings changed (" + "; ".join(
        signature_changes(old.manifest.signature, signature)) + ")"
    logger.warning("full rebuild: %s", report.full_rebuild_reason)
    return None


def _dedupe(articles: list[Article], report: BuildReport) -> list[_Entry]:
    """Group identical articles (ids are already unique: ``load_folder`` reports reused ones)."""
    by_hash: dict[str, _Entry] = {}
    for article in articles:
        digest = content_hash(article)
        entry = by_hash.get(digest)
        if entry is None:
            by_hash[digest] = _Entry(article, digest, [article.source])
        else:
            entry.sources.append(article.source)
            report.duplicates.append((entry.article.source, article.source))
            logger.info("%s duplicates %s: indexed once", article.source, entry.article.source)
    return list(by_hash.values())


def _apply(entries: list[_Entry], store: Store, vectors: VectorIndex | None, embedder: Embedder,
           settings: Settings, report: BuildReport, problems: list[Problem]) -> VectorIndex:
    """Update ``store`` and ``vectors`` in place to hold exactly ``entries``."""
    stored = {a.id: a for a in store.articles()}
    new_ids = {e.article.id for e in entries}
    gone = {aid: a for aid, a in stored.items() if aid not in new_ids}
    gone_by_hash = {a.content_hash: aid for aid, a in gone.items()}
    to_embed: list[tuple[Article, Chunk]] = []
    db = store.transaction()
    with db:
        for entry in entries:
            article, previous = entry.article, stored.get(entry.article.id)
            if previous is None and entry.content_hash in gone_by_hash:
                old_id = gone_by_hash.pop(entry.content_hash)
                del gone[old_id]
                store.rename_article(old_id, article.id)
                store.put_article(article, entry.content_hash, entry.sources)
                report.renamed.append(f"{old_id} -> {article.id}")
                continue
            if previous is not None and previous.content_hash == entry.content_hash:
                report.unchanged += 1
                if previous.sources != entry.sources or previous.url != article.url:
                    store.put_article(article, entry.content_hash, entry.sources)
                    report.metadata_updated += 1
                continue
            if previous is not None:
                _remove(store, vectors, article.id)
                report.changed.append(article.id)
            else:
                report.added.append(article.id)
            store.put_article(article, entry.content_hash, entry.sources)
            to_embed.extend((article, chunk) for chunk in chunk_article(
                article, target_chars=settings.chunk_chars, overlap_sentences=settings.chunk_overlap))
        unreadable = {_file_of(p.source) for p in problems}
        for article_id, article in gone.items():
            if any(_file_of(s) in unreadable for s in article.sources):
                report.kept_unreadable.append(article_id)
                logger.warning("kept indexed copy of %s: its file could not be read", article_id)
                continue
            _remove(store, vectors, article_id)
            report.removed.append(article_id)
        if to_embed:
            logger.info("stage: embed %d chunks", len(to_embed))
            matrix = embedder.encode([embedding_input(a, c) for a, c in to_embed], progress=True)
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


def _file_of(source: str) -> str:
    """``a/b.jsonl#id`` and ``a/b.jsonl:7`` -> ``a/b.jsonl``."""
    path = source.split("#", 1)[0]
    head, sep, tail = path.rpartition(":")
    return head if sep and tail.isdigit() else path


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
