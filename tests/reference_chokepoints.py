"""Plain references for the array code of :mod:`graphmodel.chokepoints`, kept in the tests.

``alternatives_reference`` is the per-facility pandas implementation that
``chokepoints.alternatives`` replaced (a merge, then Python per facility): the definition
of the module docstring read literally, with sets and sorted lists. It shares nothing with
the production code but the network's tables, ``spare_capacity``'s formula and the per-link
spec mask (:func:`graphmodel.specs.reroute_fits`).
"""
from __future__ import annotations

import pandas as pd

from graphmodel.specs import reroute_fits


def alternatives_reference(net) -> pd.DataFrame:
    facilities = net.facilities
    spare = (facilities["capacity"] - net.outbound_volume).clip(lower=0)
    affected = net.carrying_links[["supplier", "customer", "material"]].drop_duplicates()
    links = net.links[["supplier", "customer", "material", "status", "qualification_months"]]
    links = links.assign(fits=reroute_fits(net))
    pairs = affected.merge(links.rename(columns={"supplier": "alternative"}),
                           on=["customer", "material"])
    pairs = pairs[pairs["alternative"] != pairs["supplier"]]
    excluded = pairs[~pairs["fits"]].groupby("supplier")["alternative"].agg(lambda s: sorted(set(s)))
    pairs = pairs[pairs["fits"]]
    stage = facilities["stage"]
    operating = facilities["status"] == "operating"
    qualified = pairs[(pairs["status"] == "qualified")
                      & (pairs["alternative"].map(stage) == pairs["supplier"].map(stage))
                      & pairs["alternative"].map(operating)]
    qualified_ids = qualified.groupby("supplier")["alternative"].agg(lambda s: sorted(set(s)))
    candidates = pairs[pairs["status"].isin(["candidate", "in_qualification"])]
    candidate_ids = candidates.groupby("supplier")["alternative"].agg(lambda s: sorted(set(s)))
    fastest = candidates.groupby("supplier")["qualification_months"].min()

    def known_spare(ids):
        return float(spare.reindex(ids).sum(skipna=True)) if ids else 0.0

    out = pd.DataFrame(index=facilities.index)
    out["alternative_ids"] = qualified_ids.reindex(out.index).map(lambda v: v if isinstance(v, list) else [])
    out["alternative_countries"] = out["alternative_ids"].map(
        lambda ids: [facilities.at[i, "country"] for i in ids])
    out["alternative_spare"] = out["alternative_ids"].map(lambda ids: [float(spare[i]) for i in ids])
    out["n_alternatives"] = out["alternative_ids"].map(len)
    out["alternatives"] = out["alternative_ids"].map(known_spare)
    shipped = net.outbound_volume
    out["coverage"] = (out["alternatives"] / shipped).where(shipped > 0)
    out["candidate_ids"] = candidate_ids.reindex(out.index).map(lambda v: v if isinstance(v, list) else [])
    out["alt_spare_capacity"] = [
        known_spare([c for c in candidates if operating[c] and c not in qualified])
        for candidates, qualified in zip(out["candidate_ids"], out["alternative_ids"])]
    out["fastest_qualification_months"] = fastest.reindex(out.index).astype(float)
    out["spec_excluded_ids"] = excluded.reindex(out.index).map(lambda v: v if isinstance(v, list) else [])
    return out
