"""Tier-N views around one facility, for the network explorer (pure functions, no ``st.*``)."""
from __future__ import annotations

import networkx as nx
import pandas as pd

from graphmodel import Network

from .figures import stage_label


def upstream_tree(net: Network, facility_id: str, *, max_tiers: int = 10,
                  min_share: float = 0.005) -> pd.DataFrame:
    """Every supply path into ``facility_id``, as a tree rooted at the facility.

    A supplier u of a node v on the path gets ``share(u) = share(v) * s(v, u)``, where
    ``s(v, u) = volume(u -> v) / inbound volume of v`` (carrying links only), so a node's
    share is the fraction of the root's supply that passes along that path. Paths stop at
    origins, after ``max_tiers`` tiers, when they would revisit a facility (recycling
    loops), or when the share falls below ``min_share`` (those are summed into ``pruned``).

    Returns one row per tree node: ``node`` (path id), ``parent`` (path id, "" at the
    root), ``tier`` (0 = the facility), ``id``, ``name``, ``stage``, ``country``, ``share``
    (0..1), ``untraced`` (the part of ``share`` not covered by the node's listed suppliers:
    no inbound volume, pruned, cut at a loop or at ``max_tiers``), and ``label``.
    """
    net.facility(facility_id)
    shares = net.inbound_shares()
    suppliers = {customer: group[["supplier", "share"]].to_numpy()
                 for customer, group in shares.groupby("customer")}
    facilities = net.facilities
    rows = []

    def visit(fid: str, node: str, parent: str, tier: int, share: float, path: frozenset):
        row = facilities.loc[fid]
        rows.append({"node": node, "parent": parent, "tier": tier, "id": fid, "name": row["name"],
                     "stage": row["stage"], "country": row["country"], "share": share,
                     "untraced": share})
        me = len(rows) - 1
        if tier >= max_tiers:
            return
        for supplier, s in suppliers.get(fid, []):
            child = share * float(s)
            if supplier in path or child < min_share:
                continue
            rows[me]["untraced"] -= child
            visit(supplier, f"{node}/{supplier}", node, tier + 1, child, path | {supplier})

    visit(facility_id, facility_id, "", 0, 1.0, frozenset({facility_id}))
    tree = pd.DataFrame(rows)
    tree["untraced"] = tree["untraced"].clip(lower=0.0)
    tree["label"] = [f"{name}<br>{stage_label(stage)} · {country}" for name, stage, country
                     in zip(tree["name"], tree["stage"], tree["country"])]
    return tree


def downstream_customers(net: Network, facility_id: str) -> pd.DataFrame:
    """Every facility downstream of ``facility_id`` along carrying links, nearest first.

    Columns: ``id``, ``name``, ``stage``, ``country``, ``tier`` (1 = direct customer; the
    fewest hops), ``volume`` (annual volume bought directly from the facility, 0 beyond
    tier 1), ``materials`` (of the direct link).
    """
    net.facility(facility_id)
    carrying = net.carrying_links
    graph = nx.DiGraph()
    graph.add_nodes_from(net.facilities.index)
    graph.add_edges_from(zip(carrying["supplier"], carrying["customer"]))
    hops = nx.single_source_shortest_path_length(graph, facility_id)
    hops.pop(facility_id, None)
    direct = carrying[carrying["supplier"] == facility_id].groupby("customer").agg(
        volume=("volume", "sum"), materials=("material", lambda m: ", ".join(sorted(set(m)))))
    ids = list(hops)
    out = net.facilities.loc[ids, ["name", "stage", "country"]].rename_axis("id").reset_index()
    out["tier"] = [hops[i] for i in ids]
    out["volume"] = out["id"].map(direct["volume"]).fillna(0.0)
    out["materials"] = out["id"].map(direct["materials"]).fillna("")
    return out.sort_values(["tier", "volume"], ascending=[True, False]).reset_index(drop=True)


def filter_facilities(net: Network, *, stages=(), countries=(), owners=(), materials=(),
                      search: str = "") -> pd.DataFrame:
    """Facilities matching every non-empty filter; ``materials`` matches a facility that
    buys or sells any of them; ``search`` matches id or name, case-insensitively."""
    f = net.facilities
    mask = pd.Series(True, index=f.index)
    if stages:
        mask &= f["stage"].isin(stages)
    if countries:
        mask &= f["country"].isin(countries)
    if owners:
        mask &= f["owner"].isin(owners)
    if materials:
        links = net.links[net.links["material"].isin(materials)]
        mask &= f.index.isin(pd.concat([links["supplier"], links["customer"]]).unique())
    if search.strip():
        text = search.strip().lower()
        mask &= (f["name"].str.lower().str.contains(text, regex=False)
                 | f.index.str.lower().str.contains(text, regex=False))
    return f[mask]
