"""The diagonal of (I - A)^-1 on recycling loops: Schur complement, sparse LU, dense inverse."""
from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from graphmodel.solve import loops


def dense_diagonal(block) -> np.ndarray:
    return np.diag(np.linalg.inv(np.eye(block.shape[0]) - sp.csr_matrix(block).toarray()))


def is_acyclic_without(matrix: sp.csr_matrix, removed: np.ndarray) -> bool:
    graph = nx.DiGraph()
    keep = np.setdiff1d(np.arange(matrix.shape[0]), removed)
    graph.add_nodes_from(keep)
    coo = matrix.tocoo()
    graph.add_edges_from((j, i) for i, j in zip(coo.row, coo.col) if i in keep and j in keep)
    return nx.is_directed_acyclic_graph(graph)


def test_two_facility_loop_by_hand():
    # a gets 1/4 of its supply from r, r all of it from a: one lap returns 1/4 of a's flow,
    # so L[a, a] = 1 / (1 - 1/4) = 4/3, and L[r, r] = 4/3 as well (r's flow returns via a).
    block = sp.csr_matrix(np.array([[0.0, 0.25], [1.0, 0.0]]))
    np.testing.assert_allclose(loops.schur_diagonal(block, np.array([1])), [4 / 3, 4 / 3])
    np.testing.assert_allclose(loops.schur_diagonal(block, np.array([0])), [4 / 3, 4 / 3])
    np.testing.assert_allclose(loops.schur_diagonal(block, np.array([0, 1])), [4 / 3, 4 / 3])
    np.testing.assert_allclose(loops.lu_diagonal(block), [4 / 3, 4 / 3])


def test_three_stage_ring_by_hand():
    # alloy <- recycler (share 0.1), magnet <- alloy (1), recycler <- magnet (0.5):
    # one lap keeps 0.1 * 1 * 0.5 = 0.05 of the flow, so every diagonal entry is 1 / 0.95.
    block = sp.csr_matrix(np.array([[0.0, 0.0, 0.1], [1.0, 0.0, 0.0], [0.0, 0.5, 0.0]]))
    feedback = loops.feedback_vertex_set(block)
    assert feedback.size == 1
    np.testing.assert_allclose(loops.schur_diagonal(block, feedback), [1 / 0.95] * 3)


def test_self_loop_is_in_the_feedback_set():
    block = sp.csr_matrix(np.array([[0.5, 0.0], [1.0, 0.0]]))
    assert loops.feedback_vertex_set(block).tolist() == [0]
    np.testing.assert_allclose(loops.schur_diagonal(block, np.array([0])), [2.0, 1.0])


@st.composite
def leaky_blocks(draw, max_size=40):
    """Random non-negative square matrices with row sums < 1 (every loop leaks)."""
    size = draw(st.integers(1, max_size))
    seed = draw(st.integers(0, 2**32 - 1))
    density = draw(st.floats(0.02, 0.4))
    rng = np.random.default_rng(seed)
    dense = rng.random((size, size)) * (rng.random((size, size)) < density)
    sums = dense.sum(axis=1, keepdims=True)
    leak = draw(st.floats(0.01, 0.9))
    dense = np.divide(dense, sums, out=np.zeros_like(dense), where=sums > 0) * (1 - leak)
    return sp.csr_matrix(dense)


@settings(max_examples=150, deadline=None)
@given(block=leaky_blocks())
def test_feedback_set_meets_every_cycle(block):
    assert is_acyclic_without(block, loops.feedback_vertex_set(block))


@settings(max_examples=150, deadline=None)
@given(block=leaky_blocks())
def test_schur_and_lu_agree_with_the_dense_inverse(block):
    want = dense_diagonal(block)
    np.testing.assert_allclose(loops.schur_diagonal(block, loops.feedback_vertex_set(block)),
                               want, rtol=1e-10, atol=0)
    np.testing.assert_allclose(loops.lu_diagonal(block, chunk=3), want, rtol=1e-10, atol=0)


