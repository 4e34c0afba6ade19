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
* otherwise by Gauss-Seidel sweeps of ``x_C <- F o (A_CC x_C) + c`` (rows ordered so that
  only F lags a sweep behind) until no entry of a column changes by more than
  ``tol * max(1, max |x_C|)`` in a sweep; columns still moving after :data:`DIRECT_AFTER`
  sweeps (a loop returning nearly all its flow) are solved exactly by a sparse LU of the
  block (:func:`_direct_block_solve`).

Starting from 0 the iterates increase to the minimal non-negative solution (the Neumann
series' answer), so a closed loop that no supply enters stays 0; a loop that returns *all*
of its input while fed from outside (no finite solution) raises
:class:`~graphmodel.errors.ConvergenceError`. Every column is computed in an order fixed by
the plan and never depends on the other columns of the block (Monte Carlo shards give
bit-identical runs whatever the batch size).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple, Optional

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
#: A loop whose solution exceeds its input this many times over returns all of its flow up
#: to rounding: it has no finite solution (ConvergenceError).
CLOSED_LOOP_GAIN = 1e12


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


class SweepGroup(NamedTuple):
    """Rows ``first:last`` of a loop block (sweep order) that one Gauss-Seidel step computes
    together (one level of the acyclic part off the feedback set, or the feedback set)."""

    first: int
    last: int
    rows: sp.csr_matrix


@dataclass(frozen=True)
class LoopBlock:
    """The cyclic rows of a level: ``rows`` (the block's rows over every column, plan
    order), ``inner`` (``A_CC``, rows and columns in sweep order), the Gauss-Seidel groups
    and the exact solver (None where the loops are swept, see :class:`BlockSolver`)."""

    rows: sp.csr_matrix
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
           last: Optional[np.ndarray] = None, feedback: Optional[np.ndarray] = None) -> "Plan":
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
                loop = LoopBlock(rows=rows_of_block, inner=inner, sweep=sweep,
                                 direct=BlockSolver.of(inner, int(bounds[-2]), sweep))
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
        if scale is not None and scale.ndim == 1 and b.ndim == 2:
            scale = scale[:, None]
        x = np.zeros(b.shape)
        for level in self.levels:
            start, middle = level.start, level.middle
            if middle > start and level.A.nnz == 0:
                x[start:middle] = b[start:middle]  # origins and masked rows: nothing to add
            elif middle > start:
                y = level.A @ x
                if scale is not None:
                    y *= scale[start:middle]
                y += b[start:middle]
                x[start:middle] = y
            if level.loop is not None:
                block = slice(level.middle, level.end)
                _solve_loop(level, x, b[block], None if scale is None else scale[block],
                            tol, max_iterations)
        solution = np.empty_like(x)
        solution[order] = x
        return solution

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
                first, last = np.searchsorted(rows, [middle, end])
                scale = np.ones((end - middle, K))
                scale[rows[first:last] - middle, columns[first:last]] = values[first:last]
                x[middle:end] = 0.0
                _solve_loop(level, x, scale * origin[middle:end, None], scale, tol,
                            max_iterations)
        return x


