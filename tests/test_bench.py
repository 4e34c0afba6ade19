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
    section = text.split("## Chokepoints (CPU time)")[1].split("## ")[0]
    row = next(line for line in section.splitlines() if line.startswith("| 2,000 |"))
    cells = row.strip("| ").split(" | ")
    assert cells[-2] == "True" and cells[-1].startswith("True, ")  # equal to the references
    ratios = next(line for line in text.splitlines() if line.startswith("| 2,000 |"))
    diff_plain, diff_nx = (float(cell) for cell in ratios.strip("| ").split(" | ")[-3:-1])
    assert diff_plain < 1e-9 and diff_nx < 1e-9  # engine == plain series == networkx
