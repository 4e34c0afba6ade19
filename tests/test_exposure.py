"""Tier-N exposure, the all-country matrix and the CRMA check (issue 4).

Hand-computed networks first (the arithmetic is in the comments), then the networkx
reference implementation (tests/reference_nx.py) and hypothesis properties.
"""
from __future__ import annotations

import json
from functools import cache

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphmodel.build import network_from_records
from graphmodel.examples import example_path
from graphmodel.exposure import (EU27, InvalidArgument, crma_check, crma_shares, exposure,
                                 exposure_matrix)
from graphmodel.network import Network
from graphmodel.schema import ALL_STAGES

from .reference_nx import exposure_matrix_reference, exposure_reference
from .reference_series import neumann_series
from .strategies import COUNTRIES, network_records
from .cli_runner import tiern

TOL = 1e-9


def facility(fid, stage, country, owner=None, **extra):
    return {"id": fid, "name": fid, "stage": stage, "country": country, "owner": owner, **extra}


def link(supplier, customer, volume, material="oxide", status="qualified"):
    return {"supplier": supplier, "customer": customer, "material": material,
            "volume": volume, "status": status}


def by_id(table: pd.DataFrame) -> pd.DataFrame:
    return table.set_index("id")


def assert_values(table, column, expected: dict):
    got = by_id(table)[column]
    for fid, value in expected.items():
        assert got[fid] == pytest.approx(value, abs=TOL), (fid, column)


# --- 1. the golden example: a recycling loop ------------------------------------------------
def test_golden_recycling_loop_by_hand(golden):
    # metal_cn: 45 t from sep_cn, 15 t from sep_my -> 45/60 = 0.75; magnet_cn = metal_cn.
    # metal_jp: 5 t from sep_cn, 20 t from sep_my -> 5/25 = 0.2.
    # The loop magnet_jp -> motor_de -> oem_auto -> rec_jp -> magnet_jp:
    #   motor_de = (30 * 0.75 + 10 * e_mj) / 40 = 0.5625 + 0.25 e_mj
    #   oem_auto = motor_de, rec_jp = oem_auto (single suppliers)
    #   e_mj = (24 * 0.2 + 6 * rec_jp) / 30 = 0.16 + 0.2 (0.5625 + 0.25 e_mj)
    #   0.95 e_mj = 0.2725 -> e_mj = 0.2725 / 0.95
    e_mj = 0.2725 / 0.95
    motor = 0.5625 + 0.25 * e_mj
    table = exposure(golden, "CN", "separator")
    assert list(table.columns) == ["id", "name", "stage", "country", "share", "unknown"]
    assert list(table["id"]) == list(golden.facilities.index)
    assert_values(table, "share", {
        "mine_cn": 0, "sep_cn": 1, "sep_my": 0, "sep_us": 0, "metal_cn": 0.75, "metal_jp": 0.2,
        "magnet_cn": 0.75, "magnet_jp": e_mj, "motor_de": motor, "oem_auto": motor,
        "rec_jp": motor, "oem_def": (10 * 0.75 + 10 * e_mj) / 20})
    # every downstream facility traces fully to some separator; mines are upstream of it
    assert_values(table, "unknown", {"mine_cn": 1, "mine_au": 1, "sep_cn": 0, "metal_jp": 0,
                                     "magnet_jp": 0, "oem_def": 0, "rec_jp": 0})


def test_golden_control_basis_majority_chain(golden):
    # At stage metal, metal_jp (JP Metals, 60% held by CN Mining) is controlled from CN:
    # by control every magnet traces to CN; by location magnet_jp's metal_jp part is JP.
    control = exposure(golden, "CN", "metal", basis="control")
    assert_values(control, "share", {"metal_jp": 1, "magnet_jp": 1, "oem_def": 1})
    assert_values(control, "unknown_control", {"magnet_jp": 0})
    location = exposure(golden, "CN", "metal")
    # magnet_jp = (24 * 0 + 6 * rec_jp) / 30 with rec_jp = (30 * 1 + 10 * magnet_jp) / 40
    # -> m = 0.2 (0.75 + 0.25 m) = 0.15 + 0.05 m -> m = 0.15 / 0.95
    assert_values(location, "share", {"metal_jp": 0, "magnet_jp": 0.15 / 0.95})


