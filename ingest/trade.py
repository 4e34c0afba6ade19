"""Trade flows (CEPII BACI, UN Comtrade) -> country-to-country links between country nodes.

Rare-earth products are read by HS code (6-digit, HS 2012/2017/2022 all agree on these):

===========  =======================================  ==============  ==============
HS code      product                                  supplier stage  customer stage
===========  =======================================  ==============  ==============
2846xx       rare-earth compounds (cerium 284610,     separator       metal
             other 284690)
280530       rare-earth metals, scandium, yttrium     metal           magnet
850511       permanent magnets of metal (NdFeB, SmCo,  magnet          motor
             AlNiCo; ferrite magnets are 850519)
===========  =======================================  ==============  ==============

Each flow becomes a link ``<XX>-<supplier stage>-agg -> <YY>-<customer stage>-agg`` between
country-level nodes (``level = country``; e.g. ``CN-separator-agg -> JP-metal-agg`` for
Chinese exports of compounds to Japan). The customer stage is the stage that consumes the
product (metal makers take compounds; magnet makers take metal, skipping the optional alloy
stage; motor makers take magnets). Links carry ``volume`` = tonnes of product (gross product
weight, *not* rare-earth-oxide content, so not comparable with USGS REO tonnages),
``basis = estimated``, ``source = "<dataset>, <year>"``, ``year``, and ``hs_code``,
``value_kusd`` extras. Flows of one (exporter, importer, material) are summed over HS
sub-codes (284610 + 284690).

Layouts, read as published
--------------------------
**CEPII BACI** (https://www.cepii.fr/DATA_DOWNLOAD/baci/doc/baci_webpage.html; also described
in github.com/ksreyes/baci README): one CSV per year, ``BACI_HS<rev>_Y<year>_V<version>.csv``,
columns ``t,i,j,k,v,q`` = year, exporter, importer (BACI numeric country codes), HS6 product
(read as text: leading zeros), value (thousand USD), quantity (metric tons; may be empty or
``NA``). Country codes come from the release's ``country_codes_V<version>.csv`` with columns
``country_code,country_name,country_iso2,country_iso3`` (given among the files, or found next to
the data file). Codes without an ISO country (``490`` "Other Asia, nes", ...) are aggregates and
are left out with a warning.

**UN Comtrade** (Comtrade+ API / bulk CSV, as returned by ``comtradeapicall.getFinalData``):
columns ``typeCode, freqCode, refPeriodId, refYear, refMonth, period, reporterCode, reporterISO,
reporterDesc, flowCode, flowDesc, partnerCode, partnerISO, partnerDesc, partner2Code,
partner2ISO, partner2Desc, classificationCode, classificationSearchCode,
isOriginalClassification, cmdCode, cmdDesc, aggrLevel, isLeaf, customsCode, customsDesc,
mosCode, motCode, motDesc, qtyUnitCode, qtyUnitAbbr, qty, isQtyEstimated, altQtyUnitCode,
altQtyUnitAbbr, altQty, isAltQtyEstimated, netWgt, isNetWgtEstimated, grossWgt,
isGrossWgtEstimated, cifvalue, fobvalue, primaryValue, legacyEstimationFlag, isReported,
isAggregate``. Required: ``refYear, reporterISO, partnerISO, flowCode, cmdCode, netWgt`` (plus
``qty``/``qtyUnitAbbr`` used when ``netWgt`` is empty). ``flowCode`` ``M`` = import
(partner -> reporter), ``X`` = export (reporter -> partner); re-exports/re-imports (``RX``,
``RM``) and other flows are skipped. Only totals are kept (``partner2ISO`` empty or ``W00``,
``customsCode`` empty or ``C00``, ``motCode`` empty or ``0``), so breakdown rows are not counted
twice; partner ``W00`` (World) and other non-ISO areas are aggregates, left out with a note.
Weights are kilograms (divided by 1000). **Mirror flows**: when both the importer and the
exporter report the same flow, the importer's figure is used (imports are recorded more
reliably, and this keeps one figure per flow) and the exporter's report is noted as dropped.
"""
from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from graphmodel.errors import Problem, ValidationError
from graphmodel.io.normalize import country_name, normalize_country
from graphmodel.io.numeric import parse_number

