"""What the web UI shows: answers with their own sources, the states of an answer being written, passages.

All article text is escaped: nothing in an article can run in the page or become a link. Each answer carries
its sources, grouped per article, with anchors unique to that answer (``{key}-s{n}``), so the ``[n]`` links
of an older answer still open that answer's passages. Labels are in the interface's language (``ui``,
:mod:`rag.web.i18n`); the answer's own text is in the question's.
"""
from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from rag.answer.records import QUOTE_LABELS, Answer, Citation, EvidenceFound, long_date, strip_markers
from rag.types import Hit
from rag.web.i18n import LANGUAGES, count_articles, text


@dataclass
class ArticleInfo:
    """What a source block shows about an article besides the passage: where it came from, its full text."""

    source: str          # the file (or file#id) it was read from
    url: str | None
    text: str


def escape_markdown(raw: str) -> str:
    return html.escape(raw).replace("*", "\\*").replace("_", "\\_").replace("[", "\\[").replace("`", "\\`")


def code(raw: str) -> str:
    """A file or folder name in a Markdown message, shown as written (a code span would show escapes)."""
    return f"<code>{html.escape(raw)}</code>"


def message_text(content) -> str:
    """A chat message's text (Gradio 6 may hand back a list of typed parts)."""
    if isinstance(content, str):
        return content
    return " ".join(part.get("text", "") for part in content if isinstance(part, dict))


def render_searching(ui: str) -> str:
    return f'<p class="state">{text(ui, "searching")}</p>'


def render_problem(message: str) -> str:
    """A message about a question that could not be answered (marked by the page's CSS, not an emoji)."""
    return f'<p class="problem">{html.escape(message)}</p>'


def render_evidence(key: str, found: EvidenceFound, ui: str, draft: str = "") -> str:
    """What the chat shows while the model works: the evidence found, then the draft marked as not checked yet."""
    parts = [_found(key, found, ui), f'<p class="state">{text(ui, "writing_answer")}</p>']
    if draft.strip():
        parts.append(f'<p class="draft">{_lines(html.escape(strip_markers(draft)))}</p>')
    return "\n\n".join(parts)


def render_stopped(key: str, found: EvidenceFound | None, passages: list[Hit], ui: str,
                   articles: Mapping[str, ArticleInfo], headline: str = "") -> str:
    """An answer stopped by the user (or cut off by ``headline``, an error): the evidence already found stays
    readable and cited."""
    evidence = found.evidence if found else []
    return "\n\n".join(filter(None, [headline or f"_{text(ui, 'stopped')}_", _found(key, found, ui, False) if found
                                     else "", render_sources(key, passages, _highlights(evidence), ui, articles)]))


def _found(key: str, found: EvidenceFound, ui: str, labelled: bool = True) -> str:
    """The evidence found: an open question's points, else the quoted sentences (``labelled`` as evidence)."""
    if found.shape != "fact":
        return render_points(key, found.evidence, found.language)
    quotes = [render_quote(key, c) for c in found.evidence]
    return "\n\n".join([f"**{text(ui, 'evidence')}**", *quotes] if labelled else quotes)


def render_quote(key: str, citation: Citation) -> str:
    """One evidence sentence as a markdown quote with its link to the answer's source ``[n]``."""
    date = f" ({html.escape(citation.published)})" if citation.published else ""
    return (f"> “{escape_markdown(citation.quote)}” — _{escape_markdown(citation.title)}_{date} "
            f"{_link(key, citation.number)}")


