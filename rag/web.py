"""The Gradio web UI (for now: search over the indexed articles; the chat builds on it)."""
from __future__ import annotations

import html
import logging

from rag.indexer import build_index
from rag.retrieval import Hit, Retriever
from rag.settings import Settings

logger = logging.getLogger(__name__)


def render_hits(hits: list[Hit]) -> str:
    """Passages as HTML; every piece of article text is escaped, so nothing in an article runs."""
    if not hits:
        return "<p>No matching passages.</p>"
    parts = []
    for rank, hit in enumerate(hits, 1):
        date = f" · {html.escape(hit.published)}" if hit.published else ""
        legs = " · ".join(
            f"{name} {value:.3f}" for name, value in (("dense", hit.dense_score), ("bm25", hit.lexical_score))
            if value is not None
        )
        parts.append(
            f'<div class="hit"><h4>{rank}. {html.escape(hit.title)}{date}</h4>'
            f'<p class="meta">{html.escape(hit.article_id)} · chars {hit.start}–{hit.end} · '
            f"score {hit.score:.3f} ({legs})</p><p>{html.escape(hit.text)}</p></div>"
        )
    return "\n".join(parts)


def build_app(settings: Settings, retriever: Retriever | None = None):
    """The Gradio Blocks app over the index at ``settings.index_path``."""
    import gradio as gr

    retriever = retriever or Retriever(settings)

    def search(question: str) -> str:
        if not question.strip():
            return "<p>Type a question first.</p>"
        return render_hits(retriever.search(question))

    with gr.Blocks(title="Berita QA — offline news search") as app:
        gr.Markdown("## Tanya berita · Ask the news\nSearch the indexed articles (offline).")
        question = gr.Textbox(label="Question / Pertanyaan", placeholder="Berapa harga beras medium?")
        button = gr.Button("Search", variant="primary")
        results = gr.HTML(elem_id="results")
        button.click(search, question, results, api_name="search")
        question.submit(search, question, results)
    return app


def launch(settings: Settings) -> None:
    """Bring the index up to date with ``settings.articles_dir``, then serve the UI."""
    report = build_index(settings.articles_dir, settings)
    for problem in report.problems:
        logger.warning("skipped %s", problem)
    if settings.host not in {"127.0.0.1", "localhost", "::1"}:
        logger.warning("serving on %s: reachable from other machines", settings.host)
    build_app(settings).queue().launch(server_name=settings.host, server_port=settings.port)
