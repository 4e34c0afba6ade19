"""Capacity concentration per stage (issue 4): hand-computed shares and HHIs, the
qualified basis, planned capacity, units, the material breakdown, properties and the CLI."""
from __future__ import annotations

import json
from functools import cache

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphmodel.build import network_from_records
from graphmodel.concentration import concentration
from graphmodel.errors import ValidationError
from graphmodel.examples import example_path
from graphmodel.exposure import InvalidArgument

from .strategies import COUNTRIES, network_records
from .cli_runner import tiern

TOL = 1e-9
GOLDEN = str(example_path("golden"))


def facility(fid, stage, country, capacity, owner=None, **extra):
    return {"id": fid, "name": fid, "stage": stage, "country": country, "capacity": capacity,
            "owner": owner, **extra}


def link(supplier, customer, volume, material="NdFeB magnet", status="qualified"):
    return {"supplier": supplier, "customer": customer, "material": material,
            "volume": volume, "status": status}


def row(table, stage, material=None):
    picked = table[table["stage"] == stage]
    if material is not None:
        picked = picked[picked["material"] == material]
    assert len(picked) == 1, (stage, material)
    return picked.iloc[0]


# --- golden: shares, HHIs, majority chain and minority stake -------------------------------
def test_golden_nameplate_by_hand(golden):
    table = concentration(golden, "CN")
    assert list(table["stage"]) == ["mine", "separator", "metal", "magnet", "motor", "oem",
                                    "recycler"]
    # mine: CN 100, AU 40, US 20 of 160 t REO/yr -> CN 0.625;
    # HHI = 62.5^2 + 25^2 + 12.5^2 = 3906.25 + 625 + 156.25 = 4687.5 (three companies too)
    mine = row(table, "mine")
    assert (mine["capacity_total"], mine["unit"]) == (160, "t REO/yr")
    assert mine["share_location"] == pytest.approx(0.625, abs=TOL)
    assert mine["hhi_country"] == pytest.approx(4687.5, abs=TOL)
    assert mine["hhi_company"] == pytest.approx(4687.5, abs=TOL)
    # separator: sep_cn 80 + sep_my 40 (sep_us is planned: not counted) = 120
    # CN 80/120 = 2/3; HHI = (200/3)^2 + (100/3)^2 = 50000/9
    sep = row(table, "separator")
    assert sep["capacity_total"] == 120 and sep["facilities"] == 2
    assert sep["share_location"] == pytest.approx(2 / 3, abs=TOL)
    assert sep["hhi_country"] == pytest.approx(50000 / 9, abs=TOL)
    # metal: metal_cn 60 (CN) + metal_jp 30 (JP). JP Metals is 60% held by CN Mining, a
    # majority chain: control is CN for all 90 and one company (CN Mining) holds it all.
    metal = row(table, "metal")
    assert metal["share_location"] == pytest.approx(2 / 3, abs=TOL)
    assert metal["share_control"] == pytest.approx(1, abs=TOL)
    assert metal["hhi_country"] == pytest.approx(50000 / 9, abs=TOL)
    assert metal["hhi_company"] == pytest.approx(10000, abs=TOL)
    assert (metal["top_company"], metal["top_company_share"]) == ("CN Mining", 1)
    # magnet: magnet_cn 60 (CN Magnets; CN Mining's 40% is a minority stake, no control)
    # and magnet_jp 30 (JP Metals -> CN Mining): both controlled from CN, but two
    # companies: HHI_company = (200/3)^2 + (100/3)^2 = 50000/9
    magnet = row(table, "magnet")
    assert magnet["share_control"] == pytest.approx(1, abs=TOL)
    assert magnet["hhi_company"] == pytest.approx(50000 / 9, abs=TOL)
    assert magnet["top_company"] == "CN Magnets"
    assert magnet["top_company_share"] == pytest.approx(2 / 3, abs=TOL)
    # recycler: rec_jp located in JP, controlled from CN (JP Metals)
    rec = row(table, "recycler")
    assert (rec["share_location"], rec["share_control"], rec["top_country"]) == (0, 1, "JP")
    assert row(table, "motor")["hhi_country"] == 10000
    assert (table["share_control_unknown"] == 0).all()
    assert (table["country"] == "CN").all() and (table["basis"] == "nameplate").all()


