"""The synthetic network generator: valid, deterministic, and shaped as documented."""
from __future__ import annotations

import numpy as np
import pandas as pd

from graphmodel import load_network
from graphmodel.generate import GeneratorSettings, generate_network, generate_tables
from graphmodel.io import write_tables


def test_same_seed_same_network_different_seed_different():
    a = generate_tables(GeneratorSettings(2000, seed=7))
    b = generate_tables(GeneratorSettings(2000, seed=7))
    c = generate_tables(GeneratorSettings(2000, seed=8))
    assert all(a[k].equals(b[k]) for k in a)
    assert not a["links"].equals(c["links"])


def test_generated_network_is_valid_and_shaped(tmp_path):
    tables = generate_tables(GeneratorSettings(3000, seed=1))
    write_tables({k: v for k, v in tables.items() if len(v)}, tmp_path / "g")
    net = load_network(tmp_path / "g")  # full validation, as a user would load it
    f, links = net.facilities, net.links
    assert len(f) == 3000 and set(f["stage"]) == {
        "mine", "concentrator", "mrec", "separator", "metal", "alloy", "magnet", "motor", "oem", "recycler"}
    qualified = links[links["status"] == "qualified"]
    buyers = f.index[~f["stage"].isin(["mine", "recycler"])]
    per_buyer = qualified[qualified["material"] != "recycled alloy"].groupby("customer").size().reindex(buyers)
    assert 2.5 < per_buyer.mean() < 3.5                      # ~3 suppliers per buyer
    degree = qualified.groupby("supplier").size()
    assert degree.max() > 8 * degree.median()                 # heavy-tailed supplier degrees
    mid = f[f["stage"].isin(["mrec", "separator", "metal", "alloy", "magnet"])]
    assert 0.7 < (mid["country"] == "CN").mean() < 0.9        # dominant country at mid stages
    recycling = links["material"].isin(["magnet scrap", "recycled alloy"]).mean()
    assert 0.001 < recycling < 0.03                           # ~1% recycling back-links
    assert (links["status"] == "candidate").mean() > 0.03     # candidate links
    assert net.ownership["control_country"].notna().all()     # every owner resolves


def test_generate_network_builds_in_memory():
    net = generate_network(200, seed=3)
    rows = np.asarray(net.share_matrix.sum(axis=1)).ravel()
    assert np.allclose(rows[net.inbound_volume.to_numpy() > 0], 1)


def test_recipes_option_adds_heavy_links_and_a_recipes_table_production_accepts():
    from graphmodel.generate import SYNTHETIC_RECIPES
    from graphmodel.recipes import Production

    plain = generate_tables(GeneratorSettings(500, seed=3))
    with_recipes = generate_tables(GeneratorSettings(500, seed=3, recipes=True))
    again = generate_tables(GeneratorSettings(500, seed=3, recipes=True))
    for name in with_recipes:
        pd.testing.assert_frame_equal(with_recipes[name], again[name])
    # the network without recipes is untouched: heavy links come after, from their own stream
    n = len(plain["links"])
    pd.testing.assert_frame_equal(with_recipes["links"].iloc[:n], plain["links"])
    heavy = with_recipes["links"].iloc[n:]
    assert set(heavy["material"]) == {"Dy oxide", "Tb oxide", "Dy metal", "Tb metal"}
    recipes = with_recipes["recipes"]
    assert len(recipes) == len(SYNTHETIC_RECIPES)
    # every material a recipe stage receives is listed for that stage
    stage = with_recipes["facilities"].set_index("id")["stage"]
    links = with_recipes["links"]
    received = set(zip(stage.loc[links["customer"]].to_numpy(), links["material"]))
    listed = set(zip(recipes["stage"], recipes["input"]))
    assert {pair for pair in received if pair[0] in set(recipes["stage"])} <= listed
    net = generate_network(500, seed=3, recipes=True)
    production = Production.of(net)
    assert not production.pooled
    assert set(production.group_name) >= {"NdPr", "DyTb", "Dy", "Tb", "magnet"}


# --- topology knobs -------------------------------------------------------------------
import pytest  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from scipy.sparse import csgraph  # noqa: E402

from graphmodel.generate import looped_share  # noqa: E402
from graphmodel.solve import build_schedule  # noqa: E402


