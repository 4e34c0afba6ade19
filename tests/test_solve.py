"""The level-ordered solver agrees with the plain Neumann series and the networkx references."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from threadpoolctl import threadpool_limits

from graphmodel import algebra
from graphmodel.build import network_from_records
from graphmodel.chokepoints import criticality
from graphmodel.errors import ConvergenceError
from graphmodel.exposure import exposure
from graphmodel.generate import generate_network
from graphmodel.scenarios.outage import OutageModel, draw_shocks
from graphmodel.solve import Plan, SparseScale, build_schedule
from graphmodel.solve import plan as plan_module

from .reference_engine_nx import (column_sums_reference, criticality_reference,
                                  propagation_reference)
from .reference_nx import exposure_reference
from .reference_series import neumann_series as _plain
from .strategies import network_records

TOLERANCE = 1e-9


def loop_network():
    """o -> a (3 t), r -> a (1 t), a -> r (2 t), a -> k (2 t): a recycling loop a <-> r.

    S[a, o] = 3/4, S[a, r] = 1/4, S[r, a] = 1, S[k, a] = 1.
    """
    facilities = [{"id": "o", "name": "O", "stage": "mine", "country": "CN"},
                  {"id": "a", "name": "A", "stage": "magnet", "country": "JP"},
                  {"id": "r", "name": "R", "stage": "recycler", "country": "JP"},
                  {"id": "k", "name": "K", "stage": "oem", "country": "DE"}]
    links = [{"supplier": "o", "customer": "a", "material": "NdFeB alloy", "volume": 3},
             {"supplier": "r", "customer": "a", "material": "recycled alloy", "volume": 1},
             {"supplier": "a", "customer": "r", "material": "magnet scrap", "volume": 2},
             {"supplier": "a", "customer": "k", "material": "NdFeB magnet", "volume": 2}]
    return network_from_records(facilities, links)


def test_backward_solve_by_hand():
    # c(k) = 1; c(a) = S[k,a] c(k) + S[r,a] c(r) = 1 + c(r); c(r) = S[a,r] c(a) = c(a)/4
    # -> c(a) = 1 + c(a)/4 = 4/3, c(r) = 1/3, c(o) = S[a,o] c(a) = 3/4 * 4/3 = 1.
    net = loop_network()
    w = (net.facilities.index == "k").astype(float)
    c = Plan.of(sp.csr_matrix(net.share_matrix.T)).solve(w)
    np.testing.assert_allclose(c, [1.0, 4 / 3, 1 / 3, 1.0], atol=1e-14)  # order o, a, r, k


def test_propagation_by_hand():
    # f(o) = 0.5, 1 elsewhere: a(o) = 0.5; a(a) = 3/4 * 0.5 + 1/4 a(r), a(r) = a(a)
    # -> a(a) (1 - 1/4) = 0.375 -> a(a) = 0.5 = a(r) = a(k).
    net = loop_network()
    f = np.array([0.5, 1.0, 1.0, 1.0])
    np.testing.assert_allclose(net.trace.propagate(f), [0.5, 0.5, 0.5, 0.5], atol=1e-14)
    # the recycler at half capacity: a(a) = 3/4 + 1/4 * 0.5 a(a) -> a(a) = 0.75 / 0.875 = 6/7
    f = np.array([1.0, 1.0, 0.5, 1.0])
    np.testing.assert_allclose(net.trace.propagate(f), [1, 6 / 7, 3 / 7, 6 / 7], atol=1e-14)


def test_schedule_levels_on_a_chain_with_a_loop():
    net = loop_network()
    schedule = build_schedule(net.share_matrix)
    level = dict(zip(net.facilities.index, schedule.level))
    assert level == {"o": 0, "a": 1, "r": 1, "k": 2}   # a and r form one cyclic component
    assert schedule.cyclic.tolist() == [False, True, True, False]
    assert schedule.valid_for(net.share_matrix)
    assert not schedule.valid_for(sp.csr_matrix(net.share_matrix.T))
    assert schedule.reversed.valid_for(sp.csr_matrix(net.share_matrix.T))


def test_closed_loop_without_input_is_zero_and_with_input_raises():
    loop = sp.csr_matrix(np.array([[0.0, 1.0], [1.0, 0.0]]))
    np.testing.assert_array_equal(Plan.of(loop).solve(np.zeros(2)), [0.0, 0.0])
    with pytest.raises(ConvergenceError):
        Plan.of(loop).solve(np.array([1.0, 0.0]), max_iterations=200)


def test_loop_returning_all_but_rounding_raises():
    """A closed loop whose shares are 1 only up to rounding (as in a backward solve, where
    column sums of S can reach 1) has no finite solution either: no exact solve of it."""
    gain = (0.1 + 0.2) / 0.3  # 1.0000000000000002
    loop = sp.csr_matrix(np.array([[0.0, 1.0, 0.003], [gain, 0.0, 0.0], [0.0, 0.0, 0.0]]))
    with pytest.raises(ConvergenceError):
        Plan.of(loop).solve(np.array([0.0, 0.0, 1.0]), max_iterations=200)


def test_masked_rows_reuse_the_network_schedule():
    net = loop_network()
    schedule = net.trace.schedule
    masked = sp.csr_matrix(sp.diags([1.0, 0.0, 1.0, 1.0]) @ net.share_matrix)
    assert schedule.valid_for(masked)
    assert schedule.reversed.valid_for(sp.csr_matrix(net.share_matrix.T))
    assert net.trace.schedule is schedule and net.trace.backward.schedule is schedule.reversed
    net.links = net.links.copy()  # replacing a table drops the trace with the other views
    assert net.trace.schedule is not schedule


def _as_dict(net, values):
    return dict(zip(net.facilities.index, values))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=network_records(), data=st.data())
def test_solver_agrees_with_references(records, data):
    net = network_from_records(**records)
    n = len(net.facilities)
    unit = st.floats(0, 1, allow_nan=False)
    f = np.array(data.draw(st.lists(unit, min_size=n, max_size=n)))
    propagated = net.trace.propagate(f)
    expected = propagation_reference(net, _as_dict(net, f))
    np.testing.assert_allclose(propagated, [expected[v] for v in net.facilities.index],
                               atol=TOLERANCE)
    # the batch of K columns equals the columns solved one by one
    block = np.column_stack([f, np.ones(n), f[::-1]])
    batched = net.trace.propagate(block)
    for k in range(block.shape[1]):
        np.testing.assert_allclose(batched[:, k], net.trace.propagate(block[:, k]), atol=TOLERANCE)

    w = np.where(net.facilities.index.isin(net.sinks), 1.0, 0.0)
    try:
        expected = column_sums_reference(net, _as_dict(net, w))
    except ValueError:  # a closed loop feeding a sink: no finite solution; the solver says so
        with pytest.raises(ConvergenceError):
            Plan.of(sp.csr_matrix(net.share_matrix.T)).solve(w, max_iterations=500)
        return
    c = Plan.of(sp.csr_matrix(net.share_matrix.T)).solve(w)
    np.testing.assert_allclose(c, [expected[v] for v in net.facilities.index],
                               rtol=TOLERANCE, atol=TOLERANCE)
    try:
        plain = _plain(net.share_matrix.T, w)
    except ConvergenceError:  # a loop returning all but a sliver of its flow: the series
        # creeps (0.25% a step after 100,000 steps); at this size a dense solve is exact
        plain = np.linalg.solve(np.eye(n) - net.share_matrix.T.toarray(), w)
    np.testing.assert_allclose(c, plain, rtol=TOLERANCE, atol=TOLERANCE)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=network_records(), stage=st.sampled_from(["mine", "separator", "magnet"]))
def test_exposure_through_solver_agrees_with_reference(records, stage):
    net = network_from_records(**records)
    got = exposure(net, "CN", stage).set_index("id")
    want = exposure_reference(net, "CN", stage).set_index("id")
    np.testing.assert_allclose(got["share"], want["share"], atol=TOLERANCE)
    np.testing.assert_allclose(got["unknown"], want["unknown"], atol=TOLERANCE)


def test_solver_matches_plain_series_on_a_generated_network():
    import pandas as pd

    from graphmodel.generate import GeneratorSettings, generate_tables

    tables = generate_tables(GeneratorSettings(3000, seed=1))
    S = algebra.share_matrix(tables["links"], pd.Index(tables["facilities"]["id"]))
    rng = np.random.default_rng(0)
    b = rng.random((S.shape[0], 3))
    schedule = build_schedule(S)
    assert schedule.valid_for(S) and schedule.n_cyclic > 0  # the generator adds recycling loops
    np.testing.assert_allclose(Plan.of(S, schedule).solve(b), _plain(S, b), rtol=1e-12, atol=1e-12)
    w = rng.random(S.shape[0])
    np.testing.assert_allclose(Plan.of(sp.csr_matrix(S.T), schedule.reversed).solve(w), _plain(S.T, w),
                               rtol=1e-12, atol=1e-12)


def test_criticality_by_hand():
    # loop network, sink k (demand 2): c = L^T w / W = [1, 4/3, 1/3, 1] (see the backward test).
    # L[a, a] = 1 / (1 - S[a,r] S[r,a]) = 4/3 and L[r, r] = 4/3 (the loop a <-> r returns 1/4):
    # criticality = [1, (4/3)/(4/3), (1/3)/(4/3), 1] = [1, 1, 1/4, 1]: losing the recycler
    # loses the quarter of a's input that it returns.
    net = loop_network()
    w = np.array([0.0, 0.0, 0.0, 2.0])
    np.testing.assert_allclose(net.trace.first_passage(w) / w.sum(), [1.0, 1.0, 0.25, 1.0],
                               atol=1e-14)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=network_records())
def test_criticality_agrees_with_removal_reference(records):
    net = network_from_records(**records)
    w = net.sink_demand.reindex(net.facilities.index, fill_value=0.0).to_numpy(dtype=float)
    got = criticality(net).to_numpy()
    want = criticality_reference(net, _as_dict(net, w))
    np.testing.assert_allclose(got, [want[v] for v in net.facilities.index], atol=TOLERANCE)
    if w.sum() > 0:  # the trace's first passage is what criticality divides by W
        np.testing.assert_allclose(got, net.trace.first_passage(w) / w.sum(), atol=TOLERANCE)


def test_exact_block_solves_agree_with_sweeps(monkeypatch):
    """On recycling loops, the exact block solver (unscaled columns), its low-rank update
    (a few scaled rows) and the sweeps (many scaled rows) give the answer of sweeps alone."""
    monkeypatch.setattr(plan_module.BlockSolver, "MAX_RANK", 8)  # so that a column exceeds it
    net = generate_network(3000, seed=2)
    S = net.share_matrix
    plan = Plan.of(S)
    assert any(level.loop is not None and level.loop.direct is not None for level in plan.levels)
    cyclic = np.flatnonzero(plan.schedule.cyclic)
    assert cyclic.size > plan_module.BlockSolver.MAX_RANK
    rng = np.random.default_rng(3)
    n = S.shape[0]
    factors = np.ones((n, 4))
    factors[rng.choice(cyclic, 3, replace=False), 1] = rng.random(3)        # low-rank update
    factors[rng.choice(cyclic, 2 * plan_module.BlockSolver.MAX_RANK, replace=False), 2] = 0.5  # swept
    factors[:, 3] = rng.random(n)
    b = rng.random((n, 4))
    got = plan.solve(b, factors)
    monkeypatch.setattr(plan_module.BlockSolver, "of", classmethod(lambda cls, *args, **kwargs: None))
    swept = Plan.of(S).solve(b, factors)
    np.testing.assert_allclose(got, swept, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(Plan.of(S).solve(b), _plain(S, b), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("private_kernel", [True, False])
def test_product_into_equals_the_public_product(monkeypatch, private_kernel):
    """The in-place product gives exactly ``A @ x``, with SciPy's kernel or without it."""
    if not private_kernel:
        monkeypatch.setattr(plan_module, "_csr_matvecs", None)
    rng = np.random.default_rng(5)
    A = sp.random(40, 300, density=0.05, format="csr", random_state=6)
    x = rng.random((300, 7))
    block = rng.random((50, 7))  # stale values must not leak into the result
    plan_module.product_into(A, x, block[5:45])
    np.testing.assert_array_equal(block[5:45], A @ x)


