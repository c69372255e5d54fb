"""Keep every Hugging Face / Gradio component from reaching the network.

Must run before ``transformers``, ``huggingface_hub`` or ``sentence_transformers`` is imported: they
read these variables once at import time. ``rag/__init__.py`` calls :func:`enforce_offline`.
"""
from __future__ import annotations

import os

OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "TOKENIZERS_PARALLELISM": "false",
}


def enforce_offline() -> None:
    """Set the offline variables (a value the user set explicitly is left alone)."""
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
