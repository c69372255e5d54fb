"""The web UI served on loopback by `python app.py`, queried with gradio_client."""
from __future__ import annotations

import re

from rag.types import Hit
from rag.web.render import ArticleInfo, message_text, render_hits, render_sources


def test_search_page_answers_over_http(server):
    from gradio_client import Client

    html = Client(server, verbose=False).predict("Siapa juara tunggal putra Piala Nusantara?", api_name="/search")
    assert "Raka Pradipta" in html and "bulu-tangkis-piala-nusantara" in html


def test_article_html_is_escaped():
    hit = Hit(chunk_id=1, article_id="x", title="<b>t</b>", published=None, text='<script>alert(1)</script>',
              start=0, end=10, score=1.0, dense_score=0.5, lexical_score=None)
    page = render_hits([hit])
    assert "<script>" not in page and "&lt;script&gt;" in page and "<b>t</b>" not in page


def test_chat_endpoint_answers_with_highlighted_citation_and_saves_the_chat(server):
    from gradio_client import Client

    client = Client(server, verbose=False)
    messages, box, hint, chat_id, _ = client.predict("Berapa harga beras medium sekarang?", [], None,
                                                     api_name="/chat")
    answer = message_text(messages[-1]["content"])
    assert messages[-1]["role"] == "assistant" and "14.500" in answer and re.search(r"\(#ans-\w+-s1\)", answer)
    assert box == "" and hint == "" and chat_id and "<mark>" in answer and "Harga Beras Medium" in answer

    follow, *_ = client.predict("Kenapa harganya naik?", messages, chat_id, api_name="/chat")
    assert "Harga Beras Medium" in message_text(follow[-1]["content"])  # the follow-up stays on that article
    assert len(follow) == 4


def test_each_answer_carries_its_own_sources_grouped_per_article():
    hits = [Hit(1, "a", "Banjir Demak", "2026-01-20", "Sebanyak 4.000 warga mengungsi.", 0, 31, 0.9, 0.9, 1.0),
            Hit(2, "b", "Harga Beras", None, "Harga beras Rp 14.500.", 0, 22, 0.5, 0.5, None),
            Hit(3, "a", "Banjir Demak", "2026-01-20", "warga mengungsi. Air naik.", 14, 40, 0.4, 0.4, None)]
    info = {"a": ArticleInfo("banjir.md", None, "Sebanyak 4.000 warga mengungsi. Air naik.")}
    page = render_sources("ans-x", hits, {1: [(9, 31)]}, "id", info)
    assert page.count("Banjir Demak") == 1 and page.count('class="article"') == 2  # one heading per article
    assert 'id="ans-x-s1"' in page and 'id="ans-x-s3"' in page and "[1][3]" in page  # overlapping: merged
    assert "<mark>4.000 warga mengungsi.</mark>" in page and "banjir.md" in page and "Buka artikel" in page


def test_a_question_the_library_refuses_is_shown_with_its_reason(server):
    from gradio_client import Client

    page = Client(server, verbose=False).predict("kenapa " * 300, api_name="/search")
    assert page.startswith("<p>⚠️ the question is too long (2,099 characters")


def test_a_refusal_that_covers_the_subject_shows_what_the_articles_do_say():
    from rag.answer.composing import not_stated
    from rag.answer.records import Answer, Citation
    from rag.text.question import make_question
    from rag.web.render import render_answer

    quote = "Polisi masih memburu para pelaku pencurian perhiasan itu."
    hit = Hit(1, "louvre", "Perhiasan Louvre Dicuri", "2025-10-20", quote, 0, len(quote), 0.9, 0.9, 1.0)
    closest = Citation(1, "louvre", hit.title, hit.published, 1, 0, len(quote), quote)
    question = make_question("Siapa nama pelaku pencurian perhiasan di Museum Louvre?")
    answer = not_stated(Answer(question.text, question.text, "id", "", passages=[hit]), question, closest,
                        "the check finds no name of the thief in the cited sentence")
    assert answer.refusal and answer.closest == [closest] and not answer.sentences
    assert answer.text.startswith("Artikel yang tersedia membahas hal ini, tetapi tidak menyebutkan siapa nama "
                                  "pelaku pencurian perhiasan di Museum Louvre.")
    page = render_answer("ans-x", answer, {})
    assert page.index("tidak menyebutkan") < page.index(f"“{quote}”") < page.index("Rincian teknis")
    assert f"<mark>{quote}</mark>" in page  # the closest sentence is highlighted in its passage
