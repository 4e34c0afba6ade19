"""Minimum node cuts between the origins and one sink, by augmenting paths.

The question: the fewest facilities whose joint failure leaves sink t with no supply path
from any origin. With a virtual source s feeding every origin, it is a minimum s-t node cut
of the carrying graph G (origins may be cut; s and t never are). By Menger's theorem its
size is the largest number of s-t paths that share no facility, a maximum flow on the
*node-split* graph H: each facility x becomes ``x_in -> x_out`` with capacity 1, each
link ``u -> v`` becomes ``u_out -> v_in`` with unlimited capacity, and s and t are not
split (the flow runs from ``s_out`` to ``t_in``).

Which cut
---------
A sink often has several minimum cuts (a sink fed by suppliers p1 and p2, each fed by one
mine, is cut by {p1, p2} and by the two mines). The one returned is the cut nearest the
sink, the one ``networkx.minimum_node_cut(G, s, t)`` returns: with T the set of nodes of H
that can still reach ``t_in`` in the residual graph of a maximum flow (the same set for
every maximum flow), the cut is every facility x with ``x_out`` in T and ``x_in`` not.
The networkx reference is kept in the tests, which compare the two on random graphs.

Method
------
Ford-Fulkerson with depth-first searches run *backwards* from ``t_in`` over residual edges:
each search that reaches the in-node of an origin (fed by s) gives an augmenting path; the
first search that finds none has visited exactly T. The cut size k is at most the sink's
number of suppliers, so a sink costs k + 1 searches, each visiting the part of its
upstream that the search walks through, never the whole network (suppliers nearest an
origin are tried first, so an augmenting search walks about one path to an origin);
networkx instead builds a residual network of the whole graph and runs a push-relabel flow
over it for every sink.

Residual edges of H for a flow given by ``succ`` (``succ[x] = y``: x's unit of flow goes on
to y; x carries flow exactly when it has a successor):

* ``x_in -> x_out`` when x carries no flow, and ``x_out -> x_in`` when it does;
* ``u_out -> v_in`` always (unlimited capacity), and ``v_in -> u_out`` when ``succ[u] = v``.
"""
from __future__ import annotations

import numpy as np

__all__ = ["InNeighbours", "sink_side_node_cut"]


class InNeighbours:
    """The carrying graph as lists of distinct in-neighbours (suppliers), plus the origins.

    Parameters
    ----------
    n : number of nodes (facility positions 0..n-1).
    supplier, customer : arrays of node positions, one entry per edge ``supplier ->
        customer`` (repeats, e.g. one per material, count once).
    origin : (n,) bool, the nodes the virtual source feeds.
    """

    def __init__(self, n: int, supplier: np.ndarray, customer: np.ndarray, origin: np.ndarray):
        supplier = np.asarray(supplier, dtype=np.int64)
        customer = np.asarray(customer, dtype=np.int64)
        origin = np.asarray(origin, dtype=bool)
        pairs = np.unique(customer * n + supplier) if len(supplier) else np.empty(0, np.int64)
        heads, tails = np.divmod(pairs, n)
        # each node's suppliers farthest from an origin first: the searches pop the last
        # pushed, so they head for the nearest origin instead of wandering through a large
        # recycling loop (13.7 ms per sink on a 96,000-node loop, one search of most of it
        # per augmenting path). The order changes which maximum flow is found, never the cut
        # (the set T of the module docstring is the same for every maximum flow).
        hops = _hops_from_origins(n, tails, heads, origin)
        order = np.lexsort((-hops[tails], heads))
        heads, tails = heads[order], tails[order]
        bounds = np.searchsorted(heads, np.arange(n + 1))
        flat = tails.tolist()
        self.suppliers: list[list[int]] = [flat[a:b] for a, b in zip(bounds[:-1].tolist(),
                                                                       bounds[1:].tolist())]
        self.origin: list[bool] = origin.tolist()


def _hops_from_origins(n: int, supplier: np.ndarray, customer: np.ndarray,
                       origin: np.ndarray) -> np.ndarray:
    """Per node, the fewest links from an origin to it (n + 1 where no origin reaches it),
    by a breadth-first search from every origin at once."""
    import scipy.sparse as sp  # noqa: PLC0415 - used on first cut search only
    from scipy.sparse.csgraph import shortest_path  # noqa: PLC0415

    source = n  # a virtual node feeding every origin
    starts = np.concatenate([np.full(int(origin.sum()), source), supplier])
    ends = np.concatenate([np.flatnonzero(origin), customer])
    graph = sp.csr_matrix((np.ones(starts.size), (starts, ends)), shape=(n + 1, n + 1))
    hops = shortest_path(graph, unweighted=True, indices=source)[:n] - 1
    return np.where(np.isfinite(hops), hops, n + 1).astype(np.int64)


def sink_side_node_cut(graph: InNeighbours, sink: int) -> list[int]:
    """The minimum s-t node cut nearest ``sink`` (module docstring), as node positions in
    increasing order; [] when the sink is an origin (s feeds it directly: no node cut
    exists; networkx answers the same) or when no origin reaches it."""
    suppliers, origin = graph.suppliers, graph.origin
    if origin[sink]:
        return []
    succ: dict[int, int] = {}
    start = 2 * sink  # residual nodes: 2x = x_in, 2x + 1 = x_out
    while True:
        # parent[r]: the residual node r's edge leads to, one step nearer t_in
        parent = {start: -1}
        stack = [start]
        found = -1
        while stack:
            node = stack.pop()
            x = node >> 1
            if node & 1:  # x_out: reached from x_in (x free) or from succ[x]'s in-node
                nxt = succ.get(x)
                previous = 2 * x if nxt is None else 2 * nxt
                if previous not in parent:
                    parent[previous] = node
                    stack.append(previous)
                continue
            if x != sink and origin[x]:  # s_out -> x_in: an augmenting path
                found = node
                break
            if x != sink and x in succ and node + 1 not in parent:  # x_out -> x_in (undo x)
                parent[node + 1] = node
                stack.append(node + 1)
            for u in suppliers[x]:  # u_out -> x_in, always residual
                if u != sink and 2 * u + 1 not in parent:
                    parent[2 * u + 1] = node
                    stack.append(2 * u + 1)
        if found < 0:
            return sorted(x for x in {r >> 1 for r in parent if r & 1}
                          if x != sink and 2 * x not in parent)
        _augment(succ, parent, found)


def _augment(succ: dict[int, int], parent: dict[int, int], first: int) -> None:
    """Push one unit along the path ``first -> parent[first] -> ... -> t_in``: a link edge
    ``u_out -> v_in`` sets ``succ[u] = v``; a reversed link edge ``w_in -> v_out`` cancels
    ``v -> w`` (a simple path enters v_out before it leaves it, so a cancel never undoes
    the path's own re-routing of v); node edges change nothing ``succ`` does not say."""
    node = first
    while True:
        following = parent[node]
        if following < 0:
            return
        a, b = node >> 1, following >> 1
        if a != b:
            if node & 1:            # a_out -> b_in: flow a -> b
                succ[a] = b
            elif succ.get(b) == a:  # a_in -> b_out: cancel b -> a
                del succ[b]
        node = following
