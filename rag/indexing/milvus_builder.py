"""Building the index in Milvus: the same plan as the local backend (rag/indexing/plan.py), carried out as one
build whose rows stay invisible until its commit record is written (rag/indexing/milvus_store.py).

A build killed at any moment leaves the previous index answering: before the commit its rows are hidden, and
the next build deletes them; after the commit the superseded rows are already hidden, and the next build
finishes deleting them. A settings-signature change writes a new generation and switches the alias.

``shard = "K/N"`` builds only the articles whose stable id hash is K modulo N, and never touches the others:
N machines can index their shares of one folder into the same Milvus. When the signature changes, each
machine writes its share into the generation named by the signature, and the last one to finish switches
the alias.
"""
from __future__ import annotations

import json
import logging
import re
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from rag.embed.base import Embedder
from rag.indexing.builder import BuildReport
from rag.indexing.manifest import index_signature, signature_changes, signature_id
from rag.indexing.milvus_store import (
    ARTICLE,
    COMMIT,
    META,
    PENDING,
    SHARD_DONE,
    TOMBSTONE,
    State,
    alias_of,
    article_key,
    article_rows,
    bm25_vector,
    catalogue_of,
    connect,
    create_generation,
    ensure_loaded,
    insert,
    literal,
    live_collection,
    read_state,
    record,
    records_of,
    scan,
    stats_rows,
    terms,
)
from rag.indexing.plan import Entry, plan
from rag.settings import Settings, SettingsError
from rag.text.chunking import chunk_article, embedding_input

logger = logging.getLogger(__name__)


def parse_shard(text: str) -> tuple[int, int] | None:
    """``"K/N"`` -> (K, N) with 0 <= K < N; ``""`` -> None (all articles)."""
    if not text:
        return None
    try:
        k, n = (int(part) for part in text.split("/"))
    except ValueError:
        raise SettingsError(f"setting 'shard' must look like K/N (e.g. 0/3); got {text!r}") from None
    if not 0 <= k < n:
        raise SettingsError(f"setting 'shard' K/N needs 0 <= K < N; got {text!r}")
    return k, n


def in_shard(key: int, shard: tuple[int, int] | None) -> bool:
    return shard is None or key % shard[1] == shard[0]


def build_milvus(entries: list[Entry], settings: Settings, embedder: Embedder, report: BuildReport) -> None:
    """Bring the index in Milvus in line with ``entries``: with ``shard`` set, only this machine's share of them."""
    shard = parse_shard(settings.shard)
    entries = [e for e in entries if in_shard(article_key(e.article.id), shard)]
    client, alias = connect(settings), alias_of(settings)
    signature = index_signature(settings)
    live = live_collection(client, alias)
    target = live
    if live is not None:
        old = read_state(client, live).meta.get("signature", {})
        if old != signature:
            report.full_rebuild_reason = "index settings changed (" + "; ".join(signature_changes(old, signature)) + ")"
            logger.warning("full rebuild: %s", report.full_rebuild_reason)
            target = None
    if target is None:
        stamp = f"g{signature_id(signature)}" if shard else datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S%f")
        target = f"{alias}_{stamp}"
        create_generation(client, target, embedder.dimension)
        ensure_loaded(client, target)
    recover(client, target, shard)
    state = read_state(client, target)
    wrote = _apply(client, target, state, entries, settings, embedder, report, shard, signature)
    if target != live:
        _switch(client, alias, live, target, shard)
        report.version = Path(target)
    elif wrote:
        report.version = Path(target)


