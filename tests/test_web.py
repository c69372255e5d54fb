"""The web UI served on loopback by `python app.py`, queried with gradio_client."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest

from conftest import ROOT
from rag.retrieval import Hit
from rag.web import _text, render_hits


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(sample_settings):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "app.py"), "--port", str(port), "--index-dir", str(sample_settings.index_dir),
         "--articles-dir", str(sample_settings.articles_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and process.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.5)
    else:
        process.kill()
        pytest.fail(f"app did not start: {process.stdout.read()[-2000:]}")
    yield url
    process.terminate()
    process.wait(timeout=30)


def test_search_page_answers_over_http(server):
    from gradio_client import Client

    html = Client(server, verbose=False).predict("Siapa juara tunggal putra Piala Nusantara?", api_name="/search")
    assert "Raka Pradipta" in html and "bulu-tangkis-piala-nusantara" in html


def test_article_html_is_escaped():
    hit = Hit(chunk_id=1, article_id="x", title="<b>t</b>", published=None, text='<script>alert(1)</script>',
              start=0, end=10, score=1.0, dense_score=0.5, lexical_score=None)
    page = render_hits([hit])
    assert "<script>" not in page and "&lt;script&gt;" in page and "<b>t</b>" not in page


def test_chat_endpoint_answers_with_highlighted_citation(server):
    from gradio_client import Client

    messages, box, sources = Client(server, verbose=False).predict(
        "Berapa harga beras medium sekarang?", [], api_name="/chat")
    answer = _text(messages[-1]["content"])
    assert messages[-1]["role"] == "assistant" and "14.500" in answer and "(#source-1)" in answer
    assert box == "" and "<mark>" in sources and "Harga Beras Medium" in sources

    follow = Client(server, verbose=False).predict("Kenapa harganya naik?", messages, api_name="/chat")
    assert "Harga Beras Medium" in follow[2]  # the follow-up stays on the first turn's article
