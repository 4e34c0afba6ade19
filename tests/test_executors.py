"""Monte Carlo shards give identical results whatever the sharding and the executor."""
from __future__ import annotations

import numpy as np
import pytest

from graphmodel.executors import DaskExecutor, LocalExecutor, run_outage_study, shards
from graphmodel.generate import generate_network
from graphmodel.scenarios import outage
from graphmodel.solve import build_schedule

#: A random outage of China's separators, with inventories and rerouting (the full engine).
FULL_SCENARIO = {
    "name": "CN separation outage, full engine",
    "horizon_months": 6,
    "shocks": [{"select": {"country": "CN", "stage": "separator"},
                "capacity_loss": {"dist": "uniform", "low": 0.6, "high": 1.0},
                "duration_months": {"dist": "lognormal", "median": 3, "sigma": 0.5},
                "probability": 0.6}],
    "responses": {"inventory": True, "reroute": True},
}

# a Dask cluster that fails to start can wait forever: fail the test instead of the run
pytestmark = pytest.mark.timeout(300)

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


def test_sharding_does_not_change_results_on_a_heavily_recycled_network(monkeypatch):
    """On a 20%-looped network, runs whose outages fall inside the recycling block take the
    block solver's low-rank update, stacked by their number of failed rows (2 to 64 here:
    a country shock) in groups that change with the sharding: a run's result is still the
    same bit for bit, however sharded and on a thread pool. (That the dense products
    round alike on any number of BLAS threads is tested in test_solve.py.)"""
    from graphmodel.solve import plan as plan_module

    monkeypatch.setattr(plan_module.BlockSolver, "SMALL_BLOCK", 0)  # the large-block route
    looped = generate_network(3000, seed=4, loop_share=0.2)
    model = outage.OutageModel(probability=0.01, country_probability=0.5, stage="metal")
    whole = run_outage_study(looped, 48, seed=3, shard_size=48, model=model)
    assert (whole["shortfall"] > 0).sum() > 10
    sharded = run_outage_study(looped, 48, seed=3, shard_size=5, model=model)
    threads = run_outage_study(looped, 48, seed=3, shard_size=7, model=model,
                               executor=LocalExecutor(workers=2))
    assert_same(whole, sharded)
    assert_same(whole, threads)


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
                      dashboard_address=":0") as executor:
        distributed = run_outage_study(net, 30, seed=3, shard_size=4, model=MODEL,
                                       executor=executor)
    assert_same(local, distributed)


def test_scenario_monte_carlo_is_identical_on_dask_shards(golden):
    """The scenarios Monte Carlo takes any executor with ``map``: shards on a Dask cluster
    give the same per-run rows as one in-process batch."""
    from graphmodel.scenarios.model import parse_scenario
    from graphmodel.scenarios.montecarlo import run_monte_carlo

    scenario = parse_scenario({**FULL_SCENARIO, "name": "CN separation outage",
                               "responses": {"inventory": False, "reroute": True}})
    whole = run_monte_carlo(golden, scenario, runs=12, seed=4, batch_size=12)
    assert (whole.runs["shortfall"] > 0).any()
    with DaskExecutor(n_workers=2, processes=False, threads_per_worker=1,
                      dashboard_address=":0") as executor:
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


# --- Monte Carlo of the full engine on a Dask cluster (tiern scenario --scheduler) ---------


