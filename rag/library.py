"""The article collection behind one index, as the CLI and the web UI both use it: what is indexed, building
the index, adding uploaded files, removing an article, and the settings that can change while serving.

Listings and status read the catalogue (the live version's SQLite store and manifest), never FAISS or BM25.
"""
from __future__ import annotations

import json
import shutil
import time
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from rag.indexing.reader import Catalogue
from rag.ingest.readers import READERS, SUPPORTED
from rag.settings import Settings, SettingsError

if TYPE_CHECKING:
    from rag.answer.pipeline import Pipeline
    from rag.embed.base import Embedder
    from rag.indexing.builder import BuildReport
    from rag.indexing.store import StoredArticle

MAX_NAME_BYTES = 200  # file systems allow 255 bytes; leaves room for a "-n" when the name is taken
# Settings a running service cannot take over: the embedder is loaded and the server listens already.
FIXED_WHILE_SERVING = ("embed_model", "embed_batch_size", "host", "port", "auth")
# Example questions about the newest articles, in each article's language (any corpus gets fitting examples).
EXAMPLE_QUESTIONS = {"id": "Apa isi berita “{title}”?", "en": "What does “{title}” report?"}


def indexed_articles(settings: Settings) -> list[dict]:
    """One row per indexed article: id, title, date, language, sources, chunk count."""
    with Catalogue.open(settings.index_path) as catalogue:
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


def ago(iso: str, now: datetime | None = None) -> str:
    """A past ISO time as people say it: "just now", "5 min ago", "3 h ago", "2 days ago"."""
    then = datetime.fromisoformat(iso)
    seconds = ((now or datetime.now(timezone.utc)) - then.astimezone(timezone.utc)).total_seconds()
    for unit, size in (("day", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if unit == 'day' and count > 1 else ''} ago"
    return "just now"


def index_status(settings: Settings) -> dict:
    """Counts, models, signature and build time of the live index version."""
    from rag.indexing.manifest import signature_id

    with Catalogue.open(settings.index_path) as catalogue:
        articles, chunks = catalogue.store.counts()
        manifest = catalogue.manifest
        return {"version": str(catalogue.folder), "articles": articles, "chunks": chunks,
                "built_at": manifest.built_at, "embed_model": manifest.signature["embed_model"],
                "dimension": manifest.dimension, "llm_model": settings.llm_model,
                "signature": signature_id(manifest.signature), "built_with": manifest.signature}


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
    for path in paths:
        name = safe_name(Path(path).name)
        if Path(name).suffix.lower() not in READERS:
            rejected.append(f"{name}: unsupported file type (supported: {SUPPORTED})")
            continue
        if Path(path).stat().st_size > settings.max_file_bytes:
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
    with Catalogue.open(settings.index_path) as catalogue:
        article = catalogue.store.article(article_id)
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


@dataclass
class Change:
    """What adding or removing articles did: the notes to show (files saved, rejected, removed) and the
    rebuild that followed."""

    notes: list[str]
    report: BuildReport


class Library:
    """One index and its articles folder, with the pipeline that answers from it (made on first use).

    The embedder is shared by rebuilds and searches, so it is loaded once.
    """

    def __init__(self, settings: Settings, embedder: Embedder | None = None,
                 pipeline: Pipeline | None = None) -> None:
        self.settings = settings
        self._embedder = embedder or (pipeline.retriever.embedder if pipeline else None)
        self._pipeline = pipeline

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            from rag.embed.factory import embedder_for

            self._embedder = embedder_for(self.settings)
        return self._embedder

    @property
    def pipeline(self) -> Pipeline:
        """The question-answering pipeline over this library's index."""
        if self._pipeline is None:
            from rag.answer.pipeline import Pipeline
            from rag.retrieve.retriever import Retriever

            self._pipeline = Pipeline(self.settings, Retriever(self.settings, self.embedder))
        return self._pipeline

    def rebuild(self, folder: Path | None = None) -> BuildReport:
        """Bring the index in line with ``folder`` (default: the articles folder); questions keep using the
        live version until the new one is switched to."""
        from rag.indexing.builder import build_index

        return build_index(folder or self.settings.articles_dir, self.settings, self.embedder)

    def add(self, paths: list[Path]) -> Change:
        """Save uploaded files under ``articles/uploads`` and index them."""
        saved, rejected = add_files(paths, self.settings)
        notes = [f"saved {name}" for name in saved] + [f"rejected {reason}" for reason in rejected]
        return Change(notes, self.rebuild())

    def remove(self, article_id: str) -> Change:
        """Delete an article's file (or JSONL line) and rebuild; KeyError for an id that is not indexed."""
        sources = remove_article(article_id, self.settings)
        return Change([f"removed {', '.join(sources)}"], self.rebuild())

    def status(self) -> dict:
        """Counts, models, signature and build time of the live version (see :func:`index_status`)."""
        return index_status(self.settings)

    def articles(self, words: str = "") -> list[dict]:
        """The indexed articles whose row contains every one of ``words`` (case-insensitive)."""
        wanted = words.lower().split()
        return [row for row in indexed_articles(self.settings)
                if all(w in " ".join(map(str, row.values())).lower() for w in wanted)]

    def update_settings(self, values: Mapping[str, Any]) -> Settings:
        """Apply changed settings from now on; those fixed while serving are rejected with a message."""
        new = self.settings.with_values(values)
        fixed = [name for name in FIXED_WHILE_SERVING if getattr(new, name) != getattr(self.settings, name)]
        if fixed:
            raise SettingsError(f"setting {fixed[0]!r} cannot change while serving: restart with "
                                f"--{fixed[0].replace('_', '-')} (a new embed_model also rebuilds the index)")
        if self._pipeline is not None:
            self._pipeline.update_settings(values)
        self.settings = new
        return new

    def status_line(self) -> str:
        """The index in one line: "1,355 articles · 2,104 chunks · built 2 min ago · embedder … · model …"."""
        from rag.indexing.reader import IndexNotBuilt

        try:
            status = self.status()
        except IndexNotBuilt:
            return "No index yet: add articles, or rebuild from the articles folder."
        return (f"{status['articles']:,} articles · {status['chunks']:,} chunks · built {ago(status['built_at'])} · "
                f"embedder {status['embed_model']} · answers by {status['llm_model']}")

    def stored(self, article_ids: list[str]) -> dict[str, StoredArticle]:
        """The indexed articles with these ids (text, sources, URL), from the catalogue."""
        with Catalogue.open(self.settings.index_path) as catalogue:
            found = {i: catalogue.store.article(i) for i in dict.fromkeys(article_ids)}
        return {i: article for i, article in found.items() if article is not None}

    def example_questions(self, count: int = 3) -> list[str]:
        """Questions about the newest indexed articles, each in its article's language."""
        from rag.indexing.reader import IndexNotBuilt

        try:
            rows = sorted(indexed_articles(self.settings), key=lambda r: (r["date"], r["added"]), reverse=True)
        except IndexNotBuilt:
            return []
        return [EXAMPLE_QUESTIONS.get(r["language"], EXAMPLE_QUESTIONS["en"]).format(title=r["title"].strip())
                for r in rows if r["title"].strip()][:count]