@pytest.mark.parametrize("private_kernel", [True, False])
def test_substitute_in_place_equals_the_solve(monkeypatch, private_kernel):
    """Plan.substitute (in place, plan order, acyclic plans) gives Plan.solve's answer for
    A and for A^T, on blocks and vectors; a plan with a loop refuses it."""
    if not private_kernel:
        monkeypatch.setattr(plan_module, "_csr_matvecs", None)
    rng = np.random.default_rng(8)
    A = sp.random(200, 200, density=0.03, format="csr", random_state=9)
    A = sp.csr_matrix(sp.tril(A, k=-1) * 0.5)  # acyclic, several levels
    plan = Plan.of(A)
    assert len(plan.levels) > 3
    for b in (rng.random((200, 5)), rng.random(200)):
        for transpose, matrix in ((False, A), (True, sp.csr_matrix(A.T))):
            x = np.ascontiguousarray(b[plan.order])
            assert plan.substitute(x, transpose=transpose) is x
            solved = np.empty_like(x)
            solved[plan.order] = x
            np.testing.assert_allclose(solved, Plan.of(matrix).solve(b), rtol=1e-13, atol=0)
    with pytest.raises(ValueError, match="recycling loops"):
        Plan.of(sp.csr_matrix([[0.0, 0.5], [0.5, 0.0]])).substitute(np.ones(2))


