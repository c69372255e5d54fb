"""Loading a GGUF model with llama-cpp-python, safely on CPUs where ggml's extra buffers crash."""
from __future__ import annotations

import logging
import os
import threading
from typing import TYPE_CHECKING

from rag.errors import MissingPackage, ModelNotFound
from rag.llm.files import resolve_gguf
from rag.settings import Settings

if TYPE_CHECKING:
    from llama_cpp import Llama

logger = logging.getLogger(__name__)
_construct_lock = threading.Lock()


def load_llama(settings: Settings, *, n_ctx: int | None = None) -> Llama:
    """Load ``settings.llm_model`` with the configured threads, context size and buffer policy.

    ``llm_extra_bufts=False`` (the default) turns off ggml's extra (repacking/AMX) buffer types:
    llama.cpp builds with AMX segfault in the first decode on these VMs. The project's own build
    (no ``-march=native``) decodes either way at the same speed, so off costs nothing measurable.
    """
    try:
        import llama_cpp
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise MissingPackage(
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
                n_threads=llm_threads(settings),
                verbose=False,
            )
        finally:
            module.llama_model_default_params = original


def check_model(settings: Settings) -> None:
    """Raise :class:`ModelNotFound` unless llama.cpp can read ``settings.llm_model``: its vocabulary is loaded
    (no weights: about a second), so a file that is missing or not a model is refused up front."""
    path = resolve_gguf(settings.llm_model)
    import llama_cpp
    from llama_cpp._utils import suppress_stdout_stderr  # as Llama(verbose=False): llama.cpp's loading notes

    params = llama_cpp.llama_model_default_params()
    params.vocab_only = True
    logging.getLogger("llama-cpp-python").setLevel(logging.ERROR)  # as Llama(verbose=False)
    with suppress_stdout_stderr(disable=False):
        model = llama_cpp.llama_model_load_from_file(str(path).encode(), params)
    if not model:
        raise ModelNotFound(f"llm_model={settings.llm_model!r}: {path} is not a GGUF model llama.cpp can load")
    llama_cpp.llama_model_free(model)


def llm_threads(settings: Settings) -> int:
    """``llm_threads``, or when it is 0 one thread less than the CPUs (at least 1).

    Measured on 2 cores (bench/README.md, reader.py): while anything else runs (a rebuild's
    embedding, the query encoder), a llama.cpp thread per core makes decoding many times slower,
    so one core is left free by default.
    """
    return settings.llm_threads or max(1, (os.cpu_count() or 2) - 1)
