"""Reading the index in Milvus: the same ``Catalogue`` / ``Index`` / ``LiveIndex`` shapes as the local backend
(``store``, ``vectors``, ``lexical``, ``manifest``), over one visible state of the live generation
(rag/indexing/milvus_store.py explains what is visible)."""
from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

from rag.errors import IndexNotBuilt
from rag.indexing.manifest import Manifest
from rag.indexing.milvus_store import (
    ARTICLE,
    COMMIT,
    META,
    PENDING,
    SHARD_DONE,
    State,
    alias_of,
    article_key,
    catalogue_of,
    connect,
    idf,
    literal,
    live_collection,
    milvus_uri,
    read_state,
    records_of,
    records_token,
    scan,
    stem_key,
)
from rag.indexing.store import StoredArticle, StoredChunk
from rag.settings import Settings
from rag.types import Query

logger = logging.getLogger(__name__)

CHUNK_FIELDS = ["id", "article_key", "build", "article_id", "ordinal", "char_start", "char_end", "text",
                "title", "published", "language"]
SEARCH_SLACK = 20  # extra candidates asked for: rows of a build in progress or not yet cleaned up are dropped


def _stored_chunk(row: dict) -> StoredChunk:
    return StoredChunk(int(row["id"]), row["article_id"], int(row["ordinal"]), int(row["char_start"]),
                       int(row["char_end"]), row["text"], row["title"], row["published"] or None, row["language"])


class MilvusArticles:
    """The ``Store`` reads (articles, chunks, counts) over one visible state."""

    def __init__(self, client, state: State) -> None:
        self.client, self.state = client, state
        self.catalogue = catalogue_of(state.collection)
        self.metadata: dict[int, dict] = {}  # article key -> part-0 metadata of the live article
        for row in scan(client, self.catalogue, f"kind == {ARTICLE} and part == 0", ["build", "article_key", "data"]):
            live = state.live.get(row["article_key"])
            if live is not None and live.build == row["build"]:
                self.metadata[row["article_key"]] = json.loads(row["data"])

    def close(self) -> None:
        pass

    def _article(self, meta: dict, parts: dict[int, str]) -> StoredArticle:
        text = "".join(parts[n] for n in sorted(parts))
        return StoredArticle(meta["id"], meta["content_hash"], meta["title"], text, meta.get("published"),
                             meta.get("url"), meta["language"], list(meta["sources"]))

    def articles(self, keys: Iterable[int] | None = None, text: bool = True) -> list[StoredArticle]:
        """The live articles (those with ``keys``), by id; ``text=False``: metadata only, texts empty."""
        wanted = set(self.metadata) if keys is None else set(keys) & set(self.metadata)
        parts: dict[int, dict[int, str]] = defaultdict(dict)
        where = f"kind == {ARTICLE} and part > 0"
        if keys is not None:
            where += f" and article_key in {literal(sorted(wanted))}"
        if wanted and text:
            for row in scan(self.client, self.catalogue, where, ["build", "article_key", "part", "data"]):
                key = row["article_key"]
                if key in wanted and self.state.live[key].build == row["build"]:
                    parts[key][row["part"]] = json.loads(row["data"])["text"]
        found = [self._article(self.metadata[key], parts[key]) for key in wanted]
        return sorted(found, key=lambda a: a.id)

    def article(self, article_id: str) -> StoredArticle | None:
        found = self.articles([article_key(article_id)])
        return found[0] if found and found[0].id == article_id else None

    def counts(self) -> tuple[int, int]:
        return len(self.metadata), self.state.documents

    def chunk_counts(self) -> list[tuple[str, int]]:
        return [(meta["id"], meta["chunks"]) for meta in self.metadata.values() if meta["chunks"]]

    def chunk_ids(self, article_id: str) -> list[int]:
        key = article_key(article_id)
        return sorted(int(r["id"]) for r in scan(self.client, self.state.collection, f"article_key == {key}",
                                                 ["id", "article_key", "build"])
                      if self.state.visible(r["article_key"], r["build"]))

    def chunks(self, ids: Iterable[int]) -> dict[int, StoredChunk]:
        ids = [int(i) for i in ids]
        found: dict[int, StoredChunk] = {}
        for start in range(0, len(ids), 500):
            rows = self.client.query(self.state.collection, filter=f"id in {literal(ids[start:start + 500])}",
                                     output_fields=CHUNK_FIELDS)
            found.update({int(r["id"]): _stored_chunk(r) for r in rows
                          if self.state.visible(r["article_key"], r["build"])})
        return found

    def all_chunks(self) -> Iterator[StoredChunk]:
        rows = [r for r in scan(self.client, self.state.collection, "", CHUNK_FIELDS)
                if self.state.visible(r["article_key"], r["build"])]
        return (_stored_chunk(r) for r in sorted(rows, key=lambda r: r["id"]))


class MilvusVectors:
    """The dense leg: exact inner product (FLAT) over the unit vectors."""

    def __init__(self, client, state: State) -> None:
        self.client, self.state = client, state

    def __len__(self) -> int:
        return self.state.documents

    def search(self, query, k: int) -> list[tuple[int, float]]:
        if not self.state.documents:
            return []
        hits = self.client.search(self.state.collection, data=[[float(x) for x in query]], anns_field="dense",
                                  limit=k + SEARCH_SLACK, filter=self.state.hidden_filter,
                                  output_fields=["article_key", "build"], search_params={"metric_type": "IP"})[0]
        found = {int(h["id"]): float(h["distance"]) for h in reversed(hits)  # a duplicated row counts once
                 if self.state.visible(h["entity"]["article_key"], h["entity"]["build"])}
        return sorted(found.items(), key=lambda item: -item[1])[:k]


