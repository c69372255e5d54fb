"""Crash safety of `rag index` on the Milvus backend (Milvus Lite, the real pymilvus path): a build SIGKILLed at
any of its moments leaves the previous index answering, exactly, and the next build finishes the work.

The moments are those of ``tests/helpers/faults.py`` for Milvus (``install_milvus``): every pymilvus write (the build's
pending record, its rows, its commit record, the deletions after it, a full rebuild's alias switch), every
file write, flush, fsync and rename Milvus Lite makes under the index folder, and every embedding batch. Each
kill runs `rag index` in a subprocess (Milvus Lite lives in the process that opened it, and dies with it).
"""
from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from rag.indexing.backend import build_index, close_connections, open_catalogue
from rag.indexing.milvus_store import COMMIT, PENDING, alias_of, catalogue_of, connect, live_collection, records_of
from rag.retrieve.retriever import Retriever
from tests.helpers.corpus import ARTICLES, NEW_ARTICLES, NEW_QUESTION, OLD_QUESTION, ROOT, make_settings, write
from tests.helpers.faults import Point, load_points, spread
from tests.helpers.processes import guarded_env

pytestmark = [pytest.mark.slow, pytest.mark.model]

CHUNK_CHARS = 120
QUOTAS = {"prepare": 3, "write": 8, "embed": 3, "cleanup": 6}


@dataclass
class Scenario:
    folder: Path
    base_dir: Path            # index_dir of the base build (copied for every run)
    base: dict[str, str]
    new: dict[str, str]
    points: list[Point]
    plan: list[Point]


def settings_for(index_root: Path):
    return make_settings(index_root, chunk_chars=CHUNK_CHARS, store_backend="milvus")


def run_rag_index(settings, folder: Path, *fault_args: str, chunk_chars: int = CHUNK_CHARS
                  ) -> subprocess.CompletedProcess:
    env = guarded_env({"PYTHONPATH": str(ROOT)})
    command = [sys.executable, "-m", "tests.helpers.faults", "--milvus", "--root", str(settings.index_dir),
               *fault_args, "--", "index", str(folder), "--index-dir", str(settings.index_dir),
               "--chunk-chars", str(chunk_chars), "--store-backend", "milvus", "--embed-batch-size", "2"]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)


def snapshot(settings) -> dict[str, str]:
    """Article id -> content hash of the live index, after checking that its parts agree."""
    try:
        with open_catalogue(settings) as index:
            stored = {a.id: a.content_hash for a in index.store.articles()}
            chunks = list(index.store.all_chunks())
            assert index.manifest.articles == stored, "manifest and catalogue disagree"
            assert len(chunks) == index.manifest.chunks == sum(n for _, n in index.store.chunk_counts()), \
                "chunks and statistics disagree"
            assert {c.article_id for c in chunks} == set(stored), "chunks of articles not in the catalogue"
        return stored
    finally:
        close_connections()


def check_live(settings, embedder, expected: dict[str, str], scenario: Scenario) -> None:
    assert snapshot(settings) == expected, "the live index is not exactly the expected build"
    query, prefix = NEW_QUESTION if expected == scenario.new else OLD_QUESTION
    try:
        hits = Retriever(settings, embedder).search(query, 3)
        assert hits and hits[0].article_id.startswith(prefix), [(h.article_id, h.score) for h in hits]
    finally:
        close_connections()


def check_clean(settings) -> None:
    """No build record left, no row that is not visible, at most two generations."""
    client = connect(settings)
    try:
        live = live_collection(client, alias_of(settings))
        assert live, "no live collection"
        records = client.query(records_of(live), filter=f"kind in [{PENDING}, {COMMIT}]", output_fields=["pk"])
        assert not records, records
        rows = client.query(live, filter="", output_fields=["count(*)"])[0]["count(*)"]
        with open_catalogue(settings) as index:
            assert rows == index.manifest.chunks, "rows left behind"
        assert len([c for c in client.list_collections() if c.startswith(alias_of(settings))]) <= 6
    finally:
        close_connections()


@pytest.fixture(scope="module")
def scenario(tmp_path_factory, embedder) -> Scenario:
    tmp = tmp_path_factory.mktemp("milvus-crash")
    folder = tmp / "articles"
    write(folder, ARTICLES)
    base_settings = settings_for(tmp / "base")
    build_index(folder, base_settings, embedder)
    close_connections()
    base = snapshot(base_settings)
    write(folder, NEW_ARTICLES)
    (folder / "pasar.md").write_text(ARTICLES["pasar.md"] + " Ada 300 perahu di pasar itu.", encoding="utf-8")
    (folder / "bridge.md").unlink()
    counted = settings_for(tmp / "count")
    shutil.copytree(base_settings.index_dir, counted.index_dir)
    run = run_rag_index(counted, folder, "--points", str(tmp / "points.json"))
    assert run.returncode == 0, run.stderr[-3000:]
    points = load_points(tmp / "points.json")
    chosen = {p for phase, quota in QUOTAS.items() for p in spread([p for p in points if p.phase == phase], quota)}
    first = next(i for i, p in enumerate(points) if p.switched)
    chosen |= {points[first - 1], points[first]}
    return Scenario(folder, base_settings.index_dir, base, snapshot(counted), points,
                    sorted(chosen, key=lambda p: p.number))


