"""The article collection behind one index, as the CLI and the web UI both use it: what is indexed, building
the index, adding uploaded files, removing an article, watching the articles folder for new files, and the
settings that can change while serving.

Listings and status read the catalogue (the live version's SQLite store and manifest), never FAISS or BM25.
"""
from __future__ import annotations

import json
import logging
import shutil
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping

from rag.indexing.backend import open_catalogue
from rag.ingest.readers import READERS, SUPPORTED
from rag.settings import Settings, SettingsError

if TYPE_CHECKING:
    from rag.answer.pipeline import Pipeline
    from rag.embed.base import Embedder
    from rag.indexing.builder import BuildReport
    from rag.indexing.store import StoredArticle
    from rag.ingest.watch import Event, WatchHandle

logger = logging.getLogger(__name__)

MAX_NAME_BYTES = 200  # file systems allow 255 bytes; leaves room for a "-n" when the name is taken
# Settings a running service cannot take over: the embedder is loaded and the server listens already.
FIXED_WHILE_SERVING = ("embed_model", "embed_batch_size", "host", "port", "auth")
# Example questions about the newest articles, in each article's language (any corpus gets fitting examples).
EXAMPLE_QUESTIONS = {"id": "Apa isi berita “{title}”?", "en": "What does “{title}” report?"}


def indexed_articles(settings: Settings) -> list[dict]:
    """One row per indexed article: id, title, date, language, sources, chunk count."""
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
    with open_catalogue(settings) as catalogue:
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
    """What adding or removing articles, or a change noticed in the articles folder, did: the notes to show
    (files saved, rejected, removed, noticed), the rebuild that followed (or why it failed), and when."""

    notes: list[str]
    report: BuildReport
    error: str | None = None
    at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    def headline(self) -> str:
        """What changed in a few words: "3 articles added, 1 removed", "no article changed", or the error."""
        if self.error:
            return f"rebuild failed: {self.error}"
        report = self.report
        counts = [(len(report.added), "added"), (len(report.changed), "changed"), (len(report.removed), "removed"),
                  (len(report.renamed), "renamed"), (report.metadata_updated, "updated")]
        parts = [f"{n} {verb}" for n, verb in counts if n]
        if not parts:
            return "no article changed"
        n, verb = next((n, verb) for n, verb in counts if n)
        parts[0] = f"{n} article{'' if n == 1 else 's'} {verb}"
        return ", ".join(parts)

    def noted(self, limit: int = 3) -> str:
        """The first ``limit`` notes, e.g. "added a.txt; added b.txt and 48 more"."""
        more = f" and {len(self.notes) - limit} more" if len(self.notes) > limit else ""
        return "; ".join(self.notes[:limit]) + more

    def status_line(self, now: datetime | None = None) -> str:
        """The headline and how long ago, e.g. "3 articles added 2 min ago"."""
        return f"{self.headline()} {ago(self.at, now)}"


def ago(moment: datetime, now: datetime | None = None) -> str:
    """How long ago ``moment`` was: "just now", "2 min ago", "3 h ago" or "4 days ago"."""
    seconds = ((now or datetime.now(timezone.utc)) - moment).total_seconds()
    if seconds < 45:
        return "just now"
    if seconds < 90 * 60:
        return f"{max(1, round(seconds / 60))} min ago"
    if seconds < 36 * 3600:
        return f"{round(seconds / 3600)} h ago"
    return f"{round(seconds / 86400)} days ago"


