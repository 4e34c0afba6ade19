"""The package layout: the interchange format lives beside ``Network``, the source adapters
above it, and nothing below the command line reaches up into the adapters."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The command line sits above both packages and may use the adapters.


def _imports(path: Path):
    """(module imported, imported at module level?) for every import in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, id(node) in top
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module, id(node) in top


def test_graphmodel_never_imports_the_source_adapters():
    # the command line included: `tiern ingest` joins it through the tiern.commands entry point
    offenders = [f"{path.relative_to(ROOT)}: {module}"
                 for path in sorted((ROOT / "graphmodel").rglob("*.py"))
                 for module, _ in _imports(path) if module.split(".")[0] == "ingest"]
    assert offenders == []


def _command_line(path: Path) -> bool:
    """Command modules defer their imports into the commands, so that ``tiern --help``
    loads no analytics (tests/test_cli.py checks it); library modules never do, so an
    import cycle cannot hide in a function."""
    relative = path.relative_to(ROOT).as_posix()
    return relative.startswith("graphmodel/commands/") or relative == "ingest/commands.py"


def test_adapters_import_graphmodel_at_module_level():
    hidden = [f"{path.relative_to(ROOT)}: {module}" for path in sorted((ROOT / "ingest").glob("*.py"))
              if not _command_line(path)
              for module, top in _imports(path) if module.startswith("graphmodel") and not top]
    assert hidden == []


def test_interchange_format_is_imported_at_module_level():
    hidden = [f"{path.relative_to(ROOT)}: {module}"
              for path in sorted((ROOT / "graphmodel").rglob("*.py")) if not _command_line(path)
              for module, top in _imports(path) if module.startswith("graphmodel.io") and not top]
    assert hidden == []


def test_import_graphmodel_in_a_fresh_interpreter():
    # a circular import shows up as an ImportError only when the first import starts the cycle
    for module in ("graphmodel", "graphmodel.io", "ingest.usgs", "graphmodel.cli"):
        result = subprocess.run([sys.executable, "-c", f"import {module}"],
                                capture_output=True, text=True, cwd=ROOT)
        assert result.returncode == 0, result.stderr


def test_pyproject_lists_every_package():
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert config["package-dir"] == {"graphmodel.data": "data"}
    listed = set(config["packages"])
    code = {".".join(init.parent.relative_to(ROOT).parts)
            for top in ("graphmodel", "ingest") for init in (ROOT / top).rglob("__init__.py")}
    assert code | {"graphmodel.data"} <= listed

    def folder(package: str) -> Path:
        parts = package.split(".")
        if parts[:2] == ["graphmodel", "data"]:  # mapped by package-dir
            return ROOT.joinpath("data", *parts[2:])
        return ROOT.joinpath(*parts)

    assert [p for p in sorted(listed) if not folder(p).is_dir()] == []
