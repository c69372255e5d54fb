"""`rag eval` on open questions: what happened, why, who all, compare, how it developed.

The format is the one of ../shared/eval/news-real-open: each question ``{"id", "question", "kind", "language",
"article_ids": [...], "key_points": [[span, ...], ...], "min_points"}``. An answer covers a key point when it
contains any of its spans (case and runs of whitespace ignored; a plain substring test), and passes when it
covers ``min_points``. Reported overall, per kind and per language: key-point coverage, pass rate, citation
precision (cited articles among the question's), the share of answers showing a sentence its sources do not
support, answer length in words, and the seconds to the first point shown and to the end.
"""
from __future__ import annotations

import json
import re
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tqdm import tqdm

from rag.eval.metrics import gold_aliases, percentiles, read_questions

if TYPE_CHECKING:
    from rag.retrieve.retriever import Retriever
    from rag.settings import Settings


@dataclass(frozen=True)
class OpenQuestion:
    id: str
    question: str
    kind: str
    language: str
    article_ids: tuple[str, ...]
    key_points: tuple[tuple[str, ...], ...]  # per point, its alternative spans
    min_points: int


def is_open_questions(path: Path) -> bool:
    """Whether ``path`` holds open questions (key points) rather than questions with short gold answers."""
    with path.open(encoding="utf-8") as lines:
        first = next((line for line in lines if line.strip()), "")
    try:
        return "key_points" in json.loads(first)
    except ValueError:
        return False


def load_open_questions(path: Path) -> list[OpenQuestion]:
    """Read an open questions file; every malformed line is reported as ``file:line: reason``."""
    return read_questions(path, _open_question)


def _open_question(obj: dict, number: int) -> OpenQuestion:
    points = obj.get("key_points")
    if not points or not all(isinstance(p, list) and p and all(isinstance(s, str) for s in p) for p in points):
        raise ValueError("'key_points' must be a non-empty list of lists of strings")
    return OpenQuestion(str(obj.get("id", number)), obj["question"], str(obj.get("kind", "")),
                        str(obj.get("language", "")), tuple(obj.get("article_ids", [])),
                        tuple(tuple(p) for p in points), int(obj.get("min_points", len(points))))


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def covered_points(answer: str, key_points: tuple[tuple[str, ...], ...]) -> int:
    """How many ``key_points`` ``answer`` covers (any of a point's spans in it)."""
    plain = _plain(answer)
    return sum(any(_plain(span) in plain for span in point) for point in key_points)


def open_answer_metrics(questions: list[OpenQuestion], settings: Settings, retriever: Retriever) -> dict:
    """Answer every question and score it (see the module's docstring); with each answer's details."""
    from rag.answer.markers import strip_markers
    from rag.answer.pipeline import Pipeline

    pipeline = Pipeline(settings, retriever)
    alias = gold_aliases(retriever.index.store)
    details = []
    for q in tqdm(questions, desc="open answers", unit="question"):
        answer = pipeline.ask(q.question)
        text = "" if answer.refusal else strip_markers(answer.text)
        covered = covered_points(text, q.key_points)
        gold = {alias.get(a, a) for a in q.article_ids}
        cited = [c.article_id for s in answer.sentences for c in s.citations] if not answer.refusal else []
        details.append({
            "id": q.id, "question": q.question, "kind": q.kind, "language": q.language, "shape": answer.shape,
            "covered": covered, "points": len(q.key_points), "passed": covered >= q.min_points,
            "citation_precision": sum(a in gold for a in cited) / len(cited) if cited else None,
            "unsupported": any(s.is_claim and not s.verified for s in answer.sentences),
            "words": len(text.split()), "first_point": answer.timings.evidence, "seconds": answer.timings.total,
            "refusal": answer.refusal, "text": answer.text})
    return {"open_answers": summarise(details), "answer_details": details}


def summarise(details: list[dict]) -> dict:
    """The measures over ``details``: overall, then per kind and per language."""
    groups = {"all": details}
    for key in ("kind", "language"):
        for detail in details:
            groups.setdefault(f"{key}={detail[key]}", []).append(detail)
    return {name: _measures(group) for name, group in groups.items()}


def _measures(details: list[dict]) -> dict:
    precision = [d["citation_precision"] for d in details if d["citation_precision"] is not None]
    first = [d["first_point"] for d in details if d["first_point"] is not None]
    return {"questions": len(details),
            "key_point_coverage": statistics.mean(d["covered"] / d["points"] for d in details),
            "pass_rate": statistics.mean(float(d["passed"]) for d in details),
            "citation_precision": statistics.mean(precision) if precision else None,
            "unsupported_shown": statistics.mean(float(d["unsupported"]) for d in details),
            "refused": statistics.mean(float(d["refusal"] is not None) for d in details),
            "words_p50": float(statistics.median(d["words"] for d in details)),
            "first_point": percentiles(first).get("p50"),
            "total": percentiles([d["seconds"] for d in details]).get("p50")}



def open_table(groups: dict[str, dict]) -> str:
    """The measures of :func:`summarise` as a markdown table, a row per group."""
    columns = list(next(iter(groups.values())))
    lines = ["| group | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    for name, measures in groups.items():
        cells = ("-" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v) for v in measures.values())
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