from .fragment import (COUNTRY_LEVEL, Ingested, SourceRef, build_network, csv_rows, decode_text,
                       note, notes_frame)

#: HS prefix -> (material, supplier stage, customer stage)
HS_PRODUCTS: dict[str, tuple[str, str, str]] = {
    "2846": ("RE compounds (HS 2846)", "separator", "metal"),
    "280530": ("RE metals (HS 280530)", "metal", "magnet"),
    "850511": ("permanent magnets (HS 850511)", "magnet", "motor"),
}
BACI_COLUMNS = ("t", "i", "j", "k", "v", "q")
BACI_CODE_COLUMNS = ("country_code", "country_name", "country_iso2", "country_iso3")
COMTRADE_REQUIRED = ("refYear", "reporterISO", "partnerISO", "flowCode", "cmdCode", "netWgt")
LAYOUTS = ("baci", "comtrade")
_MISSING = ("", "NA", "na", "N/A")


def hs_product(code: str) -> tuple[str, str, str] | None:
    """(material, supplier stage, customer stage) of an HS code, None if not a rare-earth product."""
    code = code.strip()
    for prefix, product in HS_PRODUCTS.items():
        if code.startswith(prefix):
            return product
    return None


def read_trade(paths: list[str | Path], *, layout: str | None = None) -> Ingested:
    """Country-level links and nodes from BACI or Comtrade CSV files (see the module docstring).

    ``layout`` is ``"baci"`` or ``"comtrade"``; ``None`` detects it from each file's header.
    BACI country-code tables may be among ``paths``. Raises
    :class:`graphmodel.errors.ValidationError` with ``file:row:column`` problems.
    """
    if layout is not None and layout not in LAYOUTS:
        raise ValueError(f"unknown layout '{layout}' (expected one of {', '.join(LAYOUTS)})")
    tables = [_read_csv(Path(p)) for p in paths]
    code_tables = [t for t in tables if _is_code_table(t)]
    data_tables = [t for t in tables if not _is_code_table(t)]
    flows, notes, problems = [], [], []
    for table in data_tables:
        kind = layout or _detect_layout(table)
        if kind == "baci":
            codes = _baci_codes(table, code_tables, problems)
            if codes is None:
                continue
            found, table_notes, table_problems = _baci_flows(table, codes)
        else:
            found, table_notes, table_problems = _comtrade_flows(table)
        flows += found
        notes += table_notes
        problems += table_problems
    if problems:
        raise ValidationError(problems)
    if not flows:
        labels = ", ".join(t.label for t in data_tables) or "(no data files)"
        raise ValidationError([Problem(labels, 0, "-", "no rare-earth trade flows (HS 2846, "
                                       "280530, 850511) with a quantity")])
    years = sorted({f["year"] for f in flows})
    if len(years) > 1:
        raise ValidationError([Problem(", ".join(t.label for t in data_tables), 0, "-",
                                       f"flows cover several years ({', '.join(map(str, years))}); "
                                       "ingest one year at a time")])
    facilities, links = _records(flows)
    return Ingested(build_network(facilities, links, name="trade"), notes_frame(notes))


# --- files -----------------------------------------------------------------------------------

class _Table:
    def __init__(self, path: Path, header: list[str], rows: list[dict]):
        self.path, self.label, self.header, self.rows = path, path.name, header, rows


def _read_csv(path: Path) -> _Table:
    text, problem = decode_text(path.read_bytes(), path.name, ("utf-8-sig",))
    if problem:
        raise ValidationError([problem])
    records = csv_rows(text, path.name)
    header = [h.strip() for h in (records[0][1] if records else [])]
    if not header:
        raise ValidationError([Problem(path.name, 1, "-", "file is empty (expected a header row)")])
    rows = []
    for number, cells in records[1:]:
        if any(c.strip() for c in cells):
            record = {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header)}
            record["_row"] = number
            rows.append(record)
    return _Table(path, header, rows)