@pytest.mark.parametrize("dense_below,max_feedback", [(0, 3000), (0, 0), (10_000, 3000)])
def test_inverse_diagonal_every_path(monkeypatch, dense_below, max_feedback):
    """inverse_diagonal takes the Schur, LU and dense paths and gives the same answer."""
    monkeypatch.setattr(loops, "DENSE_BELOW", dense_below)
    monkeypatch.setattr(loops, "MAX_FEEDBACK", max_feedback)
    rng = np.random.default_rng(7)
    # a ring of 300 stage-like layers closed by 5 recyclers: a small feedback set
    size = 300
    dense = np.zeros((size, size))
    for i in range(1, size):
        dense[i, i - 1] = 0.9
    for recycler in rng.choice(size, 5, replace=False):
        dense[rng.integers(0, size), recycler] += 0.05
    block = sp.csr_matrix(dense)
    np.testing.assert_allclose(loops.inverse_diagonal(block), dense_diagonal(block), rtol=1e-12)


@settings(max_examples=100, deadline=None)
@given(block=leaky_blocks())
def test_greedy_feedback_set_meets_every_cycle_and_leaves_the_block_alone(block):
    from graphmodel.solve.schedule import greedy_feedback_vertex_set

    before = block.copy()
    assert is_acyclic_without(block, greedy_feedback_vertex_set(block))
    assert (block != before).nnz == 0


@settings(max_examples=100, deadline=None)
@given(block=leaky_blocks(), data=st.data())
def test_a_pruned_feedback_set_is_a_subset_that_still_meets_every_cycle(block, data):
    from graphmodel.solve.schedule import greedy_feedback_vertex_set, prune_feedback

    n = block.shape[0]
    extra = np.array(data.draw(st.lists(st.integers(0, n - 1), max_size=n)), dtype=np.int64)
    feedback = np.union1d(greedy_feedback_vertex_set(block), extra)  # padded with spare rows
    pruned = prune_feedback(block, feedback)
    assert set(pruned.tolist()) <= set(feedback.tolist())
    assert is_acyclic_without(block, pruned)


def test_pruning_drops_rows_that_close_no_cycle():
    """A 3-cycle 0 -> 1 -> 2 -> 0 with all three rows in the set: one is enough, and the
    first tried (fewest links, ties by position) that closes no cycle joins the rest."""
    from graphmodel.solve.schedule import prune_feedback

    block = sp.csr_matrix(([0.5, 0.5, 0.5], ([1, 2, 0], [0, 1, 2])), shape=(3, 3))
    assert prune_feedback(block, np.array([0, 1, 2])).tolist() == [2]
    loop = sp.csr_matrix(([0.5], ([0], [0])), shape=(1, 1))  # a self-loop always stays
    assert prune_feedback(loop, np.array([0])).tolist() == [0]


def _looped_block(share=0.2, n=3000, seed=4):
    """The cyclic block of a generated network with ``share`` of its facilities on loops."""
    from graphmodel.generate import generate_network
    from graphmodel.solve import build_schedule

    net = generate_network(n, seed=seed, loop_share=share)
    S = net.share_matrix
    cyclic = np.flatnonzero(build_schedule(S).cyclic)
    return sp.csr_matrix(S[cyclic][:, cyclic])


def test_every_route_agrees_on_a_heavily_recycled_network(monkeypatch):
    """Dense inverse, Schur complement (chunked), sparse LU and column sweeps give the same
    diagonal on a generated network with 20% of its facilities looped; the bounds are
    lowered so that the feedback set exceeds them and each route is taken in turn."""
    block = _looped_block()
    assert block.shape[0] > 500
    feedback = loops.feedback_vertex_set(block)
    assert feedback.size > 20
    want = dense_diagonal(block)
    routes = {
        "dense": loops.inverse_diagonal(block, dense_below=10 ** 6),
        "schur": loops.inverse_diagonal(block, dense_below=0),
        "schur, small chunks": loops.schur_diagonal(block, feedback, chunk=7),
        "lu": loops.inverse_diagonal(block, dense_below=0, max_feedback=10),
        "sweeps": loops.inverse_diagonal(block, dense_below=0, max_feedback=10, lu_below=0),
    }
    from graphmodel.solve import schedule as schedule_module

    monkeypatch.setattr(schedule_module, "GREEDY_ABOVE", 0)  # the greedy set, pruned, then Schur
    routes["schur on the greedy set"] = loops.inverse_diagonal(block, dense_below=0)
    routes["schur on the pruned set"] = loops.schur_diagonal(
        block, schedule_module.prune_feedback(block, feedback))
    for route, diagonal in routes.items():
        np.testing.assert_allclose(diagonal, want, rtol=1e-12, atol=0, err_msg=route)


