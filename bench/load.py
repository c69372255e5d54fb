"""Load: N concurrent chat sessions through gradio_client against the app on loopback.

    python -m bench.load [--sessions 20] [--runs 1] [--rebuild] [--bulk 300] [--servers 2]
                                                                                (--full: 3 runs, defaults)

Per run the app is started as the tests start it (`python app.py` on a free loopback port, network-guarded,
over a temporary copy of `articles/` and a temporary index). N sessions (one gradio_client Client each) start
together; each asks a different question of `tests/sample_questions.json`, then a follow-up with the first
turn as history. Only one answer is generated at a time (the "llm" queue), so the others wait in Gradio's
queue and are told their place. Recorded per request: latency (submit to final answer), queue wait (submit
to processing), the highest queue position seen, and errors (exceptions, time-outs, empty or failed
answers). With --rebuild the same sessions run a second time while a JSONL of --bulk synthetic articles is
uploaded through the library endpoint and indexed; the rebuild must finish and every session must still be
answered. Quick mode (default) caps answers at 32 tokens; --full uses the default settings and 3 runs.
With --servers N the same sessions run once more with the answers written by N model servers on this machine
(`python -m llama_cpp.server` with the same GGUF, one thread each; RAG_LLM_BACKEND=openai), N answers at a time.
Prints a markdown table per scenario, medians over the runs.
"""
from __future__ import annotations

import argparse
import contextlib
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from rag.eval.metrics import percentiles
from tests.helpers.corpus import SAMPLE_ARTICLES
from tests.helpers.processes import model_server, running_app
from tests.helpers.sessions import bulk_jsonl, run_load


def one_run(sessions: int, follow_up: bool, bulk_count: int | None, env: dict[str, str], servers: int = 0) -> dict:
    """Start the app on a fresh copy of the sample articles (answering in-process, or through ``servers`` model
    servers), run the load once, return the row's figures."""
    with tempfile.TemporaryDirectory() as tmp_name, contextlib.ExitStack() as stack:
        tmp = Path(tmp_name)
        shutil.copytree(SAMPLE_ARTICLES, tmp / "articles")
        bulk = bulk_jsonl(tmp / "arsip.jsonl", bulk_count) if bulk_count else None
        urls = [stack.enter_context(model_server(tmp / f"server-{n}.log"))[0] for n in range(servers)]
        if urls:
            env = {**env, "RAG_LLM_BACKEND": "openai", "RAG_LLM_BASE_URL": ",".join(urls)}
        with running_app(tmp / "articles", tmp / "index", tmp / "app.log", env=env) as url:
            result = run_load(url, sessions, follow_up, bulk)
        log = (tmp / "app.log").read_text(errors="replace")
    done = [r for r in result.requests if not r.error]
    latency, wait = percentiles([r.latency for r in done]), percentiles([r.wait or 0.0 for r in done])
    for r in result.errors:
        print(f"  error: session {r.session} turn {r.turn}: {r.error}", file=sys.stderr)
    if result.rebuild_error:
        print(f"  rebuild error: {result.rebuild_error}", file=sys.stderr)
    return {"sessions": sessions, "requests": len(result.requests), "answered": len(done),
            "errors": len(result.errors) + bool(result.rebuild_error) + log.count("Traceback"),
            "p50": latency.get("p50", 0.0), "p95": latency.get("p95", 0.0), "wait_p50": wait.get("p50", 0.0),
            "service_p50": statistics.median([r.latency - (r.wait or 0.0) for r in done] or [0.0]),
            "max_position": max((r.max_position for r in result.requests), default=0),
            "duration": result.duration, "during_rebuild": result.answered_during_rebuild,
            "rebuild_s": result.rebuild_seconds,
            "rebuild_ok": bool(result.rebuild_report and "added" in result.rebuild_report)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--runs", type=int, default=None, help="default 1 (3 with --full)")
    parser.add_argument("--rebuild", action="store_true", help="also run the sessions during a rebuild")
    parser.add_argument("--bulk", type=int, default=300, help="articles uploaded for the rebuild")
    parser.add_argument("--no-follow-up", action="store_true", help="one question per session")
    parser.add_argument("--full", action="store_true", help="default answer length, 3 runs")
    parser.add_argument("--servers", type=int, default=0,
                        help="also answer through this many model servers (python -m llama_cpp.server)")
    args = parser.parse_args()
    runs = args.runs or (3 if args.full else 1)
    env = {} if args.full else {"RAG_MAX_ANSWER_TOKENS": "32"}
    scenarios = [("idle", None, 0)] + ([("during rebuild", args.bulk, 0)] if args.rebuild else [])
    scenarios += [(f"idle, {args.servers} model servers", None, args.servers)] if args.servers else []
    rows = []
    for name, bulk, servers in scenarios:
        figures = [one_run(args.sessions, not args.no_follow_up, bulk, env, servers) for _ in range(runs)]
        rows.append((name, {k: statistics.median(f[k] for f in figures) for k in figures[0]}))
    mode = "full (default settings)" if args.full else "quick (max_answer_tokens 32)"
    turns = "one question" if args.no_follow_up else "question + follow-up"
    print(f"\n{args.sessions} concurrent sessions, {turns} each, {mode}; medians over {runs} run(s); "
          "latency = submit to final answer, seconds\n")
    print("| scenario | sessions | requests | answered | errors | p50 latency | p95 latency | queue wait p50 | "
          "answer time p50 | max queue position | duration | answered during rebuild | rebuild |")
    print("|---|" + "---|" * 12)
    for name, f in rows:
        rebuild = (f"{f['rebuild_s']:.0f} s" + ("" if f["rebuild_ok"] else " FAILED")) if "rebuild" in name else "-"
        print(f"| {name} | {f['sessions']:.0f} | {f['requests']:.0f} | {f['answered']:.0f} | {f['errors']:.0f} | "
              f"{f['p50']:.1f} | {f['p95']:.1f} | {f['wait_p50']:.1f} | {f['service_p50']:.1f} | "
              f"{f['max_position']:.0f} | {f['duration']:.0f} s | "
              f"{f['during_rebuild']:.0f} | {rebuild} |")


if __name__ == "__main__":
    main()
