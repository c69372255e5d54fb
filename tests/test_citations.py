"""Answer checking: alignment of answer sentences to source sentences and fact verification."""
from __future__ import annotations

import pytest

from rag.answer.citations import _candidates, _cosines, _pick, _rank, check_answer
from rag.answer.markers import parse_markers, split_answer, strip_markers
from rag.answer.records import REPEATS_QUESTION, AnswerSentence, Citation, Source
from rag.answer.support import verify
from rag.text.question import make_question
from rag.types import Hit


def align(sentence: str, sources: list[Source], language: str, embedder=None) -> list[Citation]:
    """The alignment on its own: the best source sentence (or pair) for ``sentence``, plus a close second."""
    candidates = _candidates(sources, language)
    cosines = _cosines([sentence], candidates, embedder)
    ranked = _rank(sentence, candidates, language, None if cosines is None else cosines[0])
    return [c.citation() for c in _pick(ranked)]

BANJIR = (
    "Banjir Rendam Jakarta Timur\n\n"
    "JAKARTA — Banjir merendam sejumlah wilayah di Jakarta Timur pada Senin, 20 Januari 2026. "
    "Kepala BPBD DKI Jakarta, H. Sutrisno Wibowo, mengatakan sebanyak 4.000 warga mengungsi ke "
    "posko darurat. Ketinggian air mencapai 1,5 meter di Kelurahan Cawang. "
    "Menurut BPBD, 49,07 persen wilayah kecamatan terdampak banjir. "
    "Pemerintah provinsi memperkirakan kerugian akibat banjir mencapai Rp 2,5 triliun.\n\n"
    "Warga diminta tetap waspada karena hujan deras diperkirakan masih turun hingga akhir pekan."
)
BERAS = (
    "Harga Beras Naik\n\n"
    "Harga beras medium di Pasar Induk Cipinang naik menjadi Rp 13.500 per kilogram pada Selasa "
    "(21/1/2026). Pedagang mengatakan pasokan berkurang karena jalan menuju gudang terendam banjir."
)
TUNNEL = (
    "Lagos metro tunnel completed\n\n"
    "Engineers completed the final 1,400 metres of the Lagos metro tunnel on Tuesday. "
    "Mr. Daniel Okafor, the project director, said the works cost $210 million. "
    "Inflation in the construction sector reached 3.2% last year, the statistics office said."
)
BUDGET = (
    "Council approves parks budget\n\n"
    "The city council approved a budget of $45 million for new parks on Monday. "
    "Council member Sarah Lin said construction would begin in March."
)
ARTICLES = {"banjir": BANJIR, "beras": BERAS, "tunnel": TUNNEL, "budget": BUDGET}


def make_source(number: int, article_id: str, chunk_id: int = 0) -> Source:
    """The article body after its title line, as one retrieved chunk."""
    text = ARTICLES[article_id]
    start = text.index("\n\n") + 2
    hit = Hit(chunk_id=chunk_id or number, article_id=article_id, title=text.split("\n")[0],
              published="2026-01-20", text=text[start:], start=start, end=len(text), score=1.0,
              dense_score=None, lexical_score=None)
    return Source(number, hit)


@pytest.fixture
def id_sources() -> list[Source]:
    return [make_source(1, "banjir"), make_source(2, "beras")]


@pytest.fixture
def en_sources() -> list[Source]:
    return [make_source(1, "tunnel"), make_source(2, "budget")]


def check_one(sentence: str, sources: list[Source], language: str) -> AnswerSentence:
    [result] = check_answer(sentence, sources, language)
    return result


def assert_cites(result: AnswerSentence, article_id: str, number: int, fragment: str) -> None:
    citation = result.citations[0]
    assert (citation.article_id, citation.number) == (article_id, number)
    assert ARTICLES[article_id][citation.start:citation.end] == citation.quote
    assert fragment in citation.quote


# --- markers and sentence splitting -------------------------------------------------------

