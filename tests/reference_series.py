"""The plain Neumann series: the simple reference of :mod:`graphmodel.solve`.

``x <- A x + b`` over the whole matrix until no entry changes by more than
``tol * max(1, max|x|)``. On an acyclic network this is exact after as many steps as the
longest path (the increment becomes exactly zero); on recycling cycles every cycle fed from
outside leaks, so the series converges geometrically, and convergence is checked, never
assumed. It shares nothing with the solver's plans; the tests and the benchmark compare
the two.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from graphmodel.errors import ConvergenceError

DEFAULT_TOLERANCE = 1e-15
DEFAULT_MAX_ITERATIONS = 100_000


def neumann_series(A: sp.spmatrix, b: np.ndarray, *, tol: float = DEFAULT_TOLERANCE,
                   max_iterations: int = DEFAULT_MAX_ITERATIONS) -> np.ndarray:
    """Minimal non-negative solution of ``x = A x + b`` by the Neumann series.

    ``A`` must be non-negative with row sums <= 1; ``b`` is (n,) or (n, K), solved
    column-wise at once. Raises :class:`~graphmodel.errors.ConvergenceError` after
    ``max_iterations`` steps.
    """
    A = sp.csr_matrix(A)
    x = np.array(b, dtype=float, copy=True)
    change = np.inf
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
    """``c = L^T w`` by the series: for every facility u, ``sum_k w[k] L[k, u]``
    (``c = S^T c + w``)."""
    return neumann_series(sp.csr_matrix(S.T), np.asarray(weights, dtype=float), **kwargs)
