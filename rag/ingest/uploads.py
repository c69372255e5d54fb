"""Uploaded files saved into the articles folder: plain names, only supported types within the size limit,
never overwriting a file."""
from __future__ import annotations

import shutil
import unicodedata
from pathlib import Path

from rag.ingest.readers import READERS, SUPPORTED
from rag.settings import Settings
from rag.types import Problem

MAX_NAME_BYTES = 200  # file systems allow 255 bytes; leaves room for a "-n" when the name is taken


def safe_name(name: str) -> str:
    """A plain file name from an uploaded one: no folders, no '..', no control characters, at most
    MAX_NAME_BYTES of UTF-8 (a long name is shortened before its extension, which is kept)."""
    base = Path(name.replace("\\", "/")).name
    base = "".join(c for c in unicodedata.normalize("NFC", base) if unicodedata.category(c)[0] != "C").strip()
    suffix = Path(base).suffix if len(Path(base).suffix) <= 16 else ""
    stem = base[:len(base) - len(suffix)].encode("utf-8")[:MAX_NAME_BYTES - len(suffix.encode("utf-8"))]
    return (stem.decode("utf-8", "ignore").strip().lstrip(".").strip() or "upload") + suffix


def add_files(paths: list[Path], settings: Settings) -> tuple[list[str], list[Problem]]:
    """Copy uploaded files into ``settings.articles_dir/uploads``; returns (saved names, rejections).

    Nothing outside the articles folder is ever written; an existing file is not overwritten
    (a numbered name is used instead).
    """
    target = settings.articles_dir / "uploads"
    target.mkdir(parents=True, exist_ok=True)
    saved: list[str] = []
    rejected: list[Problem] = []
    for path in paths:
        name = safe_name(Path(path).name)
        if Path(name).suffix.lower() not in READERS:
            rejected.append(Problem(name, f"unsupported file type (supported: {SUPPORTED})"))
            continue
        if Path(path).stat().st_size > settings.max_file_bytes:
            rejected.append(Problem(name, f"file too large (limit {settings.max_file_mb:g} MB)"))
            continue
        destination = target / name
        counter = 1
        while destination.exists():
            destination = target / f"{Path(name).stem}-{counter}{Path(name).suffix}"
            counter += 1
        shutil.copyfile(path, destination)
        saved.append(destination.relative_to(settings.articles_dir).as_posix())
    return saved, rejected