# Hand networks are built once (cached): the functions under test never modify a network.
# --- 2. unknown upstream --------------------------------------------------------------------
@cache
def unknown_upstream_network():
    # sep_cn (CN) -> metal_a 30 t; a trader "mine_x" ships 20 t straight to metal_a,
    # bypassing every separator; metal_b (AU) buys only from sep_au; metal_o has no
    # inbound at all (its upstream is not in the data).
    return network_from_records(
        [facility("mine_cn", "mine", "CN"), facility("mine_x", "mine", "MM"),
         facility("sep_cn", "separator", "CN"), facility("sep_au", "separator", "AU"),
         facility("metal_a", "metal", "VN"), facility("metal_b", "metal", "AU"),
         facility("metal_o", "metal", "TH"), facility("magnet", "magnet", "DE"),
         facility("magnet_o", "magnet", "DE")],
        [link("mine_cn", "sep_cn", 100), link("mine_x", "metal_a", 20),
         link("sep_cn", "metal_a", 30), link("mine_cn", "sep_au", 5),
         link("sep_au", "metal_b", 50), link("metal_a", "magnet", 10),
         link("metal_b", "magnet", 30), link("metal_o", "magnet_o", 4),
         link("metal_a", "magnet_o", 4)])


def test_unknown_upstream_by_hand():
    table = exposure(unknown_upstream_network(), "CN", "separator")
    # metal_a: 30 of 50 t from sep_cn -> 0.6; 20 of 50 from no separator -> unknown 0.4
    # metal_b: all from sep_au -> share 0, unknown 0
    # magnet: (10 * 0.6 + 30 * 0) / 40 = 0.15 share; (10 * 0.4) / 40 = 0.1 unknown
    # metal_o: no inbound, not a separator -> share 0, unknown 1
    # magnet_o: (4 * 0 + 4 * 0.6) / 8 = 0.3 share; (4 * 1 + 4 * 0.4) / 8 = 0.7 unknown
    assert_values(table, "share", {"metal_a": 0.6, "metal_b": 0, "magnet": 0.15,
                                   "metal_o": 0, "magnet_o": 0.3, "sep_au": 0})
    assert_values(table, "unknown", {"metal_a": 0.4, "metal_b": 0, "magnet": 0.1,
                                     "metal_o": 1, "magnet_o": 0.7, "sep_cn": 0, "mine_x": 1})


# --- 3. stage skipping and a diamond --------------------------------------------------------
@cache
def diamond_network():
    # sep_cn and sep_my both feed metal_a; sep_cn also ships straight to alloy (skipping
    # the metal stage); alloy also buys metal_a's output; magnet buys from alloy and
    # directly from metal_a (skipping alloy).
    return network_from_records(
        [facility("sep_cn", "separator", "CN"), facility("sep_my", "separator", "MY"),
         facility("metal_a", "metal", "JP"), facility("alloy", "alloy", "JP"),
         facility("magnet", "magnet", "DE")],
        [link("sep_cn", "metal_a", 10), link("sep_my", "metal_a", 30),
         link("metal_a", "alloy", 20), link("sep_cn", "alloy", 5),
         link("alloy", "magnet", 6), link("metal_a", "magnet", 2, material="metal")])


def test_diamond_by_hand():
    table = exposure(diamond_network(), "China", "separator")  # names are normalised
    # metal_a = 10/40 = 0.25; alloy = (20 * 0.25 + 5 * 1) / 25 = 0.4
    # magnet = (6 * 0.4 + 2 * 0.25) / 8 = 2.9 / 8 = 0.3625
    assert_values(table, "share", {"metal_a": 0.25, "alloy": 0.4, "magnet": 0.3625})
    assert_values(table, "unknown", {"metal_a": 0, "alloy": 0, "magnet": 0})


