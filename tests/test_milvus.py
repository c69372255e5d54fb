"""The index on Milvus (``store_backend = milvus``), on Milvus Lite embedded in the test process: the library,
the CLI and the web app work on it unchanged and retrieve what the local backend retrieves; full rebuilds
switch the alias; ``--shard K/N`` splits the work between machines that never delete each other's articles.
(Incremental builds and bad input: test_indexer.py, test_hostile.py; kills: test_milvus_crash.py.)"""
from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from rag.indexing.backend import build_index, close_connections, open_catalogue
from rag.indexing.milvus_builder import parse_shard
from rag.indexing.milvus_store import alias_of, article_key, connect, live_collection, milvus_uri
from rag.library import Library
from rag.settings import SettingsError
from tests.helpers.corpus import ROOT, SAMPLE_ARTICLES, make_settings
from tests.helpers.processes import guarded_env, running_app

QUESTIONS = ["Berapa harga beras medium sekarang?", "Siapa juara tunggal putra Piala Nusantara?",
             "How many homes will the Dunmore Valley solar farm power?", "banjir Demak warga mengungsi"]


@pytest.fixture(autouse=True)
def closed():
    yield
    close_connections()


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "articles"
    shutil.copytree(SAMPLE_ARTICLES, folder)
    return folder


def test_library_on_milvus_retrieves_what_the_local_backend_retrieves(tmp_path, corpus, embedder):
    libraries = {backend: Library(make_settings(tmp_path / backend, articles_dir=corpus, store_backend=backend),
                                  embedder) for backend in ("local", "milvus")}
    for library in libraries.values():
        assert len(library.rebuild().added) == 10
    local, milvus = libraries["local"], libraries["milvus"]
    for question in QUESTIONS:
        want = local.pipeline.retriever.search(question, 5)
        got = milvus.pipeline.retriever.search(question, 5)
        assert [(h.article_id, h.start, h.end, h.text) for h in got] == [(h.article_id, h.start, h.end, h.text)
                                                                          for h in want], question
        assert [h.score for h in got] == pytest.approx([h.score for h in want], abs=1e-4)
        assert [h.lexical_score for h in got] == pytest.approx([h.lexical_score for h in want], abs=1e-4)
    word = "beras"
    lexical = {name: library.pipeline.retriever.index.lexical for name, library in libraries.items()}
    assert lexical["milvus"].idf(word) == pytest.approx(lexical["local"].idf(word))
    status = {name: library.status() for name, library in libraries.items()}
    assert (status["milvus"]["articles"], status["milvus"]["chunks"]) == (status["local"]["articles"],
                                                                          status["local"]["chunks"])
    assert status["milvus"]["signature"] == status["local"]["signature"]
    assert [r["id"] for r in milvus.articles()] == [r["id"] for r in local.articles()]
    assert "10 articles" in milvus.status_line() and "on Milvus (Milvus Lite)" in milvus.status_line()
    assert "Milvus" not in local.status_line()

    removed = next(r["id"] for r in milvus.articles() if r["id"].startswith("harga-beras"))
    change = milvus.remove(removed)
    assert change.report.removed == [removed] and milvus.status()["articles"] == 9
    assert not any(h.article_id == removed for h in milvus.pipeline.retriever.search(QUESTIONS[0], 5))


def test_settings_and_default_location(tmp_path):
    settings = make_settings(tmp_path, store_backend="milvus")
    assert milvus_uri(settings) == str(settings.index_path / "milvus.db")
    assert milvus_uri(settings.with_values({"milvus_uri": "http://db:19530"})) == "http://db:19530"
    with pytest.raises(SettingsError, match="store_backend"):
        make_settings(tmp_path, store_backend="qdrant")
    for bad in ("2/2", "x", "1/0", "-1/3"):
        with pytest.raises(SettingsError, match="shard"):
            parse_shard(bad)
    assert parse_shard("1/3") == (1, 3) and parse_shard("") is None
    with pytest.raises(SettingsError, match="milvus"):
        build_index(tmp_path, make_settings(tmp_path, shard="0/2"))


