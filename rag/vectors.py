"""Dense vectors in FAISS: exact inner product over unit vectors, addressed by chunk id."""
from __future__ import annotations

from pathlib import Path

import numpy as np


def _faiss():
    try:
        import faiss
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError("faiss is not installed: pip install faiss-cpu") from exc
    return faiss


class VectorIndex:
    """FAISS ``IndexIDMap2(IndexFlatIP)``: cosine similarity on normalised vectors, removable by id."""

    def __init__(self, index) -> None:
        self._index = index

    @classmethod
    def empty(cls, dimension: int) -> "VectorIndex":
        faiss = _faiss()
        return cls(faiss.IndexIDMap2(faiss.IndexFlatIP(dimension)))

    @property
    def dimension(self) -> int:
        return int(self._index.d)

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
        scores, ids = self._index.search(np.asarray(query, dtype=np.float32).reshape(1, -1), min(k, len(self)))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i != -1]

    def save(self, path: Path) -> None:
        _faiss().write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path) -> "VectorIndex":
        return cls(_faiss().read_index(str(path)))
