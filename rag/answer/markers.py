"""The ``[n]`` markers of an answer: parsed, stripped, and kept with the sentence they follow.

Small models also write markers that name no source ("[n]", "[source 1]", "(1)"): these are stripped like
real ones and count as missing, so the alignment in :mod:`rag.answer.citations` finds the source.
"""
from __future__ import annotations

import re

from rag.text.chunking import split_sentences

_MARKER = re.compile(r"\[\s*\d+(?:\s*[-–,;]\s*\d+)*\s*\]")
# What small models write instead of a marker: the prompt's "[n]", "[source 1]", "(1)" at a sentence end.
# Stripped like a marker and treated as missing, so the alignment finds the source.
_MALFORMED_MARKER = re.compile(r"\[\s*(?:[a-zA-Z]{1,2}|(?:sumber|source|kutipan)\s*\d*|\d+\.?)?\s*\]"
                               r"|(?<=\s)\(\s*\d{1,2}\s*\)(?=\s*[.!?]?\s*$)", re.I | re.M)
_ANY_MARKER = re.compile(f"{_MARKER.pattern}|{_MALFORMED_MARKER.pattern}", re.I | re.M)


def parse_markers(text: str) -> list[int]:
    """Source numbers of ``[1]``, ``[1, 3]``, ``[1][2]`` and ``[1-3]`` markers, in order, unique."""
    numbers: list[int] = []
    for marker in _MARKER.findall(text):
        for a, b in re.findall(r"(\d+)(?:\s*[-–]\s*(\d+))?", marker):
            lo, hi = int(a), int(b or a)
            numbers.extend(range(lo, min(hi, lo + 20) + 1) if hi >= lo else [lo])
    return list(dict.fromkeys(numbers))


def strip_markers(text: str) -> str:
    """``text`` without ``[n]`` markers, well-formed or not (and the blanks before them)."""
    return re.sub(r"[ \t]*(?:" + _ANY_MARKER.pattern + ")", "", text, flags=re.I | re.M).strip()


def split_answer(text: str) -> list[tuple[int, int]]:
    """Sentence spans of an answer; a marker belongs to the sentence it follows on its line
    ("Banjir.[1] Warga ..." splits after the marker), else to the next sentence."""
    markers = [m.span() for m in _ANY_MARKER.finditer(text)]
    masked = "".join(" " if any(s <= i < e for s, e in markers) else c for i, c in enumerate(text))
    spans = [list(span) for span in split_sentences(masked)]
    for s, e in markers:
        if any(a <= s and e <= b for a, b in spans):
            continue
        before = [sp for sp in spans if sp[1] <= s]
        if before and not text[before[-1][1]:s].strip(" \t"):
            before[-1][1] = e
        elif after := [sp for sp in spans if sp[0] >= e]:
            after[0][0] = s
    return [(a, b) for a, b in spans]