def _is_code_table(table: _Table) -> bool:
    return "country_code" in table.header and "country_iso3" in table.header


def _detect_layout(table: _Table) -> str:
    if "refYear" in table.header or "reporterISO" in table.header:
        return "comtrade"
    if set(table.header) >= {"t", "i", "j", "k"}:
        return "baci"
    raise ValidationError([Problem(table.label, 1, "-", "cannot tell the layout: expected BACI "
                                   "columns t,i,j,k,v,q or Comtrade columns refYear, reporterISO, ...; "
                                   f"header has: {', '.join(table.header)}")])


def _missing_columns(table: _Table, required) -> list[Problem]:
    return [Problem(table.label, 1, c, f"missing required column '{c}' (header has: "
                    f"{', '.join(table.header)})") for c in required if c not in table.header]


def _number(table: _Table, row: dict, column: str, problems: list) -> float | None:
    """A non-negative number, None when the cell is empty/NA; problems for anything else."""
    text = row[column]
    if text in _MISSING:
        return None
    try:
        value = parse_number(text)
    except ValueError as error:
        problems.append(Problem(table.label, row["_row"], column, str(error)))
        return None
    if value < 0:
        problems.append(Problem(table.label, row["_row"], column, f"must be >= 0, got {text}"))
        return None
    return value


# --- BACI ------------------------------------------------------------------------------------

def _baci_codes(table: _Table, code_tables: list[_Table], problems: list) -> dict | None:
    """BACI numeric code -> ISO alpha-2 (None for aggregates such as 490 'Other Asia, nes')."""
    candidates = code_tables or _sibling_code_tables(table.path)
    if not candidates:
        problems.append(Problem(table.label, 0, "-", "BACI needs its country code table "
                                "(country_codes_V<version>.csv): pass it among the files or put it "
                                "next to the data file"))
        return None
    codes = {}
    for codes_table in candidates:
        missing = _missing_columns(codes_table, BACI_CODE_COLUMNS)
        if missing:
            problems.extend(missing)
            return None
        for row in codes_table.rows:
            codes[row["country_code"].lstrip("0") or "0"] = (
                normalize_country(row["country_iso3"]) if row["country_iso3"] else None,
                row["country_name"])
    return codes


def _sibling_code_tables(path: Path) -> list[_Table]:
    return [_read_csv(p) for p in sorted(path.parent.glob("country_codes*.csv"))]


def _baci_flows(table: _Table, codes: dict):
    problems = _missing_columns(table, BACI_COLUMNS)
    if problems:
        return [], [], problems
    release = _baci_release(table.label)
    flows, notes = [], []
    for row in table.rows:
        product = hs_product(row["k"])
        if product is None:
            continue
        if not re.fullmatch(r"\d{4}", row["t"]):
            problems.append(Problem(table.label, row["_row"], "t", f"expected a year, got '{row['t']}'"))
            continue
        ends = []
        for column in ("i", "j"):
            key = row[column].lstrip("0") or "0"
            if key not in codes:
                problems.append(Problem(table.label, row["_row"], column,
                                        f"country code '{row[column]}' is not in the country code table"))
            ends.append(codes.get(key))
        tonnes = _number(table, row, "q", problems)
        value = _number(table, row, "v", problems)
        if None in ends:
            continue
        (exporter, exporter_name), (importer, importer_name) = ends
        if exporter is None or importer is None:
            area = exporter_name if exporter is None else importer_name
            notes.append(note("warning", table.label, row["_row"], "i" if exporter is None else "j",
                              f"'{area}' is not a country (aggregate area); flow left out"))
            continue
        if tonnes is None:
            if row["q"] in _MISSING:
                notes.append(note("warning", table.label, row["_row"], "q",
                                  f"no quantity for {exporter} -> {importer} HS {row['k']}; flow left out"))
            continue
        flows.append(_flow(exporter, importer, product, row["k"], tonnes, value,
                           int(row["t"]), f"CEPII BACI {release}, {row['t']}",
                           (table.label, row["_row"]), _BACI_CELLS))
    return flows, notes, problems


