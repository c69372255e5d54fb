"""Tiny language identification by counting each language's frequent function words."""
from __future__ import annotations

import re

from rag.text.languages import LANGUAGES

#: Fuller stopword lists, for lexical retrieval (query/document term filtering), by language.
#: Multi-word entries (e.g. "di mana") are included as-is for phrase-aware callers.
STOPWORDS: dict[str, frozenset[str]] = {code: lang.stopwords for code, lang in LANGUAGES.items()}

_WORD_RE = re.compile(r"[a-zA-Z]+")
_SHAPES = {code: re.compile(lang.word_shape) for code, lang in LANGUAGES.items()}
SHAPE_WEIGHT = 0.5  # a word shaped like a language's counts this much, and only to break a tie


def detect_language(text: str) -> str:
    """The code of the language of ``text`` ("id", "en", ...), by counting marker function words; ``"und"``
    for a tie or a text without any marker word.

    Works on short questions ("Berapa harga beras?") as well as full articles.
    """
    words = _WORD_RE.findall(text[:20_000].lower()) if text else []
    if not words:
        return "und"
    scores = {code: float(sum(w in lang.markers for w in words)) for code, lang in LANGUAGES.items()}
    if _tied(scores):  # affixes are a useful secondary signal on very short texts
        scores = {code: score + SHAPE_WEIGHT * sum(bool(_SHAPES[code].search(w)) for w in words)
                  for code, score in scores.items()}
    best = max(scores, key=lambda code: scores[code])
    return "und" if scores[best] == 0 or _tied(scores) else best


def _tied(scores: dict[str, float]) -> bool:
    """Whether two languages share the best score."""
    top = sorted(scores.values(), reverse=True)
    return len(top) > 1 and top[0] == top[1]
