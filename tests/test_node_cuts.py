"""Minimum node cuts by augmenting paths (graphmodel.node_cuts) against networkx.

``networkx.minimum_node_cut`` (``minimum_st_node_cut`` from a virtual source feeding every
origin) is the reference: the same size and the same set, the cut nearest the sink, on
hand-computed graphs, random directed graphs with cycles, and random networks through
``chokepoints.min_cuts``.
"""
from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from networkx.algorithms.connectivity import minimum_st_node_cut

from graphmodel import chokepoints as ch
from graphmodel.build import network_from_records
from graphmodel.node_cuts import InNeighbours, sink_side_node_cut

from .strategies import network_records

SOURCE = ("source",)


def _cuts(n, edges):
    edges = np.array(edges, dtype=int).reshape(-1, 2)
    origin = np.ones(n, dtype=bool)
    origin[edges[:, 1]] = False
    graph = InNeighbours(n, edges[:, 0], edges[:, 1], origin)
    return [sink_side_node_cut(graph, t) for t in range(n)]


def _cuts_nx(n, edges):
    graph = nx.DiGraph()
    graph.add_nodes_from(range(n))
    graph.add_node(SOURCE)
    graph.add_edges_from(edges)
    graph.add_edges_from((SOURCE, v) for v in range(n) if graph.in_degree(v) == 0)
    reached = nx.descendants(graph, SOURCE)
    return [sorted(minimum_st_node_cut(graph, SOURCE, t)) if t in reached else []
            for t in range(n)]


def test_by_hand_the_cut_nearest_the_sink():
    # mines 0 and 1 feed separators 2 and 3 (one each), both feed OEM 4: {2, 3} and {0, 1}
    # both cut 4 off; the one nearest the sink is {2, 3}. 5 is fed by 2 alone: {2}.
    edges = [(0, 2), (1, 3), (2, 4), (3, 4), (2, 5)]
    cuts = _cuts(6, edges)
    assert cuts[4] == [2, 3] and cuts[5] == [2]
    assert cuts[0] == [] and cuts[1] == []  # origins: fed by the source itself
    assert cuts == _cuts_nx(6, edges)


def test_by_hand_a_shared_mine_and_a_recycling_loop():
    # 0 (mine) -> 1 -> 2 (OEM) -> 3 (recycler) -> 1: the loop adds no path that avoids 1,
    # so 1 cuts 2 off, and 0 cuts 1 off (nearest 1 of its cuts {0}: only one exists).
    edges = [(0, 1), (1, 2), (2, 3), (3, 1)]
    cuts = _cuts(4, edges)
    assert cuts[2] == [1] and cuts[1] == [0] and cuts[3] == [2]
    assert cuts == _cuts_nx(4, edges)
    # Two mines, crossing paths: 0 -> 2, 1 -> 3, 2 -> 4, 3 -> 4, 2 -> 3: two disjoint paths
    # 0-2-4 and 1-3-4, the cut nearest 4 is {2, 3}. An augmenting path must undo 2 -> 3 if
    # the first search routed 0-2-3-4.
    edges = [(0, 2), (1, 3), (2, 3), (2, 4), (3, 4)]
    assert _cuts(5, edges)[4] == [2, 3] == _cuts_nx(5, edges)[4]


def test_unreached_sink_has_no_cut():
    # 1 <-> 2 is a closed loop no origin feeds; 0 is an isolated origin
    assert _cuts(3, [(1, 2), (2, 1)]) == [[], [], []] == _cuts_nx(3, [(1, 2), (2, 1)])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(2, 11).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n))))
def test_random_directed_graphs_match_networkx(case):
    n, edges = case
    edges = sorted({(u, v) for u, v in edges if u != v})
    assert _cuts(n, edges) == _cuts_nx(n, edges)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(network_records())
def test_min_cuts_match_networkx_on_random_networks(records):
    net = network_from_records(**records)
    sinks = ch.selected_demand(net).index
    assert ch._min_cuts(net, sinks).equals(ch._min_cuts_nx(net, sinks))


@pytest.mark.parametrize("fixture", ["golden"])
def test_golden_min_cuts_match_networkx(fixture, request):
    net = request.getfixturevalue(fixture)
    sinks = net.sink_demand.index
    assert ch._min_cuts(net, sinks).equals(ch._min_cuts_nx(net, sinks))


def test_suppliers_are_searched_nearest_origin_first():
    """Each node's suppliers are listed farthest from an origin first (the searches pop the
    last one, so they head for the nearest origin). By hand: origins 0 and 1; 0 -> 2 -> 3,
    1 -> 3, 3 -> 4 <- 2, and 5 -> 6 -> 5 reached from no origin."""
    from graphmodel.node_cuts import _hops_from_origins

    edges = np.array([(0, 2), (2, 3), (1, 3), (3, 4), (2, 4), (5, 6), (6, 5)])
    origin = np.array([True, True, False, False, False, False, False])
    hops = _hops_from_origins(7, edges[:, 0], edges[:, 1], origin)
    assert hops.tolist() == [0, 0, 1, 1, 2, 8, 8]
    graph = InNeighbours(7, edges[:, 0], edges[:, 1], origin)
    assert graph.suppliers[3] == [2, 1] and graph.suppliers[4] == [2, 3]  # a tie: id order
    assert graph.suppliers[5] == [6] and graph.suppliers[0] == []
