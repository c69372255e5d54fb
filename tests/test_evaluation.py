"""`rag eval` on a tiny hand-made question set: values computed by hand."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from rag.eval.metrics import answer_rank, article_rank, contains, exact_match, load_questions, ranking_metrics, token_f1
from rag.eval.run import evaluate
from tests.helpers.corpus import make_settings
from tests.helpers.processes import guarded_env

ARTICLES = [
    {"id": "a1", "title": "Gempa Cianjur",
     "text": "Gempa berkekuatan 5,6 mengguncang Cianjur dan merusak 1.200 rumah."},
    {"id": "a2", "title": "Panen Kopi Gayo", "text": "Petani kopi Gayo di Takengon memanen 30 ton biji kopi arabika."},
    {"id": "a3", "title": "New Bridge", "text": "The suspension bridge over the Kapuas river is 1,400 metres long."},
]
QUESTIONS = [
    {"id": "q1", "question": "Berapa rumah rusak akibat gempa Cianjur?", "answers": ["1.200 rumah"],
     "article_id": "a1"},
    {"id": "q2", "question": "Berapa ton kopi arabika dipanen petani Gayo?", "answers": ["30 ton"], "article_id": "a2"},
    {"id": "q3", "question": "How long is the Kapuas suspension bridge?", "answers": ["1,400 metres"],
     "article_id": "a3"},
    {"id": "q4", "question": "Siapa pemenang Piala Dunia?", "answers": [], "article_id": None},
]


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_metrics_by_hand():
    assert ranking_metrics([1, 3, None, 12], (1, 5, 20)) == pytest.approx(
        {"recall@1": 0.25, "recall@5": 0.5, "recall@20": 0.75, "mrr@10": (1 + 1 / 3) / 4})
    assert exact_match("Rp 14.500.", ["Rp 14.500"]) == 1.0
    assert exact_match("The 30 tons", ["30 tons"]) == 1.0
    assert token_f1("harga Rp 14.500 per kg", ["Rp 14.500 per kilogram"]) == pytest.approx(2 / 3)
    assert contains("sekitar 30 ton kopi", ["30 ton"]) == 1.0 and contains("tidak tahu", ["30 ton"]) == 0.0
    assert ranking_metrics([2, None], (1, 5), "answer", mrr=False) == {"answer@1": 0.0, "answer@5": 0.5}


def test_answer_rank_credits_any_passage_with_the_answer():
    scores = {10: 0.9, 11: 0.8, 12: 0.7}
    article_of = {10: "x", 11: "gold", 12: "y"}
    text_of = {10: "Harga beras naik.", 11: "Gempa di Cianjur.", 12: "Sebanyak 1.200 rumah rusak."}
    assert article_rank(scores, "gold", article_of) == 2
    assert answer_rank(scores, ["1.200 rumah"], text_of, depth=5) == 3
    assert answer_rank(scores, ["1.200 rumah"], text_of, depth=2) is None
    assert answer_rank(scores, [], text_of, depth=5) is None


def test_eval_recall_on_a_tiny_set(tmp_path, embedder):
    articles = write_jsonl(tmp_path / "articles.jsonl", ARTICLES)
    with articles.open("a", encoding="utf-8") as handle:
        handle.write('{"id": "a4", "title": "no text"}\n')  # line 4: reported, not fatal
    questions = write_jsonl(tmp_path / "questions.jsonl", QUESTIONS)
    report = evaluate(articles, questions, make_settings(tmp_path), ks=(1, 5))
    assert report["articles"]["indexed"] == 3
    assert report["articles"]["skipped"] == ["articles.jsonl:4: missing or empty 'text'"]
    assert report["questions"] == {"total": 4, "answerable": 3, "unanswerable": 1}
    perfect = {"recall@1": 1.0, "recall@5": 1.0, "mrr@10": 1.0, "answer@1": 1.0, "answer@5": 1.0}
    assert report["retrieval"]["lexical"] == perfect and report["retrieval"]["fused"] == perfect
    assert report["retrieval"]["dense"]["recall@5"] == 1.0  # three articles: all within 5
    assert set(report["latency"]["retrieval"]) == {"p50", "p95", "max"}


def test_malformed_lines_are_reported_with_line_numbers(tmp_path):
    path = tmp_path / "questions.jsonl"
    path.write_text('{"id": "q1", "question": "Apa?", "answers": [], "article_id": null}\n{not json\n'
                    '{"id": "q3", "answers": []}\n', encoding="utf-8")
    with pytest.raises(ValueError) as error:
        load_questions(path)
    message = str(error.value)
    assert "questions.jsonl:2:" in message and "questions.jsonl:3: missing or empty 'question'" in message
    articles = write_jsonl(tmp_path / "articles.jsonl", ARTICLES)
    env = guarded_env()
    result = subprocess.run([sys.executable, "-m", "rag.cli", "eval", "--articles", str(articles), "--questions",
                             str(path), "--index-dir", str(tmp_path / "index")],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 2 and "questions.jsonl:2:" in result.stderr
