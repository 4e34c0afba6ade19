"""Immediate dominators of a large, nearly acyclic directed graph, with array operations.

Definitions
-----------
In a directed graph with a root r, a node d *dominates* v when every path from r to v
passes through d (r dominates every node it reaches; v dominates itself). The *immediate
dominator* ``idom(v)`` of a reached node v != r is its nearest strict dominator; the strict
dominators of v are exactly its ancestors in the tree of immediate dominators. Nodes r does
not reach have none. This is what ``networkx.immediate_dominators`` computes; tests check
that the two agree on random graphs with and without cycles.

Method
------
Only the reached part of the graph matters, and edges into r or from a node to itself
never change who dominates whom, so they are dropped. The rest is condensed into strongly
connected components put in levels (:func:`graphmodel.solve.build_schedule`): every edge
goes from a lower level to a higher one, or stays inside one cyclic component. A caller
may pass a schedule it already has (e.g. a network's, built from a superset of these
edges): its components may then include the root, whose edges count as entering them, or
a node with a self-loop; each must still be strongly connected once the root is set aside
(checked; a schedule with merged loops is replaced by a new one), as the argument for
cyclic components below needs. Levels are processed in order; all of a level is handled
at once:

* an acyclic node v: every path to v ends with an edge p -> v from a predecessor p, and
  the dominators of v other than v are the nodes dominating *every* predecessor, so
  ``idom(v)`` is the lowest common ancestor (LCA), in the tree built so far, of all of v's
  predecessors (they lie in earlier levels, so their place in the tree is final);
* a cyclic component C: a path from r into C cannot leave C and come back (the
  condensation is acyclic), so every path from r to v in C is a path from r to an outside
  predecessor p of C, an edge p -> e into an entry node e of C, and a path from e to v
  inside C; and every such combination is a path. Hence a node outside C dominates v
  exactly when it dominates every outside predecessor of C: its ancestors (inclusive) of
  ``X = LCA(outside predecessors of C)``. A node of C dominates v exactly when it
  dominates v in the small graph made of C's own edges and a stand-in root x with an edge
  to every entry node. That small graph is solved by the iterative algorithm networkx
  uses (Cooper, Harvey and Kennedy) on plain lists, and ``idom(v)`` is its answer, or X
  where its answer is x.

Most sets of a wide, shallow tree have members under different children of r, so their
LCA is r: each node keeps ``top[v]``, its ancestor just below r, and only sets whose
members share one are lifted. The LCA of those is found for all of a level at once by
binary lifting: a table
``up[k, v]`` holds the ancestor 2^k steps above v (r above r); the members of a set are
lifted to the depth of the shallowest one, and then, from the largest step down, all
members move up together whenever their ancestors at that step still differ. The LCA is
then the common member, or its parent if they were not already equal. Cost: O(E log D)
array work for E edges and tree depth D, in as many rounds as there are levels.
"""
from __future__ import annotations

from typing import Optional

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order, connected_components

from .solve.schedule import Schedule, build_schedule, gather_columns

#: ``idom`` value of a node the root does not reach.
UNREACHED = -1


def immediate_dominators(successors: sp.spmatrix, root: int,
                         schedule: Optional[Schedule] = None) -> np.ndarray:
    """Immediate dominator of every node of the graph ``successors[u, v] != 0`` (edge u -> v).

    Returns an int64 array: ``idom[v]`` (``idom[root] = root``), :data:`UNREACHED` for nodes
    the root does not reach. See the module docstring for the method.

    ``schedule``, optional, is a level order already built for the predecessor pattern
    (``successors.T``, e.g. a network's cached schedule, :func:`schedule_with_root`): it
    saves building one. It is checked (O(edges)); one that some edge between reached nodes
    contradicts raises ValueError. The root's own level does not matter. One whose cyclic
    components are not each strongly connected here (merged loops, as a schedule reused for
    a sparser pattern may have) is replaced by a schedule built for the graph.
    """
    graph = sp.csr_matrix(successors, copy=True)
    graph.eliminate_zeros()  # a stored zero is no edge
    n = graph.shape[0]
    if graph.shape != (n, n):
        raise ValueError(f"successors must be square, got shape {graph.shape}")
    if not 0 <= root < n:
        raise ValueError(f"root {root} is not a node of a graph with {n} nodes")
    reached = np.zeros(n, dtype=bool)
    reached[breadth_first_order(graph, root, directed=True, return_predecessors=False)] = True
    predecessors = _reached_predecessors(graph, reached, root)
    if schedule is None:
        schedule = build_schedule(predecessors)
    elif not _schedule_fits(schedule, predecessors, root):
        raise ValueError("schedule does not fit the graph: some edge p -> v has p neither in an "
                         "earlier level than v nor in v's cyclic component")
    elif not _loops_strongly_connected(schedule, predecessors, reached, root):
        schedule = build_schedule(predecessors)  # coarser loops than the graph's (see below)
    return _attach_in_order(_Tree(n, root), predecessors, schedule, reached).idom


