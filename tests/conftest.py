"""Shared fixtures: the real bundled embedder (loaded once) and a built index of the sample corpus."""
from __future__ import annotations

import contextlib
import dataclasses
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


def wait_for_port(port: int, process: subprocess.Popen, log, what: str) -> None:
    """Return once ``process`` listens on loopback ``port``; fail with the end of its ``log`` if it does not."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and process.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.5)
    log.seek(0)
    pytest.fail(f"{what} did not start: {log.read()[-2000:]}")


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
            wait_for_port(port, process, log, "app")
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


@contextlib.contextmanager
def model_server(log_path: Path, model: str = Settings().llm_model, args: tuple[str, ...] = ()
                 ) -> Iterator[tuple[str, subprocess.Popen]]:
    """llama-cpp-python's own OpenAI-compatible server (`python -m llama_cpp.server`) with a bundled GGUF on
    a free loopback port, network-guarded, with extra command-line ``args``; yields its base URL (…/v1) and
    process."""
    from rag.llm.files import resolve_gguf

    port = free_port()
    with open(log_path, "w+") as log:
        # --interrupt_requests False: otherwise a second request cuts the first answer short
        process = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(resolve_gguf(model)), "--host", "127.0.0.1",
             "--port", str(port), "--n_ctx", str(Settings().llm_context), "--n_threads", "1",
             "--interrupt_requests", "False", *args], stdout=log, stderr=subprocess.STDOUT, text=True, env=guarded_env())
        try:
            wait_for_port(port, process, log, "model server")
            yield f"http://127.0.0.1:{port}/v1", process
        finally:
            process.kill()
            process.wait(timeout=30)


@dataclasses.dataclass
class ServedModel:
    url: str   # base URL, …/v1
    log: Path  # the server's log: one "POST /v1/chat/completions" line per answer it wrote

    def requests(self) -> int:
        return self.log.read_text().count("POST /v1/chat/completions")


@pytest.fixture(scope="session")
def model_servers(tmp_path_factory) -> Iterator[list[ServedModel]]:
    """Two model servers with the default GGUF, for the session."""
    folder = tmp_path_factory.mktemp("model-servers")
    with model_server(folder / "first.log") as (first, _), model_server(folder / "second.log") as (second, _):
        yield [ServedModel(first, folder / "first.log"), ServedModel(second, folder / "second.log")]


def served_settings(settings: Settings, servers: list[ServedModel | str], **values) -> Settings:
    """``settings`` answering through the model servers (records or base URLs)."""
    urls = [getattr(server, "url", server) for server in servers]
    return settings.with_values({"llm_backend": "openai", "llm_base_url": ",".join(urls), **values})
