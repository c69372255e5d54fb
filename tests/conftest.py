"""Shared fixtures (the real bundled embedder, loaded once; a built index of the sample corpus; the app and
model servers on loopback) and the markers.

Markers (registered in pyproject.toml): ``model`` (loads an embedder or a GGUF, here or in a process the test
starts), ``browser`` (drives Chromium), ``slow`` (crash/kill, load, or over a minute). A test that uses one of
MODEL_FIXTURES is marked ``model`` here; any other that loads a model says so itself (``pytestmark`` or a
decorator). Every test with none of the three is marked ``unit``, and runs under
``tests.helpers.guard.no_models_or_servers``: a unit test that loads a model or starts a server fails, so
``pytest -m unit`` stays fast and model-free.
"""
from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator

import pytest

from rag.embed.base import Embedder
from rag.embed.factory import create_embedder
from rag.indexing.builder import build_index
from rag.settings import Settings
from tests.helpers.corpus import SAMPLE_ARTICLES, make_settings
from tests.helpers.guard import no_models_or_servers
from tests.helpers.processes import ServedModel, model_server, running_app
from tests.netguard.sitecustomize import is_loopback  # the subprocesses' guard, same rule

NOT_UNIT = ("model", "browser", "slow")
MODEL_FIXTURES = {"embedder", "sample_settings", "server", "library", "library_app", "model_servers"}


@pytest.hookimpl(tryfirst=True)  # before -m selects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if MODEL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker("model")
        if not any(item.get_closest_marker(name) for name in NOT_UNIT):
            item.add_marker("unit")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem) -> Iterator[None]:
    """Unit tests, their fixtures included, run under the guard."""
    if item.get_closest_marker("unit"):
        with no_models_or_servers():
            yield
    else:
        yield


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


@pytest.fixture(scope="session")
def model_servers(tmp_path_factory) -> Iterator[list[ServedModel]]:
    """Two model servers with the default GGUF, for the session."""
    folder = tmp_path_factory.mktemp("model-servers")
    with model_server(folder / "first.log") as (first, _), model_server(folder / "second.log") as (second, _):
        yield [ServedModel(first, folder / "first.log"), ServedModel(second, folder / "second.log")]
