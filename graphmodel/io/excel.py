"""Reading and writing a network as one .xlsx workbook, one sheet per record kind.

The sheet name is the file stem (``facilities``, ``links``, ``owners``, ``demand``). Cells
are turned into the same text a CSV would hold, so both forms validate identically.

Every workbook is opened through :func:`check_workbook` first, which refuses, before any
XML is parsed: a file over :data:`MAX_WORKBOOK_BYTES`; a workbook whose parts unpack to more
than :data:`MAX_UNPACKED_BYTES` or a part over 1 MiB that unpacks more than
:data:`MAX_PACK_RATIO` times its packed size (a zip bomb); any part declaring a DTD or an
entity (XML entity expansion; openpyxl also parses through defusedxml). A formula cell with
no saved value and a merged range are reported as problems, never read as empty.
"""
from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import pandas as pd

from graphmodel.errors import Problem
from graphmodel.output import output_path, safe_frame
from graphmodel.schema import KINDS, REQUIRED_KINDS

from .raw import RawTable, restore_frame


#: Largest workbook file read (bytes).
MAX_WORKBOOK_BYTES = 200 * 1024 ** 2
#: Largest total size of a workbook's unpacked parts (bytes).
MAX_UNPACKED_BYTES = 1024 ** 3
#: Largest unpacked/packed size ratio of a part over 1 MiB (plain sheets stay far below).
MAX_PACK_RATIO = 200
_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s[^>]*?ref="([A-Z]+)(\d+)(?::([A-Z]+\d+))?"')
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")


def check_workbook(path: Path) -> list[Problem]:
    """Problems that make ``path`` unsafe to open as a workbook (see module docstring).

    Reads only the zip directory and the first 64 KiB of each XML part; the sizes the
    directory declares bound what :mod:`zipfile` will ever unpack.
    """
    name = path.name
    try:
        size = path.stat().st_size
        if size > MAX_WORKBOOK_BYTES:
            return [Problem(name, 0, "-", f"workbook is {size:,} bytes, more than the "
                            f"{MAX_WORKBOOK_BYTES:,} tiern reads; split it or use CSV files")]
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
            total = sum(p.file_size for p in parts)
            if total > MAX_UNPACKED_BYTES:
                return [Problem(name, 0, "-", f"workbook unpacks to {total:,} bytes, more than "
                                f"the {MAX_UNPACKED_BYTES:,} tiern reads (a zip bomb?)")]
            for part in parts:
                ratio = part.file_size / max(part.compress_size, 1)
                if part.file_size > 1024 ** 2 and ratio > MAX_PACK_RATIO:
                    return [Problem(name, 0, "-", f"part {part.filename} unpacks {ratio:,.0f} "
                                    f"times its packed size (limit {MAX_PACK_RATIO}): a zip bomb?")]
            for part in parts:
                if part.filename.endswith((".xml", ".rels", ".vml")):
                    with archive.open(part) as stream:
                        if _DTD.search(stream.read(65536)):
                            return [Problem(name, 0, "-", f"part {part.filename} declares a DTD "
                                            "or entity, which tiern refuses (XML entity expansion)")]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as error:
        return [Problem(name, 0, "-", f"not a readable .xlsx workbook ({error})")]
    return []


def load_workbook(path: Path, **options):
    """:func:`openpyxl.load_workbook` behind :func:`check_workbook`; returns ``(book, problems)``
    with ``book`` None when the file is refused or unreadable."""
    import openpyxl  # noqa: PLC0415 (only workbooks need it; CSV start-up skips it)

    problems = check_workbook(path)
    if problems:
        return None, problems
    try:
        return openpyxl.load_workbook(path, **options), []
    except Exception as error:  # openpyxl raises many types (and defusedxml's) for bad files
        return None, [Problem(path.name, 0, "-", f"not a readable .xlsx workbook "
                              f"({type(error).__name__}: {error})")]


