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
  own company, so unknown ownership never inflates concentration). An *aggregate* row
  (``aggregate`` column: one row standing for many plants) is no company: its capacity
  counts in C but adds no term to the sum, as if split among many small holders (its
  share of the HHI tends to 0), and it is never the ``top_company``. The exception is a
  *company residual* (:attr:`~graphmodel.network.Network.company`): an aggregate whose
  ultimate owner also holds a non-aggregate facility of the same stage stands for more
  plants of that one company (a state group's quota beyond its named plants), so it
  counts for that company;
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
from .lookup import positions
from .exposure import InvalidArgument, check_stage, country_code
from .network import Network
from .schema import ALL_STAGES, RECYCLER, stages_in
from .choices import CAPACITY_BASES as BASES

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
    capacity is unknown that would contribute to the row). Stages in supply order,
    recycler last; materials alphabetically. With ``by=None`` every selected stage present
    in the network has a row (C = 0 and undefined shares when nothing counts).

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
    facilities = net.facilities
    stage_rank = positions(pd.Index(ALL_STAGES), facilities["stage"])
    capacity = facilities["capacity"].to_numpy(dtype=float)
    counted = (facilities["status"].isin(COUNTED_STATUS[include_planned]).to_numpy()
               & np.isin(stage_rank, [ALL_STAGES.index(s) for s in selected]))
    _check_units(net, stage_rank, counted & ~np.isnan(capacity))

    facility, material, fraction = _attribution(net, basis, by == "material")
    keep = counted[facility] & (fraction > 0)
    rows = _Rows(facility[keep], material[keep], fraction[keep] * capacity[facility[keep]])
    table = _aggregate(net, rows, stage_rank, code)
    if by is None:
        table = table.drop(columns="material").set_index("stage").reindex(
            pd.Index(selected, name="stage")).reset_index()
        table["capacity_total"] = table["capacity_total"].fillna(0.0)
        for column in ("facilities", "capacity_unknown"):
            table[column] = table[column].fillna(0).astype(int)
    table["country"] = code
    table["basis"] = basis
    columns = COLUMNS[:1] + (["material"] if by == "material" else []) + COLUMNS[1:]
    return table[columns]


def _selected_stages(net: Network, stages) -> list[str]:
    if stages is None:
        return stages_in(net.facilities["stage"])
    wanted = [stages] if isinstance(stages, str) else list(stages)
    for stage in wanted:
        check_stage(stage)
    return stages_in(wanted)


# --- counted capacity per facility (and material) ------------------------------------------
def _attribution(net: Network, basis: str, by_material: bool):
    """Arrays (facility position, material, fraction): the fraction of a facility's
    capacity that counts on ``basis``, split by material if asked (module docstring)."""
    facilities, links = net.facilities, net.links
    n = len(facilities)
    supplier = positions(facilities.index, links["supplier"])
    customer = positions(facilities.index, links["customer"])
    is_recycler = (facilities["stage"] == RECYCLER).to_numpy()
    volume = links["volume"].to_numpy(dtype=float)
    product = ~is_recycler[customer]
    carrying = product & (volume > 0)
    product_volume = np.bincount(supplier[carrying], volume[carrying], minlength=n)
    has_product_link = np.bincount(supplier[product], minlength=n) > 0
    receives = net.inbound_volume.to_numpy(dtype=float) > 0
    end_user = ~has_product_link & receives & ~is_recycler
    counting = carrying
    if basis == "qualified":
        counting = carrying & (links["status"] == "qualified").to_numpy()
    without = product_volume == 0
    # facilities without product volume: in full on nameplate; only end users when qualified
    rest = np.where(end_user, 1.0, 0.0) if basis == "qualified" else np.ones(n)
    divisor = np.where(without, 1.0, product_volume)

    if not by_material:
        counted_volume = np.bincount(supplier[counting], volume[counting], minlength=n)
        fraction = np.where(without, rest, counted_volume / divisor)
        return np.arange(n), np.full(n, NO_MATERIAL, dtype=object), fraction
    material_code, materials = pd.factorize(links["material"])
    key = supplier[counting] * len(materials) + material_code[counting]
    keys, inverse = np.unique(key, return_inverse=True)
    sums = np.bincount(inverse, volume[counting], minlength=len(keys))
    facility = keys // max(len(materials), 1)
    labels = np.asarray(materials, dtype=object)[keys % max(len(materials), 1)]
    others = np.flatnonzero(without)
    return (np.concatenate([facility, others]),
            np.concatenate([labels, np.full(len(others), NO_MATERIAL, dtype=object)]),
            np.concatenate([sums / divisor[facility], rest[others]]))


class _Rows:
    """Counted rows: facility positions, materials and counted capacity c(v) (NaN = unknown)."""

    def __init__(self, facility: np.ndarray, material: np.ndarray, counted: np.ndarray):
        self.facility, self.material, self.counted = facility, material, counted


