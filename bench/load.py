"""Load: N concurrent chat sessions through gradio_client against the app on loopback.

    python bench/load.py [--sessions 20] [--runs 1] [--rebuild] [--bulk 300] [--servers 2]
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
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "tests" / "sample_questions.json"
FOLLOW_UPS = {"id": "Kapan itu terjadi?", "en": "When did that happen?"}
RUNNING = {"PROCESSING", "ITERATING", "PROGRESS"}


@dataclass
class Request:
    """One chat request as a session saw it."""

    session: int
    turn: int
    question: str
    latency: float = 0.0  # submit -> final answer, seconds
    wait: float | None = None  # submit -> the app started on it (None: never seen queued)
    max_position: int = 0  # highest place in the queue seen (1 = next); 0 = never waited
    answer: str = ""
    sources: str = ""
    error: str = ""
    finished_at: float = 0.0  # time.monotonic() when the answer arrived


@dataclass
class LoadResult:
    """All requests of one load run, and the rebuild that ran meanwhile (if any)."""

    requests: list[Request]
    duration: float
    rebuild_report: str = ""
    rebuild_status: str = ""  # the Library status line after the rebuild
    rebuild_error: str = ""
    rebuild_seconds: float = 0.0
    rebuild_finished_at: float = 0.0  # time.monotonic(); 0 = no rebuild

    @property
    def errors(self) -> list[Request]:
        return [r for r in self.requests if r.error]

    @property
    def answered_during_rebuild(self) -> int:
        return sum(1 for r in self.requests if not r.error and r.finished_at < self.rebuild_finished_at)


def load_questions() -> list[dict]:
    """The sample questions (question, language, file, answer)."""
    return json.loads(QUESTIONS.read_text(encoding="utf-8"))


def bulk_jsonl(path: Path, count: int, prefix: str = "arsip") -> Path:
    """A JSONL file of ``count`` synthetic articles (about 2,000 characters each) to index."""
    lines = (json.dumps({"id": f"{prefix}-{i}", "title": f"Arsip {prefix} {i}",
                         "text": " ".join(f"Catatan {prefix} {i} kalimat {j} tentang kota dan warganya."
                                          for j in range(40))})
             for i in range(count))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _text(content) -> str:
    """A chat message's text (a string or a list of typed parts)."""
    if isinstance(content, str):
        return content
    return " ".join(part.get("text", "") for part in content if isinstance(part, dict))


Chat = tuple[list, "str | None"]  # the messages shown and the saved chat's id (follow-ups are read with it)


def ask(client, request: Request, history: Chat, deadline: float) -> Chat:
    """Submit one chat request, follow its queue status, fill in ``request``; returns the chat after it."""
    from concurrent.futures import TimeoutError as FutureTimeout

    started = time.monotonic()
    job = client.submit(request.question, *history, api_name="/chat")
    while not job.done() and time.monotonic() < deadline:
        status = job.status()
        code = status.code.name
        if code == "IN_QUEUE" and status.rank is not None:
            request.max_position = max(request.max_position, status.rank + 1)
        elif code in RUNNING and request.wait is None:
            request.wait = time.monotonic() - started
        time.sleep(0.05)
    try:
        messages, _, _, chat_id, _ = job.result(timeout=max(deadline - time.monotonic(), 0.1))
    except FutureTimeout:
        request.error = "no answer before the deadline"
        job.cancel()
        return history
    except Exception as exc:  # noqa: BLE001 - every failure is counted and reported
        request.error = f"{type(exc).__name__}: {exc}"
        return history
    request.finished_at = time.monotonic()
    request.latency = request.finished_at - started
    request.wait = request.latency if request.wait is None else request.wait
    last = messages[-1] if messages else {}
    request.answer = request.sources = _text(last.get("content", "")).strip()  # the answer holds its sources
    if last.get("role") != "assistant" or request.answer in ("", "…"):
        request.error = f"no answer: {request.answer!r}"
    elif request.answer.startswith("⚠️ ") and not request.answer.startswith("⚠️ ~~"):
        request.error = f"the app reported a failure: {request.answer[:200]}"  # chat()'s error message
    elif 'class="passage"' not in request.sources:
        request.error = "no passages shown"
    return messages, chat_id


def session(client, number: int, item: dict, follow_up: bool, start: threading.Event,
            deadline: float) -> list[Request]:
    """One user: wait for the start, ask a question (and a follow-up with the first turn as history)."""
    start.wait()
    turns = [item["question"]] + ([FOLLOW_UPS[item["language"]]] if follow_up else [])
    requests, history = [], ([], None)
    for turn, question in enumerate(turns, 1):
        request = Request(number, turn, question)
        requests.append(request)
        history = ask(client, request, history, deadline)
        if request.error:
            break
    return requests


def run_load(url: str, sessions: int = 20, follow_up: bool = True, bulk: Path | None = None,
             timeout: float = 600.0) -> LoadResult:
    """``sessions`` users at once (each a different sample question); with ``bulk``, during its upload+rebuild."""
    from gradio_client import Client, handle_file

    questions = load_questions()
    clients = [Client(url, verbose=False) for _ in range(sessions)]  # one session (hash) each
    deadline = time.monotonic() + timeout
    rebuild, rebuild_started, rebuild_done = None, time.monotonic(), []
    if bulk is not None:  # start the rebuild first and wait until it runs, so the sessions overlap it
        rebuild = Client(url, verbose=False).submit([handle_file(str(bulk))], api_name="/add_articles")
        rebuild.future.add_done_callback(lambda _: rebuild_done.append(time.monotonic()))
        while not rebuild.done() and rebuild.status().code.name not in RUNNING:
            time.sleep(0.05)
    start = threading.Event()
    with ThreadPoolExecutor(sessions) as pool:
        futures = [pool.submit(session, client, n, questions[n % len(questions)], follow_up, start, deadline)
                   for n, client in enumerate(clients)]
        started = time.monotonic()
        start.set()
        requests = [r for f in futures for r in f.result()]
    result = LoadResult(requests, time.monotonic() - started)
    if rebuild is not None:
        try:
            result.rebuild_report, result.rebuild_status, _ = rebuild.result(
                timeout=max(deadline - time.monotonic(), 0.1))
        except Exception as exc:  # noqa: BLE001 - reported, and a failed rebuild fails the load test
            result.rebuild_error = f"{type(exc).__name__}: {exc}"
        while rebuild.done() and not rebuild_done:  # the callback runs in the client's thread
            time.sleep(0.01)
        result.rebuild_finished_at = rebuild_done[0] if rebuild_done else time.monotonic()
        result.rebuild_seconds = result.rebuild_finished_at - rebuild_started
    return result


def one_run(sessions: int, follow_up: bool, bulk_count: int | None, env: dict[str, str], servers: int = 0) -> dict:
    """Start the app on a fresh copy of the sample articles (answering in-process, or through ``servers`` model
    servers), run the load once, return the row's figures."""
    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import SAMPLE_ARTICLES, model_server, running_app

    from rag.eval.metrics import percentiles

    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        tmp = Path(tmp)
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
