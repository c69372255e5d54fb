"""Plain data records shared across the library: articles, chunks, queries, search hits."""
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


@dataclass(frozen=True)
class Query:
    """Words to search for, made once (``rag.text.query.make_query``): the text, its language and its stems in
    that language."""

    text: str
    language: str
    stems: tuple[str, ...]  # in order, repeats kept (BM25 counts a repeated word twice)


@dataclass(frozen=True)
class Question:
    """A question as every step of answering reads it, analysed once (``rag.text.question.make_question``).

    ``language`` is the detected one ("und" when unsure); the question's stems and every text compared with it
    are read in that language. ``reply_language`` is the one the answer and a refusal are written in.
    """

    text: str                   # as asked (cleaned)
    language: str
    reply_language: str
    kind: str | None            # the kind of answer asked for: "number", "date", "name", "definition" or None
    shape: str                  # "fact" (one short answer), or an open question's shape: "summary", "explain"
                                # (why, how), "list", "compare" or "timeline" (rag.answer.planning)
    counted: str | None         # the stem of what a "how many" question counts ("berapa warga" -> "warga")
    numbers: frozenset[str]     # the values of its numbers (rag.text.numbers), month names included
    words: frozenset[str]       # its words and numbers, lower case ("semarang-demak" is one word)
    content: frozenset[str]     # its content stems (rag.text.tokens.content_stems)
    latest: bool                # it asks about the present ("sekarang", "latest")
    search: Query               # what is searched: the standalone query of a follow-up, else the question

    @property
    def stems(self) -> tuple[str, ...]:
        """The stems searched for and weighed in the evidence, in order."""
        return self.search.stems


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
    language: str = "und"  # its article's, as detected when it was indexed
