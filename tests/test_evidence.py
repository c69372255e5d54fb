"""Sentence-level evidence: question kinds, ranking the sentences of passages, excerpts for the prompt."""
from __future__ import annotations

import pytest

from rag.answer.evidence import Ranking, has_kind, rank_evidence
from rag.text.question import counted_noun, make_question, question_kind
from rag.types import Hit

DEMAK = ("Hujan deras mengguyur Kabupaten Demak sejak Sabtu malam. Tanggul sungai jebol sepanjang 45 meter. "
         "Kepala BPBD Demak mengatakan sedikitnya 4.000 warga telah dievakuasi ke 18 titik pengungsian. "
         "Hingga Senin sore, tercatat 1.350 rumah terendam. Warga yang ingin membantu korban banjir dapat "
         "menyalurkan donasi ke posko.")
PRICES = ("Harga beras medium naik 3,2 persen dalam sebulan. Kini harga rata-rata mencapai Rp 14.500 per "
          "kilogram. Pedagang mengeluhkan turunnya daya beli.")


KIND_QUESTIONS = {"number": "Berapa?", "date": "Kapan?", "name": "Siapa?", "definition": "Apa yang dimaksud?"}


def kind_of(kind: str, question: str = ""):
    """A question asking for ``kind`` (``question`` itself when given)."""
    asked = make_question(question or KIND_QUESTIONS[kind])
    assert asked.kind == kind
    return asked


def rank(question: str, hits: list[Hit], idf: dict[str, float] | None = None) -> list:
    return list(rank_evidence(make_question(question), hits, idf).sentences)


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
    assert has_kind("Sebanyak 4.000 warga mengungsi.", kind_of("number"))
    assert not has_kind("Warga mengungsi ke posko.", kind_of("number"))
    assert has_kind("Tiga desa terendam.", kind_of("number"))  # number words count
    assert not has_kind("Banjir terjadi pada 2026.", kind_of("date", "Kapan banjir terjadi pada 2026?"))
    assert has_kind("Banjir terjadi pada Senin.", kind_of("date"))
    assert has_kind("Pertandingan dimenangi Raka Pradipta.", kind_of("name"))
    assert not has_kind("Pertandingan dimenangi tim tuan rumah.", kind_of("name"))
    assert has_kind("Homeostasis adalah mekanisme pengaturan tubuh.", kind_of("definition"))


def test_a_count_does_not_answer_when():
    assert not has_kind("Akibatnya, 12 desa di tiga kecamatan terendam air setinggi 1,5 meter.", kind_of("date"))
    assert has_kind("Hujan deras mengguyur sejak Sabtu (17/1/2026) malam.", kind_of("date"))
    assert has_kind("Kerajaan itu runtuh pada 493.", kind_of("date"))  # a year, however old
    assert has_kind("Candi itu dibangun pada abad ke-9.", kind_of("date"))
    assert has_kind("Kota itu didirikan tahun 57 SM.", kind_of("date"))
    assert has_kind("The bridge opened in 1998.", kind_of("date", "When did the bridge open?"))


def test_a_date_does_not_answer_how_many():
    assert not has_kind("The farm began delivering power on Monday, March 30, 2026.", kind_of("number"))
    assert not has_kind("Banjir melanda Demak pada 20 Januari 2026.", kind_of("number", "Berapa warga mengungsi?"))
    assert has_kind("Banjir melanda Demak pada 20 Januari 2026.", kind_of("date", "Kapan banjir melanda Demak?"))
    assert has_kind("Sebanyak 2000 warga mengungsi.", kind_of("number"))
    assert not has_kind("Sebanyak 4.000 warga mengungsi.", kind_of("number", "Berapa warga mengungsi, 4.000?"))


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
    ranked = rank("How many homes will the Dunmore Valley solar farm power?",
                  [hit(text, "dunmore", "Dunmore Valley Solar Farm Switches On")])
    assert "34,000 homes" in ranked[0].text


