"""A normal (non-editable) install carries the bundled dataset and the scenario presets.

The wheel is built from a copy of the sources, installed into a fresh virtual environment
that cannot see this checkout, and ``tiern`` is run there from an unrelated folder. The
fresh environment borrows the current environment's third-party packages (a ``.pth``
line) so that nothing has to be downloaded.
"""
from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "README.md", "graphmodel", "ingest", "data")


def _run(args, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{' '.join(map(str, args))} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The bin folder of a fresh virtual environment with only tiern's wheel installed."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=ignore)
        else:
            shutil.copy2(path, source / name)
    # building from a copy keeps build/ and *.egg-info out of the checkout
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", tmp / "dist", source])
    wheel = next((tmp / "dist").glob("tiern-*.whl"))

    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv])
    python = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
          "--quiet", wheel])
    packages = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
                         ).stdout.strip())
    # appended after the venv's own site-packages, and its .pth files (an editable install of
    # this checkout) are not processed: tiern itself comes from the wheel
    (packages / "borrowed_dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    return venv / "bin"


def _env() -> dict:
    return {k: v for k, v in os.environ.items() if k not in ("TIERN_DATA", "PYTHONPATH")}


def test_the_wheel_is_what_runs(installed, tmp_path):
    where = _run([installed / "python", "-c", "import graphmodel, graphmodel.settings as s; "
                  "print(graphmodel.__file__); print(s.BUNDLED_DATA)"], cwd=tmp_path, env=_env())
    module, data = where.stdout.split()
    venv = installed.parent
    assert Path(module).is_relative_to(venv) and Path(data).is_relative_to(venv)
    assert (Path(data) / "facilities.csv").is_file()


def test_summary_runs_on_the_bundled_data_from_another_folder(installed, tmp_path):
    result = _run([installed / "tiern", "summary", "--by", "stage", "--format", "csv"],
                  cwd=tmp_path, env=_env())
    lines = result.stdout.splitlines()
    assert lines[0].startswith("stage,")
    stages = {line.split(",")[0] for line in lines[1:]}
    assert {"mine", "separator", "metal", "magnet", "oem"} <= stages


def test_a_preset_runs_from_another_folder(installed, tmp_path):
    result = _run([installed / "tiern", "scenario", "china-2025-export-controls", "--format", "csv"],
                  cwd=tmp_path, env=_env())
    lines = result.stdout.splitlines()
    assert lines[0].startswith("id,") and "min_supply" in lines[0]
    assert any(line.startswith("dk-vestas,") for line in lines[1:])


def test_the_wheel_carries_the_event_rules_and_samples(installed, tmp_path):
    where = _run([installed / "python", "-c", "import graphmodel.events.rules as r, "
                  "graphmodel.settings as s; print(r.BUNDLED_RULES); print(s.BUNDLED_DATA)"],
                 cwd=tmp_path, env=_env())
    rules, data = map(Path, where.stdout.split())
    assert rules.is_file()
    assert {p.name for p in (data / "events").iterdir()} >= {
        "rare-earths-2025-2026.rss.xml", "gdelt-events-rare-earths-2025-2026.csv",
        "watchlist-three-oems.yaml", "README.md"}


def test_licence_is_an_spdx_expression():
    # setuptools >= 77 reads project.license as an SPDX string; the older table form
    # ({text = ...} or {file = ...}) is deprecated and stops working in 2027
    import tomllib

    project = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml")
                            .read_text(encoding="utf-8"))["project"]
    assert project["license"] == "Apache-2.0"
    assert not any(c.startswith("License ::") for c in project.get("classifiers", []))
