"""The index in Milvus (``store_backend = milvus``): connections, the three collections of a generation, rows.

One *generation* is three collections made for one settings signature: ``<alias>_<stamp>`` holds the
chunks (text, offsets, title, date, article id, the dense vector and a sparse BM25 vector of the product's own
stems), ``<alias>_<stamp>_cat`` the catalogue (articles, BM25 statistics) and ``<alias>_<stamp>_rec`` the build
records and manifests (small: every search reads them to see whether a build has started or committed).
The alias ``rag_<index_name>`` names the live generation; a full rebuild writes a new one and switches the
alias (the Milvus form of the local ``CURRENT`` rename).

Incremental builds write into the live generation without ever showing half of a build:

- every row carries the ``build`` that wrote it; a build first inserts a ``pending`` record, then its rows,
  then a ``commit`` record. Rows of a build with a pending record and no commit record are invisible.
- an article is the part-0 catalogue row (or tombstone) with the highest visible build for its key; its
  chunks are those whose ``build`` equals that row's ``chunks_build``. Superseded rows are therefore
  invisible the moment the commit record exists, and are deleted afterwards (or by the next build after a
  kill). Chunk ids (auto ids) are never reused, so a search never pairs one chunk's score with another's text.
- BM25 statistics (chunks, total length, document frequency per stem) are stored per build as deltas and
  summed over the visible builds, so the lexical scores are the local backend's (bm25s, Lucene variant).
"""
from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.errors import IndexInUse, MissingPackage, SettingsError
from rag.settings import Settings
from rag.text.tokens import tokenize

logger = logging.getLogger(__name__)

ARTICLE, TOMBSTONE, PENDING, COMMIT, STATS, META, SHARD_DONE = 1, 2, 3, 4, 5, 6, 7
RECORD_KINDS = (PENDING, COMMIT, META, SHARD_DONE)
MAX_VARCHAR = 65535
TEXT_PART = 8000  # characters of article text per catalogue row (JSON-escaped, at most 6 bytes each)
STATS_PER_ROW = 2000
K1, B = 1.5, 0.75  # bm25s' defaults (the local lexical index)
EMPTY = "<empty>"
SCAN_BATCH = 4000

_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()


def milvus_uri(settings: Settings) -> str:
    """Where the Milvus of these settings is: ``milvus_uri``, or Milvus Lite in ``<index>/milvus.db``."""
    return settings.milvus_uri or str(settings.index_path / "milvus.db")


def is_lite(uri: str) -> bool:
    """A file path (Milvus Lite, embedded in this process) rather than a server address."""
    return "://" not in uri


def alias_of(settings: Settings) -> str:
    """The alias naming the live generation of the index ``index_name``."""
    return "rag_" + re.sub(r"[^A-Za-z0-9_]", "_", settings.index_name)


def catalogue_of(collection: str) -> str:
    return collection + "_cat"


def records_of(collection: str) -> str:
    return collection + "_rec"


def connect(settings: Settings):
    """One client per URI and process (Milvus Lite runs in this process and locks its folder)."""
    uri = milvus_uri(settings)
    with _clients_lock:
        client = _clients.get(uri)
        if client is None:
            try:
                from pymilvus import MilvusClient
            except ImportError as exc:  # pragma: no cover - depends on the install
                raise MissingPackage("store_backend=milvus needs: pip install 'rag-news[milvus]' "
                                  "(pymilvus, milvus-lite)") from exc
            # these log expected misses and unimplemented calls as errors
            for noisy in ("pymilvus", "grpc._server", "milvus_lite"):
                logging.getLogger(noisy).setLevel(logging.CRITICAL)
            if is_lite(uri):
                if not uri.endswith(".db"):
                    raise SettingsError(f"setting 'milvus_uri' {uri!r}: a Milvus Lite file must end in .db")
                Path(uri).parent.mkdir(parents=True, exist_ok=True)
            try:
                client = _clients[uri] = MilvusClient(uri)
            except Exception as exc:
                if is_lite(uri) and _locked(Path(uri)):
                    raise IndexInUse(f"Milvus Lite {uri} is open in another process: Milvus Lite serves one process "
                                  "at a time (index through the running app, stop it first, or run a Milvus "
                                  "server and set milvus_uri=http://HOST:19530)") from exc
                raise
    return client


