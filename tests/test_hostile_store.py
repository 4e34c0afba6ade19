"""Hostile input, store: the upsert merge a staged `tiern neo4j push` loads (pure part; the
server part is tests/integration/test_neo4j_hostile.py)."""
from __future__ import annotations

import pandas as pd

from graphmodel.examples import load_golden
from graphmodel.network import Network
from graphmodel.store.neo4j import upsert_network


def test_upsert_clears_an_emptied_string_cell():
    base = load_golden()
    facilities = base.facilities.copy()
    facilities.loc["mine_au", "certifications"] = None  # was IRMA
    new = Network(facilities.loc[["mine_au"]], base.links.iloc[0:0], name="golden")
    merged = upsert_network(base, new)
    assert pd.isna(merged.facilities.loc["mine_au", "certifications"])
    assert merged.facilities.drop(index="mine_au").equals(base.facilities.drop(index="mine_au"))


def test_upsert_matches_links_by_key_not_row_number():
    base = load_golden()
    # the second link of the golden network, alone and with a new volume: it must replace
    # that link (same supplier, customer, material), not the first row
    link = base.links.iloc[[1]].copy().reset_index(drop=True)
    link.loc[0, "volume"] = 33.0
    new = Network(base.facilities.loc[[link.at[0, "supplier"], link.at[0, "customer"]]], link,
                  name="golden")
    merged = upsert_network(base, new)
    assert len(merged.links) == len(base.links)
    assert merged.links.loc[1, "volume"] == 33.0
    assert merged.links.drop(index=1).equals(base.links.drop(index=1))


def test_upsert_adds_new_rows_and_keeps_absent_ones():
    base = load_golden()
    facilities = base.facilities.loc[["mine_cn", "sep_cn"]].copy()
    facilities.index = pd.Index(["mine_new", "sep_cn"], name="id")
    links = pd.DataFrame([{"supplier": "mine_new", "customer": "sep_cn", "material": "RE concentrate",
                           "volume": 5.0, "status": "qualified"}])
    merged = upsert_network(base, Network(facilities, links, name="golden"))
    assert list(merged.facilities.index) == list(base.facilities.index) + ["mine_new"]
    assert len(merged.links) == len(base.links) + 1
    assert merged.links.iloc[-1][["supplier", "volume"]].tolist() == ["mine_new", 5.0]
