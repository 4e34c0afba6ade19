"""Smoke run of the benchmark harness (scripts/bench is not a test; this only checks it runs)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_bench_quick_smoke_run(tmp_path):
    output = tmp_path / "results.md"
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench"), "--quick", "--sizes", "2000",
         "--cache", str(tmp_path / "cache"), "-o", str(output)],
        capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    text = output.read_text()
    for heading in ("## Machine", "## Engine (CPU time)", "## Ratios", "## Chokepoints (CPU time)",
                    "## Memory vs links", "## Monte Carlo (pure propagation)", "## Targets",
                    "## Recipe engine vs pooled engine"):
        assert heading in text
    recipes = text.split("## Recipe engine vs pooled engine")[1].split("\n## ")[0]
    for network in ("default", "20% looped"):  # the recipe engine on both networks
        assert f"| {network} | full (inventory + rerouting) |" in recipes
        assert f"| {network} | inventory only |" in recipes
    section = text.split("## Chokepoints (CPU time)")[1].split("## ")[0]
    row = next(line for line in section.splitlines() if line.startswith("| 2,000 |"))
    cells = row.strip("| ").split(" | ")
    assert cells[-2] == "True" and cells[-1].startswith("True, ")  # equal to the references
    ratios = next(line for line in text.splitlines() if line.startswith("| 2,000 |"))
    diff_plain, diff_nx = (float(cell) for cell in ratios.strip("| ").split(" | ")[-3:-1])
    assert diff_plain < 1e-9 and diff_nx < 1e-9  # engine == plain series == networkx


def _bench_module():
    """scripts/bench as a module (it has no .py suffix)."""
    import importlib.machinery
    import importlib.util

    loader = importlib.machinery.SourceFileLoader("bench_script", str(ROOT / "scripts" / "bench"))
    spec = importlib.util.spec_from_loader("bench_script", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_monitored_process_is_stopped_at_the_memory_cap():
    bench = _bench_module()
    grow = "import time\nx = bytearray(600 * 1024 ** 2)\ntime.sleep(30)"  # 0.6 GB, touched
    run = bench.monitored([sys.executable, "-c", grow], cap_gb=0.3, timeout=60)
    assert run["stopped"] and "memory cap 0.3 GB" in run["stopped"]
    assert run["wall"] < 30


def test_monitored_process_is_stopped_at_the_time_limit_and_reports_usage():
    bench = _bench_module()
    run = bench.monitored([sys.executable, "-c", "import time; time.sleep(30)"], cap_gb=4,
                          timeout=1.0)
    assert run["stopped"] == "stopped after 1 s (time limit)"
    done = bench.monitored([sys.executable, "-c", "sum(range(10 ** 6))"], cap_gb=4, timeout=60)
    assert done["stopped"] is None and done["cpu"] > 0 and 0 < done["peak"] < 4
    failed = bench.monitored([sys.executable, "-c", "raise SystemExit('no such network')"],
                             cap_gb=4, timeout=60)
    assert failed["stopped"] == "exited with 1: no such network"


@pytest.mark.slow
def test_bench_topology_smoke_run_keeps_other_sections(tmp_path):
    output = tmp_path / "results.md"
    output.write_text("# tiern benchmark results\n\n## Someone else's section\n\nkept\n")
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench"), "--topology", "--quick", "--sizes", "300",
         "--mc-size", "300", "--topologies", "acyclic,giant", "--cache", str(tmp_path / "cache"),
         "-o", str(output)],
        capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    text = output.read_text()
    assert "## Someone else's section\n\nkept" in text
    section = text.split("## Topology matrix (issue 19)")[1]
    for heading in ("### Cold command lines", "### Warm calls",
                    "### Monte Carlo (pure propagation) per topology", "### `tiern report` per topology",
                    "### Peak memory per topology (GB)", "### Targets (issue 19), by topology"):
        assert heading in section
    report = section.split("### `tiern report` per topology")[1].split("###")[0]
    assert report.count("| acyclic | 300 |") == 1 and "did not finish" not in report
    cold = section.split("### Cold command lines")[1].split("###")[0]
    rows = [line.split(" | ") for line in cold.splitlines() if line.startswith("| acyclic | 300 |")]
    # the floor of two cached command lines, and the ceiling ratio it allows
    assert len(rows) == 1 and rows[0][13] != "-" and rows[0][14].endswith("x")
    mc = section.split("### Monte Carlo")[1].split("###")[0]
    rows = [line.split(" | ") for line in mc.splitlines() if line.startswith("| acyclic |")
            or line.startswith("| giant component |")]
    assert len(rows) == 2 and all(row[8] == "True" for row in rows)  # threads == one thread
    # a second run measuring one part keeps the other parts of the rows
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench"), "--topology", "--quick", "--sizes", "300",
         "--topologies", "giant", "--parts", "warm", "--cache", str(tmp_path / "cache"),
         "-o", str(output)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    again = output.read_text().split("## Topology matrix (issue 19)")[1]
    assert again.count("| giant component | 300 |") == section.count("| giant component | 300 |")
