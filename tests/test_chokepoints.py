"""Chokepoints: criticality, dominators, minimum cuts, alternatives and group rollups.

Hand-computed answers on small networks (arithmetic in comments), then properties on random
networks (tests/strategies.py) against independent methods: forward availability with a
failed facility, and path enumeration with networkx on acyclic networks.
"""
from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

from graphmodel import chokepoints as ch
from graphmodel.build import network_from_records
from graphmodel.errors import TiernError

from .reference_series import leontief_column_sums
from .strategies import network_records

PROPERTY_SETTINGS = settings(max_examples=40, deadline=None,
                             suppress_health_check=[HealthCheck.too_slow])


def _fac(id, stage, country="CN", **extra):
    return {"id": id, "name": id.upper(), "stage": stage, "country": country,
            "owner": f"{country} Co", **extra}


def _link(supplier, customer, volume, material="oxide", **extra):
    return {"supplier": supplier, "customer": customer, "material": material, "volume": volume,
            **extra}


@pytest.fixture
def diamond():
    """Two mines, two separators (and a planned one), two OEMs; acyclic.

    Inbound shares: P1 = 0.6 M1 + 0.4 M2; P2 = 1.0 M2; O1 = 0.75 P1 + 0.25 P2; O2 = 1.0 P1.
    Demand: O1 40, O2 20 (inbound volumes), W = 60.
    """
    facilities = [
        _fac("m1", "mine", "CN", capacity=100), _fac("m2", "mine", "AU", capacity=100),
        _fac("p1", "separator", "CN", capacity=70), _fac("p2", "separator", "MY", capacity=25),
        _fac("p3", "separator", "US", capacity=40, status="planned"),
        _fac("o1", "oem", "DE", sector="automotive"), _fac("o2", "oem", "US", sector="defense"),
    ]
    links = [
        _link("m1", "p1", 60, "concentrate"), _link("m2", "p1", 40, "concentrate"),
        _link("m2", "p2", 50, "concentrate"),
        _link("p1", "o1", 30), _link("p2", "o1", 10), _link("p1", "o2", 20),
        _link("p2", "o2", 0, status="candidate", qualification_months=12),
        _link("p3", "o1", 0, status="candidate", qualification_months=24),
    ]
    return network_from_records(facilities, links)


@pytest.fixture
def loop():
    """A recycling loop: mine M -> magnet G (90), recycler R -> G (10), G -> OEM O (100),
    O -> R (10, scrap). Shares: G = 0.9 M + 0.1 R; O = 1.0 G; R = 1.0 O. The loop G -> O -> R
    -> G multiplies shares 1 * 1 * 0.1 = 0.1, so L[u, u] = 1 / (1 - 0.1) = 1/0.9 on it."""
    facilities = [_fac("m", "mine"), _fac("g", "magnet"), _fac("o", "oem", sector="wind"),
                  _fac("r", "recycler")]
    links = [_link("m", "g", 90, "concentrate"), _link("r", "g", 10, "recycled alloy"),
             _link("g", "o", 100, "magnet"), _link("o", "r", 10, "scrap")]
    return network_from_records(facilities, links)


# --- hand-computed criticality -----------------------------------------------------------
def test_criticality_by_hand_on_an_acyclic_network(diamond):
    crit = ch.criticality(diamond)
    # o1: its own 40 of 60; o2: 20 of 60.
    assert crit["o1"] == pytest.approx(40 / 60)
    assert crit["o2"] == pytest.approx(20 / 60)
    # p1: F(o1) = 0.75, F(o2) = 1 -> (40*0.75 + 20*1) / 60 = 50/60.
    assert crit["p1"] == pytest.approx(50 / 60)
    # p2: F(o1) = 0.25 -> 40*0.25 / 60 = 10/60.
    assert crit["p2"] == pytest.approx(10 / 60)
    # m1: F(o1) = 0.6*0.75 = 0.45, F(o2) = 0.6 -> (18 + 12) / 60 = 0.5.
    assert crit["m1"] == pytest.approx(0.5)
    # m2: F(o1) = 0.4*0.75 + 1*0.25 = 0.55, F(o2) = 0.4 -> (22 + 8) / 60 = 0.5.
    assert crit["m2"] == pytest.approx(0.5)
    assert crit["p3"] == 0.0  # planned, carries nothing


