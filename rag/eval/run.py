"""`rag eval`: retrieval and answer quality on an articles.jsonl + questions.jsonl pair.

The format is the one of ../shared/eval (see README "Evaluating"): articles ``{"id", "title", "text"}``,
questions ``{"id", "question", "answers": [...], "article_id": str | null}`` (null = unanswerable; optionally
``"near_miss_of": article id`` or ``"off_corpus": true`` say which kind).
"""
from __future__ import annotations

import hashlib
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from tqdm import tqdm

from rag.eval.matching import holds_answer
from rag.eval.metrics import (
    EvalQuestion,
    Q,
    answer_rank,
    article_rank,
    contains,
    exact_match,
    gold_aliases,
    gold_article,
    load_questions,
    percentiles,
    ranking_metrics,
    token_f1,
)
from rag.eval.open_questions import is_open_questions, load_open_questions, open_answer_metrics
from rag.indexing.backend import build_index
from rag.retrieve.retriever import Retriever
from rag.settings import Settings

if TYPE_CHECKING:
    from rag.answer.records import Answer
    from rag.indexing.builder import BuildReport

LEGS = ("dense", "lexical", "fused")


def evaluate(articles: Path, questions_path: Path, settings: Settings, ks: tuple[int, ...] = (1, 5, 20),
             answers: bool = False, limit: int | None = None, spread: bool = False,
             index_name: str | None = None) -> dict:
    """Index ``articles`` (reused when built before with the same signature; under ``index_name``, by
    default one named after the file's content) and score the questions (the first ``limit`` ones, or
    ``limit`` evenly spaced ones with ``spread``). Open questions (rag.eval.open_questions) are answered and
    scored by their key points."""
    if is_open_questions(questions_path):
        chosen = _chosen(load_open_questions(questions_path), limit, spread)
        settings, report = _indexed(articles, settings, index_name)
        return {"articles": _articles_report(report), "questions": {"total": len(chosen)},
                **open_answer_metrics(chosen, settings, Retriever(settings))}
    questions = _chosen(load_questions(questions_path), limit, spread)
    settings, report = _indexed(articles, settings, index_name)
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
        gold = gold_article(q, alias)
        for leg, scores in zip(LEGS, legs):
            ranks[leg].append(article_rank(scores, gold, article_of))
            answer_ranks[leg].append(answer_rank(scores, q.answers, text_of, max(ks)))
    result = {
        "articles": _articles_report(report),
        "questions": {"total": len(questions), "answerable": len(answerable),
                      "unanswerable": len(questions) - len(answerable)},
        "retrieval": {leg: {**ranking_metrics(ranks[leg], ks),
                            **ranking_metrics(answer_ranks[leg], ks, "answer", mrr=False)} for leg in LEGS},
        "latency": {"retrieval": percentiles(retrieval_seconds)},
    }
    if answers:
        result.update(_answer_metrics(questions, settings, retriever))
    return result