def _solve_loop(level: Level, x, b_block, block_scale, tol, max_iterations) -> None:
    """Solve a level's cyclic block into ``x``: exactly (:class:`BlockSolver`) for the
    columns whose block rows are unscaled, by a low-rank update for a few scaled rows, by
    Gauss-Seidel sweeps (:func:`_sweep_to_convergence`) for the others or when the block has
    no exact solver. ``b_block`` and ``block_scale`` are the block's rows of ``b`` and of
    the row scale. A column's result never depends on the other columns of the batch."""
    loop = level.loop
    cyc = slice(level.middle, level.end)
    size = level.end - level.middle
    # x[cyc] is still 0 here, so this product is exactly the input from outside the block.
    outside = loop.rows @ x
    if block_scale is not None:
        outside *= block_scale
    outside += b_block
    outside = outside.reshape(size, -1)
    scale = None if block_scale is None else np.broadcast_to(
        block_scale.reshape(size, -1), outside.shape)
    solver = loop.direct
    if solver is None:
        current = _sweep_to_convergence(loop, outside, scale, tol, max_iterations)
    elif scale is None:
        current = solver.solve(outside)
    else:  # unscaled columns exactly; a few scaled rows by a low-rank update; else swept
        scaled = scale != 1.0
        current = solver.solve(outside)  # exact for the unscaled columns
        swept = []
        for k in np.flatnonzero(scaled.any(axis=0)):
            rows = np.flatnonzero(scaled[:, k])
            if rows.size > solver.MAX_RANK:
                swept.append(k)
            else:
                current[:, k] = solver.update(current[:, k], rows, scale[rows, k])
        if swept:
            current[:, swept] = _sweep_to_convergence(
                loop, np.ascontiguousarray(outside[:, swept]),
                np.ascontiguousarray(scale[:, swept]), tol, max_iterations)
    x[cyc] = current.reshape(x[cyc].shape)


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
    """Gauss-Seidel sweeps of ``x_C <- F o (A_CC x_C) + outside`` from ``outside`` (the first
    iterate from 0) until each column's largest change is at most ``tol * max(1, max |x|)``;
    a converged column keeps its value, so columns never influence each other."""
    size = outside.shape[0]
    current = outside.copy()
    converged = np.zeros(current.shape[1], dtype=bool)
    for _ in range(min(max_iterations, DIRECT_AFTER)):
        previous = current.copy()
        for first, last, rows in loop.sweep:
            y = rows @ current
            if scale is not None:
                y *= scale[first:last]
            y += outside[first:last]
            current[first:last] = y
        if converged.any():  # converged columns keep their value
            current[:, converged] = previous[:, converged]
        change = np.max(np.abs(current - previous), axis=0, initial=0.0)
        magnitude = np.maximum(1.0, np.max(np.abs(current), axis=0, initial=0.0))
        converged |= change <= tol * magnitude
        if converged.all():
            break
    else:  # a slowly leaking loop: solve the rest exactly
        active = np.flatnonzero(~converged)
        current[:, active] = _direct_block_solve(loop.inner, scale, outside, active, size)
    return current


def schur_parts(block: sp.csr_matrix, rest: np.ndarray, feedback: np.ndarray):
    """The pieces of the Schur complement of ``I - block`` on ``feedback``.

    With D = ``rest`` (``A_DD`` acyclic, so ``N = (I - A_DD)^-1`` is one level-ordered
    solve) and F = ``feedback``::

        P = N A_DF,    T = I - A_FF - A_FD P

    Returns ``A_DD``, ``A_FD`` (sparse), ``P`` and ``T`` (dense, ``|D| x f`` and ``f x f``:
    callers bound f, see :class:`BlockSolver`). Used by the exact loop solver.
    """
    A_DD = sp.csr_matrix(block[rest][:, rest])
    A_DF = block[rest][:, feedback].toarray()
    A_FD = sp.csr_matrix(block[feedback][:, rest])
    A_FF = block[feedback][:, feedback].toarray()
    P = Plan.of(A_DD).solve(A_DF) if rest.size else np.zeros((0, feedback.size))
    T = np.eye(feedback.size) - A_FF - A_FD @ P
    return A_DD, A_FD, P, T


