"""Recipes: complementary input groups, substitutes inside a group, per-group stocks.

Every expected number is computed by hand in the comment above it."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphmodel import load_network
from graphmodel.build import network_from_records
from graphmodel.errors import ValidationError
from graphmodel.examples import load_golden
from graphmodel.scenarios import load_scenario, parse_scenario, run_scenario
from graphmodel.scenarios.core import Topology, central_draws, compile_factors
from graphmodel.scenarios.presets import preset_paths
from graphmodel.scenarios.simulate import simulate

from .reference_pooled import simulate_pooled


def facility(fid, stage, country="AU", **extra):
    return {"id": fid, "name": fid, "stage": stage, "country": country, **extra}


MAGNET_RECIPE = [
    {"stage": "magnet", "output": "NdFeB magnet", "input": "NdPr metal", "per_unit": 0.31,
     "group": "NdPr"},
    {"stage": "magnet", "output": "NdFeB magnet", "input": "Dy metal", "per_unit": 0.04,
     "group": "DyTb"},
    {"stage": "magnet", "output": "NdFeB magnet", "input": "Tb metal", "per_unit": 0.02,
     "group": "DyTb"},
]


def magnet_chain(*, magnet_days=30, dy=4.0, tb=0.0, recipes=MAGNET_RECIPE):
    """NdPr metal from AU (31 t/yr), Dy metal from CN, optionally Tb metal from JP, into a
    magnet maker in JP shipping 100 t/yr of magnets to an OEM in DE (no OEM stock)."""
    facilities = [facility("ndpr_au", "metal", "AU", capacity=31),
                  facility("dy_cn", "metal", "CN", capacity=10),
                  facility("tb_jp", "metal", "JP", capacity=5),
                  facility("mag", "magnet", "JP", capacity=100, inventory_days=magnet_days),
                  facility("oem", "oem", "DE", capacity=100, inventory_days=0)]
    links = [{"supplier": "ndpr_au", "customer": "mag", "material": "NdPr metal", "volume": 31},
             {"supplier": "dy_cn", "customer": "mag", "material": "Dy metal", "volume": dy},
             {"supplier": "mag", "customer": "oem", "material": "NdFeB magnet", "volume": 100}]
    if tb:
        links.append({"supplier": "tb_jp", "customer": "mag", "material": "Tb metal", "volume": tb})
    return network_from_records(facilities, links, recipes=recipes)


def dy_export_ban(months=12, horizon=14):
    return parse_scenario({
        "name": "Dy ban", "horizon_months": horizon,
        "shocks": [{"type": "export_control", "select": {"country": "CN", "material": "Dy metal"},
                    "capacity_loss": 1.0, "duration_months": months}],
        "responses": {"reroute": False}})


def test_magnet_maker_stops_when_dy_stock_runs_out():
    # B_Dy = 4/12 / 0.04 = 8.333 t magnet/month, 30 days = one month of stock.
    # month 0: no Dy arrives, the stock covers the month: phi_Dy = 1 -> p = 1
    # months 1-11: phi_Dy = 0 -> the magnet maker stops -> the OEM (no stock) gets 0
    # month 12: the ban ends (12 months), Dy arrives again -> 1
    result = run_scenario(magnet_chain(), dy_export_ban())
    assert result.months["oem"].tolist() == pytest.approx([1.0] + [0.0] * 11 + [1.0, 1.0])
    row = result.sinks.set_index("id").loc["oem"]
    assert row["tts_months"] == 1
    assert row["lost_volume"] == pytest.approx(11 * 100 / 12)


def test_pooled_inputs_lose_only_dy_share_of_tonnage():
    # The same chain without recipes: inputs substitute by mass. Inbound 35/12 t a month, one
    # month of pooled stock (35/12). Each month 31/12 arrives and the stock covers the missing
    # 4/12: months 0-7 are whole (stock left 35/12 - 8 * 4/12 = 3/12); month 8 draws the last
    # 3/12 -> (31 + 3)/35; months 9-11 run on NdPr alone at 31/35, as if Dy did not matter.
    result = run_scenario(magnet_chain(recipes=None), dy_export_ban())
    assert result.months["oem"].tolist() == pytest.approx(
        [1.0] * 8 + [34 / 35] + [31 / 35] * 3 + [1.0, 1.0])


def test_tb_substitutes_for_dy_inside_its_group():
    # Dy 2 t/yr (a = 0.04 -> 50 t magnet/yr) and Tb 1 t/yr (a = 0.02 -> 50 t magnet/yr):
    # B_DyTb = 100/12. With Dy cut and no stock, A_DyTb = Tb's 50/12 -> phi = 0.5, so the
    # magnet maker and the OEM run at half while the ban lasts.
    net = magnet_chain(magnet_days=0, dy=2.0, tb=1.0)
    result = run_scenario(net, dy_export_ban(months=3, horizon=5))
    assert result.months["oem"].tolist() == pytest.approx([0.5, 0.5, 0.5, 1.0, 1.0])


def test_multi_output_metal_maker_keeps_the_unaffected_output():
    # A metal maker makes NdPr metal from NdPr oxide and Dy metal from Dy oxide; a Dy oxide
    # ban stops its Dy metal only. The magnet buyer (pooled, buying only NdPr metal) is whole.
    facilities = [facility("sep_au", "separator", "AU"), facility("sep_cn", "separator", "CN"),
                  facility("metal_jp", "metal", "JP", inventory_days=0),
                  facility("mag_ndpr", "magnet", "JP"), facility("mag_dy", "magnet", "JP"),
                  facility("oem_a", "oem", "DE"), facility("oem_b", "oem", "US")]
    links = [{"supplier": "sep_au", "customer": "metal_jp", "material": "NdPr oxide", "volume": 12},
             {"supplier": "sep_cn", "customer": "metal_jp", "material": "Dy oxide", "volume": 1.2},
             {"supplier": "metal_jp", "customer": "mag_ndpr", "material": "NdPr metal", "volume": 10},
             {"supplier": "metal_jp", "customer": "mag_dy", "material": "Dy metal", "volume": 1},
             {"supplier": "mag_ndpr", "customer": "oem_a", "material": "NdFeB magnet", "volume": 30},
             {"supplier": "mag_dy", "customer": "oem_b", "material": "NdFeB magnet", "volume": 20}]
    recipes = [{"stage": "metal", "output": "NdPr metal", "input": "NdPr oxide", "per_unit": 1.2,
                "group": "NdPr"},
               {"stage": "metal", "output": "Dy metal", "input": "Dy oxide", "per_unit": 1.2,
                "group": "Dy"}]
    net = network_from_records(facilities, links, recipes=recipes)
    spec = parse_scenario({"name": "ban", "horizon_months": 3, "shocks": [
        {"type": "export_control", "select": {"country": "CN", "material": "Dy oxide"}}],
        "responses": {"reroute": False, "inventory": False}})
    result = run_scenario(net, spec)
    assert result.months["oem_a"].tolist() == pytest.approx([1, 1, 1])
    assert result.months["oem_b"].tolist() == pytest.approx([0, 0, 0])
    # the metal maker's reported supply is its outputs weighted by baseline outbound volume:
    # NdPr metal 10 of 11 t at 1, Dy metal 1 of 11 t at 0 -> 10/11
    assert result.facility_supply["metal_jp"].tolist() == pytest.approx([10 / 11] * 3)


def test_an_input_missing_from_a_facilitys_recipe_is_a_located_error():
    recipes = MAGNET_RECIPE[:1]       # Dy metal arrives at the magnet maker but no row lists it
    net = magnet_chain(recipes=recipes)
    with pytest.raises(ValidationError, match=r"links\.csv:3:material: 'Dy metal' is not an "
                                              r"input of any recipe row of facility 'mag'"):
        net.production


@pytest.mark.parametrize("row, message", [
    ({"output": "NdFeB magnet", "input": "Dy metal", "per_unit": 0.04, "group": "DyTb"},
     r"recipes\.csv:2:facility: give exactly one of stage or facility"),
    ({"facility": "nowhere", "output": "NdFeB magnet", "input": "Dy metal", "per_unit": 0.04,
      "group": "DyTb"}, r"recipes\.csv:2:facility: unknown facility id 'nowhere'"),
    ({"stage": "magnet", "output": "NdFeB magnet", "input": "Dy metal", "per_unit": 0,
      "group": "DyTb"}, r"recipes\.csv:2:per_unit: must be > 0"),
])
def test_recipe_rows_are_validated(row, message):
    with pytest.raises(ValidationError, match=message):
        magnet_chain(recipes=[row])


def test_an_input_in_two_groups_counts_in_each():
    # Bought-in alloy carries both NdPr and Dy: listed in both groups (a = 1.35 in each).
    # The maker gets 27 t/yr alloy (20 t magnet) and 31 t NdPr metal + 4 t Dy metal
    # (100 t magnet). B_NdPr = (20 + 100)/12, B_DyTb = (20 + 100)/12. Dy cut, no stock:
    # phi_DyTb = 20/120 = 1/6, phi_NdPr = 1 -> p = 1/6.
    rows = MAGNET_RECIPE + [
        {"stage": "magnet", "output": "NdFeB magnet", "input": "NdFeB alloy", "per_unit": 1.35,
         "group": group} for group in ("NdPr", "DyTb")]
    net = magnet_chain(magnet_days=0, recipes=rows)
    facilities = net.to_frames()["facilities"].to_dict("records")
    links = net.to_frames()["links"].to_dict("records")
    facilities.append(facility("alloy_jp", "alloy", "JP"))
    links.append({"supplier": "alloy_jp", "customer": "mag", "material": "NdFeB alloy", "volume": 27})
    net = network_from_records(facilities, links, recipes=rows)
    result = run_scenario(net, dy_export_ban(months=2, horizon=3))
    assert result.months["oem"].tolist() == pytest.approx([1 / 6, 1 / 6, 1.0])


# --- networks without recipes: the pooled model, to 1e-12 --------------------------------
def _both(net, spec, **modes):
    topo = Topology.of(net)
    compiled = compile_factors(net, topo, spec, central_draws(spec))
    new = simulate(topo, compiled, spec.responses, **modes)
    old = simulate_pooled(topo, compiled, spec.responses, **modes)
    return new, old


@pytest.mark.parametrize("modes", [dict(inventory=True, reroute=True),
                                   dict(inventory=True, reroute=False),
                                   dict(inventory=False, reroute=True)])
@pytest.mark.parametrize("preset", [p.stem for p in preset_paths()])
def test_bundled_presets_without_recipes_match_the_pooled_model(preset, modes):
    net = load_network()
    if len(net.recipes):
        net.recipes = net.recipes.iloc[0:0]
    spec = load_scenario(next(p for p in preset_paths() if p.stem == preset))
    new, old = _both(net, spec, **modes)
    np.testing.assert_allclose(new.supply, old.supply, rtol=0, atol=1e-12)
    np.testing.assert_allclose(new.rerouted, old.rerouted, rtol=0, atol=1e-9)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(loss=st.floats(0, 1), start=st.integers(0, 5), duration=st.integers(0, 8),
       days=st.integers(0, 90), reroute=st.booleans())
def test_golden_without_recipes_matches_the_pooled_model(loss, start, duration, days, reroute):
    net = load_golden()
    facilities = net.facilities.copy()
    facilities["inventory_days"] = float(days)
    net.facilities = facilities
    spec = parse_scenario({"name": "p", "horizon_months": 12, "shocks": [
        {"select": {"country": "CN"}, "capacity_loss": loss, "start_month": start,
         "duration_months": duration}]})
    new, old = _both(net, spec, inventory=True, reroute=reroute)
    np.testing.assert_allclose(new.supply, old.supply, rtol=0, atol=1e-12)
    np.testing.assert_allclose(new.stock, old.stock, rtol=0, atol=1e-9)


# --- export controls by element content ----------------------------------------------------
def test_element_selector_takes_every_material_above_the_de_minimis():
    # Dy metal holds 1.0 Dy, NdPr metal none; a magnet holds 1% Dy (bundled materials.csv):
    # {element: Dy, min_content: 0.001} selects Dy metal and NdFeB magnet, not NdPr metal;
    # min_content 0.05 leaves the magnet out.
    from graphmodel.scenarios.select import link_mask
    from graphmodel.scenarios.model import Selector

    net = magnet_chain()
    chosen = net.links.loc[link_mask(net, Selector(element="Dy", min_content=0.001)), "material"]
    assert sorted(chosen) == ["Dy metal", "NdFeB magnet"]
    chosen = net.links.loc[link_mask(net, Selector(element="Dy", min_content=0.05)), "material"]
    assert list(chosen) == ["Dy metal"]


def test_a_networks_own_materials_table_overrides_the_defaults():
    net = magnet_chain()
    own = [{"material": "NdFeB magnet", "unit": "t magnet", "Dy": 0.0}]
    net = network_from_records(net.to_frames()["facilities"].to_dict("records"),
                               net.to_frames()["links"].to_dict("records"),
                               recipes=MAGNET_RECIPE, materials=own)
    assert net.element_content.at["NdFeB magnet", "Dy"] == 0.0
    assert net.element_content.at["Dy metal", "Dy"] == 1.0        # from the defaults


def test_unknown_element_is_a_located_scenario_error():
    from graphmodel.scenarios import ScenarioFileError

    with pytest.raises(ScenarioFileError, match=r"shocks\[0\]\.select\.element"):
        parse_scenario({"name": "x", "shocks": [{"type": "export_control",
                                                 "select": {"country": "CN", "element": "Xx"}}]})


# --- element tracing -------------------------------------------------------------------------
def dy_chain():
    """Two separators feed a JP metal maker: Dy oxide 3 t/yr from CN and 1 t/yr from AU,
    NdPr oxide 120 t/yr from AU only. The metal maker ships NdPr metal (100) and Dy metal
    (3.4) to a magnet maker, whose magnets (300) go to an OEM."""
    facilities = [facility("sep_cn", "separator", "CN"), facility("sep_au", "separator", "AU"),
                  facility("metal_jp", "metal", "JP"), facility("mag_jp", "magnet", "JP"),
                  facility("oem_de", "oem", "DE")]
    links = [{"supplier": "sep_cn", "customer": "metal_jp", "material": "Dy oxide", "volume": 3},
             {"supplier": "sep_au", "customer": "metal_jp", "material": "Dy oxide", "volume": 1},
             {"supplier": "sep_au", "customer": "metal_jp", "material": "NdPr oxide", "volume": 120},
             {"supplier": "metal_jp", "customer": "mag_jp", "material": "NdPr metal", "volume": 100},
             {"supplier": "metal_jp", "customer": "mag_jp", "material": "Dy metal", "volume": 3.4},
             {"supplier": "mag_jp", "customer": "oem_de", "material": "NdFeB magnet", "volume": 300}]
    return network_from_records(facilities, links)


def test_dy_flows_are_conserved_and_follow_dy_bearing_links():
    from graphmodel.elements import element_flows

    net = dy_chain()
    x = element_flows(net, "Dy").to_numpy()
    # Dy2O3 holds 0.8713 Dy: 3 t -> 2.6139 t, 1 t -> 0.8713 t, NdPr oxide none.
    # The metal maker's 3.4852 t leave on Dy metal only (NdPr metal holds no Dy); the magnet
    # maker passes all of it to the OEM.
    dy = 4 * 0.8713
    np.testing.assert_allclose(x, [3 * 0.8713, 0.8713, 0.0, 0.0, dy, dy], rtol=1e-12)


def test_dy_exposure_of_an_oem_follows_dy_not_tonnage():
    # By tonnage the OEM's supply traces 120/124 to AU separation and 3/124 = 2.4% to CN;
    # by Dy it traces 3/4 = 75% to CN.
    from graphmodel.elements import element_network
    from graphmodel.exposure import exposure

    net = dy_chain()
    by_mass = exposure(net, "CN", "separator").set_index("id").loc["oem_de", "share"]
    by_dy = exposure(element_network(net, "Dy"), "CN", "separator").set_index("id").loc[
        "oem_de", "share"]
    assert by_mass == pytest.approx(3 / 124)
    assert by_dy == pytest.approx(0.75)


def test_cli_exposure_by_element_names_each_oem():
    import json

    from .cli_runner import tiern

    out = tiern("exposure", "--element", "Dy", "--country", "CN", "--stage", "separator",
                "--sinks-only", "-f", "json").stdout
    rows = {row["id"]: row for row in json.loads(out)}
    assert set(rows) == set(load_network().sinks)
    assert all(0 <= r["share"] <= 1 and 0 <= r["unknown"] <= 1 for r in rows.values())
    # Chinese OEMs' magnets are made with Dy separated in China
    assert rows["cn-byd"]["share"] > 0.5


def test_binding_input_names_the_missing_group_or_the_cut_link():
    # With recipes the OEM is short because its magnet maker lacks the DyTb group; without
    # recipes (pooled) the walk reaches the cut Dy metal link itself.
    row = run_scenario(magnet_chain(), dy_export_ban()).sinks.set_index("id").loc["oem"]
    assert row["binding_input"] == "DyTb at mag"
    pooled = run_scenario(magnet_chain(recipes=None), dy_export_ban()).sinks.set_index("id")
    assert pooled.loc["oem", "binding_input"] == "Dy metal dy_cn -> mag (link cut)"


METAL_RECIPE = [
    {"stage": "metal", "output": "NdPr metal", "input": "NdPr oxide", "per_unit": 1.2,
     "group": "NdPr"},
    {"stage": "metal", "output": "Dy metal", "input": "Dy oxide", "per_unit": 1.15,
     "group": "Dy"},
]


def test_material_flows_follow_the_recipe_and_the_feed():
    # Dy oxide: 3 t from CN and 1 t from AU. Downstream the metal maker's recipe sends all
    # 4 t on to its Dy metal (none on NdPr metal), the magnet maker (pooled) to the OEM.
    # Upstream: sep_au ships 121 t of which 1 is Dy oxide, so 1/121 of its feed (121 t of
    # concentrate from mine_au) counts: 1 t; sep_cn makes only Dy oxide: all 3 t of its feed.
    from graphmodel.elements import material_flows

    base = dy_chain().to_frames()
    facilities = base["facilities"].to_dict("records") + [
        facility("mine_cn", "mine", "CN"), facility("mine_au", "mine", "AU")]
    links = base["links"].to_dict("records") + [
        {"supplier": "mine_cn", "customer": "sep_cn", "material": "RE concentrate", "volume": 3},
        {"supplier": "mine_au", "customer": "sep_au", "material": "RE concentrate", "volume": 121}]
    net = network_from_records(facilities, links, recipes=METAL_RECIPE)
    x = material_flows(net, "Dy oxide").to_numpy()
    np.testing.assert_allclose(x, [3, 1, 0, 0, 4, 4, 3, 1], rtol=1e-12, atol=1e-12)


def test_material_exposure_traces_one_material_to_its_origins():
    from graphmodel.elements import material_network
    from graphmodel.exposure import exposure

    net = network_from_records(dy_chain().to_frames()["facilities"].to_dict("records"),
                               dy_chain().to_frames()["links"].to_dict("records"),
                               recipes=METAL_RECIPE)
    share = exposure(material_network(net, "Dy oxide"), "CN", "separator").set_index("id")["share"]
    assert share["oem_de"] == pytest.approx(0.75)       # 3 of 4 t of Dy oxide
    assert share["metal_jp"] == pytest.approx(0.75)


def test_material_that_no_link_carries_is_an_error():
    from graphmodel.elements import material_flows

    with pytest.raises(Exception, match="no link carries material 'Tb oxide'"):
        material_flows(dy_chain(), "Tb oxide")


def test_cli_exposure_by_material():
    import json

    from .cli_runner import tiern

    out = tiern("exposure", "--material", "Dy oxide", "--country", "CN", "--stage", "separator",
                "--sinks-only", "-f", "json").stdout
    rows = {row["id"]: row for row in json.loads(out)}
    assert set(rows) == set(load_network().sinks)
    assert all(0 <= r["share"] <= 1 + 1e-9 for r in rows.values())
    assert rows["cn-byd"]["share"] > 0.9
    both = tiern("exposure", "--material", "Dy oxide", "--element", "Dy", check=False)
    assert both.returncode == 2 and "--material" in both.stderr


# --- capacity per material -------------------------------------------------------------------
def test_spare_capacity_is_per_material():
    # A separator (no recipe: capacity alone bounds it) makes NdPr oxide 60 and Dy oxide 2
    # t/yr from 100 t/yr capacity: 38 t/yr of total headroom, but its Dy oxide line is full
    # (capacities.csv: Dy oxide 2.4 t/yr -> 0.2 - 2/12 = 0.0333 t a month spare).
    # A metal maker loses its 1.2 t/yr Dy oxide from CN (0.1 t a month) and may reroute to the
    # AU separator over a qualified link: it gets 0.0333 t a month, a third of what it lost.
    facilities = [facility("sep_au", "separator", "AU", capacity=100),
                  facility("sep_cn", "separator", "CN", capacity=100),
                  facility("metal", "metal", "JP", inventory_days=0),
                  facility("buyer", "magnet", "JP"), facility("nd_buyer", "magnet", "KR")]
    links = [{"supplier": "sep_au", "customer": "nd_buyer", "material": "NdPr oxide", "volume": 60},
             {"supplier": "sep_au", "customer": "metal", "material": "Dy oxide", "volume": 2},
             {"supplier": "sep_cn", "customer": "metal", "material": "Dy oxide", "volume": 1.2},
             {"supplier": "metal", "customer": "buyer", "material": "Dy metal", "volume": 2.7}]
    spec = parse_scenario({"name": "ban", "horizon_months": 1, "shocks": [
        {"type": "export_control", "select": {"country": "CN", "material": "Dy oxide"}}],
        "responses": {"inventory": False}})
    without = network_from_records(facilities, links)
    moved = run_scenario(without, spec).links["rerouted_volume"].sum()
    assert moved == pytest.approx(0.1)          # total capacity leaves room for all of it
    capacities = [{"facility": "sep_au", "material": "Dy oxide", "capacity": 2.4}]
    net = network_from_records(facilities, links, capacities=capacities)
    assert run_scenario(net, spec).links["rerouted_volume"].sum() == pytest.approx(2.4 / 12 - 2 / 12)


def test_element_view_of_a_scenario_counts_tonnes_by_stage():
    # magnet_chain under a 12-month Dy ban: the metal stage ships Dy only on the cut Dy metal
    # link (0 from month 0, baseline 4 t/yr x 1.0 Dy = 1/3 t a month); the magnet maker ships
    # 100 t/yr of magnets holding 1% Dy (bundled materials.csv) while its stock lasts (month
    # 0), then nothing until month 12.
    result = run_scenario(magnet_chain(), dy_export_ban())
    dy = result.table("element").query("element == 'Dy'").set_index(["stage", "month"])
    assert dy.loc[("metal", 0), "baseline_t"] == pytest.approx(4 / 12)
    assert dy.loc[("metal", 0), "shipped_t"] == pytest.approx(0.0)
    assert dy.loc[("magnet", 0), "share"] == pytest.approx(1.0)
    assert dy.loc[("magnet", 0), "baseline_t"] == pytest.approx(100 / 12 * 0.01)
    assert dy.loc[("magnet", 5), "share"] == pytest.approx(0.0)
    assert dy.loc[("magnet", 12), "share"] == pytest.approx(1.0)
