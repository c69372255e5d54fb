"""Sentence splitting, chunking and language detection."""
from __future__ import annotations

import pytest

from rag.text.chunking import chunk_article, chunk_text, embedding_input, split_sentences
from rag.text.language import STOPWORDS, detect_language
from rag.types import Article, Chunk


def sentences(text: str) -> list[str]:
    spans = split_sentences(text)
    for start, end in spans:
        piece = text[start:end]
        assert piece == piece.strip() and piece
    return [text[s:e] for s, e in spans]


@pytest.mark.parametrize("text", [
    "Inflasi tercatat 49,07 persen pada bulan lalu.",
    "Sebanyak 4.000 warga mengungsi ke 12 titik.",
    "Pemerintah menyiapkan Rp 2,5 triliun untuk bantuan.",
    "Growth was 3.5 percent last year.",
    "Dr. Budi bertemu H. Ahmad dan Hj. Siti di kantor.",
    "Prof. Ir. Joko dan dr. Rina tinggal di Jl. Sudirman No. 5 Jakarta.",
    "Barang disita, dll. yang lain masih dicari.",
    "Pembayaran a.n. Budi u.p. Bagian Keuangan sudah diterima.",
    "Saham PT Bank Rakyat Indonesia Tbk. Naik tajam.",
    "Mr. Smith met Mrs. Jones and Ms. Lee at St. Mary church.",
    "The U.S. Army arrived on Jan. 5 and left on Feb. 20.",
    "Bring fruit, e.g. Apples, i.e. Red ones, etc. and vegetables.",
    "Menurut A. Rahman, kondisinya membaik.",
    "Dia menunggu... Tetapi tidak ada yang datang.",
    "Kunjungi https://www.kompas.com/read/2026/01/20/banjir.html atau kirim ke redaksi@kompas.com untuk info.",
    '"Kami siap. Semua sudah beres," kata Bupati.',
    "Ia berkata “Tunggu! Jangan pergi dulu” lalu diam.",
])
def test_no_split(text: str) -> None:
    assert sentences(text) == [text]


def test_splits_at_sentence_ends_lines_and_paragraphs() -> None:
    text = ("Banjir melanda Demak. Ribuan warga mengungsi! Apakah tanggul jebol? Ya.\n"
            'Dia berkata, "Kami siap." Lalu pergi.\n\n'
            "Paragraf kedua tanpa titik\nBaris berikutnya. 2026 adalah tahun sulit.")
    assert sentences(text) == [
        "Banjir melanda Demak.", "Ribuan warga mengungsi!", "Apakah tanggul jebol?", "Ya.",
        'Dia berkata, "Kami siap."', "Lalu pergi.",
        "Paragraf kedua tanpa titik", "Baris berikutnya.", "2026 adalah tahun sulit.",
    ]


def test_no_split_before_lowercase() -> None:
    assert len(sentences("Harga naik. kemudian turun.")) == 1


def test_chunk_offsets_and_sentences_intact() -> None:
    sents = [f"Kalimat nomor {i} membahas harga beras di pasar induk." for i in range(40)]
    text = " ".join(sents[:20]) + "\n\n" + " ".join(sents[20:])
    spans = chunk_text(text, target_chars=300, overlap_sentences=1)
    assert len(spans) > 3
    sentence_spans = set(split_sentences(text))
    starts = {s for s, _ in sentence_spans}
    ends = {e for _, e in sentence_spans}
    for start, end in spans:
        assert start in starts and end in ends  # never cuts a sentence
        assert end - start <= 300 + 150
    # Everything is covered, in order, and every chunk advances.
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    for (s1, e1), (s2, e2) in zip(spans, spans[1:]):
        assert s1 < s2 and e1 < e2 and s2 <= e1 + 2


