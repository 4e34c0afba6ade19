"""What changed between two versions of a network (``tiern diff OLD NEW``).

Rows are matched by their key in each table:

========== ==================================
table      key
========== ==================================
facilities ``id``
links      ``supplier``, ``customer``, ``material``
owners     ``owner``, ``parent``
capacities ``facility``, ``material``
demand     ``facility``
========== ==================================

A key present only in NEW is *added*, only in OLD *removed*; a key in both whose other
columns differ is *changed*, with one row per differing column (old -> new). Two values are
equal when both are missing or when they are equal as values (``1000`` and ``1000.0`` are
the same number), so reading the same tables from a folder or a workbook shows no change.
A column present in only one version counts as missing in the other. Should a key repeat
(the validator refuses duplicate facility ids, links and capacities, but not duplicate
owner rows), repeats are matched in order of appearance.

The China share of each stage is ``share_location`` of
:func:`graphmodel.concentration.concentration` (operating facilities, nameplate basis):
the capacity located in China over the stage's counted capacity. ``change`` is new minus
old in share points (fractions, so 0.01 = one percentage point); a stage present in only
one version has NaN on the other side.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .concentration import concentration
from .network import Network

__all__ = ["KEYS", "NetworkDiff", "diff_networks", "table_changes", "china_share_change"]

#: The key of each compared table (the columns that identify a row).
KEYS: dict[str, list[str]] = {
    "facilities": ["id"],
    "links": ["supplier", "customer", "material"],
    "owners": ["owner", "parent"],
    "capacities": ["facility", "material"],
    "demand": ["facility"],
}
CHANGE_COLUMNS = ["table", "key", "change", "column", "old", "new"]
SHARE_COLUMNS = ["stage", "old_share", "new_share", "change"]


@dataclass(frozen=True)
class NetworkDiff:
    """The result of :func:`diff_networks`.

    ``changes``: one row per added or removed row and per changed column (columns ``table``,
    ``key`` (the key values joined by ``|``), ``change`` (added | removed | changed),
    ``column``, ``old``, ``new``; ``column``/``old``/``new`` are empty for added and removed
    rows). ``china_share``: one row per stage (``stage``, ``old_share``, ``new_share``,
    ``change``). ``counts``: added / removed / changed rows per table.
    """

    old: dict
    new: dict
    changes: pd.DataFrame
    china_share: pd.DataFrame

    @property
    def counts(self) -> pd.DataFrame:
        rows = []
        for table in KEYS:
            part = self.changes[self.changes["table"] == table]
            rows.append({"table": table,
                         "added": int((part["change"] == "added").sum()),
                         "removed": int((part["change"] == "removed").sum()),
                         "changed": int(part.loc[part["change"] == "changed", "key"].nunique())})
        return pd.DataFrame(rows)

    def to_dict(self) -> dict:
        """A JSON-ready dict: ``old``/``new`` (name, hash), ``counts``, ``changes``,
        ``china_share``."""
        def records(frame: pd.DataFrame) -> list[dict]:
            return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]

        return {"old": self.old, "new": self.new, "counts": records(self.counts),
                "changes": records(self.changes), "china_share": records(self.china_share)}


def diff_networks(old: Network, new: Network) -> NetworkDiff:
    """Compare two networks table by table and stage by stage (see the module docstring)."""
    old_frames, new_frames = old.to_frames(), new.to_frames()
    parts = [table_changes(old_frames[t], new_frames[t], keys, t) for t, keys in KEYS.items()]
    changes = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=CHANGE_COLUMNS)
    return NetworkDiff(old={"name": old.name, "hash": old.hash},
                       new={"name": new.name, "hash": new.hash},
                       changes=changes, china_share=china_share_change(old, new))


def table_changes(old: pd.DataFrame, new: pd.DataFrame, keys: list[str],
                  table: str = "table") -> pd.DataFrame:
    """Added, removed and changed rows of one table, matched on ``keys``.

    Returns a frame with columns ``table``, ``key``, ``change``, ``column``, ``old``, ``new``
    (see :class:`NetworkDiff`); added rows first, then removed, then changed, each in key
    order.
    """
    old_keyed, new_keyed = _keyed(old, keys), _keyed(new, keys)
    rows: list[dict] = []
    for key in sorted(new_keyed.index.difference(old_keyed.index)):
        rows.append(_row(table, key, "added"))
    for key in sorted(old_keyed.index.difference(new_keyed.index)):
        rows.append(_row(table, key, "removed"))
    columns = list(dict.fromkeys([*old_keyed.columns, *new_keyed.columns]))
    for key in sorted(old_keyed.index.intersection(new_keyed.index)):
        for column in columns:
            before = old_keyed.at[key, column] if column in old_keyed.columns else None
            after = new_keyed.at[key, column] if column in new_keyed.columns else None
            if not _same(before, after):
                rows.append(_row(table, key, "changed", column, _plain(before), _plain(after)))
    return pd.DataFrame(rows, columns=CHANGE_COLUMNS)


def china_share_change(old: Network, new: Network, country: str = "CN") -> pd.DataFrame:
    """Each stage's location share of ``country`` in ``old`` and ``new`` and the change
    (new - old, in fractions); stages in supply order."""
    def shares(net: Network) -> pd.Series:
        table = concentration(net, country)
        return table.set_index("stage")["share_location"].astype(float)

    before, after = shares(old), shares(new)
    stages = list(dict.fromkeys([*before.index, *after.index]))
    out = pd.DataFrame({"stage": stages,
                        "old_share": before.reindex(stages).to_numpy(),
                        "new_share": after.reindex(stages).to_numpy()})
    out["change"] = out["new_share"] - out["old_share"]
    return out[SHARE_COLUMNS]


def _keyed(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """``frame`` indexed by its key joined with ``|`` (plus ``#n`` for the n-th repeat)."""
    if not len(frame):
        return pd.DataFrame(columns=[c for c in frame.columns if c not in keys],
                            index=pd.Index([], dtype=object))
    key = frame[keys].astype(str).agg("|".join, axis=1)
    repeat = key.groupby(key).cumcount()
    key = key.where(repeat == 0, key + "#" + (repeat + 1).astype(str))
    return frame.drop(columns=keys).set_axis(pd.Index(key.to_numpy(), dtype=object), axis=0)


def _row(table, key, change, column="", old="", new="") -> dict:
    return {"table": table, "key": key, "change": change, "column": column, "old": old,
            "new": new}


def _missing(value) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _same(a, b) -> bool:
    if _missing(a) or _missing(b):
        return _missing(a) and _missing(b)
    if isinstance(a, (bool, np.bool_)) or isinstance(b, (bool, np.bool_)):
        return bool(a) == bool(b)
    if isinstance(a, (int, float, np.number)) and isinstance(b, (int, float, np.number)):
        return float(a) == float(b)
    return str(a) == str(b)


def _plain(value):
    """A value for text and JSON: missing -> None, whole floats -> int, numpy -> Python."""
    if _missing(value):
        return None
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return int(value) if float(value).is_integer() else float(value)
    return value
