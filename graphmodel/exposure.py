"""Tier-N exposure: how much of each facility's supply traces back to a country at a stage.

Definitions (the contract of issue 4)
-------------------------------------
Let ``s(v, u) = volume(u -> v) / inbound_volume(v)`` be the share of facility v's inbound
supply (all materials, per year, in v's input unit) that comes from supplier u: the share
matrix ``S`` of :mod:`graphmodel.algebra`. Only links carrying volume count (candidate
links carry none).

For an *origin stage* sigma (e.g. ``separator``) and an *origin indicator* ``b(u)`` that is
1 for the facilities of stage sigma that belong to the focus country and 0 otherwise, the
exposure ``e`` is the minimal non-negative solution of

    e(v) = b(v)                          if v is at stage sigma,
    e(v) = sum_u s(v, u) e(u)            otherwise,

i.e. ``e = A e + b`` with ``A = S`` whose rows of stage-sigma facilities are masked to zero:
supply is traced upstream only until it meets the *nearest* facility of stage sigma.
Masking rows is a row scale by 0, so it is solved on the network's forward plan
(``net.trace.forward``, :mod:`graphmodel.solve`: exact on acyclic parts and on recycling
loops, which always leak; a closed loop with no outside input traces to nothing) for every
stage without building a matrix. "Belongs to the focus country" depends on the basis:

* ``basis="location"``: the facility is located in the country (``facilities.country``);
* ``basis="control"``: its ultimate owner, found through majority stakes in ``owners.csv``,
  is of the country (``net.ownership.control_country``; see
  :attr:`graphmodel.network.Network.ownership`).

``unknown(v) = 1 - k(v)``, where ``k`` solves the same system with ``b = 1`` at *every*
stage-sigma facility: the part of v's supply that traces to no facility of stage sigma at
all (a visibility gap: supply from origins upstream of the stage that bypass it, from
facilities upstream of the stage, or from a closed loop). Facilities of stage sigma have
share 1 or 0 and unknown 0. Facilities with no inbound supply (mines, unconnected
facilities) that are not at stage sigma have share 0 and unknown 1. Shares are
dimensionless fractions in [0, 1] (rounding noise below 1e-12 is cleared); ``share + unknown <= 1``, the rest tracing to
stage-sigma facilities of other countries (or, on the control basis, of unknown control).

Everything is vectorised: one sparse block solve for all columns at once.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from .errors import TiernError
from .io.normalize import normalize_country
from .network import Network
from .schema import ALL_STAGES, EU27, stages_in
from .choices import EXPOSURE_BASES as BASES

UNKNOWN_CONTROL = "unknown_control"
#: Float rounding tolerance: results within it of 0 or 1 are reported as exactly 0 or 1.
ROUNDING = 1e-12


class InvalidArgument(TiernError, ValueError):
    """An analytics argument (stage, country, basis, buyer set) that tiern cannot use."""


# --- argument checks shared with graphmodel.concentration ---------------------------------
def check_stage(stage: str) -> str:
    """``stage`` if it is a known stage, else :class:`InvalidArgument` listing the stages."""
    if stage not in ALL_STAGES:
        raise InvalidArgument(f"unknown stage '{stage}' (expected one of: {', '.join(ALL_STAGES)})")
    return stage


def country_code(value: str, what: str = "country") -> str:
    """ISO alpha-2 code of a country given as alpha-2, alpha-3 or a name; else a clear error."""
    code = normalize_country(value) if value is not None else None
    if code is None:
        raise InvalidArgument(f"unknown {what} '{value}' (use a country name or an ISO 3166-1 "
                              "alpha-2 or alpha-3 code, e.g. CN, CHN or China)")
    return code


def check_basis(basis: str) -> str:
    if basis not in BASES:
        raise InvalidArgument(f"unknown basis '{basis}' (expected one of: {', '.join(BASES)})")
    return basis


def origin_country(net: Network, basis: str) -> pd.Series:
    """Per facility, the country it belongs to on ``basis`` (NaN = unknown control)."""
    if check_basis(basis) == "location":
        return net.facilities["country"]
    return net.ownership["control_country"]


def _trace(net: Network, at_stage: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve ``e = A e + b`` (A = S with the rows of ``at_stage`` zeroed) for a vector or an
    n x K block ``b``; clip to [0, 1] (the solution sums non-negative shares, so only
    rounding can leave the interval). Masking rows is a row scale by 0 of the network's
    forward plan."""
    solution = net.trace.forward.solve(b, (~at_stage).astype(float))
    return _clear_rounding(np.clip(solution, 0.0, 1.0))


def _clear_rounding(values: np.ndarray) -> np.ndarray:
    """Snap values within ``ROUNDING`` of 0 or 1 to exactly 0 or 1, so that a share that is
    1 up to float rounding shows an unknown of 0 rather than 2.2e-16."""
    values = np.where(values < ROUNDING, 0.0, values)
    return np.where(values > 1.0 - ROUNDING, 1.0, values)


