"""The retriever's live index: one version per search, and a replaced version closed once no search holds it."""
from __future__ import annotations

import sqlite3

import pytest

from rag.indexing.builder import build_index
from rag.indexing.lexical import LexicalIndex
from rag.retrieve.retriever import Retriever
from tests.helpers.corpus import make_settings, write

PASAR = ("---\ntitle: Pasar Terapung Banjarmasin\ndate: 2026-02-01\n---\nPasar terapung Lok Baintan ramai "
         "dikunjungi wisatawan. Pedagang menjual buah dari perahu.")
# Sorted after pasar.md: its chunk gets the highest id, which the next build gives to its replacement.
BRIDGE = ("---\ntitle: New Bridge Opens\ndate: 2026-03-03\n---\nThe new suspension bridge opened to traffic on "
          "Monday. It is 1,400 metres long.")
TRAIN = ("---\ntitle: Kereta Cepat\ndate: 2026-04-01\n---\nKereta cepat melaju 350 km per jam. Perjalanan "
         "Jakarta ke Bandung kini 45 menit.")
QUESTION = "How long is the new suspension bridge?"


@pytest.fixture
def two_versions(tmp_path, embedder):
    """Settings whose live version holds the bridge article, and the name of a newer version in which its
    chunk id belongs to the train article."""
    corpus = tmp_path / "articles"
    write(corpus, {"pasar.md": PASAR, "z-bridge.md": BRIDGE})
    settings = make_settings(tmp_path)
    build_index(corpus, settings, embedder)
    pointer = settings.index_path / "CURRENT"
    first = pointer.read_text()
    (corpus / "z-bridge.md").unlink()
    write(corpus, {"z-train.md": TRAIN})
    build_index(corpus, settings, embedder)
    second = pointer.read_text()
    assert second != first
    pointer.write_text(first)  # back to the bridge version: the test switches when it wants to
    return settings, second


def switch_during_lexical_search(monkeypatch, settings, version: str, then=None) -> list[bool]:
    """Make the first lexical search (after the scores of both legs are read) switch CURRENT to ``version``
    and run ``then``, as a rebuild finishing at that moment would."""
    real_search = LexicalIndex.search
    switched: list[bool] = []

    def search(self, *args, **kwargs):
        result = real_search(self, *args, **kwargs)
        if not switched:
            switched.append(True)
            (settings.index_path / "CURRENT").write_text(version)
            if then:
                then()
        return result

    monkeypatch.setattr(LexicalIndex, "search", search)
    return switched


def test_a_search_reads_scores_and_passages_from_one_version(two_versions, embedder, monkeypatch):
    settings, newer = two_versions
    retriever = Retriever(settings, embedder)
    switched = switch_during_lexical_search(monkeypatch, settings, newer)
    hits = retriever.search(QUESTION, 2)
    assert switched
    # The scores were computed on the bridge version: its passages, not the ones that reuse their ids.
    assert hits[0].title == "New Bridge Opens", [(h.title, h.chunk_id) for h in hits]
    assert all("Kereta" not in hit.text for hit in hits)
    assert retriever.search(QUESTION, 1)[0].title != "New Bridge Opens"  # the next search sees the new version


def test_a_replaced_version_is_closed_once_no_search_holds_it(two_versions, embedder):
    settings, newer = two_versions
    retriever = Retriever(settings, embedder)
    assert retriever.search(QUESTION, 1)[0].title == "New Bridge Opens"
    old = retriever.index
    (settings.index_path / "CURRENT").write_text(newer)
    assert retriever.search(QUESTION, 1)[0].title != "New Bridge Opens"
    assert retriever.index is not old
    with pytest.raises(sqlite3.ProgrammingError):
        old.store.counts()  # closed: a long-running server does not pile up open versions


def test_a_version_replaced_during_a_search_stays_open_until_that_search_ends(two_versions, embedder, monkeypatch):
    settings, newer = two_versions
    retriever = Retriever(settings, embedder)
    old = retriever.index
    inner: list = []
    switch_during_lexical_search(monkeypatch, settings, newer,
                                 then=lambda: inner.append(retriever.search(QUESTION, 1)))
    outer = retriever.search(QUESTION, 1)  # a second search starts and ends on the new version meanwhile
    assert inner[0][0].title != "New Bridge Opens"
    assert outer[0].title == "New Bridge Opens"
    with pytest.raises(sqlite3.ProgrammingError):
        old.store.counts()
