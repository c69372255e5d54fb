"""Follow-up questions: which query rewriting finds the first turn's article (sample corpus), and with
``--answers`` what the product answers them with the default model (right, wrong, or refused).

    python -m bench.followups [--models gemma3-270m,smollm2]
    python -m bench.followups --answers

Each case is a first question and a follow-up that only makes sense after it. For each way of
building the retrieval query — the raw follow-up, the heuristic (rag.answer.conversation.standalone_query)
and the LLM rewrite with each model (rag.answer.conversation.rewrite_with_llm) — the table gives how often
the top passage comes from the first turn's article.
"""
from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable

from rag.answer.conversation import rewrite_with_llm, standalone_query
from rag.answer.pipeline import Pipeline
from rag.indexing.builder import build_index
from rag.llm.generator import Generator
from rag.retrieve.retriever import Retriever
from rag.settings import Settings
from rag.text.question import make_question
from tests.helpers.corpus import SAMPLE_ARTICLES

CASES = [  # (first question, follow-up, file of the article both are about, what a right answer holds)
    ("Berapa warga yang mengungsi karena banjir di Demak?", "dan kapan itu terjadi?", "banjir-demak", "17/1/2026"),
    ("Berapa harga beras medium sekarang?", "Kenapa harganya naik?", "harga-beras", "musim tanam"),
    ("Kapan KRL Semarang–Kendal mulai beroperasi?", "Berapa tarifnya?", "krl-semarang-kendal", "5.000"),
    ("Apa status Gunung Lawuhan sekarang?", "berapa orang yang dievakuasi?", "status-gunung-lawuhan", "2.750"),
    ("Siapa juara tunggal putra Piala Nusantara 2026?", "Siapa lawannya di final?", "bulu-tangkis", "Kenji Moriyama"),
    ("How big is the Dunmore Valley solar farm?", "How much did it cost?", "dunmore-valley", "210"),
    ("Who won the men's race at the Calder Bay marathon?", "What was his time?", "calder-bay", "2:09:41"),
    ("What did the Greyhaven library digitise?", "Who paid for it?", "greyhaven", "heritage foundation"),
]


def top_file(retriever: Retriever, query: str) -> str:
    hit = retriever.search(query, 1)[0]
    article = retriever.index.store.article(hit.article_id)
    return " ".join(article.sources) if article else ""


def answers(pipeline: Pipeline) -> None:
    """Each case asked as a reader would: the first question, then the follow-up after its answer."""
    print("| follow-up | shown | right | answer or refusal |")
    print("|---|---|---|---|")
    tally = {"right": 0, "wrong": 0, "refused": 0}
    for first, follow, _, gold in CASES:
        answer = pipeline.ask(follow, history=[(first, pipeline.ask(first).text)])
        outcome = "refused" if answer.refusal else "right" if gold.lower() in answer.text.lower() else "wrong"
        tally[outcome] += 1
        shown = " ".join(answer.text.split())[:90]
        print(f"| {follow} | {'no' if answer.refusal else 'yes'} | {outcome} | {shown} |")
    print(f"\nright {tally['right']}, wrong {tally['wrong']}, refused {tally['refused']} of {len(CASES)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="gemma3-270m,smollm2")
    parser.add_argument("--answers", action="store_true", help="answer each case's two turns with the default model")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.load({"index_dir": tmp}, env={})
        build_index(SAMPLE_ARTICLES, settings)
        if args.answers:
            answers(Pipeline(settings))
            return
        retriever = Retriever(settings)
        # (follow-up, earlier turns) -> the text searched for
        methods: dict[str, Callable[[str, list[tuple[str, str]]], str]] = {
            "raw follow-up": lambda q, h: q,
            "heuristic (default)": lambda q, h: standalone_query(make_question(q), h).search.text}
        for model in args.models.split(","):
            generator = Generator(settings.with_values({"llm_model": model}))

            def rewrite(q: str, h: list[tuple[str, str]], g: Generator = generator) -> str:
                return rewrite_with_llm(g, make_question(q), h).search.text

            methods[f"LLM rewrite: {model}"] = rewrite
        print("| query built by | first turn's article on top | example rewrite (case 1) |")
        print("|---|---|---|")
        for name, method in methods.items():
            queries = [method(follow, [(first, "")]) for first, follow, _, _ in CASES]
            found = sum(expected in top_file(retriever, query) for query, (_, _, expected, _) in zip(queries, CASES))
            print(f"| {name} | {found}/{len(CASES)} | {queries[0]!r} |")


if __name__ == "__main__":
    main()
