"""Result tables for people at a terminal: formatted numbers, fitted to the width.

Only the ``table`` format goes through here; ``csv``, ``json``, ``xlsx`` and ``md`` keep the
raw numbers other tools read (:mod:`graphmodel.output`).

Cells
-----
* A **share** (a fraction 0..1 of something) is printed as a percentage with one decimal,
  ``0.704 -> 70.4%``; below 0.1% with two decimals (``0.00036 -> 0.04%``) and below 0.01% as
  ``<0.01%``, so a small non-zero share never reads as zero; exactly 0 as ``0%``. Which columns are shares
  is decided by name (:func:`is_share`) unless the caller lists them.
* Other numbers: thousands separators from 1,000 up, for every number alike (``3,136``
  and ``144,638``, not ``3136`` beside ``144,638``), whole numbers from there on; below
  1,000 at most four significant digits (``166.6667 -> 166.7``). Years and seeds are
  printed as they are.
* Missing values are blank; lists are ``;``-joined (as in CSV).

Width
-----
By default the table fits the terminal (``$COLUMNS``, else the terminal's width, else 100
characters): long text cells are shortened with ``…`` (at most :data:`TEXT_WIDTH`
characters, ids :data:`ID_WIDTH`, :func:`is_key`). A table still too wide gets, in this order, headers
broken over lines after ``_``, text cells shortened further (down to
:data:`MIN_TEXT_WIDTH`), and finally columns left out, last first; :func:`fit` returns a
note naming them. ``wide`` prints every column in full.
"""
from __future__ import annotations

import math
import os
import re
import shutil
from dataclasses import dataclass, field
from typing import Collection, Optional

import numpy as np
import pandas as pd

__all__ = ["Fitted", "fit", "format_number", "format_share", "is_plain_integer", "is_share",
           "is_key", "terminal_width", "KEY_COLUMNS", "TEXT_WIDTH", "ID_WIDTH", "MIN_TEXT_WIDTH"]

#: Most characters a text cell shows in a fitted table (names, owners, explanations).
TEXT_WIDTH = 32
#: Most characters an id cell shows (ids are what a user types next, so they get more).
ID_WIDTH = 40
#: Text cells are shortened down to this many characters before columns are left out.
MIN_TEXT_WIDTH = 16
#: Width used when neither $COLUMNS nor a terminal says.
DEFAULT_WIDTH = 100
_GAP = "  "

#: Column names that hold a fraction 0..1 besides those named ``share``/``*_share``/``share_*``.
SHARE_NAMES = frozenset({
    "criticality", "criticality_linear", "unknown", "min_supply", "mean_supply", "worst_loss",
    "rei", "threshold", "supply_traced", "mape", "mae_baseline",
})
_SHARE_PATTERN = re.compile(r"(^|_)share($|_)")
#: Integer columns printed without thousands separators (calendar values, identifiers).
_PLAIN_INTEGERS = re.compile(r"(^|_)(year|seed)$")


#: What ends a line (``str.splitlines``): a cell holding one is folded onto one line.
_LINE_BREAK = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")

#: Columns holding ids a user types next (never shortened below :data:`ID_WIDTH`).
KEY_COLUMNS = frozenset({"id", "preset", "facility", "sink", "supplier", "customer"})


def is_key(column: str) -> bool:
    """Whether a column holds ids (:data:`KEY_COLUMNS` or ``*_id``).

    >>> is_key("supplier"), is_key("alternative_id"), is_key("name")
    (True, True, False)
    """
    return column in KEY_COLUMNS or column.endswith("_id")


def is_plain_integer(column: str) -> bool:
    """Whether a column's integers are printed without thousands separators (years, seeds).

    >>> is_plain_integer("year"), is_plain_integer("seed"), is_plain_integer("facilities")
    (True, True, False)
    """
    return bool(_PLAIN_INTEGERS.search(column))


def is_share(column: str) -> bool:
    """Whether a column holds a share by its name (``share``, ``*_share``, :data:`SHARE_NAMES`).

    >>> is_share("top_country_share"), is_share("criticality"), is_share("demand_at_risk")
    (True, True, False)
    """
    return bool(_SHARE_PATTERN.search(column)) or column in SHARE_NAMES


def format_share(value: float) -> str:
    """A fraction as a percentage (module docstring).

    >>> format_share(0.7039), format_share(0.00036), format_share(5e-7), format_share(0.0)
    ('70.4%', '0.04%', '<0.01%', '0%')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    percent = float(value) * 100.0
    if percent == 0:
        return "0%"
    if abs(percent) < 0.01:
        return "<0.01%" if percent > 0 else ">-0.01%"
    if abs(percent) < 0.1:
        return f"{percent:.2f}%"
    return f"{percent:.1f}%"


def format_number(value, plain: bool = False) -> str:
    """A number for people (module docstring); ``plain``: no thousands separator.

    >>> format_number(144638.4), format_number(3136.0), format_number(166.6667), format_number(7)
    ('144,638', '3,136', '166.7', '7')
    """
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    number = float(value)
    if math.isnan(number):
        return ""
    if math.isinf(number):
        return "inf" if number > 0 else "-inf"
    if plain:
        return str(int(number)) if number.is_integer() else f"{number:g}"
    if abs(number) >= 1000:
        return f"{number:,.0f}"
    if number.is_integer():
        return str(int(number))
    text = f"{number:.4g}"
    return text if "e" not in text else f"{number:.2e}"


def terminal_width() -> int:
    """``$COLUMNS``, else the terminal's width, else :data:`DEFAULT_WIDTH`."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    return shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns


