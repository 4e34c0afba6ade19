"""The chokepoint table in words, and its downloads (pure functions, no ``st.*``)."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from graphmodel.explain import why
from graphmodel.output import render, write_xlsx


def with_reasons(table: pd.DataFrame, names: dict) -> pd.DataFrame:
    """The chokepoint table with a ``why`` column after ``owner`` (the report's explanation,
    :func:`graphmodel.explain.why`, without the per-sink shares)."""
    out = table.copy()
    position = list(out.columns).index("owner") + 1 if "owner" in out.columns else len(out.columns)
    out.insert(position, "why", [why(row, names) for _, row in out.iterrows()])
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The table as CSV (lists joined with ';', as the CLI writes them)."""
    return render(frame, "csv").encode("utf-8")


def xlsx_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    """Tables as one styled workbook (one sheet each)."""
    with tempfile.TemporaryDirectory() as tmp:
        return write_xlsx(sheets, Path(tmp) / "tables.xlsx").read_bytes()
