"""Level order of a sparse dependency graph: strongly connected components in levels.

The dependency graph of a square matrix ``A`` has an edge ``j -> i`` (row i depends on
column j) for every stored ``A[i, j] != 0``. It is condensed into its strongly connected
components and the components are put in *levels*: level 0 depends on nothing, level l only
on levels < l (longest-path layering of the condensation). A solve of ``x = A x + b`` that
visits the levels in order computes every acyclic row once from final values
(:class:`graphmodel.solve.plan.Plan`).

A :class:`Schedule` depends only on the sparsity pattern, so one built for ``A`` is valid
for every matrix whose pattern is a subset (rows masked or scaled), and its
:attr:`Schedule.reversed` is valid for ``A.T``; :meth:`Schedule.valid_for` checks it in
O(nnz).

:func:`feedback_vertex_set` finds rows that meet every cycle of a strongly connected block:
the plans order recycling loops by it and the loop solves split the block on it.
"""
from __future__ import annotations

import math

from dataclasses import dataclass
from functools import cached_property
from typing import Optional

import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph


@dataclass(frozen=True)
class Schedule:
    """A level order of the rows of a square sparse matrix (see the module docstring).

    Attributes
    ----------
    level : (n,) level of each row; every dependency ``A[i, j] != 0`` has
        ``level[j] < level[i]`` or ``j`` in the same cyclic component as ``i``.
    component : (n,) strongly connected component label of each row.
    cyclic : (n,) bool, row belongs to a cyclic component (a recycling loop, or a facility
        supplying itself).
    order : rows sorted by level, acyclic rows before cyclic ones within a level;
        ``bounds[l]:bounds[l+1]`` are the positions in ``order`` of the rows of level l.
    """

    level: np.ndarray
    component: np.ndarray
    cyclic: np.ndarray
    order: np.ndarray
    bounds: np.ndarray

    @classmethod
    def from_levels(cls, level: np.ndarray, component: np.ndarray,
                    cyclic: np.ndarray) -> "Schedule":
        """The schedule with the given levels, components and cyclic flags."""
        level = np.asarray(level, dtype=np.int64)
        order = np.lexsort((cyclic, level))  # by level; within a level, acyclic rows first
        counts = np.bincount(level, minlength=int(level.max(initial=-1)) + 1)
        bounds = np.concatenate([[0], np.cumsum(counts)])
        return cls(level=level, component=component, cyclic=cyclic, order=order, bounds=bounds)

    @property
    def n(self) -> int:
        return len(self.level)

    @property
    def n_levels(self) -> int:
        return len(self.bounds) - 1

    @property
    def n_cyclic(self) -> int:
        return int(self.cyclic.sum())

    def rows(self, level: int) -> np.ndarray:
        return self.order[self.bounds[level]:self.bounds[level + 1]]

    @cached_property
    def reversed(self) -> "Schedule":
        """The schedule of the transposed matrix: the same components, levels reversed."""
        level = self.level.max(initial=0) - self.level
        schedule = Schedule.from_levels(level, self.component, self.cyclic)
        schedule.__dict__["reversed"] = self
        return schedule

    def valid_for(self, A: sp.csr_matrix) -> bool:
        """True when every stored entry of ``A`` respects this level order (O(nnz))."""
        if A.shape != (self.n, self.n):
            return False
        row_level = np.repeat(self.level, np.diff(A.indptr))
        sample = slice(None, None, 97)  # cheap rejection of a wrong orientation first
        if np.any(self.level[A.indices[sample]] >= row_level[sample]) and not self._cyclic_ok(
                A, row_level, sample):
            return False
        return self._cyclic_ok(A, row_level, slice(None))

    def _cyclic_ok(self, A, row_level, part) -> bool:
        cols = A.indices[part]
        late = np.flatnonzero(self.level[cols] >= row_level[part])
        if late.size == 0:
            return True
        rows = np.searchsorted(A.indptr, np.arange(A.nnz)[part][late], side="right") - 1
        return bool(np.all(self.cyclic[rows] & (self.component[rows] == self.component[cols[late]])))