@pytest.mark.parametrize("text, numbers", [
    ("Banjir [1].", [1]),
    ("Banjir [1, 3].", [1, 3]),
    ("Banjir [1][2] dan [2].", [1, 2]),
    ("Banjir [1-3].", [1, 2, 3]),
    ("Banjir [ 2 ; 4 ].", [2, 4]),
    ("Tahun 2026 tanpa penanda.", []),
])
def test_parse_markers(text, numbers):
    assert parse_markers(text) == numbers


def test_strip_markers():
    assert strip_markers("Sebanyak 4.000 warga mengungsi [1, 2].") == "Sebanyak 4.000 warga mengungsi."
    assert strip_markers("It cost $210 million.[1][2]") == "It cost $210 million."


def test_split_answer_keeps_markers_with_their_sentence():
    answer = "Banjir melanda Jakarta.[1] Sebanyak 4.000 warga mengungsi [1, 2]. Sumber: [1]."
    pieces = [answer[s:e] for s, e in split_answer(answer)]
    assert pieces == ["Banjir melanda Jakarta.[1]", "Sebanyak 4.000 warga mengungsi [1, 2].",
                      "Sumber: [1]."]
    answer = "First fact. [1][2]\n[3] Second fact."
    assert [answer[s:e] for s, e in split_answer(answer)] == ["First fact. [1][2]", "[3] Second fact."]


# --- number and name verification -------------------------------------------------------

@pytest.mark.parametrize("claim, support, language", [
    ("Sebanyak 4000 warga mengungsi.", "sebanyak 4.000 warga mengungsi", "id"),
    ("Sebanyak 4.000 warga mengungsi.", "sebanyak 4000 warga mengungsi", "id"),
    ("Sebanyak 4,000 warga mengungsi.", "sebanyak 4.000 warga mengungsi", "id"),
    ("Sebanyak 49.07 persen wilayah terdampak.", "49,07 persen wilayah terdampak", "id"),
    ("Kerugian mencapai Rp 2.5 triliun.", "kerugian mencapai Rp2,5 triliun", "id"),
    ("Inflasi mencapai 3,2 persen.", "inflasi mencapai 3.2%", "id"),
    ("They dug 1400 metres.", "they dug 1,400 metres", "en"),
    ("They dug 1.400 metres.", "they dug 1,400 metres", "en"),
    ("Inflation reached 3.2%.", "inflation reached 3,2 percent", "en"),
    ("Banjir terjadi pada 20 Januari 2026.", "banjir terjadi Senin (20/1/2026)", "id"),
])
def test_numbers_match_across_separator_conventions(claim, support, language):
    assert verify(claim, [support], language) == (True, [])


@pytest.mark.parametrize("claim, support, number", [
    ("Sebanyak 40 warga mengungsi.", "sebanyak 4.000 warga mengungsi", "40"),
    ("Sebanyak 4 warga mengungsi.", "sebanyak 4.000 warga mengungsi", "4"),
    ("Sebanyak 49,7 persen wilayah terdampak.", "49,07 persen wilayah terdampak", "49,7"),
    ("Banjir terjadi pada 20 Januari 2025.", "banjir terjadi 20 Januari 2026", "2025"),
])
def test_different_numbers_do_not_match(claim, support, number):
    ok, problems = verify(claim, [support], "id")
    assert not ok and problems == [f"number {number} not in source"]


def test_names_allow_indonesian_suffixes_and_ignore_case():
    support = "Warga Jakarta-nya mengungsi, kata BPBD."
    assert verify("Menurut bpbd, warga Jakarta mengungsi.", [support], "id")[0]
    assert verify("Menurut BPBD, warga Jakartanya mengungsi.", ["warga jakarta mengungsi, kata bpbd"], "id")[0]
    ok, problems = verify("Menurut BNPB, warga Jakarta mengungsi.", [support], "id")
    assert not ok and problems == ["name 'BNPB' not in source"]


# --- whole answers: Indonesian ----------------------------------------------------------

