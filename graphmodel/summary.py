"""Counts and capacity of a network by stage and country."""
from __future__ import annotations

import pandas as pd

from .network import Network
from .schema import ALL_STAGES, stages_in


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


#: Values of the links' ``basis`` column: ``reported`` (the volume is stated by the cited
#: source: a company report, customs statistics, an offtake agreement) or ``estimated``.
FLOW_BASES = ("reported", "estimated")
ALL = "all"


def flow_basis(net: Network) -> pd.DataFrame:
    """How much of the flow tonnage rests on reported figures, by supplier stage and in all.

    Counted: links carrying volume (volume > 0). For each supplier stage (and ``all``),
    ``volume`` = the summed volume (tonnes per year of each link's material, as in
    ``links.csv``), ``reported`` / ``estimated`` = the part on links whose ``basis`` is
    ``reported`` / ``estimated``, ``unknown`` = the part on links with no or another
    ``basis`` (every link when the network has no ``basis`` column), and
    ``reported_share`` = reported / volume (NaN when volume is 0). Tonnes of different
    materials (t REO, t oxide, t magnet) are added in the ``all`` row, as the share of
    tonnage is what it measures; read the stage rows for one material family.

    Returns columns ``stage``, ``links``, ``volume``, ``reported``, ``estimated``,
    ``unknown``, ``reported_share``; stages in supply order, ``all`` last.
    """
    links = net.carrying_links
    basis = (links["basis"].fillna("").astype(str).str.strip().str.lower()
             if "basis" in links.columns else pd.Series("", index=links.index))
    stage = links["supplier"].map(net.facilities["stage"])
    frame = pd.DataFrame({"stage": stage.to_numpy(), "volume": links["volume"].to_numpy(float),
                          "basis": basis.to_numpy()})
    for name in FLOW_BASES:
        frame[name] = frame["volume"].where(frame["basis"] == name, 0.0)
    frame["unknown"] = frame["volume"].where(~frame["basis"].isin(FLOW_BASES), 0.0)
    sums = ["volume", *FLOW_BASES, "unknown"]
    by_stage = frame.groupby("stage").agg(links=("volume", "size"),
                                          **{c: (c, "sum") for c in sums})
    by_stage = by_stage.reindex(stages_in(by_stage.index))
    total = pd.DataFrame([{"links": len(frame), **{c: frame[c].sum() for c in sums}}],
                         index=[ALL])
    out = pd.concat([by_stage, total]).rename_axis("stage").reset_index()
    out["links"] = out["links"].astype(int)
    out["reported_share"] = out["reported"] / out["volume"].where(out["volume"] > 0)
    return out[["stage", "links", *sums, "reported_share"]]


def reported_share_line(net: Network) -> str:
    """One sentence on the share of flow tonnage resting on reported figures."""
    row = flow_basis(net).set_index("stage").loc[ALL]
    if row["volume"] <= 0:
        return "Flow tonnage on reported figures: no link carries volume."
    if row["unknown"] == row["volume"]:
        return ("Flow tonnage on reported figures: unknown (the links have no basis column "
                "saying reported or estimated).")
    share = row["reported"] / row["volume"]
    return (f"Flow tonnage on reported figures: {share:.1%} ({row['reported']:,.0f} of "
            f"{row['volume']:,.0f} t/yr over {int(row['links'])} carrying links; "
            f"{row['estimated'] / row['volume']:.1%} estimated"
            + (f", {row['unknown'] / row['volume']:.1%} without a basis" if row["unknown"] else "")
            + "; see tiern summary --by flow-basis).")