#: Interchange column of a flow's records -> the BACI column it was read from.
_BACI_CELLS = {"volume": "q", "value_kusd": "v", "year": "t", "hs_code": "k", "material": "k",
               "supplier": "i", "customer": "j", "exporter": "i", "importer": "j"}


def _baci_release(filename: str) -> str:
    match = re.search(r"BACI_(HS\d{2})_Y\d{4}_(V\d{6})", filename)
    return f"{match.group(1)} {match.group(2)}" if match else f"({filename})"


# --- Comtrade --------------------------------------------------------------------------------

def _comtrade_flows(table: _Table):
    problems = _missing_columns(table, COMTRADE_REQUIRED)
    if problems:
        return [], [], problems
    notes, reports = [], {}
    for row in table.rows:
        product = hs_product(row["cmdCode"])
        if product is None or not _is_total(row):
            continue
        flow = row["flowCode"]
        if flow not in ("M", "X"):
            notes.append(note("info", table.label, row["_row"], "flowCode",
                              f"flow '{flow}' is not an import (M) or export (X); left out"))
            continue
        if not re.fullmatch(r"\d{4}", row["refYear"]):
            problems.append(Problem(table.label, row["_row"], "refYear",
                                    f"expected a year, got '{row['refYear']}'"))
            continue
        ends = _comtrade_ends(table, row, notes, problems)
        tonnes = _comtrade_tonnes(table, row, notes, problems)
        if ends is None or tonnes is None:
            continue
        exporter, importer = ends
        value = _number(table, row, "primaryValue", problems) if "primaryValue" in row else None
        key = (exporter, importer, product[0], int(row["refYear"]), row["cmdCode"])
        reports.setdefault(key, {})[flow] = (row, tonnes, value)
    flows = []
    for (exporter, importer, material, year, code), by_flow in reports.items():
        chosen = "M" if "M" in by_flow else "X"
        row, tonnes, value = by_flow[chosen]
        if len(by_flow) == 2:
            dropped = by_flow["X"][0]
            notes.append(note("info", table.label, dropped["_row"], "flowCode",
                              f"mirror flow {exporter} -> {importer} HS {code} {year}: exporter's "
                              f"report ({by_flow['X'][1]:g} t) dropped, importer's ({tonnes:g} t, row "
                              f"{row['_row']}) used"))
        flows.append(_flow(exporter, importer, hs_product(code), code, tonnes,
                           None if value is None else value / 1000, year, f"UN Comtrade, {year}",
                           (table.label, row["_row"]), _comtrade_cells(row)))
    return flows, notes, problems


def _comtrade_cells(row: dict) -> dict[str, str]:
    """Interchange column of a flow's records -> the Comtrade column it was read from."""
    exporter, importer = (("partnerISO", "reporterISO") if row["flowCode"] == "M"
                          else ("reporterISO", "partnerISO"))
    weight = "qty" if row["netWgt"] in _MISSING else "netWgt"
    return {"volume": weight, "value_kusd": "primaryValue", "year": "refYear", "hs_code": "cmdCode",
            "material": "cmdCode", "supplier": exporter, "customer": importer,
            "exporter": exporter, "importer": importer}


def _is_total(row: dict) -> bool:
    return (row.get("partner2ISO", "") in ("", "W00") and row.get("customsCode", "") in ("", "C00")
            and row.get("motCode", "") in ("", "0"))


