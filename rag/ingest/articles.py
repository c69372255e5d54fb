"""Load a folder of news articles in mixed formats; unreadable files are reported, never fatal."""
from __future__ import annotations

import logging
import os
import re
from pathlib import Path

from tqdm import tqdm

from rag.errors import FolderNotFound
from rag.ingest.readers import MAX_BYTES, READERS, SUPPORTED, relative_source
from rag.types import Article, LoadResult, Problem

logger = logging.getLogger(__name__)

# Partial downloads, editor swap and backup files, office lock files: not articles, or not whole yet.
_TEMPORARY = re.compile(r"^~\$|~$|\.(part|partial|crdownload|download|tmp|temp|sw[a-p])$", re.IGNORECASE)


def is_temporary(name: str) -> bool:
    """Whether a file name is a partial download, an editor's swap or backup file, or an office lock file."""
    return bool(_TEMPORARY.search(name))


def load_file(path: Path, root: Path, *, max_bytes: int = MAX_BYTES
              ) -> tuple[list[Article], list[Problem]]:
    """Read one file with the reader for its extension.

    Never raises for bad content: an unsupported type or any reader error comes back as a
    :class:`Problem` naming the file (relative to ``root``) and the reason.
    """
    path, root = Path(path), Path(root)
    rel = relative_source(path, root)
    ext = path.suffix.lower()
    reader = READERS.get(ext)
    if reader is None:
        kind = f"'{ext}'" if ext else "(no extension)"
        return [], [Problem(rel, f"unsupported file type {kind} (supported: {SUPPORTED})")]
    try:
        return reader(path, root, max_bytes=max_bytes)
    except ValueError as exc:  # includes UnicodeError
        reason = str(exc)
    except OSError as exc:
        reason = f"cannot read file: {exc.strerror or exc}"
    except ImportError as exc:
        reason = str(exc)
    except Exception as exc:  # a reader bug or library crash must not stop the walk
        logger.debug("unexpected error reading %s", rel, exc_info=True)
        reason = f"unexpected error: {type(exc).__name__}: {exc}"
    return [], [Problem(rel, reason)]


def _walk(folder: Path) -> list[Path]:
    """All non-hidden, non-temporary regular files under ``folder``, in sorted order (symlinked dirs not
    followed)."""
    files: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            path = Path(dirpath, name)
            if not name.startswith(".") and not is_temporary(name) and path.is_file():
                files.append(path)
    return files


def load_folder(folder: Path, *, max_bytes: int = MAX_BYTES) -> LoadResult:
    """Read every supported file under ``folder`` (recursively, sorted, hidden and temporary names skipped).

    Raises :class:`FolderNotFound` only for a missing or non-folder path;
    everything else that goes wrong lands in ``LoadResult.problems`` and is logged as a warning.
    Articles whose id was already used by an earlier file are reported and skipped.
    """
    folder = Path(folder)
    if not folder.exists():
        raise FolderNotFound(f"article folder not found: {folder}")
    if not folder.is_dir():
        raise FolderNotFound(f"not a folder: {folder}")
    result = LoadResult()
    owners: dict[str, str] = {}
    files = _walk(folder)
    for path in tqdm(files, desc="reading articles", unit="file", disable=len(files) < 100):
        articles, problems = load_file(path, folder, max_bytes=max_bytes)
        for article in articles:
            if article.id in owners:
                problems.append(Problem(article.source,
                                        f"duplicate article id '{article.id}' (already used by "
                                        f"{owners[article.id]})"))
                continue
            owners[article.id] = article.source
            result.articles.append(article)
        for problem in problems:
            logger.warning("skipped %s", problem)
        result.problems.extend(problems)
    logger.info("loaded %d articles from %s (%d problems)", len(result.articles), folder,
                len(result.problems))
    return result
