"""Reading and writing a network as a folder of CSV files.

Files are read byte-exactly: UTF-8 with or without a byte-order mark; anything else is a
problem reported with its line. Every cell is read as text (``''`` when empty), so that
validation, not the CSV parser, decides what a value means: ``NA`` stays Namibia. Line
endings may be LF, CRLF or CR alone (old Mac exports); a trailing comma on every row (an
empty last header cell over an all-empty column, as some exports write) is dropped; a NUL
byte is refused. A text cell written with a leading quote before a formula prefix
(``'=x``, see :mod:`graphmodel.output`) reads as the text after the quote.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from graphmodel.errors import Problem
from graphmodel.limits import MAX_CSV_LINE_BYTES
from graphmodel.output import csv_text, output_path, safe_frame, write_text
from graphmodel.schema import KINDS, REQUIRED_KINDS

from .raw import RawTable, restore_frame

_BOMS = {b"\xff\xfe": "UTF-16 (little-endian)", b"\xfe\xff": "UTF-16 (big-endian)"}


def read_folder(folder: Path, contents: dict[str, bytes | None] | None = None
                ) -> tuple[dict[str, RawTable], list[Problem]]:
    """Read ``<kind>.csv`` for every record kind present in ``folder``.

    ``contents``: the files' bytes by kind (None for an absent file) when the caller has
    read them already; by default they are read here. Returns the raw tables and the
    problems that prevent reading some of them (a missing required file, a wrong encoding,
    an empty file, a malformed header).
    """
    tables: dict[str, RawTable] = {}
    problems: list[Problem] = []
    for kind in KINDS:
        path = folder / f"{kind}.csv"
        label = f"{kind}.csv"
        data = contents.get(kind) if contents is not None else \
            path.read_bytes() if path.exists() else None
        if data is None:
            if kind in REQUIRED_KINDS:
                problems.append(Problem(label, 0, "-", f"required file is missing from {folder}"))
            continue
        table, file_problems = read_csv_text(data, kind, label)
        problems.extend(file_problems)
        if table is not None:
            tables[kind] = table
    return tables, problems


def read_csv_text(data: bytes, kind: str, label: str) -> tuple[RawTable | None, list[Problem]]:
    """Parse the bytes of one CSV file into a :class:`RawTable` of strings."""
    text, problem = _decode(data, label)
    if problem:
        return None, [problem]
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        return None, [Problem(label, line, "-", "file contains a NUL character (byte 0x00); "
                              "it is not a CSV text file")]
    if "\r" in text and "\n" not in text:  # CR-only line endings
        text = text.replace("\r", "\n")
        data = text.encode("utf-8")
    long_line = _overlong_line(data)
    if long_line:
        line, size = long_line
        return None, [Problem(label, line, "-", f"line {line} is {size:,} bytes long (limit "
                              f"{MAX_CSV_LINE_BYTES:,}): no record holds a cell that long")]
    if not text.strip():
        return None, [Problem(label, 1, "-", "file is empty (expected a header row)")]
    header = next(csv.reader(io.StringIO(text[: text.find("\n") + 1 or len(text)])))
    try:
        frame = _parse(data, text, header)
    except pd.errors.ParserError as error:
        return None, [_parser_problem(label, str(error))]
    frame = frame.fillna("")
    header, frame = _drop_trailing_empty_columns(header, frame)
    return RawTable(kind, label, header, restore_frame(frame)), []


def _overlong_line(data: bytes) -> tuple[int, int] | None:
    """(line number, length in bytes) of the first line longer than
    :data:`~graphmodel.limits.MAX_CSV_LINE_BYTES`, or None (checked on the bytes, before the
    parser allocates a cell for it)."""
    limit = MAX_CSV_LINE_BYTES
    if len(data) <= limit:
        return None
    # a line longer than the limit holds a whole aligned block of half the limit with no
    # line break, so only the lines through such blocks are measured: a few hundred
    # searches of a 300 MB file instead of an array of its bytes
    block = limit // 2
    measured_to = 0                     # the lines ending before this were measured
    for first in range(0, len(data) - block + 1, block):
        if first < measured_to or data.find(b"\n", first, first + block) >= 0:
            continue
        start = data.rfind(b"\n", 0, first) + 1
        end = data.find(b"\n", first + block)
        end = len(data) if end < 0 else end
        measured_to = end
        if end - start > limit:
            return data.count(b"\n", 0, start) + 1, end - start
    return None


def _drop_trailing_empty_columns(header: list[str], frame: pd.DataFrame):
    """Drop columns at the right with an empty header cell and no value (trailing commas)."""
    while header and header[-1].strip() == "" and frame.shape[1] == len(header) \
            and (frame.iloc[:, -1] == "").all():
        header = header[:-1]
        frame = frame.iloc[:, :-1]
    return header, frame


def _parse(data: bytes, text: str, header: list[str]) -> pd.DataFrame:
    """Parse with pyarrow's multithreaded reader when it is safe, else pandas' C parser.

    pyarrow skips blank lines and names no row in its errors, so files with a blank line,
    duplicate header names or a parse problem go through the C parser, whose row numbers
    are exact and which keeps blank rows for validation to report.
    """
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    risky = (len(set(header)) < len(header) or b"\n\n" in body or b"\n\r\n" in body
             or body.startswith((b"\n", b"\r\n")) or len(body) < 1_000_000)
    if not risky:
        try:
            return pd.read_csv(io.BytesIO(body), engine="pyarrow", dtype=str,
                               keep_default_na=False, na_values=[])
        except (pd.errors.ParserError, ValueError):
            pass  # re-parse below for an exact row number
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[],
                       skip_blank_lines=False)


def _decode(data: bytes, label: str) -> tuple[str, Problem | None]:
    for bom, name in _BOMS.items():
        if data.startswith(bom):
            return "", Problem(label, 1, "-", f"file is {name} encoded; save it as UTF-8")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        byte = data[error.start : error.start + 1].hex()
        return "", Problem(
            label, line, "-",
            f"file is not UTF-8 text (byte 0x{byte} on line {line}); save it as UTF-8",
        )


def _parser_problem(label: str, message: str) -> Problem:
    """A located problem from a pandas parser error (its ``row`` counts from 0 at the header)."""
    words = message.replace(",", " ").split()
    for before, word in zip(words, words[1:]):
        if before == "line" and word.isdigit():
            return Problem(label, int(word), "-", f"malformed CSV: {message.strip()}")
        if before == "row" and word.isdigit() and "EOF inside string" in message:
            line = int(word) + 1
            return Problem(label, line, "-", f"unclosed quote: the quoted field starting on line "
                           f"{line} never ends (add the closing \")")
    return Problem(label, 0, "-", f"malformed CSV: {message.strip()}")


def write_folder(frames: dict[str, pd.DataFrame], folder: Path) -> list[Path]:
    """Write record tables as ``<kind>.csv`` files (UTF-8, no index); returns the paths.

    Text cells pass through :func:`graphmodel.output.safe_frame` (formula prefixes quoted,
    NUL refused); :func:`read_folder` undoes the quoting, so a round trip is exact.
    """
    output_path(folder, folder=True)
    safe = {kind: safe_frame(frame, "csv", f"{kind}.csv") for kind, frame in frames.items()}
    written = []
    for kind, frame in safe.items():
        written.append(write_text(csv_text(frame), folder / f"{kind}.csv"))
    return written