def test_demand_at_risk_is_in_sink_units(diamond):
    table = ch.chokepoints(diamond).set_index("id")
    assert table.at["p1", "demand_at_risk"] == pytest.approx(50.0)  # 50/60 of 60 t/yr
    assert table.at["p1", "demand_unit"] == "t/yr"


def test_criticality_on_a_recycling_loop_counts_each_lap_once(loop):
    crit = ch.criticality(loop)
    # Without the correction, L[o, g] = 1 + 0.1 + 0.01 + ... = 1/0.9 > 1 would be reported.
    # First passage: F(o, g) = L[o, g] / L[g, g] = (1/0.9) / (1/0.9) = 1.
    assert crit["g"] == pytest.approx(1.0)
    assert crit["o"] == pytest.approx(1.0)
    # The mine is on no cycle: L[o, m] = 0.9 * (1 + 0.1 + ...) = 0.9/0.9 = 1 (all of O's
    # supply, recycled material included, traces back to M).
    assert crit["m"] == pytest.approx(1.0)
    # The recycler: R -> G -> O carries 0.1 * 1; the laps (x 0.1 each) are divided out:
    # L[o, r] = 0.1/0.9, L[r, r] = 1/0.9 -> F = 0.1. Check: without R, G gets 0.9 of its input.
    assert crit["r"] == pytest.approx(0.1)
    assert ch.availability(loop, failed=["r"])["o"] == pytest.approx(0.9)


def test_golden_criticality_through_the_recycling_loop(golden):
    # Loop magnet_jp -> motor_de (0.25) -> oem_auto (1) -> rec_jp (1) -> magnet_jp (0.2):
    # lap factor 0.05. Demand: oem_auto 40 (inbound), oem_def 20 (demand.csv); W = 60.
    crit = ch.criticality(golden)
    # magnet_jp: F(oem_auto) = 0.25, F(oem_def) = 0.5 -> (10 + 10) / 60 = 1/3.
    assert crit["magnet_jp"] == pytest.approx(1 / 3)
    # rec_jp: F(oem_auto) = 0.2*0.25 = 0.05, F(oem_def) = 0.2*0.5 = 0.1 -> (2 + 2)/60 = 1/15.
    assert crit["rec_jp"] == pytest.approx(1 / 15)
    # magnet_cn (off the loop, upstream of it): F(oem_auto) = 0.75/0.95 (its share of motor_de,
    # plus the recycled laps); F(oem_def) = 0.5 + 0.75*0.2*0.5/0.95.
    expected = (40 * 0.75 / 0.95 + 20 * (0.5 + 0.075 / 0.95)) / 60
    assert crit["magnet_cn"] == pytest.approx(expected)
    # oem_auto: its own 40, plus 0.1 of oem_def via scrap -> (40 + 2) / 60 = 0.7.
    assert crit["oem_auto"] == pytest.approx(0.7)


def test_sink_selection_restricts_the_demand(golden):
    crit = ch.criticality(golden, sinks="defense")
    # Only oem_def (20): magnet_jp supplies half of it directly.
    assert crit["magnet_jp"] == pytest.approx(0.5)
    assert crit["oem_auto"] == pytest.approx(0.1)
    assert list(ch.selected_demand(golden, "oem").index) == ["oem_auto", "oem_def"]
    assert list(ch.selected_demand(golden, "automotive,defense").index) == ["oem_auto", "oem_def"]
    assert list(ch.selected_demand(golden, ["oem_def"]).index) == ["oem_def"]
    with pytest.raises(ch.SinkSelectionError, match="'spaceship'"):
        ch.selected_demand(golden, "spaceship")