def test_golden_planned_inclusion(golden):
    table = concentration(golden, "United States", include_planned=True)
    # separator with sep_us (planned, 20 t): 80 + 40 + 20 = 140; US 20/140 = 1/7
    # HHI = (8/14)^2 + (4/14)^2 + (2/14)^2 = 84/196 -> 10000 * 84/196
    sep = row(table, "separator")
    assert sep["capacity_total"] == 140 and sep["country"] == "US"
    assert sep["share_location"] == pytest.approx(1 / 7, abs=TOL)
    assert sep["hhi_country"] == pytest.approx(10000 * 84 / 196, abs=TOL)
    # qualified: sep_us's only link is a candidate (volume 0), so it counts 0 -> 120 again
    qualified = concentration(golden, "US", basis="qualified", include_planned=True)
    assert row(qualified, "separator")["capacity_total"] == 120
    assert row(qualified, "separator")["share_location"] == 0


def test_golden_by_material(golden):
    table = concentration(golden, "CN", by="material")
    # sep_cn (80) ships 45 NdPr oxide + 5 Dy oxide -> 72 NdPr, 8 Dy; sep_my (40) all NdPr
    # NdPr oxide: 72 + 40 = 112, CN 72/112; Dy oxide: 8, all CN
    ndpr = row(table, "separator", "NdPr oxide")
    assert ndpr["capacity_total"] == pytest.approx(112, abs=TOL)
    assert ndpr["share_location"] == pytest.approx(72 / 112, abs=TOL)
    assert row(table, "separator", "Dy oxide")["capacity_total"] == pytest.approx(8, abs=TOL)
    # OEMs ship only scrap to the recycler (not a product): material (none), in full
    assert row(table, "oem", "(none)")["capacity_total"] == 60
    # per stage the materials add up to the stage total
    totals = table.groupby("stage")["capacity_total"].sum()
    plain = concentration(golden, "CN").set_index("stage")["capacity_total"]
    np.testing.assert_allclose(totals.reindex(plain.index), plain, atol=TOL)


# --- qualified vs nameplate ---------------------------------------------------------------
@cache
def qualification_network():
    # magnet_a (CN, 100): 60 t qualified to oem1, 40 t in_qualification to oem2 -> q = 0.6
    # magnet_b (JP, 50): only a candidate link (volume 0) -> q = 0
    # magnet_c (DE, 50): 30 t qualified SmCo to oem2 -> q = 1
    # magnet_d (KR, 20): no links at all -> q = 0 (reaches nobody)
    # oem1 (US, 80) and oem2 (FR, 70) receive volume and ship nothing: end users, q = 1
    return network_from_records(
        [facility("magnet_a", "magnet", "CN", 100, "A"), facility("magnet_b", "magnet", "JP", 50, "B"),
         facility("magnet_c", "magnet", "DE", 50, "C"), facility("magnet_d", "magnet", "KR", 20, "D"),
         facility("oem1", "oem", "US", 80, "O1"), facility("oem2", "oem", "FR", 70, "O2")],
        [link("magnet_a", "oem1", 60), link("magnet_a", "oem2", 40, status="in_qualification"),
         link("magnet_b", "oem1", 0, status="candidate"),
         link("magnet_c", "oem2", 30, material="SmCo magnet")])


def test_qualified_vs_nameplate_gap():
    net = qualification_network()
    nameplate = row(concentration(net, "CN"), "magnet")
    # nameplate: 100 + 50 + 50 + 20 = 220, CN 100/220
    # HHI = (100^2 + 50^2 + 50^2 + 20^2) / 220^2 * 10000 = 15400/48400 * 10000
    assert nameplate["capacity_total"] == 220
    assert nameplate["share_location"] == pytest.approx(100 / 220, abs=TOL)
    assert nameplate["hhi_country"] == pytest.approx(15400 / 48400 * 10000, abs=TOL)
    qualified = row(concentration(net, "CN", basis="qualified"), "magnet")
    # qualified: 100 * 0.6 + 50 * 0 + 50 * 1 + 20 * 0 = 110, CN 60/110
    # HHI = (60^2 + 50^2) / 110^2 * 10000 = 6100/12100 * 10000
    assert qualified["capacity_total"] == pytest.approx(110, abs=TOL)
    assert qualified["share_location"] == pytest.approx(60 / 110, abs=TOL)
    assert qualified["hhi_country"] == pytest.approx(6100 / 12100 * 10000, abs=TOL)
    assert qualified["facilities"] == 2  # magnet_b and magnet_d contribute nothing
    assert row(concentration(net, "CN", basis="qualified"), "oem")["capacity_total"] == 150


