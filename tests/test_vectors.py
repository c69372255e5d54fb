"""The FAISS vector index: exact and IVF layouts, removal by id, persistence, and the vector_index setting."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from rag.indexing.builder import build_index
from rag.indexing.reader import Index
from rag.indexing.vectors import EXACT, IVF, Layout, VectorIndex, wanted_layout
from rag.retrieve.retriever import Retriever
from tests.helpers.corpus import SAMPLE_ARTICLES, make_settings

DIM = 32
QUESTIONS = json.loads((Path(__file__).parent / "sample_questions.json").read_text(encoding="utf-8"))


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def clustered() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """2,000 vectors in 20 clusters under ids 1000.., and 100 queries near random vectors."""
    rng = np.random.default_rng(3)
    centres = unit(rng.standard_normal((20, DIM)))
    vectors = unit(centres[rng.integers(0, 20, 2000)] + 0.06 * rng.standard_normal((2000, DIM)))
    queries = unit(vectors[rng.integers(0, 2000, 100)] + 0.06 * rng.standard_normal((100, DIM)))
    return np.arange(1000, 3000, dtype=np.int64), vectors, queries


def layouts(count: int) -> list[Layout]:
    """Exact, and an IVF layout that scans fewer lists than it has (so it really approximates)."""
    ivf = wanted_layout(IVF, count, approx_min_chunks=0, nprobe=8)
    assert ivf.kind == IVF and ivf.nprobe < ivf.lists
    return [Layout(EXACT), ivf]


def top_ids(index: VectorIndex, query: np.ndarray, k: int) -> list[int]:
    return [chunk_id for chunk_id, _ in index.search(query, k)]


def test_ivf_finds_the_same_top_hits_as_exact(clustered):
    ids, vectors, queries = clustered
    exact, ivf = (VectorIndex.build(layout, ids, vectors, DIM) for layout in layouts(len(ids)))
    assert (exact.layout.kind, ivf.layout.kind) == (EXACT, IVF)
    recall = np.mean([len(set(top_ids(ivf, q, 10)) & set(top_ids(exact, q, 10))) / 10 for q in queries])
    assert recall >= 0.9
    assert top_ids(ivf, vectors[7], 1) == [ids[7]]


@pytest.mark.parametrize("kind", [EXACT, IVF])
def test_add_and_remove_by_id(clustered, kind):
    ids, vectors, _ = clustered
    layout = {lay.kind: lay for lay in layouts(len(ids))}[kind]
    index = VectorIndex.build(layout, ids[:1500], vectors[:1500], DIM)
    gone = ids[100:200]
    assert index.remove(gone) == 100 and len(index) == 1400
    assert index.remove(np.array([99999])) == 0
    index.add(ids[1500:], vectors[1500:])
    assert len(index) == 1900
    found = {top_ids(index, vectors[row], 1)[0] for row in range(0, 2000, 10)}
    assert not found & set(gone.tolist())
    # every remaining vector, old or new, is still found under its own id
    assert all(top_ids(index, vectors[row], 1) == [ids[row]] for row in list(range(200, 2000, 50)) + [0, 99])
    stored, _ = index.arrays()
    assert sorted(stored.tolist()) == sorted(set(ids.tolist()) - set(gone.tolist()))


@pytest.mark.parametrize("kind", [EXACT, IVF])
def test_save_load_roundtrip(clustered, tmp_path, kind):
    ids, vectors, queries = clustered
    layout = {lay.kind: lay for lay in layouts(len(ids))}[kind]
    index = VectorIndex.build(layout, ids, vectors, DIM)
    index.save(tmp_path / "v.faiss")
    loaded = VectorIndex.load(tmp_path / "v.faiss")
    assert loaded.layout == index.layout and len(loaded) == len(index) and loaded.dimension == DIM
    assert [loaded.search(q, 10) for q in queries[:20]] == [index.search(q, 10) for q in queries[:20]]


def test_with_layout_reencodes_the_same_vectors(clustered):
    ids, vectors, _ = clustered
    exact = VectorIndex.build(Layout(EXACT), ids, vectors, DIM)
    ivf = exact.with_layout(wanted_layout(IVF, len(ids), 0, 8))
    back = ivf.with_layout(Layout(EXACT))
    for index in (ivf, back):
        stored_ids, stored = index.arrays()
        order = np.argsort(stored_ids)
        assert np.array_equal(stored_ids[order], ids) and np.allclose(stored[order], vectors)
    assert ivf.with_layout(wanted_layout(IVF, len(ids), 0, 3)) is ivf and ivf.layout.nprobe == 3  # no retraining
    assert ivf.with_layout(wanted_layout(IVF, 40 * len(ids), 0, 3)).layout.lists > ivf.layout.lists * 2


def test_auto_switches_at_the_threshold():
    assert wanted_layout("auto", 99, approx_min_chunks=100, nprobe=32) == Layout(EXACT)
    assert wanted_layout("auto", 100, approx_min_chunks=100, nprobe=32) == Layout(IVF, 20, 32)
    assert wanted_layout("auto", 10_000, approx_min_chunks=100, nprobe=32) == Layout(IVF, 200, 32)
    assert wanted_layout(EXACT, 10**6, approx_min_chunks=100, nprobe=32).kind == EXACT
    assert wanted_layout(IVF, 0, approx_min_chunks=100, nprobe=32).kind == EXACT  # nothing to train on


def test_build_index_switches_layout_without_reembedding(tmp_path, embedder):
    corpus = tmp_path / "articles"
    shutil.copytree(SAMPLE_ARTICLES, corpus)
    small = make_settings(tmp_path)  # defaults: auto, far below approx_min_chunks
    first = build_index(corpus, small, embedder)
    with Index.open(small.index_path) as index:
        assert index.vectors.layout.kind == EXACT and index.manifest.vector_index == EXACT
        chunks = index.manifest.chunks

    approx = make_settings(tmp_path, approx_min_chunks=5)  # auto now means IVF
    report = build_index(corpus, approx, embedder)
    assert report.vector_index_change and report.vector_index_change.startswith("exact -> ivf(lists=")
    assert report.chunks_embedded == 0 and report.full_rebuild_reason is None and report.version is not None
    with Index.open(approx.index_path) as index:
        assert index.vectors.layout.kind == IVF and len(index.vectors) == chunks == first.chunks_embedded
        assert index.manifest.vector_index == index.vectors.layout.describe()
    assert build_index(corpus, approx, embedder).version is None  # up to date: nothing rewritten

    retriever = Retriever(approx, embedder)
    for case in QUESTIONS:
        hits = retriever.search(case["question"], 3)
        top = retriever.index.store.article(hits[0].article_id)
        assert top and case["file"] in [s.split("#")[0] for s in top.sources]
        assert any(case["answer"] in hit.text for hit in hits)

    # incremental removal works on the IVF index
    (corpus / "harga-beras-2026-02-12.txt").unlink()
    report = build_index(corpus, approx, embedder)
    assert len(report.removed) == 1 and report.vector_index_change is None
    with Index.open(approx.index_path) as index:
        assert index.vectors.layout.kind == IVF and len(index.vectors) == index.manifest.chunks < chunks
        assert set(index.vectors.arrays()[0].tolist()) == {c.id for c in index.store.all_chunks()}

    report = build_index(corpus, make_settings(tmp_path, vector_index=EXACT), embedder)
    assert report.vector_index_change and report.vector_index_change.endswith("-> exact")
    assert report.chunks_embedded == 0
