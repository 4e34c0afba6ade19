"""Strict CSV reading for event files (the simple format, GDELT exports, alias tables)."""
from __future__ import annotations

import csv
import io

from ..errors import Problem, ValidationError
from ..limits import MAX_EVENTS

__all__ = ["csv_records"]


def csv_records(text: str, label: str, delimiter: str = ",") -> list[tuple[int, list[str]]]:
    """``(row, cells)`` of a CSV text read strictly (row 1 is the header); an unclosed quote
    is a problem at the line where the quoted field starts."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True, delimiter=delimiter)
    rows, last_line = [], 0
    try:
        for number, cells in enumerate(reader, start=1):
            rows.append((number, cells))
            last_line = reader.line_num
            if number > MAX_EVENTS + 1:
                raise ValidationError([Problem(label, number, "-", f"more than {MAX_EVENTS:,} "
                                               "events in one file (split it)")])
    except csv.Error as error:
        line = last_line + 1
        message = (f"unclosed quote: the quoted field starting on line {line} never ends"
                   if "unexpected end of data" in str(error) else f"malformed CSV: {error}")
        raise ValidationError([Problem(label, line, "-", message)]) from None
    return rows