def test_sparse_row_scale_is_the_propagation_of_shocks():
    """Plan.solve with a SparseScale (the Monte Carlo kernel, result in plan order) gives
    the dense propagation a = f o (S a) + f o origin of the same factors."""
    net = generate_network(800, seed=1)
    shocks = draw_shocks(net, range(6), seed=4, model=OutageModel(probability=0.05,
                                                                  country_probability=0.5))
    plan = net.trace.forward
    got = plan.solve(net.trace.origin, shocks)[plan.position]
    want = net.trace.propagate(shocks.dense(len(net.facilities)))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    unshocked = plan.solve(net.trace.origin, SparseScale.none(2))[plan.position]
    np.testing.assert_allclose(unshocked[:, 1], net.trace.propagate(np.ones(800)), atol=1e-12)


@pytest.mark.parametrize("route", ["kept block structure", "block structure per batch",
                                   "columns of M"])
def test_low_rank_updates_on_a_heavily_recycled_block_match_the_sweeps(monkeypatch, route):
    """Columns with a few scaled rows on a 20%-looped network (rows off and on the feedback
    set, full outages among them, rows shared between columns) are solved by the exact
    block solver's low-rank update, by any route: the same as sweeping the scaled block,
    and each column bit for bit the same whether solved alone or in the batch."""
    monkeypatch.setattr(plan_module.BlockSolver, "SMALL_BLOCK",
                        10 ** 9 if route == "columns of M" else 0)
    if route == "block structure per batch":
        monkeypatch.setattr(plan_module.BlockSolver, "KEPT_STRUCTURE_NONZEROS", 0)
    net = generate_network(3000, seed=4, loop_share=0.2)
    S = net.share_matrix
    plan = Plan.of(S)
    block = max((level for level in plan.levels if level.loop is not None),
                key=lambda level: level.end - level.middle)
    solver = block.loop.direct
    assert solver is not None and solver.n_rest < block.end - block.middle
    rows_of_block = plan.order[block.middle:block.end]
    in_feedback = rows_of_block[solver.n_rest:]
    rng = np.random.default_rng(5)
    n, K = S.shape[0], 14
    factors = np.ones((n, K))
    for k in range(K):  # the last two beyond ELEMENTWISE_RANK (a country shock's rows)
        count = rng.integers(1, 9) if k < K - 2 else 2 * plan_module.ELEMENTWISE_RANK - k % 2
        chosen = rng.choice(rows_of_block, count, replace=False)
        factors[chosen, k] = rng.choice([0.0, 0.3, 0.9], chosen.size)
    factors[in_feedback[:2], 0] = 0.0       # feedback rows scaled
    factors[rows_of_block[:3], 1:4] = 0.5   # rows shared by columns
    b = factors * rng.random(n)[:, None]
    got = plan.solve(b, factors)
    alone = np.column_stack([plan.solve(b[:, [k]], factors[:, [k]])[:, 0] for k in range(K)])
    np.testing.assert_array_equal(got, alone)
    monkeypatch.setattr(plan_module.BlockSolver, "of", classmethod(lambda cls, *args, **kwargs: None))
    swept = Plan.of(S).solve(b, factors)
    np.testing.assert_allclose(got, swept, rtol=1e-11, atol=1e-13)


