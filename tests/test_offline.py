import os
import socket

import pytest

import rag  # noqa: F401  (importing sets the offline switches)
from rag.models import ModelNotFound, resolve_embedder, resolve_gguf


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