def test_overlap_repeats_last_sentence() -> None:
    sents = [f"Sentence number {i} is here." for i in range(30)]
    text = " ".join(sents)
    spans = chunk_text(text, target_chars=120, overlap_sentences=1)
    chunks = [text[s:e] for s, e in spans]
    for prev, cur in zip(chunks, chunks[1:]):
        last = sentences(prev)[-1]
        assert cur.startswith(last)
        assert cur != last  # never a chunk made only of overlap
    no_overlap = chunk_text(text, target_chars=120, overlap_sentences=0)
    for (_, e1), (s2, _) in zip(no_overlap, no_overlap[1:]):
        assert s2 > e1


def test_big_overlap_still_advances() -> None:
    text = " ".join(f"Kalimat {i} cukup panjang untuk diuji di sini." for i in range(50))
    spans = chunk_text(text, target_chars=100, overlap_sentences=5)
    assert spans[-1][1] == len(text)
    assert all(b[0] > a[0] for a, b in zip(spans, spans[1:]))


def test_paragraph_boundary_preferred() -> None:
    para1 = " ".join(f"Satu {i} kalimat di paragraf pertama." for i in range(5))
    para2 = " ".join(f"Dua {i} kalimat di paragraf kedua." for i in range(5))
    text = para1 + "\n\n" + para2
    spans = chunk_text(text, target_chars=300, overlap_sentences=0)
    assert text[spans[0][0]:spans[0][1]] == para1


def test_huge_single_line_is_split() -> None:
    text = " ".join(["kata"] * 5000)  # ~25k chars, no sentence end
    spans = chunk_text(text, target_chars=800)
    assert len(spans) > 10
    for start, end in spans:
        assert end - start <= 2 * 800
        assert not text[start:end].startswith(" ") and not text[start:end].endswith(" ")
        assert text[start - 1:start] in ("", " ")  # cut at whitespace, not inside a word
    no_space = "x" * 5000
    assert all(e - s <= 1600 for s, e in chunk_text(no_space, target_chars=800))
    assert chunk_text(no_space, target_chars=800)[-1][1] == 5000


@pytest.mark.parametrize("text", ["", "   ", "\n\n\n"])
def test_empty_text_has_no_chunks(text: str) -> None:
    assert chunk_text(text) == []
    assert split_sentences(text) == []


def test_chunk_article_and_embedding_input() -> None:
    text = "Banjir melanda Demak. Warga mengungsi.\n\nBantuan tiba."
    art = Article(id="a1", title="Banjir Demak", text=text, source="a.txt", published="2026-03-14")
    chunks = chunk_article(art, target_chars=25, overlap_sentences=0)
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    assert all(c.text == art.text[c.start:c.end] and c.article_id == "a1" for c in chunks)
    assert embedding_input(art, chunks[0]) == "Banjir Demak (2026-03-14)\n" + chunks[0].text
    bare = Article(id="b", title="", text="Isi.", source="b.txt")
    chunk = Chunk(article_id="b", ordinal=0, start=0, end=4, text="Isi.")
    assert embedding_input(bare, chunk) == "Isi."


@pytest.mark.parametrize("text,lang", [
    ("Berapa harga beras?", "id"),
    ("Siapa yang memenangkan pemilu?", "id"),
    ("Kapan banjir Demak terjadi?", "id"),
    ("Mengapa harga cabai naik?", "id"),
    ("Banjir melanda Demak dan ribuan warga mengungsi ke tempat yang lebih aman.", "id"),
    ("When did the marathon start?", "en"),
    ("Who won the election?", "en"),
    ("How much is rice in Jakarta?", "en"),
    ("The flood hit the city and thousands of people were evacuated.", "en"),
    ("", "und"),
    ("12345 !!!", "und"),
])
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_stopwords() -> None:
    for word in ("yang", "apa", "siapa", "kapan", "berapa", "dimana", "di mana", "bagaimana",
                 "mengapa", "kenapa", "manakah", "apakah", "siapakah", "berapakah", "kapankah"):
        assert word in STOPWORDS["id"]
    assert {"the", "what", "which"} <= STOPWORDS["en"]
    assert "beras" not in STOPWORDS["id"]