def _components(tables):
    """Strong component label per facility over the links that carry volume."""
    ids = pd.Index(tables["facilities"]["id"])
    links = tables["links"][tables["links"]["volume"] > 0]
    n = len(ids)
    graph = sp.csr_matrix((np.ones(len(links)), (ids.get_indexer(links["supplier"]),
                                                 ids.get_indexer(links["customer"]))), shape=(n, n))
    return csgraph.connected_components(graph, directed=True, connection="strong")[1]


@pytest.mark.parametrize("share", [0.01, 0.2, 0.3])
def test_loop_share_is_what_the_network_measures(share):
    tables = generate_tables(GeneratorSettings(4000, seed=5, loop_share=share))
    label = _components(tables)
    size = np.bincount(label)
    measured = np.mean(size[label] > 1)  # an independent count of the looped facilities
    assert measured == pytest.approx(looped_share(tables))
    assert share <= measured <= share + 0.01
    # every loop closes through a recycler: without them the network is acyclic
    stage = tables["facilities"].set_index("id")["stage"]
    links = tables["links"]
    without = {**tables, "links": links[(stage.loc[links["supplier"]].to_numpy() != "recycler")
                                        & (stage.loc[links["customer"]].to_numpy() != "recycler")]}
    assert looped_share(without) == 0


def test_loop_share_zero_is_acyclic_and_has_no_recyclers():
    tables = generate_tables(GeneratorSettings(3000, seed=2, loop_share=0))
    assert looped_share(tables) == 0
    assert "recycler" not in set(tables["facilities"]["stage"])


def test_loops_have_the_length_placement_and_recyclers_asked_for():
    settings = GeneratorSettings(3000, seed=3, loop_share=0.1, loop_length=1, recyclers=7,
                                 recycler_placement="spread")
    tables = generate_tables(settings)
    f = tables["facilities"].set_index("id")
    links = tables["links"]
    assert (f["stage"] == "recycler").sum() == 7
    into = links[links["customer"].map(f["stage"]) == "recycler"]
    out_of = links[links["supplier"].map(f["stage"]) == "recycler"]
    assert set(into["supplier"].map(f["stage"])) <= {"metal", "alloy", "magnet", "motor", "oem"}
    assert "mine" not in set(out_of["customer"].map(f["stage"]))
    # loop_length 1: what a recycler ships goes to a direct supplier of one of its scrap sources
    suppliers_of = links[links["volume"] > 0].groupby("customer")["supplier"].agg(set)
    sources_of = into.groupby("customer")["supplier"].agg(list)
    for recycler, customer in zip(out_of["supplier"], out_of["customer"]):
        assert any(customer in suppliers_of.get(v, set()) for v in sources_of[recycler])
    # a longer climb reaches further upstream
    longer = generate_tables(GeneratorSettings(3000, seed=3, loop_share=0.1, loop_length=4))
    fl = longer["facilities"].set_index("id")["stage"]
    back = longer["links"][longer["links"]["supplier"].map(fl) == "recycler"]["customer"].map(fl)
    rank = {s: i for i, s in enumerate(("mine", "concentrator", "mrec", "separator", "metal",
                                        "alloy", "magnet", "motor", "oem"))}
    short = out_of["customer"].map(f["stage"]).map(rank).mean()
    assert back.map(rank).mean() < short - 1


def test_depth_sets_the_number_of_supply_tiers(tmp_path):
    for depth in (9, 14):
        tables = generate_tables(GeneratorSettings(3000, seed=4, loop_share=0, depth=depth))
        write_tables({k: v for k, v in tables.items() if len(v)}, tmp_path / f"d{depth}")
        net = load_network(tmp_path / f"d{depth}")  # same-stage sub-tier links are valid
        assert build_schedule(net.share_matrix).n_levels == depth


def test_degree_distribution_powerlaw_keeps_the_mean_and_fattens_the_tail():
    def in_degrees(**kw):
        tables = generate_tables(GeneratorSettings(6000, seed=6, loop_share=0, **kw))
        links = tables["links"]
        return links[links["status"] == "qualified"].groupby("customer").size()

    poisson, power = in_degrees(), in_degrees(degree_distribution="powerlaw")
    assert 2.3 < poisson.mean() < 3.5 and 2.0 < power.mean() < 3.5
    assert power.max() > 2 * poisson.max()
    assert (power == 1).mean() > (poisson == 1).mean()