def _facility_frame(net: Network) -> pd.DataFrame:
    """The id, name, stage and country columns, keeping their (Arrow) arrays: converting
    a million strings to Python objects took most of an exposure call at 1M facilities."""
    facilities = net.facilities
    return pd.DataFrame({
        "id": facilities.index.array,
        "name": facilities["name"].array,
        "stage": facilities["stage"].array,
        "country": facilities["country"].array,
    }, copy=False)


# --- single-country exposure ---------------------------------------------------------------
def exposure(net: Network, country: str = "CN", stage: str = "separator",
             basis: str = "location") -> pd.DataFrame:
    """Share of each facility's supply that traces back to ``stage`` facilities of ``country``.

    Parameters
    ----------
    net : the network.
    country : focus country (alpha-2, alpha-3 or name; normalised).
    stage : the origin stage sigma (any of :data:`graphmodel.schema.ALL_STAGES`).
    basis : ``"location"`` (facility located in ``country``) or ``"control"`` (its ultimate
        owner, by majority stakes, is of ``country``).

    Returns
    -------
    DataFrame, one row per facility in ``net.facilities`` order, columns ``id``, ``name``,
    ``stage``, ``country`` (the facility's location), ``share`` (e(v), see the module
    docstring) and ``unknown`` (1 - k(v): supply tracing to no facility of ``stage``). With
    ``basis="control"`` also ``unknown_control``: the share tracing to ``stage`` facilities
    whose control country is unknown (neither in ``share`` nor in ``unknown``).
    All three are dimensionless fractions of the facility's inbound volume.

    Examples
    --------
    >>> from graphmodel.examples import load_golden
    >>> table = exposure(load_golden(), "CN", "separator").set_index("id")
    >>> round(float(table.at["metal_cn", "share"]), 4)      # 45 of its 60 t come from sep_cn
    0.75
    """
    code = country_code(country)
    check_stage(stage)
    origin = origin_country(net, basis)
    at_stage = (net.facilities["stage"] == stage).to_numpy()
    columns = [at_stage & origin.eq(code).to_numpy(), at_stage]
    if basis == "control":
        columns.append(at_stage & origin.isna().to_numpy())
    traced = _trace(net, at_stage, np.column_stack(columns).astype(float))
    table = _facility_frame(net)
    table["share"] = traced[:, 0]
    table["unknown"] = 1.0 - traced[:, 1]
    if basis == "control":
        table[UNKNOWN_CONTROL] = traced[:, 2]
    return table


# --- all countries at once ---------------------------------------------------------------
def _origin_block(net: Network, stage: str, basis: str):
    """Indicator block for every origin country: (codes, b of shape n x (K + 1 [+ 1]), at_stage).

    Columns: one per country present at ``stage`` (sorted), then for basis control the
    ``unknown_control`` bucket, then the all-facilities column whose solution is k(v).
    """
    check_stage(stage)
    origin = origin_country(net, basis)
    at_stage = (net.facilities["stage"] == stage).to_numpy()
    codes = sorted(origin[at_stage].dropna().unique())
    buckets = list(codes) + ([UNKNOWN_CONTROL] if basis == "control" else [])
    labels = origin.where(origin.notna(), UNKNOWN_CONTROL).to_numpy(dtype=object)
    column = pd.Index(buckets).get_indexer(labels)
    n = len(at_stage)
    rows = np.flatnonzero(at_stage)
    block = np.zeros((n, len(buckets) + 1))
    block[rows, column[rows]] = 1.0
    block[rows, -1] = 1.0
    return buckets, block, at_stage


def _solve_matrix(net: Network, stage: str, basis: str):
    buckets, block, at_stage = _origin_block(net, stage, basis)
    traced = _trace(net, at_stage, block)
    return buckets, traced[:, :-1], 1.0 - traced[:, -1]


def exposure_matrix(net: Network, stage: str = "separator", basis: str = "location") -> pd.DataFrame:
    """Per facility, the share of its supply tracing to ``stage`` facilities of each country.

    All origin countries are solved at once as one n x K block (see the module docstring:
    column c has ``b = 1`` at the stage facilities of country c).

    Returns
    -------
    DataFrame, one row per facility: ``id``, ``name``, ``stage``, ``country`` (location),
    then one column per origin country present at ``stage`` (alpha-2 codes, sorted), then
    for ``basis="control"`` an ``unknown_control`` column (stage facilities whose control
    country is unknown: an explicit bucket, never dropped), then ``unknown`` (supply
    tracing to no ``stage`` facility). Each row's country columns (with
    ``unknown_control``) sum to ``1 - unknown`` up to rounding.
    """
    buckets, shares, unknown = _solve_matrix(net, stage, basis)
    table = _facility_frame(net)
    values = pd.DataFrame(shares, columns=buckets)
    values["unknown"] = unknown
    return pd.concat([table, values], axis=1)