def _apply(client, target: str, state: State, entries: list[Entry], settings: Settings, embedder: Embedder,
           report: BuildReport, shard, signature: dict) -> bool:
    """Plan and write one build into ``target``; False when there was nothing to do."""
    from rag.indexing.milvus_reader import MilvusArticles

    catalogue = MilvusArticles(client, state)
    stored = {a.id: a for a in catalogue.articles(text=False) if in_shard(article_key(a.id), shard)}  # plan: hashes
    changes = plan(entries, stored, report.problems)
    report.added, report.changed = changes.added, list(changes.changed)
    report.renamed = [f"{old} -> {entry.article.id}" for old, entry in changes.renamed]
    report.unchanged, report.metadata_updated = changes.unchanged, len(changes.metadata)
    report.removed, report.kept_unreadable = list(changes.removed), list(changes.kept_unreadable)
    fresh = state.meta.get("signature") != signature
    if not report.modified and not fresh:
        logger.info("index is up to date")
        return False
    build = time.time_ns() // 1000
    cat = catalogue_of(target)
    insert(client, records_of(target), [record(f"p:{build}", PENDING, build, {"shard": settings.shard})])
    df: Counter[int] = Counter()  # stem key -> chunks holding it
    documents, length = 0, 0
    gone = [*changes.changed, *changes.removed, *(old for old, _ in changes.renamed)]
    for row in _chunk_rows(client, target, state, gone, ["article_key", "build", "sparse", "length"]):
        df.subtract(row["sparse"].keys())
        documents, length = documents - 1, length - row["length"]
    rows: list[dict] = []
    for article_id in changes.removed:
        key = article_key(article_id)
        rows.append(record(f"t:{build}:{key}", TOMBSTONE, build, {"id": article_id}, key))
    for old_id, entry in changes.renamed:
        old_key = article_key(old_id)
        rows.append(record(f"t:{build}:{old_key}", TOMBSTONE, build, {"id": old_id}, old_key))
        copies = list(_chunk_rows(client, target, state, [old_id], None))
        for row in copies:
            row.pop("id")
            row.update(article_id=entry.article.id, article_key=article_key(entry.article.id), build=build)
            df.update(row["sparse"].keys())
            documents, length = documents + 1, length + row["length"]
        insert(client, target, copies)
        rows += article_rows(build, build, _meta(entry, len(copies)), entry.article.text)
    for entry in changes.metadata:
        previous = state.live[article_key(entry.article.id)]
        chunks = catalogue.metadata[article_key(entry.article.id)]["chunks"]
        rows += article_rows(build, previous.chunks_build, _meta(entry, chunks), entry.article.text)
    to_embed = [(entry.article, chunk) for entry in changes.embed for chunk in chunk_article(
        entry.article, target_chars=settings.chunk_chars, overlap_sentences=settings.chunk_overlap)]
    per_article = Counter(article.id for article, _ in to_embed)
    for entry in changes.embed:
        rows += article_rows(build, build, _meta(entry, per_article[entry.article.id]), entry.article.text)
    insert(client, cat, rows)
    if to_embed:
        logger.info("stage: embed %d chunks", len(to_embed))
        counted = [terms(chunk.text, article.language) for article, chunk in to_embed]
        documents += len(counted)
        length += sum(n for _, n in counted)
        avgdl = (state.total_length + length) / max(state.documents + documents, 1)
        for counts, _ in counted:
            df.update(counts.keys())
        for start in range(0, len(to_embed), 256):
            batch = to_embed[start:start + 256]
            matrix = embedder.encode([embedding_input(a, c) for a, c in batch], progress=False)
            insert(client, target, [
                {"article_key": article_key(a.id), "build": build, "ordinal": c.ordinal, "char_start": c.start,
                 "char_end": c.end, "length": n, "article_id": a.id, "text": c.text, "title": a.title,
                 "published": a.published or "", "language": a.language, "dense": vector.tolist(),
                 "sparse": bm25_vector(counts, n, avgdl)}
                for (a, c), vector, (counts, n) in zip(batch, matrix, counted[start:start + 256])])
        report.chunks_embedded = len(to_embed)
    meta = {"signature": signature, "dimension": embedder.dimension,
            "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    insert(client, cat, stats_rows(build, documents, length, df))
    insert(client, records_of(target), [record(f"m:{build}", META, build, meta)])
    logger.info("stage: commit")
    insert(client, records_of(target), [record(f"c:{build}", COMMIT, build, {"shard": settings.shard})])
    touched = [*gone, *(entry.article.id for entry in changes.metadata)]
    finish(client, target, shard, [article_key(i) for i in touched])
    return True


def _meta(entry: Entry, chunks: int) -> dict:
    a = entry.article
    return {"id": a.id, "content_hash": entry.content_hash, "title": a.title, "published": a.published,
            "url": a.url, "language": a.language, "sources": entry.sources, "chunks": chunks}


def _chunk_rows(client, collection: str, state: State, article_ids: list[str], fields: list[str] | None):
    """The live chunk rows of ``article_ids`` (every field when ``fields`` is None)."""
    keys = sorted({article_key(i) for i in article_ids})
    for start in range(0, len(keys), 500):
        for row in scan(client, collection, f"article_key in {literal(keys[start:start + 500])}",
                        fields or ["*"]):
            if state.visible(row["article_key"], row["build"]):
                yield row


def recover(client, collection: str, shard) -> None:
    """Finish what a killed build left: rows of uncommitted builds (this shard's) deleted, rows stored twice
    stored once, committed builds' superseded rows deleted."""
    state = read_state(client, collection)
    mine = [r for r in state.records if r["kind"] == PENDING and r["build"] in state.hidden
            and (shard is None or json.loads(r["data"]).get("shard") == f"{shard[0]}/{shard[1]}")]
    for pending in mine:
        logger.warning("removing the rows of build %s, which did not finish", pending["build"])
        client.delete(collection, filter=f"build == {pending['build']}")
        client.delete(catalogue_of(collection), filter=f"build == {pending['build']}")
        client.delete(records_of(collection), filter=f"build == {pending['build']} and kind != {PENDING}")
        client.delete(records_of(collection), ids=[pending["pk"]])
    if mine or state.committed:
        repair_duplicates(client, collection)
    if state.committed:
        finish(client, collection, shard)


def cleanup(client, collection: str, state: State, shard, keys: list[int] | None = None) -> None:
    """Delete rows no visible state shows any more (this shard's articles, or only those with ``keys``: the
    ones a build just changed)."""
    cat = catalogue_of(collection)
    stale_rows, tombstones = [], []
    only = f" and article_key in {literal(sorted(set(keys)))}" if keys is not None else ""
    if keys is not None and not keys:
        only = " and article_key < 0"  # nothing was superseded
    for row in scan(client, cat, f"kind in {literal([ARTICLE, TOMBSTONE])}{only}",
                    ["pk", "kind", "build", "article_key"]):
        if row["build"] in state.hidden or not in_shard(row["article_key"], shard):
            continue
        live = state.live.get(row["article_key"])
        if row["kind"] == TOMBSTONE:
            tombstones.append(row["pk"])
        elif live is None or live.build != row["build"]:
            stale_rows.append(row["pk"])
    stale_chunks = [int(r["id"]) for r in scan(client, collection, only.removeprefix(" and "),
                                               ["id", "article_key", "build"])
                    if r["build"] not in state.hidden and in_shard(r["article_key"], shard)
                    and not state.visible(r["article_key"], r["build"])]
    for start in range(0, len(stale_chunks), 1000):
        client.delete(collection, ids=stale_chunks[start:start + 1000])
    for pks in (stale_rows, tombstones):  # tombstones last: they hide the rows deleted before them
        for start in range(0, len(pks), 1000):
            client.delete(cat, ids=pks[start:start + 1000])


def drop_records(client, collection: str, state: State, shard) -> None:
    """Delete the records of this shard's finished builds (and older manifests): the build is complete."""
    cat = records_of(collection)
    spec = "" if shard is None else f"{shard[0]}/{shard[1]}"

    def mine(row: dict) -> bool:
        return shard is None or json.loads(row["data"]).get("shard", "") == spec

    metas = sorted(r["build"] for r in state.records if r["kind"] == META and r["build"] not in state.hidden)
    done = [r["pk"] for r in state.records if r["kind"] == META and r["build"] in metas[:-1]]
    pending = [r["pk"] for r in state.records if r["kind"] == PENDING and r["build"] in state.committed and mine(r)]
    commits = [r["pk"] for r in state.records if r["kind"] == COMMIT and mine(r)]
    for pks in (done, pending, commits):  # pending before commit: a lone pending record hides its build
        if pks:
            client.delete(cat, ids=pks)


def finish(client, collection: str, shard, keys: list[int] | None = None) -> None:
    """After a commit: superseded rows deleted, the rows sealed (flushed), then the records dropped. A kill
    before the records are gone makes the next build repeat this, with the duplicate repair of ``recover``."""
    state = read_state(client, collection)
    cleanup(client, collection, state, shard, keys)
    # searches then use built segment indexes
    for name in (collection, catalogue_of(collection), records_of(collection)):
        client.flush(name)
    drop_records(client, collection, state, shard)


def repair_duplicates(client, collection: str) -> None:
    """Rows stored twice under one primary key (Milvus Lite 3.2 after a kill during a flush) stored once."""
    for name, key in ((collection, "id"), (catalogue_of(collection), "pk"), (records_of(collection), "pk")):
        counts = Counter(row[key] for row in scan(client, name, "", [key], unique=False))
        twice = [k for k, n in counts.items() if n > 1]
        if not twice:
            continue
        logger.warning("%d rows of %s were stored twice (a killed flush); storing them once", len(twice), name)
        for start in range(0, len(twice), 500):
            batch = twice[start:start + 500]
            where = f"{key} in {literal(batch) if key == 'id' else json.dumps(batch)}"
            rows = {row[key]: row for row in client.query(name, filter=where, output_fields=["*"])}
            client.delete(name, ids=batch)
            if key == "id":
                for row in rows.values():
                    row.pop("id")
            insert(client, name, list(rows.values()))
        client.flush(name)


def _switch(client, alias: str, live: str | None, target: str, shard) -> None:
    """Point the alias at ``target`` (sharded: once every shard of it has finished); drop every generation
    but ``target`` and the one it replaces."""
    if shard is not None:
        k, n = shard
        client.insert(records_of(target), [record(f"d:{n}:{k}", SHARD_DONE, 0, {"shard": f"{k}/{n}"})])
        done = client.query(records_of(target), filter=f"kind == {SHARD_DONE}", output_fields=["data"],
                            limit=16384)
        finished = {json.loads(r["data"])["shard"] for r in done}
        if not all(f"{i}/{n}" in finished for i in range(n)):
            logger.info("shard %d/%d written; the alias switches when every shard has finished", k, n)
            return
    if live is None:
        client.create_alias(target, alias)
    else:
        client.alter_alias(target, alias)
    logger.info("index %s now serves generation %s", alias, target)
    generation = re.compile(re.escape(alias) + r"_(g[0-9a-f]{12}|[0-9]{20})(_cat|_rec)?")
    for name in client.list_collections():
        if generation.fullmatch(name) and name.removesuffix("_cat").removesuffix("_rec") not in (target, live):
            client.drop_collection(name)
