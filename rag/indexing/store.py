"""The article and chunk store: one SQLite file per index version."""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from rag.types import Article, Chunk

SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    published TEXT,
    url TEXT,
    language TEXT NOT NULL,
    sources TEXT NOT NULL          -- JSON list: every file/line this article was read from
);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY,        -- the id of the chunk's vector in FAISS
    article_id TEXT NOT NULL REFERENCES articles(id),
    ordinal INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_article ON chunks(article_id);
"""


@dataclass
class StoredArticle:
    """An indexed article with every source it was found under."""

    id: str
    content_hash: str
    title: str
    text: str
    published: str | None
    url: str | None
    language: str
    sources: list[str]


@dataclass
class StoredChunk:
    """A chunk row joined with its article's metadata."""

    id: int
    article_id: str
    ordinal: int
    start: int
    end: int
    text: str
    title: str
    published: str | None
    language: str


class Store:
    """Thin typed access to the SQLite file; writes happen inside :meth:`transaction`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    def copy_to(self, path: Path) -> Store:
        """A consistent copy of this store at ``path`` (SQLite online backup)."""
        target = sqlite3.connect(str(path))
        with target:
            self._db.backup(target)
        target.close()
        return Store(path)

    def transaction(self) -> sqlite3.Connection:
        return self._db

    def articles(self) -> list[StoredArticle]:
        rows = self._db.execute(
            "SELECT id, content_hash, title, text, published, url, language, sources FROM articles ORDER BY id"
        )
        return [_stored_article(row) for row in rows]

    def article(self, article_id: str) -> StoredArticle | None:
        row = self._db.execute(
            "SELECT id, content_hash, title, text, published, url, language, sources FROM articles WHERE id = ?",
            (article_id,),
        ).fetchone()
        return _stored_article(row) if row else None

    def chunk_ids(self, article_id: str) -> list[int]:
        return [r[0] for r in self._db.execute("SELECT id FROM chunks WHERE article_id = ?", (article_id,))]

    def chunks(self, ids: Iterable[int]) -> dict[int, StoredChunk]:
        """The chunks with ``ids`` (missing ids are left out)."""
        ids = list(ids)
        found: dict[int, StoredChunk] = {}
        for start in range(0, len(ids), 500):
            batch = ids[start:start + 500]
            rows = self._db.execute(
                "SELECT c.id, c.article_id, c.ordinal, c.start, c.end, c.text, a.title, a.published, a.language "
                "FROM chunks c JOIN articles a ON a.id = c.article_id "
                f"WHERE c.id IN ({','.join('?' * len(batch))})",
                batch,
            )
            found.update({row[0]: StoredChunk(*row) for row in rows})
        return found

    def all_chunks(self) -> Iterator[StoredChunk]:
        """Every chunk in id order (for rebuilding the lexical index)."""
        rows = self._db.execute(
            "SELECT c.id, c.article_id, c.ordinal, c.start, c.end, c.text, a.title, a.published, a.language "
            "FROM chunks c JOIN articles a ON a.id = c.article_id ORDER BY c.id"
        )
        return (StoredChunk(*row) for row in rows)

    def counts(self) -> tuple[int, int]:
        """(articles, chunks)."""
        articles = self._db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        chunks = self._db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        return int(articles), int(chunks)

    def chunk_counts(self) -> list[tuple[str, int]]:
        """(article id, number of chunks) for every article with chunks."""
        return list(self._db.execute("SELECT article_id, COUNT(*) FROM chunks GROUP BY article_id"))

    def max_chunk_id(self) -> int:
        return int(self._db.execute("SELECT COALESCE(MAX(id), -1) FROM chunks").fetchone()[0])

    def remove_article(self, article_id: str) -> list[int]:
        """Delete an article and its chunks; returns the removed chunk ids."""
        ids = self.chunk_ids(article_id)
        self._db.execute("DELETE FROM chunks WHERE article_id = ?", (article_id,))
        self._db.execute("DELETE FROM articles WHERE id = ?", (article_id,))
        return ids

    def put_article(self, article: Article, content_hash: str, sources: list[str]) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (article.id, content_hash, article.title, article.text, article.published, article.url,
             article.language, json.dumps(sources)),
        )

    def rename_article(self, old_id: str, new_id: str) -> None:
        """Move an article (and its chunks) to a new id, keeping its vectors."""
        self._db.execute("UPDATE articles SET id = ? WHERE id = ?", (new_id, old_id))
        self._db.execute("UPDATE chunks SET article_id = ? WHERE article_id = ?", (new_id, old_id))

    def put_chunks(self, ids: list[int], chunks: list[Chunk]) -> None:
        self._db.executemany(
            "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?)",
            [(i, c.article_id, c.ordinal, c.start, c.end, c.text) for i, c in zip(ids, chunks)],
        )


def _stored_article(row: tuple) -> StoredArticle:
    """An ``articles`` row, its columns in the table's order."""
    article_id, content_hash, title, text, published, url, language, sources = row
    return StoredArticle(article_id, content_hash, title, text, published, url, language, json.loads(sources))