def strong_components(A: sp.csr_matrix) -> tuple[int, np.ndarray, np.ndarray]:
    """The strongly connected components of ``A``'s dependency graph (an edge per stored
    entry): their number, each row's component, and whether each row is on a cycle (in a
    component of two or more rows, or with a stored diagonal entry: a facility supplying
    itself)."""
    n = A.shape[0]
    n_components, component = csgraph.connected_components(A, directed=True, connection="strong")
    rows = np.repeat(np.arange(n), np.diff(A.indptr))
    size = np.bincount(component, minlength=n_components)
    cyclic = size[component] > 1
    cyclic[rows[rows == A.indices]] = True  # a facility supplying itself
    return n_components, component, cyclic


def build_schedule(A: sp.spmatrix) -> Schedule:
    """Condense the dependency graph of ``A`` into components and layer them by longest path."""
    A = sp.csr_matrix(A)
    n = A.shape[0]
    n_components, component, cyclic = strong_components(A)
    rows = np.repeat(np.arange(n), np.diff(A.indptr))
    cols = A.indices
    # Condensation edges: component of the supplier column -> component of the dependent row.
    source, target = component[cols], component[rows]
    crossing = source != target
    condensed = sp.csr_matrix((np.ones(int(crossing.sum()), dtype=np.int8),
                               (source[crossing], target[crossing])),
                              shape=(n_components, n_components))
    condensed.sum_duplicates()
    component_level = _longest_path_levels(condensed)
    return Schedule.from_levels(component_level[component], component, cyclic)


def _longest_path_levels(dag: sp.csr_matrix) -> np.ndarray:
    """Level of each node of a DAG (``dag[u, v]`` = edge u -> v): 0 for nodes without
    predecessors, else 1 + the largest level of a predecessor (Kahn's algorithm, one
    vectorised step per level)."""
    m = dag.shape[0]
    indegree = np.diff(sp.csc_matrix(dag).indptr).astype(np.int64)
    level = np.full(m, -1, dtype=np.int64)
    frontier = np.flatnonzero(indegree == 0)
    depth = 0
    while frontier.size:
        level[frontier] = depth
        successors = gather_columns(dag, frontier)
        if successors.size == 0:
            break
        nodes, counts = np.unique(successors, return_counts=True)
        indegree[nodes] -= counts
        frontier = nodes[indegree[nodes] == 0]
        depth += 1
    if (level < 0).any():  # cannot happen on a condensation; guard against misuse
        raise ValueError("the condensed dependency graph is not acyclic")
    return level


def gather_columns(matrix: sp.csr_matrix, rows: np.ndarray) -> np.ndarray:
    """Column indices of the stored entries of ``rows`` (concatenated), vectorised."""
    starts, ends = matrix.indptr[rows], matrix.indptr[rows + 1]
    counts = ends - starts
    total = int(counts.sum())
    if total == 0:
        return np.empty(0, dtype=matrix.indices.dtype)
    offsets = np.repeat(starts - (np.cumsum(counts) - counts), counts)
    return matrix.indices[np.arange(total) + offsets]


class _Adjacency:
    """A matrix's dependency graph as Python lists (the searches below read one entry at a
    time, where NumPy scalars cost 3x), converted once for all of them: for each row, the
    rows it depends on (``before``, from the CSR of ``matrix``) and the rows depending on it
    (``after``, from the CSR of its transpose)."""

    def __init__(self, matrix: sp.csr_matrix):
        matrix = sp.csr_matrix(matrix)
        transposed = sp.csr_matrix(matrix.T)
        self.before_indptr, self.before = matrix.indptr.tolist(), matrix.indices.tolist()
        self.after_indptr, self.after = transposed.indptr.tolist(), transposed.indices.tolist()


