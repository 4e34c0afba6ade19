"""Monte Carlo shards give identical results whatever the sharding and the executor."""
from __future__ import annotations

import numpy as np
import pytest

from graphmodel.executors import DaskExecutor, LocalExecutor, run_outage_study, shards
from graphmodel.generate import generate_network
from graphmodel.scenarios import outage
from graphmodel.solve import build_schedule

# frequent outages so that many runs lose supply (a study of zeros would prove nothing)
MODEL = outage.OutageModel(probability=0.02, country_probability=0.5)


@pytest.fixture(scope="module")
def net():
    network = generate_network(800, seed=1)
    assert build_schedule(network.share_matrix).n_cyclic > 0  # recycling loops present
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
    alone = outage.outage_batch(net, [13, 4], seed=5, model=MODEL)
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


def test_outage_statistics_follow_their_definition(net):
    """outage_batch (sparse shocks, sinks taken level by level) equals the definition
    computed from the dense factor block and the plain propagation."""
    runs = list(range(25))
    got = outage.outage_batch(net, runs, seed=2, model=MODEL)
    factors = outage.draw_factors(net, runs, seed=2, model=MODEL)
    sinks = net.facilities.index.get_indexer(net.sinks)
    demand = net.sink_demand.reindex(net.sinks).to_numpy(dtype=float)
    a0 = net.trace.propagate(np.ones(len(net.facilities)))[sinks]
    a = net.trace.propagate(factors)[sinks]
    traced = a0 > 0
    assert traced.sum() > 10 and (a < a0[:, None] - 1e-12).any()
    lost = np.zeros_like(a)
    lost[traced] = 1.0 - a[traced] / a0[traced, None]
    np.testing.assert_allclose(got["shortfall"], (demand * a0) @ lost / (demand @ a0), atol=1e-12)
    np.testing.assert_allclose(got["worst"], lost.max(axis=0), atol=1e-12)
    np.testing.assert_array_equal(got["short_counts"], (lost > 0.01 + 1e-9).sum(axis=1))


def test_a_facility_hit_twice_keeps_the_product(net):
    """A failed facility that the country-wide shock also hits keeps both losses."""
    model = outage.OutageModel(probability=0.5, country_probability=1.0)
    shocks = outage.draw_shocks(net, [0], seed=1, model=model)
    group = np.flatnonzero(((net.facilities["country"] == model.country)
                            & (net.facilities["stage"] == model.stage)).to_numpy())
    rng = outage.run_rng(1, 0)
    count = min(len(net.facilities), rng.poisson(model.probability * len(net.facilities)))
    failed = rng.choice(len(net.facilities), size=count, replace=False)
    kept = 1.0 - rng.random(count)
    rng.random()
    group_factor = 1.0 - rng.uniform(model.country_loss_low, 1.0)
    want = np.ones(len(net.facilities))
    want[failed] = kept
    want[group] *= group_factor
    assert np.isin(failed, group).any()
    np.testing.assert_array_equal(shocks.dense(len(net.facilities))[:, 0], want)
