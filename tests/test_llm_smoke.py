"""The bundled GGUF models decode real tokens with llama.cpp (catches the AMX/extra-buffer crash)."""
from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.model

SCRIPT = """
import sys
from rag.llm.loading import load_llama
from rag.settings import Settings
model, extra_bufts, prompt = sys.argv[1:4]
settings = Settings.load({"llm_model": model, "llm_extra_bufts": extra_bufts}, env={})
llm = load_llama(settings, n_ctx=256)
out = llm.create_completion(prompt, max_tokens=12, temperature=0)
print(out["usage"]["completion_tokens"], repr(out["choices"][0]["text"]))
"""
PROMPTS = {"smollm2": "The capital of France is", "gemma3-270m": "Q: What is the capital of France?\nA:",
           "qwen2.5-coder-1.5b": "Q: What is the capital of France?\nA:"}


@pytest.mark.parametrize("model", sorted(PROMPTS))
@pytest.mark.parametrize("extra_bufts", ["false", "true"])
def test_bundled_model_decodes(model, extra_bufts):
    # In a subprocess: a segfault in ggml must fail this test, not kill the test run.
    result = subprocess.run([sys.executable, "-c", SCRIPT, model, extra_bufts, PROMPTS[model]],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"decode crashed (exit {result.returncode}): {result.stderr[-2000:]}"
    tokens, text = result.stdout.split(" ", 1)
    assert int(tokens) >= 2
    assert "Paris" in text
