"""Constrained decoding: a llama.cpp grammar (GBNF) that lets the model write only words of the evidence.

A small model asked for "4.000 warga" may write "1.000 warga": a number no source holds. With the
grammar, every word it writes must be a word of the excerpts it was given (as written there, so numbers
and names are copied exactly) or one of a few function words of the question's language, and the answer
must end with a valid marker such as "[2]". Whether it helps is measured by bench/answers.py
(setting ``llm_grammar``).
"""
from __future__ import annotations

import json
import re
from typing import Sequence

MAX_WORDS = 24  # a short answer; the grammar forces the marker after at most this many words
# Words an answer may need that the evidence may not contain.
FUNCTION_WORDS = {
    "id": "adalah yaitu yang dan atau di ke dari pada dengan untuk sebanyak sekitar tidak disebutkan".split(),
    "en": "is are was were the a an of in on at to and or by for about not mentioned".split(),
}
_WORD = re.compile(r"\S+")
_EDGE_PUNCTUATION = "\"'“”‘’()[],.;:!?"


def evidence_words(texts: Sequence[str]) -> list[str]:
    """The distinct words of ``texts`` without surrounding punctuation, in order of appearance."""
    words = (word.strip(_EDGE_PUNCTUATION) for text in texts for word in _WORD.findall(text))
    return list(dict.fromkeys(word for word in words if word))


def answer_grammar(texts: Sequence[str], sources: int, language: str) -> str:
    """GBNF for "word word ... [n]": 1..MAX_WORDS words of ``texts`` (or function words), an optional final
    period, then a marker of one of ``sources`` numbered sources."""
    words = evidence_words(texts) + [w for w in FUNCTION_WORDS.get(language, FUNCTION_WORDS["en"])]
    alternatives = " | ".join(json.dumps(word, ensure_ascii=False) for word in dict.fromkeys(words))
    markers = " | ".join(f'"[{n}]"' for n in range(1, sources + 1))
    return (f'root ::= word (" " word){{0,{MAX_WORDS - 1}}} " " marker "."?\n'
            f"word ::= {alternatives}\n"
            f"marker ::= {markers}\n")
