"""An empty interchange-format workbook: the standard columns of every sheet, plus a field guide."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .output import write_xlsx
from .schema import KINDS, columns, field_table


def template_frames() -> dict[str, pd.DataFrame]:
    """Empty tables with the standard columns of every record kind, plus a field guide."""
    frames = {kind: pd.DataFrame(columns=columns(kind)) for kind in KINDS}
    guide = pd.concat([field_table(k).reset_index().assign(file=f"{k}.csv") for k in KINDS])
    frames["format"] = guide[["file", "field", "dtype", "unit", "required", "default", "description"]]
    return frames


def write_template(path: Path) -> Path:
    """Write the template workbook (one sheet per record kind, plus the field guide ``format``)."""
    return write_xlsx(template_frames(), Path(path))
