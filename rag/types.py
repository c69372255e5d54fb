"""Plain data records shared across the library: articles, chunks, search hits."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Article:
    """One news article as read from disk, before indexing.

    ``id`` is stable across rebuilds: the id given in a JSONL line, otherwise derived from the
    file's path relative to the corpus folder. ``source`` is that relative path (``file.jsonl#id``
    for JSONL lines). ``published`` is an ISO date (``YYYY-MM-DD``) when known.
    """

    id: str
    title: str
    text: str
    source: str
    url: str | None = None
    published: str | None = None
    language: str = "und"


@dataclass
class Chunk:
    """A passage of an article: ``text == article.text[start:end]``."""

    article_id: str
    ordinal: int
    start: int
    end: int
    text: str


@dataclass
class Problem:
    """A file (or line of a file) that could not be read; reported, never fatal."""

    source: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"


@dataclass
class LoadResult:
    """What reading a corpus folder produced: the articles and the files that were skipped."""

    articles: list[Article] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
