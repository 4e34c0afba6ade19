"""The synthetic network generator: valid, deterministic, and shaped as documented."""
from __future__ import annotations

import numpy as np

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
