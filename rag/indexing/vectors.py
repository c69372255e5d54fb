"""Dense vectors in FAISS, addressed by chunk id: exact search, or approximate (IVF) for big corpora.

Two layouts, both inner product over unit vectors (= cosine similarity), both removable by id:

- ``exact``: ``IndexIDMap2(IndexFlatIP)``, every query compared with every vector. The default, and
  what small corpora always get.
- ``ivf``: ``IndexIVFFlat``: k-means splits the vectors into about 2*sqrt(n) lists and a query scans only
  the ``nprobe`` lists whose centroids are nearest. The chunk ids are kept in the lists themselves, so
  ``add_with_ids`` and ``remove_ids`` work natively and incremental builds stay incremental. (Wrapping
  an IVF index in ``IndexIDMap2`` would be wrong: that wrapper assumes the inner index renumbers its
  vectors after a removal, as a flat index does, and returns the wrong ids after any removal. HNSW
  was not chosen because FAISS cannot remove from an HNSW graph: every changed article would mean
  rebuilding the graph, ~45 s at 100k chunks here, and on bench/latency.py's vectors it recalled no better.)

The lists are trained when the layout is (re)built: on a full build, when the setting changes, and
when the corpus has grown or shrunk about 4x since training (the ideal list count is then 2x off);
in between, new vectors go to the nearest trained list. ``nprobe`` is stored in the index file.
Which layout an index should have is :func:`wanted_layout`; :meth:`VectorIndex.with_layout` converts
by re-encoding the stored vectors (no re-embedding).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.errors import MissingPackage

EXACT, IVF = "exact", "ivf"
TRAIN_PER_LIST = 64  # k-means training sample per list (FAISS's own rule of thumb: 39 to 256)


def _faiss():
    try:
        import faiss
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise MissingPackage("faiss is not installed: pip install faiss-cpu") from exc
    return faiss


@dataclass(frozen=True)
class Layout:
    """How the vectors are indexed: ``exact``, or ``ivf`` with ``lists`` lists of which ``nprobe`` are scanned
    (an index scans at most all its lists)."""

    kind: str = EXACT
    lists: int = 0
    nprobe: int = 0

    def describe(self) -> str:
        """E.g. ``"exact"`` or ``"ivf(lists=316, nprobe=32)"`` (recorded in the manifest)."""
        return self.kind if self.kind == EXACT else f"{self.kind}(lists={self.lists}, nprobe={self.nprobe})"


def ivf_lists(count: int) -> int:
    """The number of IVF lists for ``count`` vectors: about 2*sqrt(count) (better recall per scanned vector
    than sqrt(count) in bench/latency.py, for twice the training time), at most ``count``."""
    return max(1, min(count, round(2 * math.sqrt(count))))


def wanted_layout(setting: str, count: int, approx_min_chunks: int, nprobe: int) -> Layout:
    """The layout for ``count`` vectors under setting ``vector_index`` (``auto`` | ``exact`` | ``ivf``).

    ``auto`` is exact below ``approx_min_chunks`` vectors and IVF from there on; an empty index is exact.
    """
    approximate = setting == IVF or (setting == "auto" and count >= approx_min_chunks)
    if not approximate or count == 0:
        return Layout(EXACT)
    return Layout(IVF, ivf_lists(count), nprobe)


class VectorIndex:
    """A FAISS index of unit vectors under chunk ids, in one of the layouts above."""

    def __init__(self, index) -> None:
        self._index = index

    @classmethod
    def empty(cls, dimension: int) -> VectorIndex:
        faiss = _faiss()
        return cls(faiss.IndexIDMap2(faiss.IndexFlatIP(dimension)))

    @classmethod
    def build(cls, layout: Layout, ids: np.ndarray, vectors: np.ndarray, dimension: int) -> VectorIndex:
        """A new index with ``layout`` holding ``vectors`` under ``ids`` (IVF: trained on a sample of them)."""
        if layout.kind == EXACT:
            index = cls.empty(dimension)
        else:
            index = cls(_trained_ivf(np.ascontiguousarray(vectors, dtype=np.float32), dimension, layout.lists))
            index._index.nprobe = min(layout.nprobe, layout.lists)
        index.add(ids, vectors)
        return index

    @property
    def dimension(self) -> int:
        return int(self._index.d)

    @property
    def layout(self) -> Layout:
        """The layout this index has now."""
        if hasattr(self._index, "nlist"):
            return Layout(IVF, int(self._index.nlist), int(self._index.nprobe))
        return Layout(EXACT)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32),
                                     np.asarray(ids, dtype=np.int64))

    def remove(self, ids: np.ndarray) -> int:
        """Remove the vectors of ``ids``; returns how many were removed."""
        if not len(ids):
            return 0
        return int(self._index.remove_ids(np.asarray(ids, dtype=np.int64)))

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Top ``k`` (chunk id, cosine similarity) pairs, best first."""
        if len(self) == 0:
            return []
        faiss = _faiss()
        threads = faiss.omp_get_max_threads()  # per calling thread (an OpenMP ICV): builds elsewhere keep theirs
        # One query runs on one thread anyway; a second OpenMP thread only adds a barrier that costs
        # 10-300x on a busy 2-core machine (bench/latency.py).
        faiss.omp_set_num_threads(1)
        try:
            scores, ids = self._index.search(np.asarray(query, dtype=np.float32).reshape(1, -1), min(k, len(self)))
        finally:
            faiss.omp_set_num_threads(threads)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i != -1]

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """All stored (ids, vectors), in storage order."""
        faiss = _faiss()
        if self.layout.kind == EXACT:
            return (faiss.vector_to_array(self._index.id_map).astype(np.int64),
                    self._index.index.reconstruct_n(0, len(self)))
        from faiss.contrib.inspect_tools import get_invlist

        parts = [get_invlist(self._index.invlists, n) for n in range(self._index.nlist)]
        ids = np.concatenate([p[0] for p in parts] + [np.zeros(0, np.int64)]).astype(np.int64)
        codes = np.concatenate([p[1].reshape(-1) for p in parts] + [np.zeros(0, np.uint8)])
        return ids, codes.view(np.float32).reshape(-1, self.dimension)

    def fits(self, layout: Layout) -> bool:
        """Whether this index can serve as ``layout``: same kind, and for IVF a list count within 2x."""
        mine = self.layout
        if mine.kind != layout.kind:
            return False
        return mine.kind == EXACT or layout.lists / 2 <= mine.lists <= layout.lists * 2

    def with_layout(self, layout: Layout) -> VectorIndex:
        """This index if it fits ``layout`` (``nprobe`` updated in place), else its vectors re-encoded."""
        if not self.fits(layout):
            ids, vectors = self.arrays()
            return VectorIndex.build(layout, ids, vectors, self.dimension)
        if layout.kind == IVF:
            self._index.nprobe = min(layout.nprobe, self.layout.lists)  # own lists: may differ from layout's
        return self

    def save(self, path: Path) -> None:
        # Written through Python: FAISS's own file writer ignores a failed close, so a disk that fills up
        # at the end leaves a truncated file without an error.
        faiss = _faiss()
        with open(path, "wb") as handle:
            faiss.write_index(self._index, faiss.PyCallbackIOWriter(handle.write))

    @classmethod
    def load(cls, path: Path) -> VectorIndex:
        return cls(_faiss().read_index(str(path)))


def _trained_ivf(vectors: np.ndarray, dimension: int, lists: int):
    """An empty ``IndexIVFFlat`` (inner product) whose ``lists`` centroids are trained on ``vectors``."""
    faiss = _faiss()
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dimension), dimension, lists, faiss.METRIC_INNER_PRODUCT)
    index.cp.min_points_per_centroid = 1  # small corpora: fewer points per list is fine, no warning
    index.cp.max_points_per_centroid = TRAIN_PER_LIST  # FAISS trains on a seeded random sample
    index.cp.seed = 1234
    index.train(vectors)
    return index