def _locked(folder: Path) -> bool:
    """Whether another process holds Milvus Lite's lock on ``folder``."""
    import fcntl

    try:
        with open(folder / "LOCK", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(handle, fcntl.LOCK_UN)
    except OSError:
        return True
    return False


def close_clients() -> None:
    """Close every client of this process and stop the embedded Milvus Lite servers."""
    with _clients_lock:
        opened = list(_clients.items())
        _clients.clear()
    for uri, client in opened:
        _loaded.difference_update({k for k in _loaded if k[0] == id(client)})
        client.close()
        if is_lite(uri):
            from milvus_lite.server_manager import server_manager_instance

            server_manager_instance.release_server(uri)


def article_key(article_id: str) -> int:
    """A stable 63-bit hash of an article id: filters use it (no quoting) and ``--shard`` splits by it."""
    return int.from_bytes(hashlib.blake2b(article_id.encode("utf-8"), digest_size=8).digest(), "big") >> 1


def stem_key(stem: str) -> int:
    """The sparse-vector dimension of a stem."""
    return int.from_bytes(hashlib.blake2b(stem.encode("utf-8"), digest_size=4).digest(), "big") % 0xFFFFFFFF


def terms(text: str, language: str) -> tuple[Counter, int]:
    """(stem key -> count, length) of a chunk, as the local BM25 index counts them."""
    tokens = tokenize(text, language) or [EMPTY]
    return Counter(stem_key(t) for t in tokens), len(tokens)


def bm25_vector(counts: Counter, length: int, avgdl: float) -> dict[int, float]:
    """The chunk's BM25 term-frequency part (Lucene variant); the query vector carries the idf."""
    norm = K1 * ((1 - B) + B * length / max(avgdl, 1e-9))
    return {k: tf / (norm + tf) for k, tf in counts.items()}


def idf(documents_with_stem: int, documents: int) -> float:
    return math.log(1 + (documents - documents_with_stem + 0.5) / (documents_with_stem + 0.5))


def literal(values: Iterable[int]) -> str:
    return "[" + ", ".join(str(int(v)) for v in values) + "]"


def live_collection(client, alias: str) -> str | None:
    """The chunks collection the alias names (loaded, with its catalogue), or None before the first build."""
    from pymilvus.exceptions import MilvusException

    try:
        name = client.describe_alias(alias)["collection_name"]
    except MilvusException:
        if alias in client.list_aliases().get("aliases", []):
            raise
        return None
    ensure_loaded(client, name)
    return name


_loaded: set[tuple[int, str]] = set()


def ensure_loaded(client, name: str) -> None:
    """Load a generation's collections into memory (a restarted Milvus, or Milvus Lite reopened, has them
    released, and a released collection cannot be searched)."""
    for collection in (name, catalogue_of(name), records_of(name)):
        if (id(client), collection) not in _loaded:
            client.load_collection(collection)
            _loaded.add((id(client), collection))


def create_generation(client, name: str, dimension: int) -> None:
    """The chunks collection ``name``, its catalogue and its records collection (each created if missing)."""
    from pymilvus import DataType

    if not client.has_collection(name):
        schema = client.create_schema(auto_id=True, enable_dynamic_field=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        for name_, kind in (("article_key", DataType.INT64), ("build", DataType.INT64),
                            ("ordinal", DataType.INT64), ("char_start", DataType.INT64),
                            ("char_end", DataType.INT64), ("length", DataType.INT64)):
            schema.add_field(name_, kind)
        for name_, size in (("article_id", MAX_VARCHAR), ("text", MAX_VARCHAR), ("title", MAX_VARCHAR),
                            ("published", 64), ("language", 16)):
            schema.add_field(name_, DataType.VARCHAR, max_length=size)
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dimension)
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        index = client.prepare_index_params()
        index.add_index("dense", index_type="FLAT", metric_type="IP")
        index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
        client.create_collection(name, schema=schema, index_params=index, consistency_level="Strong")
    for side in (catalogue_of(name), records_of(name)):
        if client.has_collection(side):
            continue
        schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("pk", DataType.VARCHAR, is_primary=True, max_length=512)
        for name_ in ("kind", "build", "article_key", "chunks_build", "part"):
            schema.add_field(name_, DataType.INT64)
        schema.add_field("data", DataType.VARCHAR, max_length=MAX_VARCHAR)
        schema.add_field("vec", DataType.FLOAT_VECTOR, dim=2)  # Milvus wants a vector field in every collection
        index = client.prepare_index_params()
        index.add_index("vec", index_type="FLAT", metric_type="IP")
        client.create_collection(side, schema=schema, index_params=index,
                                 consistency_level="Strong")


def record(pk: str, kind: int, build: int, data: Any = None, key: int = 0, chunks_build: int = 0,
           part: int = 0) -> dict:
    """One row of a catalogue or records collection."""
    text = data if isinstance(data, str) else json.dumps(data if data is not None else {}, ensure_ascii=False)
    return {"pk": pk, "kind": kind, "build": build, "article_key": key, "chunks_build": chunks_build,
            "part": part, "data": text, "vec": [1.0, 0.0]}


def scan(client, collection: str, filter: str, fields: list[str], unique: bool = True) -> Iterator[dict]:
    """Every row matching ``filter`` (in batches: a plain query stops at Milvus's result limit), each primary
    key once (Milvus Lite 3.2 can hold a row twice after a kill during a flush; ``recover`` repairs that)."""
    iterator = client.query_iterator(collection, batch_size=SCAN_BATCH, filter=filter, output_fields=fields)
    seen: set = set()
    try:
        while batch := iterator.next():
            for row in batch:
                key = row.get("id", row.get("pk"))
                if unique and key is not None:
                    if key in seen:
                        continue
                    seen.add(key)
                yield row
    finally:
        iterator.close()


@dataclass
class LiveArticle:
    build: int
    chunks_build: int


@dataclass
class State:
    """What one generation shows at one moment: the visible builds' articles, statistics and manifest."""

    collection: str
    token: tuple                       # changes whenever a build starts, commits or is cleaned up
    hidden: frozenset[int]             # builds with a pending record and no commit record
    committed: frozenset[int]          # builds whose commit record is still there (cleanup not finished)
    records: list[dict]
    meta: dict
    live: dict[int, LiveArticle] = field(default_factory=dict)   # article key -> its live rows
    documents: int = 0
    total_length: int = 0
    df: dict[int, int] = field(default_factory=dict)

    def visible(self, key: int, build: int) -> bool:
        """Whether a chunk row (its article key, its build) belongs to the live index."""
        article = self.live.get(key)
        return article is not None and article.chunks_build == build and build not in self.hidden

    @property
    def hidden_filter(self) -> str:
        return f"build not in {literal(sorted(self.hidden))}" if self.hidden else ""


def read_records(client, collection: str) -> list[dict]:
    return list(scan(client, records_of(collection), f"kind in {literal(RECORD_KINDS)}",
                     ["pk", "kind", "build", "data"]))


def records_token(collection: str, records: list[dict]) -> tuple:
    return (collection, tuple(sorted(r["pk"] for r in records)))


def read_state(client, collection: str, records: list[dict] | None = None) -> State:
    """The visible state of ``collection`` (records read first: a build's rows come after its pending record)."""
    records = read_records(client, collection) if records is None else records
    pending = {r["build"] for r in records if r["kind"] == PENDING}
    committed = {r["build"] for r in records if r["kind"] == COMMIT}
    hidden = frozenset(pending - committed)
    metas = [r for r in records if r["kind"] == META and r["build"] not in hidden]
    meta = json.loads(max(metas, key=lambda r: r["build"])["data"]) if metas else {}
    state = State(collection, records_token(collection, records), hidden, frozenset(committed), records, meta)
    best: dict[int, tuple[int, int, int]] = {}
    for row in scan(client, catalogue_of(collection), f"kind in {literal([ARTICLE, TOMBSTONE])} and part == 0",
                    ["pk", "kind", "build", "article_key", "chunks_build"]):
        if row["build"] in hidden:
            continue
        seen = best.get(row["article_key"])
        if seen is None or row["build"] > seen[0]:
            best[row["article_key"]] = (row["build"], row["kind"], row["chunks_build"])
    state.live = {key: LiveArticle(build, chunks) for key, (build, kind, chunks) in best.items()
                  if kind == ARTICLE}
    for row in scan(client, catalogue_of(collection), f"kind == {STATS}", ["pk", "build", "data"]):
        if row["build"] in hidden:
            continue
        delta = json.loads(row["data"])
        state.documents += delta.get("n", 0)
        state.total_length += delta.get("len", 0)
        for key, count in delta.get("df", {}).items():
            state.df[int(key)] = state.df.get(int(key), 0) + count
    return state


def stats_rows(build: int, documents: int, length: int, df: Counter) -> list[dict]:
    """A build's BM25 statistics delta as catalogue rows (split: a row holds at most 64 KB)."""
    items = [(str(k), v) for k, v in df.items() if v]
    rows = [record(f"s:{build}:0", STATS, build, {"n": documents, "len": length, "df": {}})]
    for i in range(0, len(items), STATS_PER_ROW):
        rows.append(record(f"s:{build}:{i // STATS_PER_ROW + 1}", STATS, build,
                           {"df": dict(items[i:i + STATS_PER_ROW])}))
    return rows


def article_rows(build: int, chunks_build: int, meta: dict, text: str) -> list[dict]:
    """An article as catalogue rows: part 0 its metadata, parts 1.. its text."""
    key = article_key(meta["id"])
    parts = [text[i:i + TEXT_PART] for i in range(0, len(text), TEXT_PART)] or [""]
    rows = [record(f"a:{build}:{key}:0", ARTICLE, build, {**meta, "parts": len(parts)}, key, chunks_build)]
    rows += [record(f"a:{build}:{key}:{n}", ARTICLE, build, {"text": piece}, key, chunks_build, n)
             for n, piece in enumerate(parts, start=1)]
    return rows


def insert(client, collection: str, rows: list[dict], batch: int = 500) -> list[int]:
    """Insert ``rows`` in batches; the ids Milvus gave them."""
    ids: list[int] = []
    for start in range(0, len(rows), batch):
        result = client.insert(collection, rows[start:start + batch])
        ids.extend(result.get("ids", []) if isinstance(result, dict) else [])
    return ids
