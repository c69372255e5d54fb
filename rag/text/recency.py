"""Questions about the present ("Berapa harga beras sekarang?", "What is the latest price?").

Such a question wants the newest report: news articles are dated, and two articles may give the same
figure at different times. :func:`asks_for_latest` recognises them by whole words in either language;
the retriever and the evidence ranking then let newer articles win near-ties, and the answer says as of
which article date it speaks (``Answer.as_of``).
"""
from __future__ import annotations

import re

from rag.text.languages import LANGUAGES

# Indonesian attaches particles to a word ("terbarunya", "sekarangkah"); a phrase's words may be spaced
# or hyphenated apart. Word boundaries keep "kini" out of "kinerja" and "now" out of "known".
_PATTERN = re.compile("|".join(
    r"\b" + r"[\s-]+".join(map(re.escape, phrase.split()))
    + (f"(?:{'|'.join(lang.word_suffixes)})?" if lang.word_suffixes else "") + r"\b"
    for lang in LANGUAGES.values() for phrase in lang.recency_words), re.IGNORECASE)


def recency_word(text: str) -> str | None:
    """The first word or phrase of ``text`` that asks about the present, as written; None when there is none."""
    match = _PATTERN.search(text)
    return match.group() if match else None


def asks_for_latest(text: str) -> bool:
    """Whether ``text`` asks about the present: "sekarang", "saat ini", "terbaru", "now", "latest", "this year"..."""
    return recency_word(text) is not None
