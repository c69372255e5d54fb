"""New files are noticed: the articles folder is watched, and what is dropped into it becomes searchable
without a manual rebuild — from Python (`Library.start_watching`, `Library.watch`) and `rag index --watch`."""
from __future__ import annotations

import errno
import queue
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from rag.indexing.builder import BuildReport, build_index
from rag.ingest.articles import load_folder
from rag.ingest.watch import article_filter
from rag.library import Change, Library, ago
from rag.retrieve.retriever import Retriever
from tests.helpers.corpus import make_settings
from tests.helpers.faults import Faults, install
from tests.helpers.processes import guarded_env, hears_ctrl_c, stops_on_ctrl_c

FAST: dict[str, Any] = {"step_ms": 100, "debounce_ms": 1000}  # a burst ends after 0.1 s of quiet
ARTICLES = {
    "beras.txt": "Harga Beras Naik\n\nHarga beras medium di Jakarta naik menjadi Rp13.500 per kilogram pada Februari.",
    "banjir.md": "---\ntitle: Banjir di Semarang\n---\nBanjir merendam tiga kecamatan di Semarang setelah hujan deras.",
}
ZOO = ("Riverside Zoo Opens Its Doors\n\nThe new Riverside Zoo in Port Linwood opened on June 3, 2026. "
       "Its director, Ms. Clara Odum, said the zoo houses 85 species.\n")
IGNORED = {"zoo.txt.part": ZOO, "zoo.txt~": ZOO, ".zoo.txt": ZOO, ".zoo.txt.swp": "swap", "~$zoo.txt": "lock",
           "zoo.crdownload": ZOO, "notes.docx": "PK", "foto.jpg": "JFIF"}


