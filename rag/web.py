"""The Gradio web UI: a chat whose answers show their checked sources, plus a passage search tab."""
from __future__ import annotations

import html
import logging
from typing import Iterator

from rag.answer import Answer, Retrieved, Token
from rag.citations import strip_markers
from rag.indexer import build_index
from rag.pipeline import Pipeline
from rag.retrieval import Hit
from rag.settings import Settings

logger = logging.getLogger(__name__)
EXAMPLES = ["Berapa warga yang mengungsi karena banjir di Demak?", "Berapa harga beras medium sekarang?",
            "How many homes will the Dunmore Valley solar farm power?"]


def render_hits(hits: list[Hit], highlights: dict[int, list[tuple[int, int]]] | None = None) -> str:
    """Passages as HTML; all article text is escaped, so nothing in an article can run in the page.

    ``highlights`` maps a passage's position to article-offset spans to mark (supporting sentences).
    """
    if not hits:
        return "<p>No matching passages.</p>"
    parts = []
    for number, hit in enumerate(hits, 1):
        date = f" · {html.escape(hit.published)}" if hit.published else ""
        legs = " · ".join(f"{name} {value:.3f}" for name, value in
                          (("dense", hit.dense_score), ("bm25", hit.lexical_score)) if value is not None)
        body = _marked(hit, (highlights or {}).get(number, []))
        parts.append(
            f'<div class="source" id="source-{number}"><h4>[{number}] {html.escape(hit.title)}{date}</h4>'
            f'<p class="meta">{html.escape(hit.article_id)} · chars {hit.start}–{hit.end} · '
            f"score {hit.score:.3f} ({legs})</p><p>{body}</p></div>")
    return "\n".join(parts)


def _marked(hit: Hit, spans: list[tuple[int, int]]) -> str:
    """The passage text, escaped, with the given article-offset spans wrapped in <mark>."""
    out, position = [], 0
    for start, end in sorted((max(s - hit.start, 0), min(e - hit.start, len(hit.text))) for s, e in spans):
        if start >= position and end > start:
            out += [html.escape(hit.text[position:start]), "<mark>", html.escape(hit.text[start:end]), "</mark>"]
            position = end
    out.append(html.escape(hit.text[position:]))
    return "".join(out)


def render_answer(answer: Answer) -> tuple[str, str]:
    """(chat message as markdown, sources panel as HTML) for a finished answer."""
    if answer.refusal:
        return f"{answer.text}\n\n_({answer.refusal})_", render_hits(answer.passages)
    lines, highlights = [], {}
    for sentence in answer.sentences:
        if not sentence.is_claim:
            continue
        for citation in sentence.citations:
            highlights.setdefault(citation.number, []).append((citation.start, citation.end))
        refs = "".join(f" [\\[{n}\\]](#source-{n})" for n in sorted({c.number for c in sentence.citations}))
        text = _escape_markdown(strip_markers(sentence.text).strip())
        if sentence.verified:
            lines.append(f"{text}{refs}")
        else:
            lines.append(f"⚠️ ~~{text}~~ _(unsupported: {_escape_markdown('; '.join(sentence.problems))})_{refs}")
    return " ".join(lines), render_hits(answer.passages, highlights)


def _text(content) -> str:
    """A chat message's text (Gradio 6 may hand back a list of typed parts)."""
    if isinstance(content, str):
        return content
    return " ".join(part.get("text", "") for part in content if isinstance(part, dict))


def _escape_markdown(text: str) -> str:
    return html.escape(text).replace("*", "\\*").replace("_", "\\_").replace("[", "\\[").replace("`", "\\`")


def build_app(settings: Settings, pipeline: Pipeline | None = None):
    """The Gradio Blocks app over the index at ``settings.index_path``."""
    import gradio as gr

    pipeline = pipeline or Pipeline(settings)

    def chat(message: str, messages: list[dict]) -> Iterator[tuple[list[dict], str, str]]:
        messages = list(messages or [])
        if not message.strip():
            yield messages, "", "<p>Type a question first.</p>"
            return
        turns = [(_text(q["content"]), _text(a["content"])) for q, a in zip(messages[::2], messages[1::2])]
        messages += [{"role": "user", "content": message}, {"role": "assistant", "content": "…"}]
        sources, text = "", ""
        for event in pipeline.answer(message, turns):
            if isinstance(event, Retrieved):
                sources = render_hits(event.passages)
            elif isinstance(event, Token):
                text += event.text
                messages[-1] = {"role": "assistant", "content": _escape_markdown(text)}
            elif isinstance(event, Answer):
                content, sources = render_answer(event)
                messages[-1] = {"role": "assistant", "content": content}
            yield messages, "", sources

    def search(question: str) -> str:
        if not question.strip():
            return "<p>Type a question first.</p>"
        return render_hits(pipeline.retriever.search(question))

    with gr.Blocks(title="Berita QA — offline news chat") as app:
        gr.Markdown("## Tanya berita · Ask the news\nAnswers come only from the indexed articles; every "
                    "sentence is checked against its source (⚠️ = not supported).")
        with gr.Tab("Chat"):
            with gr.Row():
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(label="Chat", elem_id="chat", height=420)
                    question = gr.Textbox(label="Question / Pertanyaan", placeholder=EXAMPLES[0], elem_id="question")
                    with gr.Row():
                        send = gr.Button("Ask", variant="primary", elem_id="ask")
                        clear = gr.Button("New chat", elem_id="clear")
                    gr.Examples(EXAMPLES, question)
                with gr.Column(scale=2):
                    gr.Markdown("### Sources")
                    panel = gr.HTML(elem_id="sources")
            send.click(chat, [question, chatbot], [chatbot, question, panel], api_name="chat")
            question.submit(chat, [question, chatbot], [chatbot, question, panel])
            clear.click(lambda: ([], "", ""), None, [chatbot, question, panel])
        with gr.Tab("Search passages"):
            query = gr.Textbox(label="Search", elem_id="search-box")
            results = gr.HTML(elem_id="results")
            gr.Button("Search").click(search, query, results, api_name="search")
            query.submit(search, query, results)
    return app


def launch(settings: Settings) -> None:
    """Bring the index up to date with ``settings.articles_dir``, then serve the UI."""
    report = build_index(settings.articles_dir, settings)
    for problem in report.problems:
        logger.warning("skipped %s", problem)
    if settings.host not in {"127.0.0.1", "localhost", "::1"}:
        logger.warning("serving on %s: reachable from other machines", settings.host)
    build_app(settings).queue(default_concurrency_limit=1).launch(
        server_name=settings.host, server_port=settings.port)
