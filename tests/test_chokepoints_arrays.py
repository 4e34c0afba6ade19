"""The array code behind chokepoints agrees with the references it replaced.

* :func:`graphmodel.dominance.immediate_dominators` (levels + lowest common ancestors, a
  networkx solve only inside recycling loops) against ``networkx.immediate_dominators`` on
  the whole graph: hand-built graphs (diamonds, loops entered at one or several nodes,
  edges into the root, self-loops, unreached nodes), then random directed graphs with and
  without cycles;
* ``chokepoints._dominators`` / ``single_point_for`` against ``chokepoints._dominators_nx``
  on random networks with recycling loops (tests/strategies.py) and a generated network;
* ``chokepoints.alternatives`` against the per-facility pandas implementation it replaced
  (tests/reference_chokepoints.py). Id lists and counts are identical; spare capacities are
  summed in the same order but sequentially, where pandas summed 8 or more terms pairwise,
  so sums agree to rounding (relative 1e-12 here; about 1e-15 measured).
"""
from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphmodel import chokepoints as ch
from graphmodel.build import network_from_records
from graphmodel.dominance import UNREACHED, immediate_dominators, schedule_with_root
from graphmodel.solve import Schedule, build_schedule
from graphmodel.generate import generate_network

from .reference_chokepoints import alternatives_reference
from .strategies import network_records


def _matrix(n: int, edges) -> sp.csr_matrix:
    rows = [u for u, _ in edges]
    cols = [v for _, v in edges]
    return sp.csr_matrix((np.ones(len(edges)), (rows, cols)), shape=(n, n))


def _networkx_idom(n: int, edges, root: int) -> list[int]:
    graph = nx.DiGraph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from(edges)
    idom = nx.immediate_dominators(graph, root)  # networkx >= 3.5 leaves the root out
    return [root if v == root else idom.get(v, UNREACHED) for v in range(n)]


def _assert_agrees(n: int, edges, root: int = 0) -> None:
    fast = immediate_dominators(_matrix(n, edges), root)
    assert fast.tolist() == _networkx_idom(n, edges, root)


# --- hand-built graphs -----------------------------------------------------------------------
def test_diamond_and_chain():
    # 0 -> {1, 2} -> 3 -> 4: 3 is reached two ways, so only 0 dominates it; 3 dominates 4.
    edges = [(0, 1), (0, 2), (1, 3), (2, 3), (3, 4)]
    assert immediate_dominators(_matrix(5, edges), 0).tolist() == [0, 0, 0, 0, 3]
    _assert_agrees(5, edges)


def test_loop_entered_at_two_nodes():
    # The loop {3, 4} is entered at 3 (from 1) and at 4 (from 2): neither dominates the
    # other, and both are dominated by 0 only. 5 hangs off 4.
    edges = [(0, 1), (0, 2), (1, 3), (2, 4), (3, 4), (4, 3), (4, 5)]
    assert immediate_dominators(_matrix(6, edges), 0).tolist() == [0, 0, 0, 0, 0, 4]
    _assert_agrees(6, edges)


def test_loop_entered_at_one_node_dominates_inside_it():
    # 0 -> 1 -> 2 <-> 3 -> 4, plus 3 -> 5 -> 2 (a second path inside the loop): the entry 2
    # dominates 3, 3 dominates 4 and 5; outside the loop, 1 dominates the entry.
    edges = [(0, 1), (1, 2), (2, 3), (3, 2), (3, 4), (3, 5), (5, 2)]
    assert immediate_dominators(_matrix(6, edges), 0).tolist() == [0, 0, 1, 2, 3, 3]
    _assert_agrees(6, edges)


def test_loop_fed_from_two_branches_of_a_common_dominator():
    # 0 -> 1 -> {2, 3}; 2 -> 4, 3 -> 5, loop {4, 5}: the loop's outside predecessors 2 and 3
    # meet at 1, which is the immediate dominator of both entries.
    edges = [(0, 1), (1, 2), (1, 3), (2, 4), (3, 5), (4, 5), (5, 4), (5, 6)]
    assert immediate_dominators(_matrix(7, edges), 0).tolist() == [0, 0, 1, 1, 1, 1, 5]
    _assert_agrees(7, edges)


