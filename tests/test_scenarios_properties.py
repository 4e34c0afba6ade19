"""Scenario engine properties on random networks, Monte Carlo reproducibility, REI."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphmodel.solve import Plan
from graphmodel.build import network_from_records
from graphmodel.scenarios import parse_scenario, run_scenario
from graphmodel.scenarios.montecarlo import combine, draw_runs, run_batch, run_monte_carlo
from graphmodel.scenarios.rei import outage_loss_matrix, risk_exposure_index

from .strategies import network_records

PURE = dict(reroute=False, inventory=False)
PROPERTY = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def exposure_to(net, failed: np.ndarray) -> np.ndarray:
    """Share of each facility's supply tracing through the failed set, by the algebra:
    x = S_F x + 1_F with the rows of failed facilities cut (first passage into F)."""
    S = sp.lil_matrix(net.share_matrix)
    for position in np.flatnonzero(failed):
        S[position, :] = 0
    return Plan.of(sp.csr_matrix(S)).solve(failed.astype(float))


@PROPERTY
@given(records=network_records(), data=st.data())
def test_simple_outage_equals_one_minus_exposure(records, data):
    net = network_from_records(**records)
    ids = list(net.facilities.index)
    failed_ids = data.draw(st.lists(st.sampled_from(ids), min_size=1, max_size=3, unique=True))
    spec = parse_scenario({"name": "p", "horizon_months": 1,
                           "shocks": [{"select": {"id": failed_ids}}]})
    supply = run_scenario(net, spec, **PURE).facility_supply.iloc[0].to_numpy()
    failed = net.facilities.index.isin(failed_ids)
    # (supply circulating in a closed loop with no origin counts too: both sides agree)
    assert supply == pytest.approx(1.0 - exposure_to(net, failed), abs=1e-9)


def _spare_capacity_case(records, data):
    net = network_from_records(**records)
    ids = list(net.facilities.index)
    failed = data.draw(st.sampled_from(ids))
    spec = parse_scenario({"name": "p", "horizon_months": 4, "shocks": [
        {"select": {"id": failed}, "capacity_loss": data.draw(st.sampled_from([0.5, 1.0])),
         "duration_months": 3}]})
    before = run_scenario(net, spec)
    # more capacity at one operating facility (unknown capacity becomes known spare)
    grow = data.draw(st.sampled_from(ids))
    extra = data.draw(st.floats(1, 1000))
    facilities = [dict(f) for f in records["facilities"]]
    for row in facilities:
        if row["id"] == grow:
            row["capacity"] = (row.get("capacity") or 0.0) + extra
    after = run_scenario(network_from_records(facilities, records["links"], records["owners"]), spec)
    demand = before.sinks.set_index("id")["demand"]
    lost_before = before.sinks.set_index("id")["lost_volume"].sum()
    lost_after = after.sinks.set_index("id")["lost_volume"].reindex(demand.index).sum()
    assert lost_after <= lost_before + 1e-9 * (1 + demand.sum())


@settings(PROPERTY, max_examples=20)
@given(records=network_records(recycling=False), data=st.data())
def test_adding_spare_qualified_capacity_never_lowers_supply(records, data):
    """More capacity at any facility never increases the sinks' total lost volume."""
    _spare_capacity_case(records, data)


@pytest.mark.slow
@settings(PROPERTY, max_examples=300)
@given(records=network_records(), data=st.data())
def test_adding_spare_qualified_capacity_never_lowers_supply_many(records, data):
    """The same with many more examples, recycling loops included."""
    _spare_capacity_case(records, data)


# --- Monte Carlo ----------------------------------------------------------------------
MC = {"name": "mc", "horizon_months": 12, "monte_carlo": {"correlation": 0.6}, "shocks": [
    {"select": {"country": "CN", "stage": "mine"}, "probability": 0.4,
     "duration_months": {"dist": "lognormal", "median": 4, "sigma": 0.5}},
    {"select": {"country": "CN", "stage": "magnet"}, "probability": 0.3,
     "capacity_loss": {"dist": "uniform", "low": 0.2, "high": 0.9},
     "duration_months": {"dist": "triangular", "low": 1, "mode": 3, "high": 9}},
    {"select": {"country": "MY"}, "probability": 0.2, "duration_months": 3,
     "start_month": {"dist": "uniform", "low": 0, "high": 6}}]}


