"""Shared fixtures: the real bundled embedder (loaded once) and a built index of the sample corpus."""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

from netguard.sitecustomize import is_loopback  # the subprocesses' guard, same rule
from rag.embed.base import Embedder
from rag.embed.factory import create_embedder
from rag.indexing.builder import build_index
from rag.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_ARTICLES = ROOT / "articles"


def make_settings(tmp_path: Path, **values) -> Settings:
    """Settings isolated from the caller's RAG_* environment, with the index under ``tmp_path``."""
    return Settings.load({"index_dir": tmp_path / "index", **values}, env={})


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Fail any connection that leaves this machine: a hidden hub call or telemetry is a bug."""
    real_connect = socket.socket.connect

    def guarded(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(address[0]):
            raise OSError(f"test tried to reach the network: {address}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(params=["local", "milvus"])
def backend(request) -> Iterator[str]:
    """Each index backend in turn (``store_backend``); Milvus is Milvus Lite, embedded in this process and
    stopped after the test."""
    from rag.indexing.backend import close_connections

    yield request.param
    close_connections()


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return create_embedder(Settings().embed_model)


@pytest.fixture(scope="session")
def sample_settings(tmp_path_factory, embedder) -> Settings:
    """An index of the sample corpus, built once for the session (tests must not modify it)."""
    tmp = tmp_path_factory.mktemp("sample")
    corpus = tmp / "articles"
    shutil.copytree(SAMPLE_ARTICLES, corpus)
    settings = make_settings(tmp, articles_dir=corpus)
    report = build_index(corpus, settings, embedder)
    assert not report.problems, report.problems
    return settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


NETGUARD = Path(__file__).resolve().parent / "netguard"  # sitecustomize.py: no network in subprocesses


def guarded_env(extra: dict[str, str | None] | None = None) -> dict[str, str]:
    """This process's environment without RAG_* variables, plus ``extra`` (None = unset), with the network
    guard loaded.

    A subprocess started with it fails (and writes "netguard: blocked ..." to stderr) on any connection
    or name look-up outside loopback.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(extra or {})
    env = {k: v for k, v in env.items() if v is not None}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(NETGUARD), env.get("PYTHONPATH")]))
    return env


@contextlib.contextmanager
def running_app(articles_dir: Path, index_dir: Path, log_path: Path, args: list[str] = (),
                env: dict[str, str | None] | None = None) -> Iterator[str]:
    """`python app.py` on a free loopback port over the given folders, network-guarded; yields its URL.

    ``args`` are extra command-line flags and ``env`` extra environment variables (None = unset). The test
    fails if the app tried to reach the network, even when the app swallowed the error.
    """
    port = free_port()
    with open(log_path, "w+") as log:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py"), "--port", str(port), "--index-dir", str(index_dir),
             "--articles-dir", str(articles_dir), *args], stdout=log, stderr=subprocess.STDOUT, text=True,
            env=guarded_env(env))
        try:
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline and process.poll() is None:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.5)
            else:
                log.seek(0)
                pytest.fail(f"app did not start: {log.read()[-2000:]}")
            yield f"http://127.0.0.1:{port}/"
        finally:
            process.terminate()
            process.wait(timeout=30)
        log.seek(0)
        blocked = [line for line in log if "netguard: blocked" in line]
        if blocked:
            pytest.fail(f"the app tried to reach the network ({log_path}): {blocked[:3]}")


@pytest.fixture(scope="session")
def server(sample_settings, tmp_path_factory):
    """The app serving the (read-only) sample index."""
    log = tmp_path_factory.mktemp("server") / "app.log"
    with running_app(sample_settings.articles_dir, sample_settings.index_dir, log) as url:
        yield url


@pytest.fixture
def library(tmp_path, embedder) -> Settings:
    """Settings of a private copy of the sample corpus and its index: tests may change both."""
    corpus = tmp_path / "articles"
    shutil.copytree(SAMPLE_ARTICLES, corpus)
    settings = make_settings(tmp_path, articles_dir=corpus)
    build_index(corpus, settings, embedder)
    return settings


@pytest.fixture
def library_app(library, tmp_path):
    """The app serving :func:`library`."""
    with running_app(library.articles_dir, library.index_dir, tmp_path / "app.log") as url:
        yield url
