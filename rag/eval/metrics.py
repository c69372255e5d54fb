"""Scoring a question set: the questions file, answer matching (SQuAD-style; tolerant: rag.eval.matching), ranking
metrics, percentiles."""
from __future__ import annotations

import json
import statistics
import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from rag.errors import QuestionsFileError
from rag.retrieve.fusion import best_first

Q = TypeVar("Q")


@dataclass
class EvalQuestion:
    id: str
    question: str
    answers: list[str]
    article_id: str | None
    near_miss_of: str | None = None  # unanswerable: the article it is about, which does not give the detail
    off_corpus: bool = False         # unanswerable: no article is about it

    @property
    def kind(self) -> str:
        """"answerable", "near_miss", "off_corpus" or "unanswerable" (not marked which)."""
        if self.article_id is not None:
            return "answerable"
        return "near_miss" if self.near_miss_of else "off_corpus" if self.off_corpus else "unanswerable"


def load_questions(path: Path) -> list[EvalQuestion]:
    """Read questions.jsonl; every malformed line is reported as ``file:line: reason`` (QuestionsFileError)."""
    return read_questions(path, _question)


def _question(obj: dict, number: int) -> EvalQuestion:
    answers = obj.get("answers", [])
    if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
        raise ValueError("'answers' must be a list of strings")
    article = obj.get("article_id")
    if article is not None and not isinstance(article, str):
        raise ValueError("'article_id' must be a string or null")
    near_miss_of = obj.get("near_miss_of")
    if near_miss_of is not None and not isinstance(near_miss_of, str):
        raise ValueError("'near_miss_of' must be a string or null")
    if not isinstance(obj.get("off_corpus", False), bool):
        raise ValueError("'off_corpus' must be true or false")
    return EvalQuestion(str(obj.get("id", number)), obj["question"], answers, article, near_miss_of,
                        obj.get("off_corpus", False))


def read_questions(path: Path, parse: Callable[[dict, int], Q]) -> list[Q]:
    """Each line of ``path`` (a JSON object with a non-empty "question") made a question by ``parse`` (its line
    number given); every malformed line is reported as ``file:line: reason`` (QuestionsFileError)."""
    questions, errors = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict):
                raise ValueError("not a JSON object")
            if not isinstance(obj.get("question"), str) or not obj["question"].strip():
                raise ValueError("missing or empty 'question'")
            questions.append(parse(obj, number))
        except (ValueError, TypeError) as exc:  # json.JSONDecodeError is a ValueError
            errors.append(f"{path.name}:{number}: {exc}")
    if errors:
        raise QuestionsFileError("malformed questions:\n" + "\n".join(errors))
    return questions


def normalize(text: str) -> str:
    """SQuAD-style: lower case, no punctuation, no articles a/an/the, single spaces."""
    text = "".join(c for c in text.lower() if not unicodedata.category(c).startswith("P"))
    return " ".join(w for w in text.split() if w not in {"a", "an", "the"})


def exact_match(answer: str, golds: list[str]) -> float:
    return float(any(normalize(answer) == normalize(g) for g in golds))


def token_f1(answer: str, golds: list[str]) -> float:
    best = 0.0
    for gold in golds:
        pred, ref = normalize(answer).split(), normalize(gold).split()
        common = sum((Counter(pred) & Counter(ref)).values())
        if common:
            precision, recall = common / len(pred), common / len(ref)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def contains(answer: str, golds: list[str]) -> float:
    return float(any(normalize(g) and normalize(g) in normalize(answer) for g in golds))


def ranking_metrics(ranks: list[int | None], ks: tuple[int, ...], name: str = "recall",
                    mrr: bool = True) -> dict[str, float]:
    """``name@k`` (share of ranks <= k) for each k, and MRR@10, from 1-based ranks (None = not found)."""
    n = len(ranks) or 1
    metrics = {f"{name}@{k}": sum(r is not None and r <= k for r in ranks) / n for k in ks}
    if mrr:
        metrics["mrr@10"] = sum(1 / r for r in ranks if r is not None and r <= 10) / n
    return metrics


def gold_aliases(store) -> dict[str, str]:
    """JSONL article id -> indexed article id (duplicates are indexed once, under one of their ids)."""
    return {source.split("#", 1)[1]: article.id for article in store.articles()
            for source in article.sources if "#" in source}


def gold_article(question: EvalQuestion, aliases: Mapping[str, str]) -> str:
    """The indexed id of an answerable question's article (``aliases``: :func:`gold_aliases`)."""
    if question.article_id is None:
        raise ValueError(f"question {question.id} is unanswerable: it has no gold article")
    return aliases.get(question.article_id, question.article_id)


def article_rank(scores: dict[int, float], gold: str, article_of: Mapping[int, str]) -> int | None:
    """1-based rank of ``gold`` among the distinct articles of the ranked chunks, or None."""
    seen: list[str] = []
    for cid in best_first(scores):
        article = article_of[cid]
        if article not in seen:
            seen.append(article)
            if article == gold:
                return len(seen)
    return None


def answer_rank(scores: dict[int, float], answers: list[str], text_of: Mapping[int, str],
                depth: int) -> int | None:
    """1-based rank of the first of the top ``depth`` passages that contains a gold answer (DPR's
    top-k accuracy), or None. Unlike :func:`article_rank` it credits any passage that answers."""
    for rank, cid in enumerate(best_first(scores)[:depth], 1):
        if contains(text_of[cid], answers):
            return rank
    return None


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"p50": statistics.median(ordered), "p95": pick(0.95), "max": ordered[-1]}
