"""Trade ingester: CEPII BACI and UN Comtrade mock files in the published layouts."""
from __future__ import annotations

import csv
import shutil

import pytest

from graphmodel.errors import ValidationError
from ingest.trade import hs_product, read_trade

from .conftest import DATA_DIR

BACI_DIR = DATA_DIR / "trade" / "baci"
BACI = BACI_DIR / "BACI_HS22_Y2023_V202501.csv"
CODES = BACI_DIR / "country_codes_V202501.csv"
COMTRADE = DATA_DIR / "trade" / "comtrade" / "comtrade_rare_earths_2023.csv"


def volumes(result) -> dict[tuple[str, str], float]:
    links = result.network.links
    return {(s, c): v for s, c, v in zip(links["supplier"], links["customer"], links["volume"])}


def problems(excinfo) -> list[str]:
    return [str(p) for p in excinfo.value.problems]


def baci_copy(tmp_path, text: str, name="BACI_HS22_Y2023_V202501.csv"):
    shutil.copy(CODES, tmp_path / CODES.name)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_hs_codes_map_to_stages():
    assert hs_product("284690") == ("RE compounds (HS 2846)", "separator", "metal")
    assert hs_product("284610")[0] == "RE compounds (HS 2846)"
    assert hs_product("280530")[1:] == ("metal", "magnet")
    assert hs_product("850511")[1:] == ("magnet", "motor")
    assert hs_product("850519") is None and hs_product("010121") is None


def test_baci_links_by_hand():
    result = read_trade([BACI])  # the code table is found next to the data file
    assert volumes(result) == {
        ("CN-separator-agg", "JP-metal-agg"): 6700.25,  # 284690 5200.25 t + 284610 1500 t
        ("CN-separator-agg", "US-metal-agg"): 4100.0,
        ("MY-separator-agg", "JP-metal-agg"): 1800.0,
        ("US-separator-agg", "CN-metal-agg"): 1000.0,
        ("CN-metal-agg", "JP-magnet-agg"): 600.0,
        ("CN-magnet-agg", "DE-motor-agg"): 2400.5,
        ("JP-magnet-agg", "DE-motor-agg"): 500.0,
    }
    links = result.network.links.set_index(["supplier", "customer"])
    first = links.loc[("CN-separator-agg", "JP-metal-agg")]
    assert first["hs_code"] == "284610;284690"
    assert first["source"] == "CEPII BACI HS22 V202501, 2023"
    assert first["year"] == 2023 and first["basis"] == "estimated"
    assert float(first["value_kusd"]) == 55000.5  # 52000.5 + 3000 thousand USD
    facilities = result.network.facilities
    assert facilities.loc["CN-separator-agg", ["stage", "country", "basis", "level"]].tolist() == [
        "separator", "CN", "estimated", "country"]
    assert facilities.loc["DE-motor-agg", "stage"] == "motor"


def test_baci_notes_aggregates_and_missing_quantity():
    assert read_trade([BACI, CODES]).notes_lines() == [
        "warning: BACI_HS22_Y2023_V202501.csv:9:j: 'Other Asia, nes' is not a country (aggregate "
        "area); flow left out",
        "warning: BACI_HS22_Y2023_V202501.csv:10:q: no quantity for VN -> JP HS 284690; flow left out",
    ]


def test_comtrade_links_by_hand():
    result = read_trade([COMTRADE], layout="comtrade")
    assert volumes(result) == {
        ("CN-separator-agg", "JP-metal-agg"): 6400.0,  # Japan's import report, not China's 6500
        ("CN-separator-agg", "US-metal-agg"): 4000.0,  # only China's export report
        ("CN-magnet-agg", "DE-motor-agg"): 2300.0,  # the motCode 2100 breakdown row is not added
        ("CN-metal-agg", "JP-magnet-agg"): 550.0,  # netWgt empty: qty 550,000 kg
    }
    assert set(result.network.links["source"]) == {"UN Comtrade, 2023"}
    assert result.notes_lines() == [
        "warning: comtrade_rare_earths_2023.csv:8:partnerISO: 'W00' is not a country (world or "
        "aggregate area); flow left out",
        "info: comtrade_rare_earths_2023.csv:9:flowCode: flow 'RX' is not an import (M) or export "
        "(X); left out",
        "info: comtrade_rare_earths_2023.csv:2:flowCode: mirror flow CN -> JP HS 284690 2023: "
        "exporter's report (6500 t) dropped, importer's (6400 t, row 3) used",
    ]


