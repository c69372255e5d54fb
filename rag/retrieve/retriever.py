"""Hybrid retrieval: FAISS (dense) and BM25 (lexical) legs fused into one ranking of passages."""
from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rag.embed.base import Embedder
from rag.embed.factory import embedder_for
from rag.errors import UnknownArticle
from rag.indexing.backend import live_index, live_key
from rag.indexing.reader import Index, LiveIndex
from rag.retrieve.fusion import adaptive_fusion, best_first, newer_first, tie_floor, weighted_fusion
from rag.settings import Settings
from rag.text.query import make_query
from rag.text.question import FACT, MULTI_ARTICLE
from rag.types import Hit, Query, Question

if TYPE_CHECKING:
    import numpy as np

logger = logging.getLogger(__name__)

ARTICLE_CANDIDATES = 8  # whole articles read for an open question (rag.answer.planning picks from them)
LegScores = tuple[dict[int, float], dict[int, float], dict[int, float]]  # dense, lexical, fused


@dataclass(frozen=True)
class Retrieval:
    """What a search found, with what the answering steps read from the same index version."""

    hits: list[Hit]
    idf: Mapping[str, float] = field(default_factory=dict)  # how rare each of the question's stems is
    embedder: Embedder | None = None  # the embedder, when it knows the question's language (to compare meanings)
    articles: list[Hit] = field(default_factory=list)  # for an open question: the whole articles of ``hits``,
                                                        # best first, each scored as its best passage


