"""Lab: whether an answer is right enough to show, from the answer check's confidence (rag/answer/assessment.py)
and cheap signals of the question, the answer and what it cites, aimed at the near-misses the check lets through
(the question names a thing, number or detail the cited passage does not give): the features and a small
logistic regression over them.

Fitted on the training splits by `python -m bench.experiments.scorer fit` (seeded) into ``scorer.json`` next to
this module and measured on the dev sets by `... scorer measure`: it did not separate right from wrong answers
better than the check's confidence alone, so the product does not use it (bench/README.md).
"""
from __future__ import annotations

import json
import math
from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from rag.text.language import STOPWORDS
from rag.text.numbers import find_numbers
from rag.text.question import WORD
from rag.text.tokens import content_stems
from rag.types import Question

WEIGHTS = Path(__file__).with_name("scorer.json")
NEGATIONS = frozenset("tidak tak bukan belum tanpa not no never without nor".split())
_STOPWORDS = frozenset().union(*STOPWORDS.values())


@dataclass(frozen=True)
class Shown:
    """What the scorer reads of an answer about to be shown."""

    question: Question
    text: str                   # the answer, without [n] markers
    cited: tuple[str, ...]      # the sentences it cites
    passages: tuple[str, ...]   # the passages they are in
    rank: int                   # where the first cited passage was among those the model read (0: first)
    extractive: bool            # the answer is the evidence sentence itself (the draft did not check out)
    confidence: float           # the check's
    decline_probability: float
    answerability: float
    rarity: Mapping[str, float] = field(default_factory=dict)  # the question's stems' idf in the index searched


def features(answer: Shown) -> dict[str, float]:
    """The scorer's inputs, by name."""
    question, code = answer.question, answer.question.language
    cited, passages = " ".join(answer.cited), " ".join(answer.passages)
    asked = question.content
    in_cited, in_passages = content_stems(cited, code), content_stems(passages, code)
    words = content_stems(answer.text, code)
    names = _names(question.text)
    numbers = {v for _, vs in find_numbers(passages) for v in vs}
    confidence = min(max(answer.confidence, 1e-4), 1 - 1e-4)
    logit = math.log(confidence / (1 - confidence))
    return {
        "check_logit": logit,
        "decline_probability": answer.decline_probability,
        "answerability": answer.answerability,
        "extractive": float(answer.extractive),
        "extractive_logit": float(answer.extractive) * logit,
        "cited_rank": float(min(answer.rank, 3)),
        "asked_missing_cited": _share(asked - in_cited, asked),
        "asked_missing_passage": _share(asked - in_passages, asked),
        "any_asked_missing_passage": float(bool(asked - in_passages)),
        "rare_missing_cited": _weighted(asked - in_cited, asked, answer.rarity),
        "rare_missing_passage": _weighted(asked - in_passages, asked, answer.rarity),
        "rarest_missing_passage": _rarest(asked - in_passages, asked, answer.rarity),
        "names_missing_cited": float(sum(n not in _plain(cited) for n in names)),
        "names_missing_passage": float(sum(n not in _plain(passages) for n in names)),
        "numbers_missing_passage": float(bool(question.numbers - numbers)),
        "negation_differs": float(bool(question.words & NEGATIONS) != bool(_words(cited) & NEGATIONS)),
        "answer_words": math.log1p(len(WORD.findall(answer.text))),
        "answer_in_question": _share(words & asked, words),
        "answer_missing_cited": _share(words - in_cited, words),
    }


def _names(question: str) -> list[str]:
    """The question's runs of capitalised words after its first word, lower-cased: "Museum Louvre", "Paris–Nice"."""
    runs: list[list[str]] = [[]]
    for word in question.split()[1:]:
        word = word.strip("?!.,;:()\"'“”")
        if word[:1].isupper() and word.lower() not in _STOPWORDS:
            runs[-1].append(word.lower())
        elif runs[-1]:
            runs.append([])
    return [" ".join(run) for run in runs if run]


def _plain(text: str) -> str:
    return " ".join(text.lower().split())


def _words(text: str) -> set[str]:
    return {w.lower() for w in WORD.findall(text)}


def _share(part: Set[str], whole: Set[str]) -> float:
    return len(part) / len(whole) if whole else 0.0


def _weighted(part: Set[str], whole: Set[str], rarity: Mapping[str, float]) -> float:
    """The share of ``whole``'s weight in ``part``, each stem weighed by its idf (1 when not known)."""
    total = sum(rarity.get(s, 1.0) for s in whole)
    return sum(rarity.get(s, 1.0) for s in part) / total if total else 0.0


def _rarest(part: Set[str], whole: Set[str], rarity: Mapping[str, float]) -> float:
    """How rare the rarest stem of ``part`` is, as a share of the rarest of ``whole``."""
    top = max((rarity.get(s, 1.0) for s in whole), default=0.0)
    return max((rarity.get(s, 1.0) for s in part), default=0.0) / top if top else 0.0


@dataclass(frozen=True)
class Scorer:
    """A logistic regression over standardised :func:`features`: the probability that an answer is right, and the
    probability above which an answer would be shown."""

    names: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float

    def probability(self, answer: Shown) -> float:
        values = features(answer)
        z = self.bias + sum(w * (values[n] - m) / s
                            for n, m, s, w in zip(self.names, self.mean, self.scale, self.weights))
        return 1 / (1 + math.exp(-z))


@cache
def load_scorer(path: Path = WEIGHTS) -> Scorer:
    """The fitted scorer (read once)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return Scorer(tuple(data["names"]), tuple(data["mean"]), tuple(data["scale"]), tuple(data["weights"]),
                  data["bias"], data["threshold"])
