"""Merging networks: facility matching, no double counting, refinement of country estimates."""
from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

from graphmodel.build import network_from_records
from graphmodel.errors import ValidationError
from ingest.fragment import build_network
from ingest.merge import merge_networks, normalize_name, read_aliases

from .strategies import network_records


def facility(fid, name, stage, country, **extra):
    return {"id": fid, "name": name, "stage": stage, "country": country, **extra}


def link(supplier, customer, material, volume, **extra):
    return {"supplier": supplier, "customer": customer, "material": material, "volume": volume, **extra}


def agg(country, stage, **extra):
    return facility(f"{country}-{stage}-agg", f"{country} {stage}", stage, country, level="country",
                    basis="estimated", **extra)


@pytest.fixture
def plants():
    """Facility-level data: a CN separator selling 300 t NdPr oxide to a JP metal maker."""
    return build_network(
        [facility("sep_bt", "Baotou Rare Earth Separation Co., Ltd.", "separator", "CN", capacity=900),
         facility("metal_se", "Shin-Etsu Rare Metals K.K.", "metal", "JP"),
         facility("mine_bo", "Bayan Obo", "mine", "CN", capacity=100, unit="t REO/yr"),
         facility("mine_ws", "Weishan", "mine", "CN", capacity=50, unit="t REO/yr")],
        [link("sep_bt", "metal_se", "NdPr oxide", 300), link("mine_bo", "sep_bt", "RE concentrate", 100)],
        name="plants")


@pytest.fixture
def trade():
    """Country estimates: CN compounds to JP 1000 t and to US 500 t."""
    return build_network(
        [agg("CN", "separator"), agg("JP", "metal"), agg("US", "metal")],
        [link("CN-separator-agg", "JP-metal-agg", "RE compounds (HS 2846)", 1000, basis="estimated"),
         link("CN-separator-agg", "US-metal-agg", "RE compounds (HS 2846)", 500, basis="estimated")],
        name="trade")


@pytest.fixture
def usgs():
    return build_network([agg("CN", "mine", capacity=270_000, unit="t REO/yr")], [], name="usgs")


def test_normalize_name_drops_case_punctuation_and_legal_suffixes():
    assert normalize_name("Baotou Rare Earth Separation Co., Ltd.") == "baotou rare earth separation"
    assert normalize_name("BAOTOU RARE-EARTH SEPARATION CO LTD") == "baotou rare earth separation"
    assert normalize_name("Lynas Malaysia Sdn. Bhd.") == "lynas malaysia"
    assert normalize_name("Solvay S.A.") == "solvay"
    assert normalize_name("Vacuumschmelze GmbH & Co. KG") == "vacuumschmelze"
    assert normalize_name("Société Générale des Terres Rares SAS") == "societe generale des terres rares"
    assert normalize_name("Co") == "co"  # a name is never emptied


def test_trade_estimate_is_reduced_by_the_facility_link_it_refines(plants, trade):
    result = merge_networks([plants, trade])
    links = result.network.links.set_index(["supplier", "customer"])["volume"]
    # CN separators -> JP metal makers: facility links carry 300 t of the estimated 1000 t: 700 t left.
    assert links[("CN-separator-agg", "JP-metal-agg")] == 700
    assert links[("CN-separator-agg", "US-metal-agg")] == 500  # nothing refines it
    assert links[("sep_bt", "metal_se")] == 300
    row = result.report.set_index("action").loc["link reduced"]
    assert (row["kept"], row["other"], row["before"], row["after"]) == (
        "CN-separator-agg -> JP-metal-agg", "sep_bt->metal_se (NdPr oxide)", 1000, 700)


def test_trade_estimate_fully_accounted_for_is_dropped(plants):
    small = build_network([agg("CN", "separator"), agg("JP", "metal")],
                          [link("CN-separator-agg", "JP-metal-agg", "RE compounds (HS 2846)", 250)],
                          name="trade")
    result = merge_networks([plants, small])
    # 250 t estimated, 300 t known at facility level: max(0, 250 - 300) = 0 -> dropped
    assert not result.network.links["supplier"].eq("CN-separator-agg").any()
    assert result.report["action"].tolist() == ["link dropped"]


