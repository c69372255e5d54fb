"""The HTTP API (issue 23): what an answer through it costs, and how its clients wait for their turn.

    .venv/bin/python -m bench.api [--pairs 20] [--clients 20] [--servers 0] [--only cost|queue]

1. **Cost.** The sample articles/ folder is indexed into a temporary folder; one `Library` answers both ways:
   in-process (`Library.ask`, the events read to the final answer) and through the API (`create_api` over the same
   library, served by uvicorn on a loopback port in this process, called with the official `openai` client,
   not streamed and streamed). The sample questions are asked in turn, each by every path, the order rotating
   per question; per question the time of each API path over the in-process time. Printed: p50 times and the
   median per-question ratios (the issue asks ≤ 1.05).
2. **Queue.** `python app.py` over a copy of the sample articles (as the tests start it), then N clients (the
   `openai` client, one thread each) ask a sample question at once. Per request: the latency, the answer's own
   time (`details.timings.total`, from its turn on) and the wait (latency − answer time). The p50 wait is
   given in answer-times, beside what a first-come-first-served queue of `parallel_answers` makes the median
   client wait (⌊N/2⌋ answers / parallel answers). With --servers S the same again with S model servers
   (`python -m llama_cpp.server`, the same GGUF, 1 thread each), S answers at a time.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rag.answer.records import Answer
from rag.api.app import create_api
from rag.eval.metrics import percentiles
from rag.library import Library
from tests.helpers.corpus import SAMPLE_ARTICLES, SAMPLE_QUESTIONS, make_settings
from tests.helpers.processes import free_port, model_server, running_app


def questions() -> list[str]:
    return [item["question"] for item in json.loads(SAMPLE_QUESTIONS.read_text(encoding="utf-8"))]


@contextlib.contextmanager
def served(library: Library) -> Iterator[str]:
    """The library's API on a free loopback port, in this process; yields its base URL (…/v1)."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_api(library), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.should_exit = True
        thread.join(30)


