"""Tier-N queries run in the database agree with the same answers computed in memory."""
from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

from graphmodel.build import network_from_records
from graphmodel.errors import NodeNotFound
from graphmodel.examples import load_golden
from graphmodel.network import load_network
from graphmodel.settings import bundled_data_path
from graphmodel.store.neo4j import TierFilter
from tests.strategies import network_records

from .conftest import wipe


# --- in-memory references ---------------------------------------------------------------
def reference_exposure(net, country: str, stage: str) -> pd.DataFrame:
    """The in-memory exposure (graphmodel.exposure, issue 4's contract): e(v) = sum_u
    s(v,u) e(u), s = inbound volume share, e fixed at ``stage`` facilities (1 in
    ``country``, else 0); unknown = 1 - share tracing to any ``stage`` facility."""
    from graphmodel.exposure import exposure

    return exposure(net, country, stage)


def reference_trace(net, target: str, depth: int, filters: list[TierFilter]) -> set:
    """(tier, link row) of every link on a simple upstream path (no facility twice) of at
    most ``depth`` links whose every tier passes its filter."""
    links = net.links.reset_index(drop=True)
    fac = net.facilities
    into = defaultdict(list)
    for row, customer in links["customer"].items():
        into[customer].append(row)
    found = set()

    def passes(k: int, row: int) -> bool:
        f = filters[k - 1]
        supplier = links.at[row, "supplier"]
        return ((not f.countries or fac.at[supplier, "country"] in f.countries)
                and (not f.stages or fac.at[supplier, "stage"] in f.stages)
                and (not f.materials or links.at[row, "material"] in f.materials))

    def walk(node: str, k: int, seen: frozenset) -> None:
        for row in into[node]:
            supplier = links.at[row, "supplier"]
            if supplier in seen or not passes(k, row):
                continue
            found.add((k, row))
            if k < depth:
                walk(supplier, k + 1, seen | {supplier})

    walk(target, 1, frozenset({target}))
    return found


def as_set(frame: pd.DataFrame) -> set:
    return set(zip(frame["tier"].astype(int), frame["link_row"].astype(int)))


# --- exposure -----------------------------------------------------------------------------
def test_bundled_china_exposure_of_every_oem_equals_in_memory(store):
    if not (bundled_data_path() / "facilities.csv").exists():
        pytest.skip("no bundled dataset in data/")
    net = load_network()
    store.push(net, replace=True)
    for stage in ("mine", "separator"):
        got = store.exposure(country="CN", stage=stage)
        want = reference_exposure(net, "CN", stage)
        assert got["id"].tolist() == want["id"].tolist()
        oem = (got["stage"] == "oem").to_numpy()
        assert oem.sum() > 0
        np.testing.assert_allclose(got["share"][oem], want["share"][oem], rtol=0, atol=1e-12)
        np.testing.assert_allclose(got["share"], want["share"], rtol=0, atol=1e-12)
        np.testing.assert_allclose(got["unknown"], want["unknown"], rtol=0, atol=1e-12)


def test_china_exposure_of_every_oem_equals_in_memory(store):
    golden = load_golden()  # has a recycling loop: magnet_jp -> motor_de -> oem_auto -> rec_jp
    store.push(golden, replace=True)
    got = store.exposure(country="CN", stage="mine")
    want = reference_exposure(golden, "CN", "mine")
    assert got["id"].tolist() == want["id"].tolist()
    np.testing.assert_allclose(got["share"], want["share"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(got["unknown"], want["unknown"], rtol=0, atol=1e-12)
    oems = got[got["stage"] == "oem"].set_index("id")["share"]
    assert set(oems.index) == {"oem_auto", "oem_def"}
    # hand check on the acyclic branch: oem_def gets half from magnet_cn (0.75 CN) and
    # half from magnet_jp
    magnet_jp = got.set_index("id").at["magnet_jp", "share"]
    assert oems["oem_def"] == pytest.approx(0.5 * 0.75 + 0.5 * magnet_jp, abs=1e-12)


@pytest.mark.parametrize("country,stage", [("CN", "separator"), ("MY", "separator"), ("US", "mine")])
def test_exposure_other_origins(store, country, stage):
    golden = load_golden()
    store.push(golden, replace=True)
    got = store.exposure(country=country, stage=stage)
    want = reference_exposure(golden, country, stage)
    np.testing.assert_allclose(got["share"], want["share"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(got["unknown"], want["unknown"], rtol=0, atol=1e-12)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=network_records())
def test_exposure_on_random_networks_equals_in_memory(store, records):
    net = network_from_records(**records)
    wipe(store)
    store.push(net, replace=True)
    # a random recycling loop can return nearly all its flow: give the Jacobi steps room
    got = store.exposure(country="CN", stage="mine", iterations=4000)
    want = reference_exposure(net, "CN", "mine")
    # volumes are arbitrary doubles here; both sides sum the same terms in different orders
    np.testing.assert_allclose(got["share"], want["share"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(got["unknown"], want["unknown"], rtol=0, atol=1e-9)


# --- trace --------------------------------------------------------------------------------
TRACE_CASES = {
    "no filter": ("oem_auto", 5, [TierFilter()] * 5),
    "CN suppliers only": ("oem_def", 4, [TierFilter(countries=["CN"])] * 4),
    "per-tier": ("oem_def", 4, [TierFilter(), TierFilter(stages=["metal"]),
                               TierFilter(materials=["NdPr oxide"]), TierFilter(countries=["CN"])]),
    "through the recycling loop": ("magnet_jp", 6, [TierFilter()] * 6),
}


@pytest.mark.parametrize("case", TRACE_CASES, ids=list(TRACE_CASES))
def test_trace_equals_in_memory_paths(store, case):
    golden = load_golden()
    store.push(golden, replace=True)
    target, depth, filters = TRACE_CASES[case]
    got = store.trace(target, depth, filters)
    assert as_set(got) == reference_trace(golden, target, depth, filters)
    assert len(got) == len(as_set(got))  # one row per (tier, link)


def test_trace_rows_describe_the_suppliers(store):
    store.push(load_golden(), replace=True)
    got = store.trace("oem_def", 1)
    assert got[["tier", "supplier", "supplier_country", "material", "volume"]].to_dict("records") == [
        {"tier": 1, "supplier": "magnet_cn", "supplier_country": "CN", "material": "NdFeB magnet",
         "volume": 10.0},
        {"tier": 1, "supplier": "magnet_jp", "supplier_country": "JP", "material": "NdFeB magnet",
         "volume": 10.0},
    ]


def test_trace_of_unknown_facility_says_so(store):
    store.push(load_golden(), replace=True)
    with pytest.raises(NodeNotFound, match="unknown facility id 'nope'"):
        store.trace("nope", 2)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=network_records())
def test_trace_on_random_networks_equals_in_memory(store, records):
    net = network_from_records(**records)
    wipe(store)
    store.push(net, replace=True)
    target = net.facilities.index[-1]
    filters = [TierFilter()] * 4
    assert as_set(store.trace(target, 4, filters)) == reference_trace(net, target, 4, filters)


def test_exposure_refuses_an_unconverged_answer(store):
    from graphmodel.errors import ConvergenceError

    store.push(load_golden(), replace=True)
    with pytest.raises(ConvergenceError, match="had not converged after 3 steps"):
        store.exposure(country="CN", stage="mine", iterations=3)
