"""Noticing article files that appear, change or disappear under a folder, with `watchfiles` (inotify on
Linux, FSEvents on macOS, polling where neither works). Bursts are debounced by watchfiles itself: a copy of
fifty files comes out as one batch."""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from rag.ingest.articles import is_temporary
from rag.ingest.readers import READERS

logger = logging.getLogger(__name__)

_VERBS = {1: "added", 2: "changed", 3: "removed"}  # watchfiles.Change values
T = TypeVar("T")


class Event(Protocol):
    """Anything with ``is_set()``, such as :class:`threading.Event`."""

    def is_set(self) -> bool: ...


def article_filter(root: Path, ignore: Iterable[Path] = ()) -> Callable[[Any, str], bool]:
    """A watchfiles filter keeping the changes a rebuild would see: supported, visible, finished files, and
    folders (a folder moved in or out brings or takes its articles in one event)."""
    root = root.resolve()
    ignored = tuple(p.resolve() for p in ignore if root in p.resolve().parents)  # e.g. an index kept inside

    def wanted(change: Any, raw: str) -> bool:
        path = Path(raw)
        try:
            parts = path.relative_to(root).parts or (path.name,)
        except ValueError:
            parts = (path.name,)
        if any(part.startswith(".") for part in parts) or is_temporary(parts[-1]):
            return False
        if any(path == p or p in path.parents for p in ignored):
            return False
        if path.suffix.lower() in READERS:
            return True
        return path.is_dir() or (_VERBS.get(int(change)) == "removed" and not path.suffix)

    return wanted


def watch_articles(folder: Path, stop: Event | None = None, *, debounce_ms: int = 5000, step_ms: int = 500,
                   ignore: Iterable[Path] = ()) -> Iterator[list[str]]:
    """Block and yield, per burst of changes under ``folder``, notes like ``"added uploads/a.txt"``.

    The first batch comes as soon as the folder is watched, empty when nothing changed yet, so a caller can
    build once then without missing a file dropped meanwhile. A burst ends after ``step_ms`` without a new
    change, or ``debounce_ms`` after it began. Ends when ``stop`` is set; Ctrl-C in the main thread raises
    KeyboardInterrupt.
    """
    from watchfiles import watch

    root = Path(folder).resolve()
    first = True
    # rust_timeout: an empty batch every step while nothing happens, so the first one says "watching now".
    for changes in watch(root, watch_filter=article_filter(root, ignore), debounce=debounce_ms, step=step_ms,
                         stop_event=stop, rust_timeout=step_ms, yield_on_timeout=True, raise_interrupt=True):
        verbs: dict[str, set[str]] = {}
        for change, raw in changes:
            verbs.setdefault(raw, set()).add(_VERBS.get(int(change), "changed"))
        notes = [f"{_verb(Path(raw), seen)} {_relative(Path(raw), root)}" for raw, seen in sorted(verbs.items())]
        if notes:
            logger.info("noticed %d change(s) under %s: %s", len(notes), root, "; ".join(notes[:5]))
        if notes or first:
            yield notes
        first = False


def _verb(path: Path, seen: set[str]) -> str:
    """One word per path for a burst: a file created then written was added; one saved by replacing it
    (removed, then added again) was changed."""
    if not path.exists():
        return "removed"
    return "added" if "added" in seen and "removed" not in seen else "changed"


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


class WatchHandle(Generic[T]):
    """A watch loop on a background thread: ``changes(stop, ready)`` yields what each burst did (and sets
    ``ready`` once watching), ``on_change`` is called with each; :meth:`stop` ends it."""

    def __init__(self, changes: Callable[[threading.Event, threading.Event], Iterable[T]],
                 on_change: Callable[[T], None] | None = None, ready_timeout: float = 30) -> None:
        self.changes = 0
        self.error: str | None = None  # why the loop itself ended
        self._stop = threading.Event()
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(changes, on_change, ready), name="rag-watch",
                                        daemon=True)  # a build killed with the process is crash-safe
        self._thread.start()
        ready.wait(ready_timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float | None = 30) -> bool:
        """Stop watching, waiting up to ``timeout`` s for work under way; whether the loop ended."""
        self._stop.set()
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self, changes: Callable[[threading.Event, threading.Event], Iterable[T]],
             on_change: Callable[[T], None] | None, ready: threading.Event) -> None:
        try:
            for change in changes(self._stop, ready):
                self.changes += 1
                if on_change is not None:
                    try:
                        on_change(change)
                    except Exception:  # the caller's display failing must not stop the watching
                        logger.exception("on_change failed")
        except Exception as exc:
            logger.exception("watching stopped")
            self.error = str(exc) or type(exc).__name__
        finally:
            ready.set()
