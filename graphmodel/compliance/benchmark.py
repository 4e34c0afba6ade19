"""Concentration benchmarks (EU CRMA 2030: <= 65% from a single third country per stage).

The shares and the test come from the analytics package (the one CRMA check, also behind
``tiern crma``): :func:`graphmodel.exposure.crma_shares` gives, for
a buyer set B, the share of the set's supply (inbound-volume weighted) whose stage-X
processing happened in country c. The rule file supplies the rest as data: the limit
(``max_single_country_share``), the stages that count (``stages``), which countries are
*home* (not third countries: ``home_countries``) and the default buyer set
(``buyer_countries``). A stage *passes* when no third country holds more than the limit;
the buyer set passes when every stage does. Each buyer is also evaluated alone.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from graphmodel.exposure import crma_shares, exceeds_limit
from graphmodel.network import Network
from graphmodel.schema import EU27

from .propagation import build_flow
from .rules import BenchmarkRule, expand_countries


def buyer_ids(net: Network, rule: BenchmarkRule, buyers: list[str] | None) -> list[str]:
    """Buyer set: the facility ids or country codes given, else facilities located in the
    rule's ``buyer_countries``; only facilities with inbound supply count."""
    facilities = net.facilities
    if buyers:
        ids = [b for b in buyers if b in facilities.index]
        codes = expand_countries([b for b in buyers if b not in facilities.index])
        mask = facilities.index.isin(ids) | facilities["country"].isin(codes).to_numpy()
    else:
        mask = facilities["country"].isin(rule.buyer_countries).to_numpy()
    mask = np.asarray(mask, dtype=bool) & (net.inbound_volume.to_numpy() > 0)
    return list(facilities.index[mask])


def benchmark_detail(net: Network, rule: BenchmarkRule, buyers: list[str] | None = None
                     ) -> pd.DataFrame:
    """Per counted stage and origin country: the buyer set's ``share``, ``third_country``
    (not a home country of the rule) and ``breach`` (third country above the limit).
    ``origin`` ``unknown`` is supply tracing to no facility of that stage."""
    ids = buyer_ids(net, rule, buyers)
    if not ids:
        return pd.DataFrame(columns=["rule", "stage", "country", "share", "third_country", "breach"])
    shares = crma_shares(net, ids, home=rule.home_countries)
    shares = shares[shares["stage"].isin(rule.stages) & (shares["share"] > 1e-12)]
    out = shares.rename(columns={"origin": "country"})[["stage", "country", "share",
                                                        "third_country"]].copy()
    out["breach"] = exceeds_limit(shares, rule.max_single_country_share).to_numpy()
    out.insert(0, "rule", rule.id)
    order = {s: i for i, s in enumerate(rule.stages)}
    out["_order"] = out["stage"].map(order)
    return (out.sort_values(["_order", "share"], ascending=[True, False], kind="stable")
            .drop(columns="_order").reset_index(drop=True))


def evaluate_benchmark(net: Network, rule: BenchmarkRule, *, as_of: dt.date | None = None,
                       buyers: list[str] | None = None) -> pd.DataFrame:
    """One row per buyer and one for the buyer set (``id`` = ``buyers:<label>``).

    Columns ``id, name, stage, country, rule, kind, in_force, effective, compliant_share``
    (NaN: a benchmark has no compliant share), ``passes`` (every counted stage within the
    limit), ``worst_stage, worst_country, max_third_country_share`` and ``offending``
    (facilities at a breaching stage in the breaching country that feed the buyer)."""
    as_of = as_of or dt.date.today()
    ids = buyer_ids(net, rule, buyers)
    label = ",".join(buyers) if buyers else (
        "EU27" if set(EU27) <= set(rule.buyer_countries) else ",".join(rule.buyer_countries))
    through = build_flow(net).through_rows(net.facilities.index.get_indexer(ids)) if ids else None
    records = []
    for j, fid in enumerate(ids):
        fac = net.facilities.loc[fid]
        verdict = _verdict(net, rule, benchmark_detail(net, rule, [fid]), through[j] > 1e-12)
        records.append({"id": fid, "name": fac["name"], "stage": fac["stage"],
                        "country": fac["country"], **verdict})
    if ids:
        feeds = (through > 1e-12).any(axis=0)
        verdict = _verdict(net, rule, benchmark_detail(net, rule, ids), feeds)
        records.append({"id": f"buyers:{label}", "name": f"{len(ids)} buyers ({label})",
                        "stage": None, "country": None, **verdict})
    out = pd.DataFrame(records, columns=["id", "name", "stage", "country", "passes", "worst_stage",
                                         "worst_country", "max_third_country_share", "offending"])
    out.insert(4, "rule", rule.id)
    out.insert(5, "kind", rule.kind)
    out.insert(6, "in_force", rule.in_force(as_of))
    out.insert(7, "effective", rule.effective.isoformat())
    out.insert(8, "compliant_share", np.nan)
    return out


def _verdict(net: Network, rule: BenchmarkRule, detail: pd.DataFrame, feeds: np.ndarray) -> dict:
    third = detail[detail["third_country"]]
    if third.empty:
        return {"passes": True, "worst_stage": None, "worst_country": None,
                "max_third_country_share": 0.0, "offending": []}
    worst = third.loc[third["share"].idxmax()]
    breaches = set(zip(third.loc[third["breach"], "stage"], third.loc[third["breach"], "country"]))
    facilities = net.facilities
    pairs = list(zip(facilities["stage"], facilities["country"]))
    offending = [fid for fid, pair, fed in zip(facilities.index, pairs, feeds)
                 if fed and pair in breaches]
    return {"passes": not breaches, "worst_stage": worst["stage"], "worst_country": worst["country"],
            "max_third_country_share": float(worst["share"]), "offending": offending}
