"""Share propagation shared by the compliance analytics.

All of compliance reduces to one fixed point on the share algebra (see
:mod:`graphmodel.algebra`). With ``s(v, u)`` the share of v's inbound that comes from u
over a chosen set of *kept* links,

    c(v) = ok(v) * ( sum_{u, link not exempt} s(v, u) c(u) + sum_{u, link exempt} s(v, u)
                     + [v has no kept inbound] )

``c(v)`` is the share of v's supply whose every upstream facility is ``ok`` (exempt links
end the trace as clean; facilities with no kept inbound are where traces end). It is the
minimal non-negative solution of ``c = A c + b`` with ``A = diag(ok) S_ne`` and
``b = ok * (exempt_in + origin)``; it lies in [0, 1] because each row of ``A`` plus ``b`` sums
to at most 1, and it never increases when an ``ok`` entry drops from 1 to 0 (the solution
is monotone in ``A`` and ``b``).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Optional

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from graphmodel.network import Network
from graphmodel.solve import Plan, Schedule, Trace, build_schedule, leontief_diagonal


@dataclass(frozen=True)
class Flow:
    """Kept carrying links as matrices over ``index`` (the facilities' order).

    ``S`` holds the shares over all kept links; ``S_ne`` the same with exempt links zeroed;
    ``exempt_in[v]`` the share of v's kept inbound via exempt links; ``origin[v]`` is True
    where v has no kept inbound (or sits on a closed loop, whose inbound rows are cut);
    ``inbound[v]`` the kept inbound volume. ``trace`` is the network's
    (:attr:`graphmodel.network.Network.trace`) when the flow is the whole network (every
    carrying link kept, none exempt, no closed loop): then ``S = S_ne`` is the share matrix
    and the network's plans and ``L[u, u]`` serve the flow.
    """

    index: pd.Index
    S: sp.csr_matrix
    S_ne: sp.csr_matrix
    exempt_in: np.ndarray
    origin: np.ndarray
    inbound: np.ndarray
    closed: np.ndarray  # on a loop fed from nowhere (see closed_loops)
    trace: Optional[Trace] = None

    # A flow that keeps or exempts only some links (or cuts a closed loop) has a matrix of
    # its own, so it builds its own schedule and plans, once per flow.
    @cached_property
    def schedule(self) -> Schedule:
        """Level order of ``S_ne``."""
        return self.trace.schedule if self.trace else build_schedule(self.S_ne)

    @cached_property
    def plan(self) -> Plan:
        """The plan of ``S_ne``: ``diag(ok)`` is a row scale of it."""
        return self.trace.forward if self.trace else Plan.of(self.S_ne, self.schedule)

    @cached_property
    def backward(self) -> Plan:
        """The plan of ``S_ne^T``."""
        if self.trace:
            return self.trace.backward
        return Plan.of(sp.csr_matrix(self.S_ne.T), self.schedule.reversed)

    @cached_property
    def diagonal(self) -> np.ndarray:
        """``L[u, u]`` of ``L = (I - S_ne)^-1`` (1 off cycles). Without a closed loop every
        facility is reached from an origin, so the network's traced diagonal is complete."""
        return self.trace.diagonal if self.trace else leontief_diagonal(self.S_ne, self.schedule)

    def share_ending_in(self, b: np.ndarray) -> np.ndarray:
        """``x = S_ne x + b`` clipped to [0, 1]: the share of each facility's supply whose
        trace ends in ``b`` (no ``ok`` gating)."""
        return np.clip(self.plan.solve(np.asarray(b, dtype=float)), 0.0, 1.0)

    def clean_share(self, ok: np.ndarray) -> np.ndarray:
        """``c`` of the module docstring for a 0/1 (or fractional) ``ok`` vector."""
        ok = np.asarray(ok, dtype=float)
        b = ok * (self.exempt_in + self.origin)
        return np.clip(self.plan.solve(b, ok), 0.0, 1.0)  # clip rounding (1 + 2e-16)

    def reach(self, ok: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """``X[k, j]``: share of k's supply whose nearest upstream facility with ``ok == 0``
        (walking up from k over non-exempt links, k itself included) is ``targets[j]``.

        Solves ``X = diag(ok) S_ne X + E`` with ``E[:, j]`` the unit vector of ``targets[j]``;
        only the targets' own ``ok`` should be 0 for this reading.
        """
        n = len(self.index)
        E = np.zeros((n, len(targets)))
        E[targets, np.arange(len(targets))] = 1.0
        if not len(targets):
            return E
        return self.plan.solve(E, np.asarray(ok, dtype=float))

    def through(self, targets: np.ndarray) -> np.ndarray:
        """``T[k, j]``: share of k's supply that passes through ``targets[j]`` over non-exempt
        links, first passage (paths around a recycling loop through the target count once)."""
        n = len(self.index)
        if not len(targets):
            return np.zeros((n, 0))
        E = np.zeros((n, len(targets)))
        E[targets, np.arange(len(targets))] = 1.0
        L = self.plan.solve(E)
        return L / L[targets, np.arange(len(targets))]

    def through_rows(self, sinks: np.ndarray) -> np.ndarray:
        """``T[j, u]``: share of ``sinks[j]``'s supply passing through u (first passage, over
        non-exempt links), for every u, by one backward block solve: rows of
        ``L = (I - S_ne)^-1`` divided by ``L[u, u]``."""
        n = len(self.index)
        W = np.zeros((n, len(sinks)))
        W[sinks, np.arange(len(sinks))] = 1.0
        rows = self.backward.solve(W).T if len(sinks) else W.T
        return rows / self.diagonal[None, :]


def build_flow(net: Network, keep: pd.Series | None = None, exempt: pd.Series | None = None
               ) -> Flow:
    """A :class:`Flow` over ``net.carrying_links`` filtered by the boolean ``keep`` (aligned to
    ``net.links``' index; default all) with ``exempt`` links (same alignment; default none)."""
    index = net.facilities.index
    n = len(index)
    supplier, customer, link_volume = net.link_positions  # the network's flat arrays
    selected = link_volume > 0
    if keep is not None:
        selected &= keep.reindex(net.links.index, fill_value=False).to_numpy(dtype=bool)
    ex = (np.zeros(int(selected.sum()), dtype=bool) if exempt is None
          else exempt.reindex(net.links.index, fill_value=False).to_numpy(dtype=bool)[selected])
    rows, cols, volume = customer[selected], supplier[selected], link_volume[selected]
    inbound = np.bincount(rows, weights=volume, minlength=n)
    scale = np.divide(1.0, inbound, out=np.zeros(n), where=inbound > 0)
    share = volume * scale[rows]
    closed = closed_loops(rows, cols, n)
    if keep is None and exempt is None and not closed.any():  # the network itself
        S = net.share_matrix
        return Flow(index, S, S, np.zeros(n), (inbound <= 0).astype(float), inbound, closed,
                    trace=net.trace)
    cut = closed[rows]  # a loop fed from nowhere: its members' inbound traces to no origin
    share = np.where(cut, 0.0, share)
    S = sp.csr_matrix((share, (rows, cols)), shape=(n, n))
    S_ne = sp.csr_matrix((np.where(ex, 0.0, share), (rows, cols)), shape=(n, n))
    S.sum_duplicates()
    S_ne.sum_duplicates()
    exempt_in = np.bincount(rows, weights=np.where(ex, share, 0.0), minlength=n)
    origin = ((inbound <= 0) | closed).astype(float)
    return Flow(index, S, S_ne, exempt_in, origin, inbound, closed)


def closed_loops(rows: np.ndarray, cols: np.ndarray, n: int) -> np.ndarray:
    """Facilities on a cycle that receives nothing from outside it (edges ``cols -> rows``).

    Such a loop returns all its input, so the share algebra has no finite first-passage
    solution there and its supply traces to no origin; tiern treats its members as trace
    ends (counted as untraced). Valid data rarely has one (a recycler feeding the only
    input of its own supplier)."""
    if not len(rows):
        return np.zeros(n, dtype=bool)
    graph = sp.csr_matrix((np.ones(len(rows)), (cols, rows)), shape=(n, n))
    _, label = connected_components(graph, directed=True, connection="strong")
    size = np.bincount(label, minlength=label.max() + 1)
    fed = np.zeros(len(size), dtype=bool)
    outside = label[rows] != label[cols]
    fed[label[rows][outside]] = True
    return (size[label] > 1) & ~fed[label]


def best_path(flow: Flow, weight: np.ndarray, start: int, stop: int) -> list[int]:
    """Facility positions from ``stop`` down to ``start``: walking upstream from ``start``,
    always to the supplier ``u`` maximising ``s(v, u) * weight[u]`` (``weight`` = e.g. the reach
    of ``stop``), until ``stop``. Returned upstream-first."""
    path = [start]
    seen = {start}
    current = start
    while current != stop:
        row = flow.S_ne.getrow(current)
        if row.nnz == 0:
            break
        scores = row.data * weight[row.indices]
        nxt = int(row.indices[int(np.argmax(scores))])
        if scores.max() <= 0 or nxt in seen:
            break
        path.append(nxt)
        seen.add(nxt)
        current = nxt
    return path[::-1]


def extend_upstream(flow: Flow, path: list[int]) -> list[int]:
    """Prefix ``path`` with the largest-share suppliers above its first node, to an origin."""
    seen = set(path)
    head = path[0]
    prefix = []
    while True:
        row = flow.S.getrow(head)
        if row.nnz == 0:
            break
        nxt = int(row.indices[int(np.argmax(row.data))])
        if nxt in seen:
            break
        prefix.append(nxt)
        seen.add(nxt)
        head = nxt
    return prefix[::-1] + path