def test_qualified_by_material():
    net = qualification_network()
    table = concentration(net, "CN", basis="qualified", by="material")
    # NdFeB: magnet_a 100 * 60/100 = 60 (the in_qualification 40 t do not count);
    # SmCo: magnet_c 50 * 30/30 = 50; oems: (none) 150
    assert row(table, "magnet", "NdFeB magnet")["capacity_total"] == pytest.approx(60, abs=TOL)
    assert row(table, "magnet", "SmCo magnet")["capacity_total"] == pytest.approx(50, abs=TOL)
    assert list(table[table["stage"] == "magnet"]["material"]) == ["NdFeB magnet", "SmCo magnet"]
    nameplate = concentration(net, "CN", by="material")
    # nameplate: NdFeB = magnet_a 100 (60 + 40 of 100 t); no product volume -> (none):
    # magnet_b 50 + magnet_d 20 = 70; SmCo 50
    assert row(nameplate, "magnet", "NdFeB magnet")["capacity_total"] == pytest.approx(100, abs=TOL)
    assert row(nameplate, "magnet", "(none)")["capacity_total"] == pytest.approx(70, abs=TOL)


# --- statuses, unknown capacity and owners, units -----------------------------------------
def test_statuses_unknown_capacity_and_missing_owner():
    net = network_from_records(
        [facility("a", "separator", "CN", 60, "X"), facility("b", "separator", "MY", None, "Y"),
         facility("c", "separator", "AU", 40), facility("d", "separator", "CN", 500, "X", status="idle"),
         facility("e", "separator", "US", 25, "Z", status="construction"),
         facility("m", "metal", "JP", 10, "X")],
        [link("a", "m", 1, "NdPr oxide")],
        [{"owner": "X", "parent": "X", "stake": 1, "country": "CN"}])
    table = row(concentration(net, "CN"), "separator")
    # counted: a 60 and c 40 (b's capacity unknown; d idle; e under construction) = 100
    assert table["capacity_total"] == 100 and table["capacity_unknown"] == 1
    assert table["facilities"] == 2
    # c has no owner: its own company, control unknown (40/100)
    assert table["share_control"] == pytest.approx(0.6, abs=TOL)
    assert table["share_control_unknown"] == pytest.approx(0.4, abs=TOL)
    assert table["hhi_company"] == pytest.approx(60 ** 2 + 40 ** 2, abs=TOL)
    planned = row(concentration(net, "CN", include_planned=True), "separator")
    assert planned["capacity_total"] == 125  # e counts; idle d never does
    # a stage with nothing counted still has a row, with undefined shares
    none = row(concentration(network_from_records(
        [facility("p", "mine", "CN", 5, status="planned"), facility("q", "separator", "CN", 5)],
        [link("p", "q", 1, "ore")]), "CN"), "mine")
    assert none["capacity_total"] == 0 and np.isnan(none["share_location"])
    # nothing counted anywhere (idle and planned only): rows with C = 0, no top holders
    idle = network_from_records(
        [facility("p", "mine", "CN", 5, status="idle"), facility("q", "separator", "CN", None,
                                                                 status="planned")],
        [link("p", "q", 1, "ore")])
    for by in (None, "material"):
        table = concentration(idle, "CN", include_planned=True, by=by)
        assert (table["capacity_total"] == 0).all() and table["top_country"].isna().all()
        assert table["capacity_unknown"].sum() == 1  # q: planned, capacity unknown


def test_aggregates_count_for_a_company_only_as_its_residual():
    """An aggregate adds no HHI term unless its owner holds a named plant of the same stage
    (then it is more plants of that company, like a state group's quota row)."""
    net = network_from_records(
        [facility("x1", "separator", "CN", 40, "X"),
         facility("x-rest", "separator", "CN", 20, "X", aggregate=True),   # residual of X
         facility("rest", "separator", "CN", 30, "R", aggregate=True),     # many holders
         facility("y-rest", "separator", "MY", 10, "Y", aggregate=True),   # Y: no named separator
         facility("y1", "metal", "MY", 5, "Y"),
         facility("m", "metal", "JP", 10, "Z")],
        [link("x1", "m", 1, "NdPr oxide"), link("x-rest", "m", 1, "NdPr oxide"),
         link("rest", "m", 1, "NdPr oxide"), link("y-rest", "y1", 1, "NdPr oxide")])
    sep = row(concentration(net, "CN"), "separator")
    # C = 100; X holds 40 + 20 = 60; "rest" (30) and Y's aggregate (10) add no term
    assert sep["capacity_total"] == 100
    assert sep["hhi_company"] == pytest.approx(60 ** 2, abs=TOL)
    assert (sep["top_company"], sep["top_company_share"]) == ("X", pytest.approx(0.6, abs=TOL))
    # country shares never depended on the marker: CN 90, MY 10
    assert sep["hhi_country"] == pytest.approx(90 ** 2 + 10 ** 2, abs=TOL)


