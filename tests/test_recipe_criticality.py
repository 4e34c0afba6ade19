"""Criticality, single points of failure and alternatives on recipes; aggregate rows.

Every expected number is computed by hand in the comment above it."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

from graphmodel import chokepoints as ch
from graphmodel import load_network
from graphmodel.build import network_from_records
from graphmodel.concentration import concentration
from graphmodel.recipe_criticality import APPROXIMATION, RECIPE, recipe_outages
from graphmodel.recipes import empty_recipes

from .cli_runner import tiern
from .strategies import network_records

MAGNET_RECIPE = [
    {"stage": "magnet", "output": "NdFeB magnet", "input": "NdPr metal", "per_unit": 0.31,
     "group": "NdPr"},
    {"stage": "magnet", "output": "NdFeB magnet", "input": "Dy metal", "per_unit": 0.04,
     "group": "DyTb"},
]


def facility(fid, stage, country="AU", **extra):
    return {"id": fid, "name": fid, "stage": stage, "country": country, **extra}


def dy_chain(recipes=MAGNET_RECIPE, aggregate_dy=False, capacities=None):
    """A magnet maker (JP) buying 95 t/yr NdPr metal from AU and 5 t/yr Dy metal from its
    only Dy source, a CN metal plant (5% of its inbound tonnage), and shipping 100 t/yr of
    magnets to one OEM (DE). A second OEM (US) buys 50 t/yr of magnets from an AU magnet
    maker fed by the same AU NdPr plant only (no Dy)."""
    facilities = [facility("ndpr_au", "metal", "AU", capacity=200),
                  facility("dy_cn", "metal", "CN", capacity=10, aggregate=aggregate_dy),
                  facility("mag", "magnet", "JP", capacity=100),
                  facility("mag_au", "magnet", "AU", capacity=60),
                  facility("oem_de", "oem", "DE", capacity=100),
                  facility("oem_us", "oem", "US", capacity=50)]
    links = [{"supplier": "ndpr_au", "customer": "mag", "material": "NdPr metal", "volume": 95},
             {"supplier": "dy_cn", "customer": "mag", "material": "Dy metal", "volume": 5},
             {"supplier": "ndpr_au", "customer": "mag_au", "material": "NdPr metal", "volume": 50},
             {"supplier": "mag", "customer": "oem_de", "material": "NdFeB magnet", "volume": 100},
             {"supplier": "mag_au", "customer": "oem_us", "material": "NdFeB magnet", "volume": 50}]
    recipes = None if recipes is None else recipes + [
        {"facility": "mag_au", "output": "NdFeB magnet", "input": "NdPr metal",
         "per_unit": 0.31, "group": "NdPr"}]
    return network_from_records(facilities, links, recipes=recipes, capacities=capacities)


def test_only_dy_source_stops_the_oem_on_recipes():
    net = dy_chain()
    table = ch.chokepoints(net).set_index("id")
    # For the DE OEM alone: without Dy the magnet maker makes nothing (phi_Dy = 0), so the
    # OEM loses everything: recipe criticality 1. By tonnage Dy is 5 of 100 t: 0.05.
    alone = ch.chokepoints(net, sinks="oem_de").set_index("id")
    assert alone.at["dy_cn", "criticality"] == pytest.approx(1.0, abs=1e-12)
    assert alone.at["dy_cn", "criticality_linear"] == pytest.approx(0.05, abs=1e-12)
    assert alone.at["dy_cn", "criticality_basis"] == RECIPE
    # Both OEMs (demand 100 + 50 = 150): the Dy plant costs 100 of 150 = 2/3 on recipes,
    # 5 of 150 = 1/30 by tonnage; the NdPr plant stops both: 1 (linear 95/150 + 50/150).
    assert table.at["dy_cn", "criticality"] == pytest.approx(2 / 3, abs=1e-12)
    assert table.at["dy_cn", "criticality_linear"] == pytest.approx(5 / 150, abs=1e-12)
    assert table.at["dy_cn", "demand_at_risk"] == pytest.approx(100, abs=1e-9)
    assert table.at["ndpr_au", "criticality"] == pytest.approx(1.0, abs=1e-12)
    assert table.at["ndpr_au", "criticality_linear"] == pytest.approx(145 / 150, abs=1e-12)
    # single points on recipes: the Dy plant stops the DE OEM though it dominates nothing
    assert table.at["dy_cn", "single_point_for"] == ["oem_de"]
    assert table.at["ndpr_au", "single_point_for"] == ["oem_de", "oem_us"]
    assert table.at["mag", "single_point_for"] == ["oem_de"]
    assert ch.dominators(net)["oem_de"] == ["mag"]
    assert table.index[0] == "ndpr_au"


def test_without_recipes_the_chain_keeps_linear_values_and_dominators():
    net = dy_chain(recipes=None)
    table = ch.chokepoints(net).set_index("id")
    assert (table["criticality_basis"] == "linear").all()
    assert table.at["dy_cn", "criticality"] == pytest.approx(5 / 150, abs=1e-12)
    # the Dy plant does not dominate the OEM (NdPr reaches it without it): no single point
    assert table.at["dy_cn", "single_point_for"] == []
    assert table.at["mag", "single_point_for"] == ["oem_de"]
    # and the recipe runs, asked for explicitly, give the linear values
    both = ch.recipe_criticality(net)
    np.testing.assert_allclose(both["criticality"], both["criticality_linear"], rtol=0, atol=1e-12)


def test_aggregate_is_never_a_single_point_or_a_company():
    net = dy_chain(aggregate_dy=True)
    table = ch.chokepoints(net).set_index("id")
    assert table.at["dy_cn", "aggregate"]
    assert table.at["dy_cn", "criticality"] == pytest.approx(2 / 3, abs=1e-12)  # still critical
    assert table.at["dy_cn", "single_point_for"] == []
    records = [facility("m1", "mine", "CN", owner="A", capacity=60),
               facility("m2", "mine", "CN", owner="B", capacity=30),
               facility("rest", "mine", "CN", owner="Rest (aggregate)", capacity=10,
                        aggregate=True),
               facility("s", "separator", "MY", owner="C", capacity=100)]
    links = [{"supplier": m, "customer": "s", "material": "RE concentrate", "volume": v}
             for m, v in (("m1", 60), ("m2", 30), ("rest", 10))]
    net = network_from_records(records, links)
    companies = ch.chokepoints_by_group(net, by="company")
    assert "Rest (aggregate)" not in set(companies["group"])
    assert {"A", "B", "C"} <= set(companies["group"])
    mines = concentration(net).set_index("stage").loc["mine"]
    # HHI over companies: 60^2 + 30^2 = 4,500; the aggregate's 10% adds no term
    assert mines["hhi_company"] == pytest.approx(4500)
    assert mines["top_company"] == "A"
    # by country every mine counts: 100^2
    assert mines["hhi_country"] == pytest.approx(10_000)



def test_company_residual_aggregate_fails_with_its_company():
    """An aggregate owned by a company that holds a named plant of the same stage (a state
    group's quota row) is that company's in --by company and in company concentration; an
    aggregate of many holders stays no one's."""
    records = [facility("a1", "mine", "CN", owner="A", capacity=60),
               facility("a-rest", "mine", "CN", owner="A", capacity=20, aggregate=True),
               facility("rest", "mine", "CN", owner="Rest (aggregate)", capacity=20,
                        aggregate=True),
               facility("s", "separator", "MY", owner="C", capacity=100),
               facility("o", "oem", "DE", owner="O", capacity=100)]
    links = [{"supplier": m, "customer": "s", "material": "RE concentrate", "volume": v}
             for m, v in (("a1", 60), ("a-rest", 20), ("rest", 20))]
    links.append({"supplier": "s", "customer": "o", "material": "NdPr oxide", "volume": 100})
    net = network_from_records(records, links)
    assert net.company.dropna().to_dict() == {"a1": "A", "a-rest": "A", "s": "C", "o": "O"}
    companies = ch.chokepoints_by_group(net, by="company").set_index("group")
    assert "Rest (aggregate)" not in companies.index
    assert companies.at["A", "facilities"] == 2
    # all A's mines fail: 80 of the separator's 100 t of feed, so 80% of the OEM's supply
    assert companies.at["A", "criticality"] == pytest.approx(0.8, abs=1e-12)
    mines = concentration(net).set_index("stage").loc["mine"]
    assert mines["hhi_company"] == pytest.approx(80 ** 2)  # the many-holder 20% adds no term
    assert (mines["top_company"], mines["top_company_share"]) == ("A", pytest.approx(0.8))

def test_alternatives_same_material_per_material_spare_and_country():
    # The magnet maker buys Dy metal from dy_cn; dy_vn (VN) and dy_us (US) have qualified Dy
    # links to it (no volume); nd_jp has a qualified NdPr link: never a Dy alternative.
    facilities = [facility("ndpr_au", "metal", "AU", capacity=200),
                  facility("dy_cn", "metal", "CN", capacity=10),
                  facility("dy_vn", "metal", "VN", capacity=50),
                  facility("dy_us", "metal", "US", capacity=40),
                  facility("nd_jp", "metal", "JP", capacity=500),
                  facility("mag", "magnet", "JP", capacity=100),
                  facility("oem_de", "oem", "DE", capacity=100)]
    links = [{"supplier": "ndpr_au", "customer": "mag", "material": "NdPr metal", "volume": 95},
             {"supplier": "dy_cn", "customer": "mag", "material": "Dy metal", "volume": 5},
             {"supplier": "dy_vn", "customer": "mag", "material": "Dy metal", "volume": 0},
             {"supplier": "dy_us", "customer": "mag", "material": "Dy metal", "volume": 0},
             {"supplier": "nd_jp", "customer": "mag", "material": "NdPr metal", "volume": 0},
             {"supplier": "dy_vn", "customer": "oem_de", "material": "NdPr metal", "volume": 30},
             {"supplier": "mag", "customer": "oem_de", "material": "NdFeB magnet", "volume": 100}]
    # dy_vn: 8 t/yr of Dy metal capacity (capacities.csv), ships no Dy: spare 8 (its
    # facility spare would be 50 - 30 = 20); dy_us: no row, facility spare 40 - 0 = 40.
    capacities = [{"facility": "dy_vn", "material": "Dy metal", "capacity": 8,
                   "unit": "t/yr"}]
    net = network_from_records(facilities, links, recipes=MAGNET_RECIPE, capacities=capacities)
    alt = ch.alternatives(net)
    assert alt.at["dy_cn", "alternative_ids"] == ["dy_us", "dy_vn"]
    assert alt.at["dy_cn", "alternative_countries"] == ["US", "VN"]
    assert alt.at["dy_cn", "alternative_spare"] == pytest.approx([40, 8])
    assert alt.at["dy_cn", "alternatives"] == pytest.approx(48)
    assert alt.at["ndpr_au", "alternative_ids"] == ["nd_jp"]  # NdPr only
    # a US shock: US suppliers are no alternative
    shocked = ch.alternatives(net, exclude_country="US")
    assert shocked.at["dy_cn", "alternative_ids"] == ["dy_vn"]
    assert shocked.at["dy_cn", "alternatives"] == pytest.approx(8)
    table = ch.chokepoints(net, exclude_country="US").set_index("id")
    assert table.at["dy_cn", "alternative_ids"] == ["dy_vn"]


def _without_recipes(net):
    net.recipes = empty_recipes()
    net.capacities = net.capacities.iloc[:0]
    return net


@pytest.mark.parametrize("name", ["golden", "bundled"])
def test_recipe_criticality_equals_linear_without_recipes(name, golden):
    net = golden if name == "golden" else _without_recipes(load_network())
    assert net.production.pooled
    both = ch.recipe_criticality(net)
    assert (both["criticality_basis"] == RECIPE).all()
    np.testing.assert_allclose(both["criticality"], both["criticality_linear"], rtol=0, atol=1e-12)


def test_bundled_recipes_raise_dy_suppliers_above_their_tonnage():
    table = ch.chokepoints(load_network(), exclude_sinks=True).set_index("id")
    assert (table["criticality_basis"] == RECIPE).all()
    # the southern (ionic-clay, heavy rare earth) separators carry a few percent of the
    # tonnage but most Dy: on recipes they are far more critical than by tonnage
    row = table.loc["cn-creg-ganzhou-separation"]
    assert row["criticality"] > 3 * row["criticality_linear"]
    # aggregates are never single points of failure
    assert table.loc[table["aggregate"], "single_point_for"].map(len).eq(0).all()


def test_size_limit_computes_the_top_facilities_and_states_the_rest():
    net = dy_chain()
    demand = ch.selected_demand(net)
    linear = ch.demand_criticality(net, demand)
    full = recipe_outages(net, demand, linear)
    # above the limit (here 2), only the top 2 by linear criticality run: ndpr_au (145/150)
    # and the OEM itself (100/150, tied with mag; ids break the tie)
    limited = recipe_outages(net, demand, linear, exact_limit=2, top_exact=2, block_bytes=1)
    ids = net.facilities.index
    computed = set(ids[limited.computed])
    assert len(computed) == 2 and "ndpr_au" in computed
    for i, fid in enumerate(ids):
        if fid in computed:
            assert limited.basis[i] == RECIPE
            assert limited.criticality[i] == pytest.approx(full.criticality[i], abs=1e-12)
        elif linear[fid] > 0:
            assert limited.basis[i] == APPROXIMATION
            assert limited.criticality[i] == linear[fid]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(network_records())
def test_recipe_runs_equal_linear_criticality_on_random_networks(records):
    net = network_from_records(**records)
    if not ch.availability(net).reindex(net.sinks).gt(1 - 1e-9).all():
        return  # supply that traces to no origin: the linear model calls it unknown
    both = ch.recipe_criticality(net)
    # a recycling loop returning almost all its flow may not settle within MAX_STEPS: such
    # columns are flagged as lower bounds, and must not exceed the linear loss
    settled = (both["criticality_basis"] == RECIPE).to_numpy()
    recipe = both["criticality"].to_numpy(dtype=float)
    linear = both["criticality_linear"].to_numpy(dtype=float)
    np.testing.assert_allclose(recipe[settled], linear[settled], rtol=0, atol=1e-12)
    assert (recipe[~settled] <= linear[~settled] + 1e-12).all()


def test_cli_exclude_country_and_linear_column(tmp_path):
    out = tmp_path / "c.csv"
    tiern("chokepoints", "--exclude-sinks", "--exclude-country", "CN", "-n", "5", "-o", out)
    table = pd.read_csv(out)
    assert {"criticality", "criticality_linear", "criticality_basis"} <= set(table.columns)
    assert not table["alternative_countries"].fillna("").str.contains("CN").any()
    assert tiern("chokepoints", "--by", "company", "--exclude-country", "CN",
                 check=False).returncode != 0


def test_sink_resilience_and_report_use_recipe_single_points():
    from graphmodel.report import build_report

    net = dy_chain()
    resilience = ch.sink_resilience(net).set_index("id")
    # the DE OEM: dominated by mag; stopped also by ndpr_au and dy_cn on recipes
    assert resilience.at["oem_de", "dominators"] == ["mag"]
    assert resilience.at["oem_de", "single_points"] == ["dy_cn", "mag", "ndpr_au"]
    assert resilience.at["oem_us", "single_points"] == ["mag_au", "ndpr_au"]
    report = build_report(net)
    top = report.tables["Top chokepoints"].set_index("id")
    assert top.at["dy_cn", "criticality_linear"] == pytest.approx(5 / 150)
    assert "By tonnage alone" in top.at["dy_cn", "why"]
    assert any("Criticality on recipes" == topic for topic, _ in report.methodology)
    # golden network (no recipes): single points are the dominators
    from graphmodel.examples import load_golden

    golden = ch.sink_resilience(load_golden())
    assert (golden["single_points"] == golden["dominators"].map(sorted)).all()


def test_critical_inputs_name_the_complement_small_by_mass():
    # magnet_chain: the magnet maker takes NdPr metal 31 t (AU) and Dy metal 4 t (CN): the
    # DyTb group is 4/35 of its inbound tonnes, all from CN, and comes first.
    from graphmodel.recipe_criticality import critical_inputs

    from .test_recipes import magnet_chain

    table = critical_inputs(magnet_chain())
    assert table[["facility", "group", "materials", "suppliers", "top_country"]].values.tolist() == [
        ["mag", "DyTb", "Dy metal", 1, "CN"], ["mag", "NdPr", "NdPr metal", 1, "AU"]]
    assert table["mass_share"].tolist() == pytest.approx([4 / 35, 31 / 35])
    assert critical_inputs(magnet_chain(recipes=None)).empty     # pooled: no complements


def test_cli_chokepoints_by_input():
    import json

    from .cli_runner import tiern

    rows = json.loads(tiern("chokepoints", "--by", "input", "--stage", "magnet", "-f",
                            "json").stdout)
    assert rows and all(r["stage"] == "magnet" for r in rows)
    assert any(r["facility"] == "de-vac-hanau" and r["group"] == "DyTb" for r in rows)
