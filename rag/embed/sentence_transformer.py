"""Embedding backend: any sentence-transformers model (the bundled all-MiniLM-L6-v2, a local folder,
or a model already in the local Hugging Face cache), on the CPU, never downloaded."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np

from rag.embed.base import Embedder
from rag.embed.files import resolve_embedder
from rag.errors import MissingPackage

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)


class SentenceTransformerEmbedder(Embedder):
    """A sentence-transformers model; queries and passages are embedded alike."""

    languages = ("en",)  # all-MiniLM-L6-v2; for another model set ``embed_languages``

    def _load(self) -> SentenceTransformer:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise MissingPackage("sentence-transformers is not installed: pip install sentence-transformers") from exc
        path = resolve_embedder(self.model_setting)
        logger.info("loading embedding model %s", path)
        return SentenceTransformer(str(path), device="cpu", local_files_only=True)

    @property
    def dimension(self) -> int:
        # renamed in sentence-transformers 6; the old name warns there and is all that 3.x has
        method = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        return int(method())

    def _embed(self, texts: list[str], query: bool) -> np.ndarray:
        return self.model.encode(texts, batch_size=len(texts), convert_to_numpy=True, show_progress_bar=False)