class Library:
    """One index and its articles folder, with the pipeline that answers from it (made on first use).

    The embedder is shared by rebuilds and searches, so it is loaded once.
    """

    def __init__(self, settings: Settings, embedder: Embedder | None = None,
                 pipeline: Pipeline | None = None) -> None:
        self.settings = settings
        self._embedder = embedder or (pipeline.retriever.embedder if pipeline else None)
        self._pipeline = pipeline
        self.last_change: Change | None = None  # the latest change to the index (upload, removal, noticed)
        self._watcher: WatchHandle | None = None

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
        from rag.indexing.backend import build_index

        report = build_index(folder or self.settings.articles_dir, self.settings, self.embedder)
        self._remember(Change([], report))
        return report

    def add(self, paths: list[Path]) -> Change:
        """Save uploaded files under ``articles/uploads`` and index them."""
        saved, rejected = add_files(paths, self.settings)
        notes = [f"saved {name}" for name in saved] + [f"rejected {reason}" for reason in rejected]
        return self._remember(Change(notes, self.rebuild()))

    def remove(self, article_id: str) -> Change:
        """Delete an article's file (or JSONL line) and rebuild; KeyError for an id that is not indexed."""
        sources = remove_article(article_id, self.settings)
        return self._remember(Change([f"removed {', '.join(sources)}"], self.rebuild()))

    def watch(self, stop: Event | None = None, *, folder: Path | None = None, build_first: bool = False,
              debounce_ms: int = 5000, step_ms: int = 500, ready: threading.Event | None = None
              ) -> Iterator[Change]:
        """Rebuild whenever article files under the articles folder (or ``folder``) are added, changed or
        removed; blocks, and yields one :class:`Change` per rebuild, its notes naming the files noticed.

        Hidden, temporary and unsupported files are ignored. A burst of changes makes one rebuild: it ends
        after ``step_ms`` without a new change and lasts at most ``debounce_ms``. With ``build_first`` the
        first rebuild runs as soon as the folder is watched; ``ready`` is set then, and a file dropped after
        that is noticed. A failed rebuild is yielded with its error and watching goes on. Rebuilds share the
        index's build lock with every other build, so two never run at once. Ends when ``stop`` is set.
        """
        from rag.ingest.watch import watch_articles

        folder = self._watched(folder)
        for notes in watch_articles(folder, stop, debounce_ms=debounce_ms, step_ms=step_ms,
                                    ignore=[self.settings.index_dir]):
            if ready is not None:
                ready.set()
            if notes or build_first:
                build_first = False
                yield self._remember(self._rebuild_noticed(notes, folder))

    def start_watching(self, *, on_change: Callable[[Change], None] | None = None, folder: Path | None = None,
                       build_first: bool = False, debounce_ms: int = 5000, step_ms: int = 500) -> WatchHandle:
        """:meth:`watch` on a background thread, returning once the folder is watched; ``on_change`` is called
        with each :class:`Change`. While a watcher runs, its handle is returned again."""
        from rag.ingest.watch import WatchHandle

        if self._watcher is None or not self._watcher.running:
            options = {"folder": self._watched(folder), "build_first": build_first, "debounce_ms": debounce_ms,
                       "step_ms": step_ms}
            self._watcher = WatchHandle(lambda stop, ready: self.watch(stop, ready=ready, **options), on_change)
        return self._watcher

    def _watched(self, folder: Path | None) -> Path:
        folder = Path(folder or self.settings.articles_dir)
        if not folder.is_dir():
            raise FileNotFoundError(f"article folder not found: {folder}")
        return folder

    def _rebuild_noticed(self, notes: list[str], folder: Path) -> Change:
        try:
            change = Change(notes, self.rebuild(folder))
            logger.info("%s: %s", change.noted() or folder, change.headline())
            return change
        except Exception as exc:  # an unattended watcher reports a failed rebuild and goes on watching
            from rag.indexing.builder import BuildReport

            logger.exception("rebuild after a change in %s failed", folder)
            return Change(notes, BuildReport(), error=str(exc) or type(exc).__name__)

    def _remember(self, change: Change) -> Change:
        # A rebuild that changed nothing is not news, unless it ends the failure shown so far.
        if change.error or change.report.modified or (self.last_change and self.last_change.error):
            self.last_change = change
        return change

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
        built = ago(datetime.fromisoformat(status["built_at"]))
        where = ""
        if self.settings.store_backend == "milvus":
            where = f" on Milvus ({self.settings.milvus_uri or 'Milvus Lite'})"
        return (f"{status['articles']:,} articles · {status['chunks']:,} chunks{where} · built {built} · "
                f"embedder {status['embed_model']} · answers by {status['llm_model']}")

    def stored(self, article_ids: list[str]) -> dict[str, StoredArticle]:
        """The indexed articles with these ids (text, sources, URL), from the catalogue."""
        with open_catalogue(self.settings) as catalogue:
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
