"""Scenario engine: hand-computed propagation, inventory, rerouting, selectors and metrics."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from graphmodel.build import network_from_records
from graphmodel.scenarios import (ScenarioFileError, load_scenario, parse_scenario, run_scenario,
                                  time_to_recover, time_to_survive)
from graphmodel.scenarios.core import Topology, central_draws, compile_factors
from graphmodel.scenarios.select import facility_mask, link_mask
from graphmodel.scenarios.simulate import simulate

PURE = dict(reroute=False, inventory=False)


def scenario(shocks, horizon=12, **extra):
    return parse_scenario({"name": "test", "horizon_months": horizon, "shocks": shocks, **extra})


def sink_row(result, sink):
    return result.sinks.set_index("id").loc[sink]


def facility(fid, stage, country="AU", **extra):
    return {"id": fid, "name": fid, "stage": stage, "country": country, **extra}


# --- pure propagation on the golden network ---------------------------------------------
def test_cn_mine_outage_propagates_as_computed_by_hand(golden):
    # mine_cn out: sep_cn (fed only by mine_cn) = 0; sep_my = 1.
    # metal_cn = 45/60*0 + 15/60*1 = 0.25;  metal_jp = 20/25*1 + 5/25*0 = 0.8
    # magnet_cn = 0.25. Loop magnet_jp -> motor_de -> oem_auto -> rec_jp -> magnet_jp:
    #   x = magnet_jp = 24/30*0.8 + 6/30*y,  y = motor_de = 30/40*0.25 + 10/40*x
    #   x = 0.64 + 0.2*(0.1875 + 0.25x) -> 0.95x = 0.6775 -> x = 0.713158
    #   y = 0.1875 + 0.25*0.713158 = 0.365789 = oem_auto
    # oem_def = 10/20*0.25 + 10/20*x = 0.481579
    result = run_scenario(golden, scenario([{"select": {"id": "mine_cn"}}]), **PURE)
    month0 = result.facility_supply.iloc[0]
    assert month0["sep_cn"] == 0
    assert month0["metal_cn"] == pytest.approx(0.25)
    assert month0["metal_jp"] == pytest.approx(0.8)
    assert month0["magnet_jp"] == pytest.approx(0.6775 / 0.95)
    assert sink_row(result, "oem_auto")["min_supply"] == pytest.approx(0.1875 + 0.25 * 0.6775 / 0.95)
    assert sink_row(result, "oem_def")["min_supply"] == pytest.approx(0.125 + 0.5 * 0.6775 / 0.95)


def test_outage_window_and_partial_month(golden):
    # 50% loss of magnet_cn over months [1.5, 3.5): months 1 and 3 are half covered, so
    # magnet_cn's fraction is 1 - 0.5*0.5 = 0.75 there and 0.5 in month 2.
    shock = {"select": {"id": "magnet_cn"}, "capacity_loss": 0.5, "start_month": 1.5,
             "duration_months": 2}
    result = run_scenario(golden, scenario([shock], horizon=5), **PURE)
    assert result.facility_supply["magnet_cn"].tolist() == pytest.approx([1, 0.75, 0.5, 0.75, 1])


def test_export_control_keeps_home_market(golden):
    # CN separators may not export: only sep_cn -> metal_jp (CN -> JP, 5 of metal_jp's 25) is cut.
    # metal_cn = 1 (home market), metal_jp = 0.8.
    # x = magnet_jp = 0.8*0.8 + 0.2*y, y = motor_de = 0.75*1 + 0.25*x
    #   -> x = 0.64 + 0.15 + 0.05x -> x = 0.79/0.95 = 0.831579; oem_def = 0.5 + 0.5x
    shock = {"type": "export_control", "select": {"country": "CN", "stage": "separator"}}
    result = run_scenario(golden, scenario([shock]), **PURE)
    month0 = result.facility_supply.iloc[0]
    assert month0["sep_cn"] == 1 and month0["metal_cn"] == 1
    assert month0["metal_jp"] == pytest.approx(0.8)
    assert sink_row(result, "oem_def")["min_supply"] == pytest.approx(0.5 + 0.5 * 0.79 / 0.95)


def test_material_narrowed_outage_hits_only_that_material(golden):
    # Dy oxide from CN separators is only sep_cn -> metal_jp: same answer as the export control.
    shock = {"select": {"country": "CN", "stage": "separator", "material": "Dy oxide"}}
    result = run_scenario(golden, scenario([shock]), **PURE)
    assert result.facility_supply.iloc[0]["metal_jp"] == pytest.approx(0.8)
    assert result.facility_supply.iloc[0]["metal_cn"] == 1


def test_sink_scoped_shock_binds_only_those_sinks(golden):
    # A DFARS-style rule: no CN-located supply for defense sinks. oem_def loses exactly its
    # exposure to CN facilities; oem_auto is not bound and keeps full supply.
    rule = {"select": {"country": "CN"}, "sinks": {"sector": "defense"}}
    bound = run_scenario(golden, scenario([rule]), **PURE)
    outage = run_scenario(golden, scenario([{"select": {"country": "CN"}}]), **PURE)
    assert sink_row(bound, "oem_auto")["min_supply"] == 1
    assert sink_row(bound, "oem_def")["min_supply"] == pytest.approx(
        sink_row(outage, "oem_def")["min_supply"])
    assert sink_row(bound, "oem_def")["min_supply"] < 0.5


# --- selectors --------------------------------------------------------------------------
def test_country_by_control_and_owner_by_ultimate_parent(golden):
    ids = golden.facilities.index
    by_control = facility_mask(golden, parse_scenario({"name": "x", "shocks": [
        {"select": {"country": "CN", "country_basis": "control", "stage": "metal"}}]}).shocks[0].select)
    # JP Metals is 60% owned by CN Mining: metal_jp is controlled from CN
    assert set(ids[by_control]) == {"metal_cn", "metal_jp"}
    ultimate = parse_scenario({"name": "x", "shocks": [
        {"select": {"owner": "CN Mining", "owner_basis": "ultimate"}}]}).shocks[0].select
    assert set(ids[facility_mask(golden, ultimate)]) == {
        "mine_cn", "sep_cn", "metal_cn", "metal_jp", "magnet_jp", "rec_jp"}
    written = parse_scenario({"name": "x", "shocks": [{"select": {"owner": "CN Mining"}}]}).shocks[0].select
    assert set(ids[facility_mask(golden, written)]) == {"mine_cn", "sep_cn", "metal_cn"}


def test_link_mask_cross_border_and_material(golden):
    select = parse_scenario({"name": "x", "shocks": [
        {"select": {"country": "CN", "material": "NdFeB magnet"}}]}).shocks[0].select
    links = golden.links[link_mask(golden, select, cross_border=True)]
    assert set(zip(links["supplier"], links["customer"])) == {("magnet_cn", "motor_de"),
                                                              ("magnet_cn", "oem_def")}


# --- inventory ------------------------------------------------------------------------
def chain(inventory_days, extra_facilities=(), extra_links=()):
    facilities = [facility("mine", "mine", capacity=100),
                  facility("oem", "oem", "DE", inventory_days=inventory_days, capacity=100),
                  *extra_facilities]
    links = [{"supplier": "mine", "customer": "oem", "material": "NdFeB magnet", "volume": 12},
             *extra_links]
    return network_from_records(facilities, links)


def test_inventory_drawdown_first_shortfall_in_month_2():
    # oem consumes 12/12 = 1 unit a month and holds 60 days = 60/30 = 2 months = 2 units.
    # mine out for months 0, 1, 2:
    #   month 0: arrivals 0, draw 1 -> stock 1, supply 1
    #   month 1: arrivals 0, draw 1 -> stock 0, supply 1
    #   month 2: arrivals 0, stock 0 -> supply 0         (first shortfall: tts = 2)
    #   month 3: arrivals 1 -> supply 1, stock refills by refill_rate 0.1 -> 0.1 (ttr = 3)
    net = chain(60)
    spec = scenario([{"select": {"id": "mine"}, "duration_months": 3}], horizon=6)
    result = run_scenario(net, spec)
    assert result.months["oem"].tolist() == pytest.approx([1, 1, 0, 1, 1, 1])
    row = sink_row(result, "oem")
    assert (row["tts_months"], row["ttr_months"]) == (2, 3)
    assert row["lost_volume"] == pytest.approx(1.0)      # one month of 12/yr
    topo = Topology.of(net)
    sim = simulate(topo, compile_factors(net, topo, spec, central_draws(spec)), spec.responses,
                   inventory=True, reroute=False)
    oem = net.facilities.index.get_loc("oem")
    assert sim.stock[:, oem, 0] == pytest.approx([1, 0, 0, 0.1, 0.2, 0.3])


def test_inventory_partial_cover_and_no_inventory_switch():
    # 45 days = 1.5 months of stock, 3-month full outage:
    # month 0 draw 1 (stock 0.5), month 1 draw 0.5 -> supply 0.5, month 2 -> 0
    net = chain(45)
    spec = scenario([{"select": {"id": "mine"}, "duration_months": 3}], horizon=5)
    assert run_scenario(net, spec).months["oem"].tolist() == pytest.approx([1, 0.5, 0, 1, 1])
    assert run_scenario(net, spec, inventory=False).months["oem"].tolist() == \
        pytest.approx([0, 0, 0, 1, 1])


# --- rerouting ------------------------------------------------------------------------
def two_mines(spare_b, status="qualified", qualification=None, volume_b=0.0):
    # mine_a supplies oem 12/yr; mine_b (capacity 12 + spare_b, selling 12 to other) can
    # take over via the link mine_b -> oem.
    facilities = [facility("mine_a", "mine", capacity=12), facility("mine_b", "mine", capacity=12 + spare_b),
                  facility("oem", "oem", "DE", capacity=100), facility("other", "oem", "JP")]
    links = [{"supplier": "mine_a", "customer": "oem", "material": "NdFeB magnet", "volume": 12},
             {"supplier": "mine_b", "customer": "other", "material": "NdFeB magnet", "volume": 12},
             {"supplier": "mine_b", "customer": "oem", "material": "NdFeB magnet", "volume": volume_b,
              "status": status, "qualification_months": qualification}]
    return network_from_records(facilities, links)


OUT_A = [{"select": {"id": "mine_a"}, "duration_months": 6}]


@pytest.mark.parametrize("spare, expected", [(12, 1.0), (6, 0.5), (0, 0.0), (24, 1.0)])
def test_reroute_to_spare_qualified_capacity(spare, expected):
    # oem loses 1 unit/month; mine_b's spare is spare/12 a month: supply = min(1, spare/12)
    result = run_scenario(two_mines(spare), scenario(OUT_A, horizon=8), inventory=False)
    assert result.months["oem"].tolist() == pytest.approx([expected] * 6 + [1, 1])
    assert sink_row(result, "other")["min_supply"] == 1
    if expected > 0:
        link = result.links.iloc[0]
        assert (link["supplier"], link["customer"]) == ("mine_b", "oem")
        assert link["rerouted_volume"] == pytest.approx(6 * expected)
    assert run_scenario(two_mines(spare), scenario(OUT_A, horizon=8), reroute=False,
                        inventory=False).months["oem"].tolist() == pytest.approx([0] * 6 + [1, 1])


def test_candidate_link_opens_after_qualification():
    # the only alternative is a candidate link with a 4-month lead time from the shock start
    net = two_mines(12, status="candidate", qualification=4)
    result = run_scenario(net, scenario(OUT_A, horizon=8), inventory=False)
    assert result.months["oem"].tolist() == pytest.approx([0, 0, 0, 0, 1, 1, 1, 1])
    row = sink_row(result, "oem")
    assert (row["tts_months"], row["ttr_months"]) == (0, 4)
    faster = scenario(OUT_A, horizon=8, responses={"qualification_months": 2})
    assert sink_row(run_scenario(net, faster, inventory=False), "oem")["ttr_months"] == 2


def test_reroute_lead_months_delays_extra_volume_on_every_link():
    # extra orders arrive reroute_lead_months after the first shock: on the qualified link
    # from month 2 (not at once), on a 4-month candidate link at max(4, 2) = 4, and a
    # 5-month order lead time delays the candidate link to month 5
    lead = {"reroute_lead_months": 2}
    qualified = run_scenario(two_mines(12), scenario(OUT_A, horizon=8, responses=lead),
                             inventory=False)
    assert qualified.months["oem"].tolist() == pytest.approx([0, 0, 1, 1, 1, 1, 1, 1])
    assert qualified.links.iloc[0]["rerouted_volume"] == pytest.approx(4.0)
    candidate = two_mines(12, status="candidate", qualification=4)
    assert run_scenario(candidate, scenario(OUT_A, horizon=8, responses=lead),
                        inventory=False).months["oem"].tolist() == \
        pytest.approx([0, 0, 0, 0, 1, 1, 1, 1])
    slow = scenario(OUT_A, horizon=8, responses={"reroute_lead_months": 5})
    assert run_scenario(candidate, slow, inventory=False).months["oem"].tolist() == \
        pytest.approx([0, 0, 0, 0, 0, 1, 1, 1])


def two_separators(mine_b_spare, sep_b_days=0, sep_b_factor=None):
    """sep_a (fed by mine_a) sells 12 t/yr of oxide to oem; sep_b turns 24 t/yr of mine_b's
    concentrate into 12 t/yr of oxide for other (so k = 2 t of feed per t of oxide), and has
    a qualified link to oem. mine_b has ``mine_b_spare`` t/yr of spare concentrate."""
    facilities = [facility("mine_a", "mine", capacity=12),
                  facility("mine_b", "mine", capacity=24 + mine_b_spare),
                  facility("sep_a", "separator", capacity=12, inventory_days=0),
                  facility("sep_b", "separator", capacity=100, inventory_days=sep_b_days),
                  facility("oem", "oem", "DE", inventory_days=0),
                  facility("other", "oem", "JP", inventory_days=0)]
    links = [{"supplier": "mine_a", "customer": "sep_a", "material": "RE concentrate", "volume": 12},
             {"supplier": "mine_b", "customer": "sep_b", "material": "RE concentrate", "volume": 24},
             {"supplier": "sep_a", "customer": "oem", "material": "NdPr oxide", "volume": 12},
             {"supplier": "sep_b", "customer": "other", "material": "NdPr oxide", "volume": 12},
             {"supplier": "sep_b", "customer": "oem", "material": "NdPr oxide", "volume": 0}]
    return network_from_records(facilities, links)


SEP_A_OUT = [{"select": {"id": "sep_a"}, "duration_months": 6}]


@pytest.mark.parametrize("spare, expected", [(0, 0.0), (6, 0.25), (12, 0.5), (48, 1.0)])
def test_extra_output_needs_extra_feed_from_upstream_spare(spare, expected):
    # oem loses 1 t of oxide a month. sep_b has spare capacity but holds no stock: each extra
    # t of oxide needs 2 t of concentrate more from mine_b, whose spare is spare/12 a month:
    # oem gets min(1, spare/12/2). With no spare feed sep_b ships nothing extra.
    result = run_scenario(two_separators(spare), scenario(SEP_A_OUT, horizon=8))
    assert result.months["oem"].tolist() == pytest.approx([expected] * 6 + [1, 1])
    assert sink_row(result, "other")["min_supply"] == pytest.approx(1.0)
    moved = result.links.set_index(["supplier", "customer"])["rerouted_volume"]
    if expected > 0:
        assert moved[("sep_b", "oem")] == pytest.approx(6 * expected)
        assert moved[("mine_b", "sep_b")] == pytest.approx(6 * expected * 2)


def test_extra_output_draws_the_suppliers_stock_first():
    # sep_b holds 60 days of its 2 t/month feed = 4 t, enough for 2 t of oxide: oem is
    # covered in months 0 and 1, then nothing (mine_b has no spare; refill_rate 0).
    net = two_separators(0, sep_b_days=60)
    spec = scenario(SEP_A_OUT, horizon=8, responses={"refill_rate": 0})
    result = run_scenario(net, spec)
    assert result.months["oem"].tolist() == pytest.approx([1, 1, 0, 0, 0, 0, 1, 1])


def test_rerouting_never_takes_volume_from_a_shocked_facility():
    # sep_b would have the feed (mine_b spare 48), but it is itself under a 10% shock
    shocks = SEP_A_OUT + [{"select": {"id": "sep_b"}, "capacity_loss": 0.1, "duration_months": 6}]
    result = run_scenario(two_separators(48), scenario(shocks, horizon=8))
    assert result.months["oem"].tolist() == pytest.approx([0] * 6 + [1, 1])


def test_qualified_links_are_preferred_over_candidates():
    # two alternatives with ample spare: a qualified one and a matured candidate; all the
    # rerouted volume goes over the qualified link
    facilities = [facility("mine_a", "mine", capacity=12), facility("mine_q", "mine", capacity=50),
                  facility("mine_c", "mine", capacity=50), facility("oem", "oem", "DE")]
    links = [{"supplier": "mine_a", "customer": "oem", "material": "m", "volume": 12},
             {"supplier": "mine_q", "customer": "oem", "material": "m", "volume": 0},
             {"supplier": "mine_c", "customer": "oem", "material": "m", "volume": 0,
              "status": "candidate", "qualification_months": 0}]
    net = network_from_records(facilities, links)
    result = run_scenario(net, scenario(OUT_A, horizon=6), inventory=False)
    assert result.months["oem"].tolist() == pytest.approx([1] * 6)
    assert result.links["supplier"].tolist() == ["mine_q"]


def test_new_capacity_ramps_in():
    # a planned mine comes online at month 2 with a 2-month ramp: spare 6/yr*ramp over a
    # link to oem; oem needs 1/month, gets 0, 0, 0.25, 0.5, 0.5 (capacity 6/yr caps it)
    facilities = [facility("mine_a", "mine", capacity=12),
                  facility("mine_new", "mine", capacity=6, status="planned"),
                  facility("oem", "oem", "DE")]
    links = [{"supplier": "mine_a", "customer": "oem", "material": "m", "volume": 12},
             {"supplier": "mine_new", "customer": "oem", "material": "m", "volume": 0}]
    net = network_from_records(facilities, links)
    spec = scenario([{"select": {"id": "mine_a"}}], horizon=5, responses={
        "new_capacity": [{"select": {"id": "mine_new"}, "month": 2, "ramp_months": 2}]})
    assert run_scenario(net, spec, inventory=False).months["oem"].tolist() == \
        pytest.approx([0, 0, 0.25, 0.5, 0.5])


def test_full_mode_without_responses_equals_propagation(golden):
    # the simulation with inventory and rerouting off reproduces the algebra on an acyclic
    # network (the golden one has a recycling loop, so cut the recycler's links first)
    links = golden.links[golden.links["supplier"] != "rec_jp"]
    acyclic = type(golden)(golden.facilities, links[links["customer"] != "rec_jp"], golden.owners)
    spec = scenario([{"select": {"country": "CN", "stage": "separator"}, "capacity_loss": 0.6,
                      "duration_months": 4}, {"type": "export_control",
                                              "select": {"country": "MY"}, "start_month": 2}], horizon=8)
    topo = Topology.of(acyclic)
    sim = simulate(topo, compile_factors(acyclic, topo, spec, central_draws(spec)), spec.responses,
                   inventory=False, reroute=False)
    pure = run_scenario(acyclic, spec, **PURE).facility_supply.to_numpy()
    assert sim.supply[:, :, 0] == pytest.approx(pure)


# --- metrics --------------------------------------------------------------------------
def test_tts_and_ttr_definitions():
    series = np.array([[1, 1, 0.5, 0.995, 1, 0.98, 1, 1],      # dips again: ttr = 6
                       [1, 1, 1, 1, 1, 1, 1, 1],               # never short: null, null
                       [0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9],  # never recovers: 0, null
                       [1, 0.995, 1, 1, 1, 1, 1, 1]]).T        # shallow dip: tts = ttr = 1
    tts, ttr = time_to_survive(series), time_to_recover(series)
    assert tts.tolist()[:1] == [2] and np.isnan(tts[1]) and tts[2] == 0 and tts[3] == 1
    assert ttr[0] == 6 and np.isnan(ttr[1]) and np.isnan(ttr[2]) and ttr[3] == 1


# --- scenario files -------------------------------------------------------------------
def test_file_errors_name_file_and_field(tmp_path):
    path = tmp_path / "scenario.yaml"
    path.write_text("name: bad\nshocks:\n  - select: {country: CN}\n    capacity_loss: 1.5\n"
                    "  - select: {stage: smelter}\n    duraton_months: 3\n")
    with pytest.raises(ScenarioFileError) as caught:
        load_scenario(path)
    lines = str(caught.value).splitlines()
    assert "scenario.yaml: shocks[0].capacity_loss: must be between 0 and 1" in lines
    assert any(line.startswith("scenario.yaml: shocks[1].select.stage: unknown stage 'smelter'")
               for line in lines)
    assert "scenario.yaml: shocks[1].duraton_months: unknown field" in lines


def test_yaml_syntax_error_names_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nshocks: [\n")
    with pytest.raises(ScenarioFileError, match=r"broken.yaml: line \d+: not valid YAML"):
        load_scenario(path)


def test_shock_selecting_nothing_is_noted(golden):
    result = run_scenario(golden, scenario([{"select": {"country": "BR"}}]), **PURE)
    assert result.notes == ["shocks[0] selects no facility or link in this network"]
    assert (result.sinks["min_supply"] == 1).all()


def test_outage_of_cn_separators_equals_one_minus_analytics_exposure(golden):
    # graphmodel.exposure traces each facility's supply to its nearest separator; with
    # every CN separator out, pure propagation leaves exactly the rest downstream of them
    from graphmodel.exposure import exposure

    share = exposure(golden, "CN", "separator").set_index("id")["share"]
    result = run_scenario(golden, scenario([{"select": {"country": "CN", "stage": "separator"}}]),
                          **PURE)
    downstream = ["metal_cn", "metal_jp", "magnet_cn", "magnet_jp", "motor_de", "oem_auto",
                  "oem_def", "rec_jp"]
    supply = result.facility_supply.iloc[0]
    assert supply[downstream].to_numpy() == pytest.approx(1 - share[downstream].to_numpy(), abs=1e-12)
    assert supply["metal_cn"] == pytest.approx(0.25)     # 15 of 60 t from sep_my


# --- processing order of the monthly simulation -------------------------------------------
def networkx_generations(topo):
    import networkx as nx
    graph = nx.DiGraph()
    graph.add_nodes_from(range(topo.n))
    keep = ~topo.lagged
    graph.add_edges_from(zip(topo.supplier[keep].tolist(), topo.customer[keep].tolist()))
    return [sorted(level) for level in nx.topological_generations(graph)]


@pytest.mark.parametrize("seed", [0, 1])
def test_levels_are_networkx_topological_generations(golden, seed):
    from graphmodel.generate import generate_network
    for net in (golden, generate_network(600, seed=seed)):
        topo = Topology.of(net)
        assert [level.tolist() for level in topo.levels] == networkx_generations(topo)


def test_loop_without_recycler_cannot_be_ordered():
    from graphmodel.errors import TiernError
    # two magnet makers supplying each other (same stage, so validation lets it through)
    net = chain(0, extra_facilities=[facility("mag_a", "magnet"), facility("mag_b", "magnet")],
                extra_links=[{"supplier": "mag_a", "customer": "mag_b", "material": "NdFeB magnet",
                              "volume": 1},
                             {"supplier": "mag_b", "customer": "mag_a", "material": "NdFeB magnet",
                              "volume": 1}])
    with pytest.raises(TiernError, match="supply loop"):
        Topology.of(net).levels