def test_links_of_unknown_volume_never_reduce_an_estimate(trade):
    declared = build_network(
        [facility("CID1", "Baotou Rare Earth Separation", "separator", "CN"),
         facility("buyer", "Nordmag", "metal", "JP")],
        [link("CID1", "buyer", "Rare Earth Elements", 0, volume_known=False)], name="amrt")
    result = merge_networks([trade, declared])
    volumes = result.network.links.set_index(["supplier", "customer"])["volume"]
    assert volumes[("CN-separator-agg", "JP-metal-agg")] == 1000
    assert result.report["action"].tolist() == ["refined, volume unknown"]


def test_same_facility_named_differently_is_matched_and_links_follow(plants):
    declared = build_network(
        [facility("CID900001", "BAOTOU RARE-EARTH SEPARATION CO LTD", "separator", "CN", rmi_id="CID900001"),
         facility("amrt-nordmag", "Nordmag Magnetics GmbH", "magnet", "DE")],
        [link("CID900001", "amrt-nordmag", "Rare Earth Elements", 0)], name="amrt")
    result = merge_networks([plants, declared])
    facilities = result.network.facilities
    assert "CID900001" not in facilities.index
    assert facilities.loc["sep_bt", "rmi_id"] == "CID900001"  # empty cells filled from the later input
    assert facilities.loc["sep_bt", "capacity"] == 900  # the earlier input wins
    assert facilities.loc["sep_bt", "merged_from"] == "plants;amrt"
    assert ("sep_bt", "amrt-nordmag") in set(zip(result.network.links["supplier"], result.network.links["customer"]))
    matched = result.report[result.report["action"] == "matched"]
    assert matched[["kept", "other", "detail"]].values.tolist() == [
        ["sep_bt", "CID900001", "same normalised name 'baotou rare earth separation', country and stage"]]


def test_a_flow_reported_twice_counts_once(plants):
    again = build_network(
        [facility("sep_bt", "Baotou Rare Earth Separation Co., Ltd.", "separator", "CN"),
         facility("metal_se", "Shin-Etsu Rare Metals K.K.", "metal", "JP")],
        [link("sep_bt", "metal_se", "NdPr oxide", 280)], name="survey")
    result = merge_networks([plants, again])
    links = result.network.links
    assert links[(links["supplier"] == "sep_bt") & (links["customer"] == "metal_se")]["volume"].tolist() == [300]
    duplicate = result.report[result.report["action"] == "duplicate link"].iloc[0]
    assert duplicate["detail"] == "also reported by plants; its volume 300 kept, 280 not added"


def test_ambiguous_names_are_kept_apart():
    first = build_network([facility("a1", "Golden Dragon Ltd", "magnet", "CN"),
                           facility("a2", "Golden Dragon Inc.", "magnet", "CN"),
                           facility("oem", "OEM", "oem", "DE")],
                          [link("a1", "oem", "NdFeB magnet", 1), link("a2", "oem", "NdFeB magnet", 2)],
                          name="first")
    second = build_network([facility("b1", "GOLDEN DRAGON", "magnet", "CN"),
                            facility("b2", "Golden Dragon", "separator", "VN")],
                           [link("b2", "b1", "NdPr oxide", 5)], name="second")
    result = merge_networks([first, second])
    assert {"a1", "a2", "b1", "b2"} <= set(result.network.facilities.index)
    ambiguous = result.report[result.report["action"] == "ambiguous"]
    assert ambiguous[["kept", "other", "detail"]].values.tolist() == [
        ["a1;a2", "b1", "name 'golden dragon' in CN matches 2 facilities at this stage; kept apart"]]


def test_same_name_other_stage_is_ambiguous_not_matched():
    first = build_network([facility("x1", "Lynas", "separator", "MY"), facility("m", "M", "metal", "JP")],
                          [link("x1", "m", "NdPr oxide", 1)], name="first")
    second = build_network([facility("y1", "Lynas Ltd", "mine", "MY"), facility("s", "S", "separator", "MY")],
                           [link("y1", "s", "RE concentrate", 1)], name="second")
    result = merge_networks([first, second])
    assert {"x1", "y1"} <= set(result.network.facilities.index)
    assert result.report["detail"].tolist() == [
        "name 'lynas' in MY matches a facility at another stage; kept apart"]


def test_alias_table(tmp_path, plants):
    declared = build_network(
        [facility("CID777", "Inner Mongolia Baotou Steel RE Hi-Tech", "separator", "CN"),
         facility("buyer", "Buyer", "magnet", "DE")],
        [link("CID777", "buyer", "Rare Earth Elements", 0)], name="amrt")
    aliases = tmp_path / "aliases.csv"
    aliases.write_text("alias,canonical_id\nCID777,sep_bt\n", encoding="utf-8")
    result = merge_networks([plants, declared], aliases=read_aliases(aliases))
    assert "CID777" not in result.network.facilities.index
    assert result.report["action"].tolist() == ["matched"]
    assert result.report["detail"].tolist() == ["alias"]


