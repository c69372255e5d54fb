"""Word stems for matching: lower-cased, stemmed with each text's language, stopwords removed."""
from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from rag.text.language import STOPWORDS
from rag.text.languages import LANGUAGES

STEMMER_NAMES = {code: lang.stemmer for code, lang in LANGUAGES.items()}
# Numbers keep their separators together ("4.000", "49,07") and lose them, so 4.000 matches 4000.
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:-[^\W\d_]+)*", re.UNICODE)


@cache
def _stemmer(language: str):
    try:
        import Stemmer
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError("PyStemmer is not installed: pip install PyStemmer") from exc
    return Stemmer.Stemmer(STEMMER_NAMES[language])


@cache
def _stopword_stems(language: str) -> frozenset[str]:
    # Stopwords and their stems: inflected function words ("berada" -> "ada") are noise too.
    stemmer = _stemmer(language)
    return STOPWORDS[language] | frozenset(stemmer.stemWord(word) for word in STOPWORDS[language])


def tokenize(text: str, language: str) -> list[str]:
    """Lower-cased stems for ``language`` ("id", "en") without stopwords; numbers lose separators.

    Text in an undetermined language ("und") gets the stems of every language; text in any other
    language is split into words without stemming or stopword removal.
    """
    languages = [language] if language in STEMMER_NAMES else list(STEMMER_NAMES) if language == "und" else []
    words = [m.group() for m in _TOKEN.finditer(text.lower())]
    words = [re.sub(r"[.,]", "", w) if w[0].isdigit() else w for w in words]
    if not languages:
        return words
    tokens = []
    for lang in languages:
        stemmer, stop = _stemmer(lang), _stopword_stems(lang)
        for word in words:
            if word[0].isdigit():
                tokens.append(word)
            elif word not in stop and (stem := stemmer.stemWord(word)) not in stop:
                tokens.append(stem)
    return tokens


def content_stems(text: str, language: str) -> set[str]:
    """Content stems of ``text``; hyphenated words also give their parts ("jakarta-nya")."""
    return {part for token in tokenize(text, language) for part in token.split("-") if part}


def matching_spans(text: str, stems: Iterable[str], language: str) -> list[tuple[int, int]]:
    """Where ``text`` has a word whose stem (in ``language``) is one of ``stems``: (start, end), to highlight."""
    wanted = set(stems)
    return [(m.start(), m.end()) for m in _TOKEN.finditer(text) if wanted.intersection(tokenize(m.group(), language))]
