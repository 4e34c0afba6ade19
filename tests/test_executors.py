"""Monte Carlo shards give identical results whatever the sharding and the executor."""
from __future__ import annotations

import numpy as np
import pytest

from graphmodel import engine
from graphmodel.executors import DaskExecutor, LocalExecutor, run_outage_study, shards
from graphmodel.generate import generate_network

# frequent outages so that many runs lose supply (a study of zeros would prove nothing)
MODEL = engine.OutageModel(probability=0.02, country_probability=0.5)


@pytest.fixture(scope="module")
def net():
    network = generate_network(800, seed=1)
    assert engine.build_schedule(network.share_matrix).n_cyclic > 0  # recycling loops present
    return network


def assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_shards_cover_every_run_once():
    assert [list(r) for r in shards(7, 3)] == [[0, 1, 2], [3, 4, 5], [6]]
    with pytest.raises(ValueError):
        shards(5, 0)


def test_sharding_does_not_change_results(net):
    whole = run_outage_study(net, 40, seed=11, shard_size=40, model=MODEL)
    assert (whole["shortfall"] > 0).sum() > 5 and whole["short_counts"].sum() > 0
    sharded = run_outage_study(net, 40, seed=11, shard_size=7, model=MODEL)
    threads = run_outage_study(net, 40, seed=11, shard_size=3, model=MODEL,
                               executor=LocalExecutor(workers=2))
    assert_same(whole, sharded)
    assert_same(whole, threads)
    other_seed = run_outage_study(net, 40, seed=12, shard_size=40, model=MODEL)
    assert not np.array_equal(whole["shortfall"], other_seed["shortfall"])


def test_a_run_depends_only_on_seed_and_index(net):
    study = run_outage_study(net, 20, seed=5, shard_size=20, model=MODEL)
    alone = engine.outage_batch(net, [13, 4], seed=5, model=MODEL)
    np.testing.assert_array_equal(alone["shortfall"], study["shortfall"][[13, 4]])


def test_progress_reports_every_run(net):
    seen = []
    run_outage_study(net, 10, seed=0, shard_size=4, model=MODEL,
                     progress=lambda done, total: seen.append((done, total)))
    assert seen == [(4, 10), (8, 10), (10, 10)]


def test_dask_local_cluster_gives_identical_results(net):
    local = run_outage_study(net, 30, seed=3, shard_size=30, model=MODEL)
    with DaskExecutor(n_workers=2, processes=False, threads_per_worker=1,
                      dashboard_address=None) as executor:
        distributed = run_outage_study(net, 30, seed=3, shard_size=4, model=MODEL,
                                       executor=executor)
    assert_same(local, distributed)


def test_scenario_monte_carlo_is_identical_on_dask_shards(golden):
    """The scenarios Monte Carlo takes any executor with ``map``: shards on a Dask cluster
    give the same per-run rows as one in-process batch."""
    from graphmodel.scenarios.model import parse_scenario
    from graphmodel.scenarios.montecarlo import run_monte_carlo

    scenario = parse_scenario({
        "name": "CN separation outage",
        "horizon_months": 6,
        "shocks": [{"select": {"country": "CN", "stage": "separator"},
                    "capacity_loss": {"dist": "uniform", "low": 0.6, "high": 1.0},
                    "duration_months": {"dist": "lognormal", "median": 3, "sigma": 0.5},
                    "probability": 0.6}],
        "responses": {"inventory": False, "reroute": True},
    })
    whole = run_monte_carlo(golden, scenario, runs=12, seed=4, batch_size=12)
    assert (whole.runs["shortfall"] > 0).any()
    with DaskExecutor(n_workers=2, processes=False, threads_per_worker=1,
                      dashboard_address=None) as executor:
        sharded = run_monte_carlo(golden, scenario, runs=12, seed=4, batch_size=5,
                                  executor=executor)
    local = run_monte_carlo(golden, scenario, runs=12, seed=4, batch_size=1,
                            executor=LocalExecutor(workers=2))
    assert sharded.runs.equals(whole.runs)
    assert local.runs.equals(whole.runs)