def test_diamond_matrix_by_hand():
    matrix = by_id(exposure_matrix(diamond_network(), "separator"))
    assert list(matrix.columns) == ["name", "stage", "country", "CN", "MY", "unknown"]
    # MY = 1 - CN everywhere downstream (no unknown): magnet MY = 1 - 0.3625 = 0.6375
    assert matrix.at["magnet", "MY"] == pytest.approx(0.6375, abs=TOL)
    assert matrix.at["alloy", "MY"] == pytest.approx(0.6, abs=TOL)
    assert matrix.at["sep_my", "MY"] == 1 and matrix.at["sep_my", "CN"] == 0


def test_origin_stage_is_not_traced_further():
    # stage metal: metal_a is an origin itself (share by its own location JP), even though
    # it draws from separators; magnet = (6 * alloy + 2 * 1) / 8 with alloy = 20/25 = 0.8
    # (its other 5 t come from sep_cn, upstream of the metal stage: unknown 0.2)
    table = exposure(diamond_network(), "JP", "metal")
    assert_values(table, "share", {"metal_a": 1, "alloy": 0.8, "magnet": (6 * 0.8 + 2) / 8})
    assert_values(table, "unknown", {"metal_a": 0, "alloy": 0.2, "magnet": 6 * 0.2 / 8})


# --- 4. control basis: majority, minority, unknown ------------------------------------------
@cache
def control_network():
    # sep_my is located in MY, run by "MY Sep", 70% held by "CN Group" (majority -> CN);
    # sep_vn is run by "VN Sep", 40% held by CN Group (minority: stays VN);
    # sep_th is run by "TH Sep", which is not in owners.csv (control unknown).
    # metal buys 50 / 30 / 20 t from them.
    owners = [{"owner": "CN Group", "parent": "CN Group", "stake": 1, "country": "CN"},
              {"owner": "MY Sep", "parent": "CN Group", "stake": 0.7, "country": "CN"},
              {"owner": "VN Sep", "parent": "CN Group", "stake": 0.4, "country": "CN"},
              {"owner": "VN Sep", "parent": "VN Sep", "stake": 1, "country": "VN"}]
    return network_from_records(
        [facility("sep_my", "separator", "MY", "MY Sep"),
         facility("sep_vn", "separator", "VN", "VN Sep"),
         facility("sep_th", "separator", "TH", "TH Sep"),
         facility("metal", "metal", "JP", "JP Metal")],
        [link("sep_my", "metal", 50), link("sep_vn", "metal", 30), link("sep_th", "metal", 20)],
        owners)


def test_control_basis_by_hand():
    net = control_network()
    control = exposure(net, "CN", "separator", basis="control")
    # by control: only sep_my (majority chain) is CN -> 50/100; sep_th's 20/100 is of
    # unknown control; nothing traces to no separator.
    assert_values(control, "share", {"metal": 0.5, "sep_my": 1, "sep_vn": 0, "sep_th": 0})
    assert_values(control, "unknown_control", {"metal": 0.2, "sep_th": 1})
    assert_values(control, "unknown", {"metal": 0})
    assert exposure(net, "CN", "separator")["share"].max() == 0  # no CN location at all
    matrix = by_id(exposure_matrix(net, "separator", basis="control"))
    assert list(matrix.columns[3:]) == ["CN", "VN", "unknown_control", "unknown"]
    assert (matrix.at["metal", "CN"], matrix.at["metal", "VN"],
            matrix.at["metal", "unknown_control"]) == pytest.approx((0.5, 0.3, 0.2), abs=TOL)


