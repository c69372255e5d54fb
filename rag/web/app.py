"""The Gradio web UI over one :class:`rag.library.Library`: a chat whose answers carry their checked sources,
saved conversations, a passage search, the library (status, articles, uploads, rebuild, removal) and settings,
in the interface's language (:mod:`rag.web.i18n`).

``WebUI(library).create_app()`` builds the Gradio app; ``launch()`` brings the index up to date and serves it.
"""
from __future__ import annotations

import contextlib
import logging
import queue
import threading
import uuid
from collections.abc import Iterator
from typing import Any

from rag.answer.records import Answer, EvidenceFound, Retrieved, Token
from rag.errors import (
    IndexNotBuilt,
    MissingPackage,
    ModelNotFound,
    ModelServerError,
    QuestionError,
    RagError,
    UnknownChat,
)
from rag.history import ChatHistory
from rag.library import Library
from rag.settings import Settings
from rag.web.assets import CSS, JS, theme
from rag.web.i18n import i18n, number, text, ui_language, when
from rag.web.library_actions import LibraryActions
from rag.web.render import (
    ArticleInfo,
    escape_markdown,
    render_answer,
    render_evidence,
    render_hits,
    render_problem,
    render_searching,
    render_stopped,
)

logger = logging.getLogger(__name__)
# Requests waiting at most (all events together); beyond it a user is told the queue is full and to try
# again, instead of waiting behind an unbounded pile. Room for 20+ users each with a question and a page load.
QUEUE_MAX_SIZE = 64
STOP_CHECK_S = 0.1  # how often a streaming answer looks at its Stop button while the model computes
Messages = list[dict[str, str]]


