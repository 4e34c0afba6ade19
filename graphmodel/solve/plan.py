"""Level-ordered solves of ``x = F o (A x) + b``: the :class:`Plan`.

A plan permutes ``A`` once into the order of a :class:`~graphmodel.solve.schedule.Schedule`
(levels of strongly connected components) and then solves for any right-hand side, vector
or (n, K) block, visiting each level once: the rows of an acyclic level are computed from
the already final earlier rows, so the whole acyclic part costs about one sparse product.

Recycling loops
---------------
A level may hold cyclic components. Their rows depend on each other and are solved on the
block ``A_CC`` only, with ``c`` the (final) input from earlier levels:

* exactly, for columns whose block rows are unscaled, by the Schur complement on a
  feedback vertex set F (:class:`BlockSolver`); a few scaled rows per column by a low-rank
  (Woodbury) update of that exact solve;
* otherwise swept: a Gauss-Seidel sweep of ``x_C <- F o (A_CC x_C) + c`` (rows ordered so
  that only F lags a sweep behind) is a fixed-point map of F's values, which GMRES solves
  with one sweep per step (:func:`_krylov_sweeps`); a column is done when a plain sweep
  changes none of its entries by more than ``tol * max(1, max |x_C|)``. Signed inputs and
  columns GMRES leaves take extrapolated sweeps from 0 (:func:`_gauss_seidel`); columns
  still moving after :data:`DIRECT_AFTER` sweeps (a loop returning nearly all its flow) are
  solved exactly by a sparse LU of the block (:func:`_direct_block_solve`).

Starting from 0 the iterates increase to the minimal non-negative solution (the Neumann
series' answer), so a closed loop that no supply enters stays 0; a loop that returns *all*
of its input while fed from outside (no finite solution) raises
:class:`~graphmodel.errors.ConvergenceError`. Every column is computed in an order fixed by
the plan and never depends on the other columns of the block (Monte Carlo shards give
bit-identical runs whatever the batch size).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple, Optional, Sequence

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from ..errors import ConvergenceError
from .schedule import Schedule, build_schedule, loop_feedback

try:  # SciPy's own CSR x dense kernel, used in place by product_into
    from scipy.sparse._sparsetools import csr_matvecs as _csr_matvecs
except ImportError:  # pragma: no cover - a SciPy without it: the public product
    _csr_matvecs = None

DEFAULT_TOLERANCE = 1e-15
DEFAULT_MAX_ITERATIONS = 100_000
#: After this many sweeps on a recycling loop (a loop that returns nearly all of its flow
#: converges slowly) the remaining columns are solved exactly by a sparse LU of the block.
DIRECT_AFTER = 1_000
#: Every this many sweeps, columns whose changes shrink by a steady ratio are extrapolated
#: (:func:`_extrapolate`): steady means the last two ratios agree to this relative
#: difference; the step is at most EXTRAPOLATE_LIMIT times the last change.
EXTRAPOLATE_EVERY = 5
EXTRAPOLATE_AGREEMENT = 1e-3
EXTRAPOLATE_LIMIT = 1e3
#: Swept loops take restarted GMRES on their feedback rows (:func:`_krylov_sweeps`):
#: steps per cycle, cycles before the Gauss-Seidel sweeps take over, and the memory of a
#: chunk of columns' Krylov bases.
KRYLOV_RESTART = 30
KRYLOV_CYCLES = 4
KRYLOV_BYTES = 64 * 2 ** 20
#: A GMRES cycle stops for a column whose residual estimate falls by less than this ratio
#: in a step (stalled, as at the rounding floor); the target of a cycle is this share of
#: the criterion (the estimate is of the 2-norm, and rounds)
KRYLOV_STALL = 0.9
KRYLOV_MARGIN = 0.5
#: A loop whose solution exceeds its input this many times over returns all of its flow up
#: to rounding: it has no finite solution (ConvergenceError).
CLOSED_LOOP_GAIN = 1e12
#: ``T^-1`` of a block solver is applied sparsely to a column whose feedback input has
#: fewer than one non-zero in this many entries.
SPARSE_INPUT_BELOW = 8
#: The other columns take dense BLAS products of exactly this many columns (the last
#: padded with zeros): one fixed shape, so that a column's sums never depend on how many
#: columns share its batch (a single column would take BLAS's matrix-vector kernel, which
#: adds in another order). 64 columns keep BLAS near its peak (one thread, f = 1,287:
#: 189 microseconds per column in blocks of 16, 108 in blocks of 64).
DENSE_PRODUCT_COLUMNS = 64
#: Stacked BLAS products in the low-rank update pad a run's rows to a multiple of this.
TILE_ROWS = 16
#: Dense products in the solver sum their inner dimension in chunks of this many terms,
#: added in order (:func:`fixed_order_product`): within one chunk BLAS never splits a sum,
#: whatever its thread count.
SUM_CHUNK = 256


@dataclass(frozen=True)
class SparseScale:
    """A row scale F for K columns stored sparsely: ``F[rows[i], columns[i]] = values[i]``,
    1 elsewhere (each (row, column) at most once). Random outages hit few facilities per
    run, so a Monte Carlo block of K runs is mostly ones."""

    rows: np.ndarray
    columns: np.ndarray
    values: np.ndarray
    n_columns: int

    @classmethod
    def none(cls, n_columns: int = 1) -> "SparseScale":
        """No row scaled (F = 1) for ``n_columns`` columns."""
        empty = np.empty(0, dtype=np.int64)
        return cls(empty, empty, np.empty(0), n_columns)

    def dense(self, n: int) -> np.ndarray:
        """The (n, K) scale block."""
        factors = np.ones((n, self.n_columns))
        factors[self.rows, self.columns] = self.values
        return factors


@dataclass(frozen=True)
class UnitColumns:
    """A right-hand side of K columns with one non-zero each, ``b[rows[j], j] = values[j]``
    (rows in plan order), that :meth:`Plan.solve_in_plan_order` adds where its rows are
    solved instead of reading a dense n x K block of zeros (the report's per-sink shares:
    one unit per sink column)."""

    rows: np.ndarray
    values: np.ndarray

    @property
    def n_columns(self) -> int:
        return self.rows.size

    def add_into(self, x: np.ndarray, start: int, stop: int, offset: int = 0) -> None:
        """``x[start - offset:stop - offset] += b[start:stop]`` (``offset`` 0: x with every
        row; ``start``: x holding rows ``start:stop`` only)."""
        at = self._between(start, stop)
        x[self.rows[at] - offset, at] += self.values[at]

    def block(self, start: int, stop: int) -> sp.csr_matrix:
        """``b[start:stop]`` as a sparse matrix."""
        at = self._between(start, stop)
        return sp.csr_matrix((self.values[at], (self.rows[at] - start, at)),
                             shape=(stop - start, self.n_columns))

    def _between(self, start: int, stop: int) -> np.ndarray:
        return np.flatnonzero((self.rows >= start) & (self.rows < stop))


class SweepGroup(NamedTuple):
    """Rows ``first:last`` of a loop block (sweep order) that one Gauss-Seidel step computes
    together (one level of the acyclic part off the feedback set, or the feedback set)."""

    first: int
    last: int
    rows: sp.csr_matrix


@dataclass(frozen=True)
class LoopBlock:
    """The cyclic rows of a level: ``outer`` (the block's rows over the columns outside it,
    plan order: its input from earlier levels; on a loop holding most of a network, a
    fortieth of the block's links), ``inner`` (``A_CC``, rows and columns in sweep order),
    the Gauss-Seidel groups and the exact solver (None where the loops are swept, see
    :class:`BlockSolver`)."""

    outer: sp.csr_matrix
    inner: sp.csr_matrix
    sweep: list
    direct: Optional["BlockSolver"]


@dataclass(frozen=True)
class Level:
    """One level of a plan, as ranges of plan positions: acyclic rows ``start:middle``
    (those put last by :meth:`Plan.of` in ``tail:middle``), cyclic rows ``middle:end``.
    ``A`` holds the acyclic rows over every column; ``loop`` the cyclic block, if any."""

    start: int
    tail: int
    middle: int
    end: int
    A: sp.csr_matrix
    loop: Optional[LoopBlock] = None


@dataclass
class Plan:
    """``A`` permuted once into schedule order (rows and columns), ready for repeated solves.

    In schedule order every level is a contiguous range of positions, so a solve works on
    slices (views) of the permuted vectors: one gather of ``b`` at the start, one scatter of
    ``x`` at the end, no fancy indexing per level (which dominated the cost of wide Monte
    Carlo blocks).

    Inside a cyclic range the rows are ordered for Gauss-Seidel sweeps: first the rows off a
    feedback vertex set F of the block (:func:`~graphmodel.solve.schedule.feedback_vertex_set`),
    in the level order of the acyclic block they form, then F. One sweep computes every row
    from the newest values, so only F's values lag a sweep behind and a loop converges in
    about as many sweeps as laps its flow makes. ``order`` refines ``schedule.order``
    accordingly; :attr:`position` is its inverse.
    """

    schedule: Schedule
    order: np.ndarray = None
    levels: list = field(default_factory=list)
    #: results derived from this plan and reused across batches (e.g. Monte Carlo sinks)
    memo: dict = field(default_factory=dict)
    #: ``A`` with rows and columns in plan order (the levels' ``A`` are row views of it)
    matrix: Optional[sp.csr_matrix] = None

    @classmethod
    def of(cls, A: sp.spmatrix, schedule: Optional[Schedule] = None,
           last: Optional[np.ndarray] = None, feedback: Optional[np.ndarray] = None,
           shared: Optional[dict] = None, transposed: bool = False) -> "Plan":
        """Permute ``A`` into plan order.

        Parameters
        ----------
        A : square non-negative sparse matrix with row sums <= 1.
        schedule : a schedule valid for ``A`` (for instance the network's, for a masked or
            transposed share matrix); built from ``A`` when not given.
        last : bool per row (acyclic rows only): put those rows at the end of their level's
            acyclic range, so that each level's share of them is the slice
            ``level.tail:level.middle`` (the sinks, for Monte Carlo statistics).
        feedback : bool per row, rows meeting every cycle of ``A`` (e.g. the network's
            :func:`~graphmodel.solve.schedule.loop_feedback`, valid for ``S`` and ``S^T``);
            searched (:func:`~graphmodel.solve.schedule.loop_feedback`) when not given.
        shared, transposed : the exact loop solvers' Schur complements, shared between the
            plans of a matrix and of its transpose (``transposed``: ``A`` is the transpose
            of the matrix the dict's entries were built for), see :class:`BlockSolver`.
        """
        A = sp.csr_matrix(A)
        schedule = schedule or build_schedule(A)
        if feedback is None and schedule.cyclic.any():
            feedback = loop_feedback(A, schedule)
        order = schedule.order.copy()
        ranges, sweeps = [], {}
        cyclic_sorted = schedule.cyclic[order]
        for level in range(schedule.n_levels):
            start, end = int(schedule.bounds[level]), int(schedule.bounds[level + 1])
            middle = start + int(np.count_nonzero(~cyclic_sorted[start:end]))
            tail = middle
            if last is not None:
                rows = order[start:middle]
                at_end = last[rows]
                order[start:middle] = np.concatenate([rows[~at_end], rows[at_end]])
                tail = middle - int(np.count_nonzero(at_end))
            ranges.append((start, tail, middle, end))
            if middle < end:
                rows = order[middle:end]
                local, sweeps[level] = _sweep_order(sp.csr_matrix(A[rows][:, rows]),
                                                    np.flatnonzero(feedback[rows]))
                order[middle:end] = rows[local]
        position = np.empty_like(order)
        position[order] = np.arange(order.size)
        permuted = sp.csr_matrix((A.data, position[A.indices], A.indptr), shape=A.shape)[order]
        plan = cls(schedule, order, matrix=permuted)
        for level, (start, tail, middle, end) in enumerate(ranges):
            loop = None
            if middle < end:
                rows_of_block = _row_view(permuted, start=middle, end=end)
                inner = sp.csr_matrix(rows_of_block[:, middle:end])
                bounds = sweeps[level]
                sweep = [SweepGroup(int(a), int(b), _row_view(inner, int(a), int(b)))
                         for a, b in zip(bounds[:-1], bounds[1:]) if b > a]
                loop = LoopBlock(outer=_without_columns(rows_of_block, middle, end),
                                 inner=inner, sweep=sweep,
                                 direct=BlockSolver.of(inner, int(bounds[-2]), sweep,
                                                       rows=order[middle:end], shared=shared,
                                                       transposed=transposed))
            plan.levels.append(Level(start, tail, middle, end,
                                     _row_view(permuted, start, middle), loop))
        return plan

    @cached_property
    def position(self) -> np.ndarray:
        """Position in plan order of each row (the inverse permutation of :attr:`order`)."""
        position = np.empty_like(self.order)
        position[self.order] = np.arange(self.order.size)
        return position

    @cached_property
    def _transposed(self) -> sp.csr_matrix:
        """``A^T`` in plan order (rows of a level: what the level's rows feed)."""
        return sp.csr_matrix(self.matrix.T)

    def substitute(self, x: np.ndarray, *, transpose: bool = False) -> np.ndarray:
        """Solve ``x = A x + b`` (``transpose``: ``x = A^T x + b``) in place, rows in plan
        order: ``x`` holds ``b`` on entry and the solution on return (and is returned).

        For plans without recycling loops only (ValueError otherwise), where ``A`` in plan
        order is strictly lower triangular by levels: each level's rows are
        ``x_l += A_l x`` from the final earlier levels (``transpose``: the levels in
        reverse, ``x_l += (A^T)_l x`` from the final later ones). The same sums as
        :meth:`solve` without its gather, scatter and temporaries, which dominate for
        wide blocks (the Schur complement of :func:`~graphmodel.solve.loops.schur_diagonal`
        does a few thousand columns at a time). ``x`` (n,) or (n, K), float, C-contiguous.
        """
        if any(level.loop is not None for level in self.levels):
            raise ValueError("Plan.substitute needs a plan without recycling loops")
        if not x.flags.c_contiguous or x.dtype != np.float64:
            raise ValueError("Plan.substitute needs a C-contiguous float64 array")
        if transpose:
            matrix = self._transposed
            for level in reversed(self.levels):
                rows = _row_view(matrix, level.start, level.middle)
                if rows.nnz:
                    _accumulate_product(rows, x, x[level.start:level.middle])
        else:
            for level in self.levels:
                if level.A.nnz:
                    _accumulate_product(level.A, x, x[level.start:level.middle])
        return x

    def keep_update_structure(self) -> None:
        """Keep each exact loop block's low-rank structure now (:attr:`BlockSolver._kept_structure`),
        before a study solves many batches of scaled columns: a block otherwise keeps it only
        once its batches have asked for :attr:`BlockSolver.KEEP_STRUCTURE_SHARE` of its rows.
        Results are the same either way, bit for bit."""
        for level in self.levels:
            solver = level.loop.direct if level.loop is not None else None
            if solver is not None and solver.inner.shape[0] > solver.SMALL_BLOCK:
                solver._kept_structure

    def solve(self, b: np.ndarray, row_scale: Optional[np.ndarray | SparseScale] = None, *,
              out: Optional[np.ndarray] = None, tol: float = DEFAULT_TOLERANCE,
              max_iterations: int = DEFAULT_MAX_ITERATIONS) -> np.ndarray:
        """Minimal non-negative solution ``x`` of ``x = F o (A x) + b``.

        Parameters
        ----------
        b : (n,) or (n, K) right-hand side, rows in the matrix's order.
        row_scale : F, (n,) or (n, K); None for F = 1. Zero rows mask the matrix (tracing
            stops there), zero columns of a transpose are zero rows of the backward solve.
            A :class:`SparseScale` is the propagation of shocks, ``x = F o (A x + b)`` with
            ``b`` (n,) shared by the K columns (b = the origin indicator: ``a = f o (S a) +
            f o origin``), applied only where F differs from 1; the result is then left in
            plan order (row p for row ``order[p]``, see :attr:`position`), written into
            ``out`` when given: on wide Monte Carlo blocks writing the block once per level
            is most of the cost.
        out : (n, K) array to write into (SparseScale only; reused across batches).
        tol, max_iterations : convergence of the Gauss-Seidel sweeps on recycling loops.

        Returns
        -------
        ``x`` with the shape of ``b`` ((n, K) for a SparseScale). Exact on acyclic rows;
        recycling loops exact or converged to ``tol`` (see the module docstring).
        """
        if isinstance(row_scale, SparseScale):
            return self._propagate(b, row_scale, out, tol, max_iterations)
        if self.schedule.n == 0:
            return np.array(b, dtype=float, copy=True)
        order = self.order
        b = np.asarray(b, dtype=float)[order]
        scale = None if row_scale is None else np.asarray(row_scale, dtype=float)[order]
        x = self.solve_in_plan_order(b, scale, tol=tol, max_iterations=max_iterations)
        solution = np.empty_like(x)
        solution[order] = x
        return solution

    def solve_in_plan_order(self, b: np.ndarray, scale: Optional[np.ndarray] = None, *,
                            out: Optional[np.ndarray] = None, tol: float = DEFAULT_TOLERANCE,
                            max_iterations: int = DEFAULT_MAX_ITERATIONS) -> np.ndarray:
        """:meth:`solve` with ``b``, ``scale`` and the result in plan order (row p is the
        matrix's row ``order[p]``, see :attr:`position`): no gather or scatter of the
        block, and the result written into ``out`` ((n, K), C order, not ``b``) when given,
        so that a caller solving block after block reuses its memory (the report's per-sink
        shares: 282 blocks of 128 MB). ``b`` may be :class:`UnitColumns`: one non-zero per
        column, added where its row is solved (no dense block of zeros is written or read)."""
        units = b if isinstance(b, UnitColumns) else None
        shape = (self.schedule.n, units.n_columns) if units is not None else b.shape
        if scale is not None and scale.ndim == 1 and len(shape) == 2:
            scale = scale[:, None]
        x = np.empty(shape) if out is None else out
        for level in self.levels:
            start, middle = level.start, level.middle
            if middle > start and level.A.nnz == 0:  # origins and masked rows: nothing to add
                x[start:middle] = 0.0 if units is not None else b[start:middle]
            elif middle > start:  # x_l = F_l o (A_l x) + b_l, written in place
                rows = x[start:middle]
                product_into(level.A, x, rows)
                if scale is not None:
                    rows *= scale[start:middle]
                if units is None:
                    rows += b[start:middle]
            if units is not None:
                units.add_into(x, start, middle)
            if level.loop is not None:
                block = slice(level.middle, level.end)
                outside = level.loop.outer @ x    # the block's input from earlier levels
                if scale is not None:
                    outside *= scale[block]
                if units is None:
                    outside += b[block]
                else:  # the units in the block, added where they are (no dense zeros)
                    units.add_into(outside, level.middle, level.end, offset=level.middle)
                # units into a block that nothing outside feeds: its input is the units alone
                alone = units is not None and scale is None and level.loop.outer.nnz == 0
                _solve_loop(level, x, outside, None if scale is None else scale[block], tol,
                            max_iterations,
                            sparse_input=units.block(level.middle, level.end) if alone else None)
        return x

    def loop_diagonal_at(self, rows: np.ndarray, scale: Optional[np.ndarray] = None, *,
                         tol: float = DEFAULT_TOLERANCE,
                         max_iterations: int = DEFAULT_MAX_ITERATIONS) -> np.ndarray:
        """``((I - F A)^-1)[p, p]`` at the plan rows ``rows`` (plan order, see
        :attr:`position`), F = diag(``scale``) (n,, plan order; None: 1): 1 off the cyclic
        blocks; on a block, the unit column ``e_p`` solved on that block alone
        (:func:`_solve_block_into`: a path from p back to p never leaves p's block), one
        column per row, the rows of a block together. No right-hand side or solution of the
        whole matrix is formed (a few looped facilities' first-passage diagonal; a scale of
        0 on the untraced facilities counts the paths through traced ones only)."""
        rows = np.asarray(rows, dtype=np.int64)
        values = np.ones(rows.size)
        for level in self.levels:
            if level.loop is None:
                continue
            at = np.flatnonzero((rows >= level.middle) & (rows < level.end))
            if at.size == 0:
                continue
            size, columns = level.end - level.middle, np.arange(at.size)
            local = rows[at] - level.middle
            units = sp.csr_matrix((np.ones(at.size), (local, columns)), shape=(size, at.size))
            scaled = None if scale is None else _scaled_entries(
                scale[level.middle:level.end], (size, at.size))
            target = np.empty((size, at.size))
            _solve_block_into(level, target, units.toarray(), scaled, tol, max_iterations,
                              sparse_input=units)
            values[at] = target[local, columns]
        return values

    def _propagate(self, origin: np.ndarray, shocks: SparseScale, out: Optional[np.ndarray],
                   tol: float, max_iterations: int) -> np.ndarray:
        """``a = F o (A a + origin)`` for sparse F, in plan order (see :meth:`solve`)."""
        origin = np.asarray(origin, dtype=float)[self.order]
        K = shocks.n_columns
        rows = self.position[shocks.rows]
        sort = np.argsort(rows, kind="stable")
        rows, columns, values = rows[sort], shocks.columns[sort], shocks.values[sort]
        x = np.empty((self.schedule.n, K)) if out is None else out
        for level in self.levels:
            start, middle, end = level.start, level.middle, level.end
            if middle > start:
                if level.A.nnz == 0:
                    x[start:middle] = origin[start:middle, None]
                else:
                    product_into(level.A, x, x[start:middle])
                    if origin[start:middle].any():
                        x[start:middle] += origin[start:middle, None]
                first, last = np.searchsorted(rows, [start, middle])
                x[rows[first:last], columns[first:last]] *= values[first:last]
            if level.loop is not None:
                outside = level.loop.outer @ x    # the block's input from earlier levels
                if origin[middle:end].any():
                    outside += origin[middle:end, None]
                first, last = np.searchsorted(rows, [middle, end])
                at = slice(first, last)
                outside[rows[at] - middle, columns[at]] *= values[at]   # F o (A x + origin)
                shocked = first + np.flatnonzero(values[at] != 1.0)
                shocked = shocked[np.lexsort((rows[shocked], columns[shocked]))]  # by column
                _solve_block(level, x, outside,
                             (rows[shocked] - middle, columns[shocked], values[shocked]),
                             tol, max_iterations)
        return x


def _solve_loop(level: Level, x, outside, block_scale, tol, max_iterations,
                sparse_input: Optional[sp.csr_matrix] = None) -> None:
    """Solve a level's cyclic block into ``x`` (:func:`_solve_block`), with ``outside`` its
    input (``F o (A x)`` over the earlier levels, plus ``b``; overwritten) and
    ``block_scale`` the block's rows of a dense row scale (or None); ``sparse_input``: see
    :meth:`BlockSolver.solve`."""
    size = level.end - level.middle
    outside = outside.reshape(size, -1)
    scaled = None if block_scale is None else _scaled_entries(block_scale, outside.shape)
    _solve_block(level, x, outside, scaled, tol, max_iterations, sparse_input)


def _scaled_entries(block_scale: np.ndarray, shape: tuple) -> tuple:
    """A block's entries of a dense row scale F ((size,) or (size, K)) other than 1, for
    ``shape`` (size, K): ``(rows, columns, factors)`` ordered by column, then row."""
    scale = np.broadcast_to(block_scale.reshape(shape[0], -1), shape)
    columns, rows = np.nonzero((scale != 1.0).T)
    return rows, columns, scale[rows, columns]


def _solve_block(level: Level, x, outside: np.ndarray, scaled, tol, max_iterations,
                 sparse_input: Optional[sp.csr_matrix] = None) -> None:
    """Solve a level's cyclic block ``x_C = F o (A_CC x_C) + outside`` into ``x`` (its block
    rows, whatever they held): exactly (:class:`BlockSolver`) for the columns whose block rows are
    unscaled, by a low-rank update for a few scaled rows, by Gauss-Seidel sweeps
    (:func:`_sweep_to_convergence`) for the others or when the block has no exact solver.
    ``outside`` (size, K), the block's input from the earlier levels with F applied, is
    overwritten; ``scaled`` is None (F = 1) or the block's entries of F other than 1,
    ``(rows, columns, factors)`` ordered by column, then row. A column's result never
    depends on the other columns of the batch."""
    block = x[level.middle:level.end]
    if block.flags.c_contiguous:  # solved in place (every solve's own x is C-contiguous)
        _solve_block_into(level, block.reshape(block.shape[0], -1), outside, scaled, tol,
                          max_iterations, sparse_input)
    else:
        target = np.zeros(outside.shape)
        _solve_block_into(level, target, outside, scaled, tol, max_iterations, sparse_input)
        block[...] = target.reshape(block.shape)


def _solve_block_into(level: Level, target: np.ndarray, outside: np.ndarray, scaled, tol,
                      max_iterations, sparse_input: Optional[sp.csr_matrix] = None) -> None:
    """:func:`_solve_block` into ``target`` (size, K), C-contiguous, whatever it holds."""
    loop, solver = level.loop, level.loop.direct
    size = level.end - level.middle
    if scaled is None:
        rows = columns = np.empty(0, dtype=np.int64)
        factors = np.empty(0)
    else:
        rows, columns, factors = scaled

    def dense_scale(which: np.ndarray) -> np.ndarray:
        """F on the block for the columns ``which`` (sorted), dense."""
        scale = np.ones((size, which.size))
        at = np.isin(columns, which)
        scale[rows[at], np.searchsorted(which, columns[at])] = factors[at]
        return scale

    if solver is None:
        every = np.arange(outside.shape[1])
        target[...] = _sweep_to_convergence(loop, outside, None if scaled is None
                                            else dense_scale(every), tol, max_iterations)
        return
    # unscaled columns exactly; a few scaled rows by a low-rank update; else swept
    starts = np.flatnonzero(np.r_[True, columns[1:] != columns[:-1]]) if columns.size else []
    swept, updates = [], []
    for first, last in zip(starts, list(starts[1:]) + [columns.size]):
        k = int(columns[first])
        if last - first > solver.MAX_RANK:
            swept.append(k)
        else:
            updates.append((k, rows[first:last], factors[first:last]))
    # the low-rank update changes only the updated columns' input: the swept ones keep theirs
    current = solver.solve(outside, updates, out=target, overwrite_c=True,
                           sparse_input=None if updates else sparse_input)
    if current is not target:
        target[...] = current
    if swept:
        swept = np.array(swept)
        target[:, swept] = _sweep_to_convergence(
            loop, np.ascontiguousarray(outside[:, swept]), dense_scale(swept), tol,
            max_iterations)


def _update_groups(updates: list, limit: int):
    """Consecutive runs of ``(column, scaled rows, factors)`` whose scaled rows number at
    most ``limit`` together (a single column may exceed it), so that the block structure
    they need (:meth:`BlockSolver._structure`) is prepared at once with bounded memory."""
    group, rows = [], set()
    for update in updates:
        scaled = update[1]
        new_rows = rows | set(scaled.tolist())
        if group and len(new_rows) > limit:
            yield group
            group, new_rows = [], set(scaled.tolist())
        group.append(update)
        rows = new_rows
    if group:
        yield group


def product_into(A: sp.csr_matrix, x: np.ndarray, out: np.ndarray) -> None:
    """``out[:] = A @ x`` for a C-contiguous (n, K) block ``x``, written in place.

    The public ``A @ x`` allocates its result, which the caller then copies: on a Monte
    Carlo block that is a fresh n x K array per solve (page faults) and a second pass over
    it. SciPy's ``csr_matvecs`` kernel (what ``A @ x`` runs) accumulates into a given array
    instead, so ``out`` is zeroed and filled directly; the same kernel, the same sums in
    the same order. It is a private SciPy function, so anything unexpected (an older or
    newer SciPy without it, other index types, a non-contiguous ``out``) takes the public
    path.
    """
    if not _kernel_fits(A, x, out):
        out[...] = A @ x
        return
    out.fill(0.0)
    _accumulate_product(A, x, out)


def _accumulate_product(A: sp.csr_matrix, x: np.ndarray, out: np.ndarray) -> None:
    """``out += A @ x``, in place by SciPy's ``csr_matvecs`` kernel where it fits (see
    :func:`product_into`). ``out`` may be a slice of ``x`` (rows that ``A`` does not
    read: the kernel reads only the rows of ``x`` that ``A`` has columns for)."""
    if not _kernel_fits(A, x, out):
        out += A @ x
        return
    _csr_matvecs(A.shape[0], A.shape[1], x.shape[1], A.indptr, A.indices, A.data,
                 x.reshape(-1), out.reshape(-1))


def _kernel_fits(A: sp.csr_matrix, x: np.ndarray, out: np.ndarray) -> bool:
    """SciPy's private kernel applies: present, (n, K) C-contiguous float64 blocks, CSR
    indices of one type matching the data's (float64)."""
    return (_csr_matvecs is not None and x.ndim == 2 and x.flags.c_contiguous
            and out.flags.c_contiguous and x.dtype == out.dtype == A.data.dtype == np.float64
            and A.indptr.dtype == A.indices.dtype)


def _sweep_to_convergence(loop: LoopBlock, outside, scale, tol, max_iterations) -> np.ndarray:
    """``x_C = F o (A_CC x_C) + outside`` on a block without an exact solve for these
    columns, each column converged until a Gauss-Seidel sweep changes none of its entries by
    more than ``tol * max(1, max |x|)``.

    Columns with a non-negative input (every propagation, trace and criticality solve)
    take GMRES steps on the feedback rows (:func:`_krylov_sweeps`): on a 203,073-facility
    loop returning about half its flow per lap, 15 and 19 sweeps where the extrapolated
    sweeps take 24 and 32.
    The others, and any column GMRES leaves unconverged (a loop that returns all of its
    input, where the sweeps raise ConvergenceError), take the extrapolated Gauss-Seidel
    sweeps from 0 (:func:`_gauss_seidel`). A column's result never depends on the others."""
    outside = np.asarray(outside, dtype=float)
    K = outside.shape[1]
    todo = np.arange(K)
    if outside.size == 0 or outside.min() >= 0.0:   # one contiguous pass, the usual case
        krylov = todo
    else:
        krylov = np.flatnonzero(np.all(outside >= 0.0, axis=0))
    result = np.empty(outside.shape)
    if krylov.size:
        every = krylov.size == K                     # no copy of the inputs then
        solved, done = _krylov_sweeps(
            loop, np.ascontiguousarray(outside if every else outside[:, krylov]),
            scale if every or scale is None else scale[:, krylov], tol,
            min(max_iterations, DIRECT_AFTER))
        if every and done.all():
            return solved
        result[:, krylov[done]] = solved[:, done]
        todo = np.setdiff1d(todo, krylov[done])
    if todo.size:
        result[:, todo] = _gauss_seidel(
            loop, outside[:, todo], None if scale is None else scale[:, todo], tol,
            max_iterations)
    return result


def _sweep(loop: LoopBlock, current: np.ndarray, outside: Optional[np.ndarray],
           scale: Optional[np.ndarray]) -> np.ndarray:
    """One Gauss-Seidel sweep of ``x_C <- F o (A_CC x_C) + outside`` over ``current``
    (size, K; C order): the groups off the feedback set are written in place (each reads
    earlier groups and F only: the same sums as ``rows @ current``); the feedback rows'
    new values are returned, not written (F reads itself). ``outside`` None: no input."""
    *acyclic_groups, (f_first, f_last, f_rows) = loop.sweep  # the feedback set comes last
    for first, last, rows in acyclic_groups:
        group = current[first:last]
        product_into(rows, current, group)
        if scale is not None:
            group *= scale[first:last]
        if outside is not None:
            group += outside[first:last]
    y = f_rows @ current
    if scale is not None:
        y *= scale[f_first:f_last]
    if outside is not None:
        y += outside[f_first:f_last]
    return y


def _gauss_seidel(loop: LoopBlock, outside, scale, tol, max_iterations) -> np.ndarray:
    """Gauss-Seidel sweeps of ``x_C <- F o (A_CC x_C) + outside`` from ``outside`` (the first
    iterate from 0) until each column's largest change is at most ``tol * max(1, max |x|)``;
    a converged column keeps its value, so columns never influence each other. Every
    :data:`EXTRAPOLATE_EVERY` sweeps the steady columns are extrapolated (:func:`_extrapolate`);
    columns still moving after :data:`DIRECT_AFTER` sweeps are solved by a sparse LU."""
    size = outside.shape[0]
    current = np.array(outside, dtype=float, order="C")
    previous, work = np.empty_like(current), np.empty_like(current)
    converged = np.zeros(current.shape[1], dtype=bool)
    changes = np.full((3, current.shape[1]), np.inf)  # the last three sweeps' changes
    f_first, f_last, _ = loop.sweep[-1]
    for iteration in range(min(max_iterations, DIRECT_AFTER)):
        np.copyto(previous, current)
        current[f_first:f_last] = _sweep(loop, current, outside, scale)
        if converged.any():  # converged columns keep their value
            current[:, converged] = previous[:, converged]
        np.subtract(current, previous, out=work)
        change = _column_max_abs(work)
        magnitude = np.maximum(1.0, _column_max_abs(current, work))
        converged |= change <= tol * magnitude
        if converged.all():
            break
        changes[:2] = changes[1:]
        changes[2] = change
        if iteration % EXTRAPOLATE_EVERY == EXTRAPOLATE_EVERY - 1:
            _extrapolate(current, previous, changes, converged)
    else:  # a slowly leaking loop: solve the rest exactly
        active = np.flatnonzero(~converged)
        current[:, active] = _direct_block_solve(loop.inner, scale, outside, active, size)
    return current


def _krylov_sweeps(loop: LoopBlock, outside: np.ndarray, scale: Optional[np.ndarray], tol,
                   budget: int) -> tuple[np.ndarray, np.ndarray]:
    """Restarted GMRES on the feedback rows of a swept block, for non-negative inputs:
    ``(solution (size, K), converged per column)``, at most ``budget`` sweeps per column.

    One sweep from ``x_F`` (the block's rows off the feedback set F from the newest values,
    then F's) maps ``x_F`` to ``K x_F + g``, ``K = F_F (A_FF + A_FD N_F A_DF)`` with the
    acyclic part ``N_F = (I - F_D A_DD)^-1`` solved exactly within the sweep: the sweeps
    are the fixed-point iteration of ``(I - K) x_F = g``, whose error shrinks by the loop's
    return per lap. GMRES (:func:`_gmres_cycle`) solves that f x f system with one sweep per
    step, and a plain sweep from its result both writes the block's rows off F and judges
    it: a column is done when that sweep changes none of its entries by more than
    ``tol * max(1, max |x|)``, the Gauss-Seidel criterion, and its values are a plausible
    minimal non-negative solution (finite, not negative beyond rounding, at most
    :data:`CLOSED_LOOP_GAIN` times its input: the sweeps decide the others). Otherwise the
    next cycle restarts from there, up to :data:`KRYLOV_CYCLES` cycles.

    Why not SciPy's ``gmres``: it solves one right-hand side at a time, so each sweep would
    read the block once per column; here the K columns share every sweep (a sweep of 10
    columns costs 3 of one) while each column keeps its own Krylov basis, rotations and
    sums (per-column reductions over contiguous rows), so its result never depends on the
    others. The basis is f x (restart + 1) per column: the columns go in chunks whose bases
    take at most :data:`KRYLOV_BYTES`."""
    size, K = outside.shape
    f_first, f_last, _ = loop.sweep[-1]
    f = f_last - f_first
    width = max(1, KRYLOV_BYTES // (8 * (KRYLOV_RESTART + 1) * max(f, 1)))
    if K <= width:                              # one chunk: its result is the solution
        return _krylov_chunk(loop, np.ascontiguousarray(outside), scale, tol, budget)
    solution = np.empty((size, K))
    done = np.zeros(K, dtype=bool)
    for first in range(0, K, width):
        chunk = slice(first, min(K, first + width))
        solution[:, chunk], done[chunk] = _krylov_chunk(
            loop, np.ascontiguousarray(outside[:, chunk]),
            None if scale is None else np.ascontiguousarray(scale[:, chunk]), tol, budget)
    return solution, done


def _krylov_chunk(loop: LoopBlock, outside: np.ndarray, scale: Optional[np.ndarray], tol,
                  budget: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_krylov_sweeps` on one chunk of columns."""
    size, K = outside.shape
    f_first, f_last, _ = loop.sweep[-1]
    x_F = np.zeros((K, f_last - f_first))      # a column's feedback values, contiguous
    solution = None
    done = np.zeros(K, dtype=bool)
    # two (size, K) buffers serve every sweep of the chunk (fresh blocks of a large loop
    # cost page faults): the sweeps' block (the verifying sweep's, then GMRES's) and scratch
    blocks, scratches = np.empty(size * K), np.empty(size * K)
    input_largest = _column_max_abs(outside, _block(scratches, size, K))
    active = np.arange(K)
    sweeps = 0
    for cycle in range(KRYLOV_CYCLES + 1):
        everyone = active.size == K             # no copies of the inputs while all go on
        current = _block(blocks, size, active.size)   # the sweep writes the rows off F
        current[f_first:f_last] = x_F[active].T
        # a plain sweep from x_F: the rows off F, and the residual g + K x_F - x_F
        y = _sweep(loop, current, outside if everyone else _columns(outside, active),
                   scale if everyone or scale is None else _columns(scale, active))
        sweeps += 1
        residual = y.T - x_F[active]
        current[f_first:f_last] = y
        scratch = _block(scratches, size, active.size)
        change = np.abs(residual).max(axis=1, initial=0.0)
        largest = _column_max_abs(current, scratch)          # NaN where not finite
        np.negative(current, out=scratch)
        lowest = -_column_max(scratch)
        finished = ((change <= tol * np.maximum(1.0, largest))
                    & _plausible_solution(largest, lowest, input_largest[active]))
        if everyone and finished.all():         # the usual end: the block is the solution
            return current, np.ones(K, dtype=bool)
        if solution is None:
            solution = np.empty((size, K))
        solution[:, active[finished]] = current[:, finished]
        done[active[finished]] = True
        going = ~finished & np.isfinite(change) & (change > 0)
        if cycle == KRYLOV_CYCLES or sweeps >= budget or not going.any():
            break
        # the estimate is of the residual's 2-norm, the criterion of its largest entry:
        # the target allows for the residual's spread (its 2-norm over its largest entry)
        residual = residual[going]
        spread = np.sqrt((residual * residual).sum(axis=1)) / change[going]
        active = active[going]
        step, taken = _gmres_cycle(loop, residual, _columns(scale, active),
                                   KRYLOV_MARGIN * tol * np.maximum(1.0, largest[going]) * spread,
                                   min(KRYLOV_RESTART, budget - sweeps),
                                   _block(blocks, size, active.size))
        finite = np.all(np.isfinite(step), axis=1)   # else the sweeps decide (not done)
        active = active[finite]
        x_F[active] += step[finite]
        sweeps += taken
        if not active.size:
            break
    if solution is None:
        solution = np.empty((size, K))
    return solution, done


def _block(buffer: np.ndarray, rows: int, columns: int) -> np.ndarray:
    """The first ``rows * columns`` entries of a flat buffer as a C-ordered block."""
    return buffer[:rows * columns].reshape(rows, columns)


def _columns(block: Optional[np.ndarray], columns: np.ndarray) -> Optional[np.ndarray]:
    """``block[:, columns]`` in C order (None stays None)."""
    return None if block is None else np.ascontiguousarray(block[:, columns])


def _gmres_cycle(loop: LoopBlock, residual: np.ndarray, scale: Optional[np.ndarray],
                 target: np.ndarray, steps: int, current: np.ndarray) -> tuple[np.ndarray, int]:
    """One GMRES cycle of at most ``steps`` steps on ``(I - K) d = r`` for each row r of
    ``residual`` (K, f), ``K`` the sweep's map of the feedback rows (:func:`_krylov_sweeps`):
    ``(d (K, f), sweeps taken)``. Arnoldi by modified Gram-Schmidt, the least-squares
    problem by Givens rotations; a column stops at the first step whose residual estimate
    is at most its ``target`` (or whose Krylov space is invariant), and its ``d`` is
    formed from that step's basis. All sums are per column over contiguous rows, so a
    column's arithmetic never depends on the other columns. ``current``: a (size, K)
    C-ordered block for the sweeps (overwritten)."""
    K, f = residual.shape
    f_first = loop.sweep[-1].first
    beta = np.sqrt((residual * residual).sum(axis=1))
    V = np.zeros((K, steps + 1, f))
    H = np.zeros((K, steps + 1, steps))
    cosines, sines = np.zeros((K, steps)), np.zeros((K, steps))
    g = np.zeros((K, steps + 1))
    g[:, 0] = beta
    V[:, 0] = residual / np.where(beta > 0, beta, 1.0)[:, None]
    stopped_at = np.where(beta > 0, -1, 0)       # steps a column used; -1: still going
    previous = beta / KRYLOV_STALL
    taken = 0
    for j in range(steps):
        current[f_first:] = V[:, j].T
        w = V[:, j] - _sweep(loop, current, None, scale).T          # (I - K) v_j
        taken += 1
        for i in range(j + 1):
            h = (w * V[:, i]).sum(axis=1)
            H[:, i, j] = h
            w -= h[:, None] * V[:, i]
        norm = np.sqrt((w * w).sum(axis=1))
        H[:, j + 1, j] = norm
        V[:, j + 1] = w / np.where(norm > 0, norm, 1.0)[:, None]
        for i in range(j):                      # the earlier rotations on the new column
            a, b = H[:, i, j].copy(), H[:, i + 1, j]
            H[:, i, j] = cosines[:, i] * a + sines[:, i] * b
            H[:, i + 1, j] = cosines[:, i] * b - sines[:, i] * a
        a, b = H[:, j, j], H[:, j + 1, j]
        d = np.hypot(a, b)
        nonzero = d > 0
        cosines[:, j] = np.where(nonzero, a / np.where(nonzero, d, 1.0), 1.0)
        sines[:, j] = np.where(nonzero, b / np.where(nonzero, d, 1.0), 0.0)
        H[:, j, j] = d
        H[:, j + 1, j] = 0.0
        g[:, j + 1] = -sines[:, j] * g[:, j]
        g[:, j] = cosines[:, j] * g[:, j]
        # stop at the target, on an invariant Krylov space, or where the estimate stalls (at
        # the rounding floor a cycle gains nothing more; the caller's sweep judges it)
        estimate = np.abs(g[:, j + 1])
        newly = (stopped_at < 0) & ((estimate <= target) | (norm == 0)
                                    | (estimate > KRYLOV_STALL * np.abs(previous)))
        previous = g[:, j + 1].copy()
        stopped_at[newly] = j + 1
        if np.all(stopped_at >= 0):
            break
    stopped_at[stopped_at < 0] = taken
    step = np.zeros((K, f))
    for m in np.unique(stopped_at):
        if m == 0:
            continue
        columns = np.flatnonzero(stopped_at == m)
        R, y = H[columns, :m, :m], np.empty((columns.size, m))
        # a singular system (a loop returning all its input) divides by zero: such a
        # column's step is not finite and the caller leaves it to the sweeps
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            for i in range(m - 1, -1, -1):      # back substitution, column by column
                y[:, i] = (g[columns, i] - (R[:, i, i + 1:] * y[:, i + 1:]).sum(axis=1)) / R[:, i, i]
            step[columns] = (y[:, :, None] * V[columns, :m]).sum(axis=1)
    return step, taken


def _extrapolate(current: np.ndarray, previous: np.ndarray, changes: np.ndarray,
                 converged: np.ndarray) -> None:
    """Aitken's extrapolation of the sweeps along their slowest mode, in place.

    Late in the sweeps the error is mostly the loop's dominant mode, shrinking by a steady
    ratio rho per sweep (the share of its flow the loop returns per lap): with
    ``d = x_k - x_(k-1)`` the rest of the series is ``d rho / (1 - rho)``, added here to
    each unconverged column whose last three changes shrink by the same ratio (within
    :data:`EXTRAPOLATE_AGREEMENT`). Convergence is still judged by the change of a plain
    sweep afterwards, so the answer is the same fixed point to the same tolerance; the
    sweeps needed fall by about half on a 203,000-facility loop returning 89% per lap.
    A column's step depends on its own history only. ``changes`` is reset for the
    columns moved (three steady sweeps again before the next step)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = changes[2] / changes[1]
        earlier = changes[1] / changes[0]
        steady = (~converged & (ratio > 0) & (ratio < 1)
                  & (np.abs(ratio - earlier) <= EXTRAPOLATE_AGREEMENT * ratio))
    columns = np.flatnonzero(steady)
    if columns.size == 0:
        return
    gain = np.minimum(ratio[columns] / (1.0 - ratio[columns]), EXTRAPOLATE_LIMIT)
    step = current[:, columns] - previous[:, columns]
    step *= gain
    current[:, columns] += step
    changes[:, columns] = np.inf


def _column_max_abs(x: np.ndarray, work: Optional[np.ndarray] = None) -> np.ndarray:
    """``max |x|`` per column of an (n, K) array (0 for no rows), using ``work`` (or
    ``x``) as scratch. The rows are folded in halves (``max(top, bottom)``, contiguous
    and vectorised) down to a few before the column-wise reduction, which on its own takes
    an element-by-element path for a few columns (5 ms for 203,000 x 2 against 0.1 ms).
    A maximum rounds nothing, so the result is the same either way."""
    out = x if work is None else work
    np.abs(x, out=out)
    return _column_max(out)


def _column_max(out: np.ndarray) -> np.ndarray:
    """``max`` per column of an (n, K) array (0 for no rows; NaN where a column holds one),
    folding ``out`` in place (see :func:`_column_max_abs`)."""
    rows = out.shape[0]
    if rows == 0:
        return np.zeros(out.shape[1])
    if out.shape[1] >= 16:  # wide blocks reduce fast column-wise
        return out.max(axis=0)
    while rows > 32:
        half = rows // 2
        if rows % 2:  # the odd last row joins the first
            np.maximum(out[0], out[rows - 1], out=out[0])
        np.maximum(out[:half], out[half:2 * half], out=out[:half])
        rows = half
    return out[:rows].max(axis=0)


@dataclass(frozen=True)
class BlockSolver:
    """Exact solves of ``x = A_CC x + c`` on a cyclic block, for unscaled columns.

    The block's rows are in sweep order: D (off the feedback vertex set, acyclic, by level)
    then F. With ``N = (I - A_DD)^-1`` (one sweep over D) and the Schur complement on F,
    ``T = I - A_FF - A_FD N A_DF`` (:func:`schur_complement`)::

        y_D = N c_D,   x_F = T^-1 (c_F + A_FD y_D),   x_D = N (c_D + A_DF x_F)

    Two sweeps over D (the second reads the final ``x_F``) and one product with ``T^-1``:
    ``2 nnz(A_CC) + f^2`` multiply-adds per column and no ``|D| x f`` array (``N A_DF`` is
    never formed). ``T^-1`` is kept transposed (``T_inverse_T``, C order: a row is a column
    of ``T^-1``, for the sparse inputs' products) and in column chunks (``T_inverse_parts``,
    for the dense ones); every product sums each column in a fixed order (a column's result
    never depends on the others in the batch).

    Not built (None) when f exceeds :attr:`MAX_FEEDBACK` (the dense f x f inverse: 72 MB
    and about 30 GFlop at 3,000) or when ``||T^-1||_1 > MAX_AMPLIFICATION`` (a loop
    returning nearly all its flow, where the sweeps and their exact fallback decide).
    """

    n_rest: int
    sweep: list
    inner: sp.csr_matrix
    feedback_rows: sp.csr_matrix
    #: ``(T^-1)^T``, C-contiguous
    T_inverse_T: Optional[np.ndarray] = None
    #: ``T^-1``'s columns in chunks of :data:`SUM_CHUNK`, each C-contiguous
    T_inverse_parts: tuple = ()

    MAX_RANK = 128  # scaled rows per column up to which the low-rank update is used
    MAX_FEEDBACK = 3000
    MAX_AMPLIFICATION = 1e8
    #: distinct scaled rows whose block structure one low-rank batch prepares together
    UPDATE_ROWS = 512
    #: blocks up to this many rows take the low-rank update from columns of M (a solve
    #: per scaled row, cheap there); larger ones assemble ``M_RR`` from the block structure
    SMALL_BLOCK = 5000
    #: the block structure of every row is kept (:attr:`_kept_structure`) when
    #: ``N = (I - A_DD)^-1`` has at most this many non-zeros (48 MB per sparse matrix kept)
    KEPT_STRUCTURE_NONZEROS = 4_000_000
    #: the block keeps every row's structure once its low-rank batches have asked for this
    #: share of its rows in D (counted with repeats): before that each batch sums its own
    #: rows' reach. On the 19,996-row loop of a 20%-looped 100,000-facility network a row
    #: costs 40-130 microseconds that way (9 ms for a masked exposure's 68 rows, 10 ms for
    #: a Monte Carlo batch's 260) and 22-33 in the whole structure (0.43-0.63 s), so the
    #: batches spend at most about what keeping costs before it is kept: at most about
    #: twice the better choice's time (the ski-rental rule). A Monte Carlo study keeps it
    #: at set-up (:meth:`Plan.keep_update_structure`).
    KEEP_STRUCTURE_SHARE = 1 / 6

    @classmethod
    def of(cls, inner: sp.csr_matrix, n_rest: int, sweep: list, *,
           rows: Optional[np.ndarray] = None, shared: Optional[dict] = None,
           transposed: bool = False) -> Optional["BlockSolver"]:
        """The solver of the block ``inner`` (sweep order, F = its last ``size - n_rest``
        rows), or None above the bounds.

        ``rows`` (the block's rows in the whole matrix) and ``shared`` (a dict kept by the
        caller) share one Schur complement between the plans of a matrix and of its
        transpose (``transposed``): with the same F, the transpose's block has
        ``T' = I - A_FF^T - A_DF^T N^T A_FD^T = T^T``, so ``T'^-1 = (T^-1)^T``; the dict
        holds ``T^-1`` (or None, declined) under F's rows, sorted, in that order.
        """
        size = inner.shape[0]
        f = size - n_rest
        if f == 0 or f > cls.MAX_FEEDBACK:
            return None
        key = None
        if shared is not None and rows is not None:
            feedback_rows = np.asarray(rows[n_rest:])
            order = np.argsort(feedback_rows, kind="stable")
            key = feedback_rows[order].tobytes()
            if key in shared:
                canonical = shared[key]
                if canonical is None:
                    return None
                back = np.empty_like(order)
                back[order] = np.arange(order.size)    # local i -> canonical position
                T_inverse = canonical[np.ix_(back, back)]
                return cls._with_inverse(inner, n_rest, sweep, T_inverse.T if transposed
                                         else T_inverse)
        solver = cls._with_inverse(inner, n_rest, sweep, None)
        try:
            T_inverse = np.linalg.inv(schur_complement(solver))
        except np.linalg.LinAlgError:
            T_inverse = None
        # ||T^-1|| is the loop's amplification of its input: huge when a loop returns
        # (nearly) all its flow, where the sweeps and their exact fallback decide
        if T_inverse is not None:
            amplification = np.linalg.norm(T_inverse, 1)
            if not np.isfinite(amplification) or amplification > cls.MAX_AMPLIFICATION:
                T_inverse = None
        if key is not None:
            if T_inverse is None:
                shared[key] = None
            else:  # canonical: F's rows sorted, in the orientation of the untransposed matrix
                canonical = T_inverse[np.ix_(order, order)]
                shared[key] = canonical.T.copy() if transposed else canonical
        if T_inverse is None:
            return None
        return cls._with_inverse(inner, n_rest, sweep, T_inverse)

    @classmethod
    def _with_inverse(cls, inner: sp.csr_matrix, n_rest: int, sweep: list,
                      T_inverse: Optional[np.ndarray]) -> "BlockSolver":
        """The solver with ``T^-1`` (None: only the sweeps over D, for building ``T``)."""
        return cls(n_rest=n_rest, sweep=[g for g in sweep if g.last <= n_rest], inner=inner,
                   feedback_rows=_row_view(inner, n_rest, inner.shape[0]),
                   T_inverse_T=None if T_inverse is None else np.ascontiguousarray(T_inverse.T),
                   T_inverse_parts=() if T_inverse is None else tuple(
                       np.ascontiguousarray(T_inverse[:, first:first + SUM_CHUNK])
                       for first in range(0, T_inverse.shape[1], SUM_CHUNK)))

    @property
    def T_inverse(self) -> Optional[np.ndarray]:
        """``T^-1`` (f x f; a view of :attr:`T_inverse_T`), None where not built."""
        return None if self.T_inverse_T is None else self.T_inverse_T.T

    # the block's parts the low-rank update reads (derived; built on first use)
    @cached_property
    def A_DD(self) -> sp.csr_matrix:
        return sp.csr_matrix(self.inner[:self.n_rest, :self.n_rest])

    @cached_property
    def A_DD_T(self) -> sp.csr_matrix:
        return sp.csr_matrix(self.A_DD.T)

    @cached_property
    def A_FD(self) -> sp.csr_matrix:
        return sp.csr_matrix(self.inner[self.n_rest:, :self.n_rest])

    @cached_property
    def A_DF_T(self) -> sp.csr_matrix:
        return sp.csr_matrix(self.inner[:self.n_rest, self.n_rest:].T)

    @cached_property
    def _kept_structure(self) -> Optional[tuple]:
        """The block structure of every row at once, or None where it is too large: ``N``
        and ``N^T`` (rows of D; CSR), ``A_FD N`` and ``A_DF^T N^T`` (CSC: a row's vectors
        are columns). Built once per block (``N`` of a 19,996-row loop with 20% of a
        100,000-facility network looped has 203,848 non-zeros: 0.02 s; that of the giant
        component's 96,040-row block 29.7 million, 5 s, and is not kept), so that the low-rank
        update of each batch slices it instead of summing the reach of its rows level by level.

        ``N`` is the reach of every unit column, ``N^T`` that of every unit row, summed
        exactly as :meth:`_structure` sums the reach of a batch's rows (column by column, in
        the order of the path length), so the slices are the same values bit for bit."""
        n_rest = self.n_rest
        identity = sp.identity(n_rest, format="csr")
        limit = self.KEPT_STRUCTURE_NONZEROS
        forward = _acyclic_reach(self.A_DD, identity, limit=limit)
        backward = None if forward is None else _acyclic_reach(self.A_DD_T, identity, limit=limit)
        if backward is None:
            return None
        return (forward, backward, sp.csc_matrix(self.A_FD @ forward),
                sp.csc_matrix(self.A_DF_T @ backward))

    @cached_property
    def _rows_asked(self) -> list:
        """The rows :meth:`_structure` was asked for so far, one entry per call (appends are
        atomic under the GIL: the Monte Carlo threads share a block)."""
        return []

    def sweep_rest(self, x: np.ndarray, c: np.ndarray) -> None:
        """``x_D = N (c_D + A_DF x_F)`` in place: one level-ordered sweep over D reading the
        current ``x_F``."""
        for first, last, rows in self.sweep:  # a group reads earlier groups and F only
            group = x[first:last]
            group[...] = c[first:last]
            _accumulate_product(rows, x, group)

    def solve(self, c: np.ndarray, updates: Sequence = (), *, out: Optional[np.ndarray] = None,
              overwrite_c: bool = False, sparse_input: Optional[sp.csr_matrix] = None
              ) -> np.ndarray:
        """``x`` for the (size, K) right-hand sides ``c``: ``x = A_CC x + c``, or for the
        columns named in ``updates`` (``(column k, scaled rows R, factors)``, block
        positions) ``x = F o (A_CC x) + c`` with ``F[R] = factors`` and 1 elsewhere, by a
        low-rank update (:meth:`_fold_updates`, or :meth:`_update_by_columns` on blocks of
        up to :attr:`SMALL_BLOCK` rows).

        ``T^-1`` is applied by :meth:`_apply_inverse`: a column's result never depends on
        the other columns of the batch. ``out``: a C-contiguous array of c's shape to write
        the solution into (returned, except after :meth:`_update_by_columns`);
        ``overwrite_c``: the low-rank update may change ``c`` in place (its updated columns)
        instead of a copy. ``sparse_input`` (no updates): ``c`` as a sparse matrix, when the
        caller knows it is one (units into a loop that nothing outside feeds: the report's
        per-sink shares on a giant component); ``A_FD y_D`` is then the product of the
        sparse reach of ``c_D`` (:func:`_acyclic_reach`: a few hundred non-zeros per column)
        instead of the first sweep over D, which writes the whole block."""
        structured = bool(updates) and self.inner.shape[0] > self.SMALL_BLOCK
        c = np.array(c, dtype=float, order="C") if structured and not overwrite_c \
            else np.ascontiguousarray(c, dtype=float)
        if out is None:
            x = np.zeros(c.shape)             # C order: the in-place products need it
        else:
            x = out
            x[self.n_rest:] = 0.0             # the first sweep reads x_F; it writes x_D
        if sparse_input is not None and not updates:  # A_FD N c_D by the sparse reach
            reach = _acyclic_reach(self.A_DD, sparse_input[:self.n_rest])
            r = (self.A_FD @ reach).toarray().reshape((-1,) + c.shape[1:])
            r += c[self.n_rest:]
        else:
            self.sweep_rest(x, c)             # y_D = N c_D (x_F = 0 for now)
            r = self.feedback_rows @ x        # A_FD y_D
            r += c[self.n_rest:]
        x[self.n_rest:] = self._apply_inverse(r.reshape(r.shape[0], -1)).reshape(r.shape)
        if structured:                        # c -> c' and x_F of the updated columns
            self._fold_updates(x, c, updates)
        if self.n_rest:
            self.sweep_rest(x, c)             # x_D = N (c_D + A_DF x_F)
        if updates and not structured:
            x = self._update_by_columns(x, updates)
        return x

    def _apply_inverse(self, r: np.ndarray) -> np.ndarray:
        """``T^-1 r`` for the (f, K) feedback inputs ``r``, column by column in effect: a
        column with few non-zeros (fewer than one in :data:`SPARSE_INPUT_BELOW`: one
        sink's backward column) by the sparse product on its non-zeros (f x non-zeros
        instead of f^2), the others by dense products of :data:`DENSE_PRODUCT_COLUMNS`
        columns. Which route a column takes and the sums it makes depend on that column
        alone, so a column's result is the same bit for bit whatever else is in the batch.
        """
        f, K = r.shape
        out = np.empty((f, K))
        sparse = np.count_nonzero(r, axis=0) * SPARSE_INPUT_BELOW < f
        if sparse.any():
            # row j of r_S^T times (T^-1)^T: each T^-1 r_j summed over r_j's non-zeros in
            # order (SciPy's CSR x dense kernel), f multiply-adds per non-zero
            out[:, sparse] = (sp.csr_matrix(r[:, sparse].T) @ self.T_inverse_T).T
        dense = np.flatnonzero(~sparse)
        width = DENSE_PRODUCT_COLUMNS
        block = np.zeros((f, width)) if dense.size else None
        for first in range(0, dense.size, width):
            columns = dense[first:first + width]
            block[:, :columns.size] = r[:, columns]
            block[:, columns.size:] = 0.0
            out[:, columns] = fixed_order_product(self.T_inverse_parts, block)[:, :columns.size]
        return out

    def _fold_updates(self, x: np.ndarray, c: np.ndarray, updates) -> None:
        """Fold the low-rank updates into the solve, in place: ``x_F`` (holding
        ``T^-1 r`` of the unscaled columns) becomes the scaled columns' ``x_F`` and ``c``
        the right-hand side ``c'`` from which the second sweep over D gives their ``x_D``.

        With ``M = (I - A_CC)^-1``, ``E = diag(1 - F)`` and ``e = 1 - factors``,
        ``I - F A = (I - A) + E A`` is a rank-r update of ``I - A`` (r = len(R)); Woodbury
        gives ``x = M (c - E_R w)`` with ``(I_r + e o (M_RR - I_r)) w = e o (A_R z)``, where
        ``z = M c`` and ``A_R z = z_R - c_R`` (as ``M = I + A M``). Neither ``z`` nor a
        column of M is formed. With the block structure of :meth:`_structure` and
        ``G = T^-1 H`` (one product per group of runs):

            z_R = y_R + Q_R^T x_F,   M_RR = N_RR + Q_R^T G_R,   x_F' = x_F - G_R w

        (``y = N c_D`` from the first sweep, ``y_F = 0``). Each column's arithmetic
        depends on its own rows, factors and values only: ``G``'s columns come from
        :meth:`_apply_inverse` (one column's result never depends on the others) and the
        small products' shapes are fixed by R."""
        n_rest = self.n_rest
        x_F = x[n_rest:]
        for group in _update_groups(updates, self.UPDATE_ROWS):
            needed = np.unique(np.concatenate([rows for _, rows, _ in group]))
            N_rows, Q_T, H = self._structure(needed)
            m, f = needed.size, H.shape[0]
            # rows T^-1 h_j, and a row of zeros (index m) that pads the BLAS stacks below
            G_T = np.zeros((m + 1, f))
            G_T[:m] = self._apply_inverse(H).T
            Q_T = np.vstack([Q_T, np.zeros((1, f))])
            N_needed = np.zeros((m, m))                              # N[needed, needed]
            N_needed[:N_rows.shape[0]] = N_rows
            sizes = np.array([rows.size for _, rows, _ in group])
            # the runs with r scaled rows are solved together, as stacks of r x r systems
            # (stacked solves work matrix by matrix, so a run's arithmetic is that of its
            # own shapes whatever the stack holds)
            for r in np.unique(sizes):
                runs = [group[i] for i in np.flatnonzero(sizes == r)]
                ks = np.array([k for k, _, _ in runs])
                R = np.array([rows for _, rows, _ in runs])          # (runs, r)
                e = 1.0 - np.array([factors for _, _, factors in runs])
                at = np.searchsorted(needed, R)
                M_RR, z_R, G_R = _small_products(Q_T, G_T, at, x_F[:, ks].T, m)
                M_RR += N_needed[at[:, :, None], at[:, None, :]]
                M_RR -= np.eye(r)
                z_R += np.where(R < n_rest, x[R, ks[:, None]], 0.0)  # x_D still holds y_D
                w = _woodbury(M_RR, e, z_R - c[R, ks[:, None]])      # (runs, r)
                c[R, ks[:, None]] -= w
                x_F[:, ks] -= (G_R * w[:, :, None]).sum(axis=1).T

    def _update_by_columns(self, z: np.ndarray, updates) -> np.ndarray:
        """The low-rank update of :meth:`_fold_updates` on a small block, from the plain
        solutions ``z = M c``: ``x = z - M_R w`` with the columns ``M_R`` solved for (one
        solve per scaled row, cheap on a small block)."""
        needed = np.unique(np.concatenate([rows for _, rows, _ in updates]))
        M_needed = self.solve(unit_columns(self.inner.shape[0], needed))
        x = z.copy()
        for k, R, factors in updates:
            M_R = M_needed[:, np.searchsorted(needed, R)]
            A_R = self.inner[R]
            x[:, k] = z[:, k] - M_R @ _woodbury(A_R @ M_R, 1.0 - factors, A_R @ z[:, k])
        return x

    def _structure(self, needed: np.ndarray):
        """For the rows ``needed`` (sorted block positions): ``N[needed, needed]`` (zero
        outside D; dense, rows of D only), and per row i the vectors
        ``q_i = A_DF^T N^T e_i + [i in F] e_i`` (rows of ``Q_T``, dense len(needed) x f)
        and ``h_i = A_FD N e_i + [i in F] e_i`` (columns of H, dense f x len(needed)), so
        that ``M[i, j] = N[i, j] + q_i^T T^-1 h_j`` (block inverse of ``I - A``). Dense
        because each run gathers a few of them; at most :attr:`UPDATE_ROWS` of f each.
        Sliced from :attr:`_kept_structure` where the block keeps it, once the rows asked for
        reach :attr:`KEEP_STRUCTURE_SHARE` of D (the values are the same bit for bit)."""
        n_rest, size = self.n_rest, self.inner.shape[0]
        m = needed.size
        kept = None
        if "_kept_structure" in self.__dict__:
            kept = self._kept_structure
        else:
            self._rows_asked.append(m)
            if sum(self._rows_asked) >= self.KEEP_STRUCTURE_SHARE * n_rest:
                kept = self._kept_structure
        if kept is not None:
            forward, backward, H_D, Q_D = kept
            in_D = needed[needed < n_rest]     # needed is sorted: a prefix
            m_D, f = in_D.size, size - n_rest
            in_F = np.arange(m_D, m)
            H = np.zeros((f, m))
            H[:, :m_D] = H_D[:, in_D].toarray()
            H[needed[m_D:] - n_rest, in_F] = 1.0
            Q_T = np.zeros((m, f))
            Q_T[:m_D] = Q_D[:, in_D].T.toarray()
            Q_T[in_F, needed[m_D:] - n_rest] = 1.0
            N_rows = np.zeros((m_D, m))
            N_rows[:, :m_D] = forward[in_D][:, in_D].toarray()
            return N_rows, Q_T, H
        unit = sp.csr_matrix((np.ones(m), (needed, np.arange(m))), shape=(size, m))
        unit_D, unit_F = unit[:n_rest], unit[n_rest:]
        forward = _acyclic_reach(self.A_DD, unit_D)          # N e_j on D
        backward = _acyclic_reach(self.A_DD_T, unit_D)       # N^T e_i on D
        H = (self.A_FD @ forward + unit_F).toarray()
        Q_T = (self.A_DF_T @ backward + unit_F).T.toarray()
        # needed is sorted and D comes first: its rows in D are a prefix of it
        N_rows = forward[needed[needed < n_rest]].toarray()
        return N_rows, Q_T, H


def blas_threads_per_worker(workers: int) -> int:
    """BLAS threads for each of ``workers`` pool workers sharing this machine's cores (at
    least 1): more would oversubscribe the cores. The solver's results do not depend on
    the count (:func:`fixed_order_product`)."""
    return max(1, (os.cpu_count() or 1) // max(1, workers))


def fixed_order_product(A, B: np.ndarray) -> np.ndarray:
    """``A @ B`` (stacks allowed) with each sum over the inner dimension taken in chunks of
    :data:`SUM_CHUNK` terms added in order. ``A`` is an array or the tuple of its column
    chunks of that width (C-contiguous, faster).

    BLAS may split a long sum among its threads (OpenBLAS does from a few hundred terms),
    which rounds differently with 1 or 2 threads; a sum of one chunk it computes whole.
    So the result is the same bit for bit whatever BLAS's thread count, and the Monte
    Carlo pools may run BLAS on one thread each without changing a run's result."""
    parts = A if isinstance(A, tuple) else tuple(
        A[..., first:first + SUM_CHUNK] for first in range(0, A.shape[-1], SUM_CHUNK))
    out = None
    first = 0
    for part in parts:
        last = first + part.shape[-1]
        product = part @ B[..., first:last, :]
        out = product if out is None else np.add(out, product, out=out)
        first = last
    return out


#: Runs of the low-rank update with up to this many scaled rows take their products over
#: the feedback set elementwise (:func:`_small_products`); larger ones by BLAS.
ELEMENTWISE_RANK = 8


def _small_products(Q_T: np.ndarray, G_T: np.ndarray, at: np.ndarray, x_k: np.ndarray,
                    pad: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The low-rank update's products over the feedback set for a stack of runs with r
    scaled rows each (:meth:`BlockSolver._fold_updates`): ``M_RR - N_RR = Q_R G_R^T``
    (runs, r, r), ``Q_R x_k`` (runs, r) and ``G_R`` (runs, r, f), with ``at`` the runs'
    rows of ``Q_T`` and ``G_T`` (whose row ``pad`` is zeros) and ``x_k`` (runs, f) their
    feedback values.

    Up to :data:`ELEMENTWISE_RANK` rows (most runs: one to a few failed loop facilities)
    the products are elementwise, summed along their last axis (NumPy's pairwise sum,
    whose order f alone fixes; a BLAS product of a few rows would be padded to a whole
    tile, 16 times the work for one row). Above, dense BLAS products of the rows padded
    with zero rows to a multiple of :data:`TILE_ROWS` (whole tiles, which BLAS's threads
    share alike on any number of threads), in the fixed order of
    :func:`fixed_order_product`. Either way a run's sums depend on r and its own values
    only."""
    runs, r = at.shape
    if r <= ELEMENTWISE_RANK:
        Q_R, G_R = Q_T[at], G_T[at]                              # (runs, r, f)
        M_RR = np.empty((runs, r, r))
        for a in range(r):                                       # q_a . g_b
            M_RR[:, a] = (Q_R[:, a, None, :] * G_R).sum(axis=-1)
        return M_RR, (Q_R * x_k[:, None, :]).sum(axis=-1), G_R
    width = -(-r // TILE_ROWS) * TILE_ROWS
    padded = np.full((runs, width), pad)
    padded[:, :r] = at
    Q_R, G_R = Q_T[padded], G_T[padded]                          # (runs, width, f)
    M_RR = fixed_order_product(Q_R, G_R.transpose(0, 2, 1))[:, :r, :r]
    z_R = fixed_order_product(Q_R, np.ascontiguousarray(x_k)[:, :, None])[:, :r, 0]
    return M_RR, z_R, G_R[:, :r]


def _woodbury(A_R_M_R: np.ndarray, e: np.ndarray, A_R_z: np.ndarray) -> np.ndarray:
    """The weights ``w`` of the low-rank update ``x = z - M_R w``
    (:meth:`BlockSolver._fold_updates`): ``(I_r + e o (A_R M_R)) w = e o (A_R z)`` with
    ``e = 1 - factors``, for stacks of runs (``(runs, r, r)``, ``(runs, r)``, ``(runs, r)``),
    solved matrix by matrix."""
    r = e.shape[-1]
    system = np.eye(r) + e[..., :, None] * A_R_M_R
    return np.linalg.solve(system, (e * A_R_z)[..., None])[..., 0]


def schur_complement(solver: BlockSolver, chunk: int = 256) -> np.ndarray:
    """``T = I - A_FF - A_FD N A_DF`` (dense f x f) of a block solver's rows, ``chunk``
    columns of F at a time: ``N A_DF[:, chunk]`` by one sweep over D, then the rows F of
    the block times it (memory: block rows x chunk)."""
    size, n_rest = solver.inner.shape[0], solver.n_rest
    f = size - n_rest
    columns = sp.csc_matrix(solver.inner[:, n_rest:])   # A_CF: A_DF over A_FF
    T = np.eye(f)
    buffer = np.empty(size * min(chunk, f))
    # one solution buffer for every chunk (fresh pages for each cost more than the sweep)
    solution = np.empty(size * min(chunk, f))
    for first in range(0, f, chunk):
        last = min(first + chunk, f)
        c = dense_columns(buffer, size, columns, first, last)
        x = solution[:c.size].reshape(c.shape)
        x[n_rest:] = 0.0                                 # the sweep writes every row of D
        solver.sweep_rest(x, c)                          # N A_DF[:, chunk]; x_F = 0
        T[:, first:last] -= solver.feedback_rows @ x + c[n_rest:]
    return T


def dense_columns(buffer: np.ndarray, rows: int, columns: sp.csc_matrix, first: int, last: int
                  ) -> np.ndarray:
    """``columns[:, first:last]`` written densely into the front of ``buffer`` (a
    C-contiguous ``rows x (last - first)`` view of it, returned)."""
    out = buffer[:rows * (last - first)].reshape(rows, last - first)
    out.fill(0.0)
    start, stop = columns.indptr[first], columns.indptr[last]
    which = np.repeat(np.arange(last - first), np.diff(columns.indptr[first:last + 1]))
    out[columns.indices[start:stop], which] = columns.data[start:stop]
    return out


def unit_columns(size: int, rows: np.ndarray) -> np.ndarray:
    """The (size, len(rows)) block of unit columns at ``rows`` (``E[rows[j], j] = 1``)."""
    unit = np.zeros((size, rows.size))
    unit[rows, np.arange(rows.size)] = 1.0
    return unit


def _acyclic_reach(A: sp.csr_matrix, E: sp.csr_matrix, limit: Optional[int] = None
                   ) -> Optional[sp.csr_matrix]:
    """``(I - A)^-1 E = sum_k A^k E`` for a matrix ``A`` whose dependency graph is acyclic and
    a sparse ``E``, by the terms ``P_k = A P_(k-1)`` (the paths of exactly k links) until
    none is left (at most the longest path's length plus one products). Each product
    reaches from the last term only, not from everything reached so far (the fixed point
    ``X <- A X + E`` multiplied all of X each time: twice the cost on a 96,000-row loop).
    Each column is summed on its own, in the order of k. None once the sum has more than
    ``limit`` non-zeros (when given)."""
    X = term = sp.csr_matrix(E)
    for _ in range(A.shape[0] + 1):
        term = sp.csr_matrix(A @ term)
        if term.nnz == 0:
            return X
        X = X + term
        if limit is not None and X.nnz > limit:
            return None
    raise RuntimeError("the matrix is not acyclic")  # pragma: no cover - callers ensure it


def _sweep_order(block: sp.csr_matrix, feedback: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Order of a cyclic block's rows for Gauss-Seidel sweeps (see :class:`Plan`): the rows
    off ``feedback`` (sorted positions meeting every cycle of the block) by level, then
    ``feedback``; and the bounds of these groups."""
    off_feedback = np.ones(block.shape[0], dtype=bool)
    off_feedback[feedback] = False
    rest = np.flatnonzero(off_feedback)   # sorted, as setdiff1d would give, without a sort
    inner = build_schedule(block[rest][:, rest]) if rest.size else None
    ordered = rest[inner.order] if inner is not None else rest
    bounds = inner.bounds if inner is not None else np.array([0])
    return np.concatenate([ordered, feedback]), np.concatenate([bounds, [block.shape[0]]])


def _direct_block_solve(inner, block_scale, outside, active, size) -> np.ndarray:
    """Exact ``(I - F o A_CC) x = c`` for the ``active`` columns by sparse LU, one factor
    per column when rows are scaled per column; a singular block (a loop returning all its
    input, fed from outside) has no finite solution: :class:`ConvergenceError`.

    Needed: the sweeps stop after :data:`DIRECT_AFTER` iterations, and a loop returning
    99.9% of its flow that the exact :class:`BlockSolver` declines (amplification above
    its limit, or a scaled column with many scaled rows) would otherwise not converge."""
    identity = sp.identity(inner.shape[0], format="csc")
    solution = np.empty((inner.shape[0], active.size))
    groups = [(None, active)] if block_scale is None else [(k, [k]) for k in active]
    try:
        for k, columns in groups:
            matrix = inner if k is None else sp.diags(block_scale[:, k]) @ inner
            factor = splu(sp.csc_matrix(identity - matrix))
            solved = factor.solve(np.ascontiguousarray(outside[:, columns]))
            solution[:, np.searchsorted(active, columns)] = solved.reshape(inner.shape[0], -1)
    except RuntimeError:  # SuperLU: "Factor is exactly singular"
        solution = np.full(solution.shape, np.inf)
    # a loop that returns all but rounding noise of its flow is closed: LU gives garbage there
    input_largest = float(np.max(np.abs(outside[:, active]), initial=0.0))
    if not np.all(_plausible_solution(np.abs(solution).max(axis=0), solution.min(axis=0),
                                      input_largest)):
        raise ConvergenceError(
            f"supply propagation has no finite solution on a recycling loop of {size} "
            "facilities: it returns all its input (check the loop's volumes)")
    return np.maximum(solution, 0.0)


def _plausible_solution(largest: np.ndarray, lowest: np.ndarray, input_largest) -> np.ndarray:
    """Per column, whether a loop block's solution can be the minimal non-negative one of a
    non-negative input: finite (``largest`` = max |x|, NaN where a value is), not negative
    beyond rounding (``lowest`` = min x) and at most :data:`CLOSED_LOOP_GAIN` times the
    input's scale ``max(1, input_largest)`` (max |input|): beyond it the loop returns all
    of its input up to rounding and has no finite solution."""
    bound = CLOSED_LOOP_GAIN * np.maximum(1.0, input_largest)
    return (largest <= bound) & (lowest >= -1e-9 * bound / CLOSED_LOOP_GAIN)


def _without_columns(matrix: sp.csr_matrix, start: int, end: int) -> sp.csr_matrix:
    """``matrix`` without its entries in columns ``start:end`` (same shape, a copy; stored
    zeros are dropped too, which changes no product)."""
    out = matrix.copy()
    out.data[(out.indices >= start) & (out.indices < end)] = 0.0
    out.eliminate_zeros()
    return out


def _row_view(matrix: sp.csr_matrix, start: int, end: int) -> sp.csr_matrix:
    """Rows ``start:end`` of a CSR matrix sharing its data (no copy)."""
    first, last = matrix.indptr[start], matrix.indptr[end]
    return sp.csr_matrix((matrix.data[first:last], matrix.indices[first:last],
                          matrix.indptr[start:end + 1] - first),
                         shape=(end - start, matrix.shape[1]), copy=False)
