"""Hostile input, empty networks: a network with no links (an ingested USGS census) or whose
links carry no volume (an AMRT declaration) gives each analytic's defined result, never a
numpy error (a reduction over zero links, a lookup into zero sinks, a str/float division)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from graphmodel.chokepoints import chokepoints
from graphmodel.scenarios.model import parse_scenario
from graphmodel.scenarios.montecarlo import run_monte_carlo
from graphmodel.scenarios.optimal import run_optimal
from graphmodel.scenarios.rei import risk_exposure_index
from graphmodel.scenarios.run import run_scenario
from ingest.fragment import build_network

FACILITIES = [
    {"id": "mine_cn", "name": "Mine", "stage": "mine", "country": "CN", "capacity": 100, "unit": "t/yr"},
    {"id": "sep_cn", "name": "Separator", "stage": "separator", "country": "CN", "capacity": 80,
     "unit": "t/yr"},
]
SCENARIO = {"name": "CN stop", "horizon_months": 6,
            "shocks": [{"select": {"country": "CN"}, "capacity_loss": 1.0, "start_month": 1,
                        "duration_months": 2}]}


@pytest.fixture(params=["no links", "zero-volume links"])
def empty_net(request):
    links = [] if request.param == "no links" else [
        {"supplier": "mine_cn", "customer": "sep_cn", "material": "RE concentrate", "volume": 0,
         "status": "qualified", "volume_known": False}]
    return build_network(FACILITIES, links, name="empty")


@pytest.fixture
def scenario():
    return parse_scenario(SCENARIO)


def test_nothing_flows_so_there_are_no_sinks_and_no_shares(empty_net):
    assert list(empty_net.sinks) == []
    shares = empty_net.inbound_shares()
    assert len(shares) == 0 and shares["share"].dtype == float


def test_rei_ranks_every_facility_with_nothing_lost(empty_net):
    table = risk_exposure_index(empty_net)
    assert table["id"].tolist() == ["mine_cn", "sep_cn"]
    assert table["lost_volume"].tolist() == [0.0, 0.0] and table["rei"].tolist() == [0.0, 0.0]
    assert table["sinks_hit"].tolist() == [0, 0] and table["worst_sink"].isna().all()
    assert table["lost_share"].isna().all()  # no demand: a share of nothing is undefined


def test_rei_command_on_a_declaration_without_volumes(tmp_path, monkeypatch, capsys):
    from .hostile import run_cli

    net = build_network(FACILITIES, [{"supplier": "mine_cn", "customer": "sep_cn",
                                      "material": "RE concentrate", "volume": 0, "status": "qualified",
                                      "volume_known": False}], name="declared")
    net.write(tmp_path / "declared")
    code, out, err = run_cli(monkeypatch, capsys, "rei", tmp_path / "declared", "-f", "csv")
    assert (code, err) == (0, "")
    assert pd.read_csv(__import__("io").StringIO(out))["lost_volume"].tolist() == [0.0, 0.0]


@pytest.mark.parametrize("responses", [(True, True), (False, True), (False, False)],
                         ids=["reroute", "inventory", "propagation"])
def test_scenario_has_no_sink_rows_and_stage_rows_without_volume(empty_net, scenario, responses):
    reroute, inventory = responses
    result = run_scenario(empty_net, scenario, reroute=reroute, inventory=inventory)
    assert len(result.table("sink")) == 0 and len(result.table("links")) == 0
    assert result.table("month").shape[0] == 6
    # supply as a fraction of baseline: both CN facilities stop in months 1 and 2
    assert result.facility_supply.to_numpy().tolist() == [[1.0, 1.0], [0.0, 0.0], [0.0, 0.0],
                                                          [1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]


def test_optimal_response_has_no_sink_rows(empty_net, scenario):
    assert len(run_optimal(empty_net, scenario).table("sink")) == 0


def test_monte_carlo_has_no_sink_rows(empty_net, scenario):
    result = run_monte_carlo(empty_net, scenario, runs=20, batch_size=7)
    assert len(result.runs) == 0 and len(result.summary) == 0


def test_chokepoints_rank_facilities_with_no_loss(empty_net):
    table = chokepoints(empty_net)
    assert sorted(table["id"]) == ["mine_cn", "sep_cn"]
    for column in ("criticality", "demand_at_risk", "alternatives", "outbound_volume"):
        assert table[column].tolist() == [0, 0], column
