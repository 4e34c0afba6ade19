"""The supply algebra: inbound share matrix and its fixed-point solves.

Notation follows input-output analysis (pymrio's ``calc_A``/``calc_L``), read per unit of
a customer's input rather than per unit of output:

* ``S`` (n x n, sparse): ``S[v, u] = volume(u -> v) / inbound_volume(v)``, the share of
  facility v's inbound supply that comes from u (all materials summed, in v's input unit).
  Rows of facilities with inbound supply sum to 1; rows of origins (no inbound) are 0.
* ``L = (I - S)^-1 = I + S + S^2 + ...``: ``L[k, u]`` is the share of k's supply that
  passes through u, summed over every path from u to k (paths of length 0 included).

Every analytic solves ``x = A x + b`` (or a row-scaled ``x = F o (A x) + b``) with
``A = S`` or ``S^T``: the minimal non-negative solution, the limit of the Neumann series
``x <- A x + b``. A closed cycle with no outside input contributes nothing (it traces to no
origin); every cycle fed from outside leaks, so the solution is finite. The solver is
:mod:`graphmodel.solve` (level-ordered plans, exact on acyclic parts and on loops).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .lookup import positions


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
