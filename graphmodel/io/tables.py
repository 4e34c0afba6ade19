"""Reading and writing a network as a folder of CSV files.

Files are read byte-exactly: UTF-8 with or without a byte-order mark; anything else is a
problem reported with its line. Every cell is read as text (``''`` when empty), so that
validation, not the CSV parser, decides what a value means: ``NA`` stays Namibia.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from graphmodel.errors import Problem
from graphmodel.schema import KINDS, REQUIRED_KINDS

from .raw import RawTable

_BOMS = {b"\xff\xfe": "UTF-16 (little-endian)", b"\xfe\xff": "UTF-16 (big-endian)"}


def read_folder(folder: Path) -> tuple[dict[str, RawTable], list[Problem]]:
    """Read ``<kind>.csv`` for every record kind present in ``folder``.

    Returns the raw tables and the problems that prevent reading some of them
    (a missing required file, a wrong encoding, an empty file, a malformed header).
    """
    tables: dict[str, RawTable] = {}
    problems: list[Problem] = []
    for kind in KINDS:
        path = folder / f"{kind}.csv"
        label = f"{kind}.csv"
        if not path.exists():
            if kind in REQUIRED_KINDS:
                problems.append(Problem(label, 0, "-", f"required file is missing from {folder}"))
            continue
        table, file_problems = read_csv_text(path.read_bytes(), kind, label)
        problems.extend(file_problems)
        if table is not None:
            tables[kind] = table
    return tables, problems


def read_csv_text(data: bytes, kind: str, label: str) -> tuple[RawTable | None, list[Problem]]:
    """Parse the bytes of one CSV file into a :class:`RawTable` of strings."""
    text, problem = _decode(data, label)
    if problem:
        return None, [problem]
    if not text.strip():
        return None, [Problem(label, 1, "-", "file is empty (expected a header row)")]
    header = next(csv.reader(io.StringIO(text[: text.find("\n") + 1 or len(text)])))
    try:
        frame = _parse(data, text, header)
    except pd.errors.ParserError as error:
        line = _line_from_parser_error(str(error))
        return None, [Problem(label, line, "-", f"malformed CSV: {error}")]
    frame = frame.fillna("")
    return RawTable(kind, label, header, frame), []


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


def _line_from_parser_error(message: str) -> int:
    words = message.replace(",", " ").split()
    for before, word in zip(words, words[1:]):
        if before == "line" and word.isdigit():
            return int(word)
    return 0


def write_folder(frames: dict[str, pd.DataFrame], folder: Path) -> list[Path]:
    """Write record tables as ``<kind>.csv`` files (UTF-8, no index); returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, frame in frames.items():
        path = folder / f"{kind}.csv"
        frame.to_csv(path, index=False, lineterminator="\n")
        written.append(path)
    return written
