"""What the library lists and removes, read from the live version's catalogue (never FAISS or BM25): one row per
indexed article, the version's status, and an article's sources deleted from the articles folder."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

from rag.errors import UnknownArticle
from rag.indexing.backend import open_catalogue
from rag.settings import Settings


def indexed_articles(settings: Settings) -> list[dict]:
    """One row per indexed article: id, title, date, language, sources, chunk count, when its file arrived."""
    with open_catalogue(settings) as catalogue:
        counts = dict(catalogue.store.chunk_counts())
        return [{"id": a.id, "title": a.title, "date": a.published or "", "language": a.language,
                 "sources": ", ".join(a.sources), "chunks": counts.get(a.id, 0),
                 "added": _added(settings.articles_dir, a.sources)}
                for a in catalogue.store.articles()]


def _added(root: Path, sources: list[str]) -> str:
    """When the article's file arrived in the folder (its modification time); "" when it is gone."""
    files = [root / source.partition("#")[0] for source in sources]
    times = [f.stat().st_mtime for f in files if f.is_file()]
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(min(times))) if times else ""


def index_status(settings: Settings) -> dict:
    """Counts, models, signature and build time of the live index version."""
    from rag.indexing.manifest import signature_id

    with open_catalogue(settings) as catalogue:
        articles, chunks = catalogue.store.counts()
        manifest = catalogue.manifest
        return {"version": str(catalogue.folder), "articles": articles, "chunks": chunks,
                "built_at": manifest.built_at, "embed_model": manifest.signature["embed_model"],
                "dimension": manifest.dimension, "llm_model": settings.llm_label,
                "signature": signature_id(manifest.signature), "built_with": manifest.signature}


def remove_article(article_id: str, settings: Settings) -> list[str]:
    """Delete an article's sources from the articles folder (its JSONL line, or its file).

    Returns the sources removed; the next index build drops the article from the index. An id that is not
    indexed is an :class:`UnknownArticle`. A JSONL file keeps its modification time, which is when the other
    articles in it arrived.
    """
    with open_catalogue(settings) as catalogue:
        article = catalogue.store.article(article_id)
    if article is None:
        raise UnknownArticle(f"no indexed article with id {article_id!r}")
    root = settings.articles_dir.resolve()
    for source in article.sources:
        file_part, _, line_id = source.partition("#")
        path = (root / file_part).resolve()
        if root not in path.parents or not path.exists():
            continue
        if line_id:
            lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
            kept = [line for line in lines if not _is_line_of(line, line_id)]
            if any(line.strip() for line in kept):
                arrived = path.stat()
                path.write_text("".join(kept), encoding="utf-8")
                os.utime(path, ns=(arrived.st_atime_ns, arrived.st_mtime_ns))
                continue
        # a file, or a JSONL file left empty (an empty file would read as unreadable, not as removed)
        path.unlink()
    return article.sources


def _is_line_of(line: str, article_id: str) -> bool:
    try:
        return str(json.loads(line).get("id")) == article_id
    except (ValueError, AttributeError):
        return False
