"""Concentration benchmarks (EU CRMA 2030: <= 65% from a single third country per stage).

For a buyer set B with weights ``w_k`` (each buyer's inbound volume), the share of the
set's supply that passes through stage X in country c is

    share(X, c) = sum_k w_k sum_{u: stage X, country c} T[k, u] / sum_k w_k

with ``T[k, u]`` the first-passage share of k's supply passing through u (so flow around a
recycling loop counts once). A stage *passes* when no third country (outside the rule's
``home_countries``) has ``share(X, c) > max_single_country_share``. Stages no buyer's
supply passes through are reported with ``share`` NaN (no data, not a pass).
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import scipy.sparse as sp

from graphmodel.algebra import neumann_solve
from graphmodel.errors import TiernError
from graphmodel.network import Network

from .propagation import build_flow, leontief_diagonal
from .rules import BenchmarkRule


def buyer_positions(net: Network, rule: BenchmarkRule, buyers: list[str] | None) -> np.ndarray:
    """Buyer set: ids or country codes given (``buyers``), else facilities located in the
    rule's ``buyer_countries``; only facilities with inbound supply count."""
    facilities = net.facilities
    if buyers:
        mask = facilities.index.isin(buyers) | facilities["country"].isin(buyers).to_numpy()
        unknown = [b for b in buyers if b not in facilities.index
                   and b not in set(facilities["country"])]
        if unknown:
            raise TiernError(f"--buyers: no facility id or country '{', '.join(unknown)}' in "
                             f"the network")
    else:
        mask = facilities["country"].isin(rule.buyer_countries).to_numpy()
    mask = np.asarray(mask, dtype=bool) & (net.inbound_volume.to_numpy() > 0)
    return np.flatnonzero(mask)


def stage_country_shares(net: Network, weights: np.ndarray) -> pd.DataFrame:
    """``stage, country, share``: weighted first-passage through-shares (see module docstring)
    of the buyers in the columns of ``weights`` (n x K); one ``share_<k>`` column per buyer
    column plus ``share`` for their weighted total."""
    S = build_flow(net).S  # closed loops cut (see propagation.closed_loops)
    W = np.asarray(weights, dtype=float)
    through = neumann_solve(sp.csr_matrix(S.T), W)  # sum_k W[k, j] L[k, u]
    through /= leontief_diagonal(S)[:, None]
    totals = W.sum(axis=0)
    shares = np.divide(through, totals, out=np.zeros_like(through), where=totals > 0)
    frame = pd.DataFrame(shares, columns=[f"share_{j}" for j in range(W.shape[1])])
    frame["stage"] = net.facilities["stage"].to_numpy()
    frame["country"] = net.facilities["country"].to_numpy()
    frame["id"] = net.facilities.index
    return frame


def evaluate_benchmark(net: Network, rule: BenchmarkRule, *, as_of: dt.date | None = None,
                       buyers: list[str] | None = None) -> pd.DataFrame:
    """One row for the buyer set (``id`` = ``buyers:<label>``) and one per buyer.

    Columns ``id, name, stage, country, rule, kind, in_force, effective, compliant_share``
    (NaN: a benchmark has no compliant share), ``passes`` (every stage within the limit),
    ``worst_stage, worst_country, max_third_country_share`` and ``offending`` (facilities in
    breaching (stage, third country) pairs that feed the buyer)."""
    as_of = as_of or dt.date.today()
    positions = buyer_positions(net, rule, buyers)
    n = len(net.facilities)
    inbound = net.inbound_volume.to_numpy()
    W = np.zeros((n, len(positions) + 1))
    W[positions, np.arange(len(positions))] = inbound[positions]
    W[positions, -1] = inbound[positions]
    frame = stage_country_shares(net, W)
    label = ",".join(buyers) if buyers else "+".join(_group_names(rule))
    records = []
    for j, pos in enumerate(list(positions) + [None]):
        column = f"share_{j if pos is not None else len(positions)}"
        verdict = _verdict(frame, column, rule)
        if pos is None:
            head = {"id": f"buyers:{label}", "name": f"{len(positions)} buyers ({label})",
                    "stage": None, "country": None}
        else:
            fac = net.facilities.iloc[pos]
            head = {"id": net.facilities.index[pos], "name": fac["name"], "stage": fac["stage"],
                    "country": fac["country"]}
        records.append({**head, **verdict})
    out = pd.DataFrame(records)
    out.insert(4, "rule", rule.id)
    out.insert(5, "kind", rule.kind)
    out.insert(6, "in_force", rule.in_force(as_of))
    out.insert(7, "effective", rule.effective.isoformat())
    out.insert(8, "compliant_share", np.nan)
    return out


def benchmark_detail(net: Network, rule: BenchmarkRule, buyers: list[str] | None = None
                     ) -> pd.DataFrame:
    """Per stage and country: the buyer set's ``share``, ``third_country`` and ``breach``."""
    positions = buyer_positions(net, rule, buyers)
    W = np.zeros((len(net.facilities), 1))
    W[positions, 0] = net.inbound_volume.to_numpy()[positions]
    frame = stage_country_shares(net, W)
    grouped = (frame[frame["stage"].isin(rule.stages)]
               .groupby(["stage", "country"], as_index=False)["share_0"].sum()
               .rename(columns={"share_0": "share"}))
    grouped = grouped[grouped["share"] > 1e-12]
    grouped["third_country"] = ~grouped["country"].isin(rule.home_countries)
    grouped["breach"] = grouped["third_country"] & (grouped["share"] > rule.max_single_country_share)
    grouped.insert(0, "rule", rule.id)
    order = {s: i for i, s in enumerate(rule.stages)}
    return grouped.sort_values(["stage", "share"], key=lambda c: c.map(order) if c.name == "stage"
                               else -c, kind="stable").reset_index(drop=True)


def _verdict(frame: pd.DataFrame, column: str, rule: BenchmarkRule) -> dict:
    relevant = frame[frame["stage"].isin(rule.stages)]
    by_pair = relevant.groupby(["stage", "country"])[column].sum()
    third = by_pair[~by_pair.index.get_level_values("country").isin(rule.home_countries)]
    third = third[third > 1e-12]
    if third.empty:
        return {"passes": True, "worst_stage": None, "worst_country": None,
                "max_third_country_share": 0.0, "offending": []}
    (stage, country), worst = third.idxmax(), float(third.max())
    breaches = third[third > rule.max_single_country_share].index
    breach_pairs = set(breaches)
    in_breach = np.array([(s, c) in breach_pairs
                          for s, c in zip(relevant["stage"], relevant["country"])], dtype=bool)
    offending = relevant[in_breach & (relevant[column] > 1e-12).to_numpy()]
    offending = offending.sort_values(column, ascending=False, kind="stable")["id"].tolist()
    return {"passes": len(breaches) == 0, "worst_stage": stage, "worst_country": country,
            "max_third_country_share": worst, "offending": offending}


def _group_names(rule: BenchmarkRule) -> list[str]:
    from .rules import EU27

    return ["EU27"] if set(EU27) <= set(rule.buyer_countries) else sorted(set(rule.buyer_countries))
