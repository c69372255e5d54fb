"""Hybrid retrieval: FAISS (dense) and BM25 (lexical) legs fused into one ranking of passages."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from rag.embedding import Embedder
from rag.fusion import adaptive_fusion, weighted_fusion
from rag.index import Index
from rag.language import detect_language
from rag.settings import Settings
from rag.versions import current_version

logger = logging.getLogger(__name__)


@dataclass
class Hit:
    """One retrieved passage with its article's metadata and each leg's evidence."""

    chunk_id: int
    article_id: str
    title: str
    published: str | None
    text: str
    start: int
    end: int
    score: float
    dense_score: float | None
    lexical_score: float | None


class Retriever:
    """Searches the live version of an index; picks up a newly published version by itself."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.embedder = embedder or Embedder(settings.embed_model, settings.embed_batch_size)
        self._index: Index | None = None
        self._lock = threading.Lock()

    @property
    def index(self) -> Index:
        """The live index version (reopened when a rebuild has switched versions)."""
        with self._lock:
            live = current_version(self.settings.index_path)
            if self._index is None or (live is not None and live != self._index.folder):
                self._index = Index.open(self.settings.index_path)
                logger.info("opened index version %s", self._index.folder.name)
            return self._index

    def embedder_knows(self, language: str) -> bool:
        """Whether the embedding model was trained on ``language`` (setting ``embed_languages``)."""
        setting = self.settings.embed_languages.strip()
        known = self.embedder.languages if setting == "auto" else {lang.strip() for lang in setting.split(",")}
        return "*" in known or language in known

    def dense_weight(self, language: str) -> float:
        """How much the dense leg counts for a query in ``language``."""
        return self.settings.dense_weight if self.embedder_knows(language) else self.settings.dense_weight_foreign

    def idf(self, stem: str) -> float:
        """How rare a stem is in the live index (see LexicalIndex.idf)."""
        return self.index.lexical.idf(stem)

    def leg_scores(self, query: str, n: int) -> tuple[dict[int, float], dict[int, float], dict[int, float]]:
        """Chunk id -> score for the dense leg's and the lexical leg's top ``n``, and their fusion."""
        index = self.index
        language = detect_language(query)
        dense = dict(index.vectors.search(self.embedder.encode_query(query), n))
        lexical = dict(index.lexical.search(query, language, n))
        return dense, lexical, self.fuse(index, query, language, dense, lexical)

    def fuse(self, index: Index, query: str, language: str, dense: dict[int, float],
             lexical: dict[int, float]) -> dict[int, float]:
        """The two legs' scores fused as the ``fusion`` setting says (rag/fusion.py)."""
        weight = self.dense_weight(language)
        if self.settings.fusion == "weighted":
            return weighted_fusion(dense, lexical, weight)
        # Only lexical candidates need coverage: a dense-only candidate has no lexical score to scale.
        coverage = index.lexical.coverage(query, language, lexical)
        return adaptive_fusion(dense, lexical, coverage, weight)

    def search(self, query: str, k: int | None = None) -> list[Hit]:
        """The ``k`` best passages for ``query`` (default ``settings.top_k``), best first."""
        k = k or self.settings.top_k
        dense, lexical, fused = self.leg_scores(query, max(self.settings.candidates, k))
        best = sorted(fused, key=lambda cid: (-fused[cid], cid))[:k]
        chunks = self.index.store.chunks(best)
        return [
            Hit(chunk_id=cid, article_id=c.article_id, title=c.title, published=c.published,
                text=c.text, start=c.start, end=c.end, score=fused[cid],
                dense_score=dense.get(cid), lexical_score=lexical.get(cid))
            for cid in best if (c := chunks.get(cid)) is not None
        ]
