"""Rendering result tables in the formats every table command offers.

``table`` (aligned text for a terminal), ``csv``, ``json`` (a list of row objects),
``xlsx`` (one sheet, styled header) and ``md`` (a Markdown table). Cells holding lists
become JSON arrays in ``json`` and ``;``-joined text elsewhere.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

FORMATS = ("table", "csv", "json", "xlsx", "md")
_EXTENSIONS = {".csv": "csv", ".json": "json", ".xlsx": "xlsx", ".md": "md", ".txt": "table"}


def infer_format(fmt: str | None, output: Path | None) -> str:
    """The explicit ``fmt``, else the one ``output``'s extension implies, else ``table``."""
    if fmt:
        return fmt
    if output is not None and output.suffix.lower() in _EXTENSIONS:
        return _EXTENSIONS[output.suffix.lower()]
    return "table"


def render(frame: pd.DataFrame, fmt: str) -> str:
    """A table as text in ``fmt`` (any format but xlsx)."""
    if fmt == "json":
        return json.dumps([_json_row(row) for row in frame.to_dict("records")], indent=2) + "\n"
    flat = _flatten_lists(frame)
    if fmt == "csv":
        return flat.to_csv(index=False, lineterminator="\n")
    if fmt == "md":
        return flat.to_markdown(index=False, floatfmt=".4g") + "\n"
    if fmt == "table":
        return flat.to_string(index=False, float_format=_readable, na_rep="") + "\n"
    raise ValueError(f"unknown format '{fmt}' (expected one of {', '.join(FORMATS)})")


def _readable(value: float) -> str:
    """Numbers for people: thousands separators for large values, 4 significant digits else."""
    if abs(value) >= 10_000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def write_xlsx(sheets: dict[str, pd.DataFrame], path: Path) -> Path:
    """Write tables to a workbook, one sheet each, with bold filled headers, frozen and sized."""
    from openpyxl.styles import Font, PatternFill

    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            sheet_name = name[:31]
            _flatten_lists(frame).to_excel(writer, sheet_name=sheet_name, index=False)
            sheet = writer.sheets[sheet_name]
            sheet.freeze_panes = "A2"
            for cell in sheet[1]:
                cell.font = Font(bold=True, color="FFFFFF")
                cell.fill = PatternFill("solid", fgColor="1F3A5F")
            for column in sheet.columns:
                width = max(len(str(c.value)) if c.value is not None else 0 for c in column)
                sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 8), 60)
    return path


def _flatten_lists(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if out[column].map(lambda v: isinstance(v, (list, tuple))).any():
            out[column] = out[column].map(
                lambda v: ";".join(map(str, v)) if isinstance(v, (list, tuple)) else v)
    return out


def _json_value(value):
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (float, np.floating)):
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _json_row(row: dict) -> dict:
    return {str(k): _json_value(v) for k, v in row.items()}
