"""The Gradio web UI over one :class:`rag.library.Library`: a chat whose answers show their checked sources, a
passage search, the library (status, articles, uploads, rebuild, removal) and the live settings.

``WebUI(library).create_app()`` builds the Gradio app; ``launch()`` brings the index up to date and serves it.
"""
from __future__ import annotations

import html
import logging
from pathlib import Path
from typing import Any, Iterator

from rag.answer.events import Answer, EvidenceFound, Retrieved, Token
from rag.answer.questions import clean_question
from rag.ingest.readers import READERS
from rag.library import Change, Library
from rag.llm.files import BUNDLED_LLMS
from rag.settings import Settings
from rag.web.render import escape_markdown, message_text, render_answer, render_evidence, render_hits

logger = logging.getLogger(__name__)
# Requests waiting at most (all events together); beyond it a user is told the queue is full and to try
# again, instead of waiting behind an unbounded pile. Room for 20+ users each with a question and a page load.
QUEUE_MAX_SIZE = 64
EXAMPLES = ["Berapa warga yang mengungsi karena banjir di Demak?", "Berapa harga beras medium sekarang?",
            "How many homes will the Dunmore Valley solar farm power?"]
LibraryView = tuple[str, dict, list[list]]  # report, status, article table


class WebUI:
    """The web face of a library: every action is one call into it."""

    def __init__(self, library: Library) -> None:
        self.library = library

    @property
    def settings(self) -> Settings:
        return self.library.settings

    def chat(self, message: str, messages: list[dict]) -> Iterator[tuple[list[dict], str, str]]:
        """Stream the answer to ``message``: (chat messages, cleared question box, sources panel)."""
        messages = list(messages or [])
        if not message.strip():
            yield messages, "", "<p>Type a question first.</p>"
            return
        turns = [(message_text(q["content"]), message_text(a["content"]))
                 for q, a in zip(messages[::2], messages[1::2])]
        messages += [{"role": "user", "content": message}, {"role": "assistant", "content": "…"}]
        sources, text, evidence, language = "", "", [], "en"
        try:
            for event in self.library.pipeline.answer(message, turns):
                if isinstance(event, Retrieved):
                    sources = render_hits(event.passages)
                elif isinstance(event, EvidenceFound):
                    evidence, language = event.evidence, event.language
                    sources = render_hits(event.passages, {c.number: [(c.start, c.end)] for c in evidence})
                elif isinstance(event, Token):
                    text += event.text
                if isinstance(event, (EvidenceFound, Token)):
                    messages[-1] = {"role": "assistant", "content": render_evidence(evidence, language, text)}
                elif isinstance(event, Answer):
                    content, sources = render_answer(event)
                    messages[-1] = {"role": "assistant", "content": content}
                yield messages, "", sources
        except (ValueError, OSError) as exc:  # bad question, index missing, model missing: say so
            logger.warning("question failed: %s", exc)
            messages[-1] = {"role": "assistant", "content": f"⚠️ {escape_markdown(str(exc))}"}
            yield messages, "", sources

    def search(self, question: str) -> str:
        """The passages for ``question`` as HTML (a message for an empty or unusable question)."""
        if not question.strip():
            return "<p>Type a question first.</p>"
        try:
            question = clean_question(question)
        except ValueError as exc:  # too long, or nothing but control characters
            return f"<p>⚠️ {html.escape(str(exc))}</p>"
        return render_hits(self.library.pipeline.retriever.search(question))

    def table(self, words: str = "") -> list[list]:
        """The indexed articles containing ``words``, as table rows (read from the catalogue only)."""
        rows = self.library.articles(words)
        return [[r["title"], r["date"], r["language"], r["sources"], r["chunks"], r["id"]] for r in rows] or [[""] * 6]

    def rebuild(self) -> LibraryView:
        """Index the articles folder; questions keep using the old version until the switch."""
        return self._view(Change([], self.library.rebuild()))

    def add(self, files: list | None) -> LibraryView:
        paths = [Path(getattr(f, "name", f)) for f in files or []]
        if not paths:
            return "Choose files first.", self.library.status(), self.table()
        return self._view(self.library.add(paths))

    def remove(self, article_id: str) -> LibraryView:
        try:
            change = self.library.remove(article_id.strip())
        except KeyError as exc:
            return escape_markdown(str(exc.args[0])), self.library.status(), self.table()
        return self._view(change)

    def apply_settings(self, values: dict[str, Any]) -> str:
        try:
            new = self.library.update_settings(values)
        except ValueError as exc:
            return f"Not applied: {html.escape(str(exc))}"
        return f"Applied: top_k={new.top_k}, model={html.escape(new.llm_model)}, temperature={new.temperature}, " \
               f"max answer tokens={new.max_answer_tokens}"

    def _view(self, change: Change) -> LibraryView:
        # File names are shown as text: "[x](y).md" must not become a link, nor "*a*.md" italics.
        lines = [escape_markdown(note) for note in change.notes] + [change.report.summary()]
        lines += [f"skipped {escape_markdown(str(p))}" for p in change.report.problems]
        return "\n\n".join(lines), self.library.status(), self.table()

    def create_app(self):
        """The Gradio Blocks app."""
        import gradio as gr

        settings = self.settings
        with gr.Blocks(title="Berita QA — offline news chat") as app:
            gr.Markdown("## Tanya berita · Ask the news\nAnswers come only from the indexed articles: each one "
                        "is checked against the article sentence quoted under it.")
            with gr.Tab("Chat"):
                with gr.Row():
                    with gr.Column(scale=3):
                        chatbot = gr.Chatbot(label="Chat", elem_id="chat", height=420)
                        question = gr.Textbox(label="Question / Pertanyaan", placeholder=EXAMPLES[0],
                                              elem_id="question")
                        with gr.Row():
                            send = gr.Button("Ask", variant="primary", elem_id="ask")
                            clear = gr.Button("New chat", elem_id="clear")
                        gr.Examples(EXAMPLES, question)
                    with gr.Column(scale=2):
                        gr.Markdown("### Sources")
                        panel = gr.HTML(elem_id="sources")
                # One generation at a time (both triggers share a queue; waiting users see their place);
                # library work has its own queue, so questions are answered while a rebuild runs.
                send.click(self.chat, [question, chatbot], [chatbot, question, panel], api_name="chat",
                           concurrency_id="llm", concurrency_limit=1)
                question.submit(self.chat, [question, chatbot], [chatbot, question, panel], concurrency_id="llm",
                                concurrency_limit=1)
                clear.click(lambda: ([], "", ""), None, [chatbot, question, panel])
            with gr.Tab("Search passages"):
                query = gr.Textbox(label="Search", elem_id="search-box")
                results = gr.HTML(elem_id="results")
                gr.Button("Search").click(self.search, query, results, api_name="search")
                query.submit(self.search, query, results)
            with gr.Tab("Library"):
                status = gr.JSON(label="Index status", value=self.library.status)
                with gr.Row():
                    uploads = gr.File(label=f"Add articles ({' '.join(sorted(READERS))})", file_count="multiple",
                                      elem_id="upload")
                    with gr.Column():
                        add = gr.Button("Add and index", variant="primary", elem_id="add")
                        rebuild = gr.Button("Rebuild from folder", elem_id="rebuild")
                        report = gr.Markdown(elem_id="report")
                table_filter = gr.Textbox(label="Filter articles", elem_id="filter")
                table = gr.Dataframe(value=self.table, interactive=False, elem_id="articles")
                with gr.Row():
                    remove_id = gr.Textbox(label="Article id to remove", elem_id="remove-id")
                    remove = gr.Button("Remove article", variant="stop", elem_id="remove")
                add.click(lambda files, progress=gr.Progress(track_tqdm=True): self.add(files),
                          uploads, [report, status, table], api_name="add_articles", concurrency_id="library")
                rebuild.click(lambda progress=gr.Progress(track_tqdm=True): self.rebuild(),
                              None, [report, status, table], api_name="rebuild", concurrency_id="library")
                remove.click(self.remove, remove_id, [report, status, table], api_name="remove_article",
                             concurrency_id="library")
                table_filter.change(self.table, table_filter, table)
            with gr.Tab("Settings"):
                top_k = gr.Slider(1, 20, value=settings.top_k, step=1, label="Passages per answer (top_k)")
                model = gr.Dropdown(choices=list(BUNDLED_LLMS), value=settings.llm_model, allow_custom_value=True,
                                    label="GGUF model (bundled name or path of a .gguf file)")
                temperature = gr.Slider(0.0, 1.5, value=settings.temperature, step=0.05, label="Temperature")
                max_tokens = gr.Slider(32, 1024, value=settings.max_answer_tokens, step=32, label="Max answer tokens")
                applied = gr.Markdown()
                gr.Button("Apply", elem_id="apply").click(
                    lambda k, m, t, n: self.apply_settings({"top_k": int(k), "llm_model": m, "temperature": t,
                                                            "max_answer_tokens": int(n)}),
                    [top_k, model, temperature, max_tokens], applied, api_name="apply_settings")
        return app

    def launch(self) -> None:
        """Bring the index up to date with the articles folder, then serve the UI (blocks)."""
        settings = self.settings
        auth = auth_pair(settings.auth)
        for problem in self.library.rebuild().problems:
            logger.warning("skipped %s", problem)
        if not settings.is_loopback:
            logger.warning("serving on %s: reachable from other machines", settings.host)
            if not auth:
                logger.warning("no password set: set RAG_AUTH=user:password when serving beyond loopback")
        self.create_app().queue(default_concurrency_limit=1, max_size=QUEUE_MAX_SIZE).launch(
            server_name=settings.host, server_port=settings.port, auth=auth,
            max_file_size=settings.max_file_bytes)  # bytes: "0.5mb" is not accepted


def auth_pair(value: str) -> tuple[str, str] | None:
    """("user", "password") from the ``auth`` setting "user:password"; errors never echo the value."""
    if not value:
        return None
    user, _, password = value.partition(":")
    if not user or not password:
        raise ValueError("setting 'auth' (RAG_AUTH) must be user:password, both non-empty")
    return user, password


def launch(settings: Settings) -> None:
    """Serve the web UI for ``settings`` (``rag serve``, ``python app.py``)."""
    WebUI(Library(settings)).launch()