def test_alias_table_errors(tmp_path, plants):
    bad = tmp_path / "aliases.csv"
    bad.write_text("alias,canonical\nx,y\n", encoding="utf-8")
    with pytest.raises(ValidationError) as excinfo:
        read_aliases(bad)
    assert [str(p) for p in excinfo.value.problems] == [
        "aliases.csv:1:canonical_id: missing required column 'canonical_id' (header has: alias, canonical)"]
    bad.write_text("alias,canonical_id\nCID777,nowhere\n,sep_bt\n", encoding="utf-8")
    with pytest.raises(ValidationError) as excinfo:
        read_aliases(bad)
    assert [str(p) for p in excinfo.value.problems] == ["aliases.csv:3:alias: missing value (required)"]
    bad.write_text("alias,canonical_id\nCID777,nowhere\n", encoding="utf-8")
    with pytest.raises(ValidationError) as excinfo:
        merge_networks([plants], aliases=read_aliases(bad))
    assert [str(p) for p in excinfo.value.problems] == [
        "aliases.csv:2:canonical_id: unknown facility id 'nowhere' (not in any input)"]


def test_country_capacity_keeps_only_the_unlisted_residual(plants, usgs):
    result = merge_networks([plants, usgs])
    facilities = result.network.facilities
    # 270,000 t reported for CN; listed CN mines hold 100 + 50 = 150 t: the country node keeps 269,850 t
    assert facilities.loc["CN-mine-agg", "capacity"] == 269_850
    mines = facilities[facilities["stage"] == "mine"]
    assert mines.groupby("country")["capacity"].sum()["CN"] == 270_000  # the USGS figure, no double count
    row = result.report.iloc[0]
    assert (row["action"], row["kept"], row["other"], row["before"], row["after"]) == (
        "capacity residual", "CN-mine-agg", "mine_bo;mine_ws", 270_000, 269_850)


def test_country_capacity_exceeded_by_facilities(plants):
    tiny = build_network([agg("CN", "mine", capacity=120, unit="t REO/yr")], [], name="usgs")
    result = merge_networks([plants, tiny])
    assert "CN-mine-agg" not in result.network.facilities.index  # 0 left and no link: dropped
    assert result.report["action"].tolist() == ["capacity exceeds country figure", "country node dropped"]
    assert result.report["detail"].tolist() == [
        "listed facilities hold 150 t REO/yr, more than the country figure 120; country node set to 0",
        "listed facilities account for the whole country figure"]


def test_planned_facilities_are_not_subtracted(plants):
    project = build_network([facility("mine_new", "New project", "mine", "CN", capacity=5000,
                                      unit="t REO/yr", status="planned"),
                             agg("CN", "mine", capacity=1000, unit="t REO/yr")], [], name="usgs")
    result = merge_networks([plants, project])
    # 1000 reported - 150 operating (100 + 50); the planned 5000 t produce nothing yet: 850 left
    assert result.network.facilities.loc["CN-mine-agg", "capacity"] == 850


def test_report_markdown(plants, trade):
    text = merge_networks([plants, trade]).report_markdown()
    assert text.startswith("# Merge report\n\nMerged network: 7 facilities, 4 links.")
    assert "| link reduced |       1 |" in text


def test_golden_merges_with_itself_without_change(golden):
    result = merge_networks([golden, golden])
    assert len(result.network.facilities) == len(golden.facilities)
    assert result.network.links["volume"].sum() == golden.links["volume"].sum()
    assert (result.report["action"] == "matched").sum() == len(golden.facilities)
    assert (result.report["action"] == "duplicate link").sum() == len(golden.links)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(network_records())
def test_merging_a_network_with_itself_never_double_counts(records):
    net = network_from_records(**records)
    merged = merge_networks([net, net]).network
    assert sorted(merged.facilities.index) == sorted(net.facilities.index)
    assert len(merged.links) == len(net.links)
    assert merged.links["volume"].sum() == pytest.approx(net.links["volume"].sum())
    inbound = merged.inbound_volume.reindex(net.facilities.index).fillna(0)
    pd.testing.assert_series_equal(inbound, net.inbound_volume.reindex(net.facilities.index).fillna(0),
                                   check_names=False)
