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
    page = render_hits([hit], {}, "en", {})
    assert "<script>" not in page and "&lt;script&gt;" in page and "<b>t</b>" not in page


def test_chat_endpoint_answers_with_highlighted_citation_and_saves_the_chat(server):
    from gradio_client import Client

    client = Client(server, verbose=False)
    messages, box, hint, chat_id, _ = client.predict("Berapa harga beras medium sekarang?", [], None,
                                                     api_name="/chat")
    answer = message_text(messages[-1]["content"])
    assert messages[-1]["role"] == "assistant" and "14.500" in answer and re.search(r"\(#ans-\w+-s1\)", answer)
    assert hint == "" and chat_id and "<mark>" in answer and "Harga Beras Medium" in answer
    assert box == {"__type__": "update"}  # emptied when asked, then left to the next question typed meanwhile

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
    assert page == ('<p class="problem">This question is too long (the limit is 1,000 characters): ask a shorter '
                    'one.</p>')  # in the page's language


def test_a_refusal_that_covers_the_subject_shows_what_the_articles_do_say():
    from rag.answer.composing import not_stated
    from rag.answer.records import Answer, Citation
    from rag.text.question import make_question
    from rag.web.render import render_answer

    quote = "Polisi masih memburu para pelaku pencurian perhiasan itu."
    hit = Hit(1, "louvre", "Perhiasan Louvre Dicuri", "2025-10-20", quote, 0, len(quote), 0.9, 0.9, 1.0)
    closest = Citation(1, "louvre", hit.title, hit.published, 1, 0, len(quote), quote)
    question = make_question("Siapa nama pelaku pencurian perhiasan di Museum Louvre?")
    answer = not_stated(Answer(question.text, question.text, "id", "", passages=[hit]), closest,
                        "the check finds no name of the thief in the cited sentence")
    assert answer.refusal and answer.closest == [closest] and not answer.sentences
    assert answer.text.startswith("Artikel yang tersedia membahas hal ini, tetapi tidak menyebutkan siapa nama "
                                  "pelaku pencurian perhiasan di Museum Louvre.")
    page = render_answer("ans-x", answer, {}, ui="id")
    assert page.index("tidak menyebutkan") < page.index(f"“{quote}”") < page.index("Sumber · 1 artikel")
    assert f"<mark>{quote}</mark>" in page  # the closest sentence is highlighted in its passage
    assert "the check finds" not in page  # the technical reason is for the log, not for readers
    assert '<details class="sources" id=' in page  # the closest sentence is above: the sources stay folded
    follow_up = not_stated(Answer("dan kapan itu terjadi?", "", "id", "", passages=[hit]), closest, "")
    assert "tetapi tidak menyebutkan kapan itu terjadi." in follow_up.text  # not "menyebutkan dan kapan …"


def test_a_refusal_without_a_closest_sentence_opens_the_passages_it_points_at():
    from rag.answer.records import REFUSALS, Answer
    from rag.web.render import render_answer

    text = "Hujan deras membuat 12 desa di Demak terendam."
    hit = Hit(1, "banjir", "Banjir Demak", "2026-01-20", text, 0, len(text), 0.5, 0.5, 1.0)
    answer = Answer("How many villages were flooded?", "", "en", REFUSALS["en"], refusal="weak evidence",
                    passages=[hit])
    page = render_answer("ans-x", answer, {}, ui="en")
    assert page.startswith("The articles do not say. Here are the closest passages.")
    assert '<details class="sources" open id="ans-x-sources">' in page and text in page


def test_an_answer_from_articles_in_another_language_shows_the_question_as_asked_of_them():
    from rag.answer.records import Answer, AnswerSentence, Citation
    from rag.web.render import render_answer

    quote = "Akibatnya, 12 desa di tiga kecamatan terendam air."
    hit = Hit(1, "banjir", "Banjir Demak", "2026-01-20", quote, 0, len(quote), 0.9, 0.9, 1.0)
    cited = Citation(1, "banjir", hit.title, hit.published, 1, 0, len(quote), quote)
    answer = Answer("How many villages were flooded in Demak?", "", "en", "12 desa [1]", passages=[hit],
                    sentences=[AnswerSentence("12 desa [1]", 0, 11, [1], [cited], verified=True)], evidence=[cited],
                    read_as="Berapa desa yang terendam banjir di Demak?")
    page = render_answer("ans-x", answer, {}, ui="en")
    assert page.startswith('<p class="as-of">Asked of the articles in their language as: “Berapa desa yang terendam '
                           'banjir di Demak?”</p>')
    assert page.index("Berapa desa") < page.index("**12 desa") < page.index(f"“{quote}”")


def test_search_results_are_grouped_per_article_with_the_question_words_marked():
    text = "Harga beras medium naik. Harga beras premium turun."
    hits = [Hit(1, "beras", "Harga Beras", "2026-02-12", text[:24], 0, 24, 0.9, 0.8, 1.0),
            Hit(2, "beras", "Harga Beras", "2026-02-12", text[17:], 17, len(text), 0.7, 0.6, 0.5),
            Hit(3, "banjir", "Banjir Demak", None, "Air naik di Demak.", 0, 18, 0.2, 0.2, None)]
    marks = {1: [(0, 5), (6, 11)], 2: [(25, 30)]}
    page = render_hits(hits, marks, "en", {"beras": ArticleInfo("beras.txt", None, text)})
    assert page.count("Harga Beras</strong>") == 1 and page.count('class="article"') == 2  # a heading per article
    assert page.count('class="passage"') == 2 and "[1][2]" in page  # the two overlapping passages: one
    assert "<mark>Harga</mark> <mark>beras</mark> medium" in page and "<mark>Harga</mark> beras premium" in page
    assert "score" not in page and "beras.txt" in page  # scores only on request
    scored = render_hits(hits, marks, "en", {}, scores=True)
    assert "[1] beras · score 0.900 · dense 0.800 · bm25 1.000" in scored and "[3] banjir · score 0.200" in scored
    assert render_hits([], {}, "id", {}) == "<p>Tidak ada bagian artikel yang cocok.</p>"


