"""What every source ingester returns: a validated network plus its ingest notes.

Ingesters (:mod:`ingest.usgs`, :mod:`ingest.trade`, :mod:`ingest.amrt`) turn a published
file into interchange-format records and run them through the normal validation
(:func:`graphmodel.io.validate.validate_tables`), so an ingested network is indistinguishable from
one typed by hand. What an ingester leaves out or cannot represent (a rest-of-world aggregate,
a withheld figure, a mirror trade flow) is never dropped silently: it becomes a *note*, a row
``level, file, row, column, message`` (``level`` is ``info`` or ``warning``).

Country-level nodes carry the extra column ``level = "country"`` (facility-level nodes leave it
empty); :mod:`ingest.merge` relies on it to let facility-level data refine country estimates.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from graphmodel.errors import Problem, ValidationError
from graphmodel.io import RawTable, read_raw
from graphmodel.io.validate import validate_tables
from graphmodel.network import Network
from graphmodel.schema import field_table

NOTE_COLUMNS = ["level", "file", "row", "column", "message"]
COUNTRY_LEVEL = "country"

_PANDAS_DTYPE = {"str": object, "country": object, "float": "float64", "int": "Int64"}


@dataclass
class Ingested:
    """A validated network and the notes the ingester made while building it."""

    network: Network
    notes: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=NOTE_COLUMNS))

    def notes_lines(self) -> list[str]:
        """Notes as ``level: file:row:column: message`` lines (for the CLI)."""
        return [f"{n.level}: {n.file}:{n.row}:{n.column}: {n.message}"
                for n in self.notes.itertuples()]

    def write(self, folder: str | Path) -> Path:
        """Write the network as a folder of CSV files (see :meth:`Network.write`)."""
        return self.network.write(folder)


@dataclass(frozen=True)
class SourceRef:
    """Where in the user's input an ingested record came from.

    ``file`` and ``row`` are the source file's label and its row (header = row 1);
    ``columns`` maps an interchange column of the record (``volume``) to the source column it
    was read from (BACI ``q``), so a problem names the cell the user can open; ``rows`` lists
    every ``(file, row)`` summed into the record when there is more than one (a trade link
    adding up HS sub-codes). A plain ``(file, row)`` tuple is accepted wherever a
    ``SourceRef`` is.
    """

    file: str
    row: int
    columns: dict[str, str] = field(default_factory=dict)
    rows: tuple[tuple[str, int], ...] = ()


def note(level: str, file: str, row: int, column: str, message: str) -> dict:
    return {"level": level, "file": file, "row": row, "column": column, "message": message}


def notes_frame(notes: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(notes, columns=NOTE_COLUMNS)


def build_network(facilities: list[dict], links: list[dict], *, name: str,
                  owners: list[dict] | None = None, demand: list[dict] | None = None) -> Network:
    """Validate records exactly as files are validated and build a :class:`Network`.

    A network with facilities but no known links (a USGS extract: country production, no
    flows) is validated facility by facility and gets an empty, correctly typed links table.
    Raises :class:`graphmodel.errors.ValidationError` on any invalid record. A record may
    carry ``_source``, a :class:`SourceRef` or ``(file, row)``: the place in the user's input it
    was built from. A problem with that record then names that file, row and source column,
    never a ``facilities.csv`` the user does not have or an internal record number; problems
    of records without one name the ingested network and the record.
    """
    sources: dict[str, list] = {}
    raw = {}
    for kind, records in (("facilities", facilities), ("links", links), ("owners", owners),
                          ("demand", demand)):
        if records or kind == "facilities":
            sources[kind] = [r.get("_source") for r in records]
            raw[kind] = _raw(kind, [{k: v for k, v in r.items() if k != "_source"} for r in records])
    try:
        tables = validate_tables(raw)
    except ValidationError as error:
        raise ValidationError([_located(p, sources, raw, name) for p in error.problems]) from None
    if not links:
        tables["links"] = empty_table("links")
    return Network(**tables, name=name)


def _located(problem: Problem, sources: dict[str, list], raw: dict[str, RawTable],
             name: str) -> Problem:
    """``problem`` (about an ingested record) moved to where that record came from."""
    kind = problem.file.removesuffix(".csv")
    if kind not in sources:
        return problem
    index = problem.row - 2
    record = f"ingested {kind} record {index + 1}" if index >= 0 else f"ingested {kind}"
    source = sources[kind][index] if 0 <= index < len(sources[kind]) else None
    if source:
        if not isinstance(source, SourceRef):
            source = SourceRef(*source)
        where = _record_name(kind, raw[kind].frame.iloc[index]) or record
        if len(source.rows) > 1:
            where += "; the sum of " + _rows_text(source.rows)
        return Problem(source.file, source.row, source.columns.get(problem.column, problem.column),
                       f"{problem.message} ({where})")
    return Problem(f"{name} ({record})", 0, problem.column, problem.message)


def _record_name(kind: str, record) -> str:
    """``facility CN-separator-agg`` / ``link CN-separator-agg -> JP-metal-agg`` ('' if no ids)."""
    if kind == "facilities" and record.get("id"):
        return f"ingested facility {record['id']}"
    if kind == "links" and record.get("supplier") and record.get("customer"):
        return f"ingested link {record['supplier']} -> {record['customer']}"
    return ""


def _rows_text(rows: tuple[tuple[str, int], ...]) -> str:
    """``a.csv rows 2, 3 and b.csv row 4`` for the source rows summed into a record."""
    by_file: dict[str, list[int]] = {}
    for file, row in rows:
        by_file.setdefault(file, []).append(row)
    parts = [f"{file} row{'s' if len(r) > 1 else ''} {', '.join(map(str, r))}"
             for file, r in by_file.items()]
    return " and ".join(parts)


def empty_table(kind: str) -> pd.DataFrame:
    """A zero-row table with the standard columns and dtypes of a record kind."""
    return pd.DataFrame({column: pd.Series(dtype=_PANDAS_DTYPE[dtype])
                         for column, dtype in field_table(kind)["dtype"].items()})


def _raw(kind: str, records: list[dict]) -> RawTable:
    frame = pd.DataFrame(records)
    text = frame.apply(lambda column: column.map(_text)) if len(frame) else frame.astype(str)
    return RawTable(kind, f"{kind}.csv", [str(c) for c in frame.columns], text)


def _text(value) -> str:
    if value is None or (not isinstance(value, (list, tuple, set, dict)) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def csv_rows(text: str, label: str) -> list[tuple[int, list[str]]]:
    """Records of a CSV text as ``(row, cells)`` (row 1 is the header), read strictly.

    An unclosed quote, which a lenient reader would silently extend to the end of the file,
    is a problem at the line the quoted field starts; so is any other malformed quoting.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows, last_line = [], 0
    try:
        for number, cells in enumerate(reader, start=1):
            rows.append((number, cells))
            last_line = reader.line_num
    except csv.Error as error:
        line = last_line + 1
        if "unexpected end of data" in str(error):
            message = (f"unclosed quote: the quoted field starting on line {line} never ends "
                       "(add the closing \")")
        else:
            message = f"malformed CSV: {error}"
        raise ValidationError([Problem(label, line, "-", message)]) from None
    return rows