@dataclass(frozen=True)
class BlockSolver:
    """Exact solves of ``x = A_CC x + c`` on a cyclic block, for unscaled columns.

    The block's rows are in sweep order: D (off the feedback vertex set, acyclic, by level)
    then F. With ``N = (I - A_DD)^-1`` (one sweep over D), ``P = N A_DF`` and
    ``T = I - A_FF - A_FD P`` (the Schur complement on F, :func:`schur_parts`)::

        y_D = N c_D,   x_F = T^-1 (c_F + A_FD y_D),   x_D = y_D + P x_F

    ``P`` and ``T^-1`` are stored as sparse matrices so that every product sums each column
    in a fixed order (a column's result never depends on the others in the batch). Not
    built (None) when ``||T^-1||_1 > MAX_AMPLIFICATION`` (a loop returning nearly all its
    flow) or when it costs more than sweeping: its set-up is f solves over D, ``|D| x f``
    dense entries and an f x f inverse, so f is bounded by :attr:`MAX_FEEDBACK` (dense f x f
    work) and ``|D| x f`` by :attr:`MAX_ENTRIES`. On heavily recycled networks (20% of
    100,000 facilities looped, f = 2,800 by the depth-first set) building it took 20 s,
    while the sweeps converge in tens of sweeps of the block's links; such blocks are
    swept (exact to the sweeps' convergence test, module docstring).
    """

    n_rest: int
    sweep: list
    inner: sp.csr_matrix
    feedback_rows: sp.csr_matrix
    P: sp.csr_matrix
    T_inverse: sp.csr_matrix
    columns: dict = field(default_factory=dict)  # column s of M = (I - A_CC)^-1, as needed

    MAX_RANK = 32  # scaled rows per column up to which the low-rank update is used
    MAX_FEEDBACK = 1000
    MAX_ENTRIES = 20_000_000
    MAX_AMPLIFICATION = 1e8

    @classmethod
    def of(cls, inner: sp.csr_matrix, n_rest: int, sweep: list) -> Optional["BlockSolver"]:
        size = inner.shape[0]
        f = size - n_rest
        if f == 0 or f > cls.MAX_FEEDBACK or n_rest * f > cls.MAX_ENTRIES:
            return None
        _, _, P, T = schur_parts(inner, np.arange(n_rest), np.arange(n_rest, size))
        try:
            T_inverse = np.linalg.inv(T)
        except np.linalg.LinAlgError:
            return None
        # ||T^-1|| is the loop's amplification of its input: huge when a loop returns
        # (nearly) all its flow, where the sweeps and their exact fallback decide
        amplification = np.linalg.norm(T_inverse, 1)
        if not np.isfinite(amplification) or amplification > cls.MAX_AMPLIFICATION:
            return None
        return cls(n_rest=n_rest, sweep=[g for g in sweep if g.last <= n_rest], inner=inner,
                   feedback_rows=_row_view(inner, n_rest, size),
                   P=sp.csr_matrix(P), T_inverse=sp.csr_matrix(T_inverse))

    def solve(self, c: np.ndarray) -> np.ndarray:
        """``x`` for the (size, K) right-hand sides ``c``."""
        x = np.empty_like(c)
        x[self.n_rest:] = 0.0
        for first, last, rows in self.sweep:  # y_D = N c_D (x_F = 0 for now)
            y = rows @ x
            y += c[first:last]
            x[first:last] = y
        r = self.feedback_rows @ x            # A_FD y_D
        r += c[self.n_rest:]
        x[self.n_rest:] = self.T_inverse @ r
        if self.n_rest:
            x[:self.n_rest] += self.P @ x[self.n_rest:]
        return x

    def update(self, z: np.ndarray, rows: np.ndarray, factors: np.ndarray) -> np.ndarray:
        """``x = F o (A_CC x) + c`` for one column whose scale F differs from 1 only on
        ``rows`` (``F[rows] = factors``), from ``z = M c`` (the unscaled solution): with
        ``E = diag(1 - F)``, ``I - F A = (I - A) + E A`` is a rank-r update of ``I - A``
        (r = len(rows)), solved exactly by Woodbury::

            x = z - M_s (I_r + e o (A_s M_s))^-1 (e o (A_s z))

        with ``M = (I - A_CC)^-1``, ``M_s`` its columns ``rows`` (computed once each and
        kept), ``A_s`` the rows ``rows`` of ``A_CC`` and ``e = 1 - factors``.
        """
        M_s = self._columns(rows)
        A_s = self.inner[rows]
        e = 1.0 - factors
        C = np.eye(rows.size) + e[:, None] * (A_s @ M_s)
        return z - M_s @ np.linalg.solve(C, e * (A_s @ z))

    def _columns(self, rows: np.ndarray) -> np.ndarray:
        missing = [int(r) for r in rows if int(r) not in self.columns]
        if missing:
            unit = np.zeros((self.inner.shape[0], len(missing)))
            unit[missing, np.arange(len(missing))] = 1.0
            for r, column in zip(missing, self.solve(unit).T):
                self.columns[r] = column.copy()
        return np.column_stack([self.columns[int(r)] for r in rows])


def _sweep_order(block: sp.csr_matrix, feedback: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Order of a cyclic block's rows for Gauss-Seidel sweeps (see :class:`Plan`): the rows
    off ``feedback`` (sorted positions meeting every cycle of the block) by level, then
    ``feedback``; and the bounds of these groups."""
    rest = np.setdiff1d(np.arange(block.shape[0]), feedback)
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
    bound = CLOSED_LOOP_GAIN * max(1.0, float(np.max(np.abs(outside[:, active]), initial=0.0)))
    if (not np.all(np.isfinite(solution)) or np.any(solution < -1e-9 * bound / CLOSED_LOOP_GAIN)
            or np.any(solution > bound)):
        raise ConvergenceError(
            f"supply propagation has no finite solution on a recycling loop of {size} "
            "facilities: it returns all its input (check the loop's volumes)")
    return np.maximum(solution, 0.0)


def _row_view(matrix: sp.csr_matrix, start: int, end: int) -> sp.csr_matrix:
    """Rows ``start:end`` of a CSR matrix sharing its data (no copy)."""
    first, last = matrix.indptr[start], matrix.indptr[end]
    return sp.csr_matrix((matrix.data[first:last], matrix.indices[first:last],
                          matrix.indptr[start:end + 1] - first),
                         shape=(end - start, matrix.shape[1]), copy=False)
