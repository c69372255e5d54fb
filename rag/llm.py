"""Loading a GGUF model with llama-cpp-python, safely on CPUs where ggml's extra buffers crash."""
from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from rag.models import resolve_gguf
from rag.settings import Settings

if TYPE_CHECKING:
    from llama_cpp import Llama

logger = logging.getLogger(__name__)
_construct_lock = threading.Lock()


def load_llama(settings: Settings, *, n_ctx: int | None = None) -> "Llama":
    """Load ``settings.llm_model`` with the configured threads, context size and buffer policy.

    ``llm_extra_bufts=False`` (the default) turns off ggml's extra (repacking/AMX) buffer types:
    llama.cpp builds with AMX segfault in the first decode on these VMs. The project's own build
    (no ``-march=native``) decodes either way at the same speed, so off costs nothing measurable.
    """
    try:
        import llama_cpp
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError(
            "llama-cpp-python is not installed: run the README's setup command "
            "(it builds llama.cpp with the right options)"
        ) from exc
    path = resolve_gguf(settings.llm_model)
    logger.info("loading GGUF model %s", path)
    # Llama() offers no argument for use_extra_bufts, so the default-params factory it calls is
    # wrapped for the duration of the constructor.
    module = llama_cpp.llama_cpp
    with _construct_lock:
        original = module.llama_model_default_params

        def params():
            p = original()
            p.use_extra_bufts = settings.llm_extra_bufts
            return p

        module.llama_model_default_params = params
        try:
            return llama_cpp.Llama(
                model_path=str(path),
                n_ctx=n_ctx or settings.llm_context,
                n_threads=settings.llm_threads,
                verbose=False,
            )
        finally:
            module.llama_model_default_params = original
