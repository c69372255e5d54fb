"""Load: 20 chat sessions at once, during a rebuild, against the app on loopback (network-guarded).

One answer is generated at a time, so the sessions wait in Gradio's queue and are told their place; a
request beyond the queue's bound is told the app is busy instead of piling up. Answers are kept short
(16 tokens, 2 passages) so the scenario stays bounded; bench/load.py measures the latencies.
"""
from __future__ import annotations

import shutil
import time

import pytest

from rag.web.app import QUEUE_MAX_SIZE
from tests.helpers.corpus import SAMPLE_ARTICLES
from tests.helpers.processes import running_app
from tests.helpers.sessions import RUNNING, bulk_jsonl, run_load

pytestmark = [pytest.mark.slow, pytest.mark.model]

SESSIONS = 20
# The queue is under test, not the answers: the fast bundled model keeps the 40 answers within minutes.
APP_ENV = {"RAG_MAX_ANSWER_TOKENS": "16", "RAG_TOP_K": "2", "RAG_LLM_MODEL": "gemma3-270m"}


@pytest.fixture(scope="module")
def load_app(tmp_path_factory):
    """The app over a copy of the sample articles; yields (url, log path)."""
    tmp = tmp_path_factory.mktemp("load")
    shutil.copytree(SAMPLE_ARTICLES, tmp / "articles")
    with running_app(tmp / "articles", tmp / "index", tmp / "app.log", env=APP_ENV) as url:
        yield url, tmp / "app.log"


def wait_until_running(job, timeout: float = 120.0) -> None:
    """Block until the app has started on ``job`` (or it ended)."""
    deadline = time.monotonic() + timeout
    while not job.done() and job.status().code.name not in RUNNING:
        assert time.monotonic() < deadline, "the job never started"
        time.sleep(0.05)


def test_twenty_sessions_during_a_rebuild_are_all_answered(load_app, tmp_path):
    from gradio_client import Client

    url, log = load_app
    result = run_load(url, SESSIONS, follow_up=False, bulk=bulk_jsonl(tmp_path / "arsip.jsonl", 300),
                      timeout=600)

    assert len(result.requests) == SESSIONS
    assert not result.errors, [(r.session, r.question, r.error) for r in result.errors]
    assert all(r.answer and 'class="passage"' in r.sources for r in result.requests)
    waited = [r for r in result.requests if r.wait and r.wait > 2.0]
    assert waited and all(r.max_position >= 1 for r in waited), "a waiting user was not told its place"
    assert max(r.max_position for r in result.requests) >= SESSIONS // 2  # they really queued up

    assert not result.rebuild_error and "300 articles added" in result.rebuild_report, result.rebuild_report
    assert result.rebuild_status.startswith("310 articles")
    assert result.answered_during_rebuild >= 1, "no question was answered while the rebuild ran"
    html = Client(url, verbose=False).predict("Catatan arsip 123 kalimat tentang kota", api_name="/search")
    assert "Arsip arsip 123" in html  # the rebuilt index is the one serving now

    text = log.read_text(errors="replace")
    assert "Traceback" not in text and "question failed" not in text, text[-3000:]


def test_a_full_queue_tells_the_next_user_to_try_again(load_app, tmp_path):
    from gradio_client import Client, handle_file
    from gradio_client.utils import QueueError

    url, log = load_app
    client = Client(url, verbose=False, max_workers=QUEUE_MAX_SIZE + 8)
    # A long rebuild holds the library queue, so cheap library requests pile up behind it.
    rebuild = client.submit([handle_file(str(bulk_jsonl(tmp_path / "lagi.jsonl", 150, "lagi")))],
                            api_name="/add_articles")
    wait_until_running(rebuild)
    waiting = [client.submit("no-such-article", api_name="/remove_article") for _ in range(QUEUE_MAX_SIZE)]
    deadline = time.monotonic() + 120
    while not all(job.status().code.name == "IN_QUEUE" for job in waiting):
        assert not rebuild.done(), "the rebuild ended before the queue was full; use a larger upload"
        assert time.monotonic() < deadline, [job.status().code.name for job in waiting]
        time.sleep(0.05)
    assert sorted(job.status().rank for job in waiting) == list(range(QUEUE_MAX_SIZE))  # told their place

    with pytest.raises(QueueError, match="Queue is full"):
        client.submit("no-such-article", api_name="/remove_article").result(timeout=60)
    assert not rebuild.done()

    report, status, _ = rebuild.result(timeout=600)
    assert "150 articles added" in report
    for job in waiting:  # the requests that fit were all served once the rebuild was done
        assert job.result(timeout=300)[0] == "That article is no longer in the index."
    assert "Traceback" not in log.read_text(errors="replace")