def test_kill_plan_spans_the_build(scenario):
    counts = Counter(p.phase for p in scenario.plan)
    assert all(counts[phase] >= 2 for phase in QUOTAS), counts
    labels = {p.what for p in scenario.points}
    assert {"milvus insert records:p", "milvus insert chunks", "milvus insert records:c",
            "milvus delete chunks"} <= labels, labels
    assert any(p.what.startswith("write ") for p in scenario.points), "no Milvus Lite file write was a point"
    assert scenario.new != scenario.base


def test_rows_stored_twice_by_a_killed_flush_are_read_once_and_repaired(scenario, embedder, tmp_path):
    """Milvus Lite 3.2 can hold a row twice after a kill during a flush (seen at a kill point): readers count
    it once, and the next build stores it once again."""
    from rag.indexing.milvus_builder import repair_duplicates

    settings = settings_for(tmp_path)
    shutil.copytree(scenario.base_dir, settings.index_dir)
    client = connect(settings)
    try:
        live = live_collection(client, alias_of(settings))
        assert live, "no live collection"
        rows = client.query(live, filter="", output_fields=["*"], limit=3)
        client.insert(live, rows)  # the same ids again, as the killed flush left them
        client.insert(catalogue_of(live), client.query(catalogue_of(live), filter="kind == 5", output_fields=["*"]))
        assert snapshot(settings) == scenario.base
        client = connect(settings)
        live = live_collection(client, alias_of(settings))
        assert live, "no live collection"
        repair_duplicates(client, live)
        count = client.query(live, filter="", output_fields=["count(*)"])[0]["count(*)"]
        with open_catalogue(settings) as index:
            assert count == index.manifest.chunks
    finally:
        close_connections()
    assert snapshot(settings) == scenario.base
    check_live(settings, embedder, scenario.base, scenario)


@pytest.mark.parametrize("phase", list(QUOTAS))
def test_killed_milvus_build_keeps_last_completed_index(scenario, embedder, tmp_path, phase):
    failures = []
    points = [p for p in scenario.plan if p.phase == phase]
    for point in points:
        work = tmp_path / str(point.number)
        settings = settings_for(work)
        shutil.copytree(scenario.base_dir, settings.index_dir)
        try:
            run = run_rag_index(settings, scenario.folder, "--kill-at", str(point.number),
                                "--report", str(work / "killed.json"))
            assert run.returncode == -signal.SIGKILL, f"not killed ({run.returncode}): {run.stderr[-1500:]}"
            killed = Point(**json.loads((work / "killed.json").read_text(encoding="utf-8")))
            # Milvus Lite flushes segments on its own thread: file points near a flush may come in another
            # order, so the same phase is what must match (the expected index follows the point killed at).
            assert killed.phase == point.phase, f"the build took another path: killed at {killed}"
            expected = scenario.new if killed.switched else scenario.base
            check_live(settings, embedder, expected, scenario)
            report = build_index(scenario.folder, settings, embedder)  # the next run completes the work
            close_connections()
            assert (report.version is None) == killed.switched, f"version written: {report.version}"
            check_live(settings, embedder, scenario.new, scenario)
            check_clean(settings)
        except Exception as exc:  # noqa: BLE001 - report every failing point
            failures.append(f"#{point.number} {point.label} (switched={point.switched}): {exc!r}")
        finally:
            close_connections()
    assert not failures, f"{len(failures)}/{len(points)} kill points failed:\n" + "\n".join(failures)


@pytest.mark.parametrize("label, switched", [("milvus create_collection", False), ("milvus insert records:c", False),
                                             ("milvus alter_alias", False), ("switched by milvus alter_alias", True)])
def test_killed_full_rebuild_switches_the_alias_or_leaves_the_old_generation(scenario, embedder, tmp_path,
                                                                              label, switched):
    """A settings change rebuilds into a new generation: killed before the alias switch, the old generation
    answers (old chunking); after it, the new one; the next build finishes and drops what is left over."""
    settings = settings_for(tmp_path)
    shutil.copytree(scenario.base_dir, settings.index_dir)
    run = run_rag_index(settings, scenario.folder, "--kill-label", label, chunk_chars=CHUNK_CHARS + 80)
    assert run.returncode == -signal.SIGKILL, run.stderr[-1500:]
    changed = settings.with_values({"chunk_chars": CHUNK_CHARS + 80})
    with open_catalogue(settings) as index:
        assert index.manifest.signature["chunk_chars"] == (CHUNK_CHARS + 80 if switched else CHUNK_CHARS)
    close_connections()
    check_live(changed if switched else settings, embedder, scenario.new if switched else scenario.base, scenario)
    report = build_index(scenario.folder, changed, embedder)
    close_connections()
    assert bool(report.full_rebuild_reason) != switched
    check_live(changed, embedder, scenario.new, scenario)
    check_clean(changed)
