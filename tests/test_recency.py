"""Questions about the present: recognised in both languages, newer articles win near-ties, and the answer
says as of which article date it speaks."""
from __future__ import annotations

import pytest

from rag.answer.composing import newest_date
from rag.answer.evidence import Evidence, rank_evidence
from rag.answer.pipeline import Pipeline
from rag.answer.records import AS_OF, Answer, Citation, EvidenceFound, as_of_phrase
from rag.indexing.builder import build_index
from rag.llm.generator import Generator
from rag.retrieve.fusion import NEAR_TIE, newer_first
from rag.retrieve.retriever import Retriever, newer_first_hits
from rag.text.languages import FALLBACK
from rag.text.months import long_date
from rag.text.question import make_question
from rag.text.recency import asks_for_latest, recency_word
from rag.types import Hit
from tests.helpers.corpus import make_settings


@pytest.mark.parametrize("question, word", [
    ("Berapa harga beras medium sekarang?", "sekarang"), ("Berapa rata-rata harga beras saat ini?", "saat ini"),
    ("Berapa tutupan karang menurut survei terbaru?", "terbaru"), ("Apa status gunung itu terkini?", "terkini"),
    ("Kapan terakhir kali gunung meletus?", "terakhir"), ("Kini siapa pelatihnya?", "Kini"),
    ("Berapa inflasi tahun ini?", "tahun ini"), ("Berapa curah hujan bulan ini?", "bulan ini"),
    ("Ada banjir hari ini?", "hari ini"), ("Berapa harga terbarunya?", "terbarunya"),
    ("Who is the coach now?", "now"), ("Who currently leads the league?", "currently"),
    ("What is the current fare?", "current"), ("What is the latest price of rice?", "latest"),
    ("What is the most recent survey result?", "most recent"), ("Which is the newest station?", "newest"),
    ("How much has it rained this year?", "this year"), ("Who won This Month?", "This Month"),
    ("Is the road open today?", "today"),
])
def test_time_sensitive_questions_are_recognised_in_both_languages(question, word):
    assert recency_word(question) == word and asks_for_latest(question)


@pytest.mark.parametrize("question", [
    "Bagaimana kinerja ekspor beras?",         # "kini" inside "kinerja"
    "Berapa kapasitas energi terbarukan itu?",  # "terbaru" inside "terbarukan" (renewable)
    "Kapan ia mengakhiri kontraknya?",          # "akhir" is not "terakhir"
    "Berapa harga beras pada tahun 2025?", "Berapa warga mengungsi?",
    "Is this a known issue?", "Where do ocean currents come from? Nowhere.",
    "How many homes will the farm power?", "What did the library put online?",
])
def test_other_questions_are_not_time_sensitive(question):
    assert not asks_for_latest(question), recency_word(question)


def hit(article: str, published: str | None, score: float, text: str = "Harga beras Rp 14.500.") -> Hit:
    return Hit(chunk_id=len(article), article_id=article, title="Harga Beras", published=published,
               text=text, start=0, end=len(text), score=score, dense_score=None, lexical_score=None)


def test_newer_articles_win_near_ties_only():
    old, new, undated = hit("old", "2025-03-10", 0.90), hit("new", "2026-02-12", 0.86), hit("x", None, 0.89)
    far_newer = hit("far", "2026-06-01", 0.90 * (1 - NEAR_TIE) - 0.01)  # just behind the near-tie
    ranked = newer_first_hits([old, undated, new, far_newer])
    assert [h.article_id for h in ranked] == ["new", "old", "x", "far"]  # undated ranks as the oldest
    same_day = [hit("a", "2026-01-01", 0.9), hit("b", "2026-01-01", 0.88)]
    assert newer_first_hits(same_day) == same_day  # equal dates keep the score order
    assert newer_first_hits([]) == []


def test_near_tie_is_relative_to_the_best_score_even_when_scores_are_negative():
    items = [(-1.0, "2025"), (-1.05, "2026"), (-2.0, "2027")]
    assert newer_first(items, lambda i: i[0], lambda i: i[1]) == [(-1.05, "2026"), (-1.0, "2025"), (-2.0, "2027")]


OLD_RICE = ("JAKARTA — Harga beras medium di tingkat eceran naik 1,5 persen dan kini rata-rata mencapai Rp 13.200 "
            "per kilogram. Pedagang menyebut permintaan meningkat menjelang Ramadan.")
NEW_RICE = ("JAKARTA — Harga beras medium di tingkat eceran naik 3,2 persen dan kini rata-rata mencapai Rp 14.500 "
            "per kilogram. Pedagang mengeluhkan turunnya daya beli.")


def best_sentence(question: str, hits: list[Hit]) -> Evidence:
    return rank_evidence(make_question(question), hits).sentences[0]


def test_the_best_evidence_sentence_comes_from_the_newer_article_for_a_question_about_now():
    # the retriever ranked the older report first; the sentences are otherwise equal
    hits = [hit("old", "2025-03-10", 0.9, OLD_RICE), hit("new", "2026-02-12", 0.8, NEW_RICE)]
    assert best_sentence("Berapa harga beras medium?", hits).hit.article_id == "old"  # not about now: as before
    best = best_sentence("Berapa harga beras medium sekarang?", hits)
    assert best.hit.article_id == "new" and "14.500" in best.text


