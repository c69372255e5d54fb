"""Loaded through PYTHONPATH in every process a unit test starts (tests/helpers/guard.py): importing a model
library (``UNIT_TEST_MODEL_LIBRARIES``) fails there, so the process cannot load a model. The network guard
(tests/netguard) stays on too."""
from __future__ import annotations

import importlib.util
import os
import sys
from importlib.abc import MetaPathFinder
from pathlib import Path

MESSAGE = "unit test guard: a process started by a unit test imported a model library"
LIBRARIES = set(filter(None, os.environ.get("UNIT_TEST_MODEL_LIBRARIES", "").split(",")))


class _Refuse(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in LIBRARIES:
            sys.stderr.write(f"{MESSAGE}: {name}\n")
            raise ImportError(f"{MESSAGE}: {name}")
        return None


sys.meta_path.insert(0, _Refuse())
_netguard = Path(__file__).resolve().parents[2] / "netguard" / "sitecustomize.py"
_spec = importlib.util.spec_from_file_location("netguard_sitecustomize", _netguard)
assert _spec is not None and _spec.loader is not None, _netguard
_spec.loader.exec_module(importlib.util.module_from_spec(_spec))