# --- 5. loops: masked inside, closed, leaky -------------------------------------------------
@cache
def loop_network():
    # A leaky loop through a separator: sep_cn -> metal -> magnet -> oem -> rec -> sep_cn;
    # sep_cn also gets 90 t from the mine. Tracing stops at sep_cn, so the loop is cut.
    # A closed loop: magnet_z -> oem_z -> rec_z -> magnet_z with no outside supply.
    # A leaky loop without a separator: magnet_y gets 8 t from metal (share 1 CN) and 2 t
    # back from rec_y, which takes all of oem_y's 5 t scrap; oem_y buys only magnet_y.
    return network_from_records(
        [facility("mine", "mine", "CN"), facility("sep_cn", "separator", "CN"),
         facility("metal", "metal", "CN"), facility("magnet", "magnet", "JP"),
         facility("oem", "oem", "DE"), facility("rec", "recycler", "DE"),
         facility("magnet_z", "magnet", "US"), facility("oem_z", "oem", "US"),
         facility("rec_z", "recycler", "US"),
         facility("magnet_y", "magnet", "KR"), facility("oem_y", "oem", "KR"),
         facility("rec_y", "recycler", "KR")],
        [link("mine", "sep_cn", 90), link("sep_cn", "metal", 80), link("metal", "magnet", 60),
         link("magnet", "oem", 50), link("oem", "rec", 10), link("rec", "sep_cn", 10),
         link("magnet_z", "oem_z", 5), link("oem_z", "rec_z", 5), link("rec_z", "magnet_z", 5),
         link("metal", "magnet_y", 8), link("magnet_y", "oem_y", 10), link("oem_y", "rec_y", 5),
         link("rec_y", "magnet_y", 2)])


def test_loops_by_hand():
    net = loop_network()
    table = exposure(net, "CN", "separator")
    # the separator loop is cut at sep_cn: metal, magnet, oem, rec all trace 1 to sep_cn
    assert_values(table, "share", {"metal": 1, "magnet": 1, "oem": 1, "rec": 1})
    # the closed loop gets no supply from outside: it traces to nothing (unknown 1)
    assert_values(table, "share", {"magnet_z": 0, "oem_z": 0, "rec_z": 0})
    assert_values(table, "unknown", {"magnet_z": 1, "oem_z": 1, "rec_z": 1})
    # magnet_y = (8 * 1 + 2 * rec_y) / 10 and rec_y = oem_y = magnet_y -> m = 0.8 + 0.2 m = 1
    assert_values(table, "share", {"magnet_y": 1, "oem_y": 1, "rec_y": 1})

    # At stage metal on the basis of location JP nothing counts; at stage magnet, KR:
    # magnet_y is itself a KR magnet plant (1); oem_y and rec_y trace to it (1);
    # oem traces to the JP magnet plant (0, unknown 0); sep_cn draws 10 of 100 t from rec,
    # which traces to the JP magnet: unknown at sep_cn = 90/100 (its mine supply).
    table = exposure(net, "KR", "magnet")
    assert_values(table, "share", {"magnet_y": 1, "oem_y": 1, "rec_y": 1, "oem": 0})
    assert_values(table, "unknown", {"oem": 0, "sep_cn": 0.9, "metal": 0.9})


def test_loop_returning_almost_everything_by_hand():
    # s gets 1 t from mine_cn and 9,999 t back from the loop s -> metal -> oem -> rec -> s;
    # metal gets 9,998 t from s and 2 t from mine_au. The series would need ~10^5 steps
    # around the loop (gain 0.9999 * 0.9998), so the exact sparse solve takes over.
    #   e(s) = (1 + 9999 e(rec)) / 10000, e(rec) = e(oem) = e(metal) = 9998 e(s) / 10000
    #   e(s) (1 - 9999 * 9998 / 10^8) = 10^-4  ->  e(s) = 10^4 / 29998
    net = network_from_records(
        [facility("mine_cn", "mine", "CN"), facility("mine_au", "mine", "AU"),
         facility("s", "separator", "MY"), facility("metal", "metal", "JP"),
         facility("oem", "oem", "DE"), facility("rec", "recycler", "DE")],
        [link("mine_cn", "s", 1), link("rec", "s", 9999), link("s", "metal", 9998),
         link("mine_au", "metal", 2), link("metal", "oem", 10000), link("oem", "rec", 9999)])
    e_s = 1e4 / 29998
    table = exposure(net, "CN", "mine")
    assert_values(table, "share", {"s": e_s, "metal": 0.9998 * e_s, "rec": 0.9998 * e_s})
    assert_values(table, "unknown", {"s": 0, "metal": 0, "oem": 0, "rec": 0})
    _assert_matches_reference(net, "CN", "mine", "location")
    _assert_matrix_matches_reference(net, "mine", "location")