@settings(max_examples=60, deadline=None)
@given(rows=st.integers(0, 300), columns=st.integers(1, 20), seed=st.integers(0, 2**32 - 1))
def test_column_max_abs_is_the_column_maximum_of_the_absolute_values(rows, columns, seed):
    x = np.random.default_rng(seed).standard_normal((rows, columns))
    want = np.abs(x).max(axis=0) if rows else np.zeros(columns)
    np.testing.assert_array_equal(plan_module._column_max_abs(x.copy(), np.empty_like(x)), want)
    np.testing.assert_array_equal(plan_module._column_max_abs(x.copy()), want)


def test_the_backward_plan_reuses_the_forward_plans_schur_complements():
    """A network's plans of S and S^T share one inverse Schur complement per loop block
    (``T' = T^T``): the backward plan solves as one built on its own does (to rounding),
    and computes no inverse of its own."""
    net = generate_network(3000, seed=4, loop_share=0.2)
    trace = net.trace
    trace.forward
    shared = dict(trace._schur)
    assert shared and all(value is not None for value in shared.values())
    calls = []
    original = plan_module.schur_complement
    try:
        plan_module.schur_complement = lambda *a, **k: calls.append(1) or original(*a, **k)
        backward = trace.backward
    finally:
        plan_module.schur_complement = original
    assert calls == [] and trace._schur.keys() == shared.keys()
    own = Plan.of(sp.csr_matrix(trace.S.T), trace.schedule.reversed, feedback=trace.feedback)
    w = np.random.default_rng(1).random((trace.n, 3))
    np.testing.assert_allclose(backward.solve(w), own.solve(w), rtol=1e-11)


def test_the_kept_block_structure_is_the_structure_of_each_batch_bit_for_bit(monkeypatch):
    """The low-rank update's structure of any rows (``N[R, R]``, the vectors ``q_i`` and
    ``h_j``), sliced from the block's kept ``N``, ``N^T``, ``A_FD N`` and ``A_DF^T N^T``,
    is bit for bit the structure summed for those rows alone; and above the kept size the
    block keeps nothing (the reach stops as soon as it is over)."""
    net = generate_network(3000, seed=4, loop_share=0.2)
    plan = Plan.of(net.share_matrix)
    block = max((level for level in plan.levels if level.loop is not None),
                key=lambda level: level.end - level.middle)
    solver = block.loop.direct
    size = block.end - block.middle
    assert 0 < solver.n_rest < size
    kept = solver._kept_structure
    assert kept is not None
    rng = np.random.default_rng(3)
    needed = np.unique(np.concatenate([rng.choice(solver.n_rest, 40, replace=False),
                                       rng.choice(np.arange(solver.n_rest, size), 5,
                                                  replace=False)]))
    sliced = solver._structure(needed)
    monkeypatch.setattr(plan_module.BlockSolver, "KEPT_STRUCTURE_NONZEROS", 0)
    alone = plan_module.BlockSolver._with_inverse(solver.inner, solver.n_rest, block.loop.sweep,
                                                  solver.T_inverse)
    assert alone._kept_structure is None
    for kept_part, batch_part in zip(sliced, alone._structure(needed)):
        np.testing.assert_array_equal(kept_part, batch_part)
    N = kept[0].toarray()   # and N is the inverse it stands for
    np.testing.assert_allclose(N @ (np.eye(solver.n_rest) - solver.A_DD.toarray()),
                               np.eye(solver.n_rest), atol=1e-12)
    assert plan_module._acyclic_reach(solver.A_DD, sp.identity(solver.n_rest, format="csr"),
                                      limit=int(kept[0].nnz) - 1) is None


