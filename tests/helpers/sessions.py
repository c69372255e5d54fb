"""Chat sessions driven through gradio_client against the app, as users would: N at once, each asking a
sample question (and a follow-up), optionally while a bulk upload is indexed. Shared by tests/test_load.py
(the queue's behaviour) and bench/load.py (its latencies)."""
from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tests.helpers.corpus import SAMPLE_QUESTIONS

FOLLOW_UPS = {"id": "Kapan itu terjadi?", "en": "When did that happen?"}
RUNNING = {"PROCESSING", "ITERATING", "PROGRESS"}  # gradio_client status codes of a job being worked on


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
    return json.loads(SAMPLE_QUESTIONS.read_text(encoding="utf-8"))


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
    elif request.answer.startswith('<p class="problem">'):
        request.error = f"the app reported a failure: {request.answer[:200]}"  # chat()'s error message
    elif 'class="passage"' not in request.sources:
        request.error = "no passages shown"
    return messages, chat_id


def session(client, number: int, item: dict, follow_up: bool, start: threading.Event,
            deadline: float) -> list[Request]:
    """One user: wait for the start, ask a question (and a follow-up with the first turn as history)."""
    start.wait()
    turns = [item["question"]] + ([FOLLOW_UPS[item["language"]]] if follow_up else [])
    requests: list[Request] = []
    history: Chat = ([], None)
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
