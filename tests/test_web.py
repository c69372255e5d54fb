"""The web UI served on loopback by `python app.py`, queried with gradio_client."""
from __future__ import annotations

from rag.types import Hit
from rag.web.render import message_text, render_hits


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
    answer = message_text(messages[-1]["content"])
    assert messages[-1]["role"] == "assistant" and "14.500" in answer and "(#source-1)" in answer
    assert box == "" and "<mark>" in sources and "Harga Beras Medium" in sources

    follow = Client(server, verbose=False).predict("Kenapa harganya naik?", messages, api_name="/chat")
    assert "Harga Beras Medium" in follow[2]  # the follow-up stays on the first turn's article