def cost(pairs: int) -> None:
    """Measurement 1: the same answers in-process and through the API, interleaved."""
    from openai import OpenAI

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        shutil.copytree(SAMPLE_ARTICLES, tmp / "articles")
        library = Library(make_settings(tmp, articles_dir=tmp / "articles"))
        library.rebuild()
        with served(library) as url:
            client = OpenAI(base_url=url, api_key="-", max_retries=0, timeout=600)

            def in_process(question: str) -> float:
                answer = next(e for e in library.ask(question) if isinstance(e, Answer))
                return answer.timings.total

            def api(question: str) -> float:
                reply = client.chat.completions.create(model="berita-qa",
                                                       messages=[{"role": "user", "content": question}])
                return reply.choices[0].message.model_dump()["details"]["timings"]["total"]

            def streamed(question: str) -> float:
                chunks = list(client.chat.completions.create(model="berita-qa", stream=True,
                                                             messages=[{"role": "user", "content": question}]))
                return chunks[-1].choices[0].delta.model_dump()["details"]["timings"]["total"]

            paths: dict[str, Callable[[str], float]] = {"in-process": in_process, "API": api,
                                                        "API, streamed": streamed}
            for path in paths.values():
                path(questions()[0])  # warm-up: the models loaded, the prompt prefix evaluated
            times: dict[str, list[float]] = {name: [] for name in paths}
            outside: dict[str, list[float]] = {name: [] for name in paths}  # the time not spent answering
            for number, question in enumerate((questions() * (pairs // len(questions()) + 1))[:pairs]):
                names = list(paths)[number % 3:] + list(paths)[:number % 3]
                for name in names:
                    start = time.perf_counter()
                    answering = paths[name](question)
                    times[name].append(time.perf_counter() - start)
                    outside[name].append(times[name][-1] - answering)
                print(f"  {number + 1}/{pairs}: " + ", ".join(f"{n} {times[n][-1]:.2f}s" for n in paths), flush=True)
    print(f"\n{pairs} questions, each answered by every path (order rotating)\n")
    print("| path | total p50 | per-question ratio to in-process: median | min | max | time outside the answer p50 |")
    print("|---|---|---|---|---|---|")
    for name, values in times.items():
        ratios = [t / base for t, base in zip(values, times["in-process"])]
        print(f"| {name} | {statistics.median(values):.2f} s | {statistics.median(ratios):.3f} | "
              f"{min(ratios):.2f} | {max(ratios):.2f} | {1000 * statistics.median(outside[name]):.0f} ms |")


def queue(clients: int, servers: int) -> dict:
    """Measurement 2: ``clients`` API clients at once against the app (answers in-process, or by ``servers``)."""
    from openai import OpenAI

    with tempfile.TemporaryDirectory() as tmp_name, contextlib.ExitStack() as stack:
        tmp = Path(tmp_name)
        shutil.copytree(SAMPLE_ARTICLES, tmp / "articles")
        urls = [stack.enter_context(model_server(tmp / f"server-{n}.log"))[0] for n in range(servers)]
        env = {"RAG_LLM_BACKEND": "openai", "RAG_LLM_BASE_URL": ",".join(urls)} if urls else {}
        with running_app(tmp / "articles", tmp / "index", tmp / "app.log", env=env) as url:
            client = OpenAI(base_url=f"{url}v1", api_key="-", max_retries=0, timeout=1800)
            asked = questions()
            client.chat.completions.create(model="berita-qa", messages=[{"role": "user", "content": asked[0]}])
            start = threading.Barrier(clients)

            def ask(number: int) -> tuple[float, float, str]:
                start.wait()
                began = time.perf_counter()
                try:
                    reply = client.chat.completions.create(
                        model="berita-qa", messages=[{"role": "user", "content": asked[number % len(asked)]}])
                except Exception as exc:  # noqa: BLE001 - counted as a failed client
                    return time.perf_counter() - began, 0.0, f"{type(exc).__name__}: {exc}"
                own = reply.choices[0].message.model_dump()["details"]["timings"]["total"]
                return time.perf_counter() - began, own, ""

            began = time.perf_counter()
            with ThreadPoolExecutor(clients) as pool:
                results = list(pool.map(ask, range(clients)))
            duration = time.perf_counter() - began
        log = (tmp / "app.log").read_text(errors="replace")
    done = [(latency, own) for latency, own, error in results if not error]
    for _, _, error in results:
        if error:
            print(f"  error: {error}")
    answer_time = statistics.median(own for _, own in done)
    waits = [latency - own for latency, own in done]
    parallel = max(servers, 1)
    return {"scenario": f"{clients} API clients, " + (f"{servers} model servers" if servers else "in-process"),
            "answered": f"{len(done)}/{clients}", "errors": len(results) - len(done) + log.count("Traceback"),
            "latency": percentiles([latency for latency, _ in done]), "answer": answer_time,
            "wait": statistics.median(waits), "in_answers": statistics.median(waits) / answer_time,
            "fifo": (clients // 2) / parallel, "duration": duration}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=20, help="questions answered by every path (cost)")
    parser.add_argument("--clients", type=int, default=20, help="API clients asking at once (queue)")
    parser.add_argument("--servers", type=int, default=0, help="also run the queue with this many model servers")
    parser.add_argument("--only", choices=["cost", "queue"])
    args = parser.parse_args()
    if args.only != "queue":
        cost(args.pairs)
    if args.only != "cost":
        rows = [queue(args.clients, 0)] + ([queue(args.clients, args.servers)] if args.servers else [])
        print("\n| scenario | answered | errors | latency p50 | latency max | answer time p50 | wait p50 | "
              "wait p50 in answer-times | first come, first served | duration |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for row in rows:
            print(f"| {row['scenario']} | {row['answered']} | {row['errors']} | {row['latency']['p50']:.1f} s | "
                  f"{row['latency']['max']:.1f} s | {row['answer']:.1f} s | {row['wait']:.1f} s | "
                  f"{row['in_answers']:.1f} | {row['fifo']:.1f} | {row['duration']:.0f} s |")


if __name__ == "__main__":
    main()
