"""networkx references for the solver's solves: propagation and the backward (criticality) solve.

Like :mod:`tests.reference_nx` these share nothing with :mod:`graphmodel.solve` or
:mod:`graphmodel.algebra` but the network's tables. A fixed point ``x_i = sum_j a_ij x_j + b_i``
is evaluated component by component in topological order of the condensation of the
dependency graph (edge j -> i when a_ij != 0): a component without a cycle is one node,
computed from its known inputs; a cyclic component is the small dense system
``(I - M) x = c`` of its members, ``c`` = own ``b`` plus the input from outside. When no input
reaches it (c = 0) its value is 0, the minimal solution; a closed loop (no leak) with input has
no finite solution and raises ``ValueError``.
"""
from __future__ import annotations

import networkx as nx
import numpy as np

from .reference_nx import supply_graph


def fixed_point(nodes, weights: dict, b: dict) -> dict:
    """Minimal non-negative x of x_i = sum_j weights[(i, j)] x_j + b_i, for every node."""
    graph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    for (i, j), a in weights.items():
        if a != 0:
            graph.add_edge(j, i, weight=a)
    value: dict = {}
    condensed = nx.condensation(graph)
    for component in nx.topological_sort(condensed):
        members = sorted(condensed.nodes[component]["members"])
        position = {v: k for k, v in enumerate(members)}
        inside = np.zeros((len(members), len(members)))
        outside = np.array([float(b.get(v, 0.0)) for v in members])
        for v in members:
            for u in graph.predecessors(v):
                a = graph[u][v]["weight"]
                if u in position:
                    inside[position[v], position[u]] += a
                else:
                    outside[position[v]] += a * value[u]
        if not outside.any():
            solution = np.zeros(len(members))
        elif not inside.any():
            solution = outside
        else:
            system = np.eye(len(members)) - inside
            if abs(np.linalg.det(system)) < 1e-12:
                raise ValueError("a closed loop with input has no finite solution")
            solution = np.linalg.solve(system, outside)
        value.update(zip(members, solution))
    return value


def _shares(net) -> dict:
    """{(customer, supplier): s(customer, supplier)} over carrying links."""
    graph = supply_graph(net)
    inbound = {v: sum(d["volume"] for _, _, d in graph.in_edges(v, data=True)) for v in graph}
    return {(v, u): d["volume"] / inbound[v] for u, v, d in graph.edges(data=True)}


def propagation_reference(net, factors: dict) -> dict:
    """Pure propagation a(v) = f(v) sum_u s(v, u) a(u); a(v) = f(v) at origins."""
    shares = _shares(net)
    has_inbound = {v for v, _ in shares}
    weights = {(v, u): factors[v] * s for (v, u), s in shares.items()}
    b = {v: factors[v] for v in net.facilities.index if v not in has_inbound}
    return fixed_point(net.facilities.index, weights, b)


def column_sums_reference(net, w: dict) -> dict:
    """c = L^T w: c(u) = w(u) + sum_v s(v, u) c(v) (the demand whose supply passes through u)."""
    weights = {(u, v): s for (v, u), s in _shares(net).items()}
    return fixed_point(net.facilities.index, weights, w)


def criticality_reference(net, w: dict) -> dict:
    """First-passage criticality by removal: for each facility u,
    ``sum_k w_k (a0(k) - a_u(k)) / (a0(u) W)``, ``a_u`` the propagation with u failed and
    ``a0`` with nothing failed; NaN where ``a0(u) = 0`` (no origin reaches u). One
    propagation per facility: an independent route to ``L[k, u] / L[u, u]``."""
    index = list(net.facilities.index)
    total = sum(w.values())
    ones = {v: 1.0 for v in index}
    a0 = propagation_reference(net, ones)
    result = {}
    for u in index:
        if a0[u] <= 0:
            result[u] = float("nan")
            continue
        failed = propagation_reference(net, {**ones, u: 0.0})
        lost = sum(weight * (a0[k] - failed[k]) for k, weight in w.items())
        result[u] = lost / (a0[u] * total) if total > 0 else 0.0
    return result