def test_faithful_indonesian_sentence_is_verified_and_cited(id_sources):
    result = check_one("Menurut BPBD DKI Jakarta, sebanyak 4.000 warga mengungsi ke posko darurat [1].",
                       id_sources, "id")
    assert result.verified and result.problems == []
    assert result.markers == [1] and len(result.citations) == 1
    assert_cites(result, "banjir", 1, "4.000 warga mengungsi")
    assert result.citations[0].quote.startswith("Kepala BPBD")


def test_invented_number_is_flagged(id_sources):
    result = check_one("Sebanyak 5.000 warga mengungsi ke posko darurat [1].", id_sources, "id")
    assert not result.verified
    assert "number 5.000 not in source [1]" in result.problems
    assert_cites(result, "banjir", 1, "4.000 warga")


def test_invented_name_is_flagged(id_sources):
    result = check_one("Bupati Ahmad Yani mengatakan 4.000 warga mengungsi ke posko darurat [1].",
                       id_sources, "id")
    assert not result.verified
    assert result.problems == ["name 'Bupati Ahmad Yani' not in source [1]"]


def test_wrong_marker_gets_the_supporting_source(id_sources):
    result = check_one("Kerugian akibat banjir diperkirakan mencapai Rp 2,5 triliun [2].", id_sources, "id")
    assert result.verified and result.markers == [2]
    assert_cites(result, "banjir", 1, "Rp 2,5 triliun")


def test_sentence_without_marker_gets_an_aligned_citation(id_sources):
    result = check_one("Sekitar 49,07 persen wilayah kecamatan terdampak banjir.", id_sources, "id")
    assert result.verified and result.markers == []
    assert_cites(result, "banjir", 1, "49,07 persen")


def test_merged_adjacent_sentences_are_cited_as_one_span(id_sources):
    result = check_one("Sutrisno Wibowo mengatakan 4.000 warga mengungsi, sementara ketinggian air "
                       "mencapai 1,5 meter di Kelurahan Cawang [1].", id_sources, "id")
    assert result.verified, result.problems
    assert_cites(result, "banjir", 1, "4.000 warga")
    assert "1,5 meter" in result.citations[0].quote


def test_unrelated_sentence_is_unverified(id_sources):
    result = check_one("Cuaca hari ini cerah.", id_sources, "id")
    assert not result.verified and result.problems


def test_boilerplate_has_no_content(id_sources):
    result = check_one("Sumber: [1].", id_sources, "id")
    assert not result.verified and result.problems == ["no content"] and result.citations == []


def test_check_answer_spans_and_mixed_verdicts(id_sources):
    answer = ("Banjir merendam Jakarta Timur pada 20 Januari 2026 [1]. Harga beras medium naik "
              "menjadi Rp 13.500 per kilogram [2]. Gubernur Budi Santoso meninjau posko [1].")
    results = check_answer(answer, id_sources, "id")
    assert [answer[r.start:r.end] for r in results] == [r.text for r in results]
    assert [r.verified for r in results] == [True, True, False]
    assert_cites(results[0], "banjir", 1, "20 Januari 2026")
    assert_cites(results[1], "beras", 2, "Rp 13.500")
    assert any("Budi Santoso" in p for p in results[2].problems)


# --- whole answers: English -------------------------------------------------------------

def test_faithful_english_sentence_is_verified_and_cited(en_sources):
    result = check_one("Project director Daniel Okafor said the works cost $210 million [1].",
                       en_sources, "en")
    assert result.verified, result.problems
    assert_cites(result, "tunnel", 1, "$210 million")


def test_english_invented_number_and_name(en_sources):
    result = check_one("Engineers completed the final 1,500 metres of the tunnel [1].", en_sources, "en")
    assert not result.verified and "number 1,500 not in source [1]" in result.problems
    result = check_one("Mayor John Smith said the works cost $210 million [1].", en_sources, "en")
    assert not result.verified
    assert any("John Smith" in p for p in result.problems)


def test_english_wrong_and_missing_markers(en_sources):
    result = check_one("The final 1400 metres of the tunnel were completed on Tuesday [2].",
                       en_sources, "en")
    assert result.verified and result.markers == [2]
    assert_cites(result, "tunnel", 1, "1,400 metres")
    result = check_one("Sarah Lin said construction of the parks would begin in March.", en_sources, "en")
    assert result.verified and result.markers == []
    assert_cites(result, "budget", 2, "Sarah Lin")


