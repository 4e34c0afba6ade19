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