# --- EU Critical Raw Materials Act style check --------------------------------------------
def resolve_buyers(net: Network, buyers="eu") -> tuple[pd.Index, tuple[str, ...], str]:
    """A buyer set as (facility ids, home countries, label).

    ``buyers``: ``"eu"`` (facilities located in the EU-27; home = EU-27), ``"sinks"``
    (``net.sinks``; no home country), or a list of facility ids (no home country) or of
    countries (names or codes; facilities located there; home = those countries). A
    comma-separated string is read as such a list.
    """
    if isinstance(buyers, str):
        if buyers.lower() == "eu":
            return net.facilities.index[net.facilities["country"].isin(EU27)], EU27, "EU-27"
        if buyers.lower() == "sinks":
            return net.sinks, (), "sinks"
        buyers = [part.strip() for part in buyers.split(",") if part.strip()]
    items = list(buyers) if isinstance(buyers, Iterable) else []
    if not items:
        raise InvalidArgument("empty buyer set (use eu, sinks, facility ids or countries)")
    index = net.facilities.index
    if all(item in index for item in items):
        return pd.Index(items), (), ",".join(items)
    codes = [normalize_country(item) for item in items]
    if all(codes):
        home = tuple(dict.fromkeys(codes))
        return index[net.facilities["country"].isin(home)], home, ",".join(home)
    unknown = [item for item in items if item not in index and normalize_country(item) is None]
    raise InvalidArgument(f"unknown buyers {', '.join(map(repr, unknown))}: expected eu, sinks, "
                          "a list of facility ids or a list of countries")


def _buyer_weights(net: Network, ids: pd.Index, weights: str) -> np.ndarray:
    """Weight per facility (n,): the buyers' inbound volume (or 1 each), 0 elsewhere."""
    inbound = net.inbound_volume.to_numpy(dtype=float)
    is_buyer = net.facilities.index.isin(ids) & (inbound > 0)
    if weights == "inbound":
        w = np.where(is_buyer, inbound, 0.0)
    elif weights == "equal":
        w = is_buyer.astype(float)
    else:
        raise InvalidArgument(f"unknown weights '{weights}' (expected inbound or equal)")
    if w.sum() <= 0:
        raise InvalidArgument(f"the buyer set has no inbound supply: none of its {len(ids)} "
                              "facilities receives volume")
    return w / w.sum()


def crma_shares(net: Network, buyers="eu", basis: str = "location",
                weights: str = "inbound", progress=None,
                home: Iterable[str] | None = None) -> pd.DataFrame:
    """Long table: per stage and origin country, the share of the buyer set's supply.

    The *supply of a buyer set* B at stage sigma from country c is the inbound-volume
    weighted mean of the buyers' exposure::

        share(sigma, c) = sum_{b in B} I(b) e_{sigma,c}(b) / sum_{b in B} I(b)

    where ``I(b)`` is b's total inbound volume per year (all materials, as in links.csv)
    and ``e_{sigma,c}`` the exposure of :func:`exposure_matrix`. It reads "of everything
    the buyers take in, the fraction whose stage-sigma processing happened in c". Flows
    between buyers are counted at each buyer's intake (an EU motor plant's magnets and the
    EU OEM's motors made from them both count); inbound volumes of all buyers are added,
    so they should share an input unit (``weights="equal"`` gives every buyer weight 1
    instead). Buyers without inbound volume carry no weight.

    Returns
    -------
    DataFrame with ``stage``, ``origin`` (country code, ``unknown_control`` or
    ``unknown`` = tracing to no facility of the stage), ``share``, ``third_country``
    (True for a country outside the home countries: ``home`` when given, else the buyer
    set's, see :func:`resolve_buyers`), one row per stage present in the network and origin
    bucket. ``progress(done, total)`` is called after each stage.

    Computed without the n x K matrix: per stage one forward and one backward vector solve
    (see ``_buyer_supply_at_stage``); tests check it against :func:`exposure_matrix`.
    """
    ids, buyer_home, _ = resolve_buyers(net, buyers)
    home = buyer_home if home is None else tuple(home)
    w = _buyer_weights(net, ids, weights)
    stages = stages_in(net.facilities["stage"])
    parts = []
    for done, stage in enumerate(stages):  # two vector solves per stage, <= 10 stages
        parts.append(_buyer_supply_at_stage(net, stage, basis, w))
        if progress is not None:
            progress(done + 1, len(stages))
    table = pd.concat(parts, ignore_index=True)
    table["third_country"] = ~table["origin"].isin(list(home) + [UNKNOWN_CONTROL, "unknown"])
    return table


