"""The import graph of the package: no cycles; the symbolic core imports neither the
numeric nor the export layer nor the facade; numeric/ and export/ import no model module.

Every ``import`` statement counts, including those inside functions: a function-local
import hides a cycle from Python, not from this test.
"""

from __future__ import annotations

import ast
from pathlib import Path

import melitz_sym

ROOT = Path(melitz_sym.__file__).parent
PACKAGE = "melitz_sym"
#: The symbolic core (DESIGN.md): primitives, derivation and models, and what they stand on.
CORE = ("melitz_sym.primitives", "melitz_sym.models", "melitz_sym.derivation",
        "melitz_sym.distributions", "melitz_sym.symbols", "melitz_sym.errors",
        "melitz_sym.admissibility", "melitz_sym.simplify", "melitz_sym.tails")
LAYERS = ("melitz_sym.numeric", "melitz_sym.export", "melitz_sym.facade")


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join([PACKAGE, *parts])] = path
    return out


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Modules of the package that ``name`` imports (a package counts as its __init__)."""
    is_pkg = path.name == "__init__.py"
    base = name.split(".") if is_pkg else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                stem = base[:len(base) - node.level + 1]
                mod = ".".join(stem + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            targets = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in modules else mod
                       for a in node.names]
        else:
            continue
        found.update(t for t in targets if t in modules and t != name)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _within(name: str, prefixes) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_no_import_cycles():
    graph = _graph()
    index, low, stack, on, cycles = {}, {}, [], set(), []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    # A package's __init__ re-exporting its own submodules is not a cycle of concepts.
    cycles = [c for c in cycles if not all(m.startswith(c[0] + ".") or m == c[0] for m in c)]
    assert cycles == []


def test_core_imports_no_numeric_export_or_facade():
    bad = {m: sorted(t for t in ts if _within(t, LAYERS))
           for m, ts in _graph().items() if _within(m, CORE)}
    assert {m: ts for m, ts in bad.items() if ts} == {}


def test_numeric_and_export_import_no_model_module():
    bad = {m: sorted(t for t in ts if _within(t, ("melitz_sym.models",)))
           for m, ts in _graph().items() if _within(m, LAYERS[:2])}
    assert {m: ts for m, ts in bad.items() if ts} == {}


def test_the_graph_sees_function_local_imports():
    """The test would miss cycles if it missed imports inside functions."""
    graph = _graph()
    assert "melitz_sym.numeric.fast" in graph["melitz_sym.facade"]
    assert "melitz_sym.modelfile" in graph["melitz_sym.models"]  # imported inside declaration()
