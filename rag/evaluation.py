"""`rag eval`: retrieval and answer quality on an articles.jsonl + questions.jsonl pair.

The format is the one of ../shared/eval (see README "Evaluating"): articles ``{"id", "title", "text"}``,
questions ``{"id", "question", "answers": [...], "article_id": str | null}`` (null = unanswerable).
"""
from __future__ import annotations

import hashlib
import json
import logging
import shutil
import statistics
import tempfile
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from tqdm import tqdm

from rag.indexer import build_index
from rag.retrieval import Retriever
from rag.settings import Settings

logger = logging.getLogger(__name__)
LEGS = ("dense", "lexical", "fused")


@dataclass
class EvalQuestion:
    id: str
    question: str
    answers: list[str]
    article_id: str | None


def load_questions(path: Path) -> list[EvalQuestion]:
    """Read questions.jsonl; every malformed line is reported as ``file:line: reason`` (ValueError)."""
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
            answers = obj.get("answers", [])
            if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
                raise ValueError("'answers' must be a list of strings")
            article = obj.get("article_id")
            if article is not None and not isinstance(article, str):
                raise ValueError("'article_id' must be a string or null")
            questions.append(EvalQuestion(str(obj.get("id", number)), obj["question"], answers, article))
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            errors.append(f"{path.name}:{number}: {exc}")
    if errors:
        raise ValueError("malformed questions:\n" + "\n".join(errors))
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


def best_first(scores: dict[int, float]) -> list[int]:
    """Chunk ids by descending score (ties by id, so rankings are reproducible)."""
    return sorted(scores, key=lambda cid: (-scores[cid], cid))


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


def evaluate(articles: Path, questions_path: Path, settings: Settings, ks: tuple[int, ...] = (1, 5, 20),
             answers: bool = False, limit: int | None = None, spread: bool = False,
             index_name: str | None = None) -> dict:
    """Index ``articles`` (reused when built before with the same signature; under ``index_name``, by
    default one named after the file's content) and score the questions (the first ``limit`` ones, or
    ``limit`` evenly spaced ones with ``spread``)."""
    questions = load_questions(questions_path)
    if limit is not None and spread and len(questions) > limit:
        questions = [questions[i * len(questions) // limit] for i in range(limit)]
    questions = questions[:limit]
    digest = hashlib.sha256(articles.read_bytes()).hexdigest()[:12]
    settings = settings.with_values({"index_name": index_name or f"eval-{digest}"})
    with tempfile.TemporaryDirectory(prefix="rag-eval-") as corpus:
        shutil.copy(articles, Path(corpus) / "articles.jsonl")
        report = build_index(Path(corpus), settings)
    retriever = Retriever(settings)
    chunks = list(retriever.index.store.all_chunks())
    article_of = {c.id: c.article_id for c in chunks}
    text_of = {c.id: c.text for c in chunks}
    alias = gold_aliases(retriever.index.store)
    depth = max(max(ks), 10)
    ranks: dict[str, list[int | None]] = {leg: [] for leg in LEGS}
    answer_ranks: dict[str, list[int | None]] = {leg: [] for leg in LEGS}
    retrieval_seconds = []
    answerable = [q for q in questions if q.article_id is not None]
    for q in tqdm(answerable, desc="retrieval", unit="question"):
        started = time.perf_counter()
        legs = retriever.leg_scores(q.question, max(settings.candidates, depth))
        retrieval_seconds.append(time.perf_counter() - started)
        gold = alias.get(q.article_id, q.article_id)
        for leg, scores in zip(LEGS, legs):
            ranks[leg].append(article_rank(scores, gold, article_of))
            answer_ranks[leg].append(answer_rank(scores, q.answers, text_of, max(ks)))
    result = {
        "articles": {"indexed": len(report.added) + report.unchanged + len(report.changed),
                     "skipped": [str(p) for p in report.problems]},
        "questions": {"total": len(questions), "answerable": len(answerable),
                      "unanswerable": len(questions) - len(answerable)},
        "retrieval": {leg: {**ranking_metrics(ranks[leg], ks),
                            **ranking_metrics(answer_ranks[leg], ks, "answer", mrr=False)} for leg in LEGS},
        "latency": {"retrieval": percentiles(retrieval_seconds)},
    }
    if answers:
        result.update(_answer_metrics(questions, settings, retriever))
    return result


def _answer_metrics(questions: list[EvalQuestion], settings: Settings, retriever: Retriever) -> dict:
    from rag.citations import strip_markers
    from rag.pipeline import Pipeline

    pipeline = Pipeline(settings, retriever)
    store = retriever.index.store
    scores: dict[str, list[float]] = {name: [] for name in (
        "exact_match", "token_f1", "gold_contained", "gold_shown", "evidence_contains_gold", "refusal_accuracy",
        "false_refusal_rate", "extractive_answers", "citation_precision", "answers_with_unsupported_sentence",
        "drafts_with_unsupported_sentence")}
    evidence, first_token, total, details = [], [], [], []
    for q in tqdm(questions, desc="answers", unit="question"):
        answer = pipeline.ask(q.question)
        details.append({"id": q.id, "question": q.question, "gold": q.answers, "answerable": q.article_id is not None,
                        "text": answer.text, "draft": answer.draft, "refusal": answer.refusal,
                        "extractive": answer.extractive, "answerability": answer.answerability,
                        "decline_probability": answer.decline_probability,
                        "evidence": [c.quote for c in answer.evidence], "seconds": answer.timings.total})
        total.append(answer.timings.total)
        if answer.timings.evidence is not None:
            evidence.append(answer.timings.evidence)
        if answer.timings.first_token is not None:
            first_token.append(answer.timings.first_token)
        if q.article_id is None:
            scores["refusal_accuracy"].append(float(answer.refusal is not None))
            continue
        scores["false_refusal_rate"].append(float(answer.refusal is not None))
        text = "" if answer.refusal else strip_markers(answer.text)
        scores["exact_match"].append(exact_match(text, q.answers))
        scores["token_f1"].append(token_f1(text, q.answers))
        scores["gold_contained"].append(contains(text, q.answers))
        evidence_has_gold = any(contains(c.quote, q.answers) for c in answer.evidence)
        scores["evidence_contains_gold"].append(float(evidence_has_gold))
        # what the screen shows: the answer and, under it, the evidence it was checked against
        scores["gold_shown"].append(float(not answer.refusal and (contains(text, q.answers) or evidence_has_gold)))
        if answer.refusal:
            continue
        scores["extractive_answers"].append(float(answer.extractive))
        scores["answers_with_unsupported_sentence"].append(float(bool(answer.unsupported)))
        if not answer.extractive:
            scores["drafts_with_unsupported_sentence"].append(float(bool(answer.dropped)))
        for sentence in answer.sentences:
            for citation in sentence.citations:
                # right when it is the gold article or its quote holds a gold answer (sets such as FacQA
                # hold the same news in several excerpts)
                sources = store.article(citation.article_id).sources
                scores["citation_precision"].append(float(any(s.endswith(f"#{q.article_id}") for s in sources)
                                                          or contains(citation.quote, q.answers)))
    return {"answers": {name: sum(values) / len(values) if values else None for name, values in scores.items()},
            "latency_answers": {"evidence": percentiles(evidence), "first_token": percentiles(first_token),
                                "total": percentiles(total)},
            "answer_details": details}
