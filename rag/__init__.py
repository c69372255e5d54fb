"""Offline question answering over a folder of news articles (Indonesian and English).

The public surface::

    from rag import Settings, Library, Pipeline, Retriever, build_index, Answer, Token, RagError

Importing ``rag`` is cheap: the names are imported on first use, and no model or heavy library is loaded
until it is needed. The layers below (``rag.text``, ``rag.ingest``, ``rag.embed``, ``rag.llm``,
``rag.indexing``, ``rag.retrieve``, ``rag.answer``) are described in docs/architecture.md.
"""
from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from rag.offline import enforce_offline

enforce_offline()

__version__ = "0.1.0"

# The errors a user may see: each is a RagError (rag/errors.py).
_ERRORS = ("RagError", "SettingsError", "MissingPackage", "ModelNotFound", "ModelServerError", "NetworkBlocked",
           "FolderNotFound", "ArticleError", "UnknownArticle", "IndexNotBuilt", "IndexWriteError", "IndexInUse",
           "QuestionError", "UnknownChat", "ChatNameError", "QuestionsFileError", "Busy")
# Public name -> the module that defines it.
_PUBLIC = {
    **dict.fromkeys(_ERRORS, "rag.errors"), "Settings": "rag.settings",
    "Article": "rag.types", "Hit": "rag.types", "Query": "rag.types", "Question": "rag.types",
    "make_question": "rag.text.question",
    "Library": "rag.library", "BuildReport": "rag.indexing.builder", "build_index": "rag.indexing.backend",
    "Retriever": "rag.retrieve.retriever",
    "Pipeline": "rag.answer.pipeline", "Answer": "rag.answer.records", "Token": "rag.answer.records",
    "Retrieved": "rag.answer.records", "EvidenceFound": "rag.answer.records", "as_of_phrase": "rag.answer.records",
    "create_embedder": "rag.embed.factory", "make_query": "rag.text.query", "asks_for_latest": "rag.text.recency",
    "create_generator": "rag.llm.factory", "guard_network": "rag.offline",
}
__all__ = [*_PUBLIC, "__version__"]

if TYPE_CHECKING:
    from rag.answer.pipeline import Pipeline
    from rag.answer.records import Answer, EvidenceFound, Retrieved, Token, as_of_phrase
    from rag.embed.factory import create_embedder
    from rag.errors import (
        ArticleError,
        Busy,
        ChatNameError,
        FolderNotFound,
        IndexInUse,
        IndexNotBuilt,
        IndexWriteError,
        MissingPackage,
        ModelNotFound,
        ModelServerError,
        NetworkBlocked,
        QuestionError,
        QuestionsFileError,
        RagError,
        SettingsError,
        UnknownArticle,
        UnknownChat,
    )
    from rag.indexing.backend import build_index
    from rag.indexing.builder import BuildReport
    from rag.library import Library
    from rag.llm.factory import create_generator
    from rag.offline import guard_network
    from rag.retrieve.retriever import Retriever
    from rag.settings import Settings
    from rag.text.query import make_query
    from rag.text.question import make_question
    from rag.text.recency import asks_for_latest
    from rag.types import Article, Hit, Query, Question


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'rag' has no attribute {name!r}")
    value = getattr(import_module(_PUBLIC[name]), name)
    globals()[name] = value  # later look-ups skip this function
    return value