# --- checks and aggregation -----------------------------------------------------------------
def _check_units(net: Network, stage_rank: np.ndarray, added: np.ndarray) -> None:
    """Raise if a stage would add capacities of different units (``added``: counted with a
    known capacity)."""
    facilities = net.facilities
    unit_code, units = pd.factorize(facilities["unit"])
    pairs = np.unique(stage_rank[added] * (len(units) + 1) + unit_code[added])
    stage_of_pair = pairs // (len(units) + 1)
    ranks, per_stage = np.unique(stage_of_pair, return_counts=True)
    mixed = ranks[per_stage > 1]
    if not len(mixed):
        return
    problems = []
    for rank in mixed:  # only stages in error: a handful at most
        stage = ALL_STAGES[rank]
        members = np.flatnonzero(added & (stage_rank == rank))
        counts = pd.Series(np.asarray(units, dtype=object)[unit_code[members]]).value_counts()
        counts = counts.sort_index().sort_values(ascending=False, kind="stable")
        listing = ", ".join(f"'{unit}' ({n} facilit{'y' if n == 1 else 'ies'})"
                            for unit, n in counts.items())
        usual = counts.index[0]
        for position in members:
            if facilities["unit"].iat[position] != usual:
                problems.append(Problem(
                    "facilities.csv", int(position) + 2, "unit",
                    f"facility '{facilities.index[position]}': stage '{stage}' mixes units "
                    f"{listing}; concentration never adds different units, so give every "
                    f"counted {stage} facility the same unit (convert the capacity)"))
    raise ValidationError(problems)


def _aggregate(net: Network, rows: _Rows, stage_rank: np.ndarray, code: str) -> pd.DataFrame:
    """Totals, focus shares, HHIs and top holders per (stage, material) group."""
    facilities, ownership = net.facilities, net.ownership
    material_code, materials = pd.factorize(pd.Series(rows.material, dtype=object), sort=True)
    key = stage_rank[rows.facility] * max(len(materials), 1) + material_code
    groups, group = np.unique(key, return_inverse=True)
    count = len(groups)
    known = ~np.isnan(rows.counted)
    amount = np.where(known, rows.counted, 0.0)
    total = np.bincount(group, amount, minlength=count)
    defined = np.where(total > 0, total, np.nan)

    def share(mask_by_facility: np.ndarray) -> np.ndarray:
        return np.bincount(group, amount * mask_by_facility[rows.facility], minlength=count) / defined

    control = ownership["control_country"]
    # a facility without owner is its own company; an aggregate of many holders is none
    own_company = pd.Series("(no owner: " + facilities.index.astype(str) + ")", index=facilities.index)
    company = net.company.where(ownership["ultimate_owner"].notna(), own_company)
    unit_code, units = pd.factorize(facilities["unit"])
    first_unit = np.full(count, -1)
    # the unit of a group: a known-capacity row's (all equal, _check_units made sure), else
    # that of a row with unknown capacity
    first_unit[group] = unit_code[rows.facility]
    first_unit[group[known]] = unit_code[rows.facility[known]]
    table = pd.DataFrame({
        "stage": np.asarray(ALL_STAGES, dtype=object)[groups // max(len(materials), 1)],
        "material": np.asarray(materials, dtype=object)[groups % max(len(materials), 1)]
        if len(materials) else np.array([], dtype=object),
        "capacity_total": total,
        "unit": np.where(first_unit >= 0, np.asarray(units, dtype=object)[first_unit.clip(0)], None),
        "share_location": share((facilities["country"] == code).to_numpy(dtype=bool)),
        "share_control": share(control.eq(code).fillna(False).to_numpy(dtype=bool)),
        "share_control_unknown": share(control.isna().to_numpy()),
    })
    for holder, labels in (("country", facilities["country"]), ("company", company)):
        hhi, top, top_share = _holders(group, labels, rows, amount, defined)
        table[f"hhi_{holder}"] = hhi
        table[f"top_{holder}"] = top
        table[f"top_{holder}_share"] = top_share
    table["facilities"] = np.bincount(group[known], minlength=count)
    table["capacity_unknown"] = np.bincount(group[~known], minlength=count)
    return table


def _holders(group: np.ndarray, labels: pd.Series, rows: _Rows, amount: np.ndarray,
             defined: np.ndarray):
    """Per group: HHI (0..10,000) over holders, the top holder (ties: alphabetical) and its
    share. ``labels`` names each facility's holder (country or company); a facility with no
    label (an aggregate's company) is held by no one: it adds no term to the HHI."""
    holder_code, holders = pd.factorize(labels, sort=True)
    holder = holder_code[rows.facility] + 1  # 0 = missing label (code -1)
    width = len(holders) + 1
    pairs, pair = np.unique(group * width + holder, return_inverse=True)
    pair_group = pairs // width
    shares = np.bincount(pair, amount, minlength=len(pairs)) / defined[pair_group]
    shares = np.where(pairs % width == 0, np.nan, shares)  # unlabelled: no holder
    hhi = np.bincount(pair_group, np.nan_to_num((100.0 * shares) ** 2), minlength=len(defined))
    hhi = np.where(np.isnan(defined), np.nan, hhi)
    # best pair per group: largest share, then the alphabetically first holder (codes are
    # sorted, so the smaller code)
    top = np.full(len(defined), None, dtype=object)
    top_share = np.full(len(defined), np.nan)
    if not len(pairs):  # nothing counted at all
        return hhi, top, top_share
    order = np.lexsort((pairs % width, -np.nan_to_num(shares, nan=-1.0), pair_group))
    first = order[np.r_[True, pair_group[order][1:] != pair_group[order][:-1]]]
    named = np.concatenate([[None], np.asarray(holders, dtype=object)])
    valid = ~np.isnan(shares[first])
    top[pair_group[first][valid]] = named[pairs[first][valid] % width]
    top_share[pair_group[first][valid]] = shares[first][valid]
    return hhi, top, top_share
