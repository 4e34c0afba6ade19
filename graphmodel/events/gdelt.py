"""GDELT 2.0 event exports and GKG 2.1 files -> event records.

Two layouts of each are read:

* as published (``YYYYMMDDHHMMSS.export.CSV``, ``YYYYMMDDHHMMSS.gkg.csv``): tab-separated,
  no header, 61 columns (events) or 27 columns (GKG) in the order of the GDELT 2.0
  codebooks (:data:`EVENT_FIELDS`, :data:`GKG_FIELDS`);
* as exported from GDELT's BigQuery tables: a header row with those column names, comma- or
  tab-separated, any subset of columns that includes the required ones
  (``SQLDATE`` and ``SOURCEURL`` for events; ``DATE`` and ``DocumentIdentifier`` for GKG).

An event record has no headline: its ``title`` is built from its actors, its CAMEO event
code and its place (``"CHINA / UNITED STATES: 163 (impose embargo, boycott or sanctions),
Beijing, China"``), and its ``text`` adds the words of the source URL's path (article slugs
name the story: ``/china-tightens-rare-earth-exports/``), which is what matching reads. GKG
records take the title from ``<PAGE_TITLE>`` in ``Extras`` when present, and their text from
organisations, persons, locations and themes (``ECON_EXPORTCONTROLS`` -> "econ
exportcontrols"). The ``country`` hint is the event's place (``ActionGeo_CountryCode``) or
the GKG's first location, both FIPS 10-4 codes in GDELT (``CH`` is China, ``BM`` Burma,
``AS`` Australia); they are mapped with :data:`FIPS_TO_ISO`, and a FIPS code missing there
leaves the hint empty with a note (matching still reads the place name in the text).
"""
from __future__ import annotations

import re
from urllib.parse import unquote, urlparse

from ..errors import Problem, ValidationError
from .rows import csv_records

__all__ = ["EVENT_FIELDS", "GKG_FIELDS", "FIPS_TO_ISO", "CAMEO_ROOTS", "detect", "read_gdelt"]

EVENT_FIELDS = (
    "GLOBALEVENTID", "SQLDATE", "MonthYear", "Year", "FractionDate", "Actor1Code", "Actor1Name",
    "Actor1CountryCode", "Actor1KnownGroupCode", "Actor1EthnicCode", "Actor1Religion1Code",
    "Actor1Religion2Code", "Actor1Type1Code", "Actor1Type2Code", "Actor1Type3Code", "Actor2Code",
    "Actor2Name", "Actor2CountryCode", "Actor2KnownGroupCode", "Actor2EthnicCode",
    "Actor2Religion1Code", "Actor2Religion2Code", "Actor2Type1Code", "Actor2Type2Code",
    "Actor2Type3Code", "IsRootEvent", "EventCode", "EventBaseCode", "EventRootCode", "QuadClass",
    "GoldsteinScale", "NumMentions", "NumSources", "NumArticles", "AvgTone", "Actor1Geo_Type",
    "Actor1Geo_FullName", "Actor1Geo_CountryCode", "Actor1Geo_ADM1Code", "Actor1Geo_ADM2Code",
    "Actor1Geo_Lat", "Actor1Geo_Long", "Actor1Geo_FeatureID", "Actor2Geo_Type",
    "Actor2Geo_FullName", "Actor2Geo_CountryCode", "Actor2Geo_ADM1Code", "Actor2Geo_ADM2Code",
    "Actor2Geo_Lat", "Actor2Geo_Long", "Actor2Geo_FeatureID", "ActionGeo_Type",
    "ActionGeo_FullName", "ActionGeo_CountryCode", "ActionGeo_ADM1Code", "ActionGeo_ADM2Code",
    "ActionGeo_Lat", "ActionGeo_Long", "ActionGeo_FeatureID", "DATEADDED", "SOURCEURL")
GKG_FIELDS = (
    "GKGRECORDID", "DATE", "SourceCollectionIdentifier", "SourceCommonName", "DocumentIdentifier",
    "Counts", "V2Counts", "Themes", "V2Themes", "Locations", "V2Locations", "Persons", "V2Persons",
    "Organizations", "V2Organizations", "V2Tone", "Dates", "GCAM", "SharingImage", "RelatedImages",
    "SocialImageEmbeds", "SocialVideoEmbeds", "Quotations", "AllNames", "Amounts",
    "TranslationInfo", "Extras")
