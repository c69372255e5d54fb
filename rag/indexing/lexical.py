"""Lexical retrieval: BM25 (bm25s) over tokens stemmed with each passage's own language."""
from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from rag.errors import MissingPackage
from rag.text.tokens import tokenize
from rag.types import Query

logger = logging.getLogger(__name__)


def _bm25s():
    try:
        import bm25s
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise MissingPackage("bm25s is not installed: pip install bm25s") from exc
    # bm25s sets its own logger to DEBUG on import and logs every index build; keep it quiet.
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s


def _idf(documents_with_stem: int, documents: int) -> float:
    """BM25's idf (Lucene's form, as bm25s computes it): always positive."""
    return math.log(1 + (documents - documents_with_stem + 0.5) / (documents_with_stem + 0.5))


class LexicalIndex:
    """A BM25 index whose rows map to chunk ids."""

    def __init__(self, retriever, chunk_ids: np.ndarray) -> None:
        self._retriever = retriever
        self.chunk_ids = chunk_ids
        self._row_of: dict[int, int] | None = None
        self._sorted: tuple[np.ndarray, np.ndarray, int] | None = None

    @classmethod
    def build(cls, texts: Sequence[str], languages: Sequence[str], chunk_ids: Sequence[int]) -> LexicalIndex:
        """Index ``texts`` (each stemmed with its language) under ``chunk_ids``."""
        ids = np.asarray(chunk_ids, dtype=np.int64)
        if not texts:
            return cls(None, ids)
        bm25s = _bm25s()
        corpus = [tokenize(text, lang) or ["<empty>"] for text, lang in zip(texts, languages)]
        retriever = bm25s.BM25()
        retriever.index(corpus, show_progress=False)
        return cls(retriever, ids)

    def search(self, query: Query, k: int) -> list[tuple[int, float]]:
        """Top ``k`` (chunk id, BM25 score) pairs with a positive score, best first."""
        if self._retriever is None:
            return []
        token_ids = self._retriever.get_tokens_ids(list(query.stems))
        if not token_ids:
            return []
        scores = self._retriever.get_scores(token_ids)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(self.chunk_ids[i]), float(scores[i])) for i in top if scores[i] > 0]

    def coverage(self, query: Query, chunk_ids: Iterable[int]) -> dict[int, float]:
        """Chunk id -> the idf-weighted share of the query's distinct stems that the chunk contains.

        The idf is BM25's own (Lucene's, as bm25s computes it); a stem found in no chunk gets the highest
        idf, so a question whose rarest words the corpus never mentions has low coverage everywhere.
        Unknown chunk ids get 0.
        """
        wanted = set(query.stems)
        ids = list(chunk_ids)
        if not wanted or self._retriever is None:
            return dict.fromkeys(ids, 0.0)
        vocab = self._retriever.vocab_dict
        indptr, indices, n_docs = self._postings()
        row_of = self._rows()
        rows = np.array([row_of.get(cid, -1) for cid in ids], dtype=np.int64)
        matched = np.zeros(len(ids))
        total = 0.0
        for token in wanted:
            column = vocab.get(token)
            docs = indices[indptr[column]:indptr[column + 1]] if column is not None else indices[:0]
            idf = _idf(len(docs), n_docs)
            total += idf
            if len(docs):
                at = np.minimum(np.searchsorted(docs, rows), len(docs) - 1)
                matched += idf * (docs[at] == rows)
        return {cid: float(m / total) for cid, m in zip(ids, matched)}

    def idf(self, stem: str) -> float:
        """How rare ``stem`` is among the indexed passages: BM25's idf (a stem in no passage is rarest)."""
        if self._retriever is None:
            return 1.0
        indptr, _, n_docs = self._postings()
        column = self._retriever.vocab_dict.get(stem)
        return _idf(int(indptr[column + 1] - indptr[column]) if column is not None else 0, n_docs)

    def _postings(self) -> tuple[np.ndarray, np.ndarray, int]:
        """(indptr, indices, number of rows) of bm25s' stem -> rows matrix, each stem's rows ascending
        (as bm25s builds them; checked once, and sorted into a copy otherwise) for binary search."""
        if self._sorted is None:
            scores = self._retriever.scores
            indptr, indices = scores["indptr"], scores["indices"]
            steps = np.diff(indices.astype(np.int64))
            starts = indptr[1:-1]
            steps[starts[(starts > 0) & (starts < len(indices))] - 1] = 1  # a new stem's rows may start lower
            if len(steps) and steps.min() <= 0:
                logger.info("BM25 postings are not sorted by row; sorting a copy for coverage lookups")
                stems = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
                indices = indices[np.lexsort((indices, stems))]
            self._sorted = (indptr, indices, int(scores["num_docs"]))
        return self._sorted

    def _rows(self) -> dict[int, int]:
        if self._row_of is None:
            self._row_of = {int(cid): row for row, cid in enumerate(self.chunk_ids)}
        return self._row_of

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / "chunk_ids.npy", self.chunk_ids)
        if self._retriever is not None:
            self._retriever.save(str(folder / "bm25"), show_progress=False)
        (folder / "lexical.json").write_text(json.dumps({"empty": self._retriever is None}))

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        bm25s = _bm25s()
        chunk_ids = np.load(folder / "chunk_ids.npy")
        if json.loads((folder / "lexical.json").read_text())["empty"]:
            return cls(None, chunk_ids)
        retriever = bm25s.BM25.load(str(folder / "bm25"), show_progress=False)
        return cls(retriever, chunk_ids)