def render_answer(key: str, answer: Answer, articles: Mapping[str, ArticleInfo], as_of: str = "", ui: str = "en",
                  reason: str = "") -> str:
    """A finished answer as one chat message: the checked text or the quote or the refusal, then its sources.

    A refusal shows what the articles do say about the subject, when they cover it, and ``reason`` (why nothing
    is shown, in the interface's language); its technical reason stays in the server log.
    """
    read_as = f'<p class="as-of">{html.escape(answer.read_as_label)}</p>' if answer.read_as_label else ""
    if answer.refusal:
        return "\n\n".join(filter(None, [read_as, escape_markdown(answer.text),
                                         *(render_quote(key, c) for c in answer.closest),
                                         reason and f'<p class="reason">{html.escape(reason)}</p>',
                                         render_sources(key, answer.passages, _highlights(answer.closest), ui,
                                                        articles, shown=not answer.closest)]))
    lines, cited = [], []
    for sentence in answer.sentences:
        if not sentence.is_claim:
            continue
        cited += sentence.citations
        refs = "".join(" " + _link(key, n) for n in sorted({c.number for c in sentence.citations}))
        lines.append(f"{escape_markdown(strip_markers(sentence.text).strip())}{refs}")
    if answer.shape != "fact":
        message = render_points(key, answer.evidence, answer.language)
    elif answer.extractive:
        message = (f"**{QUOTE_LABELS.get(answer.language, QUOTE_LABELS['en'])}:** "
                   + render_quote(key, answer.evidence[0])[2:])
    else:
        message = "**" + " ".join(lines) + "**\n\n" + "\n\n".join(render_quote(key, c) for c in answer.evidence)
    if as_of:
        message = f'<p class="as-of">{html.escape(as_of)}</p>\n\n{message}'
    if read_as:
        message = f"{read_as}\n\n{message}"
    if answer.dropped:  # the sentences only: why each failed its check is for the log
        message += "\n\n" + _details(text(ui, "dropped"), [strip_markers(s.text) for s in answer.dropped])
    highlights = _highlights(cited + list(answer.evidence))
    return message + "\n\n" + render_sources(key, answer.passages, highlights, ui, articles)


def render_points(key: str, points: list[Citation], language: str) -> str:
    """An open question's points (each a quoted sentence) as a list under their article's title and date, each
    linked to its source."""
    groups: dict[int, list[str]] = {}
    titles: dict[int, Citation] = {}
    for point in points:
        titles.setdefault(point.number, point)
        groups.setdefault(point.number, []).append(f"- {escape_markdown(point.quote)} {_link(key, point.number)}")
    blocks = []
    for number, lines in groups.items():
        cited = titles[number]
        date = f" · {long_date(cited.published, language)}" if cited.published else ""
        blocks.append(f'<p class="point-head"><b>{html.escape(cited.title)}</b>{html.escape(date)}</p>')
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def render_sources(key: str, passages: Sequence[Hit], highlights: Mapping[int, list[tuple[int, int]]],
                   ui: str, articles: Mapping[str, ArticleInfo], shown: bool = False) -> str:
    """An answer's passages as a collapsible block (open when ``shown``: a refusal's "here are the closest
    passages" points at them), grouped per article (title, date and file once), each passage with its
    supporting sentences marked; the full article behind a toggle."""
    if not passages:
        return ""
    blocks, count = _article_blocks(key, passages, highlights, ui, articles, scores=False)
    summary = f"{text(ui, 'sources')} · {count_articles(ui, count)}"
    opened = " open" if shown else ""
    return f'<details class="sources"{opened} id="{key}-sources"><summary>{summary}</summary>{blocks}</details>'


def render_hits(hits: list[Hit], marks: Mapping[int, list[tuple[int, int]]], ui: str,
                articles: Mapping[str, ArticleInfo], scores: bool = False) -> str:
    """Search results grouped per article, overlapping passages joined, the question's words marked; each
    passage's score (and its legs') only with ``scores``."""
    if not hits:
        return f"<p>{text(ui, 'no_passages')}</p>"
    return f'<div class="hits">{_article_blocks("hit", hits, marks, ui, articles, scores)[0]}</div>'


