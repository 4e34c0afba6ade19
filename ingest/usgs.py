"""USGS Mineral Commodity Summaries (MCS) data release -> country-level mine nodes.

Input: the commodity table of the MCS data release as published on ScienceBase
(``MCS2026_Commodities_Data.csv``, or an extract of its rows such as
``mcs2026_rare_earths.csv``), with the columns ``MCS chapter, Section, Commodity, Country,
Statistics, Statistics_detail, Unit, Year, Value, Notes, ...``. It is read as published:

* **Encoding**: Windows-1252 (the em dash of "Salient Statistics—United States" is byte
  0x97). A UTF-8 copy is accepted too; anything else (UTF-16, bytes undefined in
  Windows-1252) is an error naming the line.
* **Numbers** carry thousands separators (``"270,000"``). USGS codes stand in for numbers:
  ``—`` (em dash) means zero; ``NA`` not available; ``W`` withheld to avoid disclosing company
  data; ``E`` net exporter; ``>95``/``<1`` a bound. In a mine-production row, ``—`` means the
  country produced nothing that year (no node, an ``info`` note); every other code means the
  figure is unknown (a node with empty capacity, the code kept in ``usgs_code``, a warning).
  Anything else that is not a number is an error ``file:row:Value: ...``.
* **Countries** are USGS short names (Burma, Russia, "Korea, Republic of"); they are mapped with
  :data:`USGS_COUNTRY_NAMES` first, then :func:`graphmodel.io.normalize.normalize_country`. An unknown
  name is an error.

Output, one node per producing country, for the chosen year (``year=None``: the latest year
with at least one numeric figure):

=============  ======================================================================
``id``         ``<CC>-mine-agg`` (e.g. ``CN-mine-agg``)
``stage``      ``mine``; ``level`` = ``country`` (a country aggregate, not one mine)
``capacity``   mine production of that year in ``t REO/yr`` (rare-earth-oxide equivalent,
               as the chapter states); empty when USGS gives a code instead of a number
``basis``      ``estimated`` when the row's Notes start "Estimated", else ``reported``
``source``     "USGS Mineral Commodity Summaries <edition> data release, <chapter>: World
               Mine Production"; ``year`` the data year; ``reserves_t`` the reserves row
=============  ======================================================================

**Rest-of-world aggregates.** "Other countries" has no ISO 3166 code, and the interchange format
requires a real country, so it is *not* a node: its tonnage is reported as a ``warning`` note
(so a user sees how much production the network leaves out). "World total" is never a node; it
is used to reconcile: the ingest notes compare the sum of country rows plus "Other countries"
with the (rounded) world total and warn when they differ by more than
:data:`WORLD_TOTAL_TOLERANCE`.

USGS gives no flows, so the network has no links (see :func:`ingest.fragment.build_network`).
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from graphmodel.errors import Problem, ValidationError
from graphmodel.io.normalize import normalize_country
from graphmodel.io.numeric import parse_number

from .fragment import (COUNTRY_LEVEL, Ingested, build_network, csv_rows, decode_text, note,
                       notes_frame)

REQUIRED_COLUMNS = ("MCS chapter", "Section", "Country", "Statistics", "Statistics_detail",
                    "Unit", "Year", "Value", "Notes")
MINE_SECTION = "World Mine Production and Reserves"
DEFAULT_CHAPTER = "RARE EARTHS"
UNIT = "t REO/yr"
#: Relative difference tolerated between sum of countries and the rounded world total (USGS
#: rounds the world total to two significant digits, e.g. 389,310 t -> 390,000 t).
WORLD_TOTAL_TOLERANCE = 0.02

#: USGS country names that ISO 3166 / pycountry spell differently or ambiguously.
USGS_COUNTRY_NAMES: dict[str, str] = {
    "Burma": "MM", "Russia": "RU", "Vietnam": "VN", "Korea, Republic of": "KR",
    "Korea, North": "KP", "Laos": "LA", "Congo (Kinshasa)": "CD", "Congo (Brazzaville)": "CG",
    "Iran": "IR", "Turkey": "TR", "Turkiye": "TR", "Türkiye": "TR", "Tanzania": "TZ",
    "Bolivia": "BO", "Venezuela": "VE", "Taiwan": "TW", "Kyrgyzstan": "KG",
    "United Kingdom": "GB", "Czechia": "CZ", "Cote d'Ivoire": "CI", "Côte d'Ivoire": "CI",
    "Eswatini": "SZ", "North Macedonia": "MK", "Moldova": "MD", "Syria": "SY",
}
#: Rows that are aggregates, not countries.
OTHER_COUNTRIES = "Other countries"
WORLD_TOTAL = "World total"

ZERO_CODES = ("—", "–", "-", "--")  # USGS prints an em dash for zero
UNKNOWN_CODES = {
    "NA": "not available", "W": "withheld to avoid disclosing company proprietary data",
    "E": "net exporter", "XX": "not applicable",
}
_BOUND = re.compile(r"^[<>]\s*\d[\d,]*(\.\d+)?$")
_NUMBER = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$|^\d+(\.\d+)?$")


def read_usgs(path: str | Path, *, year: int | None = None,
              chapter: str = DEFAULT_CHAPTER) -> Ingested:
    """Country-level mine nodes from an MCS data-release CSV (see the module docstring).

    Parameters
    ----------
    path : the CSV file as published.
    year : data year to use; ``None`` picks the latest year with a numeric production figure.
    chapter : the ``MCS chapter`` whose world mine production is read (default RARE EARTHS).

    Raises
    ------
    graphmodel.errors.ValidationError
        Every problem in the file as ``file:row:column: message`` (wrong encoding, missing
        column, an unreadable number, an unknown country, a year with no data).
    """
    path = Path(path)
    label = path.name
    rows = _read_rows(path.read_bytes(), label)
    production = [r for r in rows if _is_mine_production(r, chapter)]
    if not production:
        raise ValidationError([Problem(label, 0, "-", f"no '{MINE_SECTION}' mine-production rows "
                                       f"for chapter '{chapter}'")])
    problems = [p for r in production for p in _row_problems(r, label)]
    if problems:
        raise ValidationError(problems)
    year = _choose_year(production, year, label)
    reserves = {r["Country"]: r for r in rows if _is_reserves(r, chapter) and r["Year"] == str(year)}
    edition = _edition(path.name)
    source = (f"USGS Mineral Commodity Summaries {edition} data release, "
              f"{chapter.title()}: World Mine Production ({label})")
    facilities, notes = [], []
    for row in (r for r in production if r["Year"] == str(year)):
        facility, row_notes = _facility(row, reserves, label, source, year)
        notes += row_notes
        if facility:
            facilities.append(facility)
    notes += _reconcile(production, year, label)
    network = build_network(facilities, [], name=f"usgs-{chapter.lower().replace(' ', '-')}-{year}")
    return Ingested(network, notes_frame(notes))


# --- reading ---------------------------------------------------------------------------

def _read_rows(data: bytes, label: str) -> list[dict]:
    """Rows as dicts of text plus ``_row`` (spreadsheet row number; the header is row 1)."""
    text, problem = decode_text(data, label, ("utf-8-sig", "cp1252"))
    if problem:
        raise ValidationError([problem])
    records = csv_rows(text, label)
    header = records[0][1] if records else None
    if not header:
        raise ValidationError([Problem(label, 1, "-", "file is empty (expected a header row)")])
    header = [h.strip() for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ValidationError([
            Problem(label, 1, c, f"missing required column '{c}' (header has: {', '.join(header)})")
            for c in missing])
    rows = []
    for number, cells in records[1:]:
        if not any(c.strip() for c in cells):
            continue
        record = {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header)}
        record["_row"] = number
        rows.append(record)
    return rows


def _is_mine_production(row: dict, chapter: str) -> bool:
    return (row["MCS chapter"].upper() == chapter.upper() and row["Section"] == MINE_SECTION
            and row["Statistics"] == "Production"
            and row["Statistics_detail"].lower().startswith("mine production"))


def _is_reserves(row: dict, chapter: str) -> bool:
    return (row["MCS chapter"].upper() == chapter.upper() and row["Section"] == MINE_SECTION
            and row["Statistics"] == "Reserves")


def _row_problems(row: dict, label: str) -> list[Problem]:
    problems = []
    if not re.fullmatch(r"\d{4}", row["Year"]):
        problems.append(Problem(label, row["_row"], "Year", f"expected a year, got '{row['Year']}'"))
    value = parse_value(row["Value"])
    if value is None:
        problems.append(Problem(
            label, row["_row"], "Value",
            f"expected a number or a USGS code (—, NA, W, E, >N), got '{row['Value']}'"))
    if row["Unit"] != "metric tons":
        problems.append(Problem(label, row["_row"], "Unit",
                                f"expected 'metric tons', got '{row['Unit']}'"))
    if row["Country"] not in (OTHER_COUNTRIES, WORLD_TOTAL) and usgs_country(row["Country"]) is None:
        problems.append(Problem(label, row["_row"], "Country",
                                f"unknown country '{row['Country']}' (add it to USGS_COUNTRY_NAMES)"))
    return problems


def parse_value(text: str) -> float | str | None:
    """A USGS ``Value`` cell: a float, a code string (``"—"``, ``"NA"``, ``">95"``, ...), or None.

    >>> parse_value("270,000"), parse_value("—"), parse_value("W"), parse_value("27,00")
    (270000.0, '—', 'W', None)
    """
    text = text.strip()
    if _NUMBER.fullmatch(text):
        try:
            return parse_number(text.replace(",", ""))
        except ValueError:  # too large: the caller reports it as an unreadable value
            return None
    if text in ZERO_CODES or text in UNKNOWN_CODES or _BOUND.fullmatch(text):
        return text
    return None


def usgs_country(name: str) -> str | None:
    """ISO alpha-2 code of a USGS country name (``"Burma"`` -> ``"MM"``), None if unknown."""
    return USGS_COUNTRY_NAMES.get(name) or normalize_country(name)


def _choose_year(production: list[dict], year: int | None, label: str) -> int:
    numeric_years = sorted({int(r["Year"]) for r in production
                            if isinstance(parse_value(r["Value"]), float)})
    if year is None:
        return numeric_years[-1]
    if year not in numeric_years:
        raise ValidationError([Problem(label, 0, "Year", f"no mine production for {year} (years "
                                       f"with data: {', '.join(map(str, numeric_years))})")])
    return year


def _edition(filename: str) -> str:
    match = re.search(r"mcs\s*(\d{4})", filename, re.IGNORECASE)
    return match.group(1) if match else "(edition unknown)"


# --- building nodes -----------------------------------------------------------------------

def _facility(row: dict, reserves: dict, label: str, source: str, year: int):
    country, value, number = row["Country"], parse_value(row["Value"]), row["_row"]
    if country == WORLD_TOTAL:
        return None, []
    if country == OTHER_COUNTRIES:
        amount = f"{value:,.0f} t REO" if isinstance(value, float) else f"'{value}'"
        return None, [note("warning", label, number, "Country",
                           f"'{OTHER_COUNTRIES}' ({amount} in {year}) is a rest-of-world aggregate "
                           "with no ISO country; left out of the network")]
    code = usgs_country(country)
    if value in ZERO_CODES:
        return None, [note("info", label, number, "Value",
                           f"{country}: no mine production in {year} ('{value}' = zero); no node")]
    notes = []
    capacity = value if isinstance(value, float) else np.nan
    if not isinstance(value, float):
        meaning = UNKNOWN_CODES.get(value, "a bound, not a figure")
        notes.append(note("warning", label, number, "Value",
                          f"{country}: production '{value}' ({meaning}); capacity left unknown"))
    facility = {
        "id": f"{code}-mine-agg", "name": f"{country} mine production (USGS country total)",
        "stage": "mine", "country": code, "capacity": capacity, "unit": UNIT,
        "status": "operating", "source": source, "year": year,
        "basis": "estimated" if row["Notes"].lower().startswith("estimated") else "reported",
        "level": COUNTRY_LEVEL, "usgs_country": country,
        "usgs_code": "" if isinstance(value, float) else value,
        "reserves_t": _reserves(reserves.get(country)),
        "_source": (label, number),
    }
    return facility, notes


def _reserves(row: dict | None) -> float:
    value = parse_value(row["Value"]) if row else None
    return value if isinstance(value, float) else np.nan


def _reconcile(production: list[dict], year: int, label: str) -> list[dict]:
    """Compare countries + "Other countries" with the (rounded) world total."""
    rows = [r for r in production if r["Year"] == str(year)]
    total_rows = [r for r in rows if r["Country"] == WORLD_TOTAL]
    parts = [parse_value(r["Value"]) for r in rows if r["Country"] != WORLD_TOTAL]
    listed = sum(v for v in parts if isinstance(v, float))
    if not total_rows or not isinstance(parse_value(total_rows[0]["Value"]), float):
        return [note("info", label, 0, "Value", f"no numeric world total for {year}; "
                     f"countries plus '{OTHER_COUNTRIES}' sum to {listed:,.0f} t")]
    world = parse_value(total_rows[0]["Value"])
    gap = abs(listed - world) / world
    level = "warning" if gap > WORLD_TOTAL_TOLERANCE else "info"
    return [note(level, label, total_rows[0]["_row"], "Value",
                 f"{year}: countries plus '{OTHER_COUNTRIES}' sum to {listed:,.0f} t REO; world total "
                 f"(rounded) {world:,.0f} t; difference {gap:.1%} (tolerance "
                 f"{WORLD_TOTAL_TOLERANCE:.0%})")]