def test_english_unrelated_sentence_is_unverified(en_sources):
    result = check_one("The weather is sunny today.", en_sources, "en")
    assert not result.verified and result.citations == []


# --- alignment --------------------------------------------------------------------------

def test_align_returns_nothing_without_overlap(en_sources):
    assert align("Penguins live in Antarctica.", en_sources, "en") == []


def test_align_adds_a_close_second_from_another_source():
    sources = [make_source(1, "tunnel", chunk_id=10), make_source(2, "tunnel", chunk_id=20)]
    citations = align("Mr. Daniel Okafor said the works cost $210 million.", sources, "en")
    assert [c.number for c in citations] == [1, 2]
    assert citations[0].quote == citations[1].quote


def test_align_with_embeddings(embedder, en_sources):
    sentence = "Prices for building went up last year."
    assert align(sentence, en_sources, "en")[0].quote.startswith("Inflation")  # "year" overlap
    citations = align(sentence, en_sources, "en", embedder=embedder)
    assert citations and citations[0].quote.startswith("Inflation")
    # no shared stem at all: only the embeddings can find the sentence
    assert align("Prices for builders climbed.", en_sources, "en") == []
    citations = align("Prices for builders climbed.", en_sources, "en", embedder=embedder)
    assert citations and citations[0].quote.startswith("Inflation")


# --- thresholds -------------------------------------------------------------------------

def test_close_paraphrase_passes_and_unsupported_claim_fails(id_sources, en_sources):
    result = check_one("Hampir separuh wilayah kecamatan, tepatnya 49,07 persen, terdampak [1].",
                       id_sources, "id")
    assert result.verified, result.problems
    result = check_one("The council set aside $45 million for parks, and building starts in March [2].",
                       en_sources, "en")
    assert result.verified, result.problems
    result = check_one("The tunnel will open to passengers next year [1].", en_sources, "en")
    assert not result.verified
    assert result.problems == ["only 20% of content words found in source [1]"]
    result = check_one("Banjir disebabkan oleh luapan sungai di hulu [1].", id_sources, "id")
    assert not result.verified and "content words" in result.problems[-1]


def test_names_may_be_introduced_elsewhere_in_the_cited_passage(id_sources):
    # the official is named two sentences before the cited one; numbers must be in the quote
    result = check_one("Sutrisno Wibowo juga memperkirakan kerugian mencapai Rp 2,5 triliun [1].",
                       id_sources, "id")
    assert result.verified, result.problems
    assert result.citations[0].quote.startswith("Pemerintah provinsi")
    assert verify("Menurut Sutrisno, kerugian diperkirakan Rp 2,5 triliun.",
                  ["Pemerintah memperkirakan kerugian Rp 2,5 triliun."], "id") == (
        False, ["name 'Sutrisno' not in source"])


def test_an_answer_is_cited_to_the_sentence_holding_its_names_before_one_that_names_its_subject():
    # the lead names the farm; only the later sentence names its developer ("its developer, ...")
    ARTICLES["farm"] = ("Solar farm switches on\n\nThe Dunmore Valley Solar Farm began delivering electricity to the "
                        "grid on Monday outside the town of Ashbridge. The project has 280,000 panels. According to "
                        "its developer, Silverline Renewables, it will power about 34,000 homes.")
    (answer,) = check_answer("Silverline Renewables developed the Dunmore Valley solar farm [1].",
                             [make_source(1, "farm")], "en",
                             question=make_question("Who developed the Dunmore Valley solar farm?"))
    assert answer.verified, answer.problems
    assert_cites(answer, "farm", 1, "its developer, Silverline Renewables")


