"""USGS MCS data-release ingester, on the real 2026 rare-earth extract and on small broken copies."""
from __future__ import annotations

import math

import pytest

from graphmodel.errors import ValidationError
from ingest.fragment import load_fragment
from ingest.usgs import parse_value, read_usgs, usgs_country

from .conftest import DATA_DIR

REAL = DATA_DIR / "usgs" / "mcs2026_rare_earths.csv"
HEADER = ("MCS chapter,Section,Commodity,Country,Statistics,Statistics_detail,Unit,Year,Value,Notes,"
          "Is critical mineral 2025,Other notes")


def usgs_rows(*rows: tuple[str, str, str, str]) -> str:
    """A file in the release's columns: rows of (country, year, value, notes)."""
    lines = [HEADER]
    for country, year, value, notes in rows:
        detail = "Mine production: rounded" if country == "World total" else "Mine production"
        lines.append(f'RARE EARTHS,World Mine Production and Reserves,Rare Earths,{country},Production,'
                     f'{detail},metric tons,{year},"{value}",{notes},Yes,')
    return "\r\n".join(lines) + "\r\n"


def write(tmp_path, text: str, name="mcs2026_test.csv", encoding="cp1252"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def problems(excinfo) -> list[str]:
    return [str(p) for p in excinfo.value.problems]


# --- the real file -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def real():
    return read_usgs(REAL)


def test_real_file_default_year_is_latest_with_data(real):
    facilities = real.network.facilities
    assert set(facilities["year"]) == {2025}
    assert facilities.loc["CN-mine-agg", "capacity"] == 270_000
    assert facilities.loc["CN-mine-agg", "unit"] == "t REO/yr"


def test_real_file_burma_is_myanmar(real):
    burma = real.network.facilities.loc["MM-mine-agg"]
    assert (burma["country"], burma["capacity"], burma["usgs_country"]) == ("MM", 22_000, "Burma")
    assert usgs_country("Burma") == "MM"


def test_real_file_nodes_basis_and_source(real):
    facilities = real.network.facilities
    # 18 rows in 2025: 4 with '—' (zero: Canada, Greenland, South Africa, Tanzania) get no node,
    # 'Other countries' and 'World total' are aggregates: 18 - 4 - 2 = 12 producing countries.
    assert sorted(facilities["country"]) == sorted(
        ["US", "AU", "BR", "MM", "CN", "IN", "MG", "MY", "NG", "RU", "TH", "VN"])
    assert set(facilities["stage"]) == {"mine"} and set(facilities["level"]) == {"country"}
    assert set(facilities["basis"]) == {"estimated"}  # every 2025 figure is "Estimated."
    assert facilities.loc["CN-mine-agg", "source"].startswith(
        "USGS Mineral Commodity Summaries 2026 data release, Rare Earths: World Mine Production")
    # extra columns are kept as text by validation, like any extra column
    assert facilities.loc["CN-mine-agg", "reserves_t"] == "44000000"
    assert facilities.loc["MM-mine-agg", "reserves_t"] == ""  # reserves "NA": unknown
    assert real.network.links.empty


def test_real_file_year_2024_reported_figure(real):
    facilities = read_usgs(REAL, year=2024).network.facilities
    assert facilities.loc["US-mine-agg", ["capacity", "basis"]].tolist() == [45_500, "reported"]
    assert facilities.loc["MM-mine-agg", "capacity"] == 27_000


def test_real_file_notes_other_countries_and_reconciliation(real):
    lines = real.notes_lines()
    assert ("warning: mcs2026_rare_earths.csv:146:Country: 'Other countries' (550 t REO in 2025) is a "
            "rest-of-world aggregate with no ISO country; left out of the network") in lines
    # 51,000 + 29,000 + 2,000 + 22,000 + 270,000 + 2,900 + 2,700 + 110 + 1,500 + 2,600 + 4,800 + 150
    # + 550 (other countries) = 389,310; world total rounded 390,000: 0.18 % apart.
    assert ("info: mcs2026_rare_earths.csv:147:Value: 2025: countries plus 'Other countries' sum to "
            "389,310 t REO; world total (rounded) 390,000 t; difference 0.2% (tolerance 2%)") in lines
    assert "info: mcs2026_rare_earths.csv:134:Value: Canada: no mine production in 2025 ('—' = zero); no node" in lines
    assert real.network.facilities["capacity"].sum() == 389_310 - 550


def test_real_file_utf8_copy_reads_the_same(tmp_path, real):
    copy = write(tmp_path, REAL.read_bytes().decode("cp1252"), name="mcs2026_utf8.csv", encoding="utf-8")
    assert read_usgs(copy).network.facilities["capacity"].equals(real.network.facilities["capacity"])


def test_written_network_reads_back(tmp_path, real):
    real.write(tmp_path / "out")
    back = load_fragment(tmp_path / "out")
    assert back.facilities["capacity"].to_dict() == real.network.facilities["capacity"].to_dict()


# --- values and codes ----------------------------------------------------------------------------

def test_parse_value_codes():
    assert parse_value("1,900,000") == 1_900_000.0
    assert parse_value("140") == 140.0
    assert [parse_value(c) for c in ("—", "NA", "W", "E", ">95")] == ["—", "NA", "W", "E", ">95"]
    assert parse_value("27,00") is None and parse_value("abc") is None and parse_value("") is None


def test_withheld_and_na_give_unknown_capacity(tmp_path):
    path = write(tmp_path, usgs_rows(("China", "2025", "270,000", "Estimated."),
                                     ("Australia", "2025", "W", ""), ("India", "2025", "NA", "")))
    result = read_usgs(path)
    facilities = result.network.facilities
    assert facilities.loc["CN-mine-agg", "capacity"] == 270_000
    assert math.isnan(facilities.loc["AU-mine-agg", "capacity"])
    assert facilities.loc["AU-mine-agg", "usgs_code"] == "W"
    assert facilities.loc["AU-mine-agg", "basis"] == "reported"
    assert ("warning: mcs2026_test.csv:3:Value: Australia: production 'W' (withheld to avoid "
            "disclosing company proprietary data); capacity left unknown") in result.notes_lines()


# --- malformed files -----------------------------------------------------------------------------

def test_wrong_encoding_names_the_line(tmp_path):
    text = usgs_rows(("China", "2025", "270,000", "Estimated."))
    path = tmp_path / "mcs2026_bad.csv"
    path.write_bytes(text.encode("cp1252").replace(b"China", b"Ch\x81na"))  # 0x81: undefined in cp1252
    with pytest.raises(ValidationError) as excinfo:
        read_usgs(path)
    assert problems(excinfo) == [
        "mcs2026_bad.csv:2:-: file is not UTF-8 or Windows-1252 text (byte 0x81 on line 2)"]


def test_utf16_is_refused(tmp_path):
    path = tmp_path / "mcs2026_u16.csv"
    path.write_bytes(usgs_rows(("China", "2025", "270,000", "")).encode("utf-16"))
    with pytest.raises(ValidationError) as excinfo:
        read_usgs(path)
    assert problems(excinfo) == [
        "mcs2026_u16.csv:1:-: file is UTF-16 encoded; expected UTF-8 or Windows-1252"]


def test_missing_column(tmp_path):
    text = usgs_rows(("China", "2025", "270,000", "")).replace(",Value,", ",Amount,", 1)
    with pytest.raises(ValidationError) as excinfo:
        read_usgs(write(tmp_path, text))
    assert problems(excinfo) == [
        "mcs2026_test.csv:1:Value: missing required column 'Value' (header has: MCS chapter, Section, "
        "Commodity, Country, Statistics, Statistics_detail, Unit, Year, Amount, Notes, "
        "Is critical mineral 2025, Other notes)"]


def test_bad_number_code_and_unknown_country_are_all_reported(tmp_path):
    path = write(tmp_path, usgs_rows(("China", "2025", "27O,000", ""), ("Atlantis", "2025", "5", ""),
                                     ("Burma", "2025", "22,00", "")))
    with pytest.raises(ValidationError) as excinfo:
        read_usgs(path)
    assert problems(excinfo) == [
        "mcs2026_test.csv:2:Value: expected a number or a USGS code (—, NA, W, E, >N), got '27O,000'",
        "mcs2026_test.csv:3:Country: unknown country 'Atlantis' (add it to USGS_COUNTRY_NAMES)",
        "mcs2026_test.csv:4:Value: expected a number or a USGS code (—, NA, W, E, >N), got '22,00'",
    ]


def test_year_without_data(tmp_path):
    path = write(tmp_path, usgs_rows(("China", "2024", "270,000", ""), ("China", "2025", "NA", "")))
    with pytest.raises(ValidationError) as excinfo:
        read_usgs(path, year=2025)
    assert problems(excinfo) == [
        "mcs2026_test.csv:0:Year: no mine production for 2025 (years with data: 2024)"]
    assert read_usgs(path).network.facilities.loc["CN-mine-agg", "year"] == 2024


def test_no_mine_production_rows(tmp_path):
    with pytest.raises(ValidationError) as excinfo:
        read_usgs(write(tmp_path, HEADER + "\r\n"))
    assert problems(excinfo) == [
        "mcs2026_test.csv:0:-: no 'World Mine Production and Reserves' mine-production rows for "
        "chapter 'RARE EARTHS'"]