def mixed_units_network():
    return network_from_records(
        [facility("a", "magnet", "CN", 60, unit="t/yr"), facility("b", "magnet", "JP", 30, unit="t/yr"),
         facility("c", "magnet", "DE", 9, unit="pcs/yr", status="planned"),
         facility("o", "oem", "US", 5, unit="units/yr")],
        [link("a", "o", 1), link("b", "o", 1)])


def test_mixed_units_raise_naming_stage_units_and_row():
    net = mixed_units_network()
    assert row(concentration(net, "CN"), "magnet")["unit"] == "t/yr"  # c is planned: not added
    with pytest.raises(ValidationError) as error:
        concentration(net, "CN", include_planned=True)
    (problem,) = error.value.problems
    assert (problem.file, problem.row, problem.column) == ("facilities.csv", 4, "unit")
    assert "stage 'magnet' mixes units 't/yr' (2 facilities), 'pcs/yr' (1 facility)" in problem.message
    # other stages alone are fine
    assert len(concentration(net, "CN", include_planned=True, stages="oem")) == 1


def test_bad_arguments(golden):
    with pytest.raises(InvalidArgument, match="unknown country 'Atlantis'"):
        concentration(golden, "Atlantis")
    with pytest.raises(InvalidArgument, match="unknown basis 'book'"):
        concentration(golden, basis="book")
    with pytest.raises(InvalidArgument, match="unknown breakdown"):
        concentration(golden, by="country")
    with pytest.raises(InvalidArgument, match="unknown stage 'smelter'"):
        concentration(golden, stages=["smelter"])


# --- properties ----------------------------------------------------------------------------
def check_properties(records, code, include_planned):
    net = network_from_records(**records)
    nameplate = concentration(net, code, include_planned=include_planned)
    qualified = concentration(net, code, basis="qualified", include_planned=include_planned)
    for table in (nameplate, qualified):
        for column in ("share_location", "share_control", "share_control_unknown",
                       "top_country_share", "top_company_share"):
            values = table[column].dropna()
            assert values.between(0, 1 + 1e-12).all(), column
        assert table["hhi_country"].dropna().between(0, 10000 + 1e-6).all()
        assert table["hhi_company"].dropna().between(0, 10000 + 1e-6).all()
        defined = table["capacity_total"] > 0
        assert table.loc[defined, "hhi_country"].notna().all()
    # qualified capacity never exceeds nameplate capacity
    assert (qualified["capacity_total"] <= nameplate["capacity_total"] + 1e-9).all()
    # the material breakdown adds up to the stage totals, on both bases
    for basis, plain in (("nameplate", nameplate), ("qualified", qualified)):
        split = concentration(net, code, basis=basis, include_planned=include_planned, by="material")
        sums = split.groupby("stage")["capacity_total"].sum()
        expected = plain.set_index("stage")["capacity_total"]
        np.testing.assert_allclose(sums.reindex(expected.index, fill_value=0), expected, atol=1e-6)


PROPERTY_ARGS = (network_records(), st.sampled_from(COUNTRIES), st.booleans())
test_properties = settings(max_examples=15, deadline=None, suppress_health_check=[
    HealthCheck.too_slow])(given(*PROPERTY_ARGS)(check_properties))
test_properties_thorough = pytest.mark.slow(settings(
    max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))(
    given(*PROPERTY_ARGS)(check_properties)))


# --- command line --------------------------------------------------------------------------


def test_cli_concentration_json():
    rows = json.loads(tiern("concentration", GOLDEN, "--country", "CHN", "-f", "json").stdout)
    metal = next(r for r in rows if r["stage"] == "metal")
    assert metal["country"] == "CN" and metal["share_control"] == pytest.approx(1)
    assert metal["hhi_company"] == pytest.approx(10000)


def test_cli_concentration_options(tmp_path):
    out = tmp_path / "c.csv"
    tiern("concentration", GOLDEN, "--include-planned", "--basis", "qualified", "--by", "material",
          "-o", str(out))
    text = out.read_text()
    assert text.startswith("stage,material,country,basis,capacity_total")
    assert "separator,NdPr oxide,CN,qualified,112" in text
    bad = tiern("concentration", GOLDEN, "--country", "Atlantis", check=False)
    assert bad.returncode == 1 and "unknown country 'Atlantis'" in bad.stderr
    assert "Traceback" not in bad.stderr
