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

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from graphmodel.errors import Problem
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


def note(level: str, file: str, row: int, column: str, message: str) -> dict:
    return {"level": level, "file": file, "row": row, "column": column, "message": message}


def notes_frame(notes: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(notes, columns=NOTE_COLUMNS)


def build_network(facilities: list[dict], links: list[dict], *, name: str,
                  owners: list[dict] | None = None, demand: list[dict] | None = None) -> Network:
    """Validate records exactly as files are validated and build a :class:`Network`.

    A network with facilities but no known links (a USGS extract: country production, no
    flows) is validated facility by facility and gets an empty, correctly typed links table.
    Raises :class:`graphmodel.errors.ValidationError` on any invalid record.
    """
    raw = {"facilities": _raw("facilities", facilities)}
    if links:
        raw["links"] = _raw("links", links)
    for kind, records in (("owners", owners), ("demand", demand)):
        if records:
            raw[kind] = _raw(kind, records)
    tables = validate_tables(raw)
    if not links:
        tables["links"] = empty_table("links")
    return Network(**tables, name=name)


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
