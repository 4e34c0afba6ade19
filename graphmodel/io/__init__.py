"""The interchange format: read and write a network's record tables, and validate them.

The interchange format is a folder of CSV files (``facilities.csv``, ``links.csv`` and
optionally ``owners.csv``, ``demand.csv``) or one ``.xlsx`` workbook with one sheet per
file. :func:`read_tables` reads either form and validates it; the result feeds
:class:`graphmodel.Network`, which imports this package (never the other way round).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from graphmodel.errors import InputFormatError

from .excel import read_workbook, write_workbook
from .raw import RawTable
from .tables import read_folder, write_folder
from .validate import validate_tables

__all__ = ["read_raw", "read_tables", "write_tables", "RawTable"]


def read_raw(path: str | Path, contents: dict[str, bytes | None] | None = None
             ) -> tuple[dict[str, RawTable], list]:
    """Read a folder or workbook into raw text tables plus the problems met reading it.

    ``contents``: a folder's files already read, as :func:`read_folder` takes them.
    """
    path = Path(path)
    if not path.exists():
        raise InputFormatError(f"{path}: no such file or folder")
    if path.is_dir():
        return read_folder(path, contents)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return read_workbook(path)
    if path.suffix.lower() == ".csv":
        raise InputFormatError(
            f"{path}: a network is a folder of CSV files, not one CSV; pass the folder "
            f"{path.parent} instead")
    raise InputFormatError(f"{path}: expected a folder of CSV files or an .xlsx workbook")


def read_tables(path: str | Path, contents: dict[str, bytes | None] | None = None
                ) -> dict[str, pd.DataFrame]:
    """Read and validate a network; raises :class:`graphmodel.errors.ValidationError`.

    ``contents``: a folder's files already read (see :func:`read_folder`), so a caller that
    hashed those bytes validates exactly them (:mod:`graphmodel.netcache`).
    """
    raw, problems = read_raw(path, contents)
    return validate_tables(raw, problems)


def write_tables(frames: dict[str, pd.DataFrame], path: str | Path) -> Path:
    """Write record tables as a folder of CSV files, or a workbook if ``path`` ends in .xlsx."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        return write_workbook(frames, path)
    write_folder(frames, path)
    return path
