"""The raw form of an input table: every cell as text, with where it came from."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from graphmodel.output import restore


@dataclass
class RawTable:
    """One record kind as read from a file, before validation.

    ``frame`` holds strings only (``''`` for an empty cell); its row ``i`` is spreadsheet
    row ``i + 2`` of ``label`` (the header is row 1). ``header`` is the header as written,
    duplicates included.
    """

    kind: str
    label: str
    header: list[str]
    frame: pd.DataFrame

    def row_number(self, index: int) -> int:
        return int(index) + 2


def restore_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Undo :func:`graphmodel.output.neutralise` in every text cell (cells quoted by tiern)."""
    for position in range(frame.shape[1]):
        values = frame.iloc[:, position].astype(str)
        quoted = values.str.startswith("'")
        if quoted.any():
            frame.isetitem(position, values.mask(quoted, values[quoted].map(restore)))
    return frame