# --- dominators, cuts --------------------------------------------------------------------
def test_dominators_and_min_cuts_by_hand(diamond):
    # o2 is fed only by p1 (itself fed by m1 and m2); o1 by p1 and p2.
    assert ch.dominators(diamond) == {"o1": [], "o2": ["p1"]}
    cuts = ch.min_cuts(diamond).set_index("sink")
    assert cuts.at["o2", "min_cut_size"] == 1 and cuts.at["o2", "min_cut"] == ["p1"]
    assert cuts.at["o1", "min_cut_size"] == 2  # {p1, p2} or {m1, m2}
    table = ch.chokepoints(diamond).set_index("id")
    assert table.at["p1", "single_point_for"] == ["o2"]
    assert table.at["m1", "single_point_for"] == []


def test_the_dominator_tree_is_kept_until_a_table_is_replaced(diamond):
    """The network keeps one dominator tree for every sink selection (the report asks four
    times); replacing a table clears it: with p2 -> o1 no longer carrying, p1 dominates o1
    too (and p2, shipping nothing now, is a sink of its own), and m2 dominates them all once
    m1 -> p1 goes."""
    def rebuilt():
        raise AssertionError("the dominator tree was not kept")

    assert ch.dominators(diamond) == {"o1": [], "o2": ["p1"]}
    kept = diamond.derived("immediate dominators", rebuilt)
    assert ch.dominators(diamond, ["o2"]) == {"o2": ["p1"]}
    assert diamond.derived("immediate dominators", rebuilt) is kept
    diamond.forget("immediate dominators")      # the next call builds it again
    assert diamond.derived("immediate dominators", lambda: "built") == "built"
    diamond.forget("immediate dominators")
    links = diamond.links
    diamond.links = links[~((links["supplier"] == "p2") & (links["customer"] == "o1"))]
    assert ch.dominators(diamond) == {"o1": ["p1"], "o2": ["p1"], "p2": ["m2"]}
    links = diamond.links
    diamond.links = links[~((links["supplier"] == "m1") & (links["customer"] == "p1"))]
    assert ch.dominators(diamond) == {"o1": ["p1", "m2"], "o2": ["p1", "m2"], "p2": ["m2"]}


def test_sinks_supplied_straight_from_origins():
    facilities = [_fac("a", "mine"), _fac("b", "mine", "AU"), _fac("o", "oem"), _fac("q", "oem")]
    links = [_link("a", "o", 3), _link("b", "o", 1), _link("a", "q", 2)]
    net = network_from_records(facilities, links)
    cuts = ch.min_cuts(net).set_index("sink")
    assert cuts.at["o", "min_cut_size"] == 2 and cuts.at["o", "min_cut"] == ["a", "b"]
    assert cuts.at["q", "min_cut_size"] == 1 and cuts.at["q", "min_cut"] == ["a"]
    assert ch.dominators(net) == {"o": [], "q": ["a"]}


def test_golden_single_points_and_cuts(golden):
    resilience = ch.sink_resilience(golden).set_index("id")
    assert resilience.at["oem_auto", "dominators"] == ["motor_de"]
    assert resilience.at["oem_auto", "min_cut_size"] == 1
    # oem_def takes magnets from magnet_cn and magnet_jp, which share no upstream node.
    assert resilience.at["oem_def", "dominators"] == []
    assert resilience.at["oem_def", "min_cut_size"] == 2


# --- alternatives and ranking ------------------------------------------------------------
def test_alternatives_by_hand(diamond):
    alt = ch.alternatives(diamond)
    # p1 ships oxide to o1 and o2. p2 has a qualified oxide link to o1: spare 25 - 10 = 15.
    # Candidates into (o1|o2, oxide): p2 (12 months; already counted), p3 (planned, 24 months).
    assert alt.at["p1", "alternative_ids"] == ["p2"]
    assert alt.at["p1", "alternatives"] == pytest.approx(15)
    assert alt.at["p1", "coverage"] == pytest.approx(15 / 50)
    assert alt.at["p1", "candidate_ids"] == ["p2", "p3"]
    assert alt.at["p1", "alt_spare_capacity"] == 0.0  # p2 counted once; p3 not operating
    assert alt.at["p1", "fastest_qualification_months"] == 12
    # p2 ships to o1 only: p1 qualified there, spare 70 - 50 = 20, covers 20/10 = 2x.
    assert alt.at["p2", "alternatives"] == pytest.approx(20)
    assert alt.at["p2", "coverage"] == pytest.approx(2.0)
    assert alt.at["p2", "fastest_qualification_months"] == 24
    # m2 ships concentrate to p1 and p2; m1 is qualified at p1: spare 100 - 60 = 40.
    assert alt.at["m2", "alternatives"] == pytest.approx(40)
    assert alt.at["m1", "alternatives"] == pytest.approx(10)  # m2: 100 - 90
    assert alt.at["o1", "n_alternatives"] == 0
    assert math.isnan(alt.at["o1", "coverage"])  # ships nothing