def wait_for(condition, timeout: float = 60, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


@pytest.fixture
def corpus(tmp_path, embedder):
    folder = tmp_path / "articles"
    folder.mkdir()
    for name, text in ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    settings = make_settings(tmp_path, articles_dir=folder)
    build_index(folder, settings, embedder)
    return settings


@pytest.fixture
def watched(corpus, embedder):
    """A library watching its folder; yields (library, handle, changes seen), stops it afterwards."""
    library = Library(corpus, embedder)
    seen: list[Change] = []
    handle = library.start_watching(on_change=seen.append, **FAST)
    assert handle.running
    yield library, handle, seen
    assert handle.stop(timeout=60)


def test_a_dropped_file_becomes_searchable_without_a_rebuild(watched, embedder):
    library, handle, seen = watched
    (library.settings.articles_dir / "zoo.txt").write_text(ZOO, encoding="utf-8")
    retriever = Retriever(library.settings, embedder)
    wait_for(lambda: retriever.search("How many species does the Riverside Zoo house?", 1)[0].title
             == "Riverside Zoo Opens Its Doors", what="the new article in the search results")
    wait_for(lambda: seen, what="the change reported")
    assert seen[0].notes == ["added zoo.txt"] and seen[0].report.added and not seen[0].report.problems
    assert library.last_change is seen[0]
    assert library.last_change.status_line() == "1 article added just now"
    assert library.start_watching() is handle  # one watcher per library


def test_a_burst_of_files_makes_one_rebuild(corpus, embedder):
    library = Library(corpus, embedder)
    seen: list[Change] = []
    handle = library.start_watching(on_change=seen.append, step_ms=300, debounce_ms=3000)
    try:
        for i in range(50):  # as a file manager copies a folder of articles
            (corpus.articles_dir / f"kabar-{i:02}.txt").write_text(
                f"Kabar Kota {i}\n\nPasar malam ke-{i} di kota itu dibuka pada hari Sabtu.", encoding="utf-8")
        wait_for(lambda: library.status()["articles"] == 52, what="fifty articles indexed")
        time.sleep(1)  # a late rebuild would have started by now
    finally:
        assert handle.stop(timeout=60)
    assert 1 <= handle.changes <= 2, [change.notes[:3] for change in seen]
    assert sum(len(change.report.added) for change in seen) == 50
    assert library.last_change and library.last_change.headline().endswith("articles added")
    assert seen[0].noted().startswith("added kabar-00.txt; added kabar-01.txt; added kabar-02.txt and ")


def test_temporary_hidden_and_unsupported_files_are_ignored(watched):
    library, handle, seen = watched
    folder = library.settings.articles_dir
    for name, text in IGNORED.items():
        (folder / name).write_text(text, encoding="utf-8")
    time.sleep(2)
    assert handle.changes == 0 and library.last_change is None
    # Still watching; a rebuild does not report the partial and temporary files as skipped either.
    (folder / "zoo.txt").write_text(ZOO, encoding="utf-8")
    wait_for(lambda: seen, what="a rebuild")
    assert seen[0].notes == ["added zoo.txt"]
    assert {p.source for p in seen[0].report.problems} == {"notes.docx", "foto.jpg"}


def test_the_filter_keeps_what_a_rebuild_reads(tmp_path):
    (tmp_path / "sub").mkdir()
    wanted = article_filter(tmp_path, ignore=[tmp_path / "index"])
    added, removed = 1, 3  # watchfiles.Change values
    for name in IGNORED:
        assert not wanted(added, str(tmp_path / name)), name
    assert not wanted(added, str(tmp_path / ".git" / "a.txt"))
    assert not wanted(added, str(tmp_path / "index" / "a.txt"))
    assert wanted(added, str(tmp_path / "sub" / "a.TXT")) and wanted(removed, str(tmp_path / "b.pdf"))
    assert wanted(added, str(tmp_path / "sub"))  # a folder moved in brings its articles
    assert wanted(removed, str(tmp_path / "gone"))  # ... and moved out takes them
    for name, text in IGNORED.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert {p.source for p in load_folder(tmp_path).problems} == {"notes.docx", "foto.jpg"}


def test_stop_ends_the_watcher_promptly(corpus, embedder):
    library = Library(corpus, embedder)
    handle = library.start_watching(**FAST)
    started = time.monotonic()
    assert handle.stop(timeout=10) and not handle.running
    assert time.monotonic() - started < 2
    # The blocking generator ends too when its event is set.
    stop, ready = threading.Event(), threading.Event()
    changes: list[Change] = []
    thread = threading.Thread(target=lambda: changes.extend(library.watch(stop, ready=ready, **FAST)))
    thread.start()
    assert ready.wait(10)
    stop.set()
    thread.join(5)
    assert not thread.is_alive() and changes == []
    with pytest.raises(FileNotFoundError, match="article folder not found"):
        next(library.watch(folder=corpus.articles_dir / "missing"))


def test_a_failed_rebuild_is_reported_and_watching_goes_on(corpus, embedder, monkeypatch):
    library = Library(corpus, embedder)
    stop = threading.Event()
    changes = library.watch(stop, build_first=True, **FAST)
    first = next(changes)
    assert first.error is None and not first.report.modified and library.last_change is None
    faults = Faults(corpus.index_dir, fail_label="prepare:open .lock", fail_errno=errno.EROFS)  # fails once
    install(faults, monkeypatch.setattr)
    (corpus.articles_dir / "zoo.txt").write_text(ZOO, encoding="utf-8")
    failed = next(changes)
    assert failed.notes == ["added zoo.txt"] and failed.error and "the folder is read-only" in failed.error
    assert library.last_change is failed and failed.headline().startswith("rebuild failed: cannot write the index")
    (corpus.articles_dir / "zoo.txt").write_text(ZOO + "\nUpdated.", encoding="utf-8")
    retry = next(changes)
    assert retry.notes == ["changed zoo.txt"] and len(retry.report.added) == 1 and library.last_change is retry
    stop.set()
    assert list(changes) == []


def test_status_line_words():
    report = BuildReport(added=["a", "b", "c"], removed=["d"])
    change = Change([], report, at=datetime(2026, 12, 4, 10, 0, tzinfo=timezone.utc))
    now = change.at + timedelta(minutes=2)
    assert change.status_line(now) == "3 articles added, 1 removed 2 min ago"
    assert Change([], BuildReport(changed=["x"])).headline() == "1 article changed"
    assert Change([], BuildReport()).headline() == "no article changed"
    assert [ago(change.at, change.at + timedelta(seconds=s)) for s in (10, 3 * 3600, 3 * 86400)] == \
        ["just now", "3 h ago", "3 days ago"]


def test_rag_index_watch_picks_up_a_new_file_and_stops_on_ctrl_c(corpus):
    folder = corpus.articles_dir
    process = subprocess.Popen([sys.executable, "-m", "rag.cli", "index", str(folder), "--watch",
                                "--index-dir", str(corpus.index_dir)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=guarded_env(),
                               preexec_fn=hears_ctrl_c)
    assert process.stdout and process.stderr
    stdout, stderr = process.stdout, process.stderr
    lines: queue.Queue[str] = queue.Queue()

    def read_lines() -> None:
        for line in stdout:
            lines.put(line)

    threading.Thread(target=read_lines, daemon=True).start()

    def next_line_with(text: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = lines.get(timeout=left)
            except queue.Empty:
                break
            if text in line:
                return line
        process.kill()
        pytest.fail(f"no line with {text!r}; stderr: {stderr.read()[-2000:]}")

    try:
        next_line_with("unchanged 2 (not re-embedded)", 180)  # the first build, nothing new
        next_line_with("watching", 10)
        (folder / "zoo.txt").write_text(ZOO, encoding="utf-8")
        line = next_line_with("added zoo.txt", 60)
        assert "added 1, changed 0, removed 0, unchanged 2" in line
        stops_on_ctrl_c(process)
    finally:
        if process.poll() is None:
            process.kill()
    assert "stopped watching" in stderr.read()


@pytest.mark.slow  # two `rag index --watch` processes
def test_rag_index_watch_stops_on_a_first_build_that_fails(tmp_path):
    def rag_index_watch(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "rag.cli", "index", "--watch", "--index-dir",
                               str(tmp_path / "index"), *args], capture_output=True, text=True,
                              env=guarded_env(), timeout=120)

    missing = rag_index_watch(str(tmp_path / "nope"))
    assert missing.returncode == 2 and "article folder not found" in missing.stderr
    model = rag_index_watch(str(tmp_path), "--embed-model", str(tmp_path / "no-model"))
    assert model.returncode == 2 and "error: " in model.stderr and "RAG_EMBED_MODEL" in model.stderr
