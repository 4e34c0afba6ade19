"""The supply algebra: inbound share matrix and its fixed-point solves.

Notation follows input-output analysis (pymrio's ``calc_A``/``calc_L``), read per unit of
a customer's input rather than per unit of output:

* ``S`` (n x n, sparse): ``S[v, u] = volume(u -> v) / inbound_volume(v)``, the share of
  facility v's inbound supply that comes from u (all materials summed, in v's input unit).
  Rows of facilities with inbound supply sum to 1; rows of origins (no inbound) are 0.
* ``L = (I - S)^-1 = I + S + S^2 + ...``: ``L[k, u]`` is the share of k's supply that
  passes through u, summed over every path from u to k (paths of length 0 included).

Both solves below iterate the Neumann series ``x <- A x + b``. On an acyclic network this
is exact after as many steps as the longest path (the increment becomes exactly zero);
on recycling cycles every cycle fed from outside leaks, so the series converges
geometrically, and convergence is checked, never assumed. A closed cycle with no outside
input contributes nothing (it traces to no origin): the minimal non-negative solution.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ._lookup import positions
from .errors import ConvergenceError

DEFAULT_TOLERANCE = 1e-15
DEFAULT_MAX_ITERATIONS = 100_000
#: Solve through the level-ordered engine (:mod:`graphmodel.engine`); False = the plain series
#: below (kept as the simple reference and for benchmarks that compare the two).
USE_LEVEL_ENGINE = True


def share_matrix(links: pd.DataFrame, index: pd.Index) -> sp.csr_matrix:
    """Inbound share matrix ``S`` over facilities in ``index`` order.

    Parameters
    ----------
    links : DataFrame with columns ``supplier``, ``customer``, ``volume``.
        Links with zero volume (candidates) contribute nothing.
    index : the facility ids that number the rows and columns.

    Returns
    -------
    scipy.sparse.csr_matrix of shape (n, n) with ``S[v, u]`` as defined in the module
    docstring; parallel links (several materials) are summed.
    """
    volume = links["volume"].to_numpy(dtype=float)
    carrying = volume > 0
    return share_matrix_from_positions(positions(index, links["supplier"])[carrying],
                                       positions(index, links["customer"])[carrying],
                                       volume[carrying], len(index))


def share_matrix_from_positions(supplier: np.ndarray, customer: np.ndarray,
                                volume: np.ndarray, n: int) -> sp.csr_matrix:
    """:func:`share_matrix` from the carrying links' supplier and customer positions
    (row/column numbers) and volumes."""
    matrix = sp.csr_matrix((volume, (customer, supplier)), shape=(n, n))
    matrix.sum_duplicates()
    inbound = np.asarray(matrix.sum(axis=1)).ravel()
    scale = np.divide(1.0, inbound, out=np.zeros(n), where=inbound > 0)
    return sp.csr_matrix(sp.diags(scale) @ matrix)


def neumann_solve(
    A: sp.spmatrix,
    b: np.ndarray,
    *,
    tol: float = DEFAULT_TOLERANCE,
    max_iterations: int = DEFAULT_MAX_ITERATIONS,
) -> np.ndarray:
    """Minimal non-negative solution of ``x = A x + b`` by the Neumann series.

    ``A`` must be non-negative with row sums <= 1 (a share matrix, possibly with rows
    masked to zero); ``b`` is a vector (n,) or a block (n, K) solved column-wise at once.
    Stops when no entry changes by more than ``tol * max(1, max|x|)``; raises
    :class:`~graphmodel.errors.ConvergenceError` after ``max_iterations`` steps.

    With :data:`USE_LEVEL_ENGINE` (the default) the same solution is computed level by level
    (:func:`graphmodel.engine.level_solve`: acyclic parts in one pass, recycling loops
    iterated with the same convergence check), which is ~depth times cheaper on big networks.
    """
    if USE_LEVEL_ENGINE:
        from .engine import level_solve  # engine imports nothing from here; lazy for clarity

        return level_solve(A, b, tol=tol, max_iterations=max_iterations)
    A = sp.csr_matrix(A)
    x = np.array(b, dtype=float, copy=True)
    for _ in range(max_iterations):
        x_next = A @ x + b
        change = np.max(np.abs(x_next - x), initial=0.0)
        x = x_next
        if change <= tol * max(1.0, np.max(np.abs(x), initial=0.0)):
            return x
    raise ConvergenceError(
        f"supply propagation did not converge in {max_iterations} iterations "
        f"(last change {change:.3g}); check for recycling loops that return all their input")


def leontief_column_sums(S: sp.spmatrix, weights: np.ndarray, **kwargs) -> np.ndarray:
    """``c = L^T w``: for every facility u, ``sum_k w[k] L[k, u]``, by one backward solve.

    With ``w`` the sink demand, ``c[u]`` is the demand whose supply passes through u
    (the basis of criticality). Solves ``c = S^T c + w``.
    """
    return neumann_solve(sp.csr_matrix(S.T), np.asarray(weights, dtype=float), **kwargs)
