"""Event files -> one validated event table.

An *event* is one news item or one GDELT record: something that happened on a date and may
concern facilities, countries or materials of a network. Whatever the source, events become
one table with the columns :data:`EVENT_COLUMNS`:

==============  ==========================================================================
``id``          16 hex digits of SHA-256 over ``url``, ``date`` and ``title``: the key that
                ``tiern watch`` keeps in its state so that an event is alerted once
``date``        ISO date ``YYYY-MM-DD`` (required)
``title``       headline (required; for a GDELT event record, built from its actors and
                place, see :mod:`graphmodel.events.gdelt`)
``text``        summary or body, tags removed ("" when the source gives none)
``url``         the source article ("" when none)
``country``     optional hint: ISO 3166-1 alpha-2 (alpha-3 and names are normalised; ``NA`` is
                Namibia, never "missing")
``facility``    optional hint: a facility id or name of the network
``material``    optional hint: a material of the network (``Dy oxide``) or an element symbol
``kind``        optional hint: a kind of the rules (``outage``, ``export_control``, ...)
``severity``    optional hint: capacity lost, a number in 0..1 (empty = the rule's default)
``format``      the source format: ``csv``, ``json``, ``rss``, ``atom``, ``gdelt-events``,
                ``gdelt-gkg``
``file``, ``row``  where the event was read (row as in a spreadsheet: the header is row 1;
                for JSON and feeds the item's position, 1 for the first)
==============  ==========================================================================

Formats (detected from the content, not the extension):

* **simple CSV** (UTF-8): header with at least ``date,title,text,url``, optionally
  ``country,facility,material,kind,severity``; other columns are ignored;
* **JSON**: a list of objects with the same keys (or ``{"events": [...]}``);
* **RSS 2.0, RSS 1.0 (RDF) or Atom** feeds (:mod:`graphmodel.events.feeds`, parsed with
  ``defusedxml``: a DTD or an entity declaration is refused);
* **GDELT 2.0** event exports and GKG 2.1 files, tab-separated without a header as
  published, or comma/tab-separated with the BigQuery column names as header
  (:mod:`graphmodel.events.gdelt`).

Bad input is a :class:`~graphmodel.errors.ValidationError` listing every problem as
``file:row:column: message``: a file larger than :data:`~graphmodel.limits.MAX_EVENT_FILE_BYTES`,
more than :data:`~graphmodel.limits.MAX_EVENTS` events, a field longer than
:data:`~graphmodel.limits.MAX_EVENT_CELL_CHARS`, a NUL byte, text that is not UTF-8, malformed
CSV/JSON/XML, a missing or impossible date, a missing title, an unknown country, a severity
outside 0..1. Text cells are kept as written (a title starting with ``=`` stays text: tiern's
CSV and workbook writers quote it, see :func:`graphmodel.output.neutralise`). The same event
twice in one file (same ``id``) is kept once and noted.
"""
from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import Problem, ValidationError
from ..io.normalize import normalize_country
from ..io.numeric import parse_number
from ..limits import MAX_EVENT_CELL_CHARS, MAX_EVENT_FILE_BYTES, MAX_EVENTS
from . import feeds, gdelt
from .rows import csv_records

__all__ = ["EVENT_COLUMNS", "HINT_COLUMNS", "SIMPLE_COLUMNS", "EventBatch", "read_events",
           "parse_events", "parse_date", "event_id", "csv_records", "read_alias_table"]

#: Required header of the simple CSV format.
SIMPLE_COLUMNS = ("date", "title", "text", "url")
#: Optional hint columns of the simple formats.
HINT_COLUMNS = ("country", "facility", "material", "kind", "severity")
EVENT_COLUMNS = ["id", "date", "title", "text", "url", *HINT_COLUMNS, "format", "file", "row"]
_TEXT_FIELDS = ("title", "text", "url", "facility", "material", "kind")


@dataclass
class EventBatch:
    """The events of one file and the notes made while reading it (dropped duplicates,
    GDELT country codes with no ISO equivalent)."""

    events: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def read_events(path: str | Path) -> EventBatch:
    """Read an event file in any supported format (see the module docstring)."""
    path = Path(path)
    if not path.is_file():
        raise ValidationError([Problem(path.name, 0, "-", "no such event file")])
    size = path.stat().st_size
    if size > MAX_EVENT_FILE_BYTES:   # refuse before reading it into memory
        raise ValidationError([_too_large(path.name, size)])
    return parse_events(path.read_bytes(), path.name)


def _too_large(label: str, size: int) -> Problem:
    return Problem(label, 0, "-", f"file is {size:,} bytes; event files are limited to "
                                  f"{MAX_EVENT_FILE_BYTES:,} bytes (split it)")