def _comtrade_ends(table, row, notes, problems):
    codes = []
    for column in ("reporterISO", "partnerISO"):
        text = row[column]
        code = normalize_country(text) if re.fullmatch(r"[A-Z]{3}", text) else None
        if code is None:
            if text == "W00" or re.fullmatch(r"[A-Z_]\w{2}", text or "-"):
                notes.append(note("warning", table.label, row["_row"], column,
                                  f"'{text}' is not a country (world or aggregate area); flow left out"))
            else:
                problems.append(Problem(table.label, row["_row"], column,
                                        f"expected an ISO 3166 alpha-3 code, got '{text}'"))
            return None
        codes.append(code)
    reporter, partner = codes
    return (partner, reporter) if row["flowCode"] == "M" else (reporter, partner)


def _comtrade_tonnes(table, row, notes, problems):
    kilograms = _number(table, row, "netWgt", problems)
    if kilograms is None and row["netWgt"] in _MISSING and row.get("qtyUnitAbbr") == "kg":
        kilograms = _number(table, row, "qty", problems)
    if kilograms is None:
        if row["netWgt"] in _MISSING:
            notes.append(note("warning", table.label, row["_row"], "netWgt",
                              "no net weight (and no quantity in kg); flow left out"))
        return None
    return kilograms / 1000


# --- records ---------------------------------------------------------------------------------

def _flow(exporter, importer, product, hs_code, tonnes, value, year, source, origin, cells) -> dict:
    """One trade flow; ``origin`` = (file, row) it was read from, ``cells`` = interchange column
    -> source column (so a problem with the records built from it names the user's cell)."""
    material, supplier_stage, customer_stage = product
    return {"exporter": exporter, "importer": importer, "material": material,
            "supplier_stage": supplier_stage, "customer_stage": customer_stage,
            "hs_code": hs_code, "tonnes": tonnes, "value": value, "year": year, "source": source,
            "origin": origin, "cells": cells}


def aggregate_id(country: str, stage: str) -> str:
    """Id of a country-level node: ``CN-separator-agg``."""
    return f"{country}-{stage}-agg"


def _records(flows: list[dict]) -> tuple[list[dict], list[dict]]:
    """Facility and link records; each carries ``_source``, the first source row it was built
    from (a link also lists every row summed into it), so validation problems name it."""
    links: dict[tuple, dict] = {}
    nodes: dict[str, dict] = {}
    rows: dict[tuple, list] = {}
    for flow in flows:
        supplier = aggregate_id(flow["exporter"], flow["supplier_stage"])
        customer = aggregate_id(flow["importer"], flow["customer_stage"])
        file, row = flow["origin"]
        for node_id, country, stage, end in (
                (supplier, flow["exporter"], flow["supplier_stage"], "exporter"),
                (customer, flow["importer"], flow["customer_stage"], "importer")):
            cells = {"id": flow["cells"][end], "country": flow["cells"][end],
                     "name": flow["cells"][end], "stage": flow["cells"]["hs_code"],
                     "year": flow["cells"]["year"], "source": flow["cells"]["year"]}
            nodes.setdefault(node_id, {
                "id": node_id, "name": f"{country_name(country)} {stage} (country aggregate)",
                "stage": stage, "country": country, "unit": "t/yr", "status": "operating",
                "source": flow["source"], "year": flow["year"], "basis": "estimated",
                "level": COUNTRY_LEVEL, "_source": SourceRef(file, row, cells)})
        key = (supplier, customer, flow["material"])
        rows.setdefault(key, []).append((file, row))
        link = links.setdefault(key, {
            "supplier": supplier, "customer": customer, "material": flow["material"], "volume": 0.0,
            "status": "qualified", "source": flow["source"], "year": flow["year"],
            "basis": "estimated", "hs_code": set(), "value_kusd": 0.0,
            "_source": SourceRef(file, row, flow["cells"])})
        link["volume"] += flow["tonnes"]
        link["hs_code"].add(flow["hs_code"])
        link["value_kusd"] += flow["value"] or 0.0
    for key, link in links.items():
        first = link["_source"]
        link["_source"] = SourceRef(first.file, first.row, first.columns, tuple(rows[key]))
        link["hs_code"] = ";".join(sorted(link["hs_code"]))
        link["volume"] = round(link["volume"], 6)
    return list(nodes.values()), list(links.values())
