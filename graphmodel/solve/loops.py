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
solve. With the Schur complement on F (:func:`~graphmodel.solve.plan.schur_parts`)::

    T     = I - A_FF - A_FD N A_DF                  (f x f, dense)
    P     = N A_DF                                  (|D| x f, forward solve, f columns)
    Y     = N^T A_FD^T                              (|D| x f, backward solve, f columns)
    diag[(I - A)^-1]_F = diag(T^-1)
    diag[(I - A)^-1]_D = 1 + rowsum((P T^-1) o Y)

(block inversion: ``[(I - A)^-1]_DD = N + N A_DF T^-1 A_FD N``). The cost is two solves with
f right-hand sides on a sparse acyclic matrix plus an f x f inverse, instead of m sparse
triangular solves. When F is large compared to the block (no small set of loop-closing
facilities), the sparse LU is used.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from .plan import Plan, schur_parts
from .schedule import Schedule, build_schedule, feedback_vertex_set

#: Above this many feedback vertices the dense Schur complement (f^3) loses to sparse LU.
MAX_FEEDBACK = 3000
#: Blocks this small are inverted densely.
DENSE_BELOW = 400


def leontief_diagonal(S: sp.spmatrix, schedule: Schedule | None = None,
                      among: np.ndarray | None = None) -> np.ndarray:
    """``L[u, u]`` of ``L = (I - S)^-1`` for every row: 1 off cycles, the diagonal of
    ``(I - S_CC)^-1`` on the cyclic rows C (every path from u back to u stays in u's
    strongly connected component, so the block of the cyclic rows is enough).

    ``schedule`` (valid for ``S``, its components strongly connected) gives the cyclic rows;
    built when not given. ``among`` (bool per row) restricts the paths to those rows (the
    facilities reached from an origin, for criticality); rows outside get 1. ``I - S_CC``
    must be invertible (every loop leaks). Dimensionless, >= 1.
    """
    S = sp.csr_matrix(S)
    diagonal = np.ones(S.shape[0])
    if S.shape[0] == 0:
        return diagonal
    schedule = schedule or build_schedule(S)
    on_cycle = schedule.cyclic if among is None else schedule.cyclic & among
    cyclic = np.flatnonzero(on_cycle)
    if cyclic.size:
        diagonal[cyclic] = inverse_diagonal(S[cyclic][:, cyclic])
    return diagonal


def inverse_diagonal(block: sp.spmatrix) -> np.ndarray:
    """Diagonal of ``(I - block)^-1`` for a square non-negative ``block``.

    ``block`` is a share matrix restricted to looped facilities (``block[i, j]``: share of
    i's supply from j), with ``I - block`` invertible (every loop leaks). Exact: Schur
    complement on a feedback vertex set, dense inverse for small blocks, sparse LU when the
    feedback set is large (see the module docstring). Dimensionless, >= 1.
    """
    block = sp.csr_matrix(block, dtype=float)
    size = block.shape[0]
    if size == 0:
        return np.empty(0)
    if size < DENSE_BELOW:
        return np.diag(np.linalg.inv(np.eye(size) - block.toarray())).copy()
    feedback = feedback_vertex_set(block)
    if feedback.size > min(MAX_FEEDBACK, size // 2):
        return lu_diagonal(block)
    return schur_diagonal(block, feedback)


def schur_diagonal(block: sp.csr_matrix, feedback: np.ndarray) -> np.ndarray:
    """Diagonal of ``(I - block)^-1`` by the Schur complement on ``feedback`` (a set meeting
    every cycle of ``block``; module docstring)."""
    size = block.shape[0]
    in_feedback = np.zeros(size, dtype=bool)
    in_feedback[feedback] = True
    rest = np.flatnonzero(~in_feedback)
    A_DD, A_FD, P, T = schur_parts(block, rest, feedback)
    Y = Plan.of(sp.csr_matrix(A_DD.T)).solve(A_FD.T.toarray())  # N^T A_FD^T
    T_inverse = np.linalg.inv(T)
    diagonal = np.empty(size)
    diagonal[feedback] = np.diag(T_inverse)
    diagonal[rest] = 1.0 + np.einsum("ij,ij->i", P @ T_inverse, Y)
    return diagonal


def lu_diagonal(block: sp.csr_matrix, chunk: int = 512) -> np.ndarray:
    """Diagonal of ``(I - block)^-1`` by a sparse LU solved for ``chunk`` unit columns at a
    time (for blocks without a small feedback vertex set)."""
    size = block.shape[0]
    factor = splu(sp.csc_matrix(sp.identity(size) - block))
    diagonal = np.empty(size)
    for start in range(0, size, chunk):
        columns = np.arange(start, min(start + chunk, size))
        unit = np.zeros((size, columns.size))
        unit[columns, np.arange(columns.size)] = 1.0
        diagonal[columns] = factor.solve(unit)[columns, np.arange(columns.size)]
    return diagonal