def _free_port() -> int:
    """A local port nothing listens on (bound, read, released)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def recipe_net():
    network = generate_network(300, seed=2, recipes=True)
    assert network.recipes is not None and len(network.recipes) > 0
    return network


def test_full_engine_monte_carlo_on_a_local_cluster_is_identical_per_run(recipe_net):
    """Inventories, rerouting and recipes on a 2-worker LocalCluster, reached by its tcp
    address as ``scheduler=`` reaches a remote one: the same per-run rows as in-process."""
    from dask.distributed import LocalCluster

    from graphmodel.scenarios.model import parse_scenario
    from graphmodel.scenarios.montecarlo import run_monte_carlo

    scenario = parse_scenario(FULL_SCENARIO)
    whole = run_monte_carlo(recipe_net, scenario, runs=10, seed=9, batch_size=10)
    assert (whole.runs["shortfall"] > 1e-9).any()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp://",
                      dashboard_address=":0") as cluster:
        seen = []
        sharded = run_monte_carlo(recipe_net, scenario, runs=10, seed=9, batch_size=3,
                                  scheduler=cluster.scheduler_address,
                                  progress=lambda done, total: seen.append(done))
        assert "apply" in cluster.scheduler.task_prefixes   # the batches ran on the cluster
    assert sharded.runs.equals(whole.runs)
    assert sharded.summary.equals(whole.summary)
    assert seen == [3, 6, 9, 10]
    with pytest.raises(ValueError, match="not both"):
        run_monte_carlo(recipe_net, scenario, runs=2, scheduler="local:1",
                        executor=LocalExecutor())


def test_an_unreachable_scheduler_is_a_clear_error_within_the_timeout():
    import time

    from graphmodel.executors import ExecutorError, scheduler_executor

    address = f"tcp://127.0.0.1:{_free_port()}"
    started = time.perf_counter()
    with pytest.raises(ExecutorError, match=f"cannot reach a Dask scheduler at {address} "
                                            r"within 1 s") as caught:
        scheduler_executor(address, connect_timeout=1)
    assert time.perf_counter() - started < 10
    assert caught.value.__suppress_context__   # no chained traceback for the command line


@pytest.mark.parametrize("text", ["", "  ", "local:0", "local:two", "local:-1", "tcp://", "foo",
                                  "http://host:8786"])
def test_a_malformed_scheduler_is_refused(text):
    from graphmodel.executors import ExecutorError, scheduler_executor

    with pytest.raises(ExecutorError, match="scheduler"):
        scheduler_executor(text)


@pytest.mark.parametrize("text", ["abc", "0", "-1", "nan", "inf"])
def test_a_bad_scheduler_timeout_is_refused(monkeypatch, text):
    from graphmodel.errors import SettingError
    from graphmodel.settings import scheduler_timeout

    monkeypatch.setenv("TIERN_SCHEDULER_TIMEOUT", text)
    with pytest.raises(SettingError, match="TIERN_SCHEDULER_TIMEOUT"):
        scheduler_timeout()
    monkeypatch.setenv("TIERN_SCHEDULER_TIMEOUT", " 2.5 ")
    assert scheduler_timeout() == 2.5


def test_missing_distributed_names_the_extra(monkeypatch):
    """Without dask.distributed the error says what to install."""
    import sys

    from graphmodel.executors import ExecutorError

    monkeypatch.setitem(sys.modules, "dask.distributed", None)   # import raises ImportError
    with pytest.raises(ExecutorError, match=r"pip install 'tiern\[distributed\]'"):
        DaskExecutor(address="tcp://127.0.0.1:8786")


def _tiern(*args, **env):
    import os
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "graphmodel.cli", *map(str, args)],
                          capture_output=True, text=True, env={**os.environ, **env})


@pytest.mark.slow   # three command lines, each importing the analytics and dask
def test_cli_scheduler_gives_the_same_table(tmp_path):
    """``tiern scenario --runs N --scheduler ADDRESS`` prints the same summary as in-process;
    --scheduler without --runs is a usage error."""
    import json

    from dask.distributed import LocalCluster

    scenario = tmp_path / "full.yaml"
    scenario.write_text(json.dumps(FULL_SCENARIO))   # JSON is YAML
    here = _tiern("scenario", scenario, "--runs", 6, "--seed", 3, "--batch-size", 2,
                  "--format", "json")
    assert here.returncode == 0, here.stderr
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp://",
                      dashboard_address=":0") as cluster:
        there = _tiern("scenario", scenario, "--runs", 6, "--seed", 3, "--batch-size", 2,
                       "--format", "json", "--scheduler", cluster.scheduler_address)
    assert there.returncode == 0, there.stderr
    assert f"running on the Dask cluster at {cluster.scheduler_address} (2 workers)" in there.stderr
    assert json.loads(there.stdout) == json.loads(here.stdout)

    alone = _tiern("scenario", scenario, "--scheduler", "local:2")
    assert alone.returncode == 2 and "add --runs N" in alone.stderr


def test_cli_unreachable_scheduler_is_one_line_naming_it(tmp_path):
    import json

    scenario = tmp_path / "full.yaml"
    scenario.write_text(json.dumps(FULL_SCENARIO))
    address = f"tcp://127.0.0.1:{_free_port()}"
    down = _tiern("scenario", scenario, "--runs", 6, "--scheduler", address,
                  TIERN_SCHEDULER_TIMEOUT="1")
    assert down.returncode == 1
    assert f"error: cannot reach a Dask scheduler at {address} within 1 s" in down.stderr
    assert "Traceback" not in down.stderr


@pytest.mark.slow   # starts two worker processes
def test_scheduler_local_starts_worker_processes_with_the_same_rows(recipe_net):
    """``scheduler="local:2"`` (what ``--scheduler local:2`` uses): the network is pickled
    to two worker processes and the per-run rows are those of the in-process run."""
    from graphmodel.scenarios.model import parse_scenario
    from graphmodel.scenarios.montecarlo import run_monte_carlo

    scenario = parse_scenario(FULL_SCENARIO)
    whole = run_monte_carlo(recipe_net, scenario, runs=6, seed=1, batch_size=6)
    there = run_monte_carlo(recipe_net, scenario, runs=6, seed=1, batch_size=2,
                            scheduler="local:2")
    assert (whole.runs["shortfall"] > 1e-9).any()
    assert there.runs.equals(whole.runs)