def test_monte_carlo_same_seed_same_results(golden):
    spec = parse_scenario(MC)
    first = run_monte_carlo(golden, spec, runs=30, seed=7, reroute=False)
    again = run_monte_carlo(golden, spec, runs=30, seed=7, reroute=False)
    pd.testing.assert_frame_equal(first.runs, again.runs)
    pd.testing.assert_frame_equal(first.summary, again.summary)
    other = run_monte_carlo(golden, spec, runs=30, seed=8, reroute=False)
    assert not first.runs["lost_volume"].equals(other.runs["lost_volume"])


def test_monte_carlo_sharding_does_not_change_results(golden):
    spec = parse_scenario(MC)
    whole = run_batch(golden, spec, range(24), seed=3)
    shards = [run_batch(golden, spec, runs, seed=3) for runs in ([17, 3, 5], range(6, 17),
                                                                 [0, 1, 2, 4], range(18, 24))]
    pd.testing.assert_frame_equal(combine([whole]), combine(reversed(shards)))
    with ThreadPoolExecutor(max_workers=2) as pool:
        pooled = run_monte_carlo(golden, spec, runs=24, seed=3, batch_size=5, executor=pool)
    pd.testing.assert_frame_equal(pooled.runs, combine([whole]))


def test_monte_carlo_reports_progress_and_distribution(golden):
    spec = parse_scenario(MC)
    calls = []
    result = run_monte_carlo(golden, spec, runs=40, seed=1, batch_size=15, reroute=False,
                             inventory=False, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(15, 40), (30, 40), (40, 40)]
    summary = result.summary.set_index("id")
    assert (summary["runs"] == 40).all()
    per_run = result.runs[result.runs["id"] == "oem_def"]
    assert summary.at["oem_def", "lost_volume_mean"] == pytest.approx(per_run["lost_volume"].mean())
    assert summary.at["oem_def", "shortfall_p95"] == pytest.approx(per_run["shortfall"].quantile(0.95))
    assert 0 < summary.at["oem_def", "p_shortfall"] < 1


def test_correlation_ties_shocks_of_one_country():
    # two CN shocks with probability 0.5 each: independent -> P(both) ~ 0.25;
    # correlation 0.999 -> they (almost) always occur together
    def both_rate(rho):
        spec = parse_scenario({"name": "c", "monte_carlo": {"correlation": rho}, "shocks": [
            {"select": {"country": "CN", "stage": "mine"}, "probability": 0.5},
            {"select": {"country": "CN", "stage": "magnet"}, "probability": 0.5}]})
        occurs = draw_runs(spec, range(4000), seed=11).occurs
        return occurs.all(axis=1).mean()
    assert both_rate(0.0) == pytest.approx(0.25, abs=0.03)
    assert both_rate(0.999) == pytest.approx(0.5, abs=0.03)


def test_lognormal_duration_has_the_given_median():
    spec = parse_scenario({"name": "d", "shocks": [{"select": {"country": "CN"}, "duration_months":
                                                   {"dist": "lognormal", "median": 6, "sigma": 0.5}}]})
    durations = draw_runs(spec, range(4000), seed=5).duration[:, 0]
    assert np.median(durations) == pytest.approx(6, rel=0.05)


# --- REI ------------------------------------------------------------------------------
def test_rei_matches_the_engine_for_each_facility(golden):
    # a 3-month full outage of each facility, run through the scenario engine one by one,
    # loses exactly the REI's lost volume
    table = risk_exposure_index(golden, months=3).set_index("id")
    for fid in golden.facilities.index:
        spec = parse_scenario({"name": fid, "horizon_months": 3,
                               "shocks": [{"select": {"id": fid}}]})
        lost = run_scenario(golden, spec, **PURE).sinks["lost_volume"].sum()
        assert table.at[fid, "lost_volume"] == pytest.approx(lost, abs=1e-9), fid
    assert table["rei"].max() == 1
    assert table.at["sep_us", "lost_volume"] == 0       # planned, carries nothing


def test_rei_loss_matrix_by_hand(golden):
    # mine_cn out -> oem_def keeps 0.481579 (see test_scenarios), so loses 0.518421
    loss = outage_loss_matrix(golden)
    assert loss.at["oem_def", "mine_cn"] == pytest.approx(1 - (0.125 + 0.5 * 0.6775 / 0.95))
    assert loss.at["oem_auto", "oem_auto"] == 1
