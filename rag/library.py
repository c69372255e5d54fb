"""The article collection behind one index, as the CLI and the web UI both use it: what is indexed, building
the index, adding uploaded files, removing an article, watching the articles folder for new files, searching
and answering, and the settings that can change while serving.

Listings and status read the catalogue (the live version's SQLite store and manifest), never FAISS or BM25.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.errors import FolderNotFound, IndexNotBuilt, SettingsError
from rag.indexing.backend import open_catalogue
from rag.indexing.listing import index_status, indexed_articles, remove_article
from rag.ingest.readers import READERS
from rag.ingest.uploads import add_files
from rag.llm.factory import Sampled, parallel_answers
from rag.llm.turns import Turns
from rag.settings import SPECS, Settings
from rag.text.languages import language
from rag.types import Hit, Problem

if TYPE_CHECKING:
    from rag.answer.pipeline import Pipeline
    from rag.answer.records import Event as AnswerEvent
    from rag.embed.base import Embedder
    from rag.indexing.builder import BuildProgress, BuildReport
    from rag.indexing.store import StoredArticle
    from rag.ingest.watch import Event, WatchHandle

logger = logging.getLogger(__name__)

@dataclass
class Change:
    """What adding or removing articles, or a change noticed in the articles folder, did: the notes to show
    (files saved, rejected, removed, noticed), the rebuild that followed (or why it failed), and when;
    ``rejected`` holds the uploaded files refused or unreadable (they are not kept)."""

    notes: list[str]
    report: BuildReport
    error: str | None = None
    at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    rejected: list[Problem] = field(default_factory=list)

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
    """One index and its articles folder, with the pipeline that answers from it (made on first use): the
    service the CLI and the web UI call.

    The embedder is shared by rebuilds and searches, so it is loaded once.
    """

    formats = tuple(sorted(READERS))  # the article file types read from the folder and accepted as uploads

    def __init__(self, settings: Settings, embedder: Embedder | None = None,
                 pipeline: Pipeline | None = None) -> None:
        self.settings = settings
        self._embedder = embedder or (pipeline.retriever.embedder if pipeline else None)
        self._pipeline = pipeline
        self.last_change: Change | None = None  # the latest change to the index (upload, removal, noticed)
        self.indexing: BuildProgress | None = None  # how far the build under way has got (None: none runs)
        self.builds = 0  # rebuilds finished (or failed) by this library: what a page polls to see a change
        self._watcher: WatchHandle | None = None
        self.turns = Turns(parallel_answers(settings))  # answers written at once; the others wait their turn

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

    @property
    def models(self) -> list[str]:
        """The bundled models recommended for answering, and the one in use (``llm_model`` also takes the path
        of any .gguf file)."""
        from rag.llm.files import ANSWERING_LLMS

        return list(dict.fromkeys([*ANSWERING_LLMS, self.settings.llm_model]))

    @property
    def max_question_chars(self) -> int:
        """The longest question asked (longer ones are a :class:`rag.errors.QuestionError`)."""
        from rag.answer.questions import MAX_QUESTION_CHARS

        return MAX_QUESTION_CHARS

    @property
    def parallel_answers(self) -> int:
        """How many answers may be written at once: one in-process; with model servers ``llm_parallel``."""
        return self.turns.at_once

    def search(self, question: str, k: int | None = None) -> list[Hit]:
        """The ``k`` (default ``top_k``) passages that best match ``question``, best first.

        A question empty once cleaned, or too long, is a :class:`rag.errors.QuestionError`.
        """
        from rag.answer.questions import clean_question

        question = clean_question(question)  # before the retriever and its embedder are made
        return self.pipeline.retriever.search(question, k)

    def ask(self, question: str, history: list[tuple[str, str]] | None = None, cancel: threading.Event | None = None,
            options: Mapping[str, Any] | None = None, article: str | None = None
            ) -> Generator[AnswerEvent, None, None]:
        """The answer to ``question`` as it is made: the passages found, the evidence, the draft's tokens, then
        the checked :class:`rag.answer.records.Answer` (:meth:`rag.answer.pipeline.Pipeline.answer`), in its turn
        (:attr:`turns`). ``history`` holds the chat's earlier (question, answer) turns, ``options`` this answer's
        own settings (``temperature``, ``max_answer_tokens``); ``cancel`` ends the stream; ``article`` (an id)
        asks about that article only. A question that cannot be asked raises :class:`rag.errors.QuestionError`,
        an article not in the index :class:`rag.errors.UnknownArticle`.
        """
        pipeline = self.pipeline
        if options:  # the same retriever and model, with this answer's sampling
            from rag.answer.pipeline import Pipeline

            tuned = self.settings.with_values(options)
            pipeline = Pipeline(tuned, pipeline.retriever, Sampled(pipeline.generator, tuned))
        return self.turns.through(pipeline.answer(question, history, cancel=cancel, article=article), cancel)

    def rebuild(self, folder: Path | None = None) -> BuildReport:
        """Bring the index in line with ``folder`` (default: the articles folder); questions keep using the
        live version until the new one is switched to."""
        from rag.indexing.backend import build_index
        from rag.indexing.builder import BuildProgress

        def progress(now: BuildProgress) -> None:
            self.indexing = now

        progress(BuildProgress("reading"))
        try:
            report = build_index(folder or self.settings.articles_dir, self.settings, self.embedder, progress)
        finally:
            self.indexing, self.builds = None, self.builds + 1
        self._remember(Change([], report))
        return report

    def add(self, paths: list[Path]) -> Change:
        """Save uploaded files under ``articles/uploads`` and index them. A file that is refused, or saved but
        unreadable (binary, empty), is reported in the change and not kept, so no later rebuild reports it."""
        saved, rejected = add_files(paths, self.settings)
        report = self.rebuild()
        unreadable = [problem for problem in report.problems if problem.source in saved]
        for problem in unreadable:
            (self.settings.articles_dir / problem.source).unlink(missing_ok=True)
        rejected += unreadable
        notes = [f"saved {name}" for name in saved if name not in {p.source for p in unreadable}]
        return self._remember(Change(notes + [f"rejected {problem}" for problem in rejected], report,
                                     rejected=rejected))

    def remove(self, article_id: str) -> Change:
        """Delete an article's file (or JSONL line) and rebuild; UnknownArticle for an id that is not indexed."""
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
            options: dict[str, Any] = {"folder": self._watched(folder), "build_first": build_first,
                                       "debounce_ms": debounce_ms, "step_ms": step_ms}
            self._watcher = WatchHandle(lambda stop, ready: self.watch(stop, ready=ready, **options), on_change)
        return self._watcher

    def _watched(self, folder: Path | None) -> Path:
        folder = Path(folder or self.settings.articles_dir)
        if not folder.is_dir():
            raise FolderNotFound(f"article folder not found: {folder}")
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
        """Apply changed settings from now on; those fixed while serving are rejected with a message, and so is
        a model llama.cpp cannot load (:class:`rag.errors.ModelNotFound`)."""
        new = self.settings.with_values(values)
        fixed = [spec for spec in SPECS.values()
                 if spec.fixed_while_serving and getattr(new, spec.name) != getattr(self.settings, spec.name)]
        if fixed:
            raise SettingsError(f"setting {fixed[0].name!r} cannot change while serving: restart with "
                                f"{fixed[0].flag} (a new embed_model also rebuilds the index)")
        if new.llm_backend == "llama-cpp" and new.llm_model != self.settings.llm_model:
            from rag.llm.loading import check_model

            check_model(new)
        if self._pipeline is not None:
            self._pipeline.update_settings(values)
        self.settings = new
        return new

    def status_line(self) -> str:
        """The index in one line: "1,355 articles · 2,104 chunks · built 2 min ago · embedder … · model …"."""
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

    def example_questions(self, count: int = 3, in_language: str | None = None) -> list[str]:
        """Questions about the newest indexed articles, in ``in_language`` (default: each article's own)."""
        try:
            rows = sorted(indexed_articles(self.settings), key=lambda r: (r["date"], r["added"]), reverse=True)
        except IndexNotBuilt:
            return []
        return [language(in_language or r["language"]).example_question.format(title=r["title"].strip())
                for r in rows if r["title"].strip()][:count]

    def marks(self, question: str, hits: list[Hit]) -> dict[int, list[tuple[int, int]]]:
        """Where each of ``hits`` (numbered from 1) has a word of ``question``, as article offsets: what a list
        of search results highlights."""
        from rag.answer.questions import clean_question
        from rag.text.query import make_query
        from rag.text.tokens import matching_spans

        query = make_query(clean_question(question))
        return {number: [(hit.start + start, hit.start + end)
                         for start, end in matching_spans(hit.text, query.stems, query.language)]
                for number, hit in enumerate(hits, 1)}
