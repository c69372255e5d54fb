"""Sentence-transformers embeddings: batched, length-sorted, L2-normalised, with a progress bar."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Sequence

import numpy as np

from rag.models import resolve_embedder

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)


class Embedder:
    """Wraps one sentence-transformers model; the model is loaded on first use, then reused."""

    def __init__(self, model: str, batch_size: int = 32) -> None:
        self.model_setting = model
        self.batch_size = batch_size
        self._model: SentenceTransformer | None = None

    @property
    def model(self) -> "SentenceTransformer":
        if self._model is None:
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:  # pragma: no cover - depends on the install
                raise ImportError(
                    "sentence-transformers is not installed: pip install sentence-transformers"
                ) from exc
            path = resolve_embedder(self.model_setting)
            logger.info("loading embedding model %s", path)
            self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        return self._model

    @property
    def dimension(self) -> int:
        return int(self.model.get_sentence_embedding_dimension())

    @property
    def name(self) -> str:
        """A stable description of the model for the index signature."""
        return self.model_setting

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        """Embed ``texts`` as float32 rows of unit length, in the order given."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # sentence-transformers sorts the texts by length before batching (less padding) and
        # restores the input order afterwards.
        vectors = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return vectors.astype(np.float32, copy=False)

    def encode_query(self, text: str) -> np.ndarray:
        """Embed one query as a 1-D unit vector."""
        return self.encode([text])[0]