def _attach_in_order(tree: _Tree, predecessors: sp.csr_matrix, schedule: Schedule,
                     reached: np.ndarray) -> _Tree:
    """Attach every reached node, level by level. The predecessor lists are gathered once in
    schedule order, so a level's acyclic nodes (first in the level) and their sets are
    contiguous slices; cyclic nodes go through :func:`_attach_level`."""
    order = schedule.order[reached[schedule.order]]
    order = order[order != tree.root]
    level = schedule.level[order]  # ascending
    n_levels = schedule.n_levels
    bounds = np.searchsorted(level, np.arange(n_levels + 1))
    middles = bounds[:-1] + np.bincount(level[~schedule.cyclic[order]], minlength=n_levels)
    ptr = np.r_[0, np.cumsum(np.diff(predecessors.indptr)[order])]
    members = gather_columns(predecessors, order).astype(np.int64)
    bounds, middles, ptr_list = bounds.tolist(), middles.tolist(), ptr.tolist()
    for level in range(n_levels):
        start, middle, end = bounds[level], middles[level], bounds[level + 1]
        if middle > start:  # every reached node but the root has a predecessor
            first, last = ptr_list[start], ptr_list[middle]
            parents = tree.lowest_common_ancestors(members[first:last], ptr[start:middle] - first)
            tree.attach(order[start:middle], parents, tree.depth[parents] + 1)
        if end > middle:
            _attach_level(tree, predecessors, schedule, order[middle:end])
    return tree


def schedule_with_root(schedule: Schedule) -> Schedule:
    """``schedule`` (nodes ``0..n-1``) extended by a root n at level 0 with every other level
    one later: valid for a graph that adds to the original edges only edges out of n (the
    virtual source of a carrying graph)."""
    n = schedule.n
    return Schedule(level=np.r_[schedule.level + 1, 0],
                    component=np.r_[schedule.component, schedule.component.max(initial=-1) + 1],
                    cyclic=np.r_[schedule.cyclic, False],
                    order=np.r_[n, schedule.order], bounds=np.r_[0, schedule.bounds + 1])


def _schedule_fits(schedule: Schedule, predecessors: sp.csr_matrix, root: int) -> bool:
    """Every edge p -> v (``predecessors[v, p]``) out of a node other than the root goes to
    a later level or stays in a cyclic component (edges out of the root never matter: it is
    attached first)."""
    if schedule.n != predecessors.shape[0]:
        return False
    targets = np.repeat(np.arange(schedule.n), np.diff(predecessors.indptr))
    sources = predecessors.indices
    late = (schedule.level[sources] >= schedule.level[targets]) & (sources != root)
    sources, targets = sources[late], targets[late]
    return bool(np.all(schedule.cyclic[targets]
                       & (schedule.component[sources] == schedule.component[targets])))


def _loops_strongly_connected(schedule: Schedule, predecessors: sp.csr_matrix,
                              reached: np.ndarray, root: int) -> bool:
    """Is every cyclic component of ``schedule`` (its reached members other than the root)
    strongly connected by the graph's edges? The per-component step relies on it (module
    docstring). A schedule that is merely valid for the pattern may merge several loops
    and the nodes between them into one component (a schedule valid for a coarser pattern)."""
    inside = schedule.cyclic & reached
    inside[root] = False
    nodes = np.flatnonzero(inside)
    if nodes.size == 0:
        return True
    block = predecessors[nodes][:, nodes].tocoo()
    same = schedule.component[nodes[block.row]] == schedule.component[nodes[block.col]]
    loops = sp.csr_matrix((np.ones(int(same.sum()), dtype=np.int8), (block.row[same], block.col[same])),
                          shape=(nodes.size, nodes.size))
    n_strong, _ = connected_components(loops, directed=True, connection="strong")
    # The strong components refine the schedule's: equally many means the same ones.
    return n_strong == np.unique(schedule.component[nodes]).size


