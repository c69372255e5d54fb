"""Reading built index versions: the catalogue (manifest and SQLite store) alone, a whole version (plus FAISS
and BM25), and the live version shared by concurrent searches."""
from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rag.errors import IndexNotBuilt
from rag.indexing.lexical import LexicalIndex
from rag.indexing.manifest import Manifest
from rag.indexing.store import Store
from rag.indexing.vectors import VectorIndex
from rag.indexing.versions import MANIFEST, current_version

if TYPE_CHECKING:
    from typing import Self  # Python 3.11; annotations are not evaluated at run time

logger = logging.getLogger(__name__)

STORE_FILE = "store.sqlite"
VECTORS_FILE = "vectors.faiss"
LEXICAL_DIR = "lexical"


def live_folder(index_path: Path) -> Path:
    """The live version folder of the index at ``index_path`` (IndexNotBuilt when there is none)."""
    folder = current_version(index_path)
    if folder is None:
        raise IndexNotBuilt(f"no index at {index_path}: build one with `rag index FOLDER`")
    return folder


@dataclass
class Catalogue:
    """What one completed version holds, without its search structures: the manifest and the SQLite store.
    Listings and status read this; opening it loads neither FAISS nor BM25."""

    folder: Path
    manifest: Manifest
    store: Store

    @classmethod
    def open(cls, index_path: Path) -> Catalogue:
        """Open the catalogue of the live version of the index at ``index_path``."""
        return Catalogue.open_catalogue(live_folder(index_path))

    @staticmethod
    def open_catalogue(folder: Path) -> Catalogue:
        """Open the catalogue of the version in ``folder``."""
        return Catalogue(folder, Manifest.load(folder / MANIFEST), Store(folder / STORE_FILE))

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@dataclass
class Index(Catalogue):
    """All parts of one completed version (read-only by convention)."""

    vectors: VectorIndex
    lexical: LexicalIndex

    @classmethod
    def open(cls, index_path: Path) -> Index:
        """Open the live version of the index at ``index_path``."""
        return cls.open_version(live_folder(index_path))

    @classmethod
    def open_version(cls, folder: Path) -> Index:
        return cls(
            folder=folder,
            manifest=Manifest.load(folder / MANIFEST),
            store=Store(folder / STORE_FILE),
            vectors=VectorIndex.load(folder / VECTORS_FILE),
            lexical=LexicalIndex.load(folder / LEXICAL_DIR),
        )


@dataclass
class _Opened:
    """An opened version with the number of searches reading it."""

    index: Index
    readers: int = 0
    retired: bool = False  # a newer version is live: close this one when its last reader is done


class LiveIndex:
    """The live version of one index, reopened when a rebuild has switched versions.

    Each search reads one version from start to end (:meth:`reading`): a switch in between does not mix two
    versions' chunk ids. A replaced version is closed as soon as no search reads it any more.
    """

    def __init__(self, index_path: Path) -> None:
        self.index_path = index_path
        self._opened: _Opened | None = None
        self._lock = threading.Lock()

    @property
    def current(self) -> Index:
        """The live version, for a quick look (a search uses :meth:`reading`, which keeps it open)."""
        with self._lock:
            return self._refresh().index

    @contextlib.contextmanager
    def reading(self) -> Iterator[Index]:
        """The live version, kept open until the block ends even if a rebuild replaces it meanwhile."""
        with self._lock:
            opened = self._refresh()
            opened.readers += 1
        try:
            yield opened.index
        finally:
            with self._lock:
                opened.readers -= 1
                if opened.retired and not opened.readers:
                    self._close(opened)

    def close(self) -> None:
        """Close the live version (a search still reading it closes it when done)."""
        with self._lock:
            if self._opened is not None:
                self._retire(self._opened)
                self._opened = None

    def _refresh(self) -> _Opened:
        """The opened live version (called with the lock held): opened first, or again after a switch."""
        live = current_version(self.index_path)
        if self._opened is not None and (live is None or live == self._opened.index.folder):
            return self._opened
        opened = _Opened(Index.open(self.index_path))
        logger.info("opened index version %s", opened.index.folder.name)
        if self._opened is not None:
            self._retire(self._opened)
        self._opened = opened
        return opened

    def _retire(self, opened: _Opened) -> None:
        opened.retired = True
        if not opened.readers:
            self._close(opened)

    @staticmethod
    def _close(opened: _Opened) -> None:
        logger.info("closed index version %s", opened.index.folder.name)
        opened.index.close()