def test_edges_into_the_root_self_loops_duplicates_and_unreached_nodes():
    # 1 -> 0 (into the root), 1 -> 1 (self-loop), 1 -> 2 twice; 3 reaches 2 but the root
    # does not reach 3; 4 is isolated.
    edges = [(0, 1), (1, 0), (1, 1), (1, 2), (1, 2), (3, 2)]
    assert immediate_dominators(_matrix(5, edges), 0).tolist() == [0, 0, 1, UNREACHED, UNREACHED]
    _assert_agrees(5, edges)


def test_root_inside_a_cycle():
    edges = [(0, 1), (1, 2), (2, 0), (2, 3), (1, 3)]
    _assert_agrees(4, edges, root=0)
    _assert_agrees(4, edges, root=2)


def test_stored_zeros_are_not_edges_and_bad_arguments_are_refused():
    matrix = sp.csr_matrix((np.array([1.0, 0.0]), (np.array([0, 1]), np.array([1, 2]))), shape=(3, 3))
    assert immediate_dominators(matrix, 0).tolist() == [0, 0, UNREACHED]
    with pytest.raises(ValueError, match="square"):
        immediate_dominators(sp.csr_matrix((2, 3)), 0)
    with pytest.raises(ValueError, match="root 5"):
        immediate_dominators(sp.csr_matrix((3, 3)), 5)


