"""The graphmodel package has no import cycle: not at module level, and none hidden in
function-level imports (every import of a graphmodel module counts)."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "graphmodel"


def module_names() -> dict[str, Path]:
    names = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


def import_graph() -> nx.DiGraph:
    """Edge m -> t when module m imports graphmodel module t anywhere in its body."""
    modules = module_names()
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join(parts + ([base] if base else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                           for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            graph.add_edges_from((name, t) for t in targets if t in modules and t != name)
    return graph


def test_no_import_cycle():
    graph = import_graph()
    cycles = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    assert cycles == []


def test_solver_imports_nothing_above_it():
    graph = import_graph()
    below = {t for m in graph if m.startswith("graphmodel.solve") for t in graph.successors(m)}
    assert below <= {m for m in graph if m.startswith("graphmodel.solve")} | {"graphmodel.errors"}


@pytest.mark.parametrize("module", ["graphmodel.solve", "graphmodel.exposure",
                                    "graphmodel.chokepoints", "graphmodel.scenarios",
                                    "graphmodel.compliance", "graphmodel.executors"])
def test_each_module_imports_on_its_own(module):
    done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
