"""Pure propagation: availability after a shock, with no inventory and no rerouting.

For facility v, with own capacity factor ``f(v)`` and link factors ``g(u, v)``::

    a(v) = f(v) * sum_u s(v, u) * g(u, v) * a(u)       (v has inbound supply)
    a(v) = f(v)                                        (v is an origin)

where ``s(v, u)`` is the inbound share (``net.share_matrix``). In matrix form
``a = A a + b`` with ``A = diag(f) (S o G)`` and ``b = f o origin``, the minimal
non-negative solution, found by :func:`graphmodel.algebra.neumann_solve`. Results are
*supply fractions*: ``a`` divided by the unshocked solution (1 wherever supply traces to
an origin), so 1 means full supply and 0 none.

In the simple outage case (``f = 0`` on a set F of facilities, 1 elsewhere, no link
factors) ``1 - a(v)`` is the share of v's supply that traces through F: its exposure.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..algebra import neumann_solve
from .core import Topology


def baseline_availability(topo: Topology) -> np.ndarray:
    """The unshocked solution a0 (n,): 1 where supply traces to origins (0 for closed loops)."""
    f = np.ones((topo.n, 1))
    g = np.ones((topo.n_links, 1))
    return _solve_unique(topo, f, g)[:, 0]


def propagate(topo: Topology, f: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Supply fractions for a block of C shock columns at once.

    Parameters
    ----------
    topo : the network's arrays.
    f : (n, C) facility factors, ``1 - capacity_loss`` of the active shocks.
    g : (E, C) link factors (export controls and other link shocks), 1 = untouched.

    Returns
    -------
    (n, C) array: ``a / a0`` per facility and column (1 where ``a0`` is 0: nothing to lose).

    Notes
    -----
    Identical columns are solved once. The distinct columns are stacked into one
    block-diagonal operator (each block ``diag(f_k) (S o G_k)``) and solved by a single
    :func:`~graphmodel.algebra.neumann_solve` call: no Python loop over columns.
    """
    keys = np.vstack([f, g])
    unique, inverse = np.unique(keys, axis=1, return_inverse=True)
    solved = _solve_unique(topo, unique[: topo.n], unique[topo.n:])
    base = baseline_availability(topo)
    fraction = np.divide(solved, base[:, None], out=np.ones_like(solved), where=base[:, None] > 0)
    return fraction[:, np.asarray(inverse).ravel()]


def _solve_unique(topo: Topology, f: np.ndarray, g: np.ndarray) -> np.ndarray:
    n, columns = topo.n, f.shape[1]
    carrying = topo.share > 0
    supplier, customer, share = topo.supplier[carrying], topo.customer[carrying], topo.share[carrying]
    offset = n * np.arange(columns)
    rows = (customer[:, None] + offset[None, :]).ravel()
    cols = (supplier[:, None] + offset[None, :]).ravel()
    values = (f[customer, :] * share[:, None] * g[carrying, :]).ravel()
    A = sp.csr_matrix((values, (rows, cols)), shape=(n * columns, n * columns))
    b = (f * topo.origin[:, None]).T.ravel()
    return neumann_solve(A, b).reshape(columns, n).T
