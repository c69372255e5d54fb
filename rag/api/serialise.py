"""The records as JSON, one function each, for the HTTP API and the MCP server alike: an answer (its text with
the ``[n]`` markers, the citations, the sources and the answer's other facts) and a passage."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, fields
from typing import Any

from rag.answer.records import QUOTE_LABELS, Answer, Citation, strip_markers
from rag.errors import RagError
from rag.library import Library
from rag.types import Hit

# Fields of an Answer that are not among its plain facts (``details``): shown as content, citations or
# sources, or not shown at all (the unchecked draft).
NOT_DETAILS = {"text", "draft", "sentences", "passages", "evidence", "closest", "dropped", "timings"}


def answer_json(answer: Answer, urls: Mapping[str, str | None]) -> dict[str, Any]:
    """``content``: what the chat shows, each sentence followed by its ``[n]`` markers; ``citations``: the article
    sentences cited, each ``verified`` when an answer sentence was checked against it (a refusal's closest
    sentences are not); ``sources``: the passages, ``[n]`` being ``sources[n-1]``; ``details``: the refusal's
    reason and every other plain fact of the answer (language, dates, scores), so a new one appears here unasked.
    ``urls`` maps article ids to their URLs."""
    verified = {_key(c) for sentence in answer.sentences if sentence.verified for c in sentence.citations}
    citations = [citation_json(c, urls, _key(c) in verified) for c in [*answer.evidence, *answer.closest]]
    details = {f.name: value for f in fields(answer)
               if f.name not in NOT_DETAILS and _plain(value := getattr(answer, f.name))}
    details.update(as_of_label=answer.as_of_label, read_as_label=answer.read_as_label, timings=asdict(answer.timings),
                   dropped=[{"text": strip_markers(s.text), "problems": s.problems} for s in answer.dropped])
    return {"content": answer_content(answer), "citations": citations,
            "sources": [hit_json(hit, number, urls) for number, hit in enumerate(answer.passages, 1)],
            "details": details}


def answer_content(answer: Answer) -> str:
    """The answer as text: the checked sentences, each with the markers of the sources it was checked against;
    an article's sentence quoted, labelled as a quote; an open question's points; or the refusal, with the closest
    sentences quoted."""
    if answer.refusal:
        return " ".join([answer.text, *(f"“{c.quote}” [{c.number}]" for c in answer.closest)])
    if answer.shape != "fact":  # an open question's points, a line each under their article's title
        return answer.text
    if answer.extractive:
        quoted = answer.evidence[0]
        return f"{QUOTE_LABELS.get(answer.language, QUOTE_LABELS['en'])}: “{quoted.quote}” [{quoted.number}]"
    return " ".join(strip_markers(s.text).strip() + "".join(f" [{n}]" for n in sorted({c.number for c in s.citations}))
                    for s in answer.sentences if s.is_claim)


def citation_json(citation: Citation, urls: Mapping[str, str | None], verified: bool) -> dict[str, Any]:
    """One cited sentence: the source's number, its article, the sentence and its offsets in the article text."""
    return {"number": citation.number, "article_id": citation.article_id, "title": citation.title,
            "date": citation.published, "url": urls.get(citation.article_id), "text": citation.quote,
            "start": citation.start, "end": citation.end, "verified": verified}


def hit_json(hit: Hit, number: int, urls: Mapping[str, str | None]) -> dict[str, Any]:
    """One passage with its scores: fused, dense (cosine) and lexical (BM25; None when a leg did not find it)."""
    return {"number": number, "article_id": hit.article_id, "title": hit.title, "date": hit.published,
            "url": urls.get(hit.article_id), "chunk_id": hit.chunk_id, "start": hit.start, "end": hit.end,
            "text": hit.text, "score": hit.score, "dense_score": hit.dense_score, "lexical_score": hit.lexical_score}


def article_urls(library: Library, passages: list[Hit]) -> dict[str, str | None]:
    """The URLs of the passages' articles, by id, from the catalogue (none when the index went away meanwhile)."""
    try:
        return {i: article.url for i, article in library.stored([hit.article_id for hit in passages]).items()}
    except RagError:
        return {}


def _key(citation: Citation) -> tuple[str, int, int]:
    return citation.article_id, citation.start, citation.end


def _plain(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))
