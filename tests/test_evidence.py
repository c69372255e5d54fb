"""Sentence-level evidence: question kinds, ranking the sentences of passages, excerpts for the prompt."""
from __future__ import annotations

import pytest

from rag.answer.evidence import answerability, counted_noun, excerpts, has_kind, question_kind, rank_sentences
from rag.types import Hit

DEMAK = ("Hujan deras mengguyur Kabupaten Demak sejak Sabtu malam. Tanggul sungai jebol sepanjang 45 meter. "
         "Kepala BPBD Demak mengatakan sedikitnya 4.000 warga telah dievakuasi ke 18 titik pengungsian. "
         "Hingga Senin sore, tercatat 1.350 rumah terendam. Warga yang ingin membantu korban banjir dapat "
         "menyalurkan donasi ke posko.")
PRICES = ("Harga beras medium naik 3,2 persen dalam sebulan. Kini harga rata-rata mencapai Rp 14.500 per "
          "kilogram. Pedagang mengeluhkan turunnya daya beli.")


def hit(text: str, article_id: str = "demak", title: str = "Banjir Rendam Demak", start: int = 0,
        chunk_id: int = 1) -> Hit:
    return Hit(chunk_id=chunk_id, article_id=article_id, title=title, published="2026-01-20", text=text,
               start=start, end=start + len(text), score=1.0, dense_score=None, lexical_score=None)


@pytest.mark.parametrize("question, kind", [
    ("Berapa warga yang mengungsi?", "number"), ("How many homes were flooded?", "number"),
    ("Tahun berapa jembatan itu dibangun?", "date"), ("Kapan banjir terjadi?", "date"),
    ("When did the flood start?", "date"), ("Siapa kepala BPBD Demak?", "name"), ("Who won the final?", "name"),
    ("Di mana letak Gunung Meja?", "name"), ("Apa yang dimaksud dengan homeostasis?", "definition"),
    ("What is photosynthesis?", "definition"), ("What is the name of the stadium?", None),
    ("Mengapa harga beras naik?", None),
])
def test_question_kind(question, kind):
    assert question_kind(question) == kind


def test_has_kind_ignores_what_the_question_already_says():
    assert has_kind("Sebanyak 4.000 warga mengungsi.", "number")
    assert not has_kind("Warga mengungsi ke posko.", "number")
    assert has_kind("Tiga desa terendam.", "number")  # number words count
    assert not has_kind("Banjir terjadi pada 2026.", "date", "Apa yang terjadi pada 2026?")
    assert has_kind("Banjir terjadi pada Senin.", "date")
    assert has_kind("Pertandingan dimenangi Raka Pradipta.", "name")
    assert not has_kind("Pertandingan dimenangi tim tuan rumah.", "name")
    assert has_kind("Homeostasis adalah mekanisme pengaturan tubuh.", "definition")


def test_a_date_does_not_answer_how_many():
    assert not has_kind("The farm began delivering power on Monday, March 30, 2026.", "number")
    assert not has_kind("Banjir melanda Demak pada 20 Januari 2026.", "number", "Berapa warga mengungsi?")
    assert has_kind("Banjir melanda Demak pada 20 Januari 2026.", "date", "Kapan banjir melanda Demak?")
    assert has_kind("Sebanyak 2000 warga mengungsi.", "number")
    assert not has_kind("Sebanyak 4.000 warga mengungsi.", "number", "Apakah 4.000 warga mengungsi?")


@pytest.mark.parametrize("question, noun", [
    ("Berapa warga yang mengungsi?", "warga"), ("Berapa jumlah korban tewas?", "korban"),
    ("How many homes will the farm power?", "home"), ("How much did it cost?", None), ("Siapa dia?", None),
])
def test_counted_noun(question, noun):
    language = "en" if question.startswith("How") else "id"
    assert counted_noun(question, language) == noun


def test_the_number_that_counts_what_is_asked_beats_a_sentence_with_a_date_and_the_names():
    text = ("The Dunmore Valley Solar Farm began delivering electricity on Monday, March 30, 2026, after two "
            "years of construction. The 120-megawatt project is made up of 280,000 panels. According to its "
            "developer, the farm will produce enough electricity to power about 34,000 homes each year.")
    ranked = rank_sentences("How many homes will the Dunmore Valley solar farm power?",
                            [hit(text, "dunmore", "Dunmore Valley Solar Farm Switches On")], "en")
    assert "34,000 homes" in ranked[0].text


def test_the_sentence_that_answers_ranks_first():
    ranked = rank_sentences("Berapa warga yang mengungsi karena banjir di Demak?", [hit(DEMAK)], "id")
    assert "4.000 warga" in ranked[0].text
    ranked = rank_sentences("Berapa rumah yang terendam?", [hit(DEMAK)], "id")
    assert "1.350 rumah" in ranked[0].text
    assert all(DEMAK[e.start:e.end] == e.text for e in ranked)


def test_rarer_question_words_weigh_more():
    text = "Indonesia mengirim tim ke Piala Thomas. Pelatih Christian Hadinata memimpin latihan di Indonesia."
    rare = {"hadinata": 5.0, "latih": 3.0}
    ranked = rank_sentences("Siapa pelatih tim Indonesia?", [hit(text)], "id", idf=lambda s: rare.get(s, 0.2))
    assert "Hadinata" in ranked[0].text


def test_the_first_article_wins_a_tie_and_duplicates_from_overlapping_chunks_are_dropped():
    first = hit(PRICES, "beras-a", "Harga Beras")
    second = hit(PRICES, "beras-b", "Harga Beras", chunk_id=2)
    overlap = hit(PRICES[PRICES.index("Kini"):], "beras-a", "Harga Beras", start=PRICES.index("Kini"), chunk_id=3)
    ranked = rank_sentences("Berapa harga beras medium?", [first, second, overlap], "id")
    assert [e.hit.article_id for e in ranked[:2]] == ["beras-a", "beras-b"]  # the same sentence, article order
    keys = [(e.hit.article_id, e.hit.start + e.start) for e in ranked]
    assert len(keys) == len(set(keys)) == 6


def test_excerpts_keep_neighbours_and_article_offsets():
    article = "Judul\n\n" + DEMAK
    start = article.index("Hujan")
    ranked = rank_sentences("Berapa warga yang mengungsi?", [hit(DEMAK, start=start)], "id")
    [(excerpt, chosen)] = excerpts(ranked, count=1, neighbours=1)
    assert excerpt.text.startswith("Tanggul sungai") and excerpt.text.endswith("rumah terendam.")
    assert article[excerpt.start:excerpt.end] == excerpt.text
    assert chosen == ranked[:1]
    [(alone, _)] = excerpts(ranked, count=1, neighbours=0)
    assert alone.text == chosen[0].text


def test_excerpts_of_one_passage_span_from_its_first_to_its_last_chosen_sentence():
    ranked = rank_sentences("Berapa warga mengungsi dan berapa rumah terendam?", [hit(DEMAK)], "id")
    [(excerpt, chosen)] = excerpts(ranked, count=2, neighbours=0)
    assert excerpt.text.startswith("Kepala BPBD") and excerpt.text.endswith("rumah terendam.")


def test_answerability_is_high_for_an_answer_and_low_off_topic():
    assert answerability(rank_sentences("Berapa warga yang mengungsi di Demak?", [hit(DEMAK)], "id")) > 0.7
    assert answerability(rank_sentences("Siapa presiden Amerika Serikat tahun 1990?", [hit(DEMAK)], "id")) < 0.2
    assert answerability([]) == 0.0