def test_a_long_chain_needs_every_lifting_step():
    # Depth 300 with side branches that rejoin far below: LCAs across many tree levels.
    edges = [(v, v + 1) for v in range(300)]
    edges += [(v, 301 + v // 10) for v in range(0, 300, 10)] + [(301 + k, 250) for k in range(20)]
    _assert_agrees(331, edges)


# --- random graphs -----------------------------------------------------------------------------
@st.composite
def digraphs(draw, max_nodes: int = 12):
    """Any directed graph: random edges (cycles, self-loops, edges into the root)."""
    n = draw(st.integers(1, max_nodes))
    node = st.integers(0, n - 1)
    edges = draw(st.lists(st.tuples(node, node), max_size=3 * n))
    return n, edges, draw(node)


@st.composite
def nearly_acyclic_digraphs(draw, max_nodes: int = 80):
    """Edges mostly forward in node order (deep dominator trees), a few backward (loops)."""
    n = draw(st.integers(2, max_nodes))
    edges = []
    for v in range(1, n):
        span = draw(st.sampled_from([1, 2, 5, n]))
        for _ in range(draw(st.integers(1, 3))):
            edges.append((draw(st.integers(max(0, v - span), v - 1)), v))
    node = st.integers(0, n - 1)
    edges += draw(st.lists(st.tuples(node, node), max_size=4))
    return n, edges, 0


@settings(max_examples=300, deadline=None)
@given(digraphs())
def test_agrees_with_networkx_on_random_graphs(graph):
    _assert_agrees(*graph)


@settings(max_examples=150, deadline=None)
@given(nearly_acyclic_digraphs())
def test_agrees_with_networkx_on_nearly_acyclic_graphs(graph):
    _assert_agrees(*graph)


# --- on networks: dominators, single points of failure, alternatives ---------------------------
def _check_network(net) -> None:
    sinks = net.sink_demand.index
    reference = ch._dominators_nx(net, sinks)
    assert ch._dominators(net, sinks) == reference
    expected = {}
    for sink in sorted(sinks):
        for facility in reference[sink]:
            expected.setdefault(facility, []).append(sink)
    table = ch.chokepoints(net).set_index("id")
    assert table["single_point_for"].to_dict() == {f: expected.get(f, []) for f in net.facilities.index}
    _assert_alternatives_agree(ch.alternatives(net), alternatives_reference(net))


def _assert_alternatives_agree(fast: pd.DataFrame, reference: pd.DataFrame) -> None:
    assert list(fast.columns) == list(reference.columns)
    assert (fast.dtypes == reference.dtypes).all()
    for column in ("alternative_ids", "candidate_ids", "alternative_countries", "spec_excluded_ids"):
        assert fast[column].tolist() == reference[column].tolist()
    for got, want in zip(fast["alternative_spare"], reference["alternative_spare"]):
        np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(want, dtype=float),
                                   rtol=1e-12, atol=0.0)
    assert fast["n_alternatives"].tolist() == reference["n_alternatives"].tolist()
    for column in ("alternatives", "coverage", "alt_spare_capacity", "fastest_qualification_months"):
        pd.testing.assert_series_equal(fast[column], reference[column], rtol=1e-12, atol=0.0)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(network_records())
def test_networks_agree_with_the_references(records):
    _check_network(network_from_records(**records))


def test_golden_network_agrees_with_the_references(golden):
    _check_network(golden)


def test_generated_network_with_recycling_loops_agrees_with_the_references():
    net = generate_network(3000, seed=2)
    from scipy.sparse.csgraph import connected_components

    _, labels = connected_components(net.share_matrix, directed=True, connection="strong")
    assert np.bincount(labels).max() > 1  # it has a recycling loop: the case needing care
    _check_network(net)


# --- frames built without the NumPy object round trip -----------------------------------------
@pytest.mark.parametrize("values", [["a", None], ["a", "b"], [None, None], []])
def test_column_values_give_the_frame_the_round_trip_gave(values):
    from graphmodel.lookup import column_values

    column = pd.Series(values, dtype="str")
    for source in (column, pd.Index(column)):
        built = pd.DataFrame({"x": column_values(source)})
        before = pd.DataFrame({"x": source.to_numpy()})
        pd.testing.assert_frame_equal(built, before)


# --- a precomputed schedule -------------------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(digraphs())
def test_a_precomputed_schedule_gives_the_same_dominators(graph):
    n, edges, root = graph
    matrix = _matrix(n, edges)
    schedule = build_schedule(matrix.T)  # the predecessor pattern, self-loops and all
    assert immediate_dominators(matrix, root, schedule).tolist() == \
        immediate_dominators(matrix, root).tolist()


@settings(max_examples=150, deadline=None)
@given(nearly_acyclic_digraphs(), st.data())
def test_a_schedule_extended_by_a_virtual_root_gives_the_same_dominators(graph, data):
    # As chokepoints does: the schedule of the graph without the root, the root n added
    # with edges to some nodes (the origins of a carrying graph).
    n, edges, _ = graph
    fed = data.draw(st.lists(st.integers(0, n - 1), min_size=1, unique=True))
    with_root = _matrix(n + 1, edges + [(n, v) for v in fed])
    schedule = schedule_with_root(build_schedule(_matrix(n, edges).T))
    assert immediate_dominators(with_root, n, schedule).tolist() == _networkx_idom(
        n + 1, edges + [(n, v) for v in fed], n)


def test_a_schedule_that_does_not_fit_is_refused():
    edges = [(0, 1), (1, 2)]
    backwards = build_schedule(_matrix(3, edges))  # the successor pattern: levels reversed
    with pytest.raises(ValueError, match="schedule does not fit"):
        immediate_dominators(_matrix(3, edges), 0, backwards)
    with pytest.raises(ValueError, match="schedule does not fit"):
        immediate_dominators(_matrix(3, edges), 0, build_schedule(_matrix(4, edges).T))


@settings(max_examples=200, deadline=None)
@given(digraphs())
def test_a_schedule_with_merged_loops_gives_the_same_dominators(graph):
    # Every node in one cyclic component at one level: valid for any pattern (as a cached
    # schedule reused for a sparser network may be), but not a strongly connected loop.
    n, edges, root = graph
    matrix = _matrix(n, edges)
    merged = Schedule.from_levels(np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64), np.ones(n, bool))
    assert immediate_dominators(matrix, root, merged).tolist() == _networkx_idom(n, edges, root)