def test_month_names_are_checked_like_numbers():
    support = ["Banjir terjadi pada Senin (20/1/2026)."]
    assert verify("Banjir terjadi pada 20 Januari 2026.", support, "id")[0]
    assert verify("The flood happened on 20 January 2026.", ["flood happened 20 Januari 2026"], "en")[0]
    assert verify("Banjir terjadi pada 20 Februari 2026.", support, "id") == (
        False, ["month Februari not in source"])


def test_check_answer_with_embeddings(embedder, en_sources):
    answer = ("Engineers completed the final 1,400 metres of the tunnel [2]. "
              "Mr. Okafor said the works cost $250 million [1].")
    results = check_answer(answer, en_sources, "en", embedder=embedder)
    assert [r.verified for r in results] == [True, False]
    assert_cites(results[0], "tunnel", 1, "1,400 metres")
    assert results[1].problems == ["number 250 not in source [1]"]


def test_edge_cases(id_sources):
    assert check_answer("", id_sources, "id") == []
    [result] = check_answer("Sebanyak 4.000 warga mengungsi [1].", [], "id")
    assert not result.verified and result.problems == ["no supporting sentence in the sources"]
    [result] = check_answer("Sebanyak 4.000 warga mengungsi ke posko darurat [1].", id_sources, "und")
    assert result.verified


def test_two_word_claims_need_both_words():
    support = ["Banjir merendam sejumlah wilayah di Jakarta Timur."]
    assert verify("Banjir merendam wilayah.", support, "id")[0]
    assert verify("Banjir disebabkan luapan.", support, "id") == (
        False, ["only 50% of content words found in source"])


def test_terse_number_answer_must_sit_in_the_sentence_about_the_question():
    ARTICLES["zoo"] = ("Riverside Zoo opens\n\nThe zoo welcomed 2,400 visitors on its opening day. "
                       "Its director said the zoo houses 85 species.")
    sources = [make_source(1, "zoo")]
    question = "How many visitors did the zoo welcome on its opening day?"
    (right,) = check_answer("2,400.", sources, "en", question=make_question(question))
    assert right.verified and "2,400 visitors" in right.citations[0].quote
    # in the passage, but not the answer
    (wrong,) = check_answer("85.", sources, "en", question=make_question(question))
    assert not wrong.verified


def test_a_terse_answer_without_marker_verifies_in_the_evidence_sentence():
    # aligned together with the question's words, the subject sentence outranks the one with the number
    ARTICLES["solar"] = ("Dunmore Valley Solar Farm Switches On\n\nThe Dunmore Valley Solar Farm began delivering "
                         "electricity on Monday, March 30, 2026. The farm will power about 34,000 homes each year.")
    sources = [make_source(1, "solar")]
    question = "How many homes will the Dunmore Valley solar farm power?"
    for answer in ("About 34,000 homes.", "34,000."):
        (result,) = check_answer(answer, sources, "en", question=make_question(question))
        assert result.verified and "34,000 homes" in result.citations[0].quote, answer
    (wrong,) = check_answer("About 2,026 homes.", sources, "en", question=make_question(question))
    assert not wrong.verified


def test_a_terse_name_must_stand_in_the_supporting_sentence_not_just_the_passage():
    ARTICLES["gunung"] = ("Gunung Lokon Meletus\n\nGunung Lokon di Sulawesi Utara meletus pada Selasa pagi. "
                          "Abu vulkanik terbawa angin hingga radius sepuluh kilometer. "
                          "Tim dari Jakarta dijadwalkan tiba besok untuk meninjau.")
    sources = [make_source(1, "gunung")]
    question = "Di provinsi mana Gunung Lokon meletus?"
    (right,) = check_answer("Sulawesi Utara.", sources, "id", question=make_question(question))
    assert right.verified
    # in the passage, another sentence
    (wrong,) = check_answer("Jakarta.", sources, "id", question=make_question(question))
    assert not wrong.verified


def test_an_answer_that_repeats_the_question_verifies_nothing():
    source = make_source(1, "beras")
    question = "Berapa harga beras medium sekarang?"
    echoed = check_answer("Berapa harga beras medium sekarang?", [source], "id", question=make_question(question))
    assert [s.problems for s in echoed] == [[REPEATS_QUESTION]] and not any(s.is_claim for s in echoed)
    answered = check_answer("Harga beras medium Rp 13.500 per kilogram.", [source], "id",
                            question=make_question(question))
    assert answered[0].verified and answered[0].is_claim


