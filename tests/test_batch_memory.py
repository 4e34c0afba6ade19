"""Monte Carlo batches capped by a memory budget: the arithmetic, the setting, the message."""
from __future__ import annotations

import pytest

from graphmodel.generate import generate_network
from graphmodel.scenarios import montecarlo
from graphmodel.scenarios.model import parse_scenario
from graphmodel.settings import DEFAULT_MAX_BATCH_BYTES, max_batch_bytes

SCENARIO = {"name": "cap", "horizon_months": 6, "shocks": [
    {"name": "CN separators", "select": {"country": "CN", "stage": "separator"},
     "capacity_loss": {"dist": "uniform", "low": 0.3, "high": 0.9}, "duration_months": 3,
     "probability": 0.8}],
    "responses": {"inventory": True, "reroute": False}, "monte_carlo": {"correlation": 0.5}}


def test_bytes_per_column_by_hand():
    # 8 bytes x (T (3n + 2E) + 3n + 4E + 2P + 3G)
    assert montecarlo.bytes_per_column(12, 10, 20, 5, 7) == 8 * (12 * 70 + 30 + 80 + 14 + 15)
    # the 100k network of the benchmark: about 105 MB per run (5.7 GB measured for 64 runs)
    per_run = montecarlo.bytes_per_column(12, 100_000, 305_994, 107_159, 112_000)
    assert 95e6 < per_run < 115e6


def test_capped_batch_size_arithmetic():
    assert montecarlo.capped_batch_size(50, 100, 10_000) == 50
    assert montecarlo.capped_batch_size(50, 1_000, 10_000) == 10
    assert montecarlo.capped_batch_size(50, 1_001, 10_000) == 9
    assert montecarlo.capped_batch_size(50, 10**9, 10_000) == 1   # never below one run


def test_setting_parses_suffixes(monkeypatch):
    monkeypatch.delenv("TIERN_MAX_BATCH_BYTES", raising=False)
    assert max_batch_bytes() == DEFAULT_MAX_BATCH_BYTES == 2 * 1024 ** 3
    for text, value in (("1000", 1000), ("512M", 512 * 1024 ** 2), ("2g", 2 * 1024 ** 3),
                        ("1.5GB", int(1.5 * 1024 ** 3)), ("64k", 65536)):
        monkeypatch.setenv("TIERN_MAX_BATCH_BYTES", text)
        assert max_batch_bytes() == value
    for bad in ("lots", "-1", "0"):
        monkeypatch.setenv("TIERN_MAX_BATCH_BYTES", bad)
        with pytest.raises(ValueError, match="TIERN_MAX_BATCH_BYTES"):
            max_batch_bytes()


def test_lowered_batch_gives_the_same_results_and_says_so(monkeypatch):
    net = generate_network(300, seed=2, recipes=True)
    scenario = parse_scenario(SCENARIO)
    column = montecarlo.bytes_per_column(6, len(net.facilities), len(net.links),
                                         net.production.n_groups, net.production.n_slots)
    wide = montecarlo.run_monte_carlo(net, scenario, runs=6, seed=1, batch_size=6)
    assert wide.batch_size == 6 and wide.note is None
    monkeypatch.setenv("TIERN_MAX_BATCH_BYTES", str(2 * column + 1))
    narrow = montecarlo.run_monte_carlo(net, scenario, runs=6, seed=1, batch_size=6)
    assert narrow.batch_size == 2
    assert "batch size lowered from 6 to 2 runs" in narrow.note
    assert "TIERN_MAX_BATCH_BYTES" in narrow.note
    assert narrow.runs.equals(wide.runs)