_REQUIRED = {"gdelt-events": ("SQLDATE", "SOURCEURL"), "gdelt-gkg": ("DATE", "DocumentIdentifier")}

#: FIPS 10-4 country codes (GDELT's geography) -> ISO 3166-1 alpha-2, for the countries of the
#: rare-earth chain and its customers. Where FIPS and ISO differ the difference matters:
#: FIPS ``CH`` is China (ISO ``CH`` is Switzerland), ``AS`` Australia, ``BM`` Burma, ``RS``
#: Russia (ISO ``RS`` is Serbia), ``WA`` Namibia.
FIPS_TO_ISO = {
    "CH": "CN", "US": "US", "AS": "AU", "BM": "MM", "MY": "MY", "JA": "JP", "KS": "KR",
    "KN": "KP", "VM": "VN", "LA": "LA", "TH": "TH", "IN": "IN", "RS": "RU", "BR": "BR",
    "CA": "CA", "GM": "DE", "FR": "FR", "UK": "GB", "EN": "EE", "SZ": "CH", "SP": "ES",
    "DA": "DK", "MX": "MX", "GL": "GL", "TZ": "TZ", "AO": "AO", "SF": "ZA", "MA": "MG",
    "NI": "NG", "TW": "TW", "HK": "HK", "IT": "IT", "NL": "NL", "BE": "BE", "SW": "SE",
    "NO": "NO", "FI": "FI", "PL": "PL", "AU": "AT", "EZ": "CZ", "TU": "TR", "ID": "ID",
    "RP": "PH", "SN": "SG", "PK": "PK", "KZ": "KZ", "MG": "MN", "CI": "CL", "AR": "AR",
    "PE": "PE", "NZ": "NZ", "SA": "SA", "AE": "AE", "IS": "IL", "IR": "IR", "UP": "UA",
    "CG": "CD", "WA": "NA", "ZA": "ZM", "KE": "KE", "MZ": "MZ", "MI": "MW", "BL": "BO",
}

#: CAMEO root codes (two digits) as words, for the title of an event record.
CAMEO_ROOTS = {
    "01": "make public statement", "02": "appeal", "03": "express intent to cooperate",
    "04": "consult", "05": "engage in diplomatic cooperation", "06": "engage in material "
    "cooperation", "07": "provide aid", "08": "yield", "09": "investigate", "10": "demand",
    "11": "disapprove", "12": "reject", "13": "threaten", "14": "protest", "15": "exhibit force "
    "posture", "16": "reduce relations", "17": "coerce", "18": "assault", "19": "fight",
    "20": "use unconventional mass violence",
}
#: CAMEO codes below the root that matter for supply (three or four digits).
CAMEO_CODES = {
    "163": "impose embargo, boycott or sanctions", "1431": "conduct strike or boycott for "
    "leadership change", "143": "conduct strike or boycott", "1432": "conduct strike or boycott "
    "for policy change", "1433": "conduct strike or boycott for rights", "1434": "conduct "
    "strike or boycott for change in institutions", "1621": "reduce or stop economic "
    "assistance", "172": "impose administrative sanctions", "1721": "impose restrictions on "
    "political freedoms", "1722": "ban political parties or politicians", "193": "fight with "
    "small arms and light weapons", "195": "employ aerial weapons",
}


def detect(first_line: str) -> str | None:
    """``gdelt-events``, ``gdelt-gkg`` or None, from the first line of a file."""
    cells = re.split(r"[\t,]", first_line.rstrip("\r\n"))
    if "GLOBALEVENTID" in cells or "SQLDATE" in cells:
        return "gdelt-events"
    if "GKGRECORDID" in cells or "DocumentIdentifier" in cells:
        return "gdelt-gkg"
    tabs = first_line.rstrip("\r\n").split("\t")
    if len(tabs) == len(EVENT_FIELDS) and re.fullmatch(r"\d+", tabs[0]) and re.fullmatch(r"\d{8}", tabs[1]):
        return "gdelt-events"
    if len(tabs) == len(GKG_FIELDS) and re.fullmatch(r"\d{14}", tabs[1]):
        return "gdelt-gkg"
    return None