def feedback_vertex_set(matrix: sp.csr_matrix,
                        adjacency: Optional[_Adjacency] = None) -> np.ndarray:
    """Sorted positions of a set of rows meeting every cycle of ``matrix``'s dependency graph.

    Edge ``j -> i`` for each stored ``matrix[i, j] != 0`` (self-loops included). The tails or
    the heads of the back edges of one depth-first search, whichever set is smaller; not
    minimum (that is NP-hard), but on supply loops closed by recyclers it is the recyclers
    or the facilities they feed. Removing the tails leaves only tree, forward and cross
    edges, which follow the search's reverse postorder (acyclic); so does removing the heads.
    On one strongly connected component (a heavily recycled block) the same search runs
    compiled (:func:`_back_edges_from_row_0`: 0.35 -> 0.16 s on a 203,073-row loop).
    """
    n = matrix.shape[0]
    if n and csgraph.connected_components(matrix, directed=True, connection="strong")[0] == 1:
        tails, heads = _back_edges_from_row_0(matrix)
        chosen = tails if tails.size <= heads.size else heads
        return chosen.astype(np.int64)
    adjacency = adjacency or _Adjacency(matrix)
    indptr, indices = adjacency.after_indptr, adjacency.after  # j -> the i with matrix[i, j] != 0
    state = bytearray(n)  # 0 new, 1 on the stack, 2 done
    tails, heads = set(), set()
    for root in range(n):
        if state[root]:
            continue
        state[root] = 1
        stack = [(root, indptr[root])]
        while stack:
            node, cursor = stack[-1]
            if cursor < indptr[node + 1]:
                stack[-1] = (node, cursor + 1)
                child = indices[cursor]
                if state[child] == 0:
                    state[child] = 1
                    stack.append((child, indptr[child]))
                elif state[child] == 1:  # back edge: closes a cycle
                    tails.add(node)
                    heads.add(child)
            else:
                state[node] = 2
                stack.pop()
    chosen = tails if len(tails) <= len(heads) else heads
    return np.array(sorted(chosen), dtype=np.int64)