def _buyer_supply_at_stage(net: Network, stage: str, basis: str, w: np.ndarray) -> pd.DataFrame:
    """``w^T x_c`` for every origin bucket c without solving for every c.

    With ``x_c = (I - A)^-1 b_c``, ``w^T x_c = y^T b_c`` where ``y = (I - A)^-T w`` is one
    backward solve; ``y[u]`` at a stage facility u is the buyers' supply tracing to u.
    The backward solve runs on the facilities that some stage facility reaches (k > 0, one
    forward solve): x is 0 elsewhere, and every recycling loop there leaks (it is fed from
    outside), so ``I - A`` is invertible on them.
    """
    at_stage = (net.facilities["stage"] == stage).to_numpy()
    trace = net.trace
    keep = (~at_stage).astype(float)
    reached = trace.forward.solve(at_stage.astype(float), keep) > 0
    # y = R (M S)^T R y + R w, with R = diag(reached) and M = diag(keep): the columns M R
    # of S^T are a row scale of z = M R y, which solves z = F o (S^T z) + F o w with
    # F = M R on the network's backward plan; y = R (S^T z + w) (only its stage rows count)
    scale = keep * reached
    z = trace.backward.solve(scale * w, scale)
    y = np.where(reached, trace.S.T @ z + w, 0.0)
    origin = origin_country(net, basis)[at_stage]
    labels = origin.where(origin.notna(), UNKNOWN_CONTROL).to_numpy(dtype=object)
    per_origin = pd.Series(y[at_stage], index=labels, dtype=float).groupby(level=0).sum()
    buckets = sorted(origin.dropna().unique()) + ([UNKNOWN_CONTROL] if basis == "control" else [])
    values = per_origin.reindex(buckets, fill_value=0.0).to_numpy()
    values = _clear_rounding(np.clip(values, 0.0, 1.0))
    unknown = _clear_rounding(np.clip(np.array([1.0 - values.sum()]), 0.0, 1.0))
    return pd.DataFrame({"stage": stage, "origin": buckets + ["unknown"],
                         "share": np.append(values, unknown)})


def exceeds_limit(shares: pd.DataFrame, threshold: float) -> pd.Series:
    """Rows of a :func:`crma_shares` table where a third country holds more than
    ``threshold`` of the buyer set's supply at that stage (the CRMA test, shared by
    :func:`crma_check` and the ``crma-2030`` compliance rule)."""
    return shares["third_country"] & (shares["share"] > threshold)


def crma_check(net: Network, buyers="eu", threshold: float = 0.65, basis: str = "location",
               weights: str = "inbound", progress=None) -> pd.DataFrame:
    """EU Critical Raw Materials Act style check: stages where one third country dominates.

    For every stage present in the network, the share of the buyer set's supply that
    traces to each country via that stage (:func:`crma_shares`: inbound-volume weighted
    mean of the buyers' exposure). A stage is ``flagged`` when one *third* country (not a
    home country of the buyer set: non-EU for ``buyers="eu"``; for a country list, not in
    the list; for ids or ``"sinks"``, every country is third) holds more than
    ``threshold`` (default 0.65, the CRMA benchmark of 65%) of that supply.

    Returns
    -------
    DataFrame, one row per stage: ``stage``, ``buyers`` (label), ``buyer_count``,
    ``top_third_country``, ``top_third_share``, ``threshold``, ``flagged``, ``home_share``
    (supply processed at that stage in home countries), ``unknown`` (tracing to no
    facility of the stage), and with ``basis="control"`` ``unknown_control``.
    """
    if not 0 <= threshold <= 1:
        raise InvalidArgument(f"threshold must be between 0 and 1, got {threshold}")
    ids, home, label = resolve_buyers(net, buyers)
    shares = crma_shares(net, buyers, basis=basis, weights=weights, progress=progress)
    shares["is_home"] = shares["origin"].isin(home)
    rows = []
    for stage, group in shares.groupby("stage", sort=False):
        third = group[group["third_country"] & (group["share"] > 0)].sort_values(["share", "origin"],
                                                          ascending=[False, True])
        top_country = third["origin"].iloc[0] if len(third) else None
        top_share = float(third["share"].iloc[0]) if len(third) else 0.0
        row = {
            "stage": stage, "buyers": label, "buyer_count": len(ids),
            "top_third_country": top_country, "top_third_share": top_share,
            "threshold": threshold, "flagged": bool(exceeds_limit(group, threshold).any()),
            "home_share": float(group.loc[group["is_home"], "share"].sum()),
            "unknown": float(group.loc[group["origin"] == "unknown", "share"].sum()),
        }
        if basis == "control":
            row[UNKNOWN_CONTROL] = float(group.loc[group["origin"] == UNKNOWN_CONTROL, "share"].sum())
        rows.append(row)
    return pd.DataFrame(rows)