def test_full_rebuild_switches_the_alias_and_keeps_one_previous_generation(tmp_path, corpus, embedder):
    settings = make_settings(tmp_path, store_backend="milvus")
    build_index(corpus, settings, embedder)
    client = connect(settings)
    first = live_collection(client, alias_of(settings))
    for chars in (600, 400):
        report = build_index(corpus, settings.with_values({"chunk_chars": chars}), embedder)
        assert f"chunk_chars: {800 if chars == 600 else 600} -> {chars}" in report.full_rebuild_reason
    live = live_collection(client, alias_of(settings))
    names = [c for c in client.list_collections() if c.startswith(alias_of(settings))]
    assert live != first and first not in names and len(names) == 6  # live and previous, 3 collections each
    with open_catalogue(settings) as catalogue:
        assert catalogue.manifest.signature["chunk_chars"] == 400 and catalogue.store.counts()[0] == 10


def test_shards_split_the_folder_and_never_delete_each_other(tmp_path, corpus, embedder):
    uri = str(tmp_path / "shared" / "milvus.db")  # one Milvus for every "machine"; each has its own index_dir
    machines = [make_settings(tmp_path / f"m{k}", store_backend="milvus", milvus_uri=uri, shard=f"{k}/2")
                for k in range(2)]
    whole = make_settings(tmp_path / "whole", store_backend="milvus")
    build_index(corpus, whole, embedder)
    with open_catalogue(whole) as catalogue:
        everything = {a.id: a.content_hash for a in catalogue.store.articles()}

    first = build_index(corpus, machines[0], embedder)
    assert first.added and all(article_key(a) % 2 == 0 for a in first.added)
    with pytest.raises(FileNotFoundError):  # the alias switches when every shard has finished
        open_catalogue(machines[0])
    second = build_index(corpus, machines[1], embedder)
    assert sorted(first.added + second.added) == sorted(everything)
    with open_catalogue(machines[0]) as catalogue:
        assert {a.id: a.content_hash for a in catalogue.store.articles()} == everything

    theirs = next(a for a in second.added if article_key(a) % 2 == 1)
    moved = tmp_path / "moved"
    moved.mkdir()
    source = next(p for p in corpus.rglob("*") if p.is_file() and p.stem in theirs)
    shutil.move(source, moved / source.name)
    again = build_index(corpus, machines[0], embedder)  # machine 0 no longer sees it: not its article
    assert not again.removed and again.version is None
    assert build_index(corpus, machines[1], embedder).removed == [theirs]

    changed = [m.with_values({"chunk_chars": 500}) for m in machines]
    assert build_index(corpus, changed[0], embedder).full_rebuild_reason
    with open_catalogue(machines[0]) as catalogue:  # the old generation answers until both have rebuilt
        assert catalogue.manifest.signature["chunk_chars"] == 800
    build_index(corpus, changed[1], embedder)
    with open_catalogue(machines[0]) as catalogue:
        assert catalogue.manifest.signature["chunk_chars"] == 500
        assert len(catalogue.store.articles()) == len(everything) - 1


@pytest.mark.model
def test_cli_and_web_app_on_milvus_lite(tmp_path, corpus):
    env = guarded_env({"RAG_STORE_BACKEND": "milvus"})
    index_dir = tmp_path / "index"

    def rag(*args: str) -> str:
        run = subprocess.run([sys.executable, "-m", "rag.cli", *args, "--index-dir", str(index_dir)],
                             capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
        assert run.returncode == 0, run.stderr[-3000:]
        return run.stdout

    assert "added 10" in rag("index", str(corpus))
    assert "up to date" in rag("index", str(corpus))
    assert "harga-beras" in rag("search", "Berapa harga beras medium?")
    info = rag("info")
    assert "articles:   10" in info and "index:      rag_default_" in info

    from gradio_client import Client

    with running_app(corpus, index_dir, tmp_path / "app.log", env={"RAG_STORE_BACKEND": "milvus"}) as url:
        html = Client(url, verbose=False).predict("Siapa juara tunggal putra Piala Nusantara?", api_name="/search")
    assert "Raka Pradipta" in html and "bulu-tangkis-piala-nusantara" in html


def test_a_milvus_lite_file_open_in_another_process_is_a_clear_error(tmp_path):
    settings = make_settings(tmp_path, store_backend="milvus")
    settings.index_path.mkdir(parents=True)
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from pymilvus import MilvusClient; "
                               f"MilvusClient({milvus_uri(settings)!r}); print('open', flush=True); time.sleep(60)"],
                              stdout=subprocess.PIPE, text=True, env=guarded_env())
    try:
        assert holder.stdout and holder.stdout.readline().strip() == "open"
        with pytest.raises(OSError, match="open in another process"):
            connect(settings)
    finally:
        holder.kill()
        holder.wait()