@pytest.mark.parametrize("make", [loop_network, control_network, diamond_network])
def test_masked_solve_equals_series(make, golden):
    # the network's forward plan with the stage rows scaled by 0 gives the plain series'
    # answer on the masked matrix
    for net in (make(), golden):
        for stage in ("separator", "magnet"):
            at_stage = (net.facilities["stage"] == stage).to_numpy()
            keep = (~at_stage).astype(float)
            A = sp.csr_matrix(sp.diags(keep) @ net.share_matrix)
            b = np.column_stack([at_stage, at_stage & (net.facilities["country"] == "CN").to_numpy()])
            np.testing.assert_allclose(net.trace.forward.solve(b.astype(float), keep),
                                       neumann_series(A, b.astype(float)), atol=1e-12)


# --- 6. reference implementation on every hand network ------------------------------------
HAND_NETWORKS = [unknown_upstream_network, diamond_network, control_network, loop_network]


@pytest.mark.parametrize("make", HAND_NETWORKS)
@pytest.mark.parametrize("basis", ["location", "control"])
def test_hand_networks_match_reference(make, basis):
    net = make()
    for stage in sorted(set(net.facilities["stage"])):
        for code in sorted(set(net.facilities["country"])):
            _assert_matches_reference(net, code, stage, basis)
        _assert_matrix_matches_reference(net, stage, basis)


def test_golden_matches_reference(golden):
    for stage in ALL_STAGES:
        for basis in ("location", "control"):
            for code in ("CN", "JP"):
                _assert_matches_reference(golden, code, stage, basis)
            _assert_matrix_matches_reference(golden, stage, basis)


def _assert_matches_reference(net, code, stage, basis):
    got = exposure(net, code, stage, basis=basis)
    want = exposure_reference(net, code, stage, basis=basis)
    for column in want.columns.drop("id"):
        np.testing.assert_allclose(got[column], want[column], rtol=0, atol=TOL,
                                   err_msg=f"{code} {stage} {basis} {column}")


def _assert_matrix_matches_reference(net, stage, basis):
    got = exposure_matrix(net, stage, basis=basis)
    want = exposure_matrix_reference(net, stage, basis=basis)
    assert list(got.columns[4:]) == list(want.columns[1:])
    np.testing.assert_allclose(got[want.columns[1:]].to_numpy(dtype=float),
                               want[want.columns[1:]].to_numpy(dtype=float), rtol=0, atol=TOL)


# --- 7. errors ---------------------------------------------------------------------------
def test_unknown_stage_lists_stages(golden):
    with pytest.raises(InvalidArgument, match="unknown stage 'smelter'.*mine, concentrator"):
        exposure(golden, "CN", "smelter")
    with pytest.raises(InvalidArgument, match="unknown stage"):
        exposure_matrix(golden, "smelter")


def test_unknown_country_and_basis(golden):
    with pytest.raises(InvalidArgument, match="unknown country 'Atlantis'"):
        exposure(golden, "Atlantis")
    with pytest.raises(InvalidArgument, match="unknown basis 'owner'"):
        exposure(golden, "CN", basis="owner")
    assert exposure(golden, "CHN").equals(exposure(golden, "CN"))


# --- 8. hypothesis properties ---------------------------------------------------------------
# Validating a drawn network (network_from_records) costs most of each example, so every
# example builds one network and checks several properties on it; the scaled and relabelled
# variants are built from its already validated tables.
# The default run draws a few examples; the slow tier (pytest -m slow) draws many more.
FAST = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
THOROUGH = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
PROPERTY_ARGS = (network_records(), st.sampled_from(ALL_STAGES), st.sampled_from(COUNTRIES),
                 st.sampled_from(["location", "control"]))
