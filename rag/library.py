"""Managing the article collection: what is indexed, adding uploaded files, removing an article."""
from __future__ import annotations

import json
import shutil
import unicodedata
from pathlib import Path

from rag.index import Index
from rag.readers import READERS
from rag.settings import Settings


def indexed_articles(settings: Settings) -> list[dict]:
    """One row per indexed article: id, title, date, language, sources, chunk count."""
    with Index.open(settings.index_path) as index:
        counts = dict(index.store.chunk_counts())
        return [{"id": a.id, "title": a.title, "date": a.published or "", "language": a.language,
                 "sources": ", ".join(a.sources), "chunks": counts.get(a.id, 0)}
                for a in index.store.articles()]


def index_status(settings: Settings) -> dict:
    """Counts, models, signature and build time of the live index version."""
    from rag.manifest import signature_id

    with Index.open(settings.index_path) as index:
        articles, chunks = index.store.counts()
        return {"version": str(index.folder), "articles": articles, "chunks": chunks,
                "built_at": index.manifest.built_at, "embed_model": index.manifest.signature["embed_model"],
                "dimension": index.manifest.dimension, "llm_model": settings.llm_model,
                "signature": signature_id(index.manifest.signature), "built_with": index.manifest.signature}


MAX_NAME_BYTES = 200  # file systems allow 255 bytes; leaves room for a "-n" when the name is taken


def safe_name(name: str) -> str:
    """A plain file name from an uploaded one: no folders, no '..', no control characters, at most
    MAX_NAME_BYTES of UTF-8 (a long name is shortened before its extension, which is kept)."""
    base = Path(name.replace("\\", "/")).name
    base = "".join(c for c in unicodedata.normalize("NFC", base) if unicodedata.category(c)[0] != "C").strip()
    suffix = Path(base).suffix if len(Path(base).suffix) <= 16 else ""
    stem = base[:len(base) - len(suffix)].encode("utf-8")[:MAX_NAME_BYTES - len(suffix.encode("utf-8"))]
    return (stem.decode("utf-8", "ignore").strip().lstrip(".").strip() or "upload") + suffix


def add_files(paths: list[Path], settings: Settings) -> tuple[list[str], list[str]]:
    """Copy uploaded files into ``settings.articles_dir/uploads``; returns (saved names, rejections).

    Nothing outside the articles folder is ever written; an existing file is not overwritten
    (a numbered name is used instead).
    """
    target = settings.articles_dir / "uploads"
    target.mkdir(parents=True, exist_ok=True)
    saved, rejected = [], []
    limit = int(settings.max_file_mb * 1_000_000)
    for path in paths:
        name = safe_name(Path(path).name)
        if Path(name).suffix.lower() not in READERS:
            rejected.append(f"{name}: unsupported file type (supported: {', '.join(sorted(READERS))})")
            continue
        if Path(path).stat().st_size > limit:
            rejected.append(f"{name}: file too large (limit {settings.max_file_mb:g} MB)")
            continue
        destination = target / name
        counter = 1
        while destination.exists():
            destination = target / f"{Path(name).stem}-{counter}{Path(name).suffix}"
            counter += 1
        shutil.copyfile(path, destination)
        saved.append(destination.relative_to(settings.articles_dir).as_posix())
    return saved, rejected


def remove_article(article_id: str, settings: Settings) -> list[str]:
    """Delete an article's sources from the articles folder (its JSONL line, or its file).

    Returns the sources removed; the next index build drops the article from the index.
    """
    with Index.open(settings.index_path) as index:
        article = index.store.article(article_id)
    if article is None:
        raise KeyError(f"no indexed article with id {article_id!r}")
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
                path.write_text("".join(kept), encoding="utf-8")
                continue
        # a file, or a JSONL file left empty (an empty file would read as unreadable, not as removed)
        path.unlink()
    return article.sources


def _is_line_of(line: str, article_id: str) -> bool:
    try:
        return str(json.loads(line).get("id")) == article_id
    except (ValueError, AttributeError):
        return False
