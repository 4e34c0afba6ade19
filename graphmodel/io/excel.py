"""Reading and writing a network as one .xlsx workbook, one sheet per record kind.

The sheet name is the file stem (``facilities``, ``links``, ``owners``, ``demand``). Cells
are turned into the same text a CSV would hold, so both forms validate identically.
"""
from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd

from graphmodel.errors import Problem
from graphmodel.output import output_path, safe_frame
from graphmodel.schema import KINDS, REQUIRED_KINDS

from .raw import RawTable, restore_frame


def read_workbook(path: Path) -> tuple[dict[str, RawTable], list[Problem]]:
    """Read every record-kind sheet of a workbook as raw text tables."""
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as error:
        return {}, [Problem(path.name, 0, "-", f"not a readable .xlsx workbook ({error})")]
    tables: dict[str, RawTable] = {}
    problems: list[Problem] = []
    try:
        for kind in KINDS:
            label = f"{path.name}[{kind}]"
            if kind not in book.sheetnames:
                if kind in REQUIRED_KINDS:
                    problems.append(Problem(label, 0, "-", f"required sheet '{kind}' is missing"))
                continue
            rows = [[_cell_text(v) for v in row] for row in book[kind].iter_rows(values_only=True)]
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
    return tables, problems


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