def test_giant_component_holds_every_facility_but_the_mines(tmp_path):
    tables = generate_tables(GeneratorSettings(3000, seed=8, giant_component=True))
    label = _components(tables)
    stage = tables["facilities"]["stage"].to_numpy()
    giant = np.bincount(label).argmax()
    assert np.all((label == giant) == (stage != "mine"))
    write_tables({k: v for k, v in tables.items() if len(v)}, tmp_path / "giant")
    net = load_network(tmp_path / "giant")
    assert net.trace.traced.sum() == len(stage)  # supply still traces to the mines


def test_topology_knobs_are_deterministic_by_seed():
    kw = dict(loop_share=0.2, loop_length=3, recyclers=30, depth=12,
              degree_distribution="powerlaw")
    a = generate_tables(GeneratorSettings(3000, seed=9, **kw))
    b = generate_tables(GeneratorSettings(3000, seed=9, **kw))
    c = generate_tables(GeneratorSettings(3000, seed=10, **kw))
    assert all(a[k].equals(b[k]) for k in a)
    assert not a["links"].equals(c["links"])


@pytest.mark.parametrize("kw, message", [
    (dict(loop_share=0.5), "loop_share"),
    (dict(loop_length=0), "loop_length"),
    (dict(recycler_placement="upstream"), "recycler_placement"),
    (dict(depth=5), "depth"),
    (dict(degree_distribution="normal"), "degree_distribution"),
    (dict(recipes=True, depth=11), "recipes"),
])
def test_bad_topology_knobs_are_refused(kw, message):
    with pytest.raises(ValueError, match=message):
        GeneratorSettings(500, **kw)


def test_generate_command_writes_a_looped_network(tmp_path):
    from tests.cli_runner import tiern

    result = tiern("generate", "-n", "2000", "--seed", "1", "--loop-share", "0.2",
                   "--loop-length", "3", "--recyclers", "12", "--depth", "11", "-o", tmp_path / "g")
    assert "looped" in result.stderr
    net = load_network(tmp_path / "g")
    assert (net.facilities["stage"] == "recycler").sum() == 12
    assert 0.2 <= build_schedule(net.share_matrix).cyclic.mean() <= 0.21
    refused = tiern("generate", "-n", "2000", "--degree", "normal", "-o", tmp_path / "h", check=False)
    assert refused.returncode != 0 and "degree_distribution" in refused.stderr


@pytest.mark.parametrize("knobs", [dict(loop_share=0.2), dict(loop_share=0.1, loop_length=3,
                                                              recycler_placement="spread"),
                                   dict(giant_component=True)])
def test_recipes_cover_the_recycled_feed_of_the_topology_knobs(knobs):
    """With the topology knobs' loops (recyclers shipping the recycled form of a
    customer's usual input), every material a recipe stage receives is still listed for
    that stage, and the recipe engine takes the network; the loops are those of the same
    knobs without recipes (the heavy links come from their own stream)."""
    from graphmodel.generate import RECYCLED_FEED_RECIPES, SYNTHETIC_RECIPES
    from graphmodel.recipes import Production

    tables = generate_tables(GeneratorSettings(2000, seed=5, recipes=True, **knobs))
    recipes = tables["recipes"]
    assert len(recipes) == len(SYNTHETIC_RECIPES) + len(RECYCLED_FEED_RECIPES)
    stage = tables["facilities"].set_index("id")["stage"]
    links = tables["links"]
    received = set(zip(stage.loc[links["customer"]].to_numpy(), links["material"]))
    listed = set(zip(recipes["stage"], recipes["input"]))
    assert {pair for pair in received if pair[0] in set(recipes["stage"])} <= listed
    recycled = {pair for pair in received if pair[1].startswith("recycled ")}
    if "loop_share" in knobs:  # the giant component's recyclers feed upstream stages only
        assert recycled & {("metal", "recycled NdPr oxide"), ("motor", "recycled NdFeB magnet")}
    assert looped_share(tables) >= 0.05
    plain = generate_tables(GeneratorSettings(2000, seed=5, **knobs))
    n = len(plain["links"])
    pd.testing.assert_frame_equal(links.iloc[:n], plain["links"])
    net = generate_network(2000, seed=5, recipes=True, **knobs)
    assert not Production.of(net).pooled
