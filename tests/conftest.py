"""Shared fixtures: the real bundled embedder (loaded once) and a built index of the sample corpus."""
from __future__ import annotations

import ipaddress
import shutil
import socket
from pathlib import Path

import pytest

from rag.embedding import Embedder
from rag.indexer import build_index
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
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0]
            try:
                loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
            except ValueError:
                loopback = False
            if not loopback:
                raise OSError(f"test tried to reach the network: {address}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return Embedder(Settings().embed_model)


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
