"""A rebuild killed (SIGKILL) at any stage leaves the previous index loadable and complete."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from conftest import make_settings
from rag.index import Index
from rag.indexer import build_index
from test_indexer import ARTICLES, write

# Log lines of `rag index -v`, in order; the build is killed right after one of them appears.
EARLY_STAGES = ["loaded", "stage: copy", "loading embedding model", "stage: embed", "stage: write vectors",
                "stage: write lexical"]
LATE_STAGES = ["stage: write manifest", "stage: publish"]  # the switch may already be done


def article_ids(settings) -> set[str]:
    index = Index.open(settings.index_path)
    try:
        ids = {a.id for a in index.store.articles()}
        assert len(index.vectors) == index.store.counts()[1]
        assert index.lexical.chunk_ids.size == index.store.counts()[1]
        return ids
    finally:
        index.close()


def run_until(stage: str, folder, settings) -> bool:
    """Run `rag index` in a subprocess and SIGKILL it when ``stage`` is logged; True if killed."""
    command = [sys.executable, "-m", "rag.cli", "index", str(folder), "-v",
               "--index-dir", str(settings.index_dir)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    process = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env)
    try:
        for line in process.stderr:
            if stage in line:
                process.send_signal(signal.SIGKILL)
                process.wait()
                return True
        process.wait()
        return False
    finally:
        if process.poll() is None:
            process.kill()


@pytest.mark.parametrize("stage", EARLY_STAGES + LATE_STAGES)
def test_killed_rebuild_keeps_previous_index(tmp_path, embedder, stage):
    folder = tmp_path / "articles"
    write(folder, ARTICLES)
    settings = make_settings(tmp_path)
    build_index(folder, settings, embedder)
    before = article_ids(settings)

    write(folder, {"baru.md": "---\ntitle: Kereta Cepat\n---\nKereta cepat melaju 350 km per jam."})
    (folder / "pasar.md").write_text(ARTICLES["pasar.md"] + " Ada 300 perahu.", encoding="utf-8")
    (folder / "bridge.md").unlink()
    assert run_until(stage, folder, settings), f"build finished before {stage!r} was logged"

    after_kill = article_ids(settings)
    expected_after = {a for a in before if not a.startswith("bridge")} | {
        a for a in after_kill if a.startswith("baru")}
    if stage in EARLY_STAGES:
        assert after_kill == before
    else:
        assert after_kill in (before, expected_after)

    report = build_index(folder, settings, embedder)  # the next run completes the interrupted work
    final = article_ids(settings)
    assert len(final) == 3 and any(a.startswith("baru") for a in final)
    assert not any(a.startswith("bridge") for a in final)
    assert not list(settings.index_path.glob(".building-*"))
    assert report.version is not None or after_kill != before
