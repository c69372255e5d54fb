import os
import socket
import subprocess
import sys

import pytest

import rag  # noqa: F401  (importing sets the offline switches)
from rag.embed.files import resolve_embedder
from rag.llm.files import resolve_gguf
from rag.settings import ModelNotFound, Settings
from tests.helpers.processes import guarded_env, running_app


def test_offline_switches_set_on_import():
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        assert os.environ[name] == "1"
    assert os.environ["GRADIO_ANALYTICS_ENABLED"] == "False"


def test_network_guard_blocks_outside_connections():
    with pytest.raises(OSError, match="tried to reach the network"):
        socket.create_connection(("192.0.2.1", 443), timeout=1)


def test_missing_models_name_the_setting(tmp_path):
    with pytest.raises(ModelNotFound, match="RAG_EMBED_MODEL"):
        resolve_embedder("some-org/model-that-is-not-here")
    with pytest.raises(ModelNotFound, match="RAG_LLM_MODEL"):
        resolve_gguf(str(tmp_path / "missing.gguf"))
    assert resolve_gguf("smollm2").suffix == ".gguf"


# --- the product's own guard: nothing beyond this machine but the configured hosts (rag/offline.py) ---

def test_the_product_guard_allows_exactly_the_configured_hosts(monkeypatch):
    from rag.offline import BLOCKED, guard_network

    for name in ("connect", "connect_ex"):
        monkeypatch.setattr(socket.socket, name, getattr(socket.socket, name))  # undone after the test
    monkeypatch.setattr(socket, "getaddrinfo", socket.getaddrinfo)
    guard_network(Settings(llm_backend="openai", llm_base_url="http://192.0.2.7:8000/v1,http://gpu-box.invalid/v1")
                  .remote_hosts)
    with pytest.raises(OSError, match=BLOCKED):
        socket.create_connection(("192.0.2.8", 8000), timeout=1)
    with pytest.raises(OSError, match=BLOCKED):
        socket.getaddrinfo("huggingface.co", 443)
    for configured in (lambda: socket.create_connection(("192.0.2.7", 8000), timeout=1),
                       lambda: socket.getaddrinfo("gpu-box.invalid", 80)):
        with pytest.raises(OSError) as refused:  # refused further down (this test's own guard, or no DNS)
            configured()
        assert BLOCKED not in str(refused.value)
    server = socket.create_server(("127.0.0.1", 0))
    socket.create_connection(server.getsockname(), timeout=5).close()  # loopback is always allowed
    server.close()
    guard_network()  # nothing configured: the configured host of before is refused too
    with pytest.raises(OSError, match=BLOCKED):
        socket.create_connection(("192.0.2.7", 8000), timeout=1)


# --- the guard for subprocesses (tests/netguard/sitecustomize.py, loaded through PYTHONPATH) ---

GUARDED_PROBE = """
import socket
server = socket.create_server(("127.0.0.1", 0))
socket.create_connection(server.getsockname(), timeout=5).close()
print("loopback ok", flush=True)
for address in (("huggingface.co", 443), ("10.255.255.1", 80)):
    try:
        socket.create_connection(address, timeout=5)
    except OSError as exc:
        print("refused", exc, flush=True)
    else:
        print("connected", address, flush=True)
"""


def test_network_guard_blocks_outside_connections_in_subprocesses():

    run = subprocess.run([sys.executable, "-c", GUARDED_PROBE], env=guarded_env(), capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [
        "loopback ok",
        "refused netguard: blocked network access outside loopback: name look-up of 'huggingface.co'",
        "refused netguard: blocked network access outside loopback: ('10.255.255.1', 80)"]
    assert run.stderr.count("netguard: blocked") == 2  # logged even when the caller swallows the error


# --- safe defaults: loopback bind, optional password, no secrets in logs, no analytics ---

PASSWORD = "secretpw-7f3a"


def test_default_host_is_loopback():
    assert Settings().host == "127.0.0.1" and Settings.load(env={}).host == "127.0.0.1"


def test_serving_beyond_loopback_without_a_password_warns_and_sends_no_analytics(sample_settings, tmp_path):
    import httpx


    log = tmp_path / "app.log"
    with running_app(sample_settings.articles_dir, sample_settings.index_dir, log, args=["--host", "0.0.0.0"],
                     env={"GRADIO_ANALYTICS_ENABLED": None}) as url:
        config = httpx.get(url + "config", timeout=30).json()
    text = log.read_text()
    assert "serving on 0.0.0.0: reachable from other machines" in text
    assert "no password set: set RAG_AUTH=user:password" in text
    assert config["analytics_enabled"] is False  # the app switched Gradio's telemetry off by itself


def test_password_is_required_and_never_logged(sample_settings, tmp_path):
    import httpx
    from gradio_client import Client
    from gradio_client.exceptions import AuthenticationError


    log = tmp_path / "app.log"
    with running_app(sample_settings.articles_dir, sample_settings.index_dir, log,
                     args=["--host", "0.0.0.0", "-v"], env={"RAG_AUTH": f"reader:{PASSWORD}"}) as url:
        with pytest.raises(AuthenticationError, match="credentials were not provided"):
            Client(url, verbose=False)
        with pytest.raises(ValueError, match="Could not login"):
            Client(url, verbose=False, auth=("reader", "wrong"))
        assert httpx.get(url + "config", timeout=30).status_code == 401
        html = Client(url, verbose=False, auth=("reader", PASSWORD)).predict("harga beras medium",
                                                                               api_name="/search")
        assert "Harga Beras" in html
    text = log.read_text()
    assert "INFO" in text  # -v really logged details
    assert "reachable from other machines" in text and "no password set" not in text
    assert PASSWORD not in text


def test_settings_listing_and_errors_hide_the_password(tmp_path):

    listing = subprocess.run([sys.executable, "-m", "rag.cli", "settings"], capture_output=True, text=True,
                             env=guarded_env({"RAG_AUTH": f"reader:{PASSWORD}"}), timeout=120)
    assert listing.returncode == 0 and "auth = (set, hidden)" in listing.stdout
    assert PASSWORD not in listing.stdout + listing.stderr
    malformed = subprocess.run([sys.executable, "-m", "rag.cli", "serve", "--index-dir", str(tmp_path)],
                               capture_output=True, text=True, env=guarded_env({"RAG_AUTH": PASSWORD}),
                               timeout=120)
    assert malformed.returncode == 2 and "must be user:password" in malformed.stderr
    assert PASSWORD not in malformed.stdout + malformed.stderr