# --- claims, not formatting -------------------------------------------------------------

HADINATA = ("Tim Indonesia\n\nTim bulu tangkis Indonesia berangkat ke Piala Thomas pekan depan. "
            "Tim itu dilatih oleh Christian Hadinata sejak 2024. Tim menginap di hotel dekat stadion.")


@pytest.mark.parametrize("marker", ["[n]", "[0]", "[9]", "(1)", "[source 1]", "[1.]"])
def test_a_correct_answer_with_a_malformed_marker_verifies(marker):
    ARTICLES["hadinata"] = HADINATA
    [result] = check_answer(f"Christian Hadinata {marker}", [make_source(1, "hadinata")], "id",
                            question=make_question("Siapa pelatih tim bulu tangkis Indonesia?"))
    assert result.verified, result.problems
    assert marker not in strip_markers(result.text) and result.markers == []
    assert "Christian Hadinata" in result.citations[0].quote


def test_an_invented_number_is_still_flagged_with_a_malformed_marker(id_sources):
    [result] = check_answer("Sebanyak 5.000 warga mengungsi [n].", id_sources, "id",
                            question=make_question("Berapa warga yang mengungsi?"))
    assert not result.verified and "number 5.000 not in source [1]" in result.problems


def test_words_repeated_from_the_question_are_given():
    ARTICLES["zoo"] = ("Riverside Zoo opens\n\nThe zoo welcomed 2,400 visitors on its opening day. "
                       "Its director said the zoo houses 85 species.")
    question = "How many visitors did the Riverside Zoo welcome on its opening day?"
    # "Riverside Zoo" is not in the supporting sentence: it is the question's, not a new claim
    [result] = check_answer("The Riverside Zoo welcomed 2,400 visitors on its opening day [1].",
                            [make_source(1, "zoo")], "en", question=make_question(question))
    assert result.verified, result.problems
    [result] = check_answer("The Riverside Zoo welcomed 2,400 visitors on its opening day [1].",
                            [make_source(1, "zoo")], "en")
    assert not result.verified  # without the question the name must be in the source


def test_a_number_from_a_sentence_about_something_else_is_flagged():
    ARTICLES["demak"] = ("Banjir Demak, 4.000 Warga Mengungsi\n\nHujan deras membuat tanggul sungai jebol. "
                         "Sedikitnya 4.000 warga telah dievakuasi ke 18 titik pengungsian. "
                         "Hingga Senin sore, tercatat 1.350 rumah terendam.")
    question = "Berapa warga yang mengungsi karena banjir di Demak?"
    sources = [make_source(1, "demak")]
    for wrong in ("1.350 warga [1].", "Sebanyak 1.350 warga mengungsi karena banjir di Demak [1]."):
        [result] = check_answer(wrong, sources, "id", question=make_question(question))
        assert not result.verified, wrong
        assert any("1.350" in p or "not about the question" in p for p in result.problems), result.problems
    [right] = check_answer("Sebanyak 4.000 warga mengungsi [1].", sources, "id", question=make_question(question))
    assert right.verified and "4.000 warga" in right.citations[0].quote


def test_a_leading_answer_label_is_not_a_claim_to_check(id_sources):
    [result] = check_answer("Jawaban: 4.000 warga [1].", id_sources, "id",
                            question=make_question("Berapa warga yang mengungsi?"))
    assert result.verified, result.problems


def test_a_unit_is_the_same_fact_however_it_is_written():
    assert verify("Antrean mencapai 6 km.", ["Antrean kendaraan mencapai 6 kilometer."], "id")[0]
    assert verify("Realisasinya 10,57 juta KL.", ["Realisasi mencapai 10,57 juta kiloliter."], "id")[0]
    assert not verify("Antrean mencapai 7 km.", ["Antrean kendaraan mencapai 6 kilometer."], "id")[0]
