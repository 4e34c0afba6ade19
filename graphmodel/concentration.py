"""Concentration of each stage's capacity by country and by company (issue 4).

Definitions (the contract of issue 4)
-------------------------------------
*Counted facilities.* ``operating`` facilities; with ``include_planned=True`` also
``construction`` and ``planned`` ones. ``idle`` facilities never count (their capacity is
not available and no restart date is modelled). Facilities whose capacity is unknown
(empty) are not added to any total; they are counted in ``capacity_unknown``.

*Counted capacity* c(v) of a counted facility v, in the facility's ``unit`` per year:

* ``basis="nameplate"``: c(v) = capacity(v).
* ``basis="qualified"``: c(v) = capacity(v) * q(v), the capacity that reaches customers
  over ``qualified`` links, i.e. what an OEM can actually buy today. With *product links*
  the links of v to customers that are not recyclers (scrap sent to a recycler is not
  v's product; this matches :attr:`~graphmodel.network.Network.sinks`):

  - if v's product links carry volume: q(v) = qualified product volume / product volume
    (in_qualification volume and candidate links do not count);
  - if v has no product link at all and receives volume (an end user: OEM, sink):
    q(v) = 1, its capacity counts in full;
  - otherwise q(v) = 0: v's only product links are candidate or in_qualification with no
    volume, or v is unconnected.

*By material* (``by="material"``): c(v) is attributed to materials in proportion to v's
product volume by material (qualified product volume for the qualified basis, still
divided by all product volume, so the parts add up to c(v)). Facilities without product
volume go to material ``(none)``.

*Per stage* (per stage and material) with total C = sum of c(v):

* ``share_location`` = sum of c(v) over v located in the focus country / C;
* ``share_control`` = sum of c(v) over v whose ultimate owner (majority stakes > 0.5 in
  owners.csv, :attr:`~graphmodel.network.Network.ownership`) is of the focus country / C;
  ``share_control_unknown`` = the share whose control country is unknown (owner missing or
  not in owners.csv);
* ``hhi_country`` = sum over countries k of (100 * C_k / C)^2 (Herfindahl-Hirschman index,
  0..10,000; 10,000 = one country holds everything), C_k the capacity located in k;
* ``hhi_company`` = the same over ultimate owners (a facility without owner counts as its
  own company, so unknown ownership never inflates concentration);
* ``top_country`` / ``top_country_share``, ``top_company`` / ``top_company_share``: the
  largest holder and its share (ties: alphabetical).

Shares are fractions of C in [0, 1] and NaN when C = 0. Capacities of different units are
never added: if the counted facilities of a stage (with known capacity) use more than one
unit, :func:`concentration` raises a ``ValidationError`` naming each facility row whose
unit differs from the stage's most common unit.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import Problem, ValidationError
from .exposure import InvalidArgument, check_stage, country_code
from .network import Network
from .schema import ALL_STAGES, RECYCLER

BASES = ("nameplate", "qualified")
NO_MATERIAL = "(none)"
COUNTED_STATUS = {False: ("operating",), True: ("operating", "construction", "planned")}
COLUMNS = ["stage", "country", "basis", "capacity_total", "unit", "share_location",
           "share_control", "share_control_unknown", "hhi_country", "hhi_company",
           "top_country", "top_country_share", "top_company", "top_company_share",
           "facilities", "capacity_unknown"]


def concentration(net: Network, country: str = "CN", basis: str = "nameplate",
                  include_planned: bool = False, by: str | None = None,
                  stages=None) -> pd.DataFrame:
    """Capacity concentration per stage (see the module docstring for every definition).

    Parameters
    ----------
    net : the network.
    country : focus country of ``share_location`` / ``share_control`` (name or code).
    basis : ``"nameplate"`` or ``"qualified"``.
    include_planned : count ``construction`` and ``planned`` facilities too (never ``idle``).
    by : ``None`` (one row per stage) or ``"material"`` (one row per stage and material).
    stages : optional stage or list of stages to report (default: every stage present).

    Returns
    -------
    DataFrame with columns ``stage`` (``material`` after it with ``by="material"``),
    ``country`` (the focus country), ``basis``, ``capacity_total`` (C, in ``unit`` per
    year), ``unit``, ``share_location``, ``share_control``, ``share_control_unknown``,
    ``hhi_country``, ``hhi_company``, ``top_country``, ``top_country_share``,
    ``top_company``, ``top_company_share``, ``facilities`` (counted facilities with known
    capacity contributing to the row) and ``capacity_unknown`` (counted facilities whose
    capacity is unknown). Stages in supply order, recycler last. With ``by=None`` every
    selected stage present in the network has a row (C = 0 when nothing counts).

    Examples
    --------
    >>> from graphmodel.examples import load_golden
    >>> table = concentration(load_golden(), "CN").set_index("stage")
    >>> float(table.at["separator", "share_location"])     # sep_cn 80 of 80 + 40
    0.6666666666666666
    """
    code = country_code(country)
    if basis not in BASES:
        raise InvalidArgument(f"unknown basis '{basis}' (expected one of: {', '.join(BASES)})")
    if by not in (None, "material"):
        raise InvalidArgument(f"unknown breakdown '{by}' (expected material or none)")
    selected = _selected_stages(net, stages)
    rows = _counted_rows(net, basis, include_planned, by == "material")
    rows = rows[rows["stage"].isin(selected)]
    _check_units(net, rows)
    keys = ["stage", "material"] if by == "material" else ["stage"]
    table = _aggregate(rows, keys, code)
    if by is None:
        table = table.reindex(pd.Index(selected, name="stage"))
        table["capacity_total"] = table["capacity_total"].fillna(0.0)
        for column in ("facilities", "capacity_unknown"):
            table[column] = table[column].fillna(0).astype(int)
    table = table.reset_index()
    table["country"] = code
    table["basis"] = basis
    table = _in_stage_order(table, keys)
    columns = COLUMNS[:1] + (["material"] if by == "material" else []) + COLUMNS[1:]
    return table[columns]


def _selected_stages(net: Network, stages) -> list[str]:
    present = set(net.facilities["stage"])
    if stages is None:
        return [s for s in ALL_STAGES if s in present]
    wanted = [stages] if isinstance(stages, str) else list(stages)
    for stage in wanted:
        check_stage(stage)
    return [s for s in ALL_STAGES if s in wanted]


# --- counted capacity per facility (and material) ------------------------------------------
def _counted_rows(net: Network, basis: str, include_planned: bool, by_material: bool) -> pd.DataFrame:
    """One row per counted facility (and material): attributes plus ``counted`` = c(v)."""
    facilities = net.facilities
    counted = facilities[facilities["status"].isin(COUNTED_STATUS[include_planned])]
    fractions = _fractions(net, basis, by_material)
    fractions = fractions[fractions["facility"].isin(counted.index)]
    ownership = net.ownership
    company = ownership["ultimate_owner"].where(
        ownership["ultimate_owner"].notna(), "(no owner: " + facilities.index.to_series() + ")")
    rows = fractions.assign(
        stage=fractions["facility"].map(facilities["stage"]),
        location=fractions["facility"].map(facilities["country"]),
        control=fractions["facility"].map(ownership["control_country"]),
        company=fractions["facility"].map(company),
        unit=fractions["facility"].map(facilities["unit"]),
        capacity=fractions["facility"].map(facilities["capacity"]).astype(float),
        row=fractions["facility"].map(pd.Series(np.arange(len(facilities)) + 2, index=facilities.index)),
    )
    rows["counted"] = rows["capacity"] * rows["fraction"]
    return rows


def _fractions(net: Network, basis: str, by_material: bool) -> pd.DataFrame:
    """Per facility (and material): the fraction of its capacity that counts (q(v) split).

    Columns ``facility``, ``material``, ``fraction``; facilities with fraction 0 are kept
    only when they have no other row (so a facility is never silently lost from a stage).
    """
    facilities = net.facilities
    stage = facilities["stage"]
    links = net.links
    product = links[links["customer"].map(stage) != RECYCLER]
    carrying = product[product["volume"] > 0]
    product_volume = carrying.groupby("supplier")["volume"].sum()
    has_product_link = facilities.index.isin(product["supplier"])
    receives = net.inbound_volume.to_numpy() > 0
    end_user = ~has_product_link & receives & (stage != RECYCLER).to_numpy()
    without_volume = ~facilities.index.isin(product_volume.index)
    # the share of capacity that counts for facilities without product volume
    residual = np.where(end_user, 1.0, 0.0) if basis == "qualified" else np.ones(len(facilities))

    parts = carrying if basis == "nameplate" else carrying[carrying["status"] == "qualified"]
    group = ["supplier", "material"] if by_material else ["supplier"]
    volume = parts.groupby(group, as_index=False)["volume"].sum()
    volume["fraction"] = volume["volume"] / volume["supplier"].map(product_volume)
    volume = volume.rename(columns={"supplier": "facility"})
    if not by_material:
        volume["material"] = NO_MATERIAL
    rest = pd.DataFrame({"facility": facilities.index[without_volume],
                         "material": NO_MATERIAL, "fraction": residual[without_volume]})
    with_volume = pd.DataFrame({"facility": facilities.index[~without_volume]})
    # facilities with product volume but none of it qualified: an explicit zero row
    missing = with_volume[~with_volume["facility"].isin(volume["facility"])].assign(
        material=NO_MATERIAL, fraction=0.0)
    frames = [f for f in (volume[["facility", "material", "fraction"]], rest, missing) if len(f)]
    if not frames:
        return pd.DataFrame({"facility": pd.Series(dtype=object), "material": pd.Series(dtype=object),
                             "fraction": pd.Series(dtype=float)})
    return pd.concat(frames, ignore_index=True)


# --- checks and aggregation -----------------------------------------------------------------
def _check_units(net: Network, rows: pd.DataFrame) -> None:
    """Raise if a stage would add capacities of different units."""
    known = rows[rows["capacity"].notna()].drop_duplicates("facility")
    units = known.groupby("stage")["unit"].nunique()
    mixed = units.index[units > 1]
    if not len(mixed):
        return
    problems = []
    for stage in mixed:  # only stages in error: a handful at most
        at_stage = known[known["stage"] == stage]
        counts = at_stage["unit"].value_counts()
        counts = counts.sort_index().sort_values(ascending=False, kind="stable")
        listing = ", ".join(f"'{unit}' ({n} facilit{'y' if n == 1 else 'ies'})"
                            for unit, n in counts.items())
        usual = counts.index[0]
        for record in at_stage[at_stage["unit"] != usual].itertuples():
            problems.append(Problem(
                "facilities.csv", int(record.row), "unit",
                f"facility '{record.facility}': stage '{stage}' mixes units {listing}; "
                "concentration never adds different units, so give every counted "
                f"{stage} facility the same unit (convert the capacity)"))
    raise ValidationError(problems)


def _aggregate(rows: pd.DataFrame, keys: list[str], code: str) -> pd.DataFrame:
    """Totals, focus shares, HHIs and top holders per group of ``keys``."""
    contributing = rows[rows["fraction"] > 0]
    known = contributing[contributing["capacity"].notna()]
    grouped = known.groupby(keys, sort=False)
    total = grouped["counted"].sum()

    def share(mask: pd.Series) -> pd.Series:
        part = known[mask].groupby(keys, sort=False)["counted"].sum()
        return _divide(part.reindex(total.index, fill_value=0.0), total)

    table = pd.DataFrame({
        "capacity_total": total,
        "unit": grouped["unit"].first(),
        "share_location": share(known["location"] == code),
        "share_control": share(known["control"] == code),
        "share_control_unknown": share(known["control"].isna()),
    })
    for holder, column in (("country", "location"), ("company", "company")):
        hhi, top, top_share = _holders(known, keys, column, total)
        table[f"hhi_{holder}"] = hhi
        table[f"top_{holder}"] = top
        table[f"top_{holder}_share"] = top_share
    table["facilities"] = grouped["facility"].nunique()
    unknown = contributing[contributing["capacity"].isna()].groupby(keys, sort=False)["facility"].nunique()
    table = table.join(unknown.rename("capacity_unknown"), how="outer")
    table["capacity_total"] = table["capacity_total"].fillna(0.0)
    table["facilities"] = table["facilities"].fillna(0).astype(int)
    table["capacity_unknown"] = table["capacity_unknown"].fillna(0).astype(int)
    return table


def _holders(known: pd.DataFrame, keys: list[str], column: str, total: pd.Series):
    """HHI (0..10,000), top holder and its share per group, holders given by ``column``."""
    amounts = known.groupby(keys + [column], sort=False)["counted"].sum().reset_index()
    group_total = amounts.set_index(keys).index.map(total)
    amounts["share"] = _divide(amounts["counted"], pd.Series(np.asarray(group_total, dtype=float),
                                                             index=amounts.index))
    hhi = (100.0 * amounts["share"]) ** 2
    hhi = hhi.groupby([amounts[k] for k in keys], sort=False).sum(min_count=1)
    hhi = hhi.where(total.reindex(hhi.index) > 0)
    ranked = amounts[amounts["share"].notna()].sort_values(
        ["share", column], ascending=[False, True]).drop_duplicates(keys).set_index(keys)
    return (hhi.reindex(total.index), ranked[column].reindex(total.index),
            ranked["share"].reindex(total.index))


def _divide(part: pd.Series, whole: pd.Series) -> pd.Series:
    """part / whole, NaN where whole is 0 (no capacity: shares undefined)."""
    whole = whole.astype(float)
    return part.astype(float) / whole.where(whole > 0)


def _in_stage_order(table: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    rank = table["stage"].map({s: i for i, s in enumerate(ALL_STAGES)})
    order = [rank] + [table[k] for k in keys[1:]]
    sort_frame = pd.DataFrame({f"k{i}": v.to_numpy() for i, v in enumerate(order)})
    return table.iloc[sort_frame.sort_values(list(sort_frame.columns)).index].reset_index(drop=True)