INVARIANCE_ARGS = (network_records(), st.sampled_from(ALL_STAGES), st.sampled_from(COUNTRIES),
                   st.floats(1e-3, 1e3), st.randoms(use_true_random=False))


def check_properties_and_reference(records, stage, code, basis):
    net = network_from_records(**records)
    table = exposure(net, code, stage, basis=basis)
    for column in ("share", "unknown"):
        assert table[column].between(0, 1).all()
    assert (table["share"] + table["unknown"] <= 1 + 1e-12).all()
    # an origin-stage facility is fully known and counts 1 or 0
    at_stage = table[table["stage"] == stage]
    assert (at_stage["unknown"] == 0).all() and at_stage["share"].isin([0.0, 1.0]).all()
    _assert_matches_reference(net, code, stage, basis)

    matrix = exposure_matrix(net, stage, basis=basis)
    buckets = matrix.columns[4:-1]
    np.testing.assert_allclose(matrix[buckets].sum(axis=1), 1 - matrix["unknown"], atol=TOL)
    _assert_matrix_matches_reference(net, stage, basis)
    if code in buckets:  # the block solve equals the single-country solve
        np.testing.assert_allclose(matrix[code], table["share"], atol=TOL)
    else:
        assert (table["share"] == 0).all()
    if len(net.sinks) and stage in set(net.facilities["stage"]):  # crma: stages present only
        _assert_crma_matches_matrix(net, "sinks", stage, basis)


def _assert_crma_matches_matrix(net, buyers, stage, basis, weights="inbound"):
    """crma_shares (backward solve) == the buyers' weighted mean of the exposure matrix."""
    shares = crma_shares(net, buyers, basis=basis, weights=weights)
    shares = shares[shares["stage"] == stage].set_index("origin")["share"]
    matrix = by_id(exposure_matrix(net, stage, basis=basis))
    ids = net.sinks if buyers == "sinks" else pd.Index(buyers)
    inbound = net.inbound_volume.reindex(ids)
    w = inbound.where(inbound > 0, 0.0) if weights == "inbound" else (inbound > 0).astype(float)
    expected = matrix.loc[ids].drop(columns=["name", "stage", "country"]).mul(w, axis=0).sum() / w.sum()
    np.testing.assert_allclose(shares.reindex(expected.index), expected, atol=TOL)


def check_invariance(records, stage, code, factor, rng):
    net = network_from_records(**records)
    base = exposure(net, code, stage).set_index("id")[["share", "unknown"]]

    scaled = Network(net.facilities, net.links.assign(volume=net.links["volume"] * factor),
                     net.owners)
    got = exposure(scaled, code, stage).set_index("id")
    np.testing.assert_allclose(got[["share", "unknown"]], base, atol=TOL)

    new_ids = [f"x{i}" for i in range(len(net.facilities))]
    rng.shuffle(new_ids)
    rename = dict(zip(net.facilities.index, new_ids))
    order = list(range(len(net.facilities)))
    rng.shuffle(order)  # row order must not matter either
    facilities = net.facilities.iloc[order].rename(index=rename)
    links = net.links.assign(supplier=net.links["supplier"].map(rename),
                             customer=net.links["customer"].map(rename))
    relabelled = exposure(Network(facilities, links.iloc[::-1], net.owners), code, stage)
    relabelled = relabelled.set_index("id").rename(index={v: k for k, v in rename.items()})
    np.testing.assert_allclose(relabelled.loc[base.index, ["share", "unknown"]], base, atol=TOL)


test_properties_and_networkx_reference = FAST(given(*PROPERTY_ARGS)(check_properties_and_reference))
test_invariant_under_scaling_and_relabelling = FAST(given(*INVARIANCE_ARGS)(check_invariance))
test_properties_thorough = pytest.mark.slow(
    THOROUGH(given(*PROPERTY_ARGS)(check_properties_and_reference)))
test_invariance_thorough = pytest.mark.slow(THOROUGH(given(*INVARIANCE_ARGS)(check_invariance)))


