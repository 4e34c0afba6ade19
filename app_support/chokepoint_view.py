"""The chokepoint table in words, and its downloads (pure functions, no ``st.*``)."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from graphmodel.output import render, write_xlsx


def _names(ids, names: dict, limit: int = 3) -> str:
    shown = [names.get(i, i) for i in list(ids)[:limit]]
    more = len(ids) - limit
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def why(row: pd.Series, names: dict) -> str:
    """One sentence on why a facility is a chokepoint: whom it is a single point of failure
    for, what could replace it, and how long qualifying a candidate takes."""
    parts = []
    single = row.get("single_point_for") or []
    if len(single):
        parts.append(f"only route for {_names(single, names)}")
    n_alt = int(row.get("n_alternatives") or 0)
    coverage = row.get("coverage")
    if n_alt == 0:
        parts.append("no qualified alternative supplier")
    elif coverage == coverage and coverage is not None:
        parts.append(f"{n_alt} qualified alternative{'s' if n_alt != 1 else ''} with spare "
                     f"capacity for {min(coverage, 9.99):.0%} of its output")
    fastest = row.get("fastest_qualification_months")
    if fastest == fastest and fastest is not None:
        parts.append(f"fastest candidate qualifies in {fastest:g} months")
    elif n_alt == 0:
        parts.append("no candidate in qualification")
    sentence = "; ".join(parts)
    return sentence[:1].upper() + sentence[1:]


def with_reasons(table: pd.DataFrame, names: dict) -> pd.DataFrame:
    """The chokepoint table with a ``why`` column after ``owner``."""
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
