"""The solver state of one network, built once and kept on the :class:`~graphmodel.Network`.

``net.trace`` holds, for the share matrix ``S`` and the origins (facilities without inbound
supply):

* ``schedule``: the level order of ``S`` (valid for ``S`` with rows masked or scaled, and,
  reversed, for ``S^T``);
* ``forward``: the plan of ``S`` (exposure, propagation, Monte Carlo), each level's sinks
  last in its acyclic range;
* ``backward``: the plan of ``S^T`` (criticality, per-sink shares);
* ``traced``: facilities reached from an origin over carrying links (their supply traces
  to an origin; the others carry no supply in the minimal solution);
* ``feedback``: rows meeting every recycling loop, one search shared by the plans and
  the diagonal;
* ``diagonal``: ``L[u, u]`` over the traced facilities (1 off recycling loops; NaN where
  untraced), the first-passage correction.

Every analytic that solves ``x = S x + b`` or its transpose uses these, so each is built
once per network (the network drops its trace when a table is replaced).
"""
from __future__ import annotations

from functools import cached_property
from typing import Optional

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order

from .loops import (exact_diagonal_is_cheap, inverse_diagonal, leontief_diagonal,
                    schur_diagonal)
from .plan import Plan, UnitColumns, unit_columns
from .schedule import Schedule, build_schedule, loop_feedback


def reached_from(S: sp.spmatrix, sources: np.ndarray,
                 alive: Optional[np.ndarray] = None) -> np.ndarray:
    """Bool per row: a path of ``S``'s links (``S[v, u] > 0``: u supplies v) from a
    ``sources`` row through ``alive`` rows reaches it. One breadth-first search from a
    virtual source (node n) feeding every alive source."""
    n = S.shape[0]
    forward = sp.csr_matrix(sp.csr_matrix(S).T)  # forward[u, v] > 0: u -> v
    starts = np.asarray(sources, dtype=bool)
    if alive is not None:
        alive = np.asarray(alive, dtype=bool)
        mask = sp.diags(alive.astype(float))
        forward = sp.csr_matrix(mask @ forward @ mask)
        starts = starts & alive
    starts = np.flatnonzero(starts)
    # the virtual source is row n, appended to forward's arrays (no copy through COO)
    graph = sp.csr_matrix((np.concatenate([forward.data, np.ones(starts.size)]),
                           np.concatenate([forward.indices, starts]),
                           np.append(forward.indptr, forward.nnz + starts.size)),
                          shape=(n + 1, n + 1))
    order = breadth_first_order(graph, n, directed=True, return_predecessors=False)
    reached = np.zeros(n + 1, dtype=bool)
    reached[order] = True
    return reached[:n]


#: rows of diagonal 1 between two divided rows below which :meth:`Trace.first_passage_of_units`
#: divides them too (by 1: no change) rather than start another run
DIVIDE_GAP = 256


