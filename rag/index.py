"""A built index version opened for reading: manifest, store, FAISS vectors and BM25."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rag.lexical import LexicalIndex
from rag.manifest import Manifest
from rag.store import Store
from rag.vectors import VectorIndex
from rag.versions import MANIFEST, current_version

STORE_FILE = "store.sqlite"
VECTORS_FILE = "vectors.faiss"
LEXICAL_DIR = "lexical"


class IndexNotBuilt(FileNotFoundError):
    """There is no completed index version at the configured path."""


@dataclass
class Index:
    """All parts of one completed version (read-only by convention)."""

    folder: Path
    manifest: Manifest
    store: Store
    vectors: VectorIndex
    lexical: LexicalIndex

    @classmethod
    def open(cls, index_path: Path) -> "Index":
        """Open the live version of the index at ``index_path``."""
        folder = current_version(index_path)
        if folder is None:
            raise IndexNotBuilt(f"no index at {index_path}: build one with `rag index FOLDER`")
        return cls.open_version(folder)

    @classmethod
    def open_version(cls, folder: Path) -> "Index":
        return cls(
            folder=folder,
            manifest=Manifest.load(folder / MANIFEST),
            store=Store(folder / STORE_FILE),
            vectors=VectorIndex.load(folder / VECTORS_FILE),
            lexical=LexicalIndex.load(folder / LEXICAL_DIR),
        )

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "Index":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