def test_layout_is_detected():
    assert volumes(read_trade([COMTRADE])) == volumes(read_trade([COMTRADE], layout="comtrade"))


def test_baci_missing_column(tmp_path):
    path = baci_copy(tmp_path, "t,i,j,k,v\n2023,156,392,284690,10\n")
    with pytest.raises(ValidationError) as excinfo:
        read_trade([path])
    assert problems(excinfo) == [
        "BACI_HS22_Y2023_V202501.csv:1:q: missing required column 'q' (header has: t, i, j, k, v)"]


def test_baci_bad_number_and_unknown_code(tmp_path):
    path = baci_copy(tmp_path, "t,i,j,k,v,q\n2023,156,392,284690,10,lots\n2023,999,392,284690,10,5\n"
                                "2023,156,392,280530,10,-3\n")
    with pytest.raises(ValidationError) as excinfo:
        read_trade([path])
    assert problems(excinfo) == [
        "BACI_HS22_Y2023_V202501.csv:2:q: expected a number, got 'lots'",
        "BACI_HS22_Y2023_V202501.csv:3:i: country code '999' is not in the country code table",
        "BACI_HS22_Y2023_V202501.csv:4:q: must be >= 0, got -3",
    ]


def test_baci_without_code_table(tmp_path):
    path = tmp_path / "BACI_HS22_Y2023_V202501.csv"
    path.write_text("t,i,j,k,v,q\n2023,156,392,284690,10,5\n", encoding="utf-8")
    with pytest.raises(ValidationError) as excinfo:
        read_trade([path], layout="baci")
    assert problems(excinfo) == [
        "BACI_HS22_Y2023_V202501.csv:0:-: BACI needs its country code table "
        "(country_codes_V<version>.csv): pass it among the files or put it next to the data file"]


def test_wrong_encoding(tmp_path):
    path = tmp_path / "comtrade.csv"
    path.write_bytes(COMTRADE.read_bytes().replace(b"Japan", "Japón".encode("cp1252"), 1))
    with pytest.raises(ValidationError) as excinfo:
        read_trade([path])
    assert problems(excinfo) == ["comtrade.csv:2:-: file is not UTF-8 text (byte 0xf3 on line 2)"]


def test_comtrade_bad_country_code_and_weight(tmp_path):
    with COMTRADE.open(encoding="utf-8", newline="") as source:
        rows = list(csv.DictReader(source))
    rows[2]["reporterISO"] = "China"  # spreadsheet row 4
    rows[3]["netWgt"] = "2.3 t"  # row 5
    path = tmp_path / "comtrade.csv"
    with path.open("w", encoding="utf-8", newline="") as target:
        writer = csv.DictWriter(target, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(ValidationError) as excinfo:
        read_trade([path])
    assert problems(excinfo) == [
        "comtrade.csv:4:reporterISO: expected an ISO 3166 alpha-3 code, got 'China'",
        "comtrade.csv:5:netWgt: expected a number, got '2.3 t'",
    ]


def test_comtrade_missing_column(tmp_path):
    text = COMTRADE.read_text(encoding="utf-8").replace("netWgt,", "netWeight,", 1)
    path = tmp_path / "comtrade.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError) as excinfo:
        read_trade([path])
    assert len(problems(excinfo)) == 1
    assert problems(excinfo)[0].startswith("comtrade.csv:1:netWgt: missing required column 'netWgt'")


def test_several_years_are_refused(tmp_path):
    path = baci_copy(tmp_path, "t,i,j,k,v,q\n2022,156,392,284690,10,5\n2023,156,392,284690,10,5\n")
    with pytest.raises(ValidationError) as excinfo:
        read_trade([path])
    assert problems(excinfo) == [
        "BACI_HS22_Y2023_V202501.csv:0:-: flows cover several years (2022, 2023); ingest one year at a time"]


def test_no_rare_earth_flows(tmp_path):
    path = baci_copy(tmp_path, "t,i,j,k,v,q\n2023,156,392,010121,10,5\n")
    with pytest.raises(ValidationError) as excinfo:
        read_trade([path])
    assert problems(excinfo) == [
        "BACI_HS22_Y2023_V202501.csv:0:-: no rare-earth trade flows (HS 2846, 280530, 850511) with a quantity"]