class WebUI(LibraryActions):
    """The web face of a library: every action is one call into it; chats are saved in ``history``."""

    def __init__(self, library: Library, history: ChatHistory | None = None) -> None:
        self.library = library
        self.history = history or ChatHistory(library.settings.index_dir / "chats.sqlite")
        self._stops: dict[str, threading.Event] = {}  # per browser session: set by the Stop button

    # --- chat -------------------------------------------------------------------------------------------

    def converse(self, message: str, messages: Messages, chat_id: str | None, request=None,
                 article: str | None = None) -> Iterator[tuple[Messages, Any, str, str | None, Any]]:
        """Stream the answer to ``message`` (about ``article`` only, when given) and save both turns: (chat
        messages, question box, hint by the box, chat id, chat list)."""
        import gradio as gr

        owner, ui, messages = _owner(request), ui_language(request), list(messages or [])
        if not message.strip():
            yield messages, "", text(ui, "type_first"), chat_id, gr.update()
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
        messages += [{"role": "user", "content": shown}, {"role": "assistant", "content": render_searching(ui)}]
        yield messages, "", "", chat_id, self._chat_list(owner, chat_id, ui)
        draft, found, passages, answer = "", None, [], None
        answering = Answering(self.library.ask(message, turns, cancel=stop, article=article), stop)
        details: dict[str, Any]  # what the chat history keeps beside the shown answer
        try:
            for event in answering:
                if isinstance(event, Retrieved):
                    passages = event.passages
                elif isinstance(event, EvidenceFound):
                    found, passages = event, event.passages
                elif isinstance(event, Token):
                    draft += event.text
                elif isinstance(event, Answer):
                    answer = event
                if found and isinstance(event, (EvidenceFound, Token)):
                    messages[-1] = {"role": "assistant", "content": render_evidence(key, found, ui, draft)}
                    yield messages, gr.update(), "", chat_id, gr.update()  # the next question may be typed now
            if answer is not None and not stop.is_set():
                content = render_answer(key, answer, self._articles(answer.passages), answer.as_of_label or "", ui,
                                        self._refusal_reason(answer, ui))
                details = {"answer": answer.text, "language": answer.language, "refusal": answer.refusal}
            else:
                content = render_stopped(key, found, passages, ui, self._articles(passages))
                details = {"answer": "", "stopped": True}
        except Exception as exc:  # noqa: BLE001 - the chat says what failed, and keeps what was found
            problem = self._problem(exc, ui)
            content, details = render_problem(problem), {"answer": "", "error": problem}
            if passages:  # what was found before the failure stays on screen, cited
                content = render_stopped(key, found, passages, ui, self._articles(passages), content)
        self.history.add(owner, chat_id, "assistant", content, details)
        messages[-1] = {"role": "assistant", "content": content}
        try:
            yield messages, gr.update(), "", chat_id, self._chat_list(owner, chat_id, ui)
        finally:
            answering.wait()  # a stopped answer's last model step ends before the next question uses the model

    def scope_to(self, picked: str, request=None) -> tuple[str, str, Any]:
        """(article id, the note saying the chat is about it, the button that ends it) for an "Ask about this
        article" link's ``picked`` value ("id|click" from the page's script)."""
        import gradio as gr

        ui, article_id = ui_language(request), picked.rpartition("|")[0]
        try:
            stored = self.library.stored([article_id]).get(article_id) if article_id else None
        except RagError:
            stored = None
        if stored is None:
            return "", text(ui, "gone") if article_id else "", gr.update(visible=False)
        date = f" · {stored.published}" if stored.published else ""
        return article_id, text(ui, "scoped", title=escape_markdown(stored.title)) + date, gr.update(visible=True)

    def stop(self, request=None) -> None:
        """End the answer being written in this browser session (within a tenth of a second)."""
        if event := self._stops.get(_session(request)):
            event.set()

    def open_chat(self, chat_id: str | None, request=None) -> tuple[Messages, str | None, Any]:
        """A saved chat's messages, for the side panel and for a page reload."""
        owner = _owner(request)
        try:
            saved = self.history.messages(owner, chat_id) if chat_id else []
        except UnknownChat:
            chat_id, saved = None, []
        return ([{"role": m.role, "content": m.content} for m in saved], chat_id,
                self._chat_list(owner, chat_id, ui_language(request)))

    def rename_chat(self, chat_id: str | None, title: str, request=None) -> tuple[Any, str]:
        owner, ui = _owner(request), ui_language(request)
        if not chat_id:
            return self._chat_list(owner, None, ui), text(ui, "open_chat_first")
        try:
            self.history.rename(owner, chat_id, title)
        except UnknownChat:  # deleted meanwhile
            return self._chat_list(owner, None, ui), text(ui, "open_chat_first")
        except RagError:  # an empty name
            return self._chat_list(owner, chat_id, ui), text(ui, "empty_name")
        return self._chat_list(owner, chat_id, ui), ""

    def delete_chat(self, chat_id: str | None, request=None) -> tuple[Messages, None, Any]:
        owner = _owner(request)
        if chat_id:
            with contextlib.suppress(UnknownChat):
                self.history.delete(owner, chat_id)
        return [], None, self._chat_list(owner, None, ui_language(request))

    def _turns(self, owner: str, chat_id: str) -> list[tuple[str, str]]:
        """Earlier (question, answer text) pairs of a saved chat: what follow-up questions are read with."""
        saved = self.history.messages(owner, chat_id)
        return [(q.details.get("question", q.content), a.details.get("answer", ""))
                for q, a in zip(saved[::2], saved[1::2])]

    def _chat_list(self, owner: str, chat_id: str | None, ui: str):
        """The side panel's chats, each named with its last use so that two chats on one subject differ."""
        import gradio as gr

        chats = self.history.chats(owner)
        labels = [f"{c.title} · {when(c.updated, ui)}" for c in chats]
        labels = [f"{c.title} · {when(c.updated, ui, seconds=True)}" if labels.count(label) > 1 else label
                  for c, label in zip(chats, labels)]
        return gr.update(choices=list(zip(labels, [c.id for c in chats])), value=chat_id)

    def _articles(self, passages) -> dict[str, ArticleInfo]:
        try:
            stored = self.library.stored([hit.article_id for hit in passages])
        except RagError:  # the index went away: the passages are shown without their articles
            return {}
        return {i: ArticleInfo(a.sources[0] if a.sources else "", a.url, a.text) for i, a in stored.items()}

    def _refusal_reason(self, answer: Answer, ui: str) -> str:
        """Why a refusal shows no passage (an empty library, or nothing about the question); "" otherwise."""
        if not answer.refusal or answer.passages:
            return ""
        return text(ui, "library_empty" if self._article_count() == 0 else "nothing_found")

    def _problem(self, exc: Exception, ui: str) -> str:
        """What to tell the user about a failed question, in the interface's language; the error itself is
        logged (a RagError's message as a warning, anything else as a bug with its traceback)."""
        if not isinstance(exc, RagError):
            logger.error("question failed: this is a bug", exc_info=exc)
            return text(ui, "bug")
        logger.warning("question failed: %s", exc)
        if isinstance(exc, QuestionError):
            if "empty" in str(exc):
                return text(ui, "type_first")
            return text(ui, "too_long", limit=number(ui, self.library.max_question_chars))
        if isinstance(exc, IndexNotBuilt):
            return text(ui, "library_empty")
        if isinstance(exc, (ModelNotFound, MissingPackage)):
            return text(ui, "no_model")
        if isinstance(exc, ModelServerError):
            return text(ui, "server_down")
        return text(ui, "cannot_answer")

    # --- search ---------------------------------------------------------------------------------------

    def search(self, question: str, scores: bool = False, request=None) -> str:
        """The passages for ``question`` as HTML, per article with its words marked (a message for an empty or
        unusable question)."""
        ui = ui_language(request)
        if not question.strip():
            return f"<p>{text(ui, 'type_first')}</p>"
        try:
            hits = self.library.search(question)
            return render_hits(hits, self.library.marks(question, hits), ui, self._articles(hits), scores)
        except RagError as exc:  # too long, nothing but control characters, no index yet
            return render_problem(self._problem(exc, ui))

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
              auth=auth, css=CSS, js=JS, theme=theme(), i18n=i18n(" ".join(self.library.formats)), show_error=False,
              footer_links=["api"], run_history=False,  # the footer's own "Settings" sat beside the Settings tab
              max_file_size=settings.max_file_bytes)  # bytes: "0.5mb" is not accepted