def read_gdelt(text: str, label: str, layout: str) -> tuple[list[dict], list[str]]:
    """``(records, notes)`` of a GDELT file in ``layout`` (see the module docstring)."""
    fields = EVENT_FIELDS if layout == "gdelt-events" else GKG_FIELDS
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first else ","
    rows = csv_records(text, label, delimiter)
    if any(cell.strip() in fields for cell in rows[0][1]):
        header = [cell.strip() for cell in rows[0][1]]
        body = rows[1:]
        missing = [c for c in _REQUIRED[layout] if c not in header]
        if missing:
            raise ValidationError([Problem(label, 1, c, f"missing required column '{c}' (a "
                                           f"{layout} file needs {', '.join(_REQUIRED[layout])})")
                                   for c in missing])
    else:
        header, body = list(fields), rows
    problems, records, notes = [], [], []
    for number, cells in body:
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            problems.append(Problem(label, number, "-", f"{len(cells)} fields; the header (or the "
                                    f"GDELT layout) has {len(header)}"))
            continue
        row = dict(zip(header, (c.strip() for c in cells)))
        record = _event(row) if layout == "gdelt-events" else _gkg(row)
        fips = record.pop("_fips", "")
        if fips and fips not in FIPS_TO_ISO:
            notes.append(f"{label}:{number}: GDELT country code '{fips}' (FIPS 10-4) has no ISO "
                         "mapping in tiern; the country hint is left empty")
        record["country"] = FIPS_TO_ISO.get(fips, "")
        record["_row"] = number
        records.append(record)
    if problems:
        raise ValidationError(problems)
    return records, notes


def url_words(url: str) -> str:
    """The words of a URL's path (``/2025/04/china-tightens-rare-earth-exports.html`` ->
    ``"china tightens rare earth exports html"``), for matching."""
    path = unquote(urlparse(url).path)
    return " ".join(w for w in re.split(r"[^A-Za-z0-9]+", path) if w and not w.isdigit())


def _event(row: dict) -> dict:
    actors = " / ".join(a for a in (row.get("Actor1Name", ""), row.get("Actor2Name", "")) if a)
    code = row.get("EventCode", "")
    action = CAMEO_CODES.get(code) or CAMEO_ROOTS.get(row.get("EventRootCode", "") or code[:2], "")
    what = f"{code} ({action})" if code and action else code
    place = row.get("ActionGeo_FullName", "")
    title = ": ".join(p for p in (actors, ", ".join(p for p in (what, place) if p)) if p)
    url = row.get("SOURCEURL", "")
    text = " ".join(p for p in (title, url_words(url)) if p)
    return {"date": row.get("SQLDATE", ""), "title": title or url, "text": text, "url": url,
            "_fips": row.get("ActionGeo_CountryCode", ""),
            "_columns": {"date": "SQLDATE", "title": "Actor1Name", "url": "SOURCEURL",
                         "country": "ActionGeo_CountryCode"}}


_PAGE_TITLE = re.compile(r"<PAGE_TITLE>(.*?)</PAGE_TITLE>", re.S)


def _names(cell: str, position: int = 0) -> list[str]:
    """Names in a GKG list cell (``name,offset;name,offset`` or ``a#b#c;...``)."""
    out = []
    for part in filter(None, cell.split(";")):
        name = re.split(r"[#,]", part)[position] if position < len(re.split(r"[#,]", part)) else ""
        if name and name not in out:
            out.append(name)
    return out


def _gkg(row: dict) -> dict:
    found = _PAGE_TITLE.search(row.get("Extras", ""))
    url = row.get("DocumentIdentifier", "")
    title = found.group(1).strip() if found else url_words(url)
    locations = row.get("V2Locations") or row.get("Locations", "")
    place_names = _names(locations, 1)
    fips = next((re.split("#", part)[2] for part in filter(None, locations.split(";"))
                 if len(part.split("#")) > 2 and part.split("#")[2]), "")
    themes = [t.replace("_", " ").casefold() for t in _names(row.get("V2Themes") or row.get("Themes", ""))]
    parts = [title, "; ".join(_names(row.get("V2Organizations") or row.get("Organizations", ""))),
             "; ".join(_names(row.get("V2Persons") or row.get("Persons", ""))),
             "; ".join(place_names), "; ".join(themes), url_words(url)]
    return {"date": row.get("DATE", ""), "title": title or url,
            "text": " | ".join(p for p in parts if p), "url": url, "_fips": fips,
            "_columns": {"date": "DATE", "title": "Extras", "url": "DocumentIdentifier",
                         "country": "V2Locations"}}
