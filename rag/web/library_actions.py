"""The Library and Settings tabs and what every page polls: the indexed articles (a table, stacked cards on a
phone), uploads, re-indexing and removal with their reports, the status line with a build's progress, and
settings checked with their own rules, in the interface's language."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from rag.errors import IndexNotBuilt, MissingPackage, ModelNotFound, RagError, SettingsError, UnknownArticle
from rag.library import Change, Library
from rag.settings import SPECS, Settings
from rag.types import Problem
from rag.web.i18n import ago, count_articles, text, ui_language
from rag.web.render import code, escape_markdown, render_library, render_problem

logger = logging.getLogger(__name__)


class LibraryActions:
    """What the web does with a library's articles, index and settings (the base of :class:`rag.web.app.WebUI`)."""

    library: Library

    @property
    def settings(self) -> Settings:
        return self.library.settings

    def table(self, words: str | None = "", request=None) -> str:
        """The indexed articles containing ``words``, as HTML (read from the catalogue only)."""
        ui = ui_language(request)
        try:
            return render_library(self.library.articles(words or ""), ui, filtered=bool((words or "").strip()))
        except IndexNotBuilt:
            return render_library([], ui)

    def pick_article(self, picked: str, request=None) -> tuple[str, str, Any, Any]:
        """(article id, what removing it would do, confirm, cancel) for a Remove… button's ``picked`` value
        ("id|click" from the page's script)."""
        import gradio as gr

        ui, article_id = ui_language(request), picked.rpartition("|")[0]
        try:
            rows = self.library.articles()
        except IndexNotBuilt:
            rows = []
        row = next((r for r in rows if r["id"] == article_id), None)
        if row is None:
            return "", text(ui, "gone"), gr.update(visible=False), gr.update(visible=False)
        file = row["sources"].split(", ")[0].partition("#")[0]
        others = sum(r["sources"].split(", ")[0].partition("#")[0] == file for r in rows) - 1
        wording = "remove_line" if "#" in row["sources"] and others else "remove_file"
        return (article_id, text(ui, wording, title=escape_markdown(row["title"]), file=code(file)),
                gr.update(visible=True), gr.update(visible=True))

    def poll(self, seen: dict | None, request=None) -> tuple[Any, Any, Any, dict]:
        """What every page asks for each second, sent only when it may have changed since ``seen``: (the chat's
        line about a build under way, the library's status, what identifies the index shown — when it changes,
        the page asks for :meth:`index_view` — and the new ``seen``)."""
        import gradio as gr

        ui, library, keep = ui_language(request), self.library, gr.update()
        seen = dict(seen or {})
        tick = f"{ui}|{library.builds}|{library.indexing}|{int(time.time() // 30)}"
        if seen.get("tick") == tick:
            return keep, keep, keep, seen
        seen["tick"] = tick
        status = self._status()
        index = f"{ui}|{library.builds}|{status and status['built_at']}|{status and status['articles']}"
        return self._activity(ui), self.status_text(ui, status), index, seen

    def index_view(self, words: str | None, request=None) -> tuple[str, Any, Any, str]:
        """What shows the index's articles: (the article table filtered by ``words``, the chat's example
        questions, the first-run panel, shown while there is no article, and its text)."""
        import gradio as gr

        ui = ui_language(request)
        empty = not self._article_count()
        welcome = text(ui, "first_run", formats=" ".join(self.library.formats),
                       folder=code(str(self.settings.articles_dir.resolve())))
        examples = [] if empty else [{"text": q} for q in self.library.example_questions(in_language=ui)]
        return self.table(words, request), gr.update(examples=examples), gr.update(visible=empty), welcome

    def status_text(self, ui: str, status: dict | None = None) -> str:
        """The library in a few lines: how many articles and when updated, the latest change, a build under
        way. Models, chunks and the signature are in the Library tab's details."""
        status = status or self._status()
        lines = [text(ui, "status", articles=count_articles(ui, status["articles"]),
                      ago=ago(datetime.fromisoformat(status["built_at"]), ui)) if status else text(ui, "no_index")]
        if change := self.library.last_change:
            lines.append(_change_line(change, ui))
        if activity := self._activity(ui):
            lines.append(activity)
        return "  \n".join(lines)

    def details(self) -> dict:
        """The live index's counts, models, signature and build time ({} before the first build)."""
        return self._status() or {}

    def _status(self) -> dict | None:
        try:
            return self.library.status()
        except IndexNotBuilt:
            return None

    def _article_count(self) -> int:
        status = self._status()
        return status["articles"] if status else 0

    def _activity(self, ui: str) -> str:
        """The build under way, in one line: "Mengindeks 39 artikel… 120/257" ("" when none runs)."""
        progress = self.library.indexing
        if progress is None:
            return ""
        if progress.stage != "embedding":
            return text(ui, progress.stage)
        return text(ui, "embedding", articles=count_articles(ui, progress.articles), done=progress.done,
                    total=progress.total)

    def rebuild(self, request=None) -> tuple[str, str, str]:
        """Index the articles folder; questions keep using the old version until the switch."""
        return self._view(lambda: Change([], self.library.rebuild()), "", request, skipped=True)

    def add(self, files: list | None, request=None) -> tuple[str, str, str]:
        paths = [Path(getattr(f, "name", f)) for f in files or []]
        if not paths:
            ui = ui_language(request)
            return text(ui, "choose_files"), self.status_text(ui), self.table("", request)
        return self._view(lambda: self.library.add(paths), "", request)

    def remove(self, article_id: str, words: str | None = "", request=None) -> tuple[str, str, str]:
        return self._view(lambda: self.library.remove(article_id.strip()), words, request)

    def apply_settings(self, values: dict[str, Any], request=None) -> str:
        """Check ``values`` with the settings' own rules and apply them; a sentence either way."""
        ui = ui_language(request)
        for name, value in values.items():
            spec = SPECS[name]
            try:
                spec.check(spec.convert(value))
            except SettingsError:
                allowed = text(ui, "between", low=spec.low, high=spec.high) if spec.high is not None \
                    else text(ui, "at_least", low=spec.low)
                return text(ui, "not_applied", reason=text(ui, "bad_value", label=text(ui, name), allowed=allowed))
        try:
            new = self.library.update_settings(values)
        except (ModelNotFound, MissingPackage):
            model = escape_markdown(str(values.get("llm_model", self.settings.llm_model)))
            return text(ui, "not_applied", reason=text(ui, "bad_model", model=model))
        except RagError as exc:  # a setting that is fixed while serving: not one of the page's
            logger.warning("settings not applied: %s", exc)
            return text(ui, "failed")
        return text(ui, "applied", top_k=new.top_k, model=escape_markdown(new.llm_label), temperature=new.temperature,
                    tokens=new.max_answer_tokens)

    def _view(self, change: Callable[[], Change], words: str | None, request, skipped: bool = False
              ) -> tuple[str, str, str]:
        """(report, status, article table) after making ``change``; a RagError (an unknown article, a full disk,
        the folder gone) is the report. ``skipped``: the report names every file the build skipped."""
        ui = ui_language(request)
        try:
            made = change()
        except UnknownArticle:
            return text(ui, "gone"), self.status_text(ui), self.table(words, request)
        except RagError as exc:  # a full disk, the folder gone: the log says which
            logger.warning("library change failed: %s", exc)
            return render_problem(text(ui, "failed")), self.status_text(ui), self.table(words, request)
        lines = [_headline(made, ui)]
        saved = [note.removeprefix("saved ") for note in made.notes if note.startswith("saved ")]
        if saved:  # file names are shown as text: "[x](y).md" must not become a link, nor "*a*.md" italics
            lines.append(text(ui, "saved", names=", ".join(escape_markdown(name) for name in saved)))
        lines += [text(ui, "rejected", name=escape_markdown(p.source), reason=self._reason(p, ui))
                  for p in made.rejected]
        if skipped:
            lines += [text(ui, "skipped", name=escape_markdown(p.source), reason=self._reason(p, ui))
                      for p in made.report.problems]
        return "  \n".join(lines), self.status_text(ui), self.table(words, request)

    def _reason(self, problem: Problem, ui: str) -> str:
        """Why a file was refused, for a reader (the technical reason is logged by the build)."""
        if problem.reason.startswith("unsupported file type"):
            return text(ui, "unsupported", formats=" ".join(self.library.formats))
        if "too large" in problem.reason:
            return text(ui, "too_large", limit=f"{self.settings.max_file_mb:g}")
        return text(ui, "unreadable")


def _headline(change: Change, ui: str) -> str:
    """What a change did in a few words: "3 artikel ditambahkan, 1 artikel dihapus"."""
    report = change.report
    counts = [(len(report.added), "n_added"), (len(report.changed), "n_changed"), (len(report.removed), "n_removed"),
              (len(report.renamed), "n_renamed"), (report.metadata_updated, "n_updated")]
    parts = [text(ui, key, articles=count_articles(ui, n)) for n, key in counts if n]
    return ", ".join(parts) or text(ui, "nothing_changed")


def _change_line(change: Change, ui: str) -> str:
    when_ = ago(change.at, ui)
    if change.error:  # the technical reason is in the server log
        return text(ui, "rebuild_failed", ago=when_)
    return text(ui, "changed", what=_headline(change, ui), ago=when_)