def parse_events(data: bytes, label: str) -> EventBatch:
    """Events from the bytes of a file called ``label`` (the format is detected)."""
    if len(data) > MAX_EVENT_FILE_BYTES:
        raise ValidationError([_too_large(label, len(data))])
    text = _decode(data, label)
    head = text.lstrip()[:1]
    if head == "<":
        fmt, records = feeds.read_feed(text, label)
    elif head in ("[", "{"):
        fmt, records = "json", _json_records(text, label)
    else:
        first = text.split("\n", 1)[0]
        layout = gdelt.detect(first)
        if layout:
            fmt, records, notes = layout, *gdelt.read_gdelt(text, label, layout)
            return _finish(records, fmt, label, notes)
        fmt, records = "csv", _csv_event_records(text, label)
    return _finish(records, fmt, label, [])


def _decode(data: bytes, label: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ValidationError([Problem(label, 1, "-", "file is UTF-16 encoded; expected UTF-8")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise ValidationError([Problem(label, line, "-", f"file is not UTF-8 text (byte "
                                       f"0x{data[error.start:error.start + 1].hex()} on line "
                                       f"{line})")]) from None
    if "\x00" in text:
        line = text[:text.index("\x00")].count("\n") + 1
        raise ValidationError([Problem(label, line, "-", "NUL byte in the file (not a text file)")])
    if not text.strip():
        raise ValidationError([Problem(label, 0, "-", "file is empty (no events)")])
    return text


# --- the simple formats ---------------------------------------------------------------------------

def _csv_event_records(text: str, label: str) -> list[dict]:
    records = csv_records(text, label)
    header = [h.strip() for h in records[0][1]]
    missing = [c for c in SIMPLE_COLUMNS if c not in header]
    if missing:
        raise ValidationError([Problem(label, 1, c, f"missing required column '{c}' (header has: "
                                       f"{', '.join(header) or 'nothing'}; an event CSV needs "
                                       f"{','.join(SIMPLE_COLUMNS)})") for c in missing])
    wanted = [c for c in (*SIMPLE_COLUMNS, *HINT_COLUMNS) if c in header]
    out = []
    for number, cells in records[1:]:
        if not any(c.strip() for c in cells):
            continue
        record = {c: (cells[header.index(c)] if header.index(c) < len(cells) else "") for c in wanted}
        record["_row"] = number
        out.append(record)
    return out


def _json_records(text: str, label: str) -> list[dict]:
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        raise ValidationError([Problem(label, error.lineno, "-", f"malformed JSON at line "
                                       f"{error.lineno}, column {error.colno}: {error.msg}")]) from None
    except ValueError as error:
        raise ValidationError([Problem(label, 0, "-", str(error))]) from None
    if isinstance(data, dict) and isinstance(data.get("events"), list):
        data = data["events"]
    if not isinstance(data, list):
        raise ValidationError([Problem(label, 0, "-", "expected a list of event objects (or "
                                       "{\"events\": [...]})")])
    if len(data) > MAX_EVENTS:
        raise ValidationError([Problem(label, 0, "-", f"more than {MAX_EVENTS:,} events in one "
                                       "file (split it)")])
    out, problems = [], []
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            problems.append(Problem(label, number, "-", "expected an object with date, title, "
                                    "text, url"))
            continue
        record = {"_row": number}
        for key in (*SIMPLE_COLUMNS, *HINT_COLUMNS):
            value = item.get(key)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                problems.append(Problem(label, number, key, "expected a text or a number"))
                continue
            record[key] = str(value)
        out.append(record)
    if problems:
        raise ValidationError(problems)
    return out


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number tiern accepts")


# --- validation shared by every format --------------------------------------------------------

_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?"
                       r"(Z|[+-]\d{2}:?\d{2})?)?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(\d{6})?$")


def parse_date(text: str) -> dt.date | None:
    """A date written as ISO 8601 (``2025-04-04``, ``2025-04-04T10:00:00Z``), RFC 822 as in
    RSS (``Fri, 04 Apr 2025 10:00:00 GMT``) or GDELT's ``YYYYMMDD[HHMMSS]``; None if it is
    none of these or not a real date (``2025-02-30``), or its year is outside 1900..2100.

    >>> parse_date("2025-10-09"), parse_date("20251009"), parse_date("Thu, 09 Oct 2025 08:00:00 +0800")
    (datetime.date(2025, 10, 9), datetime.date(2025, 10, 9), datetime.date(2025, 10, 9))
    """
    text = str(text).strip()
    match = _ISO_DATE.match(text) or _COMPACT.match(text)
    try:
        if match:
            value = dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
            if match.re is _COMPACT and match.group(4):   # HHMMSS must be a real time
                dt.time(int(match.group(4)[:2]), int(match.group(4)[2:4]), int(match.group(4)[4:]))
        elif re.match(r"^[A-Za-z]{3},? ", text) or re.match(r"^\d{1,2} [A-Za-z]{3} \d{4}", text):
            value = email.utils.parsedate_to_datetime(text).date()
        else:
            return None
    except (ValueError, TypeError, IndexError):
        return None
    return value if 1900 <= value.year <= 2100 else None


def event_id(url: str, date: str, title: str) -> str:
    """The event's key: 16 hex digits of SHA-256 over ``url``, ``date`` and ``title``."""
    return hashlib.sha256(f"{url}\n{date}\n{title}".encode()).hexdigest()[:16]


def _finish(records: list[dict], fmt: str, label: str, notes: list[str]) -> EventBatch:
    """Validate the records of any format into the event table (every problem at once)."""
    if len(records) > MAX_EVENTS:
        raise ValidationError([Problem(label, 0, "-", f"more than {MAX_EVENTS:,} events in one "
                                       "file (split it)")])
    problems: list[Problem] = []
    rows, seen = [], {}
    for record in records:
        row, names = record["_row"], record.get("_columns", {})

        def problem(column: str, message: str) -> None:
            problems.append(Problem(label, row, names.get(column, column), message))

        values = {c: str(record.get(c, "") or "") for c in (*SIMPLE_COLUMNS, *HINT_COLUMNS)}
        for column, value in values.items():
            if len(value) > MAX_EVENT_CELL_CHARS:
                problem(column, f"{len(value):,} characters; an event field is limited to "
                                f"{MAX_EVENT_CELL_CHARS:,}")
                values[column] = ""
        for column in ("title", "url", "country", "facility", "material", "kind", "severity"):
            values[column] = values[column].strip()
        date = parse_date(values["date"])
        if not values["date"].strip():
            problem("date", "missing value (required)")
        elif date is None:
            problem("date", f"not a date: '{values['date'].strip()}' (expected YYYY-MM-DD, an "
                            "RFC 822 date as in RSS, or YYYYMMDD)")
        if not values["title"]:
            problem("title", "missing value (required)")
        country = ""
        if values["country"]:
            country = normalize_country(values["country"]) or ""
            if not country:
                problem("country", f"unknown country '{values['country']}' (use an ISO 3166 "
                                   "alpha-2 code, an alpha-3 code or an English name)")
        severity = float("nan")
        if values["severity"]:
            try:
                severity = parse_number(values["severity"])
            except ValueError as error:
                problem("severity", f"{error}")
            else:
                if not 0.0 <= severity <= 1.0:
                    problem("severity", f"must be between 0 and 1 (capacity lost), got "
                                        f"{values['severity']}")
        kind = re.sub(r"[\s-]+", "_", values["kind"].casefold())
        iso = date.isoformat() if date else ""
        key = event_id(values["url"], iso, values["title"])
        if key in seen:
            notes.append(f"{label}:{row}: the same event as row {seen[key]} (same url, date and "
                         "title); kept once")
            continue
        seen[key] = row
        rows.append({"id": key, "date": iso, "title": values["title"], "text": values["text"],
                     "url": values["url"], "country": country, "facility": values["facility"],
                     "material": values["material"], "kind": kind, "severity": severity,
                     "format": fmt, "file": label, "row": row})
    if problems:
        raise ValidationError(problems)
    if not rows:
        raise ValidationError([Problem(label, 0, "-", "no events in the file")])
    frame = pd.DataFrame(rows, columns=EVENT_COLUMNS)
    frame["severity"] = frame["severity"].astype(float)
    frame["row"] = frame["row"].astype(int)
    return EventBatch(frame, notes)


def read_alias_table(path: str | Path) -> pd.DataFrame:
    """An alias table (UTF-8 CSV, columns ``alias,canonical_id``: the layout ``tiern ingest
    merge --aliases`` reads) as a frame with ``alias, canonical_id, _row, _file``; a missing
    column or an empty cell is a ``file:row:column`` problem."""
    path = Path(path)
    if not path.is_file():
        raise ValidationError([Problem(path.name, 0, "-", "no such alias file")])
    if path.stat().st_size > MAX_EVENT_FILE_BYTES:
        raise ValidationError([_too_large(path.name, path.stat().st_size)])
    records = csv_records(_decode(path.read_bytes(), path.name), path.name)
    header = [h.strip() for h in records[0][1]]
    missing = [c for c in ("alias", "canonical_id") if c not in header]
    if missing:
        raise ValidationError([Problem(path.name, 1, c, f"missing required column '{c}' (header "
                                       f"has: {', '.join(header) or 'nothing'})") for c in missing])
    rows, problems = [], []
    for number, cells in records[1:]:
        record = dict(zip(header, (c.strip() for c in cells)))
        if not any(record.values()):
            continue
        problems += [Problem(path.name, number, c, "missing value (required)")
                     for c in ("alias", "canonical_id") if not record.get(c)]
        rows.append({"alias": record.get("alias", ""), "canonical_id": record.get("canonical_id", ""),
                     "_row": number, "_file": path.name})
    if problems:
        raise ValidationError(problems)
    return pd.DataFrame(rows, columns=["alias", "canonical_id", "_row", "_file"])
