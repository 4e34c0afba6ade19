"""Pure propagation: availability after a shock, with no inventory and no rerouting.

For facility v, with own capacity factor ``f(v)`` and link factors ``g(u, v)``::

    a(v) = f(v) * sum_u s(v, u) * g(u, v) * a(u)       (v has inbound supply)
    a(v) = f(v)                                        (v is an origin)

where ``s(v, u)`` is the inbound share (``net.share_matrix``); ``a`` is the *supply
fraction*, 1 = the unshocked baseline. The engine solves for the lost fraction
``l = 1 - a``, which (rows of S summing to 1) satisfies::

    l = A l + c,   A = diag(f) (S o G),   c = 1 - f o (rowsum(S o G) + origin)

and takes the minimal non-negative solution with a :class:`graphmodel.solve.Plan` of the
link-factor block (link factors change the matrix, not just its rows, so the network's own
plan does not serve). Solving for the loss rather than for ``a``
means supply that circulates in a closed loop with no origin still counts as supply
(losing it is a loss), so in the simple outage case (``f = 0`` on a set F, 1 elsewhere,
no link factors) ``l(v)`` is exactly v's exposure to F: the share of its supply that
traces through F (first passage; a recycling loop is not counted twice).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..solve import Plan
from .core import Topology

#: Losses below this are rounding noise of the iterative solve, reported as no loss.
ROUNDING = 1e-12


def propagate(topo: Topology, f: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Supply fractions for a block of C shock columns at once.

    Parameters
    ----------
    topo : the network's arrays.
    f : (n, C) facility factors, ``1 - capacity_loss`` of the active shocks.
    g : (E, C) link factors (export controls and other link shocks), 1 = untouched.

    Returns
    -------
    (n, C) array of supply fractions ``a = 1 - l`` per facility and column.

    Notes
    -----
    Identical columns are solved once. The distinct columns are stacked into one
    block-diagonal operator (each block ``diag(f_k) (S o G_k)``) and solved by a single
    :meth:`~graphmodel.solve.Plan.solve`: no Python loop over columns.
    """
    keys = np.vstack([f, g])
    unique, inverse = np.unique(keys, axis=1, return_inverse=True)
    loss = solve_loss(topo, unique[: topo.n], unique[topo.n:])
    solved = 1.0 - np.where(loss < ROUNDING, 0.0, loss)     # clear iteration noise near 1
    return solved[:, np.asarray(inverse).ravel()]


def solve_loss(topo: Topology, f: np.ndarray, g: np.ndarray | None = None) -> np.ndarray:
    """Lost supply fractions ``l`` (n, C) for facility factors f (n, C) and link factors g (E, C)."""
    n, columns = topo.n, f.shape[1]
    carrying = topo.share > 0
    supplier, customer, share = topo.supplier[carrying], topo.customer[carrying], topo.share[carrying]
    link_factor = np.ones((int(carrying.sum()), columns)) if g is None else g[carrying, :]
    offset = n * np.arange(columns)
    rows = (customer[:, None] + offset[None, :]).ravel()
    cols = (supplier[:, None] + offset[None, :]).ravel()
    weights = share[:, None] * link_factor
    values = (f[customer, :] * weights).ravel()
    A = sp.csr_matrix((values, (rows, cols)), shape=(n * columns, n * columns))
    kept = np.zeros((n, columns))
    np.add.at(kept, customer, weights)
    c = 1.0 - f * (kept + topo.origin[:, None])
    return Plan.of(A).solve(np.clip(c, 0.0, 1.0).T.ravel()).reshape(columns, n).T
