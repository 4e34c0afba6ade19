"""The one number parser of every reader and ingester.

A cell is a number when Python's ``float`` reads it, the result is finite, its magnitude is
at most :data:`MAX_MAGNITUDE`, and a value with a non-zero digit does not underflow to 0
(``1e-400`` is refused, not read as 0). ``inf``, ``Infinity``, ``NaN``
and ``1e309`` are refused with a message saying why. The magnitude bound keeps every sum
tiern forms finite (a million volumes of 1e15 add to 1e21, far below the float64 limit).
"""
from __future__ import annotations

import math
import re
import sys

import numpy as np
import pandas as pd

__all__ = ["MAX_MAGNITUDE", "number_problem", "parse_number", "parse_numbers"]

#: Largest magnitude accepted in any numeric cell.
MAX_MAGNITUDE = 1e15
_NONZERO_MANTISSA = re.compile(r"^[^eE]*[1-9]")


def number_problem(text: str, value: float) -> str | None:
    """Why ``value`` (parsed from ``text``) is not acceptable, or None when it is."""
    if math.isnan(value):
        return f"expected a finite number, got '{text}'"
    if math.isinf(value):
        return (f"expected a finite number, got '{text}'" if re.search("[a-zA-Z]", text.replace("e", "").replace("E", ""))
                else f"number '{_short(text)}' is too large (it overflows to infinity)")
    if abs(value) > MAX_MAGNITUDE:
        return f"number {_short(text)} is beyond ±1e15, the largest magnitude tiern accepts"
    if value == 0 and _NONZERO_MANTISSA.search(text):
        return (f"number {_short(text)} is too small to represent (it would read as 0); "
                "write 0 if zero is meant")
    return None


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:20] + "..." + text[-10:]


def _float(text: str) -> float:
    """``float(text)`` without Python's extras (``1_000``), which CSV readers do not know."""
    try:
        if "_" in text:
            raise ValueError
        return float(text)
    except ValueError:
        raise ValueError(f"expected a number, got '{_short(text)}'") from None


def parse_number(text: str) -> float:
    """``text`` as a float, or ``ValueError`` whose message says what is wrong with it.

    >>> parse_number(" 2.5e3 ")
    2500.0
    >>> parse_number("Infinity")
    Traceback (most recent call last):
    ValueError: expected a finite number, got 'Infinity'
    """
    text = str(text).strip()
    value = _float(text)
    problem = number_problem(text, value)
    if problem:
        raise ValueError(problem)
    return value


def parse_numbers(text: pd.Series, empty: pd.Series, numbers: pd.Series | None = None
                  ) -> tuple[pd.Series, pd.Series]:
    """Vectorised :func:`parse_number`: (floats, messages) for a column of text.

    ``empty`` marks cells to leave as NaN without a message; ``numbers`` may hold a fast
    parse of ``text`` already made (NaN where unreadable). Every non-empty cell that is not
    an acceptable number is NaN in the floats and has its message in ``messages`` (None
    elsewhere).
    """
    if numbers is None:
        numbers = pd.to_numeric(text.where(~empty), errors="coerce")
    numbers = numbers.astype("float64")
    values = numbers.to_numpy()
    suspect = ~empty.to_numpy() & (~np.isfinite(values) | (np.abs(values) > MAX_MAGNITUDE)
                                   | (np.abs(values) < sys.float_info.min))
    # zeros are suspect too (1e-400 reads as 0), so a column of zeros can hold many suspect
    # cells but few distinct texts: each distinct text is judged once
    found: dict[str, str | None] = {}
    rows = np.flatnonzero(suspect)
    cells = text.to_numpy(dtype=object)[rows]
    judged = np.empty(len(text), dtype=object)
    for i, cell in zip(rows, cells):
        if cell not in found:
            found[cell] = _problem_of(str(cell).strip())
        judged[i] = found[cell]
    messages = pd.Series(judged, index=text.index, dtype=object)
    bad = messages.notna().to_numpy()
    return numbers.mask(bad), messages


def _problem_of(cell: str) -> str | None:
    """What is wrong with the (stripped) ``cell`` as a number, or None."""
    try:
        return number_problem(cell, _float(cell))
    except ValueError as error:
        return str(error)