def test_exact_block_solver_declined_above_its_bounds_and_sweeps_agree(monkeypatch):
    """Propagation on a 20%-looped network: with the exact block solver's feedback bound
    lowered below the network's feedback sets it is not built, the loops are swept to
    convergence, and the results agree with the exact solve."""
    from graphmodel.generate import generate_network
    from graphmodel.solve import plan as plan_module

    net = generate_network(3000, seed=4, loop_share=0.2)
    rng = np.random.default_rng(0)
    factors = np.where(rng.random((len(net.facilities), 3)) < 0.05, 0.3, 1.0)
    exact_plan = net.trace.forward
    assert any(level.loop is not None and level.loop.direct is not None
               for level in exact_plan.levels)
    exact = net.trace.propagate(factors)
    monkeypatch.setattr(plan_module.BlockSolver, "MAX_FEEDBACK", 5)
    swept_plan = plan_module.Plan.of(net.trace.S, net.trace.schedule)
    assert all(level.loop is None or level.loop.direct is None for level in swept_plan.levels)
    b = factors * net.trace.origin[:, None]
    np.testing.assert_allclose(swept_plan.solve(b, factors), exact, rtol=1e-12, atol=1e-15)


def test_one_feedback_search_serves_both_plans_and_the_diagonal():
    """The network's shared feedback rows meet every cycle of S and of S^T, and the plans
    and diagonal built on them agree with those that search their own."""
    from graphmodel.generate import generate_network
    from graphmodel.solve import Plan, Trace

    net = generate_network(3000, seed=4, loop_share=0.2)
    S, origin = net.share_matrix, net.inbound_volume.to_numpy() == 0
    trace = Trace(S, origin)
    feedback = np.flatnonzero(trace.feedback)
    cyclic = np.flatnonzero(trace.schedule.cyclic)
    assert feedback.size and np.isin(feedback, cyclic).all()
    assert is_acyclic_without(sp.csr_matrix(S), feedback)
    assert is_acyclic_without(sp.csr_matrix(S.T), feedback)
    b = np.random.default_rng(3).random((S.shape[0], 3))
    np.testing.assert_allclose(trace.forward.solve(b), Plan.of(S).solve(b), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(trace.backward.solve(b), Plan.of(sp.csr_matrix(S.T)).solve(b),
                               rtol=1e-12, atol=1e-15)
    own = loops.leontief_diagonal(S, trace.schedule, among=trace.traced)
    np.testing.assert_allclose(trace.diagonal[trace.traced], own[trace.traced], rtol=1e-12, atol=0)


@pytest.mark.parametrize("options", [dict(loop_share=0.2), dict(giant_component=True),
                                     dict(loop_share=0.01)])
def test_the_network_diagonal_reusing_its_plans_equals_the_diagonal_of_its_loops(options):
    """``Trace.diagonal`` takes each loop block's inverse Schur complement from the forward
    plan: the same diagonal (to rounding) as the whole-loop computation and the dense one."""
    from graphmodel.generate import generate_network
    from graphmodel.solve import build_schedule

    net = generate_network(2500, seed=6, **options)
    trace = net.trace
    assert trace.traced.all()
    want = loops.leontief_diagonal(trace.S, trace.schedule, among=trace.traced,
                                   feedback=trace.feedback)
    got = trace.diagonal
    np.testing.assert_allclose(got, want, rtol=1e-12)
    cyclic = np.flatnonzero(build_schedule(trace.S).cyclic)
    np.testing.assert_allclose(got[cyclic], dense_diagonal(sp.csr_matrix(
        trace.S[cyclic][:, cyclic])), rtol=1e-11)


@settings(max_examples=100, deadline=None)
@given(block=leaky_blocks(), data=st.data())
def test_a_class_of_rows_is_the_feedback_set_when_it_meets_every_cycle_with_fewer_rows(block, data):
    """With a label per row, the set found meets every cycle and is no larger than the
    pruned depth-first set, nor than any class that meets every cycle; where no class is
    smaller than the depth-first set, it is the set found without labels (the greedy search
    is tried then only)."""
    from graphmodel.solve.schedule import (feedback_vertex_set, meets_every_cycle,
                                           prune_feedback, small_feedback_vertex_set)

    n = block.shape[0]
    classes = np.array(data.draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)))
    found = small_feedback_vertex_set(block, classes)
    assert is_acyclic_without(block, found)
    depth_first = prune_feedback(block, feedback_vertex_set(block))
    assert found.size <= depth_first.size
    smaller_class = False
    for label in range(3):
        rows = np.flatnonzero(classes == label)
        assert meets_every_cycle(block, rows) == is_acyclic_without(block, rows)
        if meets_every_cycle(block, rows):
            assert found.size <= rows.size
            smaller_class |= prune_feedback(block, rows).size < depth_first.size
    if not smaller_class:
        np.testing.assert_array_equal(found, small_feedback_vertex_set(block))


