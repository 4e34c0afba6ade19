"""The bundled facility data merged with the real USGS extract, a trade extract and an AMRT.

Done-when of issue 11: the merge validates, reconciles stage totals (no double counting) and
reports its matches.
"""
from __future__ import annotations

import pandas as pd
import pytest

from graphmodel.network import load_network
from ingest.amrt import read_amrt
from ingest.merge import merge_networks, read_aliases
from ingest.trade import read_trade
from ingest.usgs import read_usgs

from .conftest import DATA_DIR

#: Mine totals by country after the merge must equal the USGS figures within this relative
#: tolerance (the merge subtracts exactly, so only float rounding remains).
TOLERANCE = 1e-9


@pytest.fixture(scope="module")
def parts():
    bundled = load_network()
    usgs = read_usgs(DATA_DIR / "usgs" / "mcs2026_rare_earths.csv").network
    trade = read_trade([DATA_DIR / "trade" / "baci" / "BACI_HS22_Y2023_V202501.csv"]).network
    amrt = read_amrt(DATA_DIR / "amrt" / "amrt_mock.xlsx").network
    return bundled, usgs, trade, amrt


@pytest.fixture(scope="module")
def merged(parts):
    aliases = read_aliases(DATA_DIR / "amrt" / "aliases_bundled.csv")
    return merge_networks(list(parts), aliases=aliases)


def test_merge_validates_through_the_normal_path(merged, tmp_path_factory):
    folder = tmp_path_factory.mktemp("merged") / "net"
    merged.network.write(folder)
    again = load_network(folder)  # the ordinary reader and validation
    assert len(again.facilities) == len(merged.network.facilities)
    assert len(again.links) == len(merged.network.links)


def test_mine_totals_by_country_match_usgs(parts, merged):
    bundled, usgs, _, _ = parts
    facilities = merged.network.facilities
    operating_mines = facilities[(facilities["stage"] == "mine") & (facilities["status"] == "operating")]
    after = operating_mines.groupby("country")["capacity"].sum()
    reported = usgs.facilities.set_index("country")["capacity"]
    for country, figure in reported.items():
        assert after[country] == pytest.approx(figure, rel=TOLERANCE), country
    # no double counting: the USGS countries together hold the USGS total, not USGS + bundled
    assert after[reported.index].sum() == pytest.approx(reported.sum(), rel=TOLERANCE)
    # the bundled mines already account for every USGS country, so no country node is left
    assert not facilities.index.str.endswith("-mine-agg").any()
    assert (merged.report["action"] == "country node dropped").sum() == len(reported)


def test_trade_flows_are_never_double_counted(parts, merged):
    _, _, trade, _ = parts

    def group_flows(net):
        info = net.facilities[["country", "stage"]]
        links = net.links.join(info, on="supplier").join(info.add_prefix("c_"), on="customer")
        return links.groupby(["country", "stage", "c_country", "c_stage"])["volume"].sum()

    before, after = group_flows(parts[0]), group_flows(merged.network)
    for key, estimate in group_flows(trade).items():
        known = before.get(key, 0.0)
        # facility links replace the part of the estimate they account for: the total between the
        # two country/stage groups is the larger of the two, never their sum
        assert after[key] == pytest.approx(max(estimate, known)), key
    # e.g. CN magnet makers -> DE motor makers: 2400.5 t estimated, 1700 t known at facility level
    reduced = merged.report.set_index("kept").loc["CN-magnet-agg -> DE-motor-agg"]
    assert (reduced["action"], reduced["before"], reduced["after"]) == ("link reduced", 2400.5, 700.5)


def test_amrt_processors_are_matched_through_the_alias_table(merged):
    report = merged.report
    matched = report[(report["action"] == "matched") & (report["detail"] == "alias")]
    assert dict(zip(matched["other"], matched["kept"])) == {
        "CID900001": "cn-nre-baotou-huamei", "CID900002": "my-lynas-malaysia",
        "amrt-estonia-rare-metals-as-ee": "ee-neo-silmet"}
    links = merged.network.links
    declared = links[links["customer"] == "amrt-nordmag-magnetics-gmbh"]
    assert sorted(declared["supplier"]) == ["cn-nre-baotou-huamei", "ee-neo-silmet", "my-lynas-malaysia"]
    assert "# Merge report" in merged.report_markdown()


def test_bundled_facilities_keep_their_values(parts, merged):
    bundled = parts[0]
    kept = merged.network.facilities.loc[bundled.facilities.index]
    pd.testing.assert_series_equal(kept["capacity"], bundled.facilities["capacity"])
    assert kept.loc["my-lynas-malaysia", "name"] == bundled.facilities.loc["my-lynas-malaysia", "name"]