@dataclass
class Fitted:
    """A fitted table: its ``text`` and ``notes`` for the user (what was left out)."""

    text: str
    notes: list[str] = field(default_factory=list)


def _cell(value, share: bool, plain: bool) -> str:
    if isinstance(value, (list, tuple)):
        return ";".join(map(str, value))
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)) or pd.api.types.is_number(value):
        return format_share(value) if share else format_number(value, plain)
    text = str(value)
    return " ".join(text.split()) if _LINE_BREAK.search(text) else text


def _cells(values: pd.Series, share: bool, plain: bool) -> list[str]:
    """:func:`_cell` of every value of a column; a column of NumPy numbers or of one-line
    text skips its per-value type tests (the same text: 100,000-row tables are printed)."""
    items = values.tolist()
    dtype = values.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "fiu":
        if share:
            return [format_share(v) for v in items]
        return [format_number(v, plain) for v in items]
    search = _LINE_BREAK.search
    return [v if type(v) is str and not search(v) else _cell(v, share, plain) for v in items]


def _wrap_header(name: str, width: int) -> list[str]:
    """``name`` broken after ``_`` into lines of at most ``width`` characters where it can.

    >>> _wrap_header("fastest_qualification_months", 6)
    ['fastest_', 'qualification_', 'months']
    """
    words = name.split("_")
    pieces = [w + "_" for w in words[:-1]] + [words[-1]]
    lines: list[str] = []
    for piece in pieces:
        if lines and len(lines[-1]) + len(piece) <= width:
            lines[-1] += piece
        else:
            lines.append(piece)
    return lines


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 1, 1)] + "…"


def fit(frame: pd.DataFrame, *, wide: bool = False, width: Optional[int] = None,
        shares: Optional[Collection[str]] = None) -> Fitted:
    """``frame`` as aligned text for a terminal (module docstring).

    Parameters
    ----------
    wide : every column, every character (no shortening, no column left out).
    width : characters available (default :func:`terminal_width`).
    shares : the columns printed as percentages (default: by name, :func:`is_share`).
    """
    width = terminal_width() if width is None else width
    columns = [str(c) for c in frame.columns]
    share_set = set(shares) if shares is not None else {c for c in columns if is_share(c)}
    cells: list[list[str]] = []
    numeric: list[bool] = []
    for position, name in enumerate(columns):
        values = frame.iloc[:, position]
        is_numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        plain = is_plain_integer(name)
        column = _cells(values, name in share_set and is_numeric, plain)
        if not wide and not is_numeric:
            limit = ID_WIDTH if is_key(name) else TEXT_WIDTH
            column = [_shorten(text, limit) for text in column]
        cells.append(column)
        numeric.append(is_numeric)
    content = [max([1] + [len(text) for text in column]) for column in cells]
    headers = [[name] for name in columns]

    def total(widths: list[int], keep: int) -> int:
        return sum(widths[:keep]) + len(_GAP) * (keep - 1)

    widths = [max(len(name), w) for name, w in zip(columns, content)]
    keep = len(columns)
    if not wide and total(widths, keep) > width:
        # 1. headers over several lines, broken after "_"
        headers = [_wrap_header(name, w) for name, w in zip(columns, content)]
        widths = [max([w] + [len(part) for part in header]) for header, w in zip(headers, content)]
        # 2. shorter text cells, widest first, down to MIN_TEXT_WIDTH
        shrinkable = [c for c in range(len(columns)) if not numeric[c]
                      and not is_key(columns[c])]
        while total(widths, keep) > width:
            c = max(shrinkable, key=lambda i: widths[i], default=None)
            floor = max([MIN_TEXT_WIDTH] + [len(p) for p in headers[c]]) if c is not None else 0
            if c is None or widths[c] <= floor:
                break
            widths[c] -= 1
        # 3. leave columns out, last first
        while keep > 1 and total(widths, keep) > width:
            keep -= 1
        # 4. what leaving columns out freed goes back to the shortened text, leftmost first
        spare = width - total(widths, keep)
        for c in (i for i in shrinkable if i < keep):
            grow = min(spare, max(content[c], len(headers[c][0])) - widths[c])
            if grow > 0:
                widths[c] += grow
                spare -= grow
        for c in shrinkable:
            cells[c] = [_shorten(text, widths[c]) for text in cells[c]]
    notes = []
    if keep < len(columns):
        left_out = columns[keep:]
        notes.append(f"{len(left_out)} more column{'s' if len(left_out) != 1 else ''} "
                     f"({', '.join(left_out)}): --wide shows every column, -f csv or -f json "
                     "every value")
    lines = []
    depth = max(len(h) for h in headers[:keep])
    for level in range(depth):
        parts = []
        for c in range(keep):
            part = headers[c][level - depth + len(headers[c])] \
                if level >= depth - len(headers[c]) else ""
            parts.append(part.rjust(widths[c]) if numeric[c] else part.ljust(widths[c]))
        lines.append(_GAP.join(parts).rstrip())
    padded = [[text.rjust(widths[c]) for text in cells[c]] if numeric[c]
              else [text.ljust(widths[c]) for text in cells[c]] for c in range(keep)]
    lines.extend(_GAP.join(parts).rstrip() for parts in zip(*padded))
    return Fitted("\n".join(lines) + "\n", notes)