class Retriever:
    """Searches the live version of an index; picks up a newly published version by itself.

    Every search reads one version from start to end, so a rebuild switching versions meanwhile never pairs
    one version's scores with another's passages (chunk ids are reused after removals).
    """

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.embedder = embedder or embedder_for(settings)
        self._live, self._live_key = live_index(settings), live_key(settings)

    @property
    def live(self) -> LiveIndex:
        """The live index the settings point at (a new one when ``index_path`` or the backend has changed)."""
        if self._live_key != live_key(self.settings):
            self._live.close()
            self._live, self._live_key = live_index(self.settings), live_key(self.settings)
        return self._live

    @property
    def index(self) -> Index:
        """The live index version, for a quick look (reopened when a rebuild has switched versions)."""
        return self.live.current

    def embedder_knows(self, language: str) -> bool:
        """Whether the embedding model was trained on ``language`` (setting ``embed_languages``)."""
        setting = self.settings.embed_languages.strip()
        known = self.embedder.languages if setting == "auto" else {lang.strip() for lang in setting.split(",")}
        return "*" in known or language in known

    def dense_weight(self, language: str) -> float:
        """How much the dense leg counts for a query in ``language``."""
        return self.settings.dense_weight if self.embedder_knows(language) else self.settings.dense_weight_foreign

    def leg_scores(self, query: str | Query, n: int, embedding: np.ndarray | None = None) -> LegScores:
        """Chunk id -> score for the dense leg's and the lexical leg's top ``n``, and their fusion (``embedding``:
        the query's, when already computed)."""
        with self.live.reading() as index:
            return self._leg_scores(index, _as_query(query), n, embedding)

    def search(self, query: str | Query, k: int | None = None, prefer_newer: bool = False) -> list[Hit]:
        """The ``k`` best passages for ``query`` (default ``settings.top_k``), best first.

        ``prefer_newer`` (for a question about the present) puts passages of newer articles first among those
        near-tied with the best, candidates beyond ``k`` included (``newer_first`` in rag.retrieve.fusion)."""
        with self.live.reading() as index:
            return self._search(index, _as_query(query), k or self.settings.top_k, prefer_newer)

    def retrieve(self, question: Question, article: str | None = None) -> Retrieval:
        """The passages for ``question`` (its search query; newer first among near-ties for a question about the
        present), with the rarity of its stems in the same index version; only ``article``'s, when given (an
        unknown one is a :class:`rag.errors.UnknownArticle`)."""
        with self.live.reading() as index:
            if article is not None:
                hits = self._article_passages(index, question.search, article)
            else:  # an answer that may draw on several articles looks for them further down the ranking
                depth = self.settings.candidates if question.shape in MULTI_ARTICLE else self.settings.top_k
                hits = self._search(index, question.search, max(depth, self.settings.top_k), question.latest)
            idf = {stem: index.lexical.idf(stem) for stem in set(question.stems)} if hits else {}
            articles = whole_articles(index, hits) if question.shape != FACT else []
            hits = hits[:self.settings.top_k]
        knows = self.embedder_knows(question.reply_language)
        return Retrieval(hits, idf, self.embedder if knows else None, articles)

    def _article_passages(self, index: Index, query: Query, article: str) -> list[Hit]:
        """The passages of ``article`` best first for ``query`` (those no leg ranks among its candidates last,
        in article order)."""
        ids = index.store.chunk_ids(article)
        if not ids:
            raise UnknownArticle(f"no article {article!r} in the index")
        fused = self._leg_scores(index, query, max(self.settings.candidates, len(ids) * 4))[2]
        chunks = index.store.chunks(ids)
        ranked = sorted(ids, key=lambda cid: (-fused.get(cid, 0.0), chunks[cid].ordinal if cid in chunks else 0))
        return [Hit(chunk_id=cid, article_id=c.article_id, title=c.title, published=c.published, text=c.text,
                    start=c.start, end=c.end, score=fused.get(cid, 0.0), dense_score=None, lexical_score=None,
                    language=c.language)
                for cid in ranked[:self.settings.top_k] if (c := chunks.get(cid)) is not None]

    def _search(self, index: Index, query: Query, k: int, prefer_newer: bool) -> list[Hit]:
        dense, lexical, fused = self._leg_scores(index, query, max(self.settings.candidates, k))
        ranked = best_first(fused)
        floor = tie_floor(fused[ranked[0]]) if ranked else 0.0
        tied = sum(fused[cid] >= floor for cid in ranked) if prefer_newer else 0
        best = ranked[:max(k, tied)]
        chunks = index.store.chunks(best)
        hits = [
            Hit(chunk_id=cid, article_id=c.article_id, title=c.title, published=c.published,
                text=c.text, start=c.start, end=c.end, score=fused[cid],
                dense_score=dense.get(cid), lexical_score=lexical.get(cid), language=c.language)
            for cid in best if (c := chunks.get(cid)) is not None
        ]
        return newer_first_hits(hits)[:k] if prefer_newer else hits

    def _leg_scores(self, index: Index, query: Query, n: int, embedding: np.ndarray | None = None) -> LegScores:
        if embedding is None:
            embedding = self.embedder.encode_query(query.text)
        dense = dict(index.vectors.search(embedding, n))
        lexical = dict(index.lexical.search(query, n))
        return dense, lexical, self._fuse(index, query, dense, lexical)

    def _fuse(self, index: Index, query: Query, dense: dict[int, float], lexical: dict[int, float]
              ) -> dict[int, float]:
        """The two legs' scores fused as the ``fusion`` setting says (rag/retrieve/fusion.py)."""
        weight = self.dense_weight(query.language)
        if self.settings.fusion == "weighted":
            return weighted_fusion(dense, lexical, weight)
        # Only lexical candidates need coverage: a dense-only candidate has no lexical score to scale.
        coverage = index.lexical.coverage(query, lexical)
        return adaptive_fusion(dense, lexical, coverage, weight)


def whole_articles(index: Index, hits: list[Hit], most: int = ARTICLE_CANDIDATES) -> list[Hit]:
    """The first ``most`` articles of ``hits`` as passages of their whole text, in the order of their best
    passage (scored as that one)."""
    found: list[Hit] = []
    for hit in hits:
        if len(found) == most:
            break
        if any(a.article_id == hit.article_id for a in found):
            continue
        stored = index.store.article(hit.article_id)
        if stored is not None:
            found.append(Hit(chunk_id=hit.chunk_id, article_id=stored.id, title=stored.title,
                             published=stored.published, text=stored.text, start=0, end=len(stored.text),
                             score=hit.score, dense_score=None, lexical_score=None, language=stored.language))
    return found


def _as_query(query: str | Query) -> Query:
    return make_query(query) if isinstance(query, str) else query


def newer_first_hits(hits: list[Hit]) -> list[Hit]:
    """``hits`` (best first) with newer articles first among the near-tied best (see ``newer_first``)."""
    return newer_first(hits, lambda hit: hit.score, lambda hit: hit.published)