def test_a_clearly_better_older_sentence_keeps_its_place():
    hits = [hit("old", "2025-03-10", 0.9, OLD_RICE), hit("new", "2026-02-12", 0.8, "Pedagang mengeluhkan sepi.")]
    assert best_sentence("Berapa harga beras medium sekarang?", hits).hit.article_id == "old"


def test_the_date_phrase_in_the_answers_language():
    assert long_date("2026-02-12", "id") == "12 Februari 2026" and long_date("2026-02-12", "en") == "12 February 2026"
    assert long_date("not a date", "id") == "not a date" and long_date("2026-00-12", "en") == "2026-00-12"
    assert as_of_phrase("2026-02-12", "id") == "Per 12 Februari 2026 (tanggal artikel)"
    assert as_of_phrase("2026-04-01", "en") == "As of 1 April 2026 (article date)"
    assert as_of_phrase("2026-04-01", "und") == AS_OF[FALLBACK].format(date=long_date("2026-04-01", FALLBACK))
    assert as_of_phrase(None, "id") is None
    answer = Answer("q", "q", "id", "Rp 14.500", as_of="2026-02-12")
    assert answer.as_of_label == "Per 12 Februari 2026 (tanggal artikel)"
    assert Answer("q", "q", "id", "Rp 14.500").as_of_label is None


def test_no_date_is_invented_for_undated_articles():
    def cited(published):
        return Citation(1, "a", "t", published, 0, 0, 1, "q")
    assert newest_date([cited(None)]) is None and newest_date([]) is None
    assert newest_date([cited(None), cited("2025-03-10"), cited("2026-02-12")]) == "2026-02-12"


ARTICLES = {
    "harga-beras-2025-03-10.md": ("Harga Beras Medium Naik Jelang Ramadan", "2025-03-10", (
        "JAKARTA — Harga beras medium di tingkat eceran naik 1,5 persen dalam sebulan terakhir dan kini rata-rata "
        "mencapai Rp 13.200 per kilogram, menurut laporan bulanan Lembaga Kajian Harga Pangan Nusantara (LKHPN).\n\n"
        "Pedagang di Pasar Induk Cipinang menyebut permintaan meningkat menjelang Ramadan. Pemerintah menyatakan "
        "stok cadangan beras cukup hingga akhir tahun.")),
    "harga-beras-2026-02-12.md": ("Harga Beras Medium Naik 3,2 Persen", "2026-02-12", (
        "JAKARTA — Harga beras medium di tingkat eceran naik 3,2 persen dalam sebulan terakhir dan kini rata-rata "
        "mencapai Rp 14.500 per kilogram, menurut laporan bulanan Lembaga Kajian Harga Pangan Nusantara (LKHPN).\n\n"
        "Pedagang di Pasar Induk Cipinang mengeluhkan turunnya daya beli. Pemerintah akan menggelar operasi pasar "
        "mulai pekan depan.")),
    "calder-bay-ferry-2025-04-01.md": ("Calder Bay Ferry Fares Rise", "2025-04-01", (
        "The Calder Bay ferry raised its fares on Tuesday. The price of a single adult ticket across the bay is now "
        "$5.75, the operator said, citing higher fuel bills.\n\nCommuters said the crossing is still cheaper than "
        "driving around the bay. The operator runs twelve crossings a day.")),
    "calder-bay-ferry-2026-04-01.md": ("Calder Bay Ferry Fares Rise Again", "2026-04-01", (
        "The Calder Bay ferry raised its fares again on Wednesday. The price of a single adult ticket across the bay "
        "is now $6.50, the operator said, citing higher wages.\n\nCommuters said the crossing is still cheaper than "
        "driving around the bay. The operator runs fourteen crossings a day.")),
}


@pytest.fixture(scope="module")
def two_reports(tmp_path_factory, embedder):
    """The real pipeline over two reports of the same price a year apart, in each language."""
    tmp = tmp_path_factory.mktemp("dates")
    corpus = tmp / "articles"
    corpus.mkdir()
    for name, (title, date, text) in ARTICLES.items():
        (corpus / name).write_text(f"---\ntitle: {title}\ndate: {date}\n---\n{text}\n", encoding="utf-8")
    settings = make_settings(tmp, articles_dir=corpus)
    assert not build_index(corpus, settings, embedder).problems
    return Pipeline(settings, Retriever(settings, embedder), Generator(settings))


@pytest.mark.parametrize("question, newer, older, date, phrase", [
    ("Berapa harga beras medium sekarang?", "14.500", "13.200", "2026-02-12", "Per 12 Februari 2026 (tanggal artikel)"),
    ("What is the latest price of a Calder Bay ferry ticket?", "6.50", "5.75", "2026-04-01",
     "As of 1 April 2026 (article date)"),
])
def test_a_question_about_now_is_answered_from_the_newer_article_with_its_date(two_reports, question, newer, older,
                                                                               date, phrase):
    events = list(two_reports.answer(question))
    found = next(e for e in events if isinstance(e, EvidenceFound))
    answer = events[-1]
    assert isinstance(answer, Answer) and answer.refusal is None, (answer.draft, answer.refusal)
    assert newer in answer.text and older not in answer.text
    assert answer.evidence and {c.published for c in answer.evidence} == {date}
    assert answer.as_of == date and answer.as_of_label == phrase
    assert found.as_of == date and found.evidence[0].published == date


def test_other_questions_carry_no_date(two_reports):
    answer = two_reports.ask("Berapa harga beras medium?")
    assert answer.refusal is None and answer.as_of is None and answer.as_of_label is None
