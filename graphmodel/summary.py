"""Counts and capacity of a network by stage and country."""
from __future__ import annotations

import pandas as pd

from .network import Network
from .schema import ALL_STAGES


def summary_by_stage_country(net: Network) -> pd.DataFrame:
    """One row per (stage, country, unit).

    Columns: ``stage``, ``country``, ``facilities`` (all statuses), ``operating``
    (operating facilities), ``capacity`` (summed over operating facilities with a known
    capacity), ``unit``, ``capacity_unknown`` (operating facilities with no capacity given).
    Capacities are summed only within one unit, never across units.
    """
    f = net.facilities.assign(
        operating=net.facilities["status"] == "operating",
        unknown=(net.facilities["status"] == "operating") & net.facilities["capacity"].isna(),
    )
    f["operating_capacity"] = f["capacity"].where(f["operating"])
    grouped = f.groupby(["stage", "country", "unit"], dropna=False).agg(
        facilities=("stage", "size"),
        operating=("operating", "sum"),
        capacity=("operating_capacity", lambda s: s.sum(min_count=0)),
        capacity_unknown=("unknown", "sum"),
    ).reset_index()
    grouped["stage"] = pd.Categorical(grouped["stage"], categories=ALL_STAGES, ordered=True)
    grouped = grouped.sort_values(["stage", "capacity"], ascending=[True, False])
    grouped["stage"] = grouped["stage"].astype(str)
    return grouped[["stage", "country", "facilities", "operating", "capacity", "unit",
                    "capacity_unknown"]].reset_index(drop=True)


def summary_by_stage(net: Network) -> pd.DataFrame:
    """One row per (stage, unit): facilities, operating, countries, capacity."""
    detail = summary_by_stage_country(net)
    out = detail.groupby(["stage", "unit"], sort=False).agg(
        facilities=("facilities", "sum"), operating=("operating", "sum"),
        countries=("country", "nunique"), capacity=("capacity", "sum"),
        capacity_unknown=("capacity_unknown", "sum"),
    ).reset_index()
    return out[["stage", "facilities", "operating", "countries", "capacity", "unit",
                "capacity_unknown"]]
