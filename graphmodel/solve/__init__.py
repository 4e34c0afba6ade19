"""The solver: minimal non-negative solutions of ``x = F o (A x) + b`` on the share matrix.

The equation
------------
Every analytic reduces to one fixed point on the inbound share matrix ``S``
(:mod:`graphmodel.algebra`: ``S[v, u]`` = share of v's inbound supply from u)::

    x = F o (A x) + b,      A = S (forward) or S^T (backward)

with a right-hand side ``b`` (n,) or (n, K) and an optional row scale ``F`` (zero rows mask
the matrix; facility factors ``f = 1 - capacity loss`` for propagation). Exposure is the
forward solve with the rows of the origin stage masked; availability and Monte Carlo are
``a = f o (S a) + f o origin``; criticality and the per-sink shares are the backward solve
``c = L^T w`` (``L = (I - S)^-1``) divided by ``L[u, u]`` (first passage on recycling loops).

The API
-------
* :class:`Plan` ``.of(A, schedule=None)`` permutes ``A`` once into level order;
  :meth:`Plan.solve` ``(b, row_scale=None)`` is the one solve.
* :class:`Trace` (``net.trace``, one per network): the schedule, the ``forward`` plan of
  ``S``, the ``backward`` plan of ``S^T``, the ``traced`` mask (reached from an origin) and
  the ``diagonal`` ``L[u, u]``; with :meth:`Trace.propagate`, :meth:`Trace.through` and
  :meth:`Trace.first_passage` on top.
* :func:`leontief_diagonal` / :func:`inverse_diagonal`: ``L[u, u]`` on recycling loops
  (Schur complement on a feedback vertex set, with the dense work bounded; the route is
  chosen by its cost, see :mod:`.loops`). Where no route is cheap,
  :meth:`Trace.first_passage_ranked` is exact for the largest values and bounds the rest.
* :class:`Schedule` / :func:`build_schedule`: strongly connected components in levels.

Layers: :mod:`.schedule` (graph order) <- :mod:`.plan` (solves) <- :mod:`.loops`
(inverse diagonal) <- :mod:`.trace` (per-network state); nothing here imports the rest of
graphmodel except its errors.

Caches
------
A schedule depends only on the sparsity pattern: the network's serves ``S`` with rows
masked or scaled and, reversed, ``S^T``. The network builds its :class:`Trace` on first use
and drops it with every other derived view when a table is replaced; nothing is cached at
module level. A plan of another matrix (a compliance flow, a scenario's link-factor block)
is built by whoever owns that matrix.

Exactness
---------
On acyclic parts a level-ordered solve is exact: every row is computed once, from final
values, in a fixed order (the sums a sparse product would do). Recycling loops are solved
exactly by a Schur complement on a feedback vertex set where their rows are unscaled (and
by a low-rank update for up to 128 scaled rows per column) when that set is small enough
for its dense f x f inverse (up to 3,000 rows, :class:`~graphmodel.solve.plan.BlockSolver`;
the set is searched small, :func:`~graphmodel.solve.schedule.small_feedback_vertex_set`),
otherwise by GMRES over Gauss-Seidel sweeps
(or the sweeps alone, extrapolated) until a sweep changes no entry by more than
``tol * max(1, max |x|)`` (default 1e-15), with an exact sparse LU for columns still moving
after :data:`~graphmodel.solve.plan.DIRECT_AFTER` sweeps. The result is the minimal
non-negative solution, the limit of the Neumann series ``x <- A x + b``: a closed loop that
no supply enters stays 0; a loop fed from outside that returns all its input has no finite
solution and raises :class:`~graphmodel.errors.ConvergenceError`. A column's result never
depends on the other columns of the block (Monte Carlo runs are bit-identical however
they are sharded). The plain series and networkx references in ``tests/`` check all this.
"""
from .loops import inverse_diagonal, leontief_diagonal
from .plan import DEFAULT_MAX_ITERATIONS, DEFAULT_TOLERANCE, Plan, SparseScale
from .schedule import Schedule, build_schedule, feedback_vertex_set
from .trace import Trace, reached_from

__all__ = [
    "Plan", "SparseScale", "Schedule", "Trace", "build_schedule", "feedback_vertex_set",
    "inverse_diagonal", "leontief_diagonal", "reached_from", "DEFAULT_TOLERANCE",
    "DEFAULT_MAX_ITERATIONS",
]
