"""A plain networkx reference implementation of Tier-N exposure, kept in the tests.

It shares nothing with :mod:`graphmodel.exposure` but the network's tables: it builds its
own ``networkx.DiGraph`` from the links, cuts the inbound edges of origin-stage facilities
(tracing stops there), and evaluates e(v) = sum_u s(v, u) e(u) node by node in topological
order of the strongly connected components. A component without a cycle is one node,
computed directly from its already known suppliers. A recycling loop (a cyclic component)
is solved as the small dense linear system of its own members, the suppliers outside it
being known: x = M x + c. When no supply enters the loop (c = 0) its value is 0, the
minimal solution (the production code's Neumann series gives the same); otherwise some
member draws from outside the loop, so M's spectral radius is below 1 and the solve is
exact. No sparse matrices, no Neumann series: an independent route to the same numbers.
"""
from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd


def supply_graph(net) -> nx.DiGraph:
    """Edges supplier -> customer with ``volume`` summed over materials (volume > 0 only)."""
    graph = nx.DiGraph()
    graph.add_nodes_from(net.facilities.index)
    for row in net.links.itertuples(index=False):
        if row.volume > 0:
            previous = graph.get_edge_data(row.supplier, row.customer, {"volume": 0.0})["volume"]
            graph.add_edge(row.supplier, row.customer, volume=previous + float(row.volume))
    return graph


def trace(net, stage: str, indicator: dict) -> dict:
    """e(v) for every facility, ``indicator`` giving b(u) (0/1) at facilities of ``stage``."""
    graph = supply_graph(net)
    stage_of = net.facilities["stage"].to_dict()
    inbound = {v: sum(d["volume"] for _, _, d in graph.in_edges(v, data=True)) for v in graph}
    cut = graph.copy()
    cut.remove_edges_from([(u, v) for u, v in graph.edges if stage_of[v] == stage])

    def share(u, v):
        return graph[u][v]["volume"] / inbound[v]

    value: dict = {}
    condensed = nx.condensation(cut)
    for component in nx.topological_sort(condensed):
        members = sorted(condensed.nodes[component]["members"])
        if len(members) == 1:
            v = members[0]
            if stage_of[v] == stage:
                value[v] = float(indicator.get(v, 0))
            else:
                value[v] = sum(share(u, v) * value[u] for u in cut.predecessors(v))
            continue
        position = {v: i for i, v in enumerate(members)}
        inside = np.zeros((len(members), len(members)))
        outside = np.zeros(len(members))
        for v in members:  # members of a loop are never at the origin stage (edges cut)
            for u in cut.predecessors(v):
                if u in position:
                    inside[position[v], position[u]] += share(u, v)
                else:
                    outside[position[v]] += share(u, v) * value[u]
        if not outside.any():
            solution = np.zeros(len(members))
        else:
            solution = np.linalg.solve(np.eye(len(members)) - inside, outside)
        value.update(zip(members, solution))
    return value


def origin_of(net, basis: str) -> pd.Series:
    if basis == "location":
        return net.facilities["country"]
    return net.ownership["control_country"]


def exposure_reference(net, country: str, stage: str, basis: str = "location") -> pd.DataFrame:
    """Columns ``id``, ``share``, ``unknown`` (and ``unknown_control`` for basis control)."""
    origin = origin_of(net, basis)
    at_stage = net.facilities["stage"] == stage
    share = trace(net, stage, (at_stage & (origin == country)).astype(int).to_dict())
    known = trace(net, stage, at_stage.astype(int).to_dict())
    table = pd.DataFrame({"id": list(net.facilities.index)})
    table["share"] = table["id"].map(share)
    table["unknown"] = 1.0 - table["id"].map(known)
    if basis == "control":
        unknown_control = trace(net, stage, (at_stage & origin.isna()).astype(int).to_dict())
        table["unknown_control"] = table["id"].map(unknown_control)
    return table


def exposure_matrix_reference(net, stage: str, basis: str = "location") -> pd.DataFrame:
    """One column per origin country at ``stage`` (a separate trace each), plus ``unknown``."""
    origin = origin_of(net, basis)
    at_stage = net.facilities["stage"] == stage
    table = pd.DataFrame({"id": list(net.facilities.index)})
    for code in sorted(origin[at_stage].dropna().unique()):
        column = trace(net, stage, (at_stage & (origin == code)).astype(int).to_dict())
        table[code] = table["id"].map(column)
    if basis == "control":
        column = trace(net, stage, (at_stage & origin.isna()).astype(int).to_dict())
        table["unknown_control"] = table["id"].map(column)
    known = trace(net, stage, at_stage.astype(int).to_dict())
    table["unknown"] = 1.0 - table["id"].map(known)
    return table
