"""Build a validated network from Python records (for tests, notebooks and generators).

Records go through exactly the validation files go through, so a network built here is
indistinguishable from one read from CSV.
"""
from __future__ import annotations

from typing import Iterable, Mapping

import pandas as pd

from .io.raw import RawTable
from .io.validate import validate_tables
from .network import Network


def network_from_records(
    facilities: Iterable[Mapping], links: Iterable[Mapping],
    owners: Iterable[Mapping] | None = None, demand: Iterable[Mapping] | None = None,
    recipes: Iterable[Mapping] | None = None, materials: Iterable[Mapping] | None = None,
    capacities: Iterable[Mapping] | None = None, capabilities: Iterable[Mapping] | None = None,
    requirements: Iterable[Mapping] | None = None, certifications: Iterable[Mapping] | None = None,
    *, name: str = "records",
) -> Network:
    """A :class:`Network` from lists of dicts keyed by interchange-format column names.

    Missing optional columns take their defaults. Raises ``ValidationError`` like a file would.

    Examples
    --------
    >>> net = network_from_records(
    ...     [{"id": "m", "name": "Mine", "stage": "mine", "country": "CN"},
    ...      {"id": "s", "name": "Separator", "stage": "separator", "country": "MY"}],
    ...     [{"supplier": "m", "customer": "s", "material": "RE concentrate", "volume": 10}])
    >>> net.inbound_shares()["share"].tolist()
    [1.0]
    """
    raw = {}
    for kind, records in (("facilities", facilities), ("links", links), ("owners", owners),
                          ("demand", demand), ("recipes", recipes), ("materials", materials),
                          ("capacities", capacities), ("capabilities", capabilities),
                          ("requirements", requirements), ("certifications", certifications)):
        if records is None:
            continue
        frame = pd.DataFrame(list(records))
        text = frame.apply(lambda col: col.map(_text)) if len(frame) else frame.astype(str)
        raw[kind] = RawTable(kind, f"{kind}.csv", [str(c) for c in frame.columns], text)
    tables = validate_tables(raw)
    return Network(**tables, name=name)


def _text(value) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
