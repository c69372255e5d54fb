"""One answer in the app's process against the same answer through a model server, on one machine.

    .venv/bin/python -m bench.servers [--runs 3]

The sample articles/ folder is indexed into a temporary folder; one `python -m llama_cpp.server` with the
default GGUF (1 thread, like the in-process default on 2 cores) starts on loopback. Each sample question
(tests/sample_questions.json) is answered by both paths, interleaved (the order flips every pair): the
default `Pipeline` (llama.cpp in this process) and a `Pipeline` with `llm_backend=openai`. Printed per path:
total time p50, first token p50, how many answers hold the sample's answer, and the median per-pair ratio of
total times (server / in-process).
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
from pathlib import Path

from rag.answer.pipeline import Pipeline
from rag.embed.factory import embedder_for
from rag.indexing.builder import build_index
from rag.retrieve.retriever import Retriever
from tests.helpers.corpus import SAMPLE_ARTICLES, SAMPLE_QUESTIONS, make_settings
from tests.helpers.processes import model_server, served_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    questions = json.loads(SAMPLE_QUESTIONS.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        shutil.copytree(SAMPLE_ARTICLES, tmp / "articles")
        settings = make_settings(tmp, articles_dir=tmp / "articles")
        embedder = embedder_for(settings)
        build_index(settings.articles_dir, settings, embedder)
        with model_server(tmp / "server.log") as (url, _):
            served = served_settings(settings, [url])
            pipelines = {"in-process": Pipeline(settings, Retriever(settings, embedder)),
                         "model server": Pipeline(served, Retriever(served, embedder))}
            for pipeline in pipelines.values():
                pipeline.ask(questions[0]["question"])  # warm-up: model loaded, prompt cache primed
            results: dict[str, list] = {name: [] for name in pipelines}
            for run in range(args.runs):
                for number, item in enumerate(questions):
                    order = list(pipelines) if (run + number) % 2 == 0 else list(reversed(pipelines))
                    for name in order:
                        answer = pipelines[name].ask(item["question"])
                        found = item["answer"].lower() in answer.text.lower()
                        results[name].append((answer.timings.total, answer.timings.first_token or 0.0, found))
    ratios = [s[0] / i[0] for i, s in zip(results["in-process"], results["model server"])]
    print(f"\n{len(questions)} sample questions x {args.runs} run(s), interleaved; seconds\n")
    print("| answers written by | total p50 | first token p50 | sample answer found |")
    print("|---|---|---|---|")
    for name, rows in results.items():
        print(f"| {name} | {statistics.median(r[0] for r in rows):.2f} | "
              f"{statistics.median(r[1] for r in rows):.2f} | {sum(r[2] for r in rows)}/{len(rows)} |")
    print(f"\nper-pair total time, model server / in-process: median {statistics.median(ratios):.2f} "
          f"(min {min(ratios):.2f}, max {max(ratios):.2f})")


if __name__ == "__main__":
    main()
