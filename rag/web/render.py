"""What the web UI shows: answers with their own sources, the states of an answer being written, passages.

All article text is escaped: nothing in an article can run in the page or become a link. Each answer carries
its sources, grouped per article, with anchors unique to that answer (``{key}-s{n}``), so the ``[n]`` links
of an older answer still open that answer's passages.
"""
from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rag.answer.records import QUOTE_LABELS, Answer, Citation, strip_markers
from rag.types import Hit

TABLE_HEADERS = ["Title", "Date", "Language", "Chunks", "Source file", "Added"]  # WebUI.table's columns
# Labels of the chat, in the question's language.
LABELS = {
    "id": {"searching": "Mencari di artikel…", "writing": "Menulis jawaban — belum diperiksa…",
           "evidence": "Bukti dari artikel", "details": "Rincian teknis", "sources": "Sumber",
           "articles": "artikel", "dropped": "Dihapus dari jawaban (tidak didukung artikel)",
           "open": "Buka artikel", "stopped": "Dihentikan. Bukti yang sudah ditemukan:", "scores": "Skor"},
    "en": {"searching": "Searching the articles…", "writing": "Writing the answer — not checked yet…",
           "evidence": "Evidence from the articles", "details": "Technical details", "sources": "Sources",
           "articles": "articles", "dropped": "Removed from the answer (not supported by the articles)",
           "open": "Open article", "stopped": "Stopped. The evidence found so far:", "scores": "Scores"},
}


@dataclass
class ArticleInfo:
    """What a source block shows about an article besides the passage: where it came from, its full text."""

    source: str          # the file (or file#id) it was read from
    url: str | None
    text: str


def labels(language: str) -> dict[str, str]:
    return LABELS.get(language, LABELS["en"])


def escape_markdown(text: str) -> str:
    return html.escape(text).replace("*", "\\*").replace("_", "\\_").replace("[", "\\[").replace("`", "\\`")


def message_text(content) -> str:
    """A chat message's text (Gradio 6 may hand back a list of typed parts)."""
    if isinstance(content, str):
        return content
    return " ".join(part.get("text", "") for part in content if isinstance(part, dict))


def render_searching(language: str) -> str:
    return f'<p class="state">{labels(language)["searching"]}</p>'


def render_evidence(key: str, evidence: list[Citation], language: str, draft: str = "") -> str:
    """What the chat shows while the model writes: the evidence, then the draft marked as not checked yet."""
    parts = [f"**{labels(language)['evidence']}**", *(render_quote(key, c) for c in evidence),
             f'<p class="state">{labels(language)["writing"]}</p>']
    if draft.strip():
        parts.append(f'<p class="draft">{_lines(html.escape(strip_markers(draft)))}</p>')
    return "\n\n".join(parts)


def render_stopped(key: str, evidence: list[Citation], passages: list[Hit], language: str,
                   articles: Mapping[str, ArticleInfo], headline: str = "") -> str:
    """An answer stopped by the user (or cut off by ``headline``, an error): the evidence already found stays
    readable and cited."""
    quotes = "\n\n".join(render_quote(key, c) for c in evidence)
    return "\n\n".join(filter(None, [headline or f"_{labels(language)['stopped']}_", quotes,
                                     render_sources(key, passages, _highlights(evidence), language, articles)]))


def render_quote(key: str, citation: Citation) -> str:
    """One evidence sentence as a markdown quote with its link to the answer's source ``[n]``."""
    date = f" ({html.escape(citation.published)})" if citation.published else ""
    return (f"> “{escape_markdown(citation.quote)}” — _{escape_markdown(citation.title)}_{date} "
            f"{_link(key, citation.number)}")


def render_answer(key: str, answer: Answer, articles: Mapping[str, ArticleInfo], as_of: str = "") -> str:
    """A finished answer as one chat message: the checked text or the quote or the refusal, then its sources."""
    words = labels(answer.language)
    if answer.refusal:  # with what the articles do say about it, when they cover the subject
        return "\n\n".join([escape_markdown(answer.text), *(render_quote(key, c) for c in answer.closest),
                            _details(words["details"], [answer.refusal]),
                            render_sources(key, answer.passages, _highlights(answer.closest), answer.language,
                                           articles)])
    lines, cited = [], []
    for sentence in answer.sentences:
        if not sentence.is_claim:
            continue
        cited += sentence.citations
        refs = "".join(" " + _link(key, n) for n in sorted({c.number for c in sentence.citations}))
        lines.append(f"{escape_markdown(strip_markers(sentence.text).strip())}{refs}")
    if answer.extractive:
        message = (f"**{QUOTE_LABELS.get(answer.language, QUOTE_LABELS['en'])}:** "
                   + render_quote(key, answer.evidence[0])[2:])
    else:
        message = "**" + " ".join(lines) + "**\n\n" + "\n\n".join(render_quote(key, c) for c in answer.evidence)
    if as_of:
        message = f'<p class="as-of">{html.escape(as_of)}</p>\n\n{message}'
    if answer.dropped:
        message += "\n\n" + _details(words["dropped"], [f"{strip_markers(s.text)} ({'; '.join(s.problems)})"
                                                         for s in answer.dropped])
    highlights = _highlights(cited + list(answer.evidence))
    return message + "\n\n" + render_sources(key, answer.passages, highlights, answer.language, articles)


