"""Recycling loops: the diagonal of ``(I - A)^-1`` on a strongly connected block.

Criticality needs ``L[u, u]`` (``L = (I - S)^-1``) for every facility on a recycling loop:
``L[u, u] - 1`` is the share of u's supply that has already passed through u. A path from
u back to u stays inside u's strongly connected component, so only the block ``A`` of the
share matrix on the looped facilities matters (:func:`leontief_diagonal`).

Inverting that block column by column (a sparse LU solved for m unit vectors) costs
``m x nnz(LU)``: 35 s for the 6,000 looped facilities of a million-facility network. Loops
in supply chains close through a few facilities (recyclers feeding scrap back to alloy
makers), and that structure gives an exact shortcut.

Feedback vertex set and Schur complement
----------------------------------------
Split the block's facilities into a *feedback vertex set* F (every cycle passes through F,
:func:`~graphmodel.solve.schedule.feedback_vertex_set`) and the rest D, on which ``A_DD`` is
acyclic, so ``N = (I - A_DD)^-1`` has a unit diagonal and is applied by one level-ordered
solve. With the Schur complement on F (:func:`~graphmodel.solve.plan.schur_complement`)::

    T     = I - A_FF - A_FD N A_DF                  (f x f, dense)
    P     = N A_DF                                  (|D| x f, forward solve, f columns)
    Y     = N^T A_FD^T                              (|D| x f, backward solve, f columns)
    diag[(I - A)^-1]_F = diag(T^-1)
    diag[(I - A)^-1]_D = 1 + rowsum((P T^-1) o Y)

(block inversion: ``[(I - A)^-1]_DD = N + N A_DF T^-1 A_FD N``). The cost is three solves
with f right-hand sides on a sparse acyclic matrix plus an f x f inverse, instead of m sparse
triangular solves. The f columns are taken in chunks (``P T^-1`` chunk by chunk is
``N (A_DF T^-1[:, chunk])``, one more forward solve), so memory stays at ``m x chunk``
instead of the ``m x f`` of a dense ``P``.

Choosing the method by its cost
-------------------------------
:func:`inverse_diagonal` bounds the dense work: a dense inverse only for blocks under
``dense_below`` (:data:`DENSE_BELOW`) rows, the f x f Schur complement only for ``f <=
max_feedback`` (:data:`MAX_FEEDBACK`). The feedback set is searched small
(:func:`~graphmodel.solve.schedule.small_feedback_vertex_set`): the depth-first set is cheap
but not small on heavily recycled networks (2,817 facilities for a 20,000-facility loop
closed by 988 recyclers); a class of rows that meets every cycle (the recyclers, given the
stages) is taken when smaller, and failing that, above :data:`GREEDY_ABOVE`, a greedy set
(highest in x out degree first, 1,287 rows there); each set is pruned of rows that close
no cycle. A block with no small
feedback set is solved column by column instead, both ways exact: by sparse LU up to
:data:`LU_BELOW` rows (its fill is what makes it slow on supply networks with hubs: 2.7 to
10 million entries for a 20,000-row block with 58,000 links), by the plan's level-ordered
Gauss-Seidel sweeps with their convergence check above (:func:`sweep_diagonal`).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from .plan import BlockSolver, Plan, dense_columns, product_into, unit_columns
from .schedule import (GREEDY_ABOVE, Schedule, build_schedule, feedback_vertex_set,
                       small_feedback_vertex_set)

__all__ = ["leontief_diagonal", "inverse_diagonal", "exact_diagonal_is_cheap", "schur_diagonal",
           "lu_diagonal",
           "sweep_diagonal", "MAX_FEEDBACK", "DENSE_BELOW", "LU_BELOW", "GREEDY_ABOVE"]

#: Largest feedback set f whose f x f Schur complement is formed and inverted densely
#: (3,000: 72 MB and a few seconds on one core; f^3 grows fast above): the block solver's
#: bound, so that the loop diagonal and the plans' exact solves decline the same loops.
MAX_FEEDBACK = BlockSolver.MAX_FEEDBACK
#: Blocks this small are inverted densely.
DENSE_BELOW = 400
#: Above the feedback bound, blocks up to this size take the sparse LU, larger ones sweeps.
LU_BELOW = 4000
#: Columns per chunk of the Schur and column-wise methods (memory: rows x CHUNK floats).
CHUNK = 256


def leontief_diagonal(S: sp.spmatrix, schedule: Schedule | None = None,
                      among: np.ndarray | None = None,
                      feedback: np.ndarray | None = None) -> np.ndarray:
    """``L[u, u]`` of ``L = (I - S)^-1`` for every row: 1 off cycles, the diagonal of
    ``(I - S_CC)^-1`` on the cyclic rows C (every path from u back to u stays in u's
    strongly connected component, so the block of the cyclic rows is enough).

    ``schedule`` (valid for ``S``, its components strongly connected) gives the cyclic rows;
    built when not given. ``among`` (bool per row) restricts the paths to those rows (the
    facilities reached from an origin, for criticality); rows outside get 1. ``feedback``
    (bool per row, meeting every cycle of ``S``: the network's
    :func:`~graphmodel.solve.schedule.loop_feedback`) saves searching the block for one.
    ``I - S_CC`` must be invertible (every loop leaks). Dimensionless, >= 1.
    """
    S = sp.csr_matrix(S)
    diagonal = np.ones(S.shape[0])
    if S.shape[0] == 0:
        return diagonal
    schedule = schedule or build_schedule(S)
    on_cycle = schedule.cyclic if among is None else schedule.cyclic & among
    cyclic = np.flatnonzero(on_cycle)
    if cyclic.size:
        given = None if feedback is None else np.flatnonzero(np.asarray(feedback, dtype=bool)[cyclic])
        diagonal[cyclic] = inverse_diagonal(S[cyclic][:, cyclic], feedback=given)
    return diagonal


def inverse_diagonal(block: sp.spmatrix, *, max_feedback: int | None = None,
                     dense_below: int | None = None, lu_below: int | None = None,
                     feedback: np.ndarray | None = None) -> np.ndarray:
    """Diagonal of ``(I - block)^-1`` for a square non-negative ``block``.

    ``block`` is a share matrix restricted to looped facilities (``block[i, j]``: share of
    i's supply from j), with ``I - block`` invertible (every loop leaks). Exact by every
    route; the route is chosen by its cost (module docstring): dense inverse below
    ``dense_below`` rows, Schur complement on a feedback set of at most ``max_feedback``
    facilities, else column by column (sparse LU up to ``lu_below`` rows, converged sweeps
    above). The bounds default to :data:`DENSE_BELOW`, :data:`MAX_FEEDBACK` and
    :data:`LU_BELOW`. ``feedback``: sorted positions of rows meeting every cycle of
    ``block``, used as given in place of searching one
    (:func:`~graphmodel.solve.schedule.small_feedback_vertex_set`). Dimensionless, >= 1.
    """
    max_feedback = MAX_FEEDBACK if max_feedback is None else max_feedback
    dense_below = DENSE_BELOW if dense_below is None else dense_below
    lu_below = LU_BELOW if lu_below is None else lu_below
    block = sp.csr_matrix(block, dtype=float)
    size = block.shape[0]
    if size == 0:
        return np.empty(0)
    if size < dense_below:
        return np.diag(np.linalg.inv(np.eye(size) - block.toarray())).copy()
    feedback = (small_feedback_vertex_set(block) if feedback is None
                else np.asarray(feedback, dtype=np.int64))
    if feedback.size <= min(max_feedback, size // 2):
        return schur_diagonal(block, feedback)
    if size <= lu_below:
        return lu_diagonal(block)
    return sweep_diagonal(block)


def exact_diagonal_is_cheap(size: int, feedback: int) -> bool:
    """Whether :func:`inverse_diagonal` of a block of ``size`` rows with a feedback set of
    ``feedback`` rows takes a cheap exact route (dense below :data:`DENSE_BELOW` rows, the
    Schur complement up to :data:`MAX_FEEDBACK`, sparse LU up to :data:`LU_BELOW` rows)
    rather than a solve per column (on a 203,000-facility loop with 11,600 feedback rows:
    hours). Callers that need only the largest first-passage values bound the rest instead
    (:meth:`graphmodel.solve.Trace.first_passage_ranked`)."""
    return size < DENSE_BELOW or feedback <= min(MAX_FEEDBACK, size // 2) or size <= LU_BELOW


def schur_diagonal(block: sp.csr_matrix, feedback: np.ndarray, chunk: int | None = None,
                   T_inverse: np.ndarray | None = None) -> np.ndarray:
    """Diagonal of ``(I - block)^-1`` by the Schur complement on ``feedback`` (a set meeting
    every cycle of ``block``; module docstring), the f columns ``chunk`` at a time.
    ``T_inverse``: the inverse Schur complement on ``feedback`` (in its order) when the
    caller has it (a plan's :class:`~graphmodel.solve.plan.BlockSolver`), in place of
    building and inverting ``T`` here.

    D is kept in the level order of ``A_DD`` throughout, so ``N`` and ``N^T`` are applied
    in place (:meth:`~graphmodel.solve.plan.Plan.substitute`) on two ``|D| x chunk``
    buffers allocated once: three sparse substitutions per chunk and no other ``|D| x
    chunk`` array, where a gather, a scatter and temporaries per solve used to cost more
    than the arithmetic (page faults on every fresh block).
    """
    chunk = chunk or CHUNK
    size = block.shape[0]
    in_feedback = np.zeros(size, dtype=bool)
    in_feedback[feedback] = True
    rest = np.flatnonzero(~in_feedback)
    f = feedback.size
    T = None if T_inverse is not None else np.eye(f) - block[feedback][:, feedback].toarray()
    diagonal = np.empty(size)
    if rest.size == 0:
        diagonal[feedback] = np.diag(np.linalg.inv(T) if T_inverse is None else T_inverse)
        return diagonal
    N = Plan.of(sp.csr_matrix(block[rest][:, rest]))  # acyclic: N = (I - A_DD)^-1
    rest = rest[N.order]                               # D in plan order from here on
    A_DF = sp.csr_matrix(block[rest][:, feedback])
    A_DF_columns = sp.csc_matrix(A_DF)
    A_FD = sp.csr_matrix(block[feedback][:, rest])
    buffers = np.empty((2, rest.size * min(chunk, f)))
    chunks = [(first, min(first + chunk, f)) for first in range(0, f, chunk)]
    if T_inverse is None:
        for first, last in chunks:  # T = I - A_FF - A_FD N A_DF
            P = dense_columns(buffers[0], rest.size, A_DF_columns, first, last)  # A_DF[:, chunk]
            T[:, first:last] -= A_FD @ N.substitute(P)
        T_inverse = np.linalg.inv(T)
    diagonal[feedback] = np.diag(T_inverse)
    A_FD_rows = sp.csc_matrix(A_FD.T)  # column i: row i of A_FD
    ones = np.ones(rest.size)
    for first, last in chunks:  # 1 + rowsum((N A_DF T^-1) o (N^T A_FD^T)) on the chunk
        PT = buffers[0, :rest.size * (last - first)].reshape(rest.size, last - first)
        product_into(A_DF, np.ascontiguousarray(T_inverse[:, first:last]), PT)
        N.substitute(PT)
        Y = N.substitute(dense_columns(buffers[1], rest.size, A_FD_rows, first, last), transpose=True)
        ones += np.einsum("ij,ij->i", PT, Y)
    diagonal[rest] = ones
    return diagonal


def lu_diagonal(block: sp.csr_matrix, chunk: int = 512) -> np.ndarray:
    """Diagonal of ``(I - block)^-1`` by a sparse LU solved for ``chunk`` unit columns at a
    time (for blocks without a small feedback vertex set)."""
    factor = splu(sp.csc_matrix(sp.identity(block.shape[0]) - block))
    return _diagonal_by_columns(block.shape[0], factor.solve, chunk)


def sweep_diagonal(block: sp.csr_matrix, chunk: int | None = None) -> np.ndarray:
    """Diagonal of ``(I - block)^-1`` column by column: ``M e_u`` for ``chunk`` unit columns
    at a time by the plan's solve of ``x = block x + e_u`` (GMRES over Gauss-Seidel sweeps
    to ``tol * max(1, max |x|)``, exact sparse LU for columns still moving after
    :data:`~graphmodel.solve.plan.DIRECT_AFTER` sweeps). Costs sweeps x links per row: the
    route of last resort, for large blocks without a small feedback set."""
    return _diagonal_by_columns(block.shape[0], Plan.of(block).solve, chunk or CHUNK)


def _diagonal_by_columns(size: int, solve, chunk: int) -> np.ndarray:
    """Diagonal of ``M`` from ``solve(E) = M E`` on ``chunk`` unit columns at a time."""
    diagonal = np.empty(size)
    for start in range(0, size, chunk):
        columns = np.arange(start, min(start + chunk, size))
        diagonal[columns] = solve(unit_columns(size, columns))[columns, np.arange(columns.size)]
    return diagonal
