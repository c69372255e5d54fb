"""Follow-up questions: which query rewriting finds the first turn's article (sample corpus).

    python -m bench.followups [--models gemma3-270m,smollm2]

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
from rag.indexing.builder import build_index
from rag.llm.generator import Generator
from rag.retrieve.retriever import Retriever
from rag.settings import Settings
from rag.text.question import make_question
from tests.helpers.corpus import SAMPLE_ARTICLES

CASES = [  # (first question, follow-up, file of the article both are about)
    ("Berapa warga yang mengungsi karena banjir di Demak?", "dan kapan itu terjadi?", "banjir-demak"),
    ("Berapa harga beras medium sekarang?", "Kenapa harganya naik?", "harga-beras"),
    ("Kapan KRL Semarang–Kendal mulai beroperasi?", "Berapa tarifnya?", "krl-semarang-kendal"),
    ("Apa status Gunung Lawuhan sekarang?", "berapa orang yang dievakuasi?", "status-gunung-lawuhan"),
    ("Siapa juara tunggal putra Piala Nusantara 2026?", "Siapa lawannya di final?", "bulu-tangkis"),
    ("How big is the Dunmore Valley solar farm?", "How much did it cost?", "dunmore-valley"),
    ("Who won the men's race at the Calder Bay marathon?", "What was his time?", "calder-bay"),
    ("What did the Greyhaven library digitise?", "Who paid for it?", "greyhaven"),
]


def top_file(retriever: Retriever, query: str) -> str:
    hit = retriever.search(query, 1)[0]
    article = retriever.index.store.article(hit.article_id)
    return " ".join(article.sources) if article else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="gemma3-270m,smollm2")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.load({"index_dir": tmp}, env={})
        build_index(SAMPLE_ARTICLES, settings)
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
            queries = [method(follow, [(first, "")]) for first, follow, _ in CASES]
            found = sum(expected in top_file(retriever, query) for query, (_, _, expected) in zip(queries, CASES))
            print(f"| {name} | {found}/{len(CASES)} | {queries[0]!r} |")


if __name__ == "__main__":
    main()