def test_the_library_is_a_table_a_phone_shows_as_cards_with_a_remove_button_per_article():
    from rag.web.render import render_library

    rows = [{"id": 'a"1', "title": "<i>Banjir</i>", "date": "2026-01-20", "language": "id", "chunks": 3,
             "sources": "kiriman.jsonl#a1", "added": "2026-06-01 10:00"}]
    page = render_library(rows, "id")
    assert "<th>Judul</th>" in page and 'data-label="Ditambahkan"' in page and "&lt;i&gt;Banjir" in page
    assert 'data-article="a&quot;1"' in page and ">Hapus…</button>" in page
    assert ">kiriman.jsonl</td>" in page and ">Indonesia</td>" in page and "chunks" not in page  # no internals
    assert render_library([], "en") == '<p class="empty">No articles yet.</p>'
    assert render_library([], "en", filtered=True) == '<p class="empty">No article matches the filter.</p>'


def test_an_answer_shows_no_ids_scores_or_reasons_of_the_checks():
    from rag.answer.records import Answer, AnswerSentence, Citation
    from rag.web.render import render_answer

    quote = "Sebanyak 4.000 warga mengungsi."
    hit = Hit(7, "banjir-demak", "Banjir Demak", "2026-01-20", quote, 0, len(quote), 0.91, 0.9, 1.0)
    cited = Citation(1, "banjir-demak", hit.title, hit.published, 7, 0, len(quote), quote)
    answer = Answer("Berapa warga mengungsi?", "", "id", "4.000 warga [1].", passages=[hit], evidence=[cited],
                    sentences=[AnswerSentence("4.000 warga [1].", 0, 16, [1], [cited], True)],
                    dropped=[AnswerSentence("Sejak 2017 [1].", 17, 32, [1],
                                            problems=["number 2017 not in source [1]"])])
    page = render_answer("ans-x", answer, {}, ui="en")
    assert "4.000 warga" in page and "Removed from the answer" in page and "Sejak 2017" in page
    assert not re.search(r"number 2017 not in|banjir-demak|score|chunk|0\.91", page), page


def test_every_text_of_the_interface_is_written_in_both_languages():
    from rag.web.i18n import TEXTS

    fields = re.compile(r"{(\w+)}")
    assert TEXTS["id"].keys() == TEXTS["en"].keys()
    for key, words in TEXTS["id"].items():
        assert set(fields.findall(words)) == set(fields.findall(TEXTS["en"][key])), key


def test_the_interface_speaks_the_cookies_language_else_the_browsers():
    from types import SimpleNamespace

    from rag.web.i18n import count_articles, ui_language

    def request(cookie: str | None = None, accept: str = "") -> SimpleNamespace:
        return SimpleNamespace(cookies={"rag_lang": cookie} if cookie else {}, headers={"accept-language": accept})

    assert ui_language(request("id", "en-US,en")) == "id" and ui_language(request("en", "id-ID")) == "en"
    assert ui_language(request(None, "id-ID,id;q=0.9,en;q=0.8")) == "id"
    assert ui_language(request(None, "de-DE,en;q=0.5")) == "en" and ui_language(request("xx", "fr")) == "en"
    assert ui_language(None) == "en"  # a script through the API
    assert [count_articles("en", 1), count_articles("en", 1355), count_articles("id", 1355)] == \
        ["1 article", "1,355 articles", "1.355 artikel"]


def test_a_build_under_way_is_one_line_in_the_interface_language(tmp_path):
    from rag.history import ChatHistory
    from rag.indexing.builder import BuildProgress
    from rag.library import Library
    from rag.web.app import WebUI
    from tests.helpers.corpus import make_settings

    library = Library(make_settings(tmp_path, articles_dir=tmp_path))
    ui = WebUI(library, ChatHistory(tmp_path / "chats.sqlite"))
    assert ui._activity("id") == "" and ui.status_text("en") == "No index yet: add articles."
    library.indexing = BuildProgress("embedding", 39, 120, 257)
    assert ui._activity("id") == "Mengindeks 39 artikel… 120/257"
    assert ui.status_text("en").endswith("Indexing 39 articles… 120/257")
    library.indexing = BuildProgress("reading")
    assert ui._activity("en") == "Reading the articles…"
    # Before any index, a page's poll says so, and the page shows the first-run panel and no example.
    activity, status, _, seen = ui.poll({})
    assert activity == "Reading the articles…" and status.startswith("No index yet")
    assert all(part == {"__type__": "update"} for part in ui.poll(seen)[:3])  # nothing new: nothing sent
    table, examples, first_run, welcome = ui.index_view(None)
    assert first_run["visible"] is True and examples["examples"] == [] and str(tmp_path.resolve()) in welcome
    assert "No articles yet." in table