class Trace:
    """Schedule, plans, traced mask and ``L[u, u]`` of one share matrix (module docstring).

    Parameters
    ----------
    S : the share matrix (n x n, rows in facility order).
    origin : (n,) bool, the origins (no inbound supply).
    sinks : (n,) bool, the sinks; put last in each level of the forward plan so that Monte
        Carlo statistics read them as contiguous slices.
    classes : (n,) integer labels (the facilities' stages) whose rows the search for the
        loops' feedback set tries as candidates (recyclers close recycling loops).
    """

    def __init__(self, S: sp.csr_matrix, origin: np.ndarray, sinks: Optional[np.ndarray] = None,
                 classes: Optional[np.ndarray] = None):
        self.S = sp.csr_matrix(S)
        self.is_origin = np.asarray(origin, dtype=bool)
        self.is_sink = None if sinks is None else np.asarray(sinks, dtype=bool)
        self.classes = None if classes is None else np.asarray(classes)

    @property
    def n(self) -> int:
        return self.S.shape[0]

    @cached_property
    def schedule(self) -> Schedule:
        """Level order of ``S`` (see :mod:`graphmodel.solve.schedule`)."""
        return build_schedule(self.S)

    @cached_property
    def feedback(self) -> np.ndarray:
        """Bool per facility: rows meeting every recycling loop
        (:func:`~graphmodel.solve.schedule.loop_feedback`), searched once for the forward
        and backward plans and the loop diagonal (the search is a Python loop: 0.4 s on a
        100,000-facility network whose loops hold 96% of it)."""
        return loop_feedback(self.S, self.schedule, self.classes)

    @cached_property
    def forward(self) -> Plan:
        """The plan of ``S``: solves ``x = F o (S x) + b``."""
        return Plan.of(self.S, self.schedule, last=self.is_sink, feedback=self.feedback,
                       shared=self._schur)

    @cached_property
    def backward(self) -> Plan:
        """The plan of ``S^T``: solves ``c = F o (S^T c) + w``."""
        return Plan.of(sp.csr_matrix(self.S.T), self.schedule.reversed, feedback=self.feedback,
                       shared=self._schur, transposed=True)

    @cached_property
    def _schur(self) -> dict:
        """The loop blocks' inverse Schur complements, shared by :attr:`forward` and
        :attr:`backward` (one dense inverse per loop block, see
        :class:`~graphmodel.solve.plan.BlockSolver`)."""
        return {}

    @cached_property
    def origin(self) -> np.ndarray:
        """The origin indicator as floats (the ``b`` of availability)."""
        return self.is_origin.astype(float)

    @cached_property
    def traced(self) -> np.ndarray:
        """Bool per facility: reached from an origin (supply traces to an origin)."""
        return reached_from(self.S, self.is_origin)

    @cached_property
    def diagonal(self) -> np.ndarray:
        """``L[u, u]`` of ``L = (I - S)^-1`` on the traced facilities (paths through traced
        facilities only; 1 off recycling loops), NaN where untraced. Exact
        (:func:`~graphmodel.solve.loops.leontief_diagonal`; where every facility is traced,
        block by block of the forward plan, reusing its inverse Schur complements: one
        per loop block for exposure, criticality and this diagonal)."""
        if not self.traced.all():
            diagonal = leontief_diagonal(self.S, self.schedule, among=self.traced,
                                         feedback=self.feedback)
            return np.where(self.traced, diagonal, np.nan)
        # every facility traced: the loop blocks are the forward plan's (a path from u back
        # to u stays in u's level), whose block solvers hold their inverse Schur complements
        diagonal = np.ones(self.n)
        plan = self.forward
        for level in plan.levels:
            if level.loop is None:
                continue
            rows = plan.order[level.middle:level.end]   # the block's rows, in sweep order
            solver = level.loop.direct
            if solver is not None:
                diagonal[rows] = schur_diagonal(level.loop.inner,
                                                np.arange(solver.n_rest, rows.size),
                                                T_inverse=solver.T_inverse)
            else:
                diagonal[rows] = inverse_diagonal(level.loop.inner,
                                                  feedback=np.flatnonzero(self.feedback[rows]))
        return diagonal

    @cached_property
    def looped(self) -> np.ndarray:
        """Positions of the traced facilities on recycling loops, sorted: where ``L[u, u]``
        may exceed 1 (:attr:`diagonal` is 1 at every other traced facility)."""
        return np.flatnonzero(self.schedule.cyclic & self.traced)

    @cached_property
    def diagonal_is_cheap(self) -> bool:
        """Whether the exact :attr:`diagonal` takes a cheap route
        (:func:`~graphmodel.solve.loops.exact_diagonal_is_cheap`), or is already computed."""
        rows = self.looped
        return ("diagonal" in self.__dict__
                or exact_diagonal_is_cheap(rows.size, int(np.count_nonzero(self.feedback[rows]))))

    def diagonal_lower(self, positions: np.ndarray) -> np.ndarray:
        """A lower bound of ``L[u, u]`` at the facilities ``positions`` (traced) without a
        solve: the first terms of ``L = I + S + S^2 + ...`` (every term non-negative) on
        the :attr:`looped` block ``A``, ``1 + diag(A) + diag(A^2) + diag(A^3) + diag(A^4)``
        (the recycling laps of up to four links, as generated loops ``u -> x -> v ->
        recycler -> u`` are); 1 off the block (exact). Costs the rows' and columns'
        two-link neighbourhoods only."""
        positions = np.asarray(positions, dtype=np.int64)
        lower = np.ones(positions.size)
        local, on_loop = self._loop_positions(positions)
        known = self._known_lower
        missing = np.unique(local[np.isnan(known[local])])
        if missing.size:
            known[missing] = self._lower_by_laps(missing)
        lower[on_loop] = known[local]
        return lower

    @cached_property
    def _known_lower(self) -> np.ndarray:
        """:meth:`diagonal_lower` already computed, by position in :attr:`looped` (NaN: not
        yet): criticality asks for the same facilities' bounds at every call."""
        return np.full(self.looped.size, np.nan)

    def _lower_by_laps(self, local: np.ndarray) -> np.ndarray:
        """:meth:`diagonal_lower` at the :attr:`looped` positions ``local`` (unique)."""
        A = self._looped_matrix
        rows = sp.csr_matrix(A[local])                       # A[u, :]
        columns = sp.csc_matrix(sp.csc_matrix(A)[:, local])   # A[:, u]
        rows2 = sp.csr_matrix(rows @ A)                      # A^2[u, :]
        columns2 = sp.csc_matrix(A @ columns)                # A^2[:, u]
        pick = np.arange(local.size)
        laps = (np.asarray(rows[pick, local]).ravel()
                + np.asarray(rows2[pick, local]).ravel()
                + np.asarray(rows2.multiply(columns.T).sum(axis=1)).ravel()
                + np.asarray(rows2.multiply(columns2.T).sum(axis=1)).ravel())
        return 1.0 + laps

    def _loop_positions(self, positions: np.ndarray):
        """For facility ``positions``: the positions in :attr:`looped` of those on it, and
        a bool per position, on it or not."""
        at = np.searchsorted(self.looped, positions)
        on_loop = (at < self.looped.size) & (self.looped[np.minimum(at, self.looped.size - 1)]
                                             == positions)
        return at[on_loop], on_loop

    @cached_property
    def _looped_matrix(self) -> sp.csr_matrix:
        """``S`` on the :attr:`looped` rows and columns (the lap bounds' block)."""
        rows = self.looped
        return sp.csr_matrix(self.S[rows][:, rows])

    @cached_property
    def _known_diagonal(self) -> dict:
        """``L[u, u]`` already computed by :meth:`diagonal_at`, by facility position."""
        return {}

    def diagonal_at(self, positions: np.ndarray) -> np.ndarray:
        """Exact ``L[u, u]`` of the traced facilities at ``positions`` (in :attr:`looped`
        or not), by one column solve on the loop block per looped facility not computed
        before: for a few facilities where the whole :attr:`diagonal` is not
        :attr:`diagonal_is_cheap`."""
        positions = np.asarray(positions, dtype=np.int64)
        known = self._known_diagonal
        values = np.ones(positions.size)
        local, on_loop = self._loop_positions(positions)
        missing = np.array([p for p in local.tolist() if p not in known], dtype=np.int64)
        if missing.size:  # on the forward plan's loop blocks, through traced facilities only
            plan = self.forward
            mask = None if self.traced.all() else self.traced[plan.order].astype(float)
            solved = plan.loop_diagonal_at(plan.position[self.looped[missing]], mask)
            known.update(zip(missing.tolist(), solved.tolist()))
        values[on_loop] = [known[p] for p in local.tolist()]
        return values

    def first_passage_ranked(self, w: np.ndarray, top: int, chunk: int = 32):
        """:meth:`first_passage` for one weight vector ``w`` (n,), exact for the ``top``
        largest values and bounded above for the rest, without the whole :attr:`diagonal`.

        ``c = L_t^T w`` is exact (one solve). Off recycling loops ``L[u, u] = 1``, so the
        value ``c[u]`` is exact; on loops ``c[u] / L[u, u] <= c[u] / l[u] <= c[u]`` with
        ``l`` :meth:`diagonal_lower`.
        Looped facilities whose bound exceeds the ``top``-th largest exact value are made
        exact (:meth:`diagonal_at`, ``chunk`` at a time, largest bound first) until none
        does: then the ``top`` largest values are exact and every other facility's true
        value is at most its returned bound, itself at most the ``top``-th value. The lap
        bound is computed only where ``c[u]`` alone exceeds the exact ``top``-th value.

        Returns ``(value, exact)``: per facility the exact value or the upper bound, and
        whether it is exact. NaN where untraced.
        """
        c = self.through(w)
        value = np.where(self.traced, c, np.nan)
        exact = self.traced.copy()
        exact[self.looped] = False
        best = _largest(value[exact], top)     # the top exact values so far
        def threshold():                       # the top-th largest exact value
            return -np.inf if best.size < top else best.min()

        # the lap bound only where the plain bound c[u] could beat the top-th exact value
        near = np.flatnonzero(~exact & self.traced & (value > threshold()))
        value[near] /= self.diagonal_lower(near)
        # bounds only fall (divided by L[u, u] >= 1) and the threshold only rises, so every
        # facility whose bound beats it later is among ``near``
        while True:
            pending = near[~exact[near] & (value[near] > threshold())]
            if pending.size == 0:
                break
            pick = pending[np.argsort(-value[pending], kind="stable")[:chunk]]
            value[pick] = c[pick] / self.diagonal_at(pick)
            exact[pick] = True
            best = _largest(np.concatenate([best, value[pick]]), top)
        return value, exact

    def first_passage_to(self, positions: np.ndarray) -> np.ndarray:
        """``F(k, u) = L_t[k, u] / L[u, u]`` for every facility k (rows) and the facilities
        at ``positions`` (columns): the share of k's supply lost if u alone fails, as
        :meth:`first_passage` gives it row by row on a unit column per k, here by one
        forward solve per u (``x = T S x + T e_u``, T = diag(traced): column u of
        ``L_t``), so a few failed facilities cost a few solves whatever the number of
        sinks. NaN where u is untraced; 0 at untraced k."""
        positions = np.asarray(positions, dtype=np.int64)
        column = self._traced_solve(self.forward, unit_columns(self.n, positions))
        if self.diagonal_is_cheap:
            diagonal = self.diagonal[positions]
        else:
            diagonal = np.where(self.traced[positions], self.diagonal_at(positions), np.nan)
        column /= diagonal[None, :]
        return column

    def propagate(self, factors: np.ndarray) -> np.ndarray:
        """Pure propagation of facility factors: ``a = f o (S a) + f o origin``.

        ``factors`` (n,) or (n, K): f in [0, 1] (1 - capacity loss; 0 = failed). Returns
        ``a`` with its shape: the share of each facility's normal supply still available
        (1 where nothing upstream is shocked and supply traces to an origin; 0 where supply
        traces to no origin, as in a closed loop).
        """
        factors = np.asarray(factors, dtype=float)
        b = factors * (self.origin if factors.ndim == 1 else self.origin[:, None])
        return self.forward.solve(b, factors)

    def through(self, w: np.ndarray) -> np.ndarray:
        """``c = L_t^T w``: the backward solve restricted to the traced facilities
        (``c = T S^T c + T w``, T = diag(traced); 0 where untraced). ``c[u] = sum_k w[k]
        L[k, u]``: the weight whose supply passes through u (every path counted)."""
        # (S diag(t))^T = diag(t) S^T: zeroing the columns of untraced facilities is a row
        # scale of the backward solve, so the one plan of S^T serves every call
        return self._traced_solve(self.backward, w)

    def _traced_solve(self, plan: Plan, b: np.ndarray) -> np.ndarray:
        """``x = T A x + T b`` by ``plan`` (of A = S or S^T), T = diag(traced): the solve
        restricted to the traced facilities; with every facility traced (the usual case),
        no row scale to apply."""
        b = np.asarray(b, dtype=float)
        if self.traced.all():
            return plan.solve(b)
        mask = self.traced.astype(float)
        return plan.solve(b * (mask[:, None] if b.ndim == 2 else mask), mask)

    def first_passage_of_units(self, positions: np.ndarray,
                               out: Optional[np.ndarray] = None) -> np.ndarray:
        """:meth:`first_passage` of unit weights at ``positions`` (column j: the sink at
        ``positions[j]``, so ``x[u, j] = F(sink j, u)``), with the rows in the backward
        plan's order (facility u at row ``backward.position[u]``): no gather or scatter of
        the block, no dense block of unit weights (:class:`~graphmodel.solve.plan.UnitColumns`),
        and only the rows whose ``L[u, u]`` is not 1 divided. Written into ``out`` (an
        (n, K) C-order array, reused block after block) when given; NaN at untraced u."""
        plan = self.backward
        positions = np.asarray(positions, dtype=np.int64)
        x = np.empty((self.n, positions.size)) if out is None else out
        rows = plan.position[positions]
        if self.traced.all():
            plan.solve_in_plan_order(UnitColumns(rows, np.ones(rows.size)), out=x)
        else:  # the solve restricted to the traced facilities (:meth:`_traced_solve`)
            mask = self.traced[plan.order].astype(float)
            plan.solve_in_plan_order(UnitColumns(rows, mask[rows]), mask, out=x)
        for first, last, divisor in self._backward_divisors:
            x[first:last] /= divisor
        return x

    @cached_property
    def _backward_divisors(self) -> list[tuple[int, int, np.ndarray]]:
        """Runs ``(first, last, diagonal[first:last, None])`` of the backward plan's rows that
        cover every row whose :attr:`diagonal` is not 1 (loop blocks, which are contiguous;
        NaN where untraced): the only rows a first-passage division changes, divided in
        place slice by slice (a gather and scatter of 96,000 rows cost more than the
        division). Rows closer than :data:`DIVIDE_GAP` join one run: dividing the rows
        between them by their diagonal of 1 changes nothing, and scattered untraced rows
        then make at most n / DIVIDE_GAP runs."""
        diagonal = self.diagonal[self.backward.order]
        divided = np.flatnonzero(diagonal != 1.0)
        if not divided.size:
            return []
        breaks = np.flatnonzero(np.diff(divided) > DIVIDE_GAP)
        firsts = divided[np.concatenate([[0], breaks + 1])]
        lasts = divided[np.concatenate([breaks, [divided.size - 1]])] + 1
        return [(int(first), int(last), diagonal[first:last, None])
                for first, last in zip(firsts.tolist(), lasts.tolist())]

    def first_passage(self, w: np.ndarray) -> np.ndarray:
        """``c[u] / L[u, u]`` with ``c = L_t^T w`` (:meth:`through`): the weight whose supply
        passes through u, a recycling loop through u counted once (the share lost if u
        alone fails). NaN where untraced; ``w`` (n,) or (n, K)."""
        c = self.through(w)  # a new array: divided in place (a block of per-sink shares is
        c /= self.diagonal if c.ndim == 1 else self.diagonal[:, None]  # the report's largest)
        return c


def _largest(values: np.ndarray, count: int) -> np.ndarray:
    """The ``count`` largest of ``values`` (all of them if fewer), in no order."""
    if values.size <= count:
        return values
    return np.partition(values, values.size - count)[values.size - count:]
