"""What the web UI shows: passages as HTML with highlighted sentences, answers and evidence as markdown.
All article text is escaped: nothing in an article can run in the page or become a link."""
from __future__ import annotations

import html

from rag.answer.citations import Citation
from rag.answer.markers import strip_markers
from rag.answer.events import QUOTE_LABELS, Answer
from rag.types import Hit


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
    return (f"> “{escape_markdown(citation.quote)}” — _{escape_markdown(citation.title)}_{date} "
            f"[\\[{citation.number}\\]](#source-{citation.number})")


def render_evidence(evidence: list[Citation], language: str, draft: str = "") -> str:
    """What the chat shows while the model writes: the evidence, then the draft marked as being checked."""
    labels = _labels(language)
    parts = [f"**{labels['evidence']}**", *map(render_quote, evidence)]
    parts.append(f"_{labels['checking']}_" + (f" {escape_markdown(strip_markers(draft))}" if draft.strip() else ""))
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
        lines.append(f"{escape_markdown(strip_markers(sentence.text).strip())}{refs}")
    if answer.extractive:
        message = f"**{QUOTE_LABELS.get(answer.language, QUOTE_LABELS['en'])}:** " + render_quote(answer.evidence[0])[2:]
    else:
        message = "**" + " ".join(lines) + "**\n\n" + "\n\n".join(map(render_quote, answer.evidence))
    if answer.dropped:
        message += "\n\n" + _details(labels["dropped"], [f"{strip_markers(s.text)} ({'; '.join(s.problems)})"
                                                          for s in answer.dropped])
    return message, render_hits(answer.passages, highlights)


def message_text(content) -> str:
    """A chat message's text (Gradio 6 may hand back a list of typed parts)."""
    if isinstance(content, str):
        return content
    return " ".join(part.get("text", "") for part in content if isinstance(part, dict))


def escape_markdown(text: str) -> str:
    return html.escape(text).replace("*", "\\*").replace("_", "\\_").replace("[", "\\[").replace("`", "\\`")
