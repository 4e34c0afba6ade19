"""The sparse engine: level-ordered solves of ``x = A x + b`` for million-node networks.

Why levels
----------
:func:`graphmodel.algebra.neumann_solve` iterates ``x <- A x + b`` over the whole matrix;
on an acyclic network that takes as many full sparse products as the longest supply path
(the depth), plus one to see the change vanish. Here the dependency graph of ``A`` (row i
depends on column j when ``A[i, j] != 0``) is condensed into its strongly connected
components and the components are put in *levels*: level 0 depends on nothing, level l only
on levels < l (longest-path layering of the condensation, computed once and cached). The
solve then visits each level once and computes its rows from the already final earlier
rows, so the whole acyclic part costs about one sparse product in total.

Cycles (recycling loops)
------------------------
A level may hold cyclic components (strongly connected sets of more than one facility, or
a facility supplying itself). Their rows depend on each other, so they are solved by an
iterative solve with a convergence check, never by unrolling: with ``c`` the (final) input
from earlier levels, Gauss-Seidel sweeps of ``x_C <- A_CC x_C + c`` on the block only (rows
ordered so that only a feedback vertex set lags a sweep behind, see :class:`Plan`) until no
entry of a column changes by more than ``tol * max(1, max |x_C|)`` in a sweep (blocks whose
columns are unscaled are solved exactly instead, see :class:`_BlockSolver`). A loop that
returns nearly all of its flow converges slowly; columns still moving after :data:`DIRECT_AFTER`
iterations are solved exactly by a sparse LU of ``I - A_CC`` (small: the loop's rows only),
and a loop that returns *all* of its input while fed from outside (no finite solution)
raises :class:`~graphmodel.errors.ConvergenceError`. Starting from 0, the iterates increase to the
minimal non-negative solution, as the series does, so a closed loop that no supply enters
stays 0 (the same answer as ``neumann_solve``).

Row scaling (batched propagation)
---------------------------------
``row_scale`` F (n,) or (n, K) solves ``x = F o (A x) + b`` column by column: the pure
propagation of a shock ``a = f o (S a) + f o origin`` for K shock columns at once, with one
sparse-times-dense product per level and no block-diagonal matrix.

Caching
-------
A :class:`Schedule` depends only on the sparsity pattern. A schedule built for ``A`` is
valid for every matrix whose pattern is a subset (masking rows, as exposure does, or scaling
rows by shock factors only removes dependencies), and its reverse is valid for ``A.T``
(the backward solve of criticality). :func:`schedule_for` therefore keeps the few most
recent schedules and reuses one after an O(nnz) validity check; :func:`prepare` builds the
schedule and the level-ordered plans of a network up front.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property
from typing import Optional

import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph

from ._lookup import isin
from .errors import ConvergenceError

try:  # SciPy's own CSR x dense kernel, used in place by _product_into
    from scipy.sparse._sparsetools import csr_matvecs as _csr_matvecs
except ImportError:  # pragma: no cover - a SciPy without it: the public product
    _csr_matvecs = None

DEFAULT_TOLERANCE = 1e-15
DEFAULT_MAX_ITERATIONS = 100_000
#: After this many iterations on a recycling loop (a loop that returns nearly all of its
#: flow converges slowly) the remaining columns are solved exactly by a sparse LU of the block.
DIRECT_AFTER = 1_000
#: A loop whose solution exceeds its input this many times over returns all of its flow up
#: to rounding: it has no finite solution (ConvergenceError).
CLOSED_LOOP_GAIN = 1e12
#: How many recent schedules :func:`schedule_for` keeps for reuse.
CACHE_SIZE = 4


# --- schedules -------------------------------------------------------------------------
@dataclass(frozen=True)
class Schedule:
    """A level order of the rows of a square sparse matrix (see the module docstring).

    Attributes
    ----------
    level : (n,) level of each row; every dependency ``A[i, j] != 0`` has
        ``level[j] < level[i]`` or ``j`` in the same cyclic component as ``i``.
    component : (n,) strongly connected component label of each row.
    cyclic : (n,) bool, row belongs to a cyclic component.
    order : rows sorted by level, acyclic rows before cyclic ones within a level;
        ``bounds[l]:bounds[l+1]`` are the positions in ``order`` of the rows of level l.
    """

    level: np.ndarray
    component: np.ndarray
    cyclic: np.ndarray
    order: np.ndarray
    bounds: np.ndarray

    @property
    def n(self) -> int:
        return len(self.level)

    @property
    def n_levels(self) -> int:
        return len(self.bounds) - 1

    @property
    def n_cyclic(self) -> int:
        return int(self.cyclic.sum())

    def rows(self, level: int) -> np.ndarray:
        return self.order[self.bounds[level]:self.bounds[level + 1]]

    @cached_property
    def reversed(self) -> "Schedule":
        """The schedule of the transposed matrix: the same components, levels reversed."""
        level = self.level.max(initial=0) - self.level
        schedule = _from_levels(level, self.component, self.cyclic)
        schedule.__dict__["reversed"] = self
        return schedule

    def valid_for(self, A: sp.csr_matrix) -> bool:
        """True when every stored entry of ``A`` respects this level order (O(nnz))."""
        if A.shape != (self.n, self.n):
            return False
        row_level = np.repeat(self.level, np.diff(A.indptr))
        sample = slice(None, None, 97)  # cheap rejection of a wrong orientation first
        if np.any(self.level[A.indices[sample]] >= row_level[sample]) and not self._cyclic_ok(
                A, row_level, sample):
            return False
        return self._cyclic_ok(A, row_level, slice(None))

    def _cyclic_ok(self, A, row_level, part) -> bool:
        cols = A.indices[part]
        late = np.flatnonzero(self.level[cols] >= row_level[part])
        if late.size == 0:
            return True
        rows = np.searchsorted(A.indptr, np.arange(A.nnz)[part][late], side="right") - 1
        return bool(np.all(self.cyclic[rows] & (self.component[rows] == self.component[cols[late]])))


def build_schedule(A: sp.spmatrix) -> Schedule:
    """Condense the dependency graph of ``A`` into components and layer them by longest path."""
    A = sp.csr_matrix(A)
    n = A.shape[0]
    n_components, component = csgraph.connected_components(A, directed=True, connection="strong")
    rows = np.repeat(np.arange(n), np.diff(A.indptr))
    cols = A.indices
    size = np.bincount(component, minlength=n_components)
    cyclic = size[component] > 1
    cyclic[rows[rows == cols]] = True  # a facility supplying itself
    # Condensation edges: component of the supplier column -> component of the dependent row.
    source, target = component[cols], component[rows]
    crossing = source != target
    condensed = sp.csr_matrix((np.ones(int(crossing.sum()), dtype=np.int8),
                               (source[crossing], target[crossing])),
                              shape=(n_components, n_components))
    condensed.sum_duplicates()
    component_level = _longest_path_levels(condensed)
    return _from_levels(component_level[component], component, cyclic)


def _from_levels(level: np.ndarray, component: np.ndarray, cyclic: np.ndarray) -> Schedule:
    level = np.asarray(level, dtype=np.int64)
    order = np.lexsort((cyclic, level))  # by level; within a level, acyclic rows first
    counts = np.bincount(level, minlength=int(level.max(initial=-1)) + 1)
    bounds = np.concatenate([[0], np.cumsum(counts)])
    return Schedule(level=level, component=component, cyclic=cyclic, order=order, bounds=bounds)


def _longest_path_levels(dag: sp.csr_matrix) -> np.ndarray:
    """Level of each node of a DAG (``dag[u, v]`` = edge u -> v): 0 for nodes without
    predecessors, else 1 + the largest level of a predecessor (Kahn's algorithm, one
    vectorised step per level)."""
    m = dag.shape[0]
    indegree = np.diff(sp.csc_matrix(dag).indptr).astype(np.int64)
    level = np.full(m, -1, dtype=np.int64)
    frontier = np.flatnonzero(indegree == 0)
    depth = 0
    while frontier.size:
        level[frontier] = depth
        successors = _gather(dag, frontier)
        if successors.size == 0:
            break
        nodes, counts = np.unique(successors, return_counts=True)
        indegree[nodes] -= counts
        frontier = nodes[indegree[nodes] == 0]
        depth += 1
    if (level < 0).any():  # cannot happen on a condensation; guard against misuse
        raise ValueError("the condensed dependency graph is not acyclic")
    return level


def _gather(matrix: sp.csr_matrix, rows: np.ndarray) -> np.ndarray:
    """Column indices of the stored entries of ``rows`` (concatenated), vectorised."""
    starts, ends = matrix.indptr[rows], matrix.indptr[rows + 1]
    counts = ends - starts
    total = int(counts.sum())
    if total == 0:
        return np.empty(0, dtype=matrix.indices.dtype)
    offsets = np.repeat(starts - (np.cumsum(counts) - counts), counts)
    return matrix.indices[np.arange(total) + offsets]


_recent: list[Schedule] = []


def schedule_for(A: sp.csr_matrix) -> Schedule:
    """A cached schedule valid for ``A`` (a recent one or its reverse), else a new one."""
    for i, candidate in enumerate(_recent):
        if candidate.n != A.shape[0]:
            continue
        for schedule in (candidate, candidate.reversed):
            if schedule.valid_for(A):
                _remember(schedule, drop=i)
                return schedule
    schedule = build_schedule(A)
    _remember(schedule)
    return schedule


def _remember(schedule: Schedule, drop: Optional[int] = None) -> None:
    if drop is not None:
        _recent.pop(drop)
    _recent.insert(0, schedule)
    del _recent[CACHE_SIZE:]


def clear_cache() -> None:
    """Forget every cached schedule and plan (for benchmarks that time a cold start)."""
    _recent.clear()
    _plans.clear()


def schedule_of(net) -> Schedule:
    """The (cached) schedule of ``net.share_matrix``.

    Exposure (rows masked), propagation (rows scaled) and criticality (the transpose) all
    reuse it; the cache is keyed by validity, so a network whose tables change simply gets
    a new schedule on its next solve.
    """
    return schedule_for(net.share_matrix)


def prepare(net) -> Schedule:
    """Build everything the analytics reuse, once per share matrix: the schedule, the
    level-ordered plan of ``S`` (:func:`plan_of`) and of ``S^T`` (:func:`backward_plan_of`).

    Calling it is optional (each is built on first use); it moves the one-off cost to load
    time, which is how the benchmark reports it. Returns the schedule.
    """
    schedule = schedule_of(net)
    backward_plan_of(net)
    return schedule


# --- solves ---------------------------------------------------------------------------------
@dataclass
class Plan:
    """``A`` permuted once into schedule order (rows and columns), ready for repeated solves.

    In schedule order every level is a contiguous range of positions, so a solve works on
    slices (views) of the permuted vectors: one gather of ``b`` at the start, one scatter of
    ``x`` at the end, no fancy indexing per level (which dominated the cost of wide Monte
    Carlo blocks). Per level: the acyclic range ``start:middle`` and, if the level holds
    cyclic components, the range ``middle:end`` with the block ``A_CC``.

    Inside a cyclic range the rows are ordered for Gauss-Seidel sweeps: first the rows off a
    feedback vertex set F of the block (:func:`graphmodel.loops.feedback_vertex_set`), in
    the level order of the acyclic block they form, then F. One sweep computes every row
    from the newest values, so only F's values lag a sweep behind and a loop converges in
    about as many sweeps as laps its flow makes (plain Jacobi needs laps x loop length).
    ``order`` refines ``schedule.order`` accordingly.
    """

    schedule: Schedule
    order: np.ndarray = None
    levels: list = field(default_factory=list)
    memo: dict = field(default_factory=dict)  # per-plan results reused across batches

    @classmethod
    def of(cls, A: sp.spmatrix, schedule: Optional[Schedule] = None,
           last: Optional[np.ndarray] = None) -> "Plan":
        """Permute ``A`` into plan order. ``last`` (bool per row, acyclic rows only) puts
        those rows at the end of their level's acyclic range, so that each level's share of
        them is a slice ``step["tail"]:step["middle"]`` (the sinks, for Monte Carlo)."""
        A = sp.csr_matrix(A)
        schedule = schedule or schedule_for(A)
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
                local, sweeps[level] = _sweep_order(sp.csr_matrix(A[rows][:, rows]))
                order[middle:end] = rows[local]
        position = np.empty_like(order)
        position[order] = np.arange(order.size)
        permuted = sp.csr_matrix((A.data, position[A.indices], A.indptr), shape=A.shape)[order]
        plan = cls(schedule, order)
        for level, (start, tail, middle, end) in enumerate(ranges):
            step = {"start": start, "tail": tail, "middle": middle, "end": end,
                    "A": _row_view(permuted, start, middle)}
            if middle < end:
                rows_of_block = _row_view(permuted, middle, end)
                inner = sp.csr_matrix(rows_of_block[:, middle:end])
                step["A_cyc_rows"] = rows_of_block
                step["A_in"] = inner
                bounds = sweeps[level]
                step["sweep"] = [(int(a), int(b), _row_view(inner, int(a), int(b)))
                                 for a, b in zip(bounds[:-1], bounds[1:]) if b > a]
                step["direct"] = _BlockSolver.of(inner, int(bounds[-2]), step["sweep"])
            plan.levels.append(step)
        return plan

    @cached_property
    def position(self) -> np.ndarray:
        """Position in plan order of each row (the inverse permutation of :attr:`order`)."""
        position = np.empty_like(self.order)
        position[self.order] = np.arange(self.order.size)
        return position

    def propagate_shocks(self, origin: np.ndarray, shocks: "Shocks", *,
                         out: Optional[np.ndarray] = None,
                         tol: float = DEFAULT_TOLERANCE,
                         max_iterations: int = DEFAULT_MAX_ITERATIONS) -> np.ndarray:
        """Pure propagation ``a = f o (A a) + f o origin`` for sparse factors, in plan order.

        ``origin`` (n,) is 1 for origin rows, 0 elsewhere; ``shocks`` holds the factors
        that differ from 1; ``out``, an (n, K) array to write into (reused across batches,
        it saves touching fresh memory). Returns (n, K) with row p for row ``order[p]``
        (gather the rows you need with :attr:`position`). The same answer as :meth:`solve`
        with ``b = f o origin`` and ``row_scale = f``, but the factors are applied only where
        they differ from 1 and nothing is permuted back: the n x K block is written once per
        level and read by the sparse products, which on wide Monte Carlo blocks is most of
        the cost.
        """
        origin = np.asarray(origin, dtype=float)[self.order]
        K = shocks.n_columns
        rows = self.position[shocks.rows]
        sort = np.argsort(rows, kind="stable")
        rows, columns, values = rows[sort], shocks.columns[sort], shocks.values[sort]
        x = np.empty((self.schedule.n, K)) if out is None else out
        for step in self.levels:
            start, middle, end = step["start"], step["middle"], step["end"]
            if middle > start:
                if step["A"].nnz == 0:
                    x[start:middle] = origin[start:middle, None]
                else:
                    _product_into(step["A"], x, x[start:middle])
                    if origin[start:middle].any():
                        x[start:middle] += origin[start:middle, None]
                first, last = np.searchsorted(rows, [start, middle])
                x[rows[first:last], columns[first:last]] *= values[first:last]
            if "A_in" in step:
                first, last = np.searchsorted(rows, [middle, end])
                scale = np.ones((end - middle, K))
                scale[rows[first:last] - middle, columns[first:last]] = values[first:last]
                x[middle:end] = 0.0
                b = scale * origin[middle:end, None]
                self._solve_cycles(step, x, b, scale, tol, max_iterations)
        return x

    def solve(self, b: np.ndarray, row_scale: Optional[np.ndarray] = None, *,
              tol: float = DEFAULT_TOLERANCE,
              max_iterations: int = DEFAULT_MAX_ITERATIONS) -> np.ndarray:
        """Minimal non-negative ``x`` of ``x = F o (A x) + b`` (F = 1 without ``row_scale``)."""
        order = self.order
        b = np.asarray(b, dtype=float)[order]
        scale = None if row_scale is None else np.asarray(row_scale, dtype=float)[order]
        if scale is not None and scale.ndim == 1 and b.ndim == 2:
            scale = scale[:, None]
        x = np.zeros(b.shape)
        for step in self.levels:
            start, middle = step["start"], step["middle"]
            if middle > start and step["A"].nnz == 0:
                x[start:middle] = b[start:middle]  # origins and masked rows: nothing to add
            elif middle > start:
                y = step["A"] @ x
                if scale is not None:
                    y *= scale[start:middle]
                y += b[start:middle]
                x[start:middle] = y
            if "A_in" in step:
                block = slice(step["middle"], step["end"])
                self._solve_cycles(step, x, b[block], None if scale is None else scale[block],
                                   tol, max_iterations)
        solution = np.empty_like(x)
        solution[order] = x
        return solution

    @staticmethod
    def _solve_cycles(step, x, b_block, block_scale, tol, max_iterations) -> None:
        """Solve the cyclic block: exactly (:class:`_BlockSolver`) for the columns whose
        block rows are unscaled, by Gauss-Seidel sweeps (:func:`_sweep_to_convergence`) for
        the others or when the block has no exact solver. ``b_block`` and ``block_scale``
        are the block's rows of ``b`` and of the row scale. Either way a column's result
        never depends on the other columns of the batch (Monte Carlo shards give
        bit-identical runs whatever the batch size)."""
        cyc = slice(step["middle"], step["end"])
        size = step["end"] - step["middle"]
        # x[cyc] is still 0 here, so this product is exactly the input from outside the block.
        outside = step["A_cyc_rows"] @ x
        if block_scale is not None:
            outside *= block_scale
        outside += b_block
        outside = outside.reshape(size, -1)
        scale = None if block_scale is None else np.broadcast_to(
            block_scale.reshape(size, -1), outside.shape)
        solver = step["direct"]
        if solver is None:
            current = _sweep_to_convergence(step, outside, scale, tol, max_iterations)
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
                    step, np.ascontiguousarray(outside[:, swept]),
                    np.ascontiguousarray(scale[:, swept]), tol, max_iterations)
        x[cyc] = current.reshape(x[cyc].shape)


def _product_into(A: sp.csr_matrix, x: np.ndarray, out: np.ndarray) -> None:
    """``out[:] = A @ x`` for a C-contiguous (n, K) block ``x``, written in place.

    The public ``A @ x`` allocates its result, which the caller then copies: on a Monte
    Carlo block that is a fresh n x K array per solve (page faults) and a second pass over
    it. SciPy's ``csr_matvecs`` kernel (what ``A @ x`` runs) accumulates into a given array
    instead, so ``out`` is zeroed and filled directly; the same kernel, the same sums in
    the same order. It is a private SciPy function, so anything unexpected (an older or
    newer SciPy without it, other index types, a non-contiguous ``out``) takes the public
    path.
    """
    if (_csr_matvecs is None or x.ndim != 2 or not x.flags.c_contiguous
            or not out.flags.c_contiguous or A.indptr.dtype != A.indices.dtype):
        out[...] = A @ x
        return
    out.fill(0.0)
    _csr_matvecs(A.shape[0], A.shape[1], x.shape[1], A.indptr, A.indices, A.data,
                 x.reshape(-1), out.reshape(-1))


def _sweep_to_convergence(step, outside, scale, tol, max_iterations) -> np.ndarray:
    """Gauss-Seidel sweeps of ``x_C <- F o (A_CC x_C) + outside`` from ``outside`` (the first
    iterate from 0) until each column's largest change is at most ``tol * max(1, max |x|)``;
    a converged column keeps its value, so columns never influence each other."""
    size = outside.shape[0]
    current = outside.copy()
    converged = np.zeros(current.shape[1], dtype=bool)
    for _ in range(min(max_iterations, DIRECT_AFTER)):
        previous = current.copy()
        for first, last, rows in step["sweep"]:
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
        current[:, active] = _direct_block_solve(step["A_in"], scale, outside, active, size)
    return current


@dataclass(frozen=True)
class _BlockSolver:
    """Exact solves of ``x = A_CC x + c`` on a cyclic block, for unscaled columns.

    The block's rows are in sweep order: D (off the feedback vertex set, acyclic, by level)
    then F. With ``N = (I - A_DD)^-1`` (one sweep over D), ``P = N A_DF`` and
    ``T = I - A_FF - A_FD P`` (the Schur complement on F, see :mod:`graphmodel.loops`)::

        y_D = N c_D,   x_F = T^-1 (c_F + A_FD y_D),   x_D = y_D + P x_F

    ``P`` and ``T^-1`` are stored as sparse matrices so that every product sums each column
    in a fixed order (a column's result never depends on the others in the batch). Not
    built (None) when F is large or ``||T^-1||_1 > MAX_AMPLIFICATION`` (a loop returning
    nearly all its flow): such blocks are swept.
    """

    n_rest: int
    sweep: list
    inner: sp.csr_matrix
    feedback_rows: sp.csr_matrix
    P: sp.csr_matrix
    T_inverse: sp.csr_matrix
    columns: dict = field(default_factory=dict)  # column s of M = (I - A_CC)^-1, as needed

    MAX_RANK = 32  # scaled rows per column up to which the low-rank update is used
    MAX_FEEDBACK = 3000
    MAX_ENTRIES = 50_000_000
    MAX_AMPLIFICATION = 1e8

    @classmethod
    def of(cls, inner: sp.csr_matrix, n_rest: int, sweep: list) -> Optional["_BlockSolver"]:
        size = inner.shape[0]
        f = size - n_rest
        if f == 0 or f > cls.MAX_FEEDBACK or n_rest * f > cls.MAX_ENTRIES:
            return None
        from .loops import schur_parts

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
        return cls(n_rest=n_rest, sweep=[g for g in sweep if g[1] <= n_rest], inner=inner,
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


def _sweep_order(block: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """Order of a cyclic block's rows for Gauss-Seidel sweeps (see :class:`Plan`): the rows
    off a feedback vertex set by level, then the set; and the bounds of these groups."""
    from .loops import feedback_vertex_set

    feedback = feedback_vertex_set(block)
    rest = np.setdiff1d(np.arange(block.shape[0]), feedback)
    inner = build_schedule(block[rest][:, rest]) if rest.size else None
    ordered = rest[inner.order] if inner is not None else rest
    bounds = inner.bounds if inner is not None else np.array([0])
    return np.concatenate([ordered, feedback]), np.concatenate([bounds, [block.shape[0]]])


def _direct_block_solve(inner, block_scale, outside, active, size) -> np.ndarray:
    """Exact ``(I - F o A_CC) x = c`` for the ``active`` columns by sparse LU, one factor
    per column when rows are scaled per column; a singular block (a loop returning all its
    input, fed from outside) has no finite solution: :class:`ConvergenceError`."""
    from scipy.sparse.linalg import splu

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


def level_solve(A: sp.spmatrix, b: np.ndarray, *, row_scale: Optional[np.ndarray] = None,
                tol: float = DEFAULT_TOLERANCE,
                max_iterations: int = DEFAULT_MAX_ITERATIONS) -> np.ndarray:
    """Minimal non-negative solution of ``x = A x + b`` (or ``F o (A x) + b``), level by level.

    ``A`` must be non-negative with row sums <= 1 (a share matrix, possibly with rows
    masked or scaled); ``b`` is (n,) or an (n, K) block solved column-wise at once. Same
    contract and answer as :func:`graphmodel.algebra.neumann_solve` (exact on acyclic
    parts; recycling loops iterated to ``tol``).
    """
    if A.shape[0] == 0:
        return np.array(b, dtype=float, copy=True)
    return Plan.of(A).solve(b, row_scale, tol=tol, max_iterations=max_iterations)


def propagate(net, factors: np.ndarray, *, plan: Optional[Plan] = None, **kwargs) -> np.ndarray:
    """Pure propagation of facility factors: ``a = f o (S a) + f o origin`` for K columns.

    Parameters
    ----------
    net : the network (its ``share_matrix`` S and ``origins``).
    factors : (n,) or (n, K) facility factors f in [0, 1] (1 - capacity loss), rows in
        ``net.facilities`` order.
    plan : a :class:`Plan` of ``net.share_matrix`` to reuse across batches.

    Returns
    -------
    ``a`` with the shape of ``factors``: the share of each facility's normal supply still
    available (1 where nothing upstream is shocked and supply traces to an origin; 0 for
    facilities whose supply traces to no origin, as in a closed loop).
    """
    plan = plan or Plan.of(net.share_matrix, schedule_of(net))
    factors = np.asarray(factors, dtype=float)
    origin = _origin(net)
    b = factors * (origin if factors.ndim == 1 else origin[:, None])
    return plan.solve(b, factors, **kwargs)


# --- Monte Carlo of pure propagation (random outages) -------------------------------------
@dataclass(frozen=True)
class OutageModel:
    """Random outages for a pure-propagation Monte Carlo (the benchmark's study).

    In each run every facility fails independently with ``probability`` (drawn sparsely:
    a Poisson number of distinct facilities), losing a uniform ``[0, 1)`` share of its
    capacity; and with ``country_probability`` one country-wide shock hits every facility
    of ``country`` at ``stage``, losing a uniform ``[country_loss_low, 1)`` share.
    """

    probability: float = 1e-4
    country: str = "CN"
    stage: str = "separator"
    country_probability: float = 0.1
    country_loss_low: float = 0.2


def run_rng(seed: int, run: int) -> np.random.Generator:
    """Run ``run``'s own generator: ``SeedSequence(seed, spawn_key=(run,))`` (the same stream as
    ``SeedSequence(seed).spawn(N)[run]``), so a run's draws never depend on sharding."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(run,)))


@dataclass(frozen=True)
class Shocks:
    """Sparse facility factors for K runs: ``f[rows[i], columns[i]] = values[i]``, 1 elsewhere.

    ``rows`` are facility positions (``net.facilities`` order), each (row, column) at most once.
    """

    rows: np.ndarray
    columns: np.ndarray
    values: np.ndarray
    n_columns: int

    @classmethod
    def none(cls, n_columns: int = 1) -> "Shocks":
        empty = np.empty(0, dtype=np.int64)
        return cls(empty, empty, np.empty(0), n_columns)

    def dense(self, n: int) -> np.ndarray:
        """The (n, K) factor block."""
        factors = np.ones((n, self.n_columns))
        factors[self.rows, self.columns] = self.values
        return factors


def _outage_group(net, model: OutageModel) -> np.ndarray:
    return np.flatnonzero(((net.facilities["country"] == model.country)
                           & (net.facilities["stage"] == model.stage)).to_numpy())


def draw_shocks(net, runs, seed: int, model: OutageModel = OutageModel()) -> Shocks:
    """The random outages of ``runs`` (one column per run index), as sparse factors.

    Run ``r`` draws from :func:`run_rng` ``(seed, r)``: a Poisson number of distinct failed
    facilities, each keeping ``1 - U[0, 1)`` of its capacity; then, with
    ``model.country_probability``, a country-wide loss ``U[country_loss_low, 1)`` at the
    model's country and stage, which multiplies the factor of every facility there.
    """
    n = len(net.facilities)
    group = _outage_group(net, model)
    rows, columns, values = [], [], []
    for column, run in enumerate(runs):
        rng = run_rng(seed, run)
        count = min(n, rng.poisson(model.probability * n))
        failed = rng.choice(n, size=count, replace=False) if count else np.empty(0, np.int64)
        parts = [(failed, 1.0 - rng.random(count))]
        if rng.random() < model.country_probability:
            loss = rng.uniform(model.country_loss_low, 1.0)
            parts.append((group, np.full(group.size, 1.0 - loss)))
        for part_rows, part_values in parts:
            rows.append(part_rows)
            values.append(part_values)
            columns.append(np.full(part_rows.size, column))
    return _combine_shocks(rows, columns, values, len(runs), n)


def _combine_shocks(rows, columns, values, n_columns: int, n: int) -> Shocks:
    """Concatenate shock parts; a facility hit twice in one run keeps the product."""
    rows = np.concatenate(rows).astype(np.int64) if rows else np.empty(0, np.int64)
    columns = np.concatenate(columns).astype(np.int64) if columns else np.empty(0, np.int64)
    values = np.concatenate(values) if values else np.empty(0)
    key = columns * n + rows
    order = np.argsort(key, kind="stable")
    key, values = key[order], values[order]
    unique, first = np.unique(key, return_index=True)
    product = np.multiply.reduceat(values, first) if values.size else values
    return Shocks(unique % n, unique // n, product, n_columns)


def draw_factors(net, runs, seed: int, model: OutageModel = OutageModel()) -> np.ndarray:
    """Facility factors f (n, len(runs)) = 1 - capacity loss, one column per run index
    (the dense form of :func:`draw_shocks`)."""
    return draw_shocks(net, list(runs), seed, model).dense(len(net.facilities))


_plans: dict = {}


def plan_of(net) -> Plan:
    """The :class:`Plan` of ``net.share_matrix``, built once per matrix and reused; each
    level's sinks come last in its acyclic range (see :func:`outage_batch`)."""
    S = net.share_matrix
    key = id(S)
    if key not in _plans or _plans[key][0]() is not S:
        import weakref

        _plans.clear()  # one network at a time: plans are as big as the matrix
        is_sink = isin(net.facilities.index, net.sinks)
        _plans[key] = (weakref.ref(S), Plan.of(S, schedule_of(net), last=is_sink))
    return _plans[key][1]


def _origin(net) -> np.ndarray:
    return (net.inbound_volume.to_numpy() == 0).astype(float)  # net.origins, as positions


@dataclass(frozen=True)
class _SinkSegment:
    """The sinks of one level: plan rows ``rows`` (a slice: they are contiguous, see
    :func:`plan_of`; or, for sinks on recycling loops, an index array), their demand d as
    a (1, m) matrix (a sparse product sums each column sequentially, whatever K is),
    ``1 / a0`` (0 where ``a0 = 0``), ``offset`` (1 where ``a0 = 0``: such a sink loses
    nothing), the short cut ``(1 - threshold) a0`` and their indices in ``net.sinks``."""

    rows: slice | np.ndarray
    demand: sp.csr_matrix
    inverse_baseline: np.ndarray
    offset: np.ndarray
    cut: np.ndarray
    sinks: np.ndarray


def _sink_segments(net, plan: Plan, threshold: float) -> tuple[list, float]:
    """Per level, what the outage statistics need about its sinks; and ``sum_k d_k a0_k``."""
    key = ("sinks", threshold)
    if key not in plan.memo:
        sink_rows = plan.position[net.facilities.index.get_indexer(net.sinks)]
        demand = net.sink_demand.reindex(net.sinks).to_numpy(dtype=float)
        baseline = plan.propagate_shocks(_origin(net), Shocks.none())[:, 0]
        sink_of_row = np.full(plan.schedule.n, -1)
        sink_of_row[sink_rows] = np.arange(len(sink_rows))
        groups = [slice(step["tail"], step["middle"]) for step in plan.levels
                  if step["middle"] > step["tail"]]
        # an OEM returning scrap to a recycler is a sink on a loop: gathered, not sliced
        on_loops = np.sort(sink_rows[plan.schedule.cyclic[plan.order[sink_rows]]])
        if on_loops.size:
            groups.append(on_loops)
        segments = []
        for rows in groups:
            sinks = sink_of_row[rows]
            a0 = baseline[rows]
            traced = a0 > 0
            segments.append(_SinkSegment(
                rows=rows, demand=sp.csr_matrix(demand[sinks][None, :]),
                inverse_baseline=np.divide(1.0, a0, out=np.zeros_like(a0), where=traced),
                offset=(~traced).astype(float), cut=(1.0 - threshold) * a0, sinks=sinks))
        total = float(demand @ baseline[sink_rows]) or 1.0
        plan.memo[key] = (segments, total)
    return plan.memo[key]


_buffers = threading.local()


def _block_buffer(n: int, K: int) -> np.ndarray:
    """An (n, K) work array reused by this thread's outage batches."""
    buffer = getattr(_buffers, "block", None)
    if buffer is None or buffer.shape != (n, K):
        buffer = _buffers.block = np.empty((n, K))
    return buffer


def outage_batch(net, runs, seed: int, model: OutageModel = OutageModel(),
                 threshold: float = 0.01) -> dict:
    """Pure propagation of ``runs`` random outage draws, solved as one n x K block.

    With ``a`` the shocked and ``a0`` the unshocked availability of each sink and ``d`` its
    demand, returns a dict: ``runs`` (the run indices); ``shortfall`` (per run, the share
    of demand-weighted sink supply lost, ``1 - sum_k d_k a_k / sum_k d_k a0_k``); ``worst``
    (per run, the largest loss of one sink, ``1 - min_k a_k / a0_k``); ``short_counts`` (per
    sink, the number of these runs in which ``a_k < (1 - threshold) a0_k``; integers, so
    shard totals add up exactly). Sinks with ``a0 = 0`` (supply traced to no origin) lose
    nothing. Each per-run number is computed column by column in an order fixed by the
    plan (no BLAS), so a run's result is bit-identical however the runs are sharded. The
    statistics are taken level by level on contiguous slices of the block (the sinks of a
    level are adjacent in plan order), which keeps them in cache.
    """
    runs = list(runs)
    plan = plan_of(net)
    segments, total = _sink_segments(net, plan, threshold)
    shocks = draw_shocks(net, runs, seed, model)
    block = _block_buffer(plan.schedule.n, len(runs))
    available = plan.propagate_shocks(_origin(net), shocks, out=block)
    kept = np.zeros(len(runs))
    least = np.ones(len(runs))
    counts = np.zeros(len(net.sinks), dtype=np.int64)
    for segment in segments:
        rows = available[segment.rows]
        kept += (segment.demand @ rows)[0]
        counts[segment.sinks] = np.count_nonzero(rows < segment.cut[:, None], axis=1)
        ratio = rows * segment.inverse_baseline[:, None]
        ratio += segment.offset[:, None]
        np.minimum(least, ratio.min(axis=0), out=least)
    return {
        "runs": np.array(runs, dtype=int),
        "shortfall": 1.0 - kept / total,
        "worst": 1.0 - least,
        "short_counts": counts,
    }


# --- criticality (first-passage), for the chokepoints analytics -----------------------------
def traced(net) -> np.ndarray:
    """Bool per facility: supply traces to an origin (unshocked availability > 0); computed
    once per share matrix."""
    plan = plan_of(net)
    if "traced" not in plan.memo:
        plan.memo["traced"] = propagate(net, np.ones(len(net.facilities)), plan=plan) > 0
    return plan.memo["traced"]


def backward_plan_of(net) -> Plan:
    """The :class:`Plan` of ``S^T`` (the backward solves of criticality), built once per
    share matrix on the reversed schedule."""
    plan = plan_of(net)
    if "backward" not in plan.memo:
        plan.memo["backward"] = Plan.of(sp.csr_matrix(net.share_matrix.T),
                                        schedule_of(net).reversed)
    return plan.memo["backward"]


def criticality_values(net, weights: np.ndarray) -> np.ndarray:
    """All-node criticality: ``c[u] / (L[u, u] W)`` with ``c = L^T w`` (one backward solve).

    The definition of :func:`graphmodel.chokepoints.criticality` (first-passage share on
    recycling loops; facilities no origin reaches are NaN), computed on the engine: the
    backward solve runs level by level on ``S^T`` (its plan cached per matrix) with the
    columns of untraced facilities zeroed, and ``L[u, u]`` is needed only for facilities on
    a cycle. Every path from u back to u stays inside u's strongly connected component, so
    ``L[u, u]`` is the diagonal of
    ``(I - S_CC)^-1`` over the cyclic rows alone (:func:`graphmodel.loops.inverse_diagonal`:
    a Schur complement on the facilities that close the loops).

    Parameters
    ----------
    net : the network.
    weights : (n,) sink demand w (0 for facilities that are not selected sinks).

    Returns
    -------
    (n,) array, dimensionless in [0, 1]; NaN where supply traces to no origin.
    """
    from .loops import inverse_diagonal

    weights = np.asarray(weights, dtype=float)
    is_traced = traced(net)
    total = float(weights.sum())
    if total <= 0:
        return np.where(is_traced, 0.0, np.nan)
    # (S diag(t))^T = diag(t) S^T: zeroing the columns of untraced facilities is a row
    # scale of the backward solve, so the cached plan of S^T serves every call
    mask = is_traced.astype(float)
    through = backward_plan_of(net).solve(weights * mask, mask)
    diagonal = np.ones(len(weights))
    cycle_rows = np.flatnonzero(schedule_of(net).cyclic & is_traced)
    if cycle_rows.size:
        S = net.share_matrix
        diagonal[cycle_rows] = inverse_diagonal(S[cycle_rows][:, cycle_rows])
    return np.where(is_traced, through / diagonal / total, np.nan)