def test_ranking_breaks_ties_by_fewer_alternatives(diamond):
    table = ch.chokepoints(diamond)
    # m1 and m2 both 0.5; m1 has 10 t/yr of alternatives, m2 has 40.
    assert list(table["id"]) == ["p1", "o1", "m1", "m2", "o2", "p2", "p3"]
    assert list(table["rank"]) == list(range(1, 8))
    assert list(table.columns[:10]) == ["rank", "id", "name", "stage", "country", "owner",
                                        "ultimate_owner", "control_country", "criticality",
                                        "demand_at_risk"]
    top = ch.chokepoints(diamond, top=2, stage="separator")
    assert list(top["id"]) == ["p1", "p2"] and list(top["rank"]) == [1, 2]
    upstream = ch.chokepoints(diamond, exclude_sinks=True)
    assert not set(upstream["id"]) & {"o1", "o2"}
    with pytest.raises(TiernError, match="unknown stage"):
        ch.chokepoints(diamond, stage="smelter")


# --- groups ------------------------------------------------------------------------------
def test_country_rollup_by_hand(golden):
    table = ch.chokepoints_by_group(golden, by="country").set_index("group")
    # CN fails (mine_cn, sep_cn, metal_cn, magnet_cn): metal_jp keeps 0.8 (from sep_my);
    # magnet_jp a = 0.8*0.8 + 0.2*a(rec_jp), a(rec_jp) = a(oem_auto) = 0.25*a(magnet_jp)
    # -> a(magnet_jp) = 0.64/0.95. oem_def keeps 0.5*0.64/0.95, oem_auto 0.25*0.64/0.95.
    kept = 20 * 0.5 * 0.64 / 0.95 + 40 * 0.25 * 0.64 / 0.95
    assert table.at["CN", "demand_at_risk"] == pytest.approx(60 - kept)
    assert table.at["CN", "criticality"] == pytest.approx((60 - kept) / 60)
    assert table.at["CN", "facilities"] == 4
    assert table.index[0] == "CN"
    # DE holds oem_auto itself (40) plus 0.1 of oem_def via scrap (2); external part is 2.
    assert table.at["DE", "demand_at_risk"] == pytest.approx(42)
    assert table.at["DE", "external_demand_at_risk"] == pytest.approx(2)


def test_company_rollup_follows_control(golden):
    table = ch.chokepoints_by_group(golden, by="company").set_index("group")
    # CN Mining controls JP Metals (60%): metal_cn, metal_jp, magnet_jp, rec_jp fail with it,
    # so both magnet plants lose all input: every OEM is cut off.
    assert table.at["CN Mining", "criticality"] == pytest.approx(1.0)
    assert table.at["CN Mining", "single_point_for"] == ["oem_auto", "oem_def"]
    assert table.at["CN Mining", "facilities"] == 6
    # CN Magnets (40% CN Mining: not controlled) is only magnet_cn.
    assert table.at["CN Magnets", "criticality"] == pytest.approx(ch.criticality(golden)["magnet_cn"])
    with pytest.raises(TiernError, match="country or company"):
        ch.chokepoints_by_group(golden, by="planet")