def _article_blocks(key: str, passages: Sequence[Hit], highlights: Mapping[int, list[tuple[int, int]]], ui: str,
                    articles: Mapping[str, ArticleInfo], scores: bool) -> tuple[str, int]:
    """Passages (numbered from 1) grouped per article as HTML blocks, and how many articles."""
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
        elif info:  # the file, without the id of a JSONL line
            head.append(f'<span class="file">{html.escape(info.source.partition("#")[0])}</span>')
        if info:  # an article still in the index
            head.append(_ask_link(article_id, ui))
        body = []
        for numbers, start, passage in _merged(numbered):
            numbers = sorted(numbers)
            anchors = "".join(f'<span id="{key}-s{n}"></span>' for n in numbers[1:])
            spans = [span for n in numbers for span in highlights.get(n, [])]
            body.append(f'<div class="passage" id="{key}-s{numbers[0]}">{anchors}<span class="num">'
                        f'{"".join(f"[{n}]" for n in numbers)}</span> {_marked(passage, start, spans)}</div>')
        if info:
            spans = [span for n, _ in numbered for span in highlights.get(n, [])]
            body.append(f'<details class="full"><summary>{text(ui, "open_article")}</summary><div class="fulltext">'
                        f"{_marked(info.text, 0, spans)}</div></details>")
        if scores:
            lines = [f"[{n}] {html.escape(hit.article_id)} · score {hit.score:.3f}" + "".join(
                f" · {name} {value:.3f}" for name, value in (("dense", hit.dense_score), ("bm25", hit.lexical_score))
                if value is not None) for n, hit in numbered]
            body.append(f'<p class="scores">{"<br>".join(lines)}</p>')
        blocks.append(f'<div class="article"><p class="article-head">{" · ".join(head)}</p>{"".join(body)}</div>')
    return "".join(blocks), len(groups)


def render_library(rows: list[dict], ui: str, filtered: bool = False) -> str:
    """The indexed articles (rows of ``Library.articles``) as a table that a phone shows as stacked cards, each
    with its Remove… button (the page's script passes the article id on)."""
    if not rows:
        return f'<p class="empty">{text(ui, "no_match" if filtered else "no_articles")}</p>'
    columns = {"title": "title", "date": "date", "language": "article_language", "sources": "file", "added": "added"}
    head = "".join(f"<th>{text(ui, label)}</th>" for label in columns.values())
    body = []
    for row in rows:
        files = ", ".join(dict.fromkeys(source.partition("#")[0] for source in row["sources"].split(", ")))
        shown = {**row, "language": LANGUAGES.get(row["language"], row["language"]), "sources": files}
        cells = "".join(f'<td class="{field}" data-label="{text(ui, label)}">{html.escape(str(shown[field]))}</td>'
                        for field, label in columns.items())
        body.append(f'<tr>{cells}<td class="actions">{_ask_link(row["id"], ui)}<button class="remove" data-article='
                    f'"{html.escape(row["id"], quote=True)}">{text(ui, "remove")}</button></td></tr>')
    return f'<table class="library"><thead><tr>{head}<th></th></tr></thead><tbody>{"".join(body)}</tbody></table>'


def _ask_link(article_id: str, ui: str) -> str:
    """"Ask about this article": the page's script scopes the chat to it (a link: the chat keeps links)."""
    return f'<a class="ask" href="#ask={html.escape(quote(article_id), quote=True)}">{text(ui, "ask_article")}</a>'


def _merged(numbered: list[tuple[int, Hit]]) -> list[tuple[list[int], int, str]]:
    """An article's passages in text order, overlapping ones (chunks share sentences) joined into one:
    (their numbers, article offset, text)."""
    merged: list[tuple[list[int], int, str]] = []
    for number, hit in sorted(numbered, key=lambda nh: nh[1].start):
        if merged and hit.start <= merged[-1][1] + len(merged[-1][2]):
            numbers, start, joined = merged[-1]
            merged[-1] = (numbers + [number], start, joined + hit.text[start + len(joined) - hit.start:])
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


def _marked(passage: str, offset: int, spans: list[tuple[int, int]]) -> str:
    """``passage`` (which starts at article offset ``offset``), escaped, with the article-offset ``spans`` in
    <mark>."""
    out, position = [], 0
    for start, end in sorted((max(s - offset, 0), min(e - offset, len(passage))) for s, e in spans):
        if start >= position and end > start:
            out += [html.escape(passage[position:start]), "<mark>", html.escape(passage[start:end]), "</mark>"]
            position = end
    out.append(html.escape(passage[position:]))
    return _lines("".join(out))


def _lines(escaped: str) -> str:
    """Line breaks as <br>: a blank line would end the chat message's HTML block, and the markdown after it
    would be rendered (an article's "![x](y)" would become an image)."""
    return escaped.replace("\r", "").replace("\n", "<br>")


def _details(summary: str, lines: list[str]) -> str:
    body = "<br>".join(html.escape(line) for line in lines)
    return f"<details><summary>{html.escape(summary)}</summary>{body}</details>"
