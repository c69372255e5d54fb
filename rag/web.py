"""The Gradio web UI: a chat whose answers show their checked sources, plus a passage search tab."""
from __future__ import annotations

import html
import logging
from pathlib import Path
from typing import Iterator

from rag.answer import QUOTE_LABELS, Answer, EvidenceFound, Retrieved, Token
from rag.citations import Citation, strip_markers
from rag.indexer import build_index
from rag.library import add_files, index_status, indexed_articles, remove_article
from rag.models import BUNDLED_LLMS
from rag.pipeline import Pipeline
from rag.questions import clean_question
from rag.retrieval import Hit
from rag.settings import Settings

logger = logging.getLogger(__name__)
# Requests waiting at most (all events together); beyond it a user is told the queue is full and to try
# again, instead of waiting behind an unbounded pile. Room for 20+ users each with a question and a page load.
QUEUE_MAX_SIZE = 64
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


# Labels of the chat answer, in the question's language.
LABELS = {
    "id": {"checking": "Sedang memeriksa sumber…", "evidence": "Bukti dari artikel", "details": "Rincian teknis",
           "dropped": "Dihapus dari jawaban (tidak didukung artikel)"},
    "en": {"checking": "Checking against the sources…", "evidence": "Evidence from the articles",
           "details": "Technical details", "dropped": "Removed from the answer (not supported by the articles)"},
}


def _labels(language: str) -> dict[str, str]:
    return LABELS.get(language, LABELS["en"])


def render_quote(citation: Citation) -> str:
    """One evidence sentence as a markdown quote with its source link."""
    date = f" ({html.escape(citation.published)})" if citation.published else ""
    return (f"> “{_escape_markdown(citation.quote)}” — _{_escape_markdown(citation.title)}_{date} "
            f"[\\[{citation.number}\\]](#source-{citation.number})")


def render_evidence(evidence: list[Citation], language: str, draft: str = "") -> str:
    """What the chat shows while the model writes: the evidence, then the draft marked as being checked."""
    labels = _labels(language)
    parts = [f"**{labels['evidence']}**", *map(render_quote, evidence)]
    parts.append(f"_{labels['checking']}_" + (f" {_escape_markdown(strip_markers(draft))}" if draft.strip() else ""))
    return "\n\n".join(parts)


def _details(summary: str, lines: list[str]) -> str:
    body = "<br>".join(html.escape(line) for line in lines)
    return f"<details><summary>{html.escape(summary)}</summary>{body}</details>"


def render_answer(answer: Answer) -> tuple[str, str]:
    """(chat message as markdown, sources panel as HTML) for a finished answer."""
    labels = _labels(answer.language)
    if answer.refusal:
        return f"{answer.text}\n\n{_details(labels['details'], [answer.refusal])}", render_hits(answer.passages)
    lines, highlights = [], {}
    for sentence in answer.sentences:
        if not sentence.is_claim:
            continue
        for citation in sentence.citations:
            highlights.setdefault(citation.number, []).append((citation.start, citation.end))
        refs = "".join(f" [\\[{n}\\]](#source-{n})" for n in sorted({c.number for c in sentence.citations}))
        lines.append(f"{_escape_markdown(strip_markers(sentence.text).strip())}{refs}")
    if answer.extractive:
        message = f"**{QUOTE_LABELS.get(answer.language, QUOTE_LABELS['en'])}:** " + render_quote(answer.evidence[0])[2:]
    else:
        message = "**" + " ".join(lines) + "**\n\n" + "\n\n".join(map(render_quote, answer.evidence))
    if answer.dropped:
        message += "\n\n" + _details(labels["dropped"], [f"{strip_markers(s.text)} ({'; '.join(s.problems)})"
                                                          for s in answer.dropped])
    return message, render_hits(answer.passages, highlights)


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
        sources, text, evidence, language = "", "", [], "en"
        try:
            for event in pipeline.answer(message, turns):
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
            messages[-1] = {"role": "assistant", "content": f"⚠️ {_escape_markdown(str(exc))}"}
            yield messages, "", sources

    def search(question: str) -> str:
        if not question.strip():
            return "<p>Type a question first.</p>"
        try:
            question = clean_question(question)
        except ValueError as exc:  # too long, or nothing but control characters
            return f"<p>⚠️ {html.escape(str(exc))}</p>"
        return render_hits(pipeline.retriever.search(question))

    with gr.Blocks(title="Berita QA — offline news chat") as app:
        gr.Markdown("## Tanya berita · Ask the news\nAnswers come only from the indexed articles: each one "
                    "is checked against the article sentence quoted under it.")
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
            # One generation at a time (both triggers share a queue; waiting users see their place);
            # library work has its own queue, so questions are answered while a rebuild runs.
            send.click(chat, [question, chatbot], [chatbot, question, panel], api_name="chat",
                       concurrency_id="llm", concurrency_limit=1)
            question.submit(chat, [question, chatbot], [chatbot, question, panel], concurrency_id="llm",
                            concurrency_limit=1)
            clear.click(lambda: ([], "", ""), None, [chatbot, question, panel])
        with gr.Tab("Search passages"):
            query = gr.Textbox(label="Search", elem_id="search-box")
            results = gr.HTML(elem_id="results")
            gr.Button("Search").click(search, query, results, api_name="search")
            query.submit(search, query, results)
        with gr.Tab("Library"):
            status = gr.JSON(label="Index status", value=lambda: index_status(pipeline.settings))
            with gr.Row():
                uploads = gr.File(label="Add articles (.txt .md .html .htm .jsonl .pdf)", file_count="multiple",
                                  elem_id="upload")
                with gr.Column():
                    add = gr.Button("Add and index", variant="primary", elem_id="add")
                    rebuild = gr.Button("Rebuild from folder", elem_id="rebuild")
                    report = gr.Markdown(elem_id="report")
            table_filter = gr.Textbox(label="Filter articles", elem_id="filter")
            table = gr.Dataframe(value=lambda: _table(pipeline.settings, ""), interactive=False, elem_id="articles")
            with gr.Row():
                remove_id = gr.Textbox(label="Article id to remove", elem_id="remove-id")
                remove = gr.Button("Remove article", variant="stop", elem_id="remove")
            add.click(lambda files, progress=gr.Progress(track_tqdm=True): _add(files, pipeline),
                      uploads, [report, status, table], api_name="add_articles", concurrency_id="library")
            rebuild.click(lambda progress=gr.Progress(track_tqdm=True): _rebuild(pipeline, []),
                          None, [report, status, table], api_name="rebuild", concurrency_id="library")
            remove.click(lambda article_id: _remove(article_id, pipeline), remove_id,
                         [report, status, table], api_name="remove_article", concurrency_id="library")
            table_filter.change(lambda text: _table(pipeline.settings, text), table_filter, table)
        with gr.Tab("Settings"):
            top_k = gr.Slider(1, 20, value=settings.top_k, step=1, label="Passages per answer (top_k)")
            model = gr.Dropdown(choices=list(BUNDLED_LLMS), value=settings.llm_model, allow_custom_value=True,
                                label="GGUF model (bundled name or path of a .gguf file)")
            temperature = gr.Slider(0.0, 1.5, value=settings.temperature, step=0.05, label="Temperature")
            max_tokens = gr.Slider(32, 1024, value=settings.max_answer_tokens, step=32, label="Max answer tokens")
            applied = gr.Markdown()
            gr.Button("Apply", elem_id="apply").click(
                lambda k, m, t, n: _apply(pipeline, {"top_k": int(k), "llm_model": m, "temperature": t,
                                                     "max_answer_tokens": int(n)}),
                [top_k, model, temperature, max_tokens], applied, api_name="apply_settings")
    return app