# --- properties on random networks -------------------------------------------------------
# Building a random network runs full validation (about a second on a loaded machine), so
# each drawn network is checked against every property at once.
@PROPERTY_SETTINGS
@given(network_records())
def test_properties_on_random_networks(records):
    net = network_from_records(**records)
    demand = net.sink_demand
    crit = ch.criticality(net)
    traced = ch.availability(net)
    reached = crit.notna()
    # NaN exactly where no origin reaches the facility (a loop the data never feeds).
    assert (reached == (traced > 0)).all()
    assert ((crit[reached] >= -1e-12) & (crit[reached] <= 1 + 1e-9)).all()
    if demand.sum() == 0:
        return
    _origins_account_for_traced_demand(net, crit, traced)
    _forward_propagation_agrees(net, crit, traced)
    shares = ch.sink_shares(net)
    weighted = shares.mul(demand, axis=0).sum() / demand.sum()
    np.testing.assert_allclose(weighted[reached], crit[reached], rtol=1e-9, atol=1e-12)
    _dominators_take_all_and_cuts_cut(net, shares, traced)
    _a_group_of_one_is_the_facility(net, crit, traced)
    _the_top_rows_are_the_first_rows_of_the_whole_ranking(net)


def _the_top_rows_are_the_first_rows_of_the_whole_ranking(net):
    """``top=k`` (which computes alternatives only for the facilities that can rank among
    the first k) gives the first k rows of the whole table, ties included; and the
    alternatives of some facilities are their rows of everyone's."""
    def same(got, want):  # list cells compared by their text (a list holding NaN != itself)
        def listed(frame):
            return frame.apply(lambda column: column.map(repr) if column.dtype == object
                               else column)
        pd.testing.assert_frame_equal(listed(got), listed(want), check_exact=True)

    for options in ({}, {"exclude_sinks": True}, {"stage": net.facilities["stage"].iloc[-1]}):
        whole = ch.chokepoints(net, **options)
        for k in (1, 3):
            same(ch.chokepoints(net, top=k, **options), whole.head(k))
    everyone = ch.alternatives(net)
    some = np.arange(0, len(net.facilities), 2)
    same(ch.alternatives(net, rows=some), everyone.iloc[some])


def _origins_account_for_traced_demand(net, crit, traced):
    # Every unit of traced supply comes from exactly one origin, so origins' criticalities
    # sum to the demand-weighted traced share at the sinks (1 when everything traces).
    demand = net.sink_demand
    expected = float((demand * traced.reindex(demand.index)).sum() / demand.sum())
    assert crit[net.origins].sum() == pytest.approx(expected, abs=1e-9)


def _forward_propagation_agrees(net, crit, traced):
    # An independent method: fail u, propagate availability forward, measure the loss. It
    # handles recycling loops without any first-passage formula.
    demand = net.sink_demand
    for facility in crit.index[crit.notna()]:
        after = ch.availability(net, failed=[facility])
        lost = float((demand * (traced - after).reindex(demand.index)).sum())
        assert lost == pytest.approx(traced[facility] * crit[facility] * demand.sum(),
                                     rel=1e-9, abs=1e-9)


def _dominators_take_all_and_cuts_cut(net, shares, traced):
    cuts = ch.min_cuts(net).set_index("sink")
    graph = ch.carrying_graph(net, virtual_source=True)
    for sink, chain in ch.dominators(net).items():
        for dominator in chain:
            # All traced supply of the sink passes through its dominator: failing it loses
            # all of it (a share of 1 when the sink's supply all traces to origins).
            assert shares.at[sink, dominator] * traced[dominator] == pytest.approx(traced[sink])
        size = cuts.at[sink, "min_cut_size"]
        assert (size == 1) == (len(chain) > 0)
        cut_graph = graph.copy()
        cut_graph.remove_nodes_from(cuts.at[sink, "min_cut"])
        assert not nx.has_path(cut_graph, ch._SOURCE, sink)


def _a_group_of_one_is_the_facility(net, crit, traced):
    for row in ch.chokepoints_by_group(net, by="country").itertuples():
        assert 0 <= row.criticality <= 1 + 1e-9
        if row.facilities == 1:
            (facility,) = row.facility_ids
            if not math.isnan(crit[facility]):
                assert row.criticality == pytest.approx(traced[facility] * crit[facility],
                                                        abs=1e-9)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(network_records(recycling=False))