class Answering:
    """An answer's events read on a thread of their own, so that the loop showing them looks at ``stop`` every
    STOP_CHECK_S even while the model computes (a prompt or a token can take seconds on a busy machine)."""

    _END = object()

    def __init__(self, events: Iterator[Any], stop: threading.Event) -> None:
        self._events, self._stop = events, stop
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread = threading.Thread(target=self._read, name="rag-answer", daemon=True)
        self._thread.start()

    def __iter__(self) -> Iterator[Any]:
        while not self._stop.is_set():
            try:
                item = self._queue.get(timeout=STOP_CHECK_S)
            except queue.Empty:
                continue
            if item is self._END:
                return
            if isinstance(item, Exception):
                raise item
            yield item

    def wait(self) -> None:
        """Stop reading (the pipeline sees ``stop``) and wait until the model's step under way has ended."""
        self._stop.set()
        self._thread.join()

    def _read(self) -> None:
        try:
            for event in self._events:
                self._queue.put(event)
                if self._stop.is_set():
                    break
        except Exception as exc:  # noqa: BLE001 - handed to the reader, which says what failed
            self._queue.put(exc)
        finally:
            close = getattr(self._events, "close", None)
            if close is not None:
                close()  # a stopped answer ends here: llama.cpp computes no further token
            self._queue.put(self._END)


def _owner(request) -> str:
    """Whose chats these are: the login name with RAG_AUTH, else everyone's ("")."""
    return getattr(request, "username", None) or ""


def _session(request) -> str:
    return getattr(request, "session_hash", None) or ""


def launch(settings: Settings) -> None:
    """Serve the web UI for ``settings`` (``rag serve``, ``python app.py``)."""
    WebUI(Library(settings)).launch()