def test_how_many_people_is_answered_by_a_count_of_residents_not_of_trucks():
    text = ("Status Gunung Api Rinjani naik menjadi Siaga pada Selasa. Petugas segera mengevakuasi 1.200 warga dari "
            "tiga desa ke gedung olahraga. Pemerintah juga menyiapkan 20 truk untuk evakuasi tambahan apabila status "
            "kembali dinaikkan.")
    ranked = rank("Berapa orang yang dievakuasi dari sekitar Gunung Rinjani?", [hit(text)])
    assert "1.200 warga" in ranked[0].text
    ranked = rank("How many people were evacuated?", [hit("Officials evacuated 1,200 residents from three villages. "
                                                            "They also readied 20 trucks to evacuate more people.")])
    assert "1,200 residents" in ranked[0].text


def test_the_sentence_that_answers_ranks_first():
    ranked = rank("Berapa warga yang mengungsi karena banjir di Demak?", [hit(DEMAK)])
    assert "4.000 warga" in ranked[0].text
    ranked = rank("Berapa rumah yang terendam?", [hit(DEMAK)])
    assert "1.350 rumah" in ranked[0].text
    assert all(DEMAK[e.start:e.end] == e.text for e in ranked)


def test_rarer_question_words_weigh_more():
    text = "Indonesia mengirim tim ke Piala Thomas. Pelatih Christian Hadinata memimpin latihan di Indonesia."
    rare = {"hadinata": 5.0, "latih": 3.0}
    idf = {stem: rare.get(stem, 0.2) for stem in make_question("Siapa pelatih tim Indonesia?").stems}
    ranked = rank("Siapa pelatih tim Indonesia?", [hit(text)], idf)
    assert "Hadinata" in ranked[0].text


def test_the_first_article_wins_a_tie_and_duplicates_from_overlapping_chunks_are_dropped():
    first = hit(PRICES, "beras-a", "Harga Beras")
    second = hit(PRICES, "beras-b", "Harga Beras", chunk_id=2)
    overlap = hit(PRICES[PRICES.index("Kini"):], "beras-a", "Harga Beras", start=PRICES.index("Kini"), chunk_id=3)
    ranked = rank("Berapa harga beras medium?", [first, second, overlap])
    assert [e.hit.article_id for e in ranked[:2]] == ["beras-a", "beras-b"]  # the same sentence, article order
    keys = [(e.hit.article_id, e.hit.start + e.start) for e in ranked]
    assert len(keys) == len(set(keys)) == 6


def test_excerpts_keep_article_offsets():
    article = "Judul\n\n" + DEMAK
    start = article.index("Hujan")
    ranking = rank_evidence(make_question("Berapa warga yang mengungsi?"), [hit(DEMAK, start=start)])
    [(excerpt, chosen)] = ranking.excerpts(count=1)
    assert excerpt.hit.text == chosen[0].text and excerpt.hit.text.startswith("Kepala BPBD")
    assert article[excerpt.hit.start:excerpt.hit.end] == excerpt.hit.text
    assert chosen == list(ranking.sentences[:1])
    assert excerpt.sentences == ((0, len(excerpt.hit.text)),)  # its sentences, not split again


def test_excerpts_of_one_passage_span_from_its_first_to_its_last_chosen_sentence():
    ranking = rank_evidence(make_question("Berapa warga mengungsi dan berapa rumah terendam?"), [hit(DEMAK)])
    [(excerpt, chosen)] = ranking.excerpts(count=2)
    assert excerpt.hit.text.startswith("Kepala BPBD") and excerpt.hit.text.endswith("rumah terendam.")
    assert len(excerpt.sentences) == 2 and len(chosen) == 2


def test_answerability_is_high_for_an_answer_and_low_off_topic():
    def answerability(question: str) -> float:
        return rank_evidence(make_question(question), [hit(DEMAK)]).answerability

    assert answerability("Berapa warga yang mengungsi di Demak?") > 0.7
    assert answerability("Siapa presiden Amerika Serikat tahun 1990?") < 0.2
    assert Ranking((), ()).answerability == 0.0