def test_criticality_agrees_with_path_enumeration_on_acyclic_networks(records):
    net = network_from_records(**records)
    demand = net.sink_demand
    if demand.sum() == 0:
        return
    shares = net.inbound_shares().set_index(["supplier", "customer"])["share"]
    graph = nx.DiGraph(list(shares.index))
    expected = {}
    for u in net.facilities.index:
        total = demand.get(u, 0.0)  # the length-0 path from a sink to itself
        for sink, weight in demand.items():
            if u == sink or u not in graph or sink not in graph:
                continue
            for path in nx.all_simple_paths(graph, u, sink):
                total += weight * math.prod(shares[(a, b)] for a, b in zip(path, path[1:]))
        expected[u] = total / demand.sum()
    crit = ch.criticality(net)
    for u, value in expected.items():
        assert crit[u] == pytest.approx(value, abs=1e-9)


def test_agrees_with_the_foundation_series_solve(golden):
    # Where the Neumann series converges, criticality * W * L[u, u] is L^T w from the series;
    # L[u, u] = 1/0.95 on golden's loop and 1 elsewhere.
    demand = golden.sink_demand
    w = demand.reindex(golden.facilities.index, fill_value=0.0).to_numpy()
    series = leontief_column_sums(golden.share_matrix, w)
    loop = golden.facilities.index.isin(["magnet_jp", "motor_de", "oem_auto", "rec_jp"])
    diagonal = np.where(loop, 1 / 0.95, 1.0)
    crit = ch.criticality(golden).to_numpy()
    np.testing.assert_allclose(crit * demand.sum() * diagonal, series, rtol=1e-12)


def test_a_loop_that_returns_almost_everything_is_solved_exactly():
    # Lap factor 0.99999: the Neumann series would need millions of steps. M -> G 1,
    # R -> G 99999 (G = 1e-5 M + 0.99999 R), G -> O, O -> R.
    facilities = [_fac("m", "mine"), _fac("g", "magnet"), _fac("o", "oem"), _fac("r", "recycler")]
    links = [_link("m", "g", 1, "concentrate"), _link("r", "g", 99999, "recycled alloy"),
             _link("g", "o", 100000, "magnet"), _link("o", "r", 99999, "scrap")]
    net = network_from_records(facilities, links)
    crit = ch.criticality(net)
    assert crit["m"] == pytest.approx(1.0) and crit["g"] == pytest.approx(1.0)
    assert crit["r"] == pytest.approx(0.99999)  # first passage R -> G -> O = 0.99999


def test_a_loop_no_origin_feeds_is_unknown_not_infinite():
    # a -> o is traced; the closed loop x -> y -> x also feeds o but no origin reaches it.
    facilities = [_fac("a", "mine"), _fac("x", "magnet"), _fac("o", "oem"), _fac("y", "recycler")]
    links = [_link("a", "o", 1), _link("x", "o", 1, "magnet"), _link("x", "y", 1, "scrap"),
             _link("y", "x", 1, "recycled alloy")]
    net = network_from_records(facilities, links)
    crit = ch.criticality(net)
    assert math.isnan(crit["x"]) and math.isnan(crit["y"])
    assert crit["a"] == pytest.approx(0.5)  # half of o's supply, which is all that traces
    assert ch.availability(net)["o"] == pytest.approx(0.5)
    table = ch.chokepoints(net)
    assert list(table["id"][-2:]) == ["x", "y"]  # unknowns rank last


def test_a_network_without_recipe_rows_is_pooled_without_resolving_production():
    from graphmodel.chokepoints import uses_recipes
    from graphmodel.generate import generate_network

    net = generate_network(300, seed=2)
    assert not uses_recipes(net)
    assert "production" not in net.__dict__  # the cached model was not built
    assert net.production.pooled              # and agrees with what it would say
    with_recipes = generate_network(300, seed=2, recipes=True)
    assert uses_recipes(with_recipes)