def render_sources(key: str, passages: Sequence[Hit], highlights: Mapping[int, list[tuple[int, int]]],
                   language: str, articles: Mapping[str, ArticleInfo]) -> str:
    """An answer's passages as a collapsible block, grouped per article (title, date and file once), each
    passage with its supporting sentences marked; the full article and the scores behind toggles."""
    if not passages:
        return ""
    words = labels(language)
    groups: dict[str, list[tuple[int, Hit]]] = {}
    for number, hit in enumerate(passages, 1):
        groups.setdefault(hit.article_id, []).append((number, hit))
    blocks = []
    for article_id, numbered in groups.items():
        first = numbered[0][1]
        info = articles.get(article_id)
        head = [f"<strong>{html.escape(first.title)}</strong>"]
        head += [html.escape(first.published)] if first.published else []
        if info and info.url and info.url.startswith(("http://", "https://")):
            head.append(f'<a href="{html.escape(info.url, quote=True)}" target="_blank" rel="noopener noreferrer">'
                        f"{html.escape(info.url)}</a>")
        elif info:
            head.append(f'<span class="file">{html.escape(info.source)}</span>')
        body = []
        for numbers, start, text in _merged(numbered):
            numbers = sorted(numbers)
            anchors = "".join(f'<span id="{key}-s{n}"></span>' for n in numbers[1:])
            spans = [span for n in numbers for span in highlights.get(n, [])]
            body.append(f'<div class="passage" id="{key}-s{numbers[0]}">{anchors}<span class="num">'
                        f'{"".join(f"[{n}]" for n in numbers)}</span> {_marked(text, start, spans)}</div>')
        if info:
            spans = [span for n, _ in numbered for span in highlights.get(n, [])]
            body.append(f'<details class="full"><summary>{words["open"]}</summary><div class="fulltext">'
                        f"{_marked(info.text, 0, spans)}</div></details>")
        scores = [f"[{n}] {html.escape(hit.article_id)} · chunk {hit.chunk_id} · chars {hit.start}–{hit.end} · "
                  f"score {hit.score:.3f}" + "".join(f" · {name} {value:.3f}" for name, value in
                                                     (("dense", hit.dense_score), ("bm25", hit.lexical_score))
                                                     if value is not None) for n, hit in numbered]
        body.append(f'<details class="tech"><summary>{words["scores"]}</summary>{"<br>".join(scores)}</details>')
        blocks.append(f'<div class="article"><p class="article-head">{" · ".join(head)}</p>{"".join(body)}</div>')
    summary = f"{words['sources']} · {len(groups)} {words['articles']}"
    return f'<details class="sources" id="{key}-sources"><summary>{summary}</summary>{"".join(blocks)}</details>'


def render_hits(hits: list[Hit]) -> str:
    """Search results: passages as HTML, escaped, with their article, date and scores."""
    if not hits:
        return "<p>No matching passages.</p>"
    parts = []
    for number, hit in enumerate(hits, 1):
        date = f" · {html.escape(hit.published)}" if hit.published else ""
        parts.append(f'<div class="source" id="source-{number}"><h4>[{number}] {html.escape(hit.title)}{date}</h4>'
                     f'<p class="meta">{html.escape(hit.article_id)} · score {hit.score:.3f}</p>'
                     f"<p>{html.escape(hit.text)}</p></div>")
    return "\n".join(parts)


def _merged(numbered: list[tuple[int, Hit]]) -> list[tuple[list[int], int, str]]:
    """An article's passages in text order, overlapping ones (chunks share sentences) joined into one:
    (their numbers, article offset, text)."""
    merged: list[tuple[list[int], int, str]] = []
    for number, hit in sorted(numbered, key=lambda nh: nh[1].start):
        if merged and hit.start <= merged[-1][1] + len(merged[-1][2]):
            numbers, start, text = merged[-1]
            merged[-1] = (numbers + [number], start, text + hit.text[start + len(text) - hit.start:])
        else:
            merged.append(([number], hit.start, hit.text))
    return merged


def _link(key: str, number: int) -> str:
    return f"[\\[{number}\\]](#{key}-s{number})"


def _highlights(citations: Sequence[Citation]) -> dict[int, list[tuple[int, int]]]:
    out: dict[int, list[tuple[int, int]]] = {}
    for citation in citations:
        spans = out.setdefault(citation.number, [])
        if (citation.start, citation.end) not in spans:
            spans.append((citation.start, citation.end))
    return out


def _marked(text: str, offset: int, spans: list[tuple[int, int]]) -> str:
    """``text`` (which starts at article offset ``offset``), escaped, with the article-offset ``spans`` in <mark>."""
    out, position = [], 0
    for start, end in sorted((max(s - offset, 0), min(e - offset, len(text))) for s, e in spans):
        if start >= position and end > start:
            out += [html.escape(text[position:start]), "<mark>", html.escape(text[start:end]), "</mark>"]
            position = end
    out.append(html.escape(text[position:]))
    return _lines("".join(out))


def _lines(escaped: str) -> str:
    """Line breaks as <br>: a blank line would end the chat message's HTML block, and the markdown after it
    would be rendered (an article's "![x](y)" would become an image)."""
    return escaped.replace("\r", "").replace("\n", "<br>")


def _details(summary: str, lines: list[str]) -> str:
    body = "<br>".join(html.escape(line) for line in lines)
    return f"<details><summary>{html.escape(summary)}</summary>{body}</details>"