def _reached_predecessors(graph: sp.csr_matrix, reached: np.ndarray, root: int) -> sp.csr_matrix:
    """``P[v, p] = 1`` for each edge p -> v between reached nodes, without self-loops and
    edges into the root (neither changes dominance)."""
    coo = graph.tocoo()
    keep = reached[coo.row] & reached[coo.col] & (coo.row != coo.col) & (coo.col != root)
    n = graph.shape[0]
    # int32 counts: summing duplicate edges can never wrap round to a stored zero.
    matrix = sp.csr_matrix((np.ones(int(keep.sum()), dtype=np.int32), (coo.col[keep], coo.row[keep])),
                           shape=(n, n))
    matrix.sum_duplicates()
    return matrix


class _Tree:
    """The dominator tree built so far: idom, depth, and the binary-lifting table."""

    def __init__(self, n: int, root: int):
        self.root = root
        self.idom = np.full(n, UNREACHED, dtype=np.int64)
        self.depth = np.zeros(n, dtype=np.int64)
        self.up = np.zeros((1, n), dtype=np.int64)  # rows added as the tree deepens
        # top[v]: v's ancestor just below the root (v itself at depth 1; the root for the
        # root). Members under different children of the root have the root as their LCA,
        # which settles most sets of a wide, shallow tree without lifting.
        self.top = np.zeros(n, dtype=np.int64)
        self.idom[root] = root
        self.up[:, root] = root
        self.top[root] = root

    @property
    def steps(self) -> int:
        return self.up.shape[0]

    def attach(self, nodes: np.ndarray, parents: np.ndarray, depths: np.ndarray) -> None:
        """Record ``idom(nodes) = parents``; parents are attached already or among ``nodes``."""
        self.idom[nodes] = parents
        self.depth[nodes] = depths
        self.up[0, nodes] = parents
        for k in range(1, self.steps):  # all of up[k - 1] is final before up[k] is read
            self.up[k, nodes] = self.up[k - 1, self.up[k - 1, nodes]]
        while depths.size and depths.max() >= 2 ** self.steps:  # a jump must span any depth
            self.up = np.vstack([self.up, self.up[-1][self.up[-1]]])
        self.top[nodes] = self._lift(nodes, depths - 1)  # up[] is final for nodes now

    def _lift(self, nodes: np.ndarray, heights: np.ndarray) -> np.ndarray:
        """The ancestor ``heights`` steps above each node (heights < 2 ** steps)."""
        nodes = nodes.copy()
        for k in range(int(heights.max(initial=0)).bit_length()):
            move = (heights >> k) & 1 == 1
            nodes[move] = self.up[k, nodes[move]]
        return nodes

    def lowest_common_ancestors(self, members: np.ndarray, starts: np.ndarray) -> np.ndarray:
        """LCA of each set ``members[starts[i]:starts[i + 1]]`` (non-empty, attached nodes)."""
        sizes = np.diff(np.append(starts, len(members)))
        tops = self.top[members]
        apart = ~_all_equal(tops, starts)  # under different children of the root
        result = np.where(apart, self.root, members[starts])  # a set of one is its own LCA
        lift = (sizes > 1) & ~apart  # (a set's members are distinct: no duplicate edges)
        several = np.flatnonzero(lift)
        if several.size:
            picked = members[np.repeat(lift, sizes)]  # their members, still grouped
            result[several] = self._lca_of_sets(picked, np.cumsum(sizes[several]) - sizes[several])
        return result

    def _lca_of_sets(self, members: np.ndarray, starts: np.ndarray) -> np.ndarray:
        sizes = np.diff(np.append(starts, len(members)))
        set_of = np.repeat(np.arange(len(starts)), sizes)
        nodes = members.copy()
        depth = self.depth[nodes]
        steps = min(self.steps, int(depth.max()).bit_length())  # no set spans more
        # lift every member to its set's shallowest depth
        nodes = self._lift(nodes, depth - np.minimum.reduceat(depth, starts)[set_of])
        equal = _all_equal(nodes, starts)
        for k in range(steps - 1, -1, -1):
            above = self.up[k, nodes]
            move = ~_all_equal(above, starts)[set_of]
            nodes[move] = above[move]
        first = nodes[starts]
        return np.where(equal, first, self.up[0, first])