def _chosen(questions: list[Q], limit: int | None, spread: bool) -> list[Q]:
    """The first ``limit`` questions, or ``limit`` evenly spaced ones with ``spread`` (all without a limit)."""
    if limit is not None and spread and len(questions) > limit:
        return [questions[i * len(questions) // limit] for i in range(limit)]
    return questions[:limit]


def _indexed(articles: Path, settings: Settings, index_name: str | None) -> tuple[Settings, BuildReport]:
    """``settings`` pointing at an index of ``articles`` (built, or reused when built before), and the build's
    report."""
    digest = hashlib.sha256(articles.read_bytes()).hexdigest()[:12]
    settings = settings.with_values({"index_name": index_name or f"eval-{digest}"})
    with tempfile.TemporaryDirectory(prefix="rag-eval-") as corpus:
        shutil.copy(articles, Path(corpus) / "articles.jsonl")
        return settings, build_index(Path(corpus), settings)


def _articles_report(report: BuildReport) -> dict:
    return {"indexed": len(report.added) + report.unchanged + len(report.changed),
            "skipped": [str(p) for p in report.problems]}


def _answer_metrics(questions: list[EvalQuestion], settings: Settings, retriever: Retriever) -> dict:
    """Answer quality. ``answer_precision``: shown answers holding a gold answer (rag.eval.matching) ÷ answers
    shown, an answer shown to an unanswerable question counting as wrong; ``coverage``: the same right answers ÷
    answerable questions; the refused share of near-miss and off-corpus questions when the file marks them."""
    from rag.answer.markers import strip_markers
    from rag.answer.pipeline import Pipeline

    pipeline = Pipeline(settings, retriever)
    store = retriever.index.store
    scores: dict[str, list[float]] = {name: [] for name in (
        "answer_precision", "coverage", "near_miss_refused", "off_corpus_refused", "exact_match", "token_f1",
        "gold_contained", "gold_shown", "evidence_contains_gold", "refusal_accuracy", "false_refusal_rate",
        "extractive_answers", "citation_precision", "answers_with_unsupported_sentence",
        "drafts_with_unsupported_sentence")}
    evidence, first_token, total, details = [], [], [], []
    for q in tqdm(questions, desc="answers", unit="question"):
        answer = pipeline.ask(q.question)
        text = "" if answer.refusal else strip_markers(answer.text)
        details.append(answer_detail(q, answer))
        right = details[-1]["right"]
        total.append(answer.timings.total)
        if answer.timings.evidence is not None:
            evidence.append(answer.timings.evidence)
        if answer.timings.first_token is not None:
            first_token.append(answer.timings.first_token)
        if not answer.refusal:
            scores["answer_precision"].append(float(right))
        if q.article_id is None:
            scores["refusal_accuracy"].append(float(answer.refusal is not None))
            if q.kind in ("near_miss", "off_corpus"):
                scores[f"{q.kind}_refused"].append(float(answer.refusal is not None))
            continue
        scores["coverage"].append(float(right))
        scores["false_refusal_rate"].append(float(answer.refusal is not None))
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
        unsupported = any(s.is_claim and not s.verified for s in answer.sentences)
        scores["answers_with_unsupported_sentence"].append(float(unsupported))
        if not answer.extractive:
            scores["drafts_with_unsupported_sentence"].append(float(bool(answer.dropped)))
        for sentence in answer.sentences:
            for citation in sentence.citations:
                # right when it is the gold article or its quote holds a gold answer (sets such as FacQA
                # hold the same news in several excerpts)
                cited = store.article(citation.article_id)
                sources = cited.sources if cited else []
                scores["citation_precision"].append(float(any(s.endswith(f"#{q.article_id}") for s in sources)
                                                          or contains(citation.quote, q.answers)))
    return {"answers": {name: sum(values) / len(values) if values else None for name, values in scores.items()},
            "latency_answers": {"evidence": percentiles(evidence), "first_token": percentiles(first_token),
                                "total": percentiles(total)},
            "answer_details": details}


def answer_detail(q: EvalQuestion, answer: Answer) -> dict:
    """One answer for studying afterwards: right or not (holds a gold answer), the scores it was decided on, the
    sentences it shows and cites, the passages around them."""
    from rag.answer.markers import strip_markers

    text = "" if answer.refusal else strip_markers(answer.text)
    return {"id": q.id, "question": q.question, "gold": q.answers, "answerable": q.article_id is not None,
            "kind": q.kind, "right": bool(text) and holds_answer(text, q.answers), "text": answer.text,
            "draft": answer.draft, "refusal": answer.refusal, "extractive": answer.extractive,
            "answerability": answer.answerability, "decline_probability": answer.decline_probability,
            "confidence": answer.confidence, "closest": [c.quote for c in answer.closest],
            "evidence": [c.quote for c in answer.evidence], "seconds": answer.timings.total,
            "check_seconds": answer.timings.check, **answer_sources(answer)}


def answer_sources(answer: Answer) -> dict:
    """For studying answers afterwards: each shown sentence with the sentences it cites, and the passages the
    model read first (up to three) and any other it cites, so a quote can be read with its neighbours."""
    cited = {c.chunk_id for s in answer.sentences for c in s.citations}
    return {"sentences": [{"text": s.text, "citations": [{"article_id": c.article_id, "title": c.title,
                                                           "chunk_id": c.chunk_id, "quote": c.quote}
                                                          for c in s.citations]}
                          for s in answer.sentences] if not answer.refusal else [],
            "passages": [{"chunk_id": h.chunk_id, "article_id": h.article_id, "title": h.title, "text": h.text}
                         for i, h in enumerate(answer.passages) if i < 3 or h.chunk_id in cited]}