def _table(settings: Settings, text: str) -> list[list]:
    rows = indexed_articles(settings)
    words = text.lower().split()
    rows = [r for r in rows if all(w in " ".join(map(str, r.values())).lower() for w in words)]
    return [[r["title"], r["date"], r["language"], r["sources"], r["chunks"], r["id"]] for r in rows] or [[""] * 6]


def _rebuild(pipeline: Pipeline, notes: list[str]) -> tuple[str, dict, list[list]]:
    """Index the articles folder; questions keep using the old version until the switch."""
    settings = pipeline.settings
    report = build_index(settings.articles_dir, settings, pipeline.retriever.embedder)
    lines = notes + [f"added {len(report.added)}, changed {len(report.changed)}, removed {len(report.removed)}, "
                     f"unchanged {report.unchanged}; {report.chunks_embedded} chunks embedded"]
    lines += [f"skipped {_escape_markdown(str(p))}" for p in report.problems]
    return "\n\n".join(lines), index_status(settings), _table(settings, "")


def _add(files: list | None, pipeline: Pipeline) -> tuple[str, dict, list[list]]:
    settings = pipeline.settings
    paths = [Path(getattr(f, "name", f)) for f in files or []]
    if not paths:
        return "Choose files first.", index_status(settings), _table(settings, "")
    saved, rejected = add_files(paths, settings)
    # File names are shown as text: "[x](y).md" must not become a link, nor "*a*.md" italics.
    notes = [f"saved {_escape_markdown(name)}" for name in saved] + [f"rejected {_escape_markdown(r)}" for r in rejected]
    return _rebuild(pipeline, notes)


def _remove(article_id: str, pipeline: Pipeline) -> tuple[str, dict, list[list]]:
    settings = pipeline.settings
    try:
        sources = remove_article(article_id.strip(), settings)
    except KeyError as exc:
        return _escape_markdown(str(exc.args[0])), index_status(settings), _table(settings, "")
    return _rebuild(pipeline, [f"removed {_escape_markdown(', '.join(sources))}"])


def _apply(pipeline: Pipeline, values: dict) -> str:
    try:
        new = pipeline.update_settings(values)
    except ValueError as exc:
        return f"Not applied: {html.escape(str(exc))}"
    return f"Applied: top_k={new.top_k}, model={html.escape(new.llm_model)}, temperature={new.temperature}, " \
           f"max answer tokens={new.max_answer_tokens}"


def _auth_pair(value: str) -> tuple[str, str] | None:
    """("user", "password") from the ``auth`` setting "user:password"; errors never echo the value."""
    if not value:
        return None
    user, _, password = value.partition(":")
    if not user or not password:
        raise ValueError("setting 'auth' (RAG_AUTH) must be user:password, both non-empty")
    return user, password


def launch(settings: Settings) -> None:
    """Bring the index up to date with ``settings.articles_dir``, then serve the UI."""
    auth = _auth_pair(settings.auth)
    report = build_index(settings.articles_dir, settings)
    for problem in report.problems:
        logger.warning("skipped %s", problem)
    if settings.host not in {"127.0.0.1", "localhost", "::1"}:
        logger.warning("serving on %s: reachable from other machines", settings.host)
    if settings.host not in {"127.0.0.1", "localhost", "::1"} and not auth:
        logger.warning("no password set: set RAG_AUTH=user:password when serving beyond loopback")
    build_app(settings).queue(default_concurrency_limit=1, max_size=QUEUE_MAX_SIZE).launch(
        server_name=settings.host, server_port=settings.port, auth=auth,
        max_file_size=int(settings.max_file_mb * 1_000_000))  # bytes: "0.5mb" is not accepted