def test_a_block_keeps_its_low_rank_structure_once_its_batches_have_paid_for_it(monkeypatch):
    """One low-rank batch (a masked exposure) sums its own rows' structure; the block keeps
    every row's structure at the batch that brings the rows asked for to
    ``KEEP_STRUCTURE_SHARE`` of D, and :meth:`Plan.keep_update_structure` keeps it at once
    (a Monte Carlo study's set-up)."""
    monkeypatch.setattr(plan_module.BlockSolver, "SMALL_BLOCK", 0)
    net = generate_network(3000, seed=4, loop_share=0.2)

    def largest_solver(plan):
        block = max((level for level in plan.levels if level.loop is not None),
                    key=lambda level: level.end - level.middle)
        return block.loop.direct

    solver = largest_solver(Plan.of(net.share_matrix))
    needed = np.arange(7)
    calls_to_keep = -(-solver.KEEP_STRUCTURE_SHARE * solver.n_rest // needed.size)
    assert calls_to_keep > 2
    for call in range(1, int(calls_to_keep) + 1):
        solver._structure(needed)
        assert ("_kept_structure" in solver.__dict__) == (call == calls_to_keep)
    prepared = Plan.of(net.share_matrix)
    prepared.keep_update_structure()
    assert "_kept_structure" in largest_solver(prepared).__dict__


def test_a_column_of_the_inverse_schur_product_never_depends_on_its_batch():
    """``BlockSolver._apply_inverse`` gives each feedback input the same ``T^-1 r``, bit for
    bit, alone or in batches of any width and at any position (sparse and dense inputs
    mixed), on one BLAS thread or several, and the value of ``T^-1 r``."""
    rng = np.random.default_rng(11)
    f = 700  # sums longer than one chunk of plan_module.SUM_CHUNK
    T_inverse = rng.random((f, f))
    solver = plan_module.BlockSolver._with_inverse(sp.csr_matrix((f, f)), 0, [], T_inverse)
    r = rng.random((f, 41))
    r[:, ::3] *= rng.random((f, 14)) < 0.05          # every third column sparse
    alone = np.column_stack([solver._apply_inverse(r[:, [k]])[:, 0] for k in range(41)])
    np.testing.assert_allclose(alone, T_inverse @ r, rtol=1e-12)
    for width in (2, 5, 16, 17, 41):
        for start in (0, 3):
            columns = np.arange(start, min(41, start + width))
            np.testing.assert_array_equal(solver._apply_inverse(r[:, columns]), alone[:, columns])
    with threadpool_limits(1, user_api="blas"):
        np.testing.assert_array_equal(solver._apply_inverse(r), alone)


def test_fixed_order_products_round_alike_on_any_number_of_blas_threads():
    """``fixed_order_product`` is ``A @ B`` (arrays, stacks, column chunks) and gives the
    same bits on one BLAS thread as on the default count, for products whose sides are
    multiples of 16 (how the solver calls it)."""
    rng = np.random.default_rng(12)
    A, B = rng.random((40, 900)), rng.random((900, 16))
    stack_A, stack_B = rng.random((6, 80, 900)), rng.random((6, 900, 80))  # whole tiles
    parts = tuple(np.ascontiguousarray(A[:, i:i + plan_module.SUM_CHUNK])
                  for i in range(0, 900, plan_module.SUM_CHUNK))
    def products():
        return (plan_module.fixed_order_product(A, B),
                plan_module.fixed_order_product(parts, B),
                plan_module.fixed_order_product(stack_A, stack_B))
    default = products()
    np.testing.assert_allclose(default[0], A @ B, rtol=1e-13)
    np.testing.assert_array_equal(default[0], default[1])
    np.testing.assert_allclose(default[2], stack_A @ stack_B, rtol=1e-13)
    with threadpool_limits(1, user_api="blas"):
        for one, many in zip(products(), default):
            np.testing.assert_array_equal(one, many)


def _sweeps_on_a_slow_loop(monkeypatch, every):
    """Solve x = A x + b on a 3-cycle returning 90% of its flow per lap by Gauss-Seidel
    sweeps alone (no exact solver, no GMRES), extrapolating every ``every`` sweeps;
    returns (solution, sweeps taken)."""
    monkeypatch.setattr(plan_module, "EXTRAPOLATE_EVERY", every)
    monkeypatch.setattr(plan_module.BlockSolver, "of", classmethod(lambda cls, *args, **kwargs: None))
    monkeypatch.setattr(plan_module, "_krylov_sweeps", _declined)
    A = sp.csr_matrix(np.array([[0.0, 0.0, 0.9],
                                [1.0, 0.0, 0.0],
                                [0.0, 1.0, 0.0]]))
    sweeps = []
    original = plan_module._column_max_abs
    monkeypatch.setattr(plan_module, "_column_max_abs",
                        lambda *args: sweeps.append(1) or original(*args))
    x = Plan.of(A).solve(np.array([1.0, 0.0, 0.0]))
    return x, len(sweeps) // 2  # two maxima per sweep


def _declined(loop, outside, scale, tol, budget):
    """A stand-in for :func:`plan._krylov_sweeps` that converges no column."""
    return np.empty(outside.shape), np.zeros(outside.shape[1], dtype=bool)


def test_extrapolated_sweeps_reach_the_same_fixed_point_in_fewer_sweeps(monkeypatch):
    """x1 = 0.9 x3 + 1, x2 = x1, x3 = x2: every x is 1 / 0.1. Aitken's extrapolation of
    the sweeps gives it to the same tolerance in a fraction of the plain sweeps (which
    converge on their own, before the exact fallback)."""
    plain, plain_sweeps = _sweeps_on_a_slow_loop(monkeypatch, 10 ** 9)
    fast, fast_sweeps = _sweeps_on_a_slow_loop(monkeypatch, 5)
    np.testing.assert_allclose(plain, np.full(3, 1 / 0.1), rtol=1e-13)
    np.testing.assert_allclose(fast, np.full(3, 1 / 0.1), rtol=1e-13)
    assert 200 < plain_sweeps < plan_module.DIRECT_AFTER and fast_sweeps < plain_sweeps / 5


@pytest.mark.parametrize("loop_share", [0.0, 0.2])
def test_unit_columns_solve_exactly_as_their_dense_block(loop_share):
    """A right-hand side of one non-zero per column (:class:`UnitColumns`), added where its
    row is solved, gives bit for bit the solve of the dense block, with and without a row
    scale, into a reused buffer holding old values."""
    net = generate_network(800, seed=5, loop_share=loop_share)
    plan = net.trace.backward
    n = plan.schedule.n
    rng = np.random.default_rng(1)
    rows = rng.choice(n, size=37, replace=False)
    values = rng.random(37)
    dense = np.zeros((n, 37))
    dense[rows, np.arange(37)] = values
    scale = (rng.random(n) > 0.1).astype(float)
    units = plan_module.UnitColumns(rows, values)
    for row_scale in (None, scale):
        out = np.full((n, 37), 7.0)
        got = plan.solve_in_plan_order(units, row_scale, out=out)
        assert got is out
        np.testing.assert_array_equal(got, plan.solve_in_plan_order(dense, row_scale))


def test_loop_blocks_are_solved_in_place_or_copied_into_any_layout():
    """The cyclic blocks are solved into the solution's own rows; a solution array in
    Fortran order (whose block rows are not one contiguous piece) gets the same values bit
    for bit, and so does a sparse row scale (the Monte Carlo's shocks) against its dense
    form."""
    net = generate_network(800, seed=5, loop_share=0.2)
    plan = net.trace.forward
    n = plan.schedule.n
    assert any(level.loop is not None and level.loop.direct is not None for level in plan.levels)
    rng = np.random.default_rng(2)
    b = rng.random((n, 9))
    scale = np.where(rng.random((n, 9)) < 0.05, rng.random((n, 9)), 1.0)
    expected = plan.solve_in_plan_order(b, scale)
    fortran = plan.solve_in_plan_order(b, scale, out=np.asfortranarray(np.full((n, 9), 3.0)))
    np.testing.assert_array_equal(fortran, expected)
    shocks = draw_shocks(net, range(9), seed=3, model=OutageModel(probability=0.02))
    sparse = plan.solve(net.trace.origin, shocks)
    dense = plan.solve(net.trace.origin[:, None] * shocks.dense(n), shocks.dense(n))
    np.testing.assert_allclose(sparse, dense[plan.order], rtol=1e-13, atol=1e-15)


def test_a_loop_blocks_input_product_skips_only_the_blocks_own_columns():
    """``_without_columns`` drops the entries of columns ``start:end`` and nothing else,
    keeping each row's order and empty rows (leading and trailing) empty."""
    rng = np.random.default_rng(4)
    dense = np.where(rng.random((9, 12)) < 0.4, rng.random((9, 12)), 0.0)
    dense[[0, 4, 8]] = 0.0
    matrix = sp.csr_matrix(dense)
    out = plan_module._without_columns(matrix, 3, 7)
    expected = dense.copy()
    expected[:, 3:7] = 0.0
    np.testing.assert_array_equal(out.toarray(), expected)
    assert out.nnz == np.count_nonzero(expected)


def test_units_into_a_loop_nothing_outside_feeds_take_the_sparse_reach():
    """On a giant component the backward plan's loop block reads nothing from outside it,
    so a solve of unit columns (the report's per-sink shares) finds ``A_FD N c_D`` by the
    sparse reach of the units instead of a first sweep: the same solution to rounding as
    the dense block, each column the same bit for bit alone or in its batch."""
    net = generate_network(1500, seed=6, giant_component=True)
    plan = net.trace.backward
    n = plan.schedule.n
    loops = [level.loop for level in plan.levels if level.loop is not None]
    assert any(loop.outer.nnz == 0 and loop.direct is not None for loop in loops)
    rng = np.random.default_rng(8)
    rows = rng.choice(n, size=40, replace=False)
    values = rng.random(40)
    dense = np.zeros((n, 40))
    dense[rows, np.arange(40)] = values
    got = plan.solve_in_plan_order(plan_module.UnitColumns(rows, values))
    np.testing.assert_allclose(got, plan.solve_in_plan_order(dense), rtol=1e-12, atol=1e-15)
    alone = np.column_stack([plan.solve_in_plan_order(
        plan_module.UnitColumns(rows[[j]], values[[j]]))[:, 0] for j in range(40)])
    np.testing.assert_array_equal(got, alone)


def _count_sweeps(monkeypatch):
    """Count the Gauss-Seidel sweeps (of any number of columns) the solves take."""
    sweeps = []
    original = plan_module._sweep
    monkeypatch.setattr(plan_module, "_sweep", lambda *args: sweeps.append(1) or original(*args))
    return sweeps


def test_gmres_on_the_feedback_rows_reaches_the_fixed_point_in_fewer_sweeps(monkeypatch):
    """The 3-cycle returning 90% per lap: GMRES on its feedback row gets x = 1 / 0.1 to the
    sweeps' tolerance in a handful of sweeps (an f = 1 system: one step, then the sweep
    that judges it), where the extrapolated sweeps take dozens."""
    _, extrapolated = _sweeps_on_a_slow_loop(monkeypatch, 5)
    monkeypatch.undo()
    monkeypatch.setattr(plan_module.BlockSolver, "of", classmethod(lambda cls, *args, **kwargs: None))
    sweeps = _count_sweeps(monkeypatch)
    A = sp.csr_matrix(np.array([[0.0, 0.0, 0.9], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]))
    x = Plan.of(A).solve(np.array([1.0, 0.0, 0.0]))
    np.testing.assert_allclose(x, np.full(3, 1 / 0.1), rtol=1e-14)
    assert len(sweeps) <= 4 < extrapolated


def _swept_looped_plan(monkeypatch, n=1500, seed=4):
    """The forward plan of a 20%-looped generated network with every loop left to the
    sweeps (no exact block solver), its size and its loop levels."""
    monkeypatch.setattr(plan_module.BlockSolver, "of", classmethod(lambda cls, *args, **kwargs: None))
    net = generate_network(n, seed=seed, loop_share=0.2)
    plan = Plan.of(net.share_matrix)
    assert any(level.loop is not None for level in plan.levels)
    return net.share_matrix, plan


def test_gmres_columns_never_depend_on_their_batch_or_chunk(monkeypatch):
    """Each column of a swept block, solved with 11 others (scaled rows, zero columns, one
    signed input that the Gauss-Seidel sweeps take) or alone, or in chunks of one column's
    Krylov basis, gives the same bits; and the dense solution to 1e-12."""
    S, plan = _swept_looped_plan(monkeypatch)
    n = S.shape[0]
    rng = np.random.default_rng(7)
    b = rng.random((n, 12))
    b[:, 3] = 0.0                                    # nothing enters: stays 0
    b[:, 5] -= 0.5                                   # signed: the sweeps' column
    scale = np.where(rng.random((n, 12)) < 0.3, rng.random((n, 12)), 1.0)
    together = plan.solve(b, scale)
    for k in range(12):
        alone = plan.solve(b[:, k], scale[:, k])
        np.testing.assert_array_equal(alone, together[:, k])
        dense = sp.linalg.spsolve(sp.csc_matrix(sp.identity(n) - sp.diags(scale[:, k]) @ S),
                                  b[:, k])
        np.testing.assert_allclose(together[:, k], dense, rtol=1e-12, atol=1e-12)
    assert not together[:, 3].any()
    monkeypatch.setattr(plan_module, "KRYLOV_BYTES", 1)   # one column per chunk
    np.testing.assert_array_equal(plan.solve(b, scale), together)


def test_gmres_takes_fewer_sweeps_than_the_extrapolated_sweeps_to_the_same_answer(monkeypatch):
    """On the swept loops of a generated network, GMRES and the extrapolated Gauss-Seidel
    sweeps agree to the tolerance, GMRES with fewer sweeps."""
    S, plan = _swept_looped_plan(monkeypatch)
    b = np.random.default_rng(8).random((S.shape[0], 3))
    sweeps = _count_sweeps(monkeypatch)
    krylov = plan.solve(b)
    by_gmres = len(sweeps)
    monkeypatch.setattr(plan_module, "_krylov_sweeps", _declined)
    sweeps.clear()
    gauss_seidel = plan.solve(b)
    np.testing.assert_allclose(krylov, gauss_seidel, rtol=1e-13, atol=1e-14)
    assert by_gmres < len(sweeps)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(size=st.integers(2, 40), seed=st.integers(0, 2**32 - 1),
       gain=st.floats(0.05, 0.999), columns=st.integers(1, 5))
def test_gmres_solves_random_loops_like_a_dense_solve(size, seed, gain, columns):
    """Random non-negative matrices with cycles (rows summing to at most ``gain``), every
    loop swept with GMRES: the dense solution of ``(I - F A) x = b`` per column, each
    column the same alone as in the batch."""
    rng = np.random.default_rng(seed)
    dense = np.where(rng.random((size, size)) < 3 / size, rng.random((size, size)), 0.0)
    sums = dense.sum(axis=1, keepdims=True)
    dense = np.divide(dense * gain, sums, out=np.zeros_like(dense), where=sums > 0)
    A = sp.csr_matrix(dense)
    b = rng.random((size, columns))
    scale = np.where(rng.random((size, columns)) < 0.3, rng.random((size, columns)), 1.0)
    original = plan_module.BlockSolver.of
    try:
        plan_module.BlockSolver.of = classmethod(lambda cls, *args, **kwargs: None)
        plan = Plan.of(A)
    finally:
        plan_module.BlockSolver.of = original
    got = plan.solve(b, scale)
    for k in range(columns):
        want = np.linalg.solve(np.eye(size) - scale[:, k, None] * dense, b[:, k])
        np.testing.assert_allclose(got[:, k], want, rtol=1e-11, atol=1e-12)
        np.testing.assert_array_equal(plan.solve(b[:, k], scale[:, k]), got[:, k])


@pytest.mark.parametrize("exact_blocks", [True, False])
def test_loop_diagonal_at_is_the_diagonal_of_the_inverse(monkeypatch, exact_blocks):
    """``Plan.loop_diagonal_at``: ``((I - A)^-1)[p, p]`` for looped rows (by block solvers or
    by GMRES sweeps) and 1 off the loops, each row the same alone as with the others; and
    the trace's ``diagonal_at`` of an all-traced network reads it from the forward plan."""
    if not exact_blocks:
        monkeypatch.setattr(plan_module.BlockSolver, "of", classmethod(lambda cls, *args, **kwargs: None))
    net = generate_network(600, seed=11, loop_share=0.2)
    S = net.share_matrix
    plan = Plan.of(S)
    assert any(level.loop is not None for level in plan.levels)
    inverse = np.linalg.inv(np.eye(S.shape[0]) - S.toarray())
    rng = np.random.default_rng(5)
    looped = np.flatnonzero(plan.schedule.cyclic)
    facilities = np.concatenate([rng.choice(looped, 12, replace=False),
                                 rng.choice(np.flatnonzero(~plan.schedule.cyclic), 3)])
    got = plan.loop_diagonal_at(plan.position[facilities])
    np.testing.assert_allclose(got, inverse[facilities, facilities], rtol=1e-12)
    np.testing.assert_array_equal(got[-3:], 1.0)
    np.testing.assert_array_equal(plan.loop_diagonal_at(plan.position[facilities[:1]]), got[:1])
    trace = net.trace
    assert trace.traced.all()
    np.testing.assert_allclose(trace.diagonal_at(facilities), inverse[facilities, facilities],
                               rtol=1e-12)
    # a row scale: the diagonal of (I - F A)^-1, rows scaled on and off the loops
    scale = np.where(rng.random(S.shape[0]) < 0.2, rng.random(S.shape[0]), 1.0)
    scaled_inverse = np.linalg.inv(np.eye(S.shape[0]) - scale[:, None] * S.toarray())
    np.testing.assert_allclose(plan.loop_diagonal_at(plan.position[facilities], scale[plan.order]),
                               scaled_inverse[facilities, facilities], rtol=1e-12)


def test_loop_diagonal_with_an_untraced_loop_counts_traced_paths_only():
    """The recycling loop a <-> r (S[a, r] = 1/4, S[r, a] = 1: L[a, a] = 1 / (1 - 1/4) = 4/3,
    L[r, r] = 4/3) beside a closed loop x <-> y that no origin feeds (untraced: NaN). With
    a facility untraced, ``diagonal_at`` masks the untraced rows of the forward plan's
    loop blocks."""
    net = loop_network()
    facilities = net.facilities.reset_index().to_dict("records") + [
        {"id": "x", "name": "X", "stage": "recycler", "country": "US"},
        {"id": "y", "name": "Y", "stage": "alloy", "country": "US"}]
    links = net.links.to_dict("records") + [
        {"supplier": "x", "customer": "y", "material": "recycled alloy", "volume": 1},
        {"supplier": "y", "customer": "x", "material": "alloy scrap", "volume": 1}]
    net = network_from_records(facilities, links)
    trace = net.trace
    position = {facility: i for i, facility in enumerate(net.facilities.index)}
    assert not trace.traced.all()
    got = trace.diagonal_at(np.array([position["a"], position["r"], position["k"]]))
    np.testing.assert_allclose(got, [4 / 3, 4 / 3, 1.0], rtol=1e-14)
    np.testing.assert_allclose(trace.diagonal[[position["a"], position["x"]]], [4 / 3, np.nan])


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 40), density=st.floats(0.0, 0.2), seed=st.integers(0, 2**32 - 1),
       masked=st.booleans())
def test_reached_from_is_what_a_graph_search_from_the_sources_reaches(n, density, seed, masked):
    """``reached_from(S, sources, alive)``: the rows a path of S's links (``S[v, u] > 0``: u
    supplies v) reaches from an alive source through alive rows only, sources included;
    the same set as networkx's descendants on random graphs, loops and self-loops among them."""
    import networkx as nx

    from graphmodel.solve import reached_from

    rng = np.random.default_rng(seed)
    S = sp.random(n, n, density=density, format="csr", random_state=rng)
    sources = rng.random(n) < 0.2
    alive = rng.random(n) < 0.8 if masked else np.ones(n, dtype=bool)
    graph = nx.DiGraph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from((u, v) for v, u in zip(*S.nonzero()) if alive[u] and alive[v])
    want = np.zeros(n, dtype=bool)
    for s in np.flatnonzero(sources & alive):
        want[s] = True
        want[list(nx.descendants(graph, s))] = True
    got = reached_from(S, sources, alive if masked else None)
    np.testing.assert_array_equal(got, want)