def decode_text(data: bytes, label: str, encodings: tuple[str, ...]):
    """Decode bytes trying ``encodings`` in order; a UTF-16 BOM or undecodable bytes is a Problem.

    Returns ``(text, None)`` or ``("", Problem)``; the problem names the line of the first
    byte no encoding accepts.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "", Problem(label, 1, "-", "file is UTF-16 encoded; expected "
                           + " or ".join(_ENCODING_NAMES.get(e, e) for e in encodings))
    first_error = None
    for encoding in encodings:
        try:
            return data.decode(encoding), None
        except UnicodeDecodeError as error:
            first_error = first_error or error
            last_error = error
    position = last_error.start
    line = data[:position].count(b"\n") + 1
    byte = data[position:position + 1].hex()
    names = " or ".join(_ENCODING_NAMES.get(e, e) for e in encodings)
    return "", Problem(label, line, "-", f"file is not {names} text (byte 0x{byte} on line {line})")


_ENCODING_NAMES = {"utf-8-sig": "UTF-8", "utf-8": "UTF-8", "cp1252": "Windows-1252"}


def load_fragment(path: str | Path) -> Network:
    """Read a network folder or workbook that may have no links (a header-only links.csv).

    Exactly :func:`graphmodel.load_network`, except that a ``links`` table with a header and
    no rows is accepted (an ingested USGS network has nodes but no known flows); everything
    else is validated as usual.
    """
    path = Path(path)
    raw, problems = read_raw(path)
    links = raw.get("links")
    no_links = links is not None and links.frame.empty and not problems
    if no_links:
        del raw["links"]
    tables = validate_tables(raw, problems)
    if no_links:
        tables["links"] = empty_table("links")
    return Network(**tables, name=path.stem if path.suffix else path.name, path=path)
