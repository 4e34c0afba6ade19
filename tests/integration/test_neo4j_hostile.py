"""Hostile input, store: `tiern neo4j push` without --replace is staged and switched, so a
failure part-way leaves the previous rows readable; an upsert clears emptied cells and
matches relationships by key."""
from __future__ import annotations

import pandas as pd
import pytest

from graphmodel.examples import load_golden
from graphmodel.network import Network
from graphmodel.store.neo4j import StoreUnavailable

from .test_neo4j_roundtrip import assert_same_tables


def test_upsert_failing_part_way_leaves_the_previous_rows(store, monkeypatch):
    golden = load_golden()
    assert store.push(golden).tag == "golden"
    changed = golden.facilities.copy()
    changed["name"] = changed["name"] + " (renamed)"
    renamed = Network(changed, golden.links, golden.owners, golden.demand, name="golden")
    real_run, writes = store.run, []

    def failing_run(query, params=None, *, write=False, what="query"):
        if write and what.startswith("writing"):
            writes.append(what)
            if len(writes) == 3:
                raise StoreUnavailable(f"lost the connection during {what}")
        return real_run(query, params, write=write, what=what)

    monkeypatch.setattr(store, "run", failing_run)
    with pytest.raises(StoreUnavailable):
        store.push(renamed, batch_size=4)
    monkeypatch.setattr(store, "run", real_run)
    assert store.current_tag() == "golden"
    assert_same_tables(golden, store.pull())
    assert store.datasets()[["tag", "complete"]].to_dict("records") == [
        {"tag": "golden", "complete": True}]
    # the next push completes the upsert and cleans the unfinished load up
    store.push(renamed)
    back = store.pull()
    assert back.facilities["name"].tolist() == changed["name"].tolist()
    pd.testing.assert_frame_equal(back.links, golden.links)
    tags = [r["tag"] for r in store.run("MATCH (d:TiernDataset) RETURN d.tag AS tag")]
    assert len(tags) == 2 and "golden" in tags  # the dataset and its one storage
    assert store.run("MATCH (f:Facility) RETURN count(f) AS c") == [{"c": len(golden.facilities)}]


def test_upsert_clears_an_emptied_cell_and_matches_links_by_key(store):
    golden = load_golden()
    store.push(golden)
    facilities = golden.facilities.copy()
    facilities.loc["mine_au", "certifications"] = None  # was IRMA
    link = golden.links.iloc[[1]].copy().reset_index(drop=True)
    link.loc[0, "volume"] = 33.0
    store.push(Network(facilities, link, name="golden"))
    back = store.pull()
    assert pd.isna(back.facilities.loc["mine_au", "certifications"])
    assert len(back.links) == len(golden.links)
    assert back.links.loc[1, "volume"] == 33.0
    assert back.links.drop(index=1).reset_index(drop=True).equals(
        golden.links.drop(index=1).reset_index(drop=True))