@pytest.mark.parametrize("knobs", [dict(loop_share=0.2), dict(giant_component=True)])
def test_the_recyclers_close_the_generated_loops_with_fewer_rows_than_the_searches(knobs):
    """On generated networks whose scrap returns through recyclers, the network's feedback
    set is its recyclers on loops (the stage class), fewer than the depth-first and greedy
    searches find."""
    from graphmodel.generate import generate_network
    from graphmodel.solve.schedule import loop_feedback

    net = generate_network(3000, seed=4, **knobs)
    trace = net.trace
    stage = net.facilities["stage"].to_numpy()
    assert set(stage[trace.feedback]) == {"recycler"}
    assert trace.feedback.sum() < loop_feedback(trace.S, trace.schedule).sum()
    assert is_acyclic_without(sp.csr_matrix(trace.S), np.flatnonzero(trace.feedback))


def _back_edge_ends(block: sp.csr_matrix) -> tuple[set, set]:
    """Tails and heads of the back edges of a plain depth-first search over the dependency
    graph (``j -> i`` for each stored ``block[i, j]``, stored zeros included): roots and
    dependants taken in index order, a back edge closing on a row still on the stack."""
    after = sp.csr_matrix(block.T)
    state, tails, heads = {}, set(), set()

    def visit(u):
        state[u] = "open"
        for v in after.indices[after.indptr[u]:after.indptr[u + 1]].tolist():
            if v not in state:
                visit(v)
            elif state[v] == "open":
                tails.add(u)
                heads.add(v)
        state[u] = "done"

    for root in range(block.shape[0]):
        if root not in state:
            visit(root)
    return tails, heads


@settings(max_examples=150, deadline=None)
@given(n=st.integers(1, 30), density=st.floats(0.0, 0.3), seed=st.integers(0, 2**32 - 1),
       connected=st.booleans())
def test_the_depth_first_feedback_set_is_the_smaller_end_of_the_back_edges(n, density, seed,
                                                                         connected):
    """``feedback_vertex_set`` is the smaller of the back edges' tails and heads of a plain
    depth-first search (the tails on a tie): on one strongly connected component (a cycle
    through every row added, where the compiled search serves) and on any graph."""
    from graphmodel.solve.schedule import feedback_vertex_set

    rng = np.random.default_rng(seed)
    block = sp.random(n, n, density=density, format="csr", random_state=rng)
    if connected:
        order = rng.permutation(n)
        block = block + sp.csr_matrix((np.full(n, 0.5), (order, np.roll(order, 1))), shape=(n, n))
    block = sp.csr_matrix(block)
    block.sort_indices()
    if block.nnz:
        block.data[rng.random(block.nnz) < 0.1] = 0.0   # a stored zero is a link too
    tails, heads = _back_edge_ends(block)
    want = sorted(tails if len(tails) <= len(heads) else heads)
    assert feedback_vertex_set(block).tolist() == want
