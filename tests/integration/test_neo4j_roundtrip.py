"""Push a network over Bolt, pull it back: identical tables, idempotent re-push, injection-safe.

FalkorDB keeps only 6 decimals of a float *parameter* (1e-7 arrives as 0.0). The store
therefore sends every float as an exact integer pair (m, e) and stores m * 2^e (see
graphmodel.store.neo4j), so the comparisons below are exact (``assert_frame_equal``, no
tolerance) on FalkorDB and Neo4j alike; test_exact_floats_survive_the_round_trip pins it.
"""
from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

from graphmodel.build import network_from_records
from graphmodel.examples import load_golden
from graphmodel.network import load_network
from graphmodel.settings import bundled_data_path
from tests.strategies import network_records

from .conftest import wipe

INJECTION = "x'}) DETACH DELETE n //"


def assert_same_tables(expected, actual) -> None:
    want, got = expected.to_frames(), actual.to_frames()
    for kind in want:
        pd.testing.assert_frame_equal(want[kind], got[kind], obj=kind)


def graph_counts(store) -> dict:
    nodes = store.run("MATCH (n) RETURN labels(n) AS l, count(n) AS c")
    rels = store.run("MATCH ()-[r]->() RETURN type(r) AS t, count(r) AS c")
    return {**{tuple(sorted(r["l"])): r["c"] for r in nodes}, **{r["t"]: r["c"] for r in rels}}


def test_push_then_pull_gives_identical_tables(store):
    golden = load_golden()
    result = store.push(golden, replace=True)
    assert result.counts == {"facilities": 14, "links": 18, "owners": 9, "demand": 1}
    assert_same_tables(golden, store.pull())
    assert store.current_tag() == result.tag


def test_bundled_dataset_round_trips(store):
    if not (bundled_data_path() / "facilities.csv").exists():
        pytest.skip("no bundled dataset in data/ yet")
    net = load_network()
    store.push(net, replace=True, batch_size=97)  # odd batch size: batches split tables
    assert_same_tables(net, store.pull())


def test_graph_model_labels_and_relationships(store):
    store.push(load_golden(), replace=True)
    stages = {r["id"]: set(r["labels"]) for r in store.run(
        "MATCH (f:Facility) RETURN f.id AS id, labels(f) AS labels")}
    assert stages["mine_cn"] == {"Facility", "Mine"}
    assert stages["oem_auto"] == {"Facility", "OEM"}
    assert stages["rec_jp"] == {"Facility", "Recycler"}
    located = store.run("MATCH (f:Facility {id: 'sep_my'})-[:LOCATED_IN]->(c:Country) "
                        "RETURN c.code AS code")
    assert located == [{"code": "MY"}]
    owner = store.run("MATCH (f:Facility {id: 'metal_jp'})-[:OWNED_BY]->(o:Owner)"
                      "-[h:HELD_BY]->(p:Owner) WHERE p.name <> o.name "
                      "RETURN o.name AS owner, p.name AS parent, h.stake AS stake")
    assert owner == [{"owner": "JP Metals", "parent": "CN Mining", "stake": 0.6}]
    link = store.run("MATCH (:Facility {id: 'mine_cn'})-[r:SUPPLIES]->(:Facility {id: 'sep_cn'}) "
                     "RETURN r.material AS material, r.volume AS volume, r.status AS status")
    assert link == [{"material": "RE concentrate", "volume": 80.0, "status": "qualified"}]


def test_repush_is_idempotent(store):
    golden = load_golden()
    first = store.push(golden)
    before = graph_counts(store)
    second = store.push(golden, batch_size=3)
    assert second.tag == first.tag
    assert graph_counts(store) == before
    assert_same_tables(golden, store.pull())


def test_replace_swaps_dataset_and_deletes_the_old_one(store):
    golden = load_golden()
    first = store.push(golden, replace=True)
    smaller = network_from_records(
        [{"id": "m", "name": "Mine", "stage": "mine", "country": "CN"},
         {"id": "s", "name": "Separator", "stage": "separator", "country": "MY"}],
        [{"supplier": "m", "customer": "s", "material": "RE concentrate", "volume": 10}],
        name="small")
    second = store.push(smaller, replace=True)
    assert second.tag != first.tag and second.deleted == [first.tag]
    assert_same_tables(smaller, store.pull())
    assert store.run("MATCH (n {dataset: $t}) RETURN count(n) AS c", {"t": first.tag}) == [{"c": 0}]