class MilvusLexical:
    """The lexical leg: BM25 as sparse inner product (chunk: term-frequency part, query: idf)."""

    def __init__(self, client, state: State) -> None:
        self.client, self.state = client, state
        self._terms: dict[int, frozenset[int]] = {}  # chunk id -> its stem keys (ids are never reused)

    def idf(self, stem: str) -> float:
        if not self.state.documents:
            return 1.0
        return idf(self.state.df.get(stem_key(stem), 0), self.state.documents)

    def search(self, query: Query, k: int) -> list[tuple[int, float]]:
        counts = Counter(stem_key(s) for s in query.stems)
        weights = {key: idf(self.state.df[key], self.state.documents) * n for key, n in counts.items()
                   if self.state.df.get(key, 0) > 0}
        if not weights or not self.state.documents:
            return []
        hits = self.client.search(self.state.collection, data=[weights], anns_field="sparse",
                                  limit=k + SEARCH_SLACK, filter=self.state.hidden_filter,
                                  output_fields=["article_key", "build", "sparse"],
                                  search_params={"metric_type": "IP"})[0]
        found: dict[int, float] = {}
        for hit in hits:
            entity = hit["entity"]
            self._terms[int(hit["id"])] = frozenset(int(key) for key in entity["sparse"])
            if hit["distance"] > 0 and self.state.visible(entity["article_key"], entity["build"]):
                found.setdefault(int(hit["id"]), float(hit["distance"]))  # a duplicated row counts once
        return list(found.items())[:k]

    def coverage(self, query: Query, chunk_ids: Iterable[int]) -> dict[int, float]:
        """As ``LexicalIndex.coverage``: the idf-weighted share of the query's distinct stems in each chunk."""
        ids = [int(i) for i in chunk_ids]
        wanted = {stem_key(s): self.idf(s) for s in set(query.stems)}
        total = sum(wanted.values())
        if not wanted or not self.state.documents or not total:
            return dict.fromkeys(ids, 0.0)
        missing = [cid for cid in ids if cid not in self._terms]
        for start in range(0, len(missing), 500):
            for row in self.client.query(self.state.collection, output_fields=["sparse"],
                                         filter=f"id in {literal(missing[start:start + 500])}"):
                self._terms[int(row["id"])] = frozenset(int(key) for key in row["sparse"])
        return {cid: sum(w for key, w in wanted.items() if key in self._terms.get(cid, ())) / total
                for cid in ids}


class MilvusIndex:
    """One visible state of the live generation, shaped like ``rag.indexing.reader.Index``."""

    def __init__(self, client, state: State) -> None:
        self.state = state
        self.folder = Path(state.collection)  # names the generation (status shows it as the version)
        self.store = MilvusArticles(client, state)
        self.vectors = MilvusVectors(client, state)
        self.lexical = MilvusLexical(client, state)
        meta = state.meta
        self.manifest = Manifest(signature=meta.get("signature", {}), dimension=meta.get("dimension", 0),
                                 built_at=meta.get("built_at", ""), chunks=state.documents,
                                 articles={m["id"]: m["content_hash"] for m in self.store.metadata.values()},
                                 vector_index="milvus FLAT (exact)")

    def close(self) -> None:
        pass

    def __enter__(self) -> MilvusIndex:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _live_records(client, settings: Settings) -> tuple[str, list[dict]]:
    collection = live_collection(client, alias_of(settings))
    if collection is None:
        raise IndexNotBuilt(f"no index {alias_of(settings)} in Milvus at {milvus_uri(settings)}: "
                            "build one with `rag index FOLDER`")
    records = client.query(records_of(collection), filter=f"kind in {literal([PENDING, COMMIT, META, SHARD_DONE])}",
                           output_fields=["pk", "kind", "build", "data"], limit=16384)
    return collection, records


def open_milvus(settings: Settings) -> MilvusIndex:
    """The live generation's current visible state."""
    client = connect(settings)
    collection, records = _live_records(client, settings)
    return MilvusIndex(client, read_state(client, collection, records))


class MilvusLive:
    """``LiveIndex`` for Milvus: each search reads one visible state; a new one is read when a build has
    started, committed or cleaned up (its records changed) or the alias moved."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.index_path = settings.index_path
        self._index: MilvusIndex | None = None
        self._lock = threading.Lock()

    @property
    def current(self) -> MilvusIndex:
        with self._lock:
            return self._refresh()

    @contextlib.contextmanager
    def reading(self) -> Iterator[MilvusIndex]:
        with self._lock:
            index = self._refresh()
        yield index

    def close(self) -> None:
        with self._lock:
            self._index = None

    def _refresh(self) -> MilvusIndex:
        client = connect(self.settings)
        collection, records = _live_records(client, self.settings)
        if self._index is None or self._index.state.token != records_token(collection, records):
            self._index = MilvusIndex(client, read_state(client, collection, records))
            logger.info("read Milvus index state of %s", collection)
        return self._index