# --- 9. CRMA check -------------------------------------------------------------------------
@cache
def crma_network():
    # Three EU buyers: metal_ee (Estonia; 10 t from sep_my), magnet_de (30 t from metal_cn
    # + 10 t from metal_ee = 40 t) and oem_fr (60 t from magnet_jp). metal_cn buys from
    # sep_cn only, metal_jp from sep_my only; magnet_jp buys 20 t metal_cn + 20 t metal_jp.
    return network_from_records(
        [facility("sep_cn", "separator", "CN"), facility("sep_my", "separator", "MY"),
         facility("metal_cn", "metal", "CN"), facility("metal_ee", "metal", "EE"),
         facility("metal_jp", "metal", "JP"), facility("magnet_de", "magnet", "DE"),
         facility("magnet_jp", "magnet", "JP"), facility("oem_fr", "oem", "FR")],
        [link("sep_cn", "metal_cn", 100), link("sep_my", "metal_ee", 10),
         link("sep_my", "metal_jp", 20), link("metal_cn", "magnet_de", 30),
         link("metal_ee", "magnet_de", 10), link("metal_cn", "magnet_jp", 20),
         link("metal_jp", "magnet_jp", 20), link("magnet_jp", "oem_fr", 60)])


def test_crma_by_hand():
    net = crma_network()
    shares = crma_shares(net).set_index(["stage", "origin"])["share"]
    # EU buyers with inbound: metal_ee (10 t), magnet_de (40 t), oem_fr (60 t): W = 110.
    # separator, CN: metal_ee 0; magnet_de 30/40 = 0.75; oem_fr = magnet_jp = 20/40 = 0.5
    #   -> (10 * 0 + 40 * 0.75 + 60 * 0.5) / 110 = 60/110; MY = 50/110
    assert shares[("separator", "CN")] == pytest.approx(60 / 110, abs=TOL)
    assert shares[("separator", "MY")] == pytest.approx(50 / 110, abs=TOL)
    # metal: metal_ee is itself a metal plant (EE, home): 10; magnet_de: CN 30, EE 10;
    # oem_fr: CN 30, JP 30 -> CN 60/110, EE 20/110, JP 30/110
    assert shares[("metal", "CN")] == pytest.approx(60 / 110, abs=TOL)
    assert shares[("metal", "EE")] == pytest.approx(20 / 110, abs=TOL)
    # magnet: magnet_de itself (DE) 40; oem_fr from magnet_jp 60; metal_ee: no magnet
    # upstream -> unknown 10/110
    assert shares[("magnet", "JP")] == pytest.approx(60 / 110, abs=TOL)
    assert shares[("magnet", "unknown")] == pytest.approx(10 / 110, abs=TOL)

    check = crma_check(net, threshold=0.5).set_index("stage")
    assert check.at["separator", "top_third_country"] == "CN"
    assert bool(check.at["separator", "flagged"])            # 0.545 > 0.5
    assert bool(check.at["magnet", "flagged"])               # JP 0.545 > 0.5
    assert check.at["metal", "home_share"] == pytest.approx(20 / 110, abs=TOL)
    assert not crma_check(net).set_index("stage")["flagged"].any()   # nothing above 65%


def test_crma_buyer_sets():
    net = crma_network()
    # ids: oem_fr alone -> separator CN = 0.5, MY = 0.5; every country is a third country
    one = crma_check(net, ["oem_fr"], threshold=0.4).set_index("stage")
    assert one.at["separator", "top_third_share"] == pytest.approx(0.5, abs=TOL)
    assert one.at["oem", "top_third_country"] == "FR" and one.at["oem", "flagged"]
    # a country list: home = those countries
    de = crma_check(net, "Germany").set_index("stage")
    assert de.at["separator", "top_third_share"] == pytest.approx(0.75, abs=TOL)
    assert bool(de.at["separator", "flagged"])
    assert de.at["magnet", "home_share"] == 1
    # sinks: oem_fr and magnet_de
    sinks = crma_shares(net, "sinks").set_index(["stage", "origin"])["share"]
    assert sinks[("separator", "CN")] == pytest.approx((40 * 0.75 + 60 * 0.5) / 100, abs=TOL)
    # equal weights: (0 + 0.75 + 0.5) / 3
    equal = crma_shares(net, weights="equal").set_index(["stage", "origin"])["share"]
    assert equal[("separator", "CN")] == pytest.approx(1.25 / 3, abs=TOL)
    with pytest.raises(InvalidArgument, match="unknown buyers 'nowhere'"):
        crma_check(net, ["oem_fr", "nowhere"])
    with pytest.raises(InvalidArgument, match="no inbound supply"):
        crma_check(net, ["sep_cn"])


