"""Sentence splitting (Indonesian/English news aware) and sentence-grouping chunker."""
from __future__ import annotations

import re

from rag.text.languages import union
from rag.types import Article, Chunk

# Abbreviations after which a period never ends a sentence (case-sensitive). Words like
# "dll.", "dsb.", "etc." are deliberately absent: they end a sentence when a capital follows.
_ABBREVIATIONS = union("abbreviations")
_TLDS = frozenset("com net org id co io go ac gov edu info".split())
_DOTTED = re.compile(r"^(?:[A-Za-z]{1,4}\.)+[A-Za-z]{1,4}$")
# Only at the start of a run of punctuation, and possessive: a line of 40,000 "?!" took minutes otherwise.
_CANDIDATE = re.compile(r"(?<![.!?])([.!?]++)[\"'”’»)\]]*+(?=\s+(\S))")
_OPENERS = "\"'“‘«(["
_OPEN_Q, _CLOSE_Q = "“", "”"


def _is_abbreviation(line: str, punct_start: int) -> bool:
    """True if the period at ``punct_start`` belongs to an abbreviation/initial, not a sentence end."""
    m = re.search(r"(\S+)$", line[max(0, punct_start - 40):punct_start])
    token = m.group(1).lstrip(_OPENERS) if m else ""
    if not token:
        return False
    if token in _ABBREVIATIONS or re.fullmatch(r"[A-Z]", token):
        return True
    return bool(_DOTTED.match(token)) and token.rsplit(".", 1)[-1].lower() not in _TLDS


def _line_boundaries(line: str) -> list[int]:
    """End offsets (exclusive, within ``line``) of sentences that end inside the line."""
    # Quote tracking only when the line's quotes are balanced (else a stray quote would
    # swallow the rest of the line).
    track = line.count('"') % 2 == 0 and line.count(_OPEN_Q) == line.count(_CLOSE_Q)
    ends: list[int] = []
    pos = straight = depth = 0
    for m in _CANDIDATE.finditer(line):
        nxt, punct = m.group(2), m.group(1)
        end = m.end()
        if not (nxt.isupper() or nxt.isdigit() or nxt in _OPENERS):
            continue
        if set(punct) == {"."} and (len(punct) >= 2 or _is_abbreviation(line, m.start(1))):
            continue  # ellipsis or abbreviation
        if track:
            seg = line[pos:end]
            straight += seg.count('"')
            depth += seg.count(_OPEN_Q) - seg.count(_CLOSE_Q)
            pos = end
            if straight % 2 or depth > 0:
                continue  # sentence-like punctuation inside a quotation
        ends.append(end)
    return ends


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans ``(start, end)`` of the sentences of ``text``.

    Lines (and so paragraphs) always end a sentence; inside a line, ``. ! ?`` (plus closing
    quotes/brackets) followed by whitespace and an uppercase letter, digit or opening quote
    ends one, except after abbreviations, initials, ellipses, or inside a quotation.
    Spans exclude surrounding whitespace.
    """
    spans: list[tuple[int, int]] = []
    for m in re.finditer(r"[^\n]+", text):
        line, base, prev = m.group(), m.start(), 0
        for end in _line_boundaries(line) + [len(line)]:
            piece = line[prev:end]
            if piece.strip():
                lead = len(piece) - len(piece.lstrip())
                spans.append((base + prev + lead, base + prev + len(piece.rstrip())))
            prev = end
    return spans


def _split_long(text: str, start: int, end: int, limit: int) -> list[tuple[int, int]]:
    """Cut an over-long span into pieces of at most ``limit`` chars, at whitespace if possible."""
    pieces = []
    while end - start > limit:
        window = text[start + limit // 2:start + limit]
        gap = max(window.rfind(" "), window.rfind("\t"), window.rfind("\n"))
        cut = start + limit // 2 + gap if gap >= 0 else start + limit
        piece_end = cut
        while piece_end > start and text[piece_end - 1].isspace():
            piece_end -= 1
        pieces.append((start, piece_end))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if start < end:
        pieces.append((start, end))
    return pieces


def chunk_text(text: str, *, target_chars: int = 800, overlap_sentences: int = 1
               ) -> list[tuple[int, int]]:
    """Group consecutive sentences into ``(start, end)`` chunks of about ``target_chars``.

    Sentences are never cut, except one longer than ``2 * target_chars`` (split at whitespace).
    Each chunk after the first repeats the last ``overlap_sentences`` sentences of the previous
    one (as long as they take at most half the target) and always adds at least one new sentence.
    A chunk already at half the target ends at a paragraph break rather than crossing it.
    """
    if target_chars < 1:
        raise ValueError("target_chars must be positive")
    units: list[tuple[int, int]] = []
    for start, end in split_sentences(text):
        if end - start > 2 * target_chars:
            units.extend(_split_long(text, start, end, target_chars))
        else:
            units.append((start, end))
    para_before = [i > 0 and "\n\n" in text[units[i - 1][1]:units[i][0]] for i in range(len(units))]

    chunks: list[tuple[int, int]] = []
    i = 0
    while i < len(units):
        first = i
        if chunks and overlap_sentences > 0:
            first = max(0, i - overlap_sentences)
            while first < i and units[i - 1][1] - units[first][0] > target_chars // 2:
                first += 1
        end = i + 1  # always consume at least one new unit
        while end < len(units):
            if units[end][1] - units[first][0] > target_chars:
                break
            if para_before[end] and units[end - 1][1] - units[first][0] >= target_chars / 2:
                break
            end += 1
        chunks.append((units[first][0], units[end - 1][1]))
        i = end
    return chunks


def chunk_article(article: Article, *, target_chars: int = 800, overlap_sentences: int = 1
                  ) -> list[Chunk]:
    """Chunks of ``article.text`` with ``chunk.text == article.text[start:end]``."""
    spans = chunk_text(article.text, target_chars=target_chars, overlap_sentences=overlap_sentences)
    return [Chunk(article_id=article.id, ordinal=n, start=s, end=e, text=article.text[s:e])
            for n, (s, e) in enumerate(spans)]


def embedding_input(article: Article, chunk: Chunk) -> str:
    """Text given to the embedder: ``"Title (YYYY-MM-DD)"`` as context line, then the chunk."""
    header = " ".join(p for p in (article.title.strip(),
                                  f"({article.published})" if article.published else "") if p)
    return f"{header}\n{chunk.text}" if header else chunk.text