def test_exact_floats_survive_the_round_trip(store):
    # FalkorDB alone would store 0.1234567891 as 0.123457 and 1e-7 as 0.0
    net = network_from_records(
        [{"id": "m", "name": "Mine", "stage": "mine", "country": "CN", "capacity": 1e-7,
          "lat": 12.3456789012, "lon": -0.000123456789, "inventory_days": 0.1 + 0.2},
         {"id": "s", "name": "Sep", "stage": "separator", "country": "MY", "capacity": 123456.789012}],
        [{"supplier": "m", "customer": "s", "material": "RE concentrate", "volume": 0.1234567891}],
        [{"owner": "A", "parent": "B", "stake": 0.3333333333333333, "country": "CN"}],
        [{"facility": "s", "demand": 2 / 3}])
    store.push(net, replace=True)
    back = store.pull()
    assert_same_tables(net, back)
    assert back.links.loc[0, "volume"] == 0.1234567891
    assert back.facilities.loc["m", "capacity"] == 1e-7


def test_injection_string_round_trips_unharmed(store):
    odd = [INJECTION, "O'Brien \\ Co", 'quote " and \\\' mix', "a`b{c}(d)", "中国稀土 'é'"]
    facilities = [{"id": INJECTION, "name": INJECTION, "stage": "mine", "country": "CN",
                   "owner": INJECTION, "source": INJECTION}]
    facilities += [{"id": f"s{i}", "name": text, "stage": "separator", "country": "MY",
                    "owner": text} for i, text in enumerate(odd)]
    links = [{"supplier": INJECTION, "customer": f"s{i}", "material": text, "volume": 1,
              "source": text} for i, text in enumerate(odd)]
    owners = [{"owner": INJECTION, "parent": odd[1], "stake": 1, "country": "CN"}]
    net = network_from_records(facilities, links, owners, name=INJECTION)
    store.push(load_golden(), replace=True, keep_old=True)
    golden_nodes = store.run("MATCH (f:Facility) RETURN count(f) AS c")[0]["c"]
    store.push(net, replace=True, keep_old=True)
    back = store.pull()
    assert_same_tables(net, back)
    assert back.name == INJECTION
    assert INJECTION in back.facilities.index
    # nothing was deleted or broken by the strings: the old dataset is still all there
    total = store.run("MATCH (f:Facility) RETURN count(f) AS c")[0]["c"]
    assert total == golden_nodes + len(facilities)
    trace = store.trace("s0", depth=2)
    assert trace["supplier"].tolist() == [INJECTION]


def test_odd_extra_column_names_round_trip(store, golden_dir):
    frame = pd.read_csv(golden_dir / "facilities.csv", dtype=str, keep_default_na=False)
    frame["lead time (days)"] = ["7"] * len(frame)
    frame["dataset"] = ["mine"] * len(frame)
    frame["x'}) //"] = [""] * len(frame)
    frame.to_csv(golden_dir / "facilities.csv", index=False)
    net = load_network(golden_dir)
    store.push(net, replace=True)
    assert_same_tables(net, store.pull())


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=network_records())
def test_random_networks_round_trip(store, records):
    net = network_from_records(**records)
    wipe(store)
    store.push(net, replace=True, batch_size=5)
    assert_same_tables(net, store.pull())


def test_upsert_of_another_network_adds_to_the_dataset(store):
    golden = load_golden()
    store.push(golden, dataset="shared")
    small = network_from_records(
        [{"id": "m", "name": "Mine", "stage": "mine", "country": "CN"},
         {"id": "s", "name": "Separator", "stage": "separator", "country": "MY"}],
        [{"supplier": "m", "customer": "s", "material": "RE concentrate", "volume": 10}])
    result = store.push(small)  # into the current dataset: an upsert never deletes
    assert result.tag == "shared"
    back = store.pull()
    assert len(back.facilities) == 16 and len(back.links) == 19
    assert set(golden.facilities.index) | {"m", "s"} == set(back.facilities.index)


def test_specifications_round_trip(store):
    """Capabilities and certifications hang off their facility; requirements are plain rows."""
    net = network_from_records(
        [{"id": "mag", "name": "Magnets", "stage": "magnet", "country": "JP"},
         {"id": "mot", "name": "Motors", "stage": "motor", "country": "DE"}],
        [{"supplier": "mag", "customer": "mot", "material": "NdFeB magnet", "volume": 5}],
        capabilities=[{"facility": "mag", "material": "NdFeB magnet", "grade": "42SH", "br": 1.29,
                       "hcj": 1592.0, "max_temp": 150, "dy_tb": 3.5, "year": 2025}],
        requirements=[{"facility": "mot", "material": "NdFeB magnet", "operating_temp": 140},
                      {"sector": "wind", "material": "NdFeB magnet", "grade_family": "SH"}],
        certifications=[{"facility": "mag", "standard": "IATF16949", "scope": "Takefu plant"}])
    result = store.push(net, replace=True)
    assert result.counts["capabilities"] == 1 and result.counts["requirements"] == 2
    assert_same_tables(net, store.pull())
    held = store.run("MATCH (c:Certification)-[:CERTIFICATION_OF]->(f:Facility) "
                     "RETURN f.id AS id, c.standard AS standard")
    assert [(r["id"], r["standard"]) for r in held] == [("mag", "IATF16949")]