@pytest.mark.parametrize("make", HAND_NETWORKS + [crma_network])
@pytest.mark.parametrize("basis", ["location", "control"])
def test_crma_backward_solve_matches_matrix(make, basis):
    net = make()
    for stage in sorted(set(net.facilities["stage"])):
        _assert_crma_matches_matrix(net, "sinks", stage, basis)
        _assert_crma_matches_matrix(net, list(net.facilities.index), stage, basis, "equal")


def test_crma_progress_callback():
    calls = []
    crma_check(crma_network(), progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]  # separator, metal, magnet, oem


def test_crma_golden_flags_metal_and_magnet(golden):
    # EU buyers: motor_de (40 t) and oem_auto (40 t); metal CN = 0.7895 > 0.65
    check = crma_check(golden).set_index("stage")
    assert list(check.index[check["flagged"]]) == ["metal", "magnet"]
    assert check.at["metal", "top_third_country"] == "CN"
    assert set(EU27) >= {"DE", "FR", "EE"} and len(EU27) == 27


# --- 10. command line ----------------------------------------------------------------------
GOLDEN = str(example_path("golden"))




def test_cli_exposure_json():
    rows = json.loads(tiern("exposure", GOLDEN, "--country", "China", "--stage", "separator",
                            "-f", "json").stdout)
    metal = next(r for r in rows if r["id"] == "metal_cn")
    assert metal["share"] == pytest.approx(0.75) and metal["unknown"] == 0
    assert len(rows) == 14


def test_cli_exposure_all_sinks_only(tmp_path):
    out = tmp_path / "matrix.csv"
    tiern("exposure", GOLDEN, "--country", "all", "--sinks-only", "--basis", "control", "-o", str(out))
    lines = out.read_text().splitlines()
    assert lines[0] == "id,name,stage,country,AU,CN,US,unknown_control,unknown"
    assert [line.split(",")[0] for line in lines[1:]] == ["oem_auto", "oem_def"]


def test_cli_exposure_errors():
    bad = tiern("exposure", GOLDEN, "--stage", "smelter", check=False)
    assert bad.returncode == 1
    assert "unknown stage 'smelter' (expected one of: mine, concentrator" in bad.stderr
    bad = tiern("exposure", GOLDEN, "--country", "Atlantis", check=False)
    assert bad.returncode == 1 and "unknown country 'Atlantis'" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_cli_crma(tmp_path):
    rows = json.loads(tiern("crma", GOLDEN, "-f", "json").stdout)
    assert [r["stage"] for r in rows if r["flagged"]] == ["metal", "magnet"]
    rows = json.loads(tiern("crma", GOLDEN, "--buyers", "oem_def", "--threshold", "0.5",
                            "-f", "json").stdout)
    separator = next(r for r in rows if r["stage"] == "separator")
    # oem_def: (10 * 0.75 + 10 * e_mj) / 20 with e_mj = 0.2725 / 0.95 (see the golden test)
    assert separator["top_third_share"] == pytest.approx((7.5 + 10 * 0.2725 / 0.95) / 20)
    assert separator["flagged"] is True
    out = tmp_path / "crma.xlsx"
    tiern("crma", GOLDEN, "--detail", "-o", str(out))
    assert out.stat().st_size > 0
    bad = tiern("crma", GOLDEN, "--buyers", "nowhere", check=False)
    assert bad.returncode == 1 and "unknown buyers 'nowhere'" in bad.stderr
