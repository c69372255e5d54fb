"""The Gradio web UI over one :class:`rag.library.Library`: a chat whose answers carry their checked sources,
saved conversations, a passage search, the library (status, articles, uploads, rebuild, removal) and settings.

``WebUI(library).create_app()`` builds the Gradio app; ``launch()`` brings the index up to date and serves it.
"""
from __future__ import annotations

import contextlib
import html
import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from rag.answer.records import Answer, EvidenceFound, Retrieved, Token
from rag.errors import RagError, UnknownChat
from rag.history import ChatHistory
from rag.library import Change, Library
from rag.settings import Settings
from rag.web.assets import CSS, JS
from rag.web.render import (
    TABLE_HEADERS,
    ArticleInfo,
    escape_markdown,
    render_answer,
    render_evidence,
    render_hits,
    render_searching,
    render_stopped,
)

logger = logging.getLogger(__name__)
# Requests waiting at most (all events together); beyond it a user is told the queue is full and to try
# again, instead of waiting behind an unbounded pile. Room for 20+ users each with a question and a page load.
QUEUE_MAX_SIZE = 64
EMPTY_QUESTION = "Type a question first."
Messages = list[dict[str, str]]


class WebUI:
    """The web face of a library: every action is one call into it; chats are saved in ``history``."""

    def __init__(self, library: Library, history: ChatHistory | None = None) -> None:
        self.library = library
        self.history = history or ChatHistory(library.settings.index_dir / "chats.sqlite")
        self._stops: dict[str, threading.Event] = {}  # per browser session: set by the Stop button

    @property
    def settings(self) -> Settings:
        return self.library.settings

    # --- chat -------------------------------------------------------------------------------------------

    def converse(self, message: str, messages: Messages, chat_id: str | None, request=None
                 ) -> Iterator[tuple[Messages, str, str, str | None, Any]]:
        """Stream the answer to ``message`` and save both turns: (chat messages, question box, hint by the
        box, chat id, chat list)."""
        import gradio as gr

        owner, messages = _owner(request), list(messages or [])
        if not message.strip():
            yield messages, "", EMPTY_QUESTION, chat_id, gr.update()
            return
        try:
            turns = self._turns(owner, chat_id) if chat_id else []
        except UnknownChat:  # deleted in another tab, or another login's: start afresh
            chat_id, messages, turns = None, [], []
        chat_id = chat_id or self.history.create(owner, message)
        shown = escape_markdown(message)  # what the user typed is shown as typed, never as HTML or markdown
        self.history.add(owner, chat_id, "user", shown, {"question": message})
        stop = self._stops.setdefault(_session(request), threading.Event())
        stop.clear()
        key = f"ans-{uuid.uuid4().hex[:8]}"
        messages += [{"role": "user", "content": shown}, {"role": "assistant", "content": render_searching("en")}]
        yield messages, "", "", chat_id, self._chat_list(owner, chat_id)
        draft, evidence, passages, language, answer = "", [], [], "en", None
        events = self.library.ask(message, turns, cancel=stop)
        details: dict[str, Any]  # what the chat history keeps beside the shown answer
        try:
            for event in events:
                if isinstance(event, Retrieved):
                    passages = event.passages
                elif isinstance(event, EvidenceFound):
                    evidence, passages, language = event.evidence, event.passages, event.language
                elif isinstance(event, Token):
                    draft += event.text
                elif isinstance(event, Answer):
                    answer = event
                if stop.is_set():
                    break
                if isinstance(event, (EvidenceFound, Token)):
                    messages[-1] = {"role": "assistant", "content": render_evidence(key, evidence, language, draft)}
                    yield messages, "", "", chat_id, gr.update()
        except Exception as exc:  # noqa: BLE001 - the chat says what failed, and keeps what was found
            problem = _problem(exc)
            content, details = f"⚠️ {escape_markdown(problem)}", {"answer": "", "error": problem}
            if passages:  # what was found before the failure stays on screen, cited
                content = render_stopped(key, evidence, passages, language, self._articles(passages), content)
        else:
            if answer is not None and not stop.is_set():
                content = render_answer(key, answer, self._articles(answer.passages), answer.as_of_label or "")
                details = {"answer": answer.text, "language": answer.language, "refusal": answer.refusal}
            else:
                content = render_stopped(key, evidence, passages, language, self._articles(passages))
                details = {"answer": "", "stopped": True}
        finally:
            events.close()  # a stopped answer ends here: llama.cpp computes no further token
        self.history.add(owner, chat_id, "assistant", content, details)
        messages[-1] = {"role": "assistant", "content": content}
        yield messages, "", "", chat_id, self._chat_list(owner, chat_id)

    def stop(self, request=None) -> None:
        """End the answer being written in this browser session (within a token)."""
        if event := self._stops.get(_session(request)):
            event.set()

    def open_chat(self, chat_id: str | None, request=None) -> tuple[Messages, str | None, Any]:
        """A saved chat's messages, for the side panel and for a page reload."""
        owner = _owner(request)
        try:
            saved = self.history.messages(owner, chat_id) if chat_id else []
        except UnknownChat:
            chat_id, saved = None, []
        return [{"role": m.role, "content": m.content} for m in saved], chat_id, self._chat_list(owner, chat_id)

    def rename_chat(self, chat_id: str | None, title: str, request=None) -> tuple[Any, str]:
        owner = _owner(request)
        if not chat_id:
            return self._chat_list(owner, None), "Open a chat first."
        try:
            self.history.rename(owner, chat_id, title)
        except RagError as exc:  # an empty name, or a chat deleted meanwhile
            return self._chat_list(owner, chat_id), str(exc)
        return self._chat_list(owner, chat_id), ""

    def delete_chat(self, chat_id: str | None, request=None) -> tuple[Messages, None, Any]:
        owner = _owner(request)
        if chat_id:
            with contextlib.suppress(UnknownChat):
                self.history.delete(owner, chat_id)
        return [], None, self._chat_list(owner, None)

    def _turns(self, owner: str, chat_id: str) -> list[tuple[str, str]]:
        """Earlier (question, answer text) pairs of a saved chat: what follow-up questions are read with."""
        saved = self.history.messages(owner, chat_id)
        return [(q.details.get("question", q.content), a.details.get("answer", ""))
                for q, a in zip(saved[::2], saved[1::2])]

    def _chat_list(self, owner: str, chat_id: str | None):
        import gradio as gr

        return gr.update(choices=[(c.title, c.id) for c in self.history.chats(owner)], value=chat_id)

    def _articles(self, passages) -> dict[str, ArticleInfo]:
        try:
            stored = self.library.stored([hit.article_id for hit in passages])
        except RagError:  # the index went away: the passages are shown without their articles
            return {}
        return {i: ArticleInfo(a.sources[0] if a.sources else "", a.url, a.text) for i, a in stored.items()}

    # --- search, library, settings -------------------------------------------------------------------------

    def search(self, question: str) -> str:
        """The passages for ``question`` as HTML (a message for an empty or unusable question)."""
        if not question.strip():
            return f"<p>{EMPTY_QUESTION}</p>"
        try:
            return render_hits(self.library.search(question))
        except RagError as exc:  # too long, nothing but control characters, no index yet
            return f"<p>⚠️ {html.escape(str(exc))}</p>"

    def table(self, words: str = "") -> list[list]:
        """The indexed articles containing ``words``, as table rows (read from the catalogue only)."""
        rows = self.library.articles(words)
        return [[r["title"], r["date"], r["language"], r["chunks"], r["sources"], r["added"]] for r in rows] \
            or [[""] * len(TABLE_HEADERS)]

    def pick_article(self, words: str, row: int) -> tuple[str, str]:
        """(article id, what the removal would do) for a row of the table as filtered by ``words``."""
        rows = self.library.articles(words)
        if not 0 <= row < len(rows):
            return "", "Select an article in the table to remove it."
        picked = rows[row]
        return picked["id"], (f"Remove **{escape_markdown(picked['title'])}**? Its file "
                              f"`{escape_markdown(picked['sources'])}` is deleted from the articles folder and "
                              "the index is rebuilt.")

    def library_status(self, seen: str = "", words: str = "") -> tuple[str, Any, str]:
        """(status line, article table (filtered by ``words``) when the index changed since ``seen``, the change
        now seen): what the Library tab refreshes while the articles folder is watched."""
        import gradio as gr

        line, change = self.library.status_line(), self.library.last_change
        if change is None:
            return line, gr.update(), seen
        stamp = change.at.isoformat()
        noted = f": {escape_markdown(change.noted())}" if change.notes else ""
        return (f"{line}  \n{escape_markdown(change.status_line())}{noted}",
                self.table(words) if stamp != seen else gr.update(), stamp)

    def rebuild(self) -> tuple[str, str, list[list]]:
        """Index the articles folder; questions keep using the old version until the switch."""
        return self._view(lambda: Change([], self.library.rebuild()))

    def add(self, files: list | None) -> tuple[str, str, list[list]]:
        paths = [Path(getattr(f, "name", f)) for f in files or []]
        if not paths:
            return "Choose files first.", self.library.status_line(), self.table()
        return self._view(lambda: self.library.add(paths))

    def remove(self, article_id: str) -> tuple[str, str, list[list]]:
        return self._view(lambda: self.library.remove(article_id.strip()))

    def apply_settings(self, values: dict[str, Any]) -> str:
        try:
            new = self.library.update_settings(values)
        except RagError as exc:
            return f"Not applied: {html.escape(str(exc))}"
        return f"Applied: top_k={new.top_k}, model={html.escape(new.llm_label)}, temperature={new.temperature}, " \
               f"max answer tokens={new.max_answer_tokens}"

    def _view(self, change: Callable[[], Change]) -> tuple[str, str, list[list]]:
        """(report, status line, article table) after making ``change``; a RagError (an unknown article, a
        full disk, the folder gone) is the report."""
        try:
            made = change()
        except RagError as exc:
            return f"⚠️ {escape_markdown(str(exc))}", self.library.status_line(), self.table()
        # File names are shown as text: "[x](y).md" must not become a link, nor "*a*.md" italics.
        lines = [escape_markdown(note) for note in made.notes] + [made.report.summary()]
        lines += [f"skipped {escape_markdown(str(p))}" for p in made.report.problems]
        return "\n\n".join(lines), self.library.status_line(), self.table()

    def create_app(self):
        """The Gradio Blocks app."""
        from rag.web.layout import build

        return build(self)

    def launch(self) -> None:
        """Bring the index up to date with the articles folder, then serve the UI and the API (blocks)."""
        settings = self.settings
        auth = settings.logins
        for problem in self.library.rebuild().problems:
            logger.warning("skipped %s", problem)
        self.library.start_watching()  # articles dropped into the folder are indexed while the app runs
        if not settings.is_loopback:
            logger.warning("serving on %s: reachable from other machines", settings.host)
            if not auth:
                logger.warning("no password set: set RAG_AUTH=user:password when serving beyond loopback")
        from rag.api.app import serve  # the HTTP API, in the same process (setting `api`)

        serve(self.library, self.create_app().queue(default_concurrency_limit=1, max_size=QUEUE_MAX_SIZE),
              auth=auth, css=CSS, js=JS, show_error=False,
              footer_links=["api"], run_history=False,  # the footer's own "Settings" sat beside the Settings tab
              max_file_size=settings.max_file_bytes)  # bytes: "0.5mb" is not accepted


def _problem(exc: Exception) -> str:
    """What to tell the user about a failed question: a RagError's message (a bad question, no index or model, a
    model server down); anything else is a bug, logged with its traceback."""
    if isinstance(exc, RagError):
        logger.warning("question failed: %s", exc)
        return str(exc)
    logger.error("question failed: this is a bug", exc_info=exc)
    return f"something went wrong ({type(exc).__name__}); the server log has the details"


def _owner(request) -> str:
    """Whose chats these are: the login name with RAG_AUTH, else everyone's ("")."""
    return getattr(request, "username", None) or ""


def _session(request) -> str:
    return getattr(request, "session_hash", None) or ""


def launch(settings: Settings) -> None:
    """Serve the web UI for ``settings`` (``rag serve``, ``python app.py``)."""
    WebUI(Library(settings)).launch()
