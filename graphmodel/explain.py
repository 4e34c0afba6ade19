"""Chokepoints in words: the one sentence-builder the report and the app both use."""
from __future__ import annotations

from collections.abc import Mapping

import pandas as pd


def names_list(ids, names: Mapping, limit: int = 4) -> str:
    """``a, b, c, d and 3 more``: facility names (ids where a name is missing)."""
    shown = [str(names.get(i, i)) for i in list(ids)[:limit]]
    more = len(ids) - limit
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def why(row: pd.Series, names: Mapping, shares: pd.DataFrame | None = None,
        demand: pd.Series | None = None) -> str:
    """A plain-language explanation of why a facility is a chokepoint.

    Parameters
    ----------
    row : pandas.Series
        The facility's row of :func:`graphmodel.chokepoints.chokepoints`.
    names : Mapping
        Facility names by id (a Series or a dict).
    shares : pandas.DataFrame, optional
        Per-sink shares ``F(k, u)`` (:func:`graphmodel.chokepoints.sink_shares`); when
        given, the sinks that depend on the facility for more than a quarter of their
        supply are named.
    demand : pandas.Series, optional
        Sink demand (:func:`graphmodel.chokepoints.selected_demand`); when given, the share
        of demand held by the sinks it is the single point of failure for is stated.

    Returns
    -------
    str
        A few sentences: the demand lost, whom it is a single point of failure for, what
        could replace it, how long qualifying a candidate takes, and who controls it.
    """
    unit = row["demand_unit"]
    parts = [f"{row['criticality']:.0%} of all sink demand ({row['demand_at_risk']:,.0f} {unit}) "
             "would be lost if it failed and nothing rerouted."]
    linear = row.get("criticality_linear")
    if row.get("criticality_basis") == "recipe" and linear is not None and pd.notna(linear) \
            and abs(row["criticality"] - linear) >= 0.005:
        parts.append(f"By tonnage alone (inputs interchangeable) it would be {linear:.0%}: "
                     "the recipes make the difference.")
    single = row["single_point_for"]
    if len(single):
        buyers = f"{len(single)} buyer{'s' if len(single) > 1 else ''}"
        held = "" if demand is None else \
            f" ({demand.reindex(single).sum() / demand.sum():.0%} of demand)"
        parts.append(f"Single point of failure for {buyers}{held}: {names_list(single, names)}.")
    if shares is not None:
        column = shares[row["id"]] if row["id"] in shares.columns else pd.Series(dtype=float)
        dependent = column[column > 0.25].drop(single, errors="ignore").sort_values(ascending=False)
        if len(dependent):
            listed = [f"{names.get(k, k)} {v:.0%}" for k, v in dependent.head(3).items()]
            parts.append("Carries a large share of the supply of " + "; ".join(listed) + ".")
    if row["n_alternatives"] == 0:
        parts.append("No qualified alternative supplier serves its customers.")
    else:
        coverage = row["coverage"]
        cover = ("" if pd.isna(coverage) else ", enough to replace all its output" if coverage >= 1
                 else f", {coverage:.0%} of its output")
        count = row["n_alternatives"]
        parts.append(f"Qualified alternatives: {count} facilit{'ies' if count > 1 else 'y'} with "
                     f"{row['alternatives']:,.0f} {row['unit']} spare{cover}.")
    months = row["fastest_qualification_months"]
    if pd.notna(months):
        parts.append(f"Fastest new supplier qualification: {months:.0f} months.")
    elif row["n_alternatives"] == 0:
        parts.append("No candidate supplier is being qualified.")
    control = row["control_country"]
    if isinstance(control, str) and control != row["country"]:
        parts.append(f"Located in {row['country']} but controlled from {control} "
                     f"({row['ultimate_owner']}).")
    return " ".join(parts)