def _all_equal(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    return np.minimum.reduceat(values, starts) == np.maximum.reduceat(values, starts)


def _attach_level(tree: _Tree, predecessors: sp.csr_matrix, schedule, rows: np.ndarray) -> None:
    """Immediate dominators of one level's nodes (see the module docstring)."""
    counts = np.diff(predecessors.indptr)[rows]
    targets = np.repeat(rows, counts)
    sources = gather_columns(predecessors, rows).astype(np.int64)
    component = schedule.component
    cyclic = schedule.cyclic[targets]
    # An edge out of the root counts as entering a component even if the root is in it (a
    # given schedule may put it there: edges into the root, dropped here, close the loop).
    inside = cyclic & (component[sources] == component[targets]) & (sources != tree.root)
    # One set per acyclic node (its predecessors) and per cyclic component (the
    # predecessors of its members from outside it); the key tells them apart.
    n = len(schedule.level)
    key = np.where(cyclic, n + component[targets], targets)[~inside]
    members = sources[~inside]
    order = np.argsort(key, kind="stable")
    key, members = key[order], members[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    lca = tree.lowest_common_ancestors(members, starts)
    set_keys = key[starts]
    plain = set_keys < n
    nodes = set_keys[plain]
    tree.attach(nodes, lca[plain], tree.depth[lca[plain]] + 1)
    for label, entry_dominator in zip(set_keys[~plain] - n, lca[~plain]):
        _attach_component(tree, label, entry_dominator, rows, component,
                          targets[inside], sources[inside], targets[cyclic & ~inside])


def _attach_component(tree: _Tree, label: int, entry_dominator: int, rows: np.ndarray,
                      component: np.ndarray, inner_targets: np.ndarray,
                      inner_sources: np.ndarray, entered: np.ndarray) -> None:
    """A cyclic component: its own edges from a stand-in root (module docstring), solved by
    :func:`_small_dominators` in local numbering (stand-in 0, members 1..m)."""
    members = np.sort(rows[component[rows] == label])
    mine = component[inner_targets] == label
    entries = np.unique(entered[component[entered] == label])
    sources = np.r_[np.zeros(entries.size, dtype=np.int64), np.searchsorted(members, inner_sources[mine]) + 1]
    targets = np.searchsorted(members, np.r_[entries, inner_targets[mine]]) + 1
    size = members.size + 1
    local = sp.csr_matrix((np.ones(sources.size, dtype=np.int8), (sources, targets)), shape=(size, size))
    back = sp.csr_matrix(local.T)
    idom, depth = _small_dominators(_adjacency(local), _adjacency(back))
    parents = np.r_[entry_dominator, members][np.array(idom[1:], dtype=np.int64)]
    tree.attach(members, parents, tree.depth[entry_dominator] + np.array(depth[1:], dtype=np.int64))


def _adjacency(matrix: sp.csr_matrix) -> list[list[int]]:
    indptr, indices = matrix.indptr.tolist(), matrix.indices.tolist()
    return [indices[indptr[i]:indptr[i + 1]] for i in range(matrix.shape[0])]


def _small_dominators(successors: list[list[int]], predecessors: list[list[int]]
                      ) -> tuple[list[int], list[int]]:
    """Immediate dominators and tree depths of nodes 0..m-1 from root 0 (``idom[0] = 0``),
    every node reachable from 0: the iterative algorithm of Cooper, Harvey and Kennedy ("A
    Simple, Fast Dominance Algorithm", 2001), as networkx uses, on plain lists (a loop is
    small; a networkx graph of it cost more than the solve)."""
    m = len(successors)
    postorder, seen, stack = [], [False] * m, [(0, iter(successors[0]))]
    seen[0] = True
    while stack:  # depth-first search without recursion
        node, pending = stack[-1]
        for after in pending:
            if not seen[after]:
                seen[after] = True
                stack.append((after, iter(successors[after])))
                break
        else:
            stack.pop()
            postorder.append(node)
    number = [0] * m
    for position, node in enumerate(postorder):
        number[node] = position
    ordered = postorder[::-1]  # reverse postorder: a dominator before what it dominates
    idom = [-1] * m
    idom[0] = 0
    changed = True
    while changed:
        changed = False
        for node in ordered[1:]:
            new = -1
            for before in predecessors[node]:
                if idom[before] == -1:
                    continue  # not processed yet
                if new == -1:
                    new = before
                    continue
                a, b = before, new  # walk both up the tree to where they meet
                while a != b:
                    while number[a] < number[b]:
                        a = idom[a]
                    while number[b] < number[a]:
                        b = idom[b]
                new = a
            if idom[node] != new:
                idom[node] = new
                changed = True
    depth = [0] * m
    for node in ordered[1:]:
        depth[node] = depth[idom[node]] + 1
    return idom, depth
