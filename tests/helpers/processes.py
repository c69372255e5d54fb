"""The app and model servers started on loopback as separate processes, network-guarded."""
from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pytest

from rag.settings import Settings
from tests.helpers.corpus import ROOT

NETGUARD = ROOT / "tests" / "netguard"  # sitecustomize.py: no network in subprocesses


def guarded_env(extra: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """This process's environment without RAG_* variables, plus ``extra`` (None = unset), with the network
    guard loaded.

    A subprocess started with it fails (and writes "netguard: blocked ..." to stderr) on any connection
    or name look-up outside loopback.
    """
    merged: dict[str, str | None] = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    merged.update(extra or {})
    env = {k: v for k, v in merged.items() if v is not None}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(NETGUARD), env.get("PYTHONPATH")]))
    return env


@contextlib.contextmanager
def busy_cpus(extra: int = 1) -> Iterator[None]:
    """Every CPU kept busy, by one spinning process per CPU and ``extra`` more, until the block ends: the load
    under which Ctrl-C and Stop must still answer within a second."""
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
                for _ in range((os.cpu_count() or 2) + extra)]
    try:
        time.sleep(0.5)  # every spinner running
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def hears_ctrl_c() -> None:
    """For ``Popen(preexec_fn=...)``: the child reacts to Ctrl-C even when the tests were started in the
    background (a shell's ``cmd &``, a CI runner), which starts them, and so their children, ignoring it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def stops_on_ctrl_c(process: subprocess.Popen, within: float = 1.0) -> None:
    """Send ``process`` Ctrl-C while every CPU is busy (as when the rest of the suite runs): it must exit with 0
    within ``within`` seconds."""
    with busy_cpus():
        started = time.monotonic()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        assert time.monotonic() - started < within


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


@contextlib.contextmanager
def running_app(articles_dir: Path, index_dir: Path, log_path: Path, args: Sequence[str] = (),
                env: Mapping[str, str | None] | None = None) -> Iterator[str]:
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
             "--interrupt_requests", "False", *args],
            stdout=log, stderr=subprocess.STDOUT, text=True, env=guarded_env())
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


def served_settings(settings: Settings, servers: list[ServedModel | str], **values) -> Settings:
    """``settings`` answering through the model servers (records or base URLs)."""
    urls = [server.url if isinstance(server, ServedModel) else server for server in servers]
    return settings.with_values({"llm_backend": "openai", "llm_base_url": ",".join(urls), **values})