def read_workbook(path: Path) -> tuple[dict[str, RawTable], list[Problem]]:
    """Read every record-kind sheet of a workbook as raw text tables."""
    import openpyxl  # noqa: PLC0415 (only workbooks need it; CSV start-up skips it)

    book, problems = load_workbook(path, read_only=True, data_only=True)
    if book is None:
        return {}, problems
    tables: dict[str, RawTable] = {}
    formulas = None
    try:
        for kind in KINDS:
            label = f"{path.name}[{kind}]"
            if kind not in book.sheetnames:
                if kind in REQUIRED_KINDS:
                    problems.append(Problem(label, 0, "-", f"required sheet '{kind}' is missing"))
                continue
            merged, has_formulas = _scan_sheet(book, kind)
            values = list(book[kind].iter_rows(values_only=True))
            if has_formulas:
                if formulas is None:
                    formulas = openpyxl.load_workbook(path, read_only=True, data_only=False)
                problems += _formulas_without_values(formulas[kind], values, label)
            problems += [Problem(label, int(row), "-", f"merged cells {col}{row}"
                                 f"{':' + end if end else ''}: unmerge them and fill every cell "
                                 "(a merged cell reads as empty)") for col, row, end in merged]
            rows = [[_cell_text(v) for v in row] for row in values]
            while rows and not any(rows[-1]):  # openpyxl reports formatted-but-empty rows
                rows.pop()
            if not rows:
                problems.append(Problem(label, 1, "-", "sheet is empty (expected a header row)"))
                continue
            header = rows[0]
            while header and header[-1] == "":
                header = header[:-1]
            body = [(r + [""] * len(header))[: len(header)] for r in rows[1:]]
            frame = pd.DataFrame(body, columns=_unique(header), dtype=object).astype(str)
            tables[kind] = RawTable(kind, label, header, restore_frame(frame))
    finally:
        book.close()
        if formulas is not None:
            formulas.close()
    return tables, problems


def _scan_sheet(book, kind: str) -> tuple[list[tuple[str, str, str]], bool]:
    """Merged ranges ``(column, row, end)`` of a read-only sheet and whether it holds formulas,
    from one streaming pass over its XML part."""
    merged, has_formulas, tail = [], False, b""
    with book[kind]._get_source() as stream:
        while chunk := stream.read(1 << 20):
            text = tail + chunk
            has_formulas = has_formulas or bool(_FORMULA.search(text))
            cut = text.rfind(b"<")  # keep a tag cut by the chunk boundary for the next round
            for match in _MERGE.finditer(text[:cut] if cut > 0 else text):
                merged.append(tuple(g.decode() if g else "" for g in match.groups()))
            tail = text[cut:] if cut > 0 else b""
    merged += [tuple(g.decode() if g else "" for g in m.groups()) for m in _MERGE.finditer(tail)]
    return merged, has_formulas


def _formulas_without_values(sheet, values: list, label: str) -> list[Problem]:
    """A problem per formula cell whose saved value is missing (it would read as empty)."""
    import openpyxl  # noqa: PLC0415 (only workbooks need it; CSV start-up skips it)

    problems = []
    for r, (formula_row, value_row) in enumerate(zip(sheet.iter_rows(values_only=True), values), 1):
        for c, (formula, value) in enumerate(zip(formula_row, value_row), 1):
            if value is None and isinstance(formula, str) and formula.startswith("="):
                column = openpyxl.utils.get_column_letter(c)
                problems.append(Problem(label, r, column, f"formula {formula} has no saved value "
                                        "(the program that wrote the file did not calculate it): "
                                        "open and save it in a spreadsheet program, or paste values"))
    return problems


def _unique(header: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in header:
        count = seen.get(name, 0)
        out.append(name if count == 0 else f"{name}.{count}")
        seen[name] = count + 1
    return out


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value)


def write_workbook(frames: dict[str, pd.DataFrame], path: Path) -> Path:
    """Write record tables as sheets of one workbook, with bold, frozen headers.

    Cells pass through :func:`graphmodel.output.safe_frame` (see :func:`write_folder`).
    """
    import openpyxl  # noqa: PLC0415 (only workbooks need it; CSV start-up skips it)

    path = output_path(path)
    safe = {kind: safe_frame(frame, "xlsx", f"{path.name}[{kind}]") for kind, frame in frames.items()}
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for kind, frame in safe.items():
            frame.to_excel(writer, sheet_name=kind, index=False)
            sheet = writer.sheets[kind]
            sheet.freeze_panes = "A2"
            for cell in sheet[1]:
                cell.font = openpyxl.styles.Font(bold=True)
    return path
