"""What an incremental build will do, decided before anything is written (pure: no disk, no model).

Articles are matched to the stored ones by id and content hash: unchanged ones keep their vectors, renamed
ones (same content, new id) keep theirs too, changed and new ones are embedded, and articles whose files are
gone are removed, except those whose file has become unreadable: their indexed copy is kept. Identical
articles under several names are one entry with all their sources.
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from rag.indexing.store import StoredArticle
from rag.types import Article, Problem

logger = logging.getLogger(__name__)


@dataclass
class Entry:
    """One distinct article of the corpus and every source it was found under."""

    article: Article
    content_hash: str
    sources: list[str]


@dataclass
class Plan:
    """The changes that bring the stored articles in line with the corpus."""

    embed: list[Entry] = field(default_factory=list)          # new or changed content, in corpus order
    changed: list[str] = field(default_factory=list)          # ids among ``embed`` whose old chunks go first
    renamed: list[tuple[str, Entry]] = field(default_factory=list)  # (old id, entry): the vectors are kept
    metadata: list[Entry] = field(default_factory=list)       # same content, other sources or url
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)          # ids whose files are gone
    kept_unreadable: list[str] = field(default_factory=list)  # gone, but their file could not be read

    @property
    def added(self) -> list[str]:
        changed = set(self.changed)
        return [e.article.id for e in self.embed if e.article.id not in changed]


def content_hash(article: Article) -> str:
    """Hash of everything that reaches the embedder or the reader (not the file name)."""
    payload = "\0".join([article.title, article.published or "", article.text])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def dedupe(articles: Iterable[Article]) -> tuple[list[Entry], list[tuple[str, str]]]:
    """Identical articles grouped into entries (ids are already unique: ``load_folder`` reports reused ones),
    and the (kept source, duplicate source) pairs."""
    by_hash: dict[str, Entry] = {}
    duplicates: list[tuple[str, str]] = []
    for article in articles:
        digest = content_hash(article)
        entry = by_hash.get(digest)
        if entry is None:
            by_hash[digest] = Entry(article, digest, [article.source])
        else:
            entry.sources.append(article.source)
            duplicates.append((entry.article.source, article.source))
            logger.info("%s duplicates %s: indexed once", article.source, entry.article.source)
    return list(by_hash.values()), duplicates


def plan(entries: list[Entry], stored: Mapping[str, StoredArticle], problems: Iterable[Problem] = ()) -> Plan:
    """The plan that makes ``stored`` (article id -> stored article) hold exactly ``entries``; ``problems`` are
    the files that could not be read this time (the articles they held are kept)."""
    result = Plan()
    new_ids = {e.article.id for e in entries}
    gone = {aid: a for aid, a in stored.items() if aid not in new_ids}
    gone_by_hash = {a.content_hash: aid for aid, a in gone.items()}
    for entry in entries:
        article, previous = entry.article, stored.get(entry.article.id)
        if previous is None and entry.content_hash in gone_by_hash:
            old_id = gone_by_hash.pop(entry.content_hash)
            del gone[old_id]
            result.renamed.append((old_id, entry))
        elif previous is not None and previous.content_hash == entry.content_hash:
            result.unchanged += 1
            if previous.sources != entry.sources or previous.url != article.url:
                result.metadata.append(entry)
        else:
            if previous is not None:
                result.changed.append(article.id)
            result.embed.append(entry)
    unreadable = {file_of(p.source) for p in problems}
    for article_id, gone_article in gone.items():
        if any(file_of(s) in unreadable for s in gone_article.sources):
            result.kept_unreadable.append(article_id)
        else:
            result.removed.append(article_id)
    return result


def file_of(source: str) -> str:
    """``a/b.jsonl#id`` and ``a/b.jsonl:7`` -> ``a/b.jsonl``."""
    path = source.split("#", 1)[0]
    head, sep, tail = path.rpartition(":")
    return head if sep and tail.isdigit() else path