def _back_edges_from_row_0(matrix: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """The sorted distinct tails and heads of the back edges of :func:`feedback_vertex_set`'s
    depth-first search, on a matrix whose dependency graph is one strongly connected
    component (so the search from row 0 is the only tree): SciPy's search (compiled) visits
    each row's first unvisited dependant in column order, as the Python loop does, so the
    tree is the same. An edge ``u -> v`` is a back edge (v on the stack when u reads it)
    when v is u or one of its ancestors: ``pre[v] <= pre[u] < pre[v] + size[v]`` in
    preorder, a subtree being a run of the preorder."""
    n = matrix.shape[0]
    pattern = sp.csr_matrix(matrix, dtype=float, copy=True)
    pattern.data[:] = 1.0                            # stored zeros are links too
    after = sp.csr_matrix(pattern.T)                 # row j: the i with matrix[i, j] != 0
    after.sort_indices()
    order, parent = csgraph.depth_first_order(after, 0, directed=True,
                                              return_predecessors=True)
    pre = np.empty(n, dtype=np.int64)
    pre[order] = np.arange(n)
    size = [1] * n
    parents = parent.tolist()
    for u in reversed(order.tolist()):               # a row comes after its parent in preorder
        if parents[u] >= 0:
            size[parents[u]] += size[u]
    size = np.array(size, dtype=np.int64)
    tail = np.repeat(np.arange(n), np.diff(after.indptr))
    head = after.indices.astype(np.int64)
    back = (pre[head] <= pre[tail]) & (pre[tail] < pre[head] + size[head])
    return np.unique(tail[back]), np.unique(head[back])


def loop_feedback(A: sp.spmatrix, schedule: Schedule,
                  classes: Optional[np.ndarray] = None) -> np.ndarray:
    """Bool per row of ``A``: a set of rows meeting every cycle, found level by level by
    :func:`small_feedback_vertex_set` on the block of each level's cyclic rows (in
    ``schedule`` order; cycles never leave a level), with ``classes`` (an integer label per
    row, e.g. the facilities' stages) as candidate sets.

    Valid for every matrix whose dependency graph is a subgraph of ``A``'s or of its
    transpose's (a cycle reversed passes through the same rows): the network's forward
    and backward plans and its loop diagonal share one search (a network keeps it on its
    :class:`~graphmodel.solve.trace.Trace`)."""
    A = sp.csr_matrix(A)
    feedback = np.zeros(A.shape[0], dtype=bool)
    cyclic_sorted = schedule.cyclic[schedule.order]
    for level in range(schedule.n_levels):
        start, end = int(schedule.bounds[level]), int(schedule.bounds[level + 1])
        rows = schedule.order[start:end][cyclic_sorted[start:end]]
        if rows.size:
            feedback[rows[small_feedback_vertex_set(
                sp.csr_matrix(A[rows][:, rows]),
                None if classes is None else np.asarray(classes)[rows])]] = True
    return feedback


#: Depth-first feedback sets larger than this are compared with a greedy one (the greedy
#: search costs about a second at 100,000 looped rows; exact loop solves cost f^2 per
#: column and f^3 once).
GREEDY_ABOVE = 500


#: The exact loop solvers take feedback sets up to 3,000 rows (the block solver of
#: :mod:`.plan`, the Schur diagonal of :mod:`.loops`); the greedy search is worth its cost
#: only when the pruned depth-first set is less than this, so that it may get under them.
GREEDY_USEFUL_BELOW = 6000


def small_feedback_vertex_set(matrix: sp.csr_matrix,
                              classes: Optional[np.ndarray] = None) -> np.ndarray:
    """Sorted positions of a small set of rows meeting every cycle of ``matrix``'s
    dependency graph, the smallest of: the depth-first set (:func:`feedback_vertex_set`)
    pruned (:func:`prune_feedback`); with ``classes`` (an integer label per row), the rows
    of each class smaller than the best so far that meets every cycle
    (:func:`meets_every_cycle`), pruned; and where no class is smaller than the depth-first
    set and that has more than :data:`GREEDY_ABOVE` rows and fewer than
    :data:`GREEDY_USEFUL_BELOW`, the greedy set (:func:`greedy_feedback_vertex_set`),
    pruned. The first found wins a tie.

    Supply loops close through one kind of facility (scrap returns through recyclers), so a
    class is often the smallest set, which neither search finds; where one is, the greedy
    search (a quarter of a second at 20,000 looped rows) has never beaten it on any
    generated topology, and is not run. The loop solvers cost
    ``f^2`` per column and ``f^3`` once on a set of f rows: on a generated
    100,000-facility network with 20% of its facilities looped, f is 2,817 (depth-first),
    1,512 (depth-first, pruned), 1,327 (greedy), 1,285 (greedy, pruned) and 988 (its
    recyclers, the stage class; pruning keeps them all); where 96% of the facilities form
    one component, 1,332 (greedy, pruned) against 977 (recyclers, pruned). On a million
    facilities (a 203,000-facility loop) the sets are far above the exact solvers' bounds
    and the greedy search (4 s) is skipped."""
    adjacency = _Adjacency(matrix)
    feedback = prune_feedback(matrix, feedback_vertex_set(matrix, adjacency), adjacency)
    depth_first = feedback
    if classes is not None:
        classes = np.asarray(classes)
        for label in np.unique(classes):
            rows = np.flatnonzero(classes == label)
            if rows.size < feedback.size and meets_every_cycle(matrix, rows):
                rows = prune_feedback(matrix, rows, adjacency)
                feedback = rows if rows.size < feedback.size else feedback
    if feedback is depth_first and GREEDY_ABOVE < feedback.size < GREEDY_USEFUL_BELOW:
        greedy = prune_feedback(matrix, greedy_feedback_vertex_set(matrix), adjacency)
        feedback = greedy if greedy.size < feedback.size else feedback
    return feedback


def meets_every_cycle(matrix: sp.csr_matrix, rows: np.ndarray) -> bool:
    """True when every cycle of ``matrix``'s dependency graph passes through ``rows``: none
    of the other rows is on a cycle of their own (:func:`strong_components`)."""
    outside = np.ones(matrix.shape[0], dtype=bool)
    outside[rows] = False
    rest = np.flatnonzero(outside)
    return not strong_components(sp.csr_matrix(matrix[rest][:, rest]))[2].any()


def prune_feedback(matrix: sp.csr_matrix, feedback: np.ndarray,
                   adjacency: Optional[_Adjacency] = None) -> np.ndarray:
    """``feedback`` (sorted positions meeting every cycle of ``matrix``) without the rows
    that close no cycle once the others stay removed.

    The rest D is acyclic, so its longest-path levels are a potential that rises along
    every edge. A row v of the set, tried in order of in x out degree (fewest first),
    joins D when its largest predecessor potential in D is below its smallest successor
    potential: no path in D can then lead from a successor back to a predecessor, so D plus
    v stays acyclic, and v takes a potential between the two. Rows with a self-loop stay.
    A sufficient test only (a row failing it may still close no cycle), linear in the
    set's links. Sorted positions, a subset of ``feedback``.
    """
    feedback = np.asarray(feedback, dtype=np.int64)
    if feedback.size == 0:
        return feedback
    pattern = sp.csr_matrix(matrix, dtype=float, copy=True)
    pattern.data[:] = 1.0
    n = pattern.shape[0]
    in_set = np.zeros(n, dtype=bool)
    in_set[feedback] = True
    rest = np.flatnonzero(~in_set)
    potential = np.full(n, np.nan)
    if rest.size:
        potential[rest] = build_schedule(pattern[rest][:, rest]).level
    # in-degree x out-degree (the rows that depend on v: the stored entries of column v)
    score = (np.diff(pattern.indptr)[feedback]
             * np.bincount(pattern.indices, minlength=n)[feedback])
    # Python lists and floats: the loop reads a few entries per row, where NumPy's calls
    # cost more than the work (the same comparisons and the same midpoints)
    potential = potential.tolist()
    adjacency = adjacency or _Adjacency(matrix)
    in_indptr, in_indices = adjacency.before_indptr, adjacency.before
    out_indptr, out_indices = adjacency.after_indptr, adjacency.after
    infinity = math.inf
    kept = []
    for v in feedback[np.argsort(score, kind="stable")].tolist():
        before = in_indices[in_indptr[v]:in_indptr[v + 1]]
        if v in before:
            kept.append(v)
            continue
        after = out_indices[out_indptr[v]:out_indptr[v + 1]]
        # rows still in the set have no potential (nan): skipped
        high = max((potential[u] for u in before if potential[u] == potential[u]),
                   default=-infinity)
        low = min((potential[u] for u in after if potential[u] == potential[u]),
                  default=infinity)
        if not high < low:
            kept.append(v)
        elif high > -infinity and low < infinity:
            potential[v] = (high + low) / 2
        else:
            potential[v] = high + 1 if high > -infinity else (low - 1 if low < infinity else 0.0)
    return np.sort(np.array(kept, dtype=np.int64))


def greedy_feedback_vertex_set(matrix: sp.csr_matrix, fraction: float = 0.03) -> np.ndarray:
    """Sorted positions of a set of rows meeting every cycle of ``matrix``'s dependency
    graph, chosen greedily: facilities on a self-loop first, then in rounds, among the rows
    still on a cycle (strongly connected components of two or more), those with the largest
    in-degree x out-degree inside those components: up to ``fraction`` of them, only those
    within a factor 4 of the top score when they are at least a fifth of that many, else a
    fifth (at least one).

    Slower than :func:`feedback_vertex_set` (one strong-components pass per round) but much
    smaller on loops that close through a few hubs: on a generated 100,000-facility network
    with 20% of its facilities looped through 1,000 recyclers it finds about 1,330 rows
    against the depth-first search's 2,800 (and 1,540 against 4,140 where 96% of the
    facilities form one component). Not minimum either (NP-hard).
    """
    pattern = sp.csr_matrix(matrix, dtype=float, copy=True)  # a copy: the caller's values stay
    pattern.data[:] = 1.0
    n = pattern.shape[0]
    alive = pattern.diagonal() == 0
    chosen = [np.flatnonzero(~alive)]
    while True:
        keep = sp.diags(alive.astype(float))
        sub = sp.csr_matrix(keep @ pattern @ keep)
        _, label = csgraph.connected_components(sub, directed=True, connection="strong")
        on_cycle = alive & (np.bincount(label)[label] > 1)
        if not on_cycle.any():
            break
        keep = sp.diags(on_cycle.astype(float))
        sub = sp.csr_matrix(keep @ sub @ keep)
        sub.eliminate_zeros()
        score = np.diff(sub.indptr).astype(float) * np.diff(sp.csc_matrix(sub).indptr)
        pick = np.argsort(-score, kind="stable")[:max(1, int(fraction * on_cycle.sum()))]
        # hubs first: of this round's candidates only those near the top score, unless that
        # leaves fewer than a fifth of them (flat scores: take the round's share)
        strong = pick[score[pick] >= score[pick[0]] / 4]
        pick = strong if strong.size * 5 >= pick.size else pick[:max(1, pick.size // 5)]
        pick = pick[score[pick] > 0]
        chosen.append(pick)
        alive[pick] = False
    return np.unique(np.concatenate(chosen)).astype(np.int64)
