"""Chokepoints: which facilities (and which countries and companies) the supply of the sinks
depends on, how much of it, and what could replace them.

Notation (see :mod:`graphmodel.algebra`): ``S[v, u]`` is the share of facility v's inbound
supply that comes from u; ``L = (I - S)^-1``; ``w[k]`` is the demand of sink k (sink demand
units, e.g. t magnet/yr); ``W = sum_k w[k]``.

Criticality
-----------
If facility u fails and nothing reroutes, sink k loses the share of its supply that passes
through u. On an acyclic network that share is ``T(k, u) = L[k, u]``, the sum over every
path from u to k of the product of inbound shares along it. On a recycling loop ``L[k, u]``
also counts the flow that leaves u, goes round the loop and passes u again, once per lap;
that flow is lost with u only once, so the share lost is the *first-passage* share::

    F(k, u) = L[k, u] / L[u, u]          (L[u, u] = 1 when u lies on no cycle)

``L[u, u] = 1 + (share of u's supply that has already passed through u)`` is computed only
for facilities on a recycling loop C: a path from u back to u stays inside C, so
``L[u, u]`` is the diagonal of ``(I - S_C)^-1`` (:func:`graphmodel.solve.leontief_diagonal`,
exact). Then::

    criticality(u)    = sum_k w[k] F(k, u) / W = (L^T w)[u] / (L[u, u] W)
    demand_at_risk(u) = criticality(u) * W

Where the recycling loops are too large for the whole diagonal at a bounded cost (a
feedback set of more than 3,000 facilities on a loop block of more than 4,000, see
:func:`graphmodel.solve.loops.exact_diagonal_is_cheap`; 11,600 on the 203,000-facility loop
of a generated million-facility network), criticality is exact for the
:data:`EXACT_TOP` most critical facilities and for every facility off a loop, and an upper
bound ``(L^T w)[u] / (l[u] W)`` elsewhere, with ``l[u] <= L[u, u]`` the loop's first laps
(:meth:`graphmodel.solve.Trace.first_passage_ranked`); the series says which in
``attrs["exact"]``.

``L^T w`` is one backward solve, ``c = S^T c + w``, on the traced facilities, by the
network's backward plan (``net.trace``, :mod:`graphmodel.solve`: exact on acyclic parts and
on recycling loops, even one that returns almost all of its flow; tested on such a loop).

Traced supply. Supply "traces" to an origin (a facility with no inbound volume) when a
carrying path leads from an origin to it. A recycling loop that no origin feeds (a gap in
the data) would make ``L`` infinite; the solves therefore run on the facilities reachable
from an origin, whose shares are unchanged (every path leaving them stays among them).
Facilities no origin reaches get ``criticality`` NaN (unknown) and ``supply_traced`` 0.
``supply_traced(u) = a(u)``, the availability below with nothing failed.

Groups (countries, companies)
-----------------------------
When a set G of facilities fails at once, losses do not add up (they overlap), so groups
propagate availability forward instead: with ``f(v) = 0`` for v in G and 1 otherwise::

    a(v) = f(v)                         for origins
    a(v) = f(v) * sum_u S[v, u] a(u)    otherwise

(the minimal non-negative solution, so loops fed by no origin carry nothing). The demand
lost at sink k is ``w[k] * (a0(k) - a_G(k))`` where ``a0`` is availability with nothing
failed; on a network whose sink supply all traces to origins ``a0 = 1`` and this is
``w[k] * (1 - a_G(k))``. For a single facility it equals ``w[k] a0(u) F(k, u)``, so the two
methods agree (tested).

Dominators and cuts
-------------------
On the graph of carrying links (volume > 0) with a virtual source feeding every origin, u is
a *single point of failure* for sink k when u dominates k: every supply path from any origin
to k passes through u. The dominator tree is computed with array operations level by level
(:mod:`graphmodel.dominance`; tested to agree with ``networkx.immediate_dominators``, which
:func:`_dominators_nx` keeps as the reference). ``min_cut_size`` of a sink is the
fewest facilities whose joint failure cuts it off from every origin: a minimum node cut
from the virtual source, by augmenting paths on the node-split graph
(:mod:`graphmodel.node_cuts`; the cut nearest the sink, the one
``networkx.minimum_node_cut`` returns, which :func:`_min_cuts_nx` keeps as the reference).
Origins may be in the cut, so a sink supplied straight from an origin is handled like any
other.

Alternatives
------------
For facility u, the *affected pairs* are the (customer, material) pairs u supplies on
carrying links. A *qualified alternative* is another operating facility at u's stage with a
``qualified`` link (of any volume) to the same customer for the same material: it could ship
more tomorrow. Its spare capacity is ``max(capacity - outbound volume, 0)`` (NaN when its
capacity is unknown; capacity and volume are both per year, in the stage's unit).
``alternatives`` sums the known spare capacities of distinct qualified alternatives;
``coverage = alternatives / outbound volume of u``. *Candidate* alternatives are suppliers
with a ``candidate`` or ``in_qualification`` link into an affected pair (any stage):
``alt_spare_capacity`` sums the spare capacity of the operating ones not already counted as
qualified alternatives, and ``fastest_qualification_months`` is the shortest lead time on
any such link (NaN when none or unknown).

Specifications gate alternatives (:func:`graphmodel.specs.reroute_fits`): an alternative
counts only over a link whose supplier meets the customer's stated spec for the material
(``requirements.csv``, link ``required_*`` columns); an unknown capability never fits, even
over a qualified link. Alternatives dropped for a known miss or an unknown capability are
listed in ``spec_excluded_ids``; on a network without requirements nothing is dropped.
"""
from __future__ import annotations

import gc
import os
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, Optional

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from . import lookup
from .dominance import UNREACHED, immediate_dominators, schedule_with_root
from .errors import TiernError
from .io.normalize import normalize_country
from .network import Network
from .node_cuts import InNeighbours, sink_side_node_cut
from .progress import Progress
from .schema import ALL_STAGES, SECTORS
from .solve.plan import SparseScale, blas_threads_per_worker, unit_columns
from .specs import reroute_fits

if TYPE_CHECKING:  # the graph views import networkx when called (start-up speed)
    import networkx as nx

_SOURCE = ("__virtual_source__",)  # a tuple can never collide with a facility id (a str)
_ROUND = 12  # criticality digits compared when ranking, so float noise never breaks a tie
_SERIES_STEPS = 5_000  # Neumann steps before falling back to an exact LU solve


class SinkSelectionError(TiernError):
    """A ``--sinks`` value that names no stage, sector or facility."""


# --- sink selection --------------------------------------------------------------------------
def selected_demand(net: Network, sinks: Optional[str | Iterable[str]] = None) -> pd.Series:
    """Demand of the selected sinks (``net.sink_demand`` restricted).

    ``sinks`` is None (all sinks) or one or more of: a stage (``oem``), a sector
    (``defense``), or a sink's facility id; a comma-separated string is split. A value that
    is none of these raises :class:`SinkSelectionError`; a valid one matching no sink yields
    an empty selection.
    """
    demand = net.sink_demand
    if sinks is None:
        return demand
    values = [v.strip() for v in ([sinks] if isinstance(sinks, str) else sinks) for v in v.split(",")]
    values = [v for v in values if v]
    if not values:
        return demand
    facilities = net.facilities.loc[demand.index]
    keep = pd.Series(False, index=demand.index)
    for value in values:
        if value in ALL_STAGES:
            keep |= facilities["stage"] == value
        elif value in SECTORS:
            keep |= facilities["sector"] == value
        elif value in net.facilities.index:
            keep |= demand.index == value
        else:
            raise SinkSelectionError(
                f"--sinks '{value}' is not a stage ({', '.join(ALL_STAGES)}), a sector "
                f"({', '.join(SECTORS)}) or a facility id")
    return demand[keep.to_numpy()]


def _weights(net: Network, demand: pd.Series) -> np.ndarray:
    """Sink demand as a vector over ``net.facilities`` (0 off the selected sinks)."""
    weights = np.zeros(len(net.facilities))
    if demand.index is net.sink_demand.index:  # every sink: positions known (1M ids: 0.3 s)
        positions = net.sink_positions
    else:
        positions = lookup.positions(net.facilities.index, demand.index)
    weights[positions] = demand.to_numpy(dtype=float)
    return weights


# --- the supply algebra restricted to traced facilities -----------------------------------
def carrying_graph(net: Network, virtual_source: bool = False) -> nx.DiGraph:
    """Facilities and their carrying links (volume > 0); optionally a virtual source feeding
    every origin (the node ``chokepoints._SOURCE``)."""
    import networkx as nx  # noqa: PLC0415 (start-up: the array analytics need no networkx)

    graph = nx.DiGraph()
    graph.add_nodes_from(net.facilities.index)
    graph.add_edges_from(net.carrying_links[["supplier", "customer"]].itertuples(index=False, name=None))
    if virtual_source:
        graph.add_node(_SOURCE)
        graph.add_edges_from((_SOURCE, origin) for origin in net.origins)
    return graph


def availability(net: Network, failed: Iterable[str] = ()) -> pd.Series:
    """Share of each facility's supply still available when ``failed`` facilities fail.

    ``a(v) = f(v)`` at origins and ``f(v) * sum_u S[v, u] a(u)`` elsewhere, ``f`` = 0 on the
    failed set and 1 otherwise; the minimal non-negative solution (see the module docstring).
    With nothing failed it is the share of supply that traces to an origin.
    """
    index = net.facilities.index
    alive = ~index.isin(list(set(failed)))
    # a = f o (S a) + f o origin with f = 0 on the failed set: the network's forward plan
    values = net.trace.propagate(alive.astype(float))
    return pd.Series(values, index=index, name="availability")


def sink_shares(net: Network, sinks=None) -> pd.DataFrame:
    """``F(k, u)``: the share of sink k's supply lost if facility u alone fails.

    Rows: the selected sinks; columns: every facility (``net.facilities`` order). Values in
    [0, 1]; NaN for facilities no origin reaches. ``F(k, k) = 1``. One backward block solve
    (``L^T E``, a column per sink) divided by ``L[u, u]``.
    """
    return first_passage_shares(net, selected_demand(net, sinks).index)


def first_passage_shares(net: Network, sinks: pd.Index) -> pd.DataFrame:
    """``F(k, u)`` for the sinks ``sinks`` (rows) and every facility (columns): the one
    implementation of the single-facility outage loss (:meth:`graphmodel.solve.Trace.first_passage`
    on a unit column per sink; ``L[k, u] / L[u, u]``), also behind the REI ranking."""
    index = net.facilities.index
    unit = unit_columns(len(index), index.get_indexer(sinks))
    shares = net.trace.first_passage(unit)  # shares[u, j] = L[k_j, u] / L[u, u]
    return pd.DataFrame(shares.T, index=sinks, columns=index)


#: Facilities whose criticality is exact where the loop diagonal is bounded instead
#: (module docstring, "Criticality").
EXACT_TOP = 20
#: ``criticality_basis`` of a facility whose linear criticality is an upper bound there.
UPPER_BOUND = "linear (upper bound)"


def facility_shares(net: Network, sinks: pd.Index, facilities: Iterable[str]) -> pd.DataFrame:
    """``F(k, u)`` for the sinks ``sinks`` (rows) and the facilities ``facilities``
    (columns, in that order): :func:`first_passage_shares` restricted to a few facilities,
    by one forward solve per facility (:meth:`graphmodel.solve.Trace.first_passage_to`)
    instead of a backward column per sink; the same values to rounding."""
    index = net.facilities.index
    facilities = list(facilities)
    shares = net.trace.first_passage_to(lookup.positions(index, pd.Index(facilities)))
    return pd.DataFrame(shares[lookup.positions(index, sinks)], index=sinks, columns=facilities)


def criticality(net: Network, sinks=None) -> pd.Series:
    """``criticality(u) = sum_k w[k] F(k, u) / W`` for every facility (see module docstring).

    One backward solve ``c = L^T w`` (:meth:`graphmodel.solve.Trace.first_passage`) with
    the first-passage correction ``c[u] / L[u, u]`` on recycling loops. Dimensionless in
    [0, 1]; NaN for facilities no origin reaches; 0 everywhere when no sink is selected.
    On recycling loops too large for the exact diagonal, exact for the :data:`EXACT_TOP`
    largest values and an upper bound elsewhere (module docstring; ``attrs["exact"]``).
    """
    return demand_criticality(net, selected_demand(net, sinks))


def demand_criticality(net: Network, demand: pd.Series, exact_top: Optional[int] = None
                       ) -> pd.Series:
    """:func:`criticality` for sink demand ``demand`` (indexed by sink id), as
    :func:`chokepoints` computes it; ``exact_top`` (default :data:`EXACT_TOP`) facilities
    exact at least where the loop diagonal is bounded."""
    total = float(demand.sum())
    index = net.facilities.index
    trace = net.trace
    if total <= 0:
        return pd.Series(np.where(trace.traced, 0.0, np.nan), index=index, name="criticality")
    if trace.diagonal_is_cheap:
        passing = trace.first_passage(_weights(net, demand))
        return pd.Series(passing / total, index=index, name="criticality")
    passing, exact = trace.first_passage_ranked(_weights(net, demand), exact_top or EXACT_TOP)
    series = pd.Series(passing / total, index=index, name="criticality")
    series.attrs["exact"] = exact
    return series


# --- dominators and cuts ---------------------------------------------------------------------
def dominators(net: Network, sinks=None) -> dict[str, list[str]]:
    """For each selected sink, the facilities every supply path from any origin to it passes
    through (its dominators, nearest first, the sink itself excluded). Sinks no origin
    reaches have none."""
    return _dominators(net, selected_demand(net, sinks).index)


def _dominators(net: Network, sinks: pd.Index) -> dict[str, list[str]]:
    """Dominator chains of ``sinks``, nearest first, by array code
    (:func:`graphmodel.dominance.immediate_dominators`); :func:`_dominators_nx` is the
    networkx reference the tests compare it with."""
    positions, dominators = _dominator_pairs(net, sinks)
    names = sinks.to_numpy(dtype=object)
    chains = _lists_by(positions, net.facilities.index.to_numpy(dtype=object)[dominators], len(names))
    return dict(zip(names.tolist(), chains))


def _single_points(net: Network, sinks: pd.Index) -> list[list[str]]:
    """Per facility (``net.facilities`` order): the sinks it dominates, sorted by id."""
    positions, dominators = _dominator_pairs(net, sinks)
    names = sinks.to_numpy(dtype=object)
    order = np.lexsort((_str_rank(names)[positions], dominators))
    return _lists_by(dominators[order], names[positions[order]], len(net.facilities))


def _dominator_pairs(net: Network, sinks: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """(position in ``sinks``, dominator's position in ``net.facilities``) for every
    dominator of every sink, grouped by sink, each chain nearest first.

    The dominator tree is the network's (:func:`_carrying_dominators`), whatever ``sinks``.
    """
    idom = net.derived("immediate dominators", lambda: _carrying_dominators(net))
    root = len(net.facilities)
    current = idom[lookup.positions(net.facilities.index, sinks)]
    position = np.arange(len(sinks))
    steps = []  # one step up the tree per round, all sinks at once
    alive = (current != root) & (current != UNREACHED)
    while alive.any():
        position, current = position[alive], current[alive]
        steps.append((position, current))
        current = idom[current]
        alive = current != root
    if not steps:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    positions = np.concatenate([p for p, _ in steps])
    dominators = np.concatenate([d for _, d in steps])
    step = np.concatenate([np.full(len(p), k) for k, (p, _) in enumerate(steps)])
    order = np.lexsort((step, positions))
    return positions[order], dominators[order]


def _carrying_dominators(net: Network) -> np.ndarray:
    """Immediate dominator of every facility and of the virtual source (node n), in the
    carrying graph: the pattern of the share matrix (``S[v, u] > 0`` exactly when a link
    u -> v carries volume) plus the virtual source feeding every origin. Read-only: the
    network keeps it for every sink selection (the report asks four times)."""
    n = len(net.facilities)
    shares = net.share_matrix.tocoo()  # shares.row v, shares.col u: u supplies v
    origins = np.flatnonzero(net.inbound_volume.to_numpy() == 0)
    root = n
    graph = sp.csr_matrix((np.ones(shares.nnz + len(origins)),
                           (np.r_[shares.col, np.full(len(origins), root)], np.r_[shares.row, origins])),
                          shape=(n + 1, n + 1))
    # The network's cached schedule orders the carrying graph too: same edges plus the source's.
    idom = immediate_dominators(graph, root, schedule_with_root(net.trace.schedule))
    idom.flags.writeable = False
    return idom


def _lists_by(keys: np.ndarray, values: np.ndarray, n: int) -> list[list]:
    """``lists[k]`` = the ``values`` whose key is k, in their order (``keys`` grouped, each
    run of equal keys contiguous); [] for keys in ``range(n)`` that do not occur."""
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if len(keys) else np.empty(0, int)
    stops = np.r_[starts[1:], len(keys)].astype(int)
    flat = values.tolist()
    with _collector_paused():
        lists: list[list] = [[] for _ in range(n)]
        for key, start, stop in zip(keys[starts].tolist(), starts.tolist(), stops.tolist()):
            lists[key] = flat[start:stop]
    return lists


@contextmanager
def _collector_paused():
    """Pause Python's cyclic garbage collector while building many small lists: the
    allocations would trigger repeated full collections of every object alive, which cost
    more than the lists (they hold only strings and make no cycles)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _dominators_nx(net: Network, sinks: pd.Index) -> dict[str, list[str]]:
    """The networkx reference of :func:`_dominators` (``networkx.immediate_dominators`` on
    :func:`carrying_graph`); kept for the agreement tests and the benchmark."""
    import networkx as nx  # noqa: PLC0415

    graph = carrying_graph(net, virtual_source=True)
    idom = nx.immediate_dominators(graph, _SOURCE)
    result = {}
    for sink in sinks:
        chain = []
        node = idom.get(sink)
        while node is not None and node != _SOURCE:
            chain.append(node)
            node = idom.get(node)
        result[sink] = chain if sink in idom else []
    return result


def min_cuts(net: Network, sinks=None, progress: Optional[Progress] = None) -> pd.DataFrame:
    """Per selected sink: ``min_cut_size``, the fewest facilities whose joint failure cuts it
    off from every origin, and ``min_cut``, one such set (sorted ids). A sink no origin
    reaches has size 0 (already cut off)."""
    return _min_cuts(net, selected_demand(net, sinks).index, progress)


def _min_cuts(net: Network, sinks: pd.Index, progress: Optional[Progress] = None) -> pd.DataFrame:
    """:func:`min_cuts` for ``sinks`` by augmenting paths on the node-split carrying graph
    (:func:`graphmodel.node_cuts.sink_side_node_cut`): the cut nearest each sink, the one
    ``networkx.minimum_node_cut`` returns (:func:`_min_cuts_nx` is the reference the tests
    compare it with). A sink costs (cut size + 1) searches of its upstream, except a sink
    with a dominator: one facility cuts it off, and the cut nearest it is its immediate
    dominator (no search)."""
    n = len(net.facilities)
    supplier, customer, _ = net.carrying_positions
    known = (supplier >= 0) & (customer >= 0)
    graph = InNeighbours(n, supplier[known], customer[known], net.inbound_volume.to_numpy() == 0)
    traced = net.trace.traced
    ids = net.facilities.index.to_numpy(dtype=object)
    # each sink's nearest dominator (chains come grouped by sink, nearest first), -1 if none
    positions, dominators = _dominator_pairs(net, sinks)
    nearest = np.full(len(sinks), -1, dtype=np.int64)
    sink_with, first = np.unique(positions, return_index=True)
    nearest[sink_with] = dominators[first]
    rows = []
    for done, (sink, at) in enumerate(zip(sinks, lookup.positions(net.facilities.index, sinks))):
        if progress and done % 256 == 0:
            progress(done, len(sinks), "minimum cuts")
        if not traced[at]:
            cut = []
        elif nearest[done] >= 0:
            cut = [ids[nearest[done]]]
        else:
            cut = sorted(ids[sink_side_node_cut(graph, int(at))].tolist())
        rows.append({"sink": sink, "min_cut_size": len(cut), "min_cut": cut})
    if progress:
        progress(len(sinks), len(sinks), "minimum cuts")
    return pd.DataFrame(rows, columns=["sink", "min_cut_size", "min_cut"])


def _min_cuts_nx(net: Network, sinks: pd.Index) -> pd.DataFrame:
    """The networkx reference of :func:`_min_cuts`: ``minimum_st_node_cut`` (what
    ``networkx.minimum_node_cut(G, s, t)`` runs) from the virtual source on
    :func:`carrying_graph`, one auxiliary graph reused across sinks; kept for the agreement
    tests and the benchmark."""
    import networkx as nx  # noqa: PLC0415
    from networkx.algorithms.connectivity import (build_auxiliary_node_connectivity,
                                                  minimum_st_node_cut)
    from networkx.algorithms.flow import build_residual_network

    graph = carrying_graph(net, virtual_source=True)
    auxiliary = build_auxiliary_node_connectivity(graph)
    residual = build_residual_network(auxiliary, "capacity")
    reached = nx.descendants(graph, _SOURCE)
    rows = []
    for sink in sinks:
        # The virtual source is never adjacent to a sink (sinks have inbound volume, so are
        # not origins): origins can be cut.
        cut = (minimum_st_node_cut(graph, _SOURCE, sink, auxiliary=auxiliary, residual=residual)
               if sink in reached else set())
        rows.append({"sink": sink, "min_cut_size": len(cut), "min_cut": sorted(cut)})
    return pd.DataFrame(rows, columns=["sink", "min_cut_size", "min_cut"])


# --- alternatives ----------------------------------------------------------------------------
def spare_capacity(net: Network) -> pd.Series:
    """``max(capacity - outbound volume, 0)`` per facility; NaN when capacity is unknown."""
    spare = (net.facilities["capacity"] - net.outbound_volume).clip(lower=0)
    return spare.rename("spare_capacity")


def material_spare_capacity(net: Network) -> pd.Series:
    """Spare capacity per (facility, material) where ``capacities.csv`` gives the facility's
    capacity for that material (operating rows): ``max(capacity_m - sum of the volume of
    its links carrying m, 0)``, t/yr of m. Indexed by (facility, material); facilities or
    materials without a row are absent (their facility total applies)."""
    table = net.capacities
    index = pd.MultiIndex.from_arrays([[], []], names=["facility", "material"])
    if table is None or not len(table):
        return pd.Series(dtype=float, index=index, name="spare_capacity")
    table = table[table["status"].fillna("operating") == "operating"]
    capacity = table.groupby(["facility", "material"])["capacity"].sum()
    shipped = net.links.groupby(["supplier", "material"])["volume"].sum()
    shipped.index = shipped.index.set_names(["facility", "material"])
    spare = (capacity - shipped.reindex(capacity.index).fillna(0.0)).clip(lower=0)
    return spare.rename("spare_capacity")


def alternatives(net: Network, exclude_country: Optional[str] = None,
                 rows: Optional[np.ndarray] = None) -> pd.DataFrame:
    """Per facility: who could replace its supply to its customers (see module docstring).

    An alternative always supplies the same (customer, material) pair as the facility: a
    Dy oxide supplier is never an alternative to an NdPr oxide supplier. Its spare capacity
    for supplier u is ``sum over the materials m it could replace of spare_m`` where
    ``capacities.csv`` gives its capacity for m (:func:`material_spare_capacity`), plus its
    facility spare (:func:`spare_capacity`, counted once) when some such m has no row.

    Parameters
    ----------
    exclude_country : drop alternatives (qualified and candidate) located in this country
        (ISO alpha-2; alpha-3 and names are normalised; a country shock takes them down too).
    rows : the facilities to answer for (sorted positions; default every facility): the
        frame has their rows only, each as in the whole frame.

    Columns: ``alternatives`` (known spare capacity of qualified alternatives, t/yr),
    ``n_alternatives``, ``alternative_ids``, ``alternative_countries`` and
    ``alternative_spare`` (per alternative id, its country and spare capacity as above, NaN
    when unknown), ``coverage`` (alternatives / the facility's outbound volume; NaN when it
    ships nothing), ``alt_spare_capacity``, ``candidate_ids``,
    ``fastest_qualification_months``, ``spec_excluded_ids`` (alternatives whose supplier
    misses the customer's spec or whose capability is unknown: not counted above).
    """
    facilities = net.facilities
    n = len(facilities)
    ids = facilities.index.to_numpy(dtype=object)
    spare = spare_capacity(net).to_numpy(dtype=float)
    stage = lookup.codes(facilities["stage"])  # -1: no stage, never "the same stage"
    operating = _flag(facilities["status"] == "operating")
    status = net.links["status"]
    supplier, alternative, link = _replacement_pairs(net)
    if rows is not None:  # a facility's row reads only the pairs it supplies
        wanted = np.zeros(n, dtype=bool)
        wanted[rows] = True
        mine = wanted[supplier]
        supplier, alternative, link = supplier[mine], alternative[mine], link[mine]
    # A pair is coded as one integer, supplier * n + (rank of the alternative's id):
    # sorting the codes sorts by supplier, then by alternative id, as the per-supplier
    # sorted(set(ids)) did, and sums add up in that order.
    rank = _str_rank(ids)
    by_rank = np.argsort(rank)
    gated = ~reroute_fits(net)[link]  # spec misses and unknowns (see the module docstring)
    excluded = _distinct(supplier[gated] * n + rank[alternative[gated]])
    supplier, alternative, link = supplier[~gated], alternative[~gated], link[~gated]
    if exclude_country is not None:
        code = normalize_country(exclude_country)
        if code is None:
            raise TiernError(f"unknown country '{exclude_country}' (use ISO 3166-1 alpha-2, "
                             "e.g. CN)")
        exclude_country = code
        keep = _flag(facilities["country"] != exclude_country)[alternative]
        supplier, alternative, link = supplier[keep], alternative[keep], link[keep]
    is_qualified = (_flag(status == "qualified")[link] & operating[alternative]
                    & (stage[alternative] == stage[supplier]) & (stage[supplier] >= 0))
    is_candidate = _flag(status.isin(["candidate", "in_qualification"]))[link]
    qualified = _distinct(supplier[is_qualified] * n + rank[alternative[is_qualified]])
    candidates = _distinct(supplier[is_candidate] * n + rank[alternative[is_candidate]])
    # Spare capacity already counted as a qualified alternative is not counted twice.
    extra = candidates[operating[by_rank[candidates % n]] & ~_is_in(candidates, qualified)]
    months = net.links["qualification_months"].astype(float).to_numpy()[link[is_candidate]]
    fastest = pd.Series(months).groupby(supplier[is_candidate]).min()
    pair_spare = _pair_spare(net, supplier, alternative, link, spare, n, rank, by_rank)

    q_spare, extra_spare = pair_spare(qualified), pair_spare(extra)
    qualified, candidates, extra, excluded = (_decode(codes, by_rank, n) for codes in
                                              (qualified, candidates, extra, excluded))
    countries = facilities["country"].to_numpy(dtype=object)
    rows = np.arange(n) if rows is None else np.asarray(rows, dtype=np.int64)
    m = rows.size

    def row(suppliers: np.ndarray) -> np.ndarray:  # supplier positions -> rows of the frame
        return np.searchsorted(rows, suppliers)

    out = pd.DataFrame(index=facilities.index[rows])
    out["alternative_ids"] = _lists_by(row(qualified[:, 0]), ids[qualified[:, 1]], m)
    out["alternative_countries"] = _lists_by(row(qualified[:, 0]), countries[qualified[:, 1]], m)
    out["alternative_spare"] = _lists_by(row(qualified[:, 0]), q_spare, m)
    out["n_alternatives"] = np.bincount(row(qualified[:, 0]), minlength=m).astype(np.int64)
    out["alternatives"] = _known_sums(row(qualified[:, 0]), q_spare, m)
    shipped = net.outbound_volume.to_numpy()[rows]
    out["coverage"] = np.where(shipped > 0, out["alternatives"].to_numpy() / np.where(
        shipped > 0, shipped, 1.0), np.nan)
    out["candidate_ids"] = _lists_by(row(candidates[:, 0]), ids[candidates[:, 1]], m)
    out["alt_spare_capacity"] = _known_sums(row(extra[:, 0]), extra_spare, m)
    out["fastest_qualification_months"] = fastest.reindex(rows).to_numpy(dtype=float)
    out["spec_excluded_ids"] = _lists_by(row(excluded[:, 0]), ids[excluded[:, 1]], m)
    return out


def _pair_spare(net: Network, supplier, alternative, link, spare, n, rank, by_rank):
    """Spare capacity of each alternative for each supplier: a function of pair codes
    ``supplier * n + rank[alternative]`` (see :func:`alternatives`; codes of these pairs)
    returning the per-material spare summed over the distinct materials of their pairs,
    plus the facility spare once when a material has no per-material capacity.

    Without any per-material capacity that is the alternative's facility spare, read
    straight from the code (``by_rank[code % n]`` is the alternative): no grouping of the
    millions of pairs a 100,000-facility network has."""
    by_material = material_spare_capacity(net)
    if not len(by_material):
        return lambda codes: spare[by_rank[codes % n]]
    material = net.links["material"].to_numpy(dtype=object)[link]
    codes = supplier.astype(np.int64) * n + rank[alternative]
    frame = pd.DataFrame({"code": codes, "alternative": alternative, "material": material})
    frame = frame.drop_duplicates(["code", "material"])
    key = pd.MultiIndex.from_arrays([net.facilities.index.to_numpy(dtype=object)[frame["alternative"]],
                                     frame["material"]])
    frame["material_spare"] = by_material.reindex(key).to_numpy(dtype=float)
    given = frame["material_spare"].notna()
    frame["facility_spare"] = np.where(given, np.nan, spare[frame["alternative"].to_numpy()])
    grouped = frame.groupby("code")
    per_material = grouped["material_spare"].sum(min_count=1)
    facility = grouped["facility_spare"].first()  # NaN unless some material has no row
    missing = grouped["material_spare"].count() < grouped.size()
    facility = facility.where(missing)
    known = per_material.notna() | facility.notna()
    by_code = (per_material.fillna(0.0) + facility.fillna(0.0)).where(known)
    return lambda codes: by_code.reindex(codes).to_numpy(dtype=float)


def _known_sums(keys: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Per supplier: the sum of the known (non-NaN) values keyed to it (0 when none)."""
    known = ~np.isnan(values)
    return np.bincount(keys[known], weights=values[known], minlength=n).astype(float)


def _flag(mask: pd.Series) -> np.ndarray:
    """A boolean Series as a NumPy bool array, missing values as False."""
    return mask.to_numpy(dtype=bool, na_value=False)


def _replacement_pairs(net: Network) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair of a carrying link supplier -> (customer, material) and another
    facility's link (of any status and volume) into the same (customer, material), as
    arrays ``(supplier, alternative, link)``: facility positions in ``net.facilities`` and
    the other link's row in ``net.links``.

    A sort-based join on integer codes: links grouped by (customer, material), and each
    distinct carrying (supplier, group) matched with the links of its group.
    """
    links = net.links
    ends = lookup.positions(net.facilities.index,
                             pd.concat([links["supplier"], links["customer"]], ignore_index=True))
    supplier, customer = ends[:len(links)], ends[len(links):]
    material = lookup.codes(links["material"]) + 1  # 0: missing, which matches missing
    key = customer * (int(material.max(initial=0)) + 1) + material
    _, group = np.unique(key, return_inverse=True)  # dense (customer, material) ids
    size = np.bincount(group)
    start = np.cumsum(size) - size
    by_group = np.argsort(group, kind="stable")  # links of group g: by_group[start[g]:][:size[g]]
    carrying = np.flatnonzero((links["volume"] > 0).to_numpy())
    affected_supplier, affected_group = _distinct_rows(supplier[carrying], group[carrying])
    counts = size[affected_group]
    within = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    link = by_group[np.repeat(start[affected_group], counts) + within]
    supplier_of_pair = np.repeat(affected_supplier, counts)
    alternative = supplier[link]
    other = alternative != supplier_of_pair
    return supplier_of_pair[other], alternative[other], link[other]


def _distinct_rows(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct pairs ``(a[i], b[i])``, as two arrays sorted by a, then b."""
    order = np.lexsort((b, a))
    a, b = a[order], b[order]
    new = np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1])] if len(a) else np.zeros(0, bool)
    return a[new], b[new]


def _distinct(codes: np.ndarray) -> np.ndarray:
    """Sorted distinct values of an integer array."""
    codes = np.sort(codes)
    return codes[np.r_[True, codes[1:] != codes[:-1]]] if len(codes) else codes


def _decode(codes: np.ndarray, by_rank: np.ndarray, n: int) -> np.ndarray:
    """(supplier, alternative) positions of pair codes ``supplier * n + rank``."""
    return np.column_stack([codes // n, by_rank[codes % n]]).astype(np.int64).reshape(-1, 2)


def _is_in(codes: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Per code: is it in ``table`` (sorted, distinct)?"""
    if len(table) == 0:
        return np.zeros(len(codes), dtype=bool)
    at = np.minimum(np.searchsorted(table, codes), len(table) - 1)
    return table[at] == codes


def _str_rank(ids) -> np.ndarray:
    """Rank of each (distinct, non-missing) id in Python's ``sorted()`` order of strings.

    Arrow sorts strings by their UTF-8 bytes, which orders them by code point exactly as
    Python compares str, without a Python comparison per pair."""
    order = pc.array_sort_indices(pa.array(np.asarray(ids, dtype=object), type=pa.string()))
    rank = np.empty(len(ids), dtype=np.int64)
    rank[order.to_numpy()] = np.arange(len(ids))
    return rank


# --- the chokepoint tables -------------------------------------------------------------------
_FACILITY_COLUMNS = [
    "rank", "id", "name", "stage", "country", "owner", "ultimate_owner", "control_country",
    "criticality", "demand_at_risk", "criticality_linear", "criticality_basis",
    "demand_unit", "single_point_for", "alternatives",
    "n_alternatives", "alternative_ids", "coverage", "alt_spare_capacity", "candidate_ids",
    "fastest_qualification_months", "alternative_countries", "alternative_spare",
    "outbound_volume", "capacity", "unit", "supply_traced", "aggregate",
]


def chokepoints(net: Network, *, top: Optional[int] = None, stage: Optional[str] = None,
                sinks=None, exclude_sinks: bool = False, exclude_country: Optional[str] = None,
                progress: Optional[Progress] = None) -> pd.DataFrame:
    """Every facility ranked by criticality (ties: fewer alternatives first), one row each.

    Parameters
    ----------
    net : the network.
    top : keep the first ``top`` rows after filtering (None: all).
    stage : keep only facilities of this stage; ranks count within it.
    sinks : restrict the demand to these sinks (see :func:`selected_demand`).
    exclude_sinks : leave out the rows of every sink (a sink's criticality includes its own
        demand, which makes it a "chokepoint" of itself; supply-side rankings drop them).
    exclude_country : leave suppliers located in this country out of the alternatives
        (a country shock: they are down too); see :func:`alternatives`.
    progress : optional ``progress(done, total, label)`` callback.

    Returns
    -------
    DataFrame with ``rank, id, name, stage, country, owner, ultimate_owner,
    control_country, aggregate`` (one row standing for many plants), ``criticality``
    (share of selected sink demand lost, 0..1, NaN = no origin reaches the facility):
    on a network with recipes the recipe criticality
    (:mod:`graphmodel.recipe_criticality`, ``1 - sum_s w_s p_s(u) / sum_s w_s``), else
    the linear one; ``criticality_linear`` (the linear, tonnage-based value of the module
    docstring, always), ``criticality_basis`` (``recipe``, ``linear``, ``linear
    (approximation)`` where a large network's recipe value was not computed, or ``linear
    (upper bound)`` below the exact top of a network whose loops are too large for the
    exact diagonal, see :func:`criticality`),
    ``demand_at_risk`` (criticality x total selected demand, in ``demand_unit``; "mixed"
    when sinks differ in unit), ``single_point_for`` (selected sinks its outage stops
    entirely: dominated sinks without recipes, ``p_s(u) <= 1e-12`` in the recipe runs
    with them; never for an aggregate row), the alternative columns of
    :func:`alternatives`, ``outbound_volume``, ``capacity, unit`` and ``supply_traced``
    (share of its supply tracing to an origin).
    """
    if stage is not None and stage not in ALL_STAGES:
        raise TiernError(f"unknown stage '{stage}' (expected one of {', '.join(ALL_STAGES)})")
    steps = 5
    tick = (lambda done, label: progress(done, steps, label)) if progress else (lambda *_: None)
    demand = selected_demand(net, sinks)
    tick(0, "supply shares")
    # the ranked rows exact where the loop diagonal is bounded (unfiltered ranks only)
    linear = demand_criticality(net, demand, exact_top=top if stage is None and not exclude_sinks
                                else None)
    tick(1, "recipe criticality")
    crit, basis, single = _criticality_and_single_points(net, demand, linear)
    tick(2, "dominators")
    tick(3, "alternatives")
    rows = _table_rows(net, crit, stage=stage, exclude_sinks=exclude_sinks, top=top)
    alt = alternatives(net, exclude_country=exclude_country, rows=rows)
    tick(4, "ranking")
    facilities = net.facilities

    def kept(values):
        return values[rows]

    table = pd.DataFrame({
        "id": kept(facilities.index),
        "name": kept(lookup.column_values(facilities["name"])),
        "stage": kept(lookup.column_values(facilities["stage"])),
        "country": kept(lookup.column_values(facilities["country"])),
        "owner": kept(lookup.column_values(facilities["owner"])),
        "ultimate_owner": kept(lookup.column_values(net.ownership["ultimate_owner"])),
        "control_country": kept(lookup.column_values(net.ownership["control_country"])),
        "aggregate": kept(_aggregates(net)),
        "criticality": kept(crit),
        "criticality_linear": kept(linear.to_numpy()),
        "criticality_basis": kept(basis),
        "demand_at_risk": kept(crit) * float(demand.sum()),
        "demand_unit": _demand_unit(net, demand),
        "single_point_for": [single[i] for i in rows.tolist()],
        "outbound_volume": kept(net.outbound_volume.to_numpy()),
        "capacity": kept(facilities["capacity"].to_numpy()),
        "unit": kept(lookup.column_values(facilities["unit"])),
        "supply_traced": kept(availability(net).to_numpy()),
    }, index=rows)
    # the rows are labelled by facility position, as alt's rows are ordered: join by label
    table = pd.concat([table, alt.set_axis(rows)], axis=1)
    table = _rank(table, ["criticality", "alternatives", "n_alternatives", "id"],
                  [False, True, True, True])
    tick(5, "done")
    return table[_FACILITY_COLUMNS].head(top) if top else table[_FACILITY_COLUMNS]


def _table_rows(net: Network, crit: np.ndarray, *, stage: Optional[str], exclude_sinks: bool,
                top: Optional[int]) -> np.ndarray:
    """Positions of the facilities :func:`chokepoints` ranks: those of ``stage``, without the
    sinks when ``exclude_sinks``; with ``top``, only those that can rank among the first
    ``top``. Ranks sort by criticality rounded to :data:`_ROUND` digits first (missing
    last), so a facility whose rounded criticality is below the ``top``-th largest ranks
    after at least ``top`` others: its alternatives (the ties' order) are never needed."""
    keep = np.ones(len(net.facilities), dtype=bool)
    if stage is not None:
        keep &= _flag(net.facilities["stage"] == stage)
    if exclude_sinks:
        keep[net.sink_positions] = False
    rows = np.flatnonzero(keep)
    if top is None:
        return rows
    key = pd.Series(crit[rows]).round(_ROUND).to_numpy()
    known = key[~np.isnan(key)]
    if known.size <= top:
        return rows
    cut = np.partition(known, known.size - top)[known.size - top]  # the top-th largest
    return rows[key >= cut]


def uses_recipes(net: Network) -> bool:
    """Whether chokepoint criticality follows recipes: the network has a recipe row that
    applies to one of its facilities. Without any recipe row the answer is known without
    resolving the production model (which costs seconds at 100,000 facilities)."""
    if net.recipes is None or not len(net.recipes):
        return False
    return not net.production.pooled


def _aggregates(net: Network) -> np.ndarray:
    """(n,) bool: the facility row stands for many plants (the ``aggregate`` column)."""
    if "aggregate" not in net.facilities:
        return np.zeros(len(net.facilities), dtype=bool)
    return net.facilities["aggregate"].fillna(False).to_numpy(dtype=bool)


def recipe_criticality(net: Network, sinks=None, progress: Optional[Progress] = None) -> pd.DataFrame:
    """Per facility: ``criticality`` on recipes, ``criticality_linear`` and
    ``criticality_basis`` (see :mod:`graphmodel.recipe_criticality`); on a network without
    recipes the recipe runs equal the linear values (to rounding)."""
    from .recipe_criticality import recipe_outages

    demand = selected_demand(net, sinks)
    linear = demand_criticality(net, demand)
    outage = recipe_outages(net, demand, linear, progress=progress)
    return pd.DataFrame({"criticality": outage.criticality, "criticality_linear": linear.to_numpy(),
                         "criticality_basis": outage.basis}, index=net.facilities.index)


def _criticality_and_single_points(net: Network, demand: pd.Series, linear: pd.Series
                                   ) -> tuple[np.ndarray, np.ndarray, list[list[str]]]:
    """Criticality, its basis and the single points of failure per facility.

    Without recipes: the linear criticality and the dominated sinks. With recipes: the
    recipe criticality and, per facility, the sinks its outage stops (``p_s(u) <= 1e-12``
    in the recipe runs) together with the sinks it dominates (a dominator stops the sink
    on either model; this covers facilities whose recipe value is approximated). Aggregate
    rows are never single points of failure."""
    single = _single_points(net, demand.index)
    if uses_recipes(net):
        from .recipe_criticality import recipe_outages

        outage = recipe_outages(net, demand, linear)
        crit, basis = outage.criticality, outage.basis
        stopped = outage.stopped(net)
        single = [sorted(set(a) | set(b)) if b else a for a, b in zip(single, stopped)]
    else:
        crit = linear.to_numpy()
        basis = np.full(len(crit), "linear", dtype=object)
        if "exact" in linear.attrs:  # a bounded loop diagonal (see demand_criticality)
            basis[~linear.attrs["exact"] & np.isfinite(crit)] = UPPER_BOUND
    aggregate = _aggregates(net)
    single = [[] if agg else s for agg, s in zip(aggregate.tolist(), single)]
    return crit, basis, single


def _demand_unit(net: Network, demand: pd.Series) -> str:
    units = set(net.facilities["unit"].iloc[lookup.positions(net.facilities.index, demand.index)]
                .dropna().unique())
    return units.pop() if len(units) == 1 else ("mixed" if units else "")


def _rank(table: pd.DataFrame, by: list[str], ascending: list[bool]) -> pd.DataFrame:
    key = table[by].copy()  # only the sort keys: the list columns need no copy
    key["criticality"] = key["criticality"].round(_ROUND)
    order = key.sort_values(by, ascending=ascending, na_position="last", kind="mergesort").index
    ranked = table.loc[order].reset_index(drop=True)
    ranked.insert(0, "rank", np.arange(1, len(ranked) + 1))
    return ranked


_GROUP_COLUMNS = ["rank", "group", "by", "name", "control_country", "facilities", "stages",
                  "criticality", "demand_at_risk", "external_demand_at_risk", "demand_unit",
                  "single_point_for",
                  "sinks_affected", "facility_ids"]


def chokepoints_by_group(net: Network, by: str = "country", *, top: Optional[int] = None,
                         sinks=None, progress: Optional[Progress] = None) -> pd.DataFrame:
    """Countries or companies ranked by the demand lost if all their facilities fail at once.

    Parameters
    ----------
    by : ``country`` (facility location) or ``company`` (ultimate owner, following majority
        stakes, :attr:`~graphmodel.network.Network.company`: facilities with no owner, and
        aggregate rows other than company residuals, belong to no company).
    top, sinks, progress : as in :func:`chokepoints`.

    Returns
    -------
    DataFrame with ``rank, group, by, name, control_country`` (company's country of control),
    ``facilities`` (count), ``stages``, ``criticality`` (share of selected sink demand lost,
    ``sum_k w[k] (a0(k) - a_G(k)) / W``, availability propagation of the module docstring),
    ``demand_at_risk`` (in ``demand_unit``), ``external_demand_at_risk`` (the part lost at
    sinks outside the group, i.e. without the group's own sinks' demand), ``single_point_for`` (selected sinks outside the
    group that lose all their traced supply), ``sinks_affected`` (sinks losing any supply)
    and ``facility_ids``. Ties are broken by fewer facilities, then name.
    """
    if by not in ("country", "company"):
        raise TiernError(f"unknown grouping '{by}' (expected country or company)")
    demand = selected_demand(net, sinks)
    total = float(demand.sum())
    if by == "country":
        members = net.facilities["country"].dropna()
    else:  # an aggregate of many holders is no company's (a company residual is)
        members = net.company.dropna()
    index = net.facilities.index
    base_at_sinks = availability(net).reindex(demand.index).to_numpy()
    groups = sorted(members.unique())
    # per facility: its group's position in ``groups`` (-1: none); per group, its members in
    # ``members`` order (the order ``members.index[members == group]`` gave)
    code = np.full(len(index), -1, dtype=np.int64)
    member_at = lookup.positions(index, members.index)
    member_code = np.searchsorted(np.array(groups, dtype=object), members.to_numpy(dtype=object))
    code[member_at] = member_code
    by_group = np.argsort(member_code, kind="stable")
    bounds = np.searchsorted(member_code[by_group], np.arange(len(groups) + 1))
    ids_of = members.index.to_numpy(dtype=object)[by_group]
    stages_of = net.facilities["stage"].to_numpy(dtype=object)[member_at[by_group]]
    sink_at = lookup.positions(index, demand.index)
    sink_code = code[sink_at]
    weights = demand.to_numpy()
    unit = _demand_unit(net, demand)
    countries = _company_countries(net) if by == "company" else {}
    sink_ids = demand.index.to_numpy(dtype=object)
    rows = []
    block = _GROUP_BLOCK
    plan = net.trace.forward
    sink_rows = plan.position[sink_at]
    buffer = None
    for first in range(0, len(groups), block):
        if progress:
            progress(first, len(groups), f"{by} rollups")
        last = min(first + block, len(groups))
        # a = f o (S a) + f o origin, f = 0 on the group: one column per group (the columns
        # of a block solve never depend on each other, so each equals its own solve), as a
        # sparse scale in plan order (Monte Carlo's kernel: no n x K factor block, gather
        # or scatter; the same arithmetic where f is 0 or 1)
        chosen = np.flatnonzero((code >= first) & (code < last))
        shocks = SparseScale(chosen, code[chosen] - first, np.zeros(chosen.size), last - first)
        solved = plan.solve(net.trace.origin, shocks, out=_work_block(buffer, len(index), last - first))
        buffer = solved
        after = np.ascontiguousarray(solved[sink_rows].T)
        lost = weights * np.clip(base_at_sinks - after, 0.0, None)  # (groups, sinks)
        inside = sink_code[None, :] == np.arange(first, last)[:, None]
        cut_off = (after <= 1e-12) & (base_at_sinks > 1e-12) & ~inside
        affected = (lost > 1e-12 * max(total, 1.0)).sum(axis=1)
        for j, group in enumerate(groups[first:last]):
            row = lost[j]  # contiguous: summed exactly as the one-group array was
            at_risk = float(row.sum())
            external = float(row[~inside[j]].sum()) if inside[j].any() else at_risk
            ids = ids_of[bounds[first + j]:bounds[first + j + 1]].tolist()
            rows.append({
                "group": group, "by": by, "name": _group_name(net, by, group),
                "control_country": countries.get(group) if by == "company" else group,
                "facilities": len(ids),
                "stages": sorted(set(stages_of[bounds[first + j]:bounds[first + j + 1]].tolist()),
                                 key=ALL_STAGES.index),
                "criticality": float(at_risk / total) if total > 0 else 0.0,
                "demand_at_risk": at_risk,
                "external_demand_at_risk": external,
                "demand_unit": unit,
                "single_point_for": sorted(sink_ids[cut_off[j]].tolist()),
                "sinks_affected": int(affected[j]),
                "facility_ids": sorted(ids),
            })
    if progress:
        progress(len(groups), len(groups), f"{by} rollups")
    table = pd.DataFrame(rows, columns=_GROUP_COLUMNS[1:])
    table = _rank(table, ["criticality", "facilities", "name"], [False, True, True])
    return table[_GROUP_COLUMNS].head(top) if top else table[_GROUP_COLUMNS]


#: Groups propagated together in :func:`chokepoints_by_group` (a block of n x 32 floats).
_GROUP_BLOCK = 32


def _company_countries(net: Network) -> dict:
    """Per ultimate owner: the control country of its first facility (``net.ownership``
    order) that has one; owners with none are absent."""
    ownership = net.ownership[["ultimate_owner", "control_country"]].dropna()
    return ownership.drop_duplicates("ultimate_owner").set_index("ultimate_owner")[
        "control_country"].to_dict()


def _group_name(net: Network, by: str, group: str) -> str:
    if by == "company":
        return group
    import pycountry

    country = pycountry.countries.get(alpha_2=group)
    return getattr(country, "common_name", None) or (country.name if country else group)


# --- per sink --------------------------------------------------------------------------------
#: Entries of one block of per-sink shares (n facilities x sinks in the block): 2**24 floats,
#: 128 MB, so the shares of every sink are never held at once (100,000 facilities and
#: 47,000 sinks would be 38 GB).
_BLOCK_ENTRIES = 2 ** 24
#: at most this many threads solve blocks of sinks at once (each holds one block)
_BLOCK_WORKERS = 4


@dataclass(frozen=True)
class SinkDependencies:
    """What the report reads from the per-sink shares ``F(k, u)``, kept without the full
    sinks x facilities matrix (see :func:`sink_dependencies`).

    ``largest``: per sink (index), ``largest_dependency`` (the facility u other than the
    sink with the largest ``F(k, u)``, the first in facility order on ties; None when no
    facility has a positive share) and ``largest_dependency_share`` (that share, 0 when
    None). ``shares``: ``F(k, u)`` for the sinks (rows) and the requested facilities
    (columns), as in :func:`sink_shares`.
    """

    largest: pd.DataFrame
    shares: pd.DataFrame


def first_passage_blocks(net: Network, sinks: pd.Index, reduce: Callable,
                         progress: Optional[Progress] = None, label: str = "per-sink shares",
                         workers: Optional[int] = None) -> Iterator[tuple[int, int, object]]:
    """``(first, last, reduce(first, last, shares, rows))`` over blocks of ``sinks``, in
    order, where ``shares[rows[u], j] = F(sinks[first + j], u)`` (:func:`first_passage_shares`
    transposed, its rows in the backward plan's order: ``rows`` maps each facility to its
    row), so that memory stays bounded whatever the number of sinks: only what ``reduce``
    returns outlives a block. ``reduce`` may overwrite ``shares`` (its buffers are reused
    for the worker's next block). Each sink's column never depends on the others of its
    block (:mod:`graphmodel.solve.plan`): the values are those of one solve over all sinks.

    Blocks hold about :data:`_BLOCK_ENTRIES` values (narrower blocks that stay in the cache
    were measured slower at 100,000 facilities: the per-level overhead and the reductions
    outweigh it). They are solved and reduced on ``workers`` threads (default: the cores, at
    most :data:`_BLOCK_WORKERS`; the sparse products and NumPy's loops release the GIL),
    each with its own buffer and BLAS held to its share of the cores, at most two blocks per
    thread ahead of the caller. ``progress`` is told each block as ``label``. Leaving the
    loop early waits for the blocks already started and drops the others."""
    n = len(net.facilities)
    at = lookup.positions(net.facilities.index, sinks)
    block = max(1, _BLOCK_ENTRIES // max(n, 1))
    trace = net.trace
    rows = trace.backward.position
    trace.diagonal  # built once, before the threads
    ranges = [(first, min(first + block, len(sinks))) for first in range(0, len(sinks), block)]
    workers = max(1, min(workers or os.cpu_count() or 1, _BLOCK_WORKERS, len(ranges)))
    local = threading.local()

    def solve(i: int):
        first, last = ranges[i]
        buffer = local.buffer = _work_block(getattr(local, "buffer", None), n, last - first)
        return reduce(first, last, trace.first_passage_of_units(at[first:last], buffer), rows)

    pool = ThreadPoolExecutor(max_workers=workers)
    pending: deque = deque()
    try:
        with threadpool_limits(blas_threads_per_worker(workers), user_api="blas"):
            pending.extend(pool.submit(solve, i) for i in range(min(2 * workers, len(ranges))))
            for i, (first, last) in enumerate(ranges):
                result = pending.popleft().result()
                ahead = i + len(pending) + 1
                if ahead < len(ranges):
                    pending.append(pool.submit(solve, ahead))
                if progress:
                    progress(first, len(sinks), label)
                yield first, last, result
    finally:  # stopped early: let the blocks already started finish, drop the others
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
    if progress:
        progress(len(sinks), len(sinks), label)


def sink_dependencies(net: Network, sinks: pd.Index, columns: Iterable[str] = (),
                      progress: Optional[Progress] = None) -> SinkDependencies:
    """The largest single-facility dependency of every sink in ``sinks`` and the shares
    ``F(k, u)`` of the facilities ``columns``, from :func:`first_passage_shares` computed
    in blocks of sinks (:func:`first_passage_blocks`), so memory stays bounded whatever
    the number of sinks."""
    index = net.facilities.index
    n = len(index)
    columns = pd.Index(list(columns))
    picked = lookup.positions(index, columns)
    at = lookup.positions(index, sinks)
    # the maximum is searched with untraced facilities (NaN) and the sink itself set to
    # -inf, so that it sees numbers only
    untraced = np.flatnonzero(~net.trace.traced)
    facility_of_row = net.trace.backward.order
    largest_at = np.full(len(sinks), -1, dtype=np.int64)
    largest_share = np.zeros(len(sinks))
    kept = np.empty((len(sinks), len(columns)))

    def reduce(first: int, last: int, shares: np.ndarray, rows: np.ndarray):
        picked_shares = shares[rows[picked]].T
        shares[rows[untraced]] = -np.inf
        shares[rows[at[first:last]], np.arange(last - first)] = -np.inf  # not the sink itself
        return picked_shares, _first_maximum(shares, facility_of_row) if n else None

    for first, last, (picked_shares, maximum) in first_passage_blocks(
            net, sinks, reduce, progress, "sink dependencies"):
        kept[first:last] = picked_shares
        if maximum is not None:
            largest_at[first:last], largest_share[first:last] = maximum
    ids = index.to_numpy(dtype=object)
    named = pd.Series([ids[i] if i >= 0 else None for i in largest_at.tolist()], index=sinks,
                      dtype=object)
    largest = pd.DataFrame({"largest_dependency": named, "largest_dependency_share": largest_share})
    return SinkDependencies(largest=largest, shares=pd.DataFrame(kept, index=sinks, columns=columns))


def _work_block(buffer: Optional[np.ndarray], n: int, K: int) -> np.ndarray:
    """``buffer`` if it is an (n, K) array, else a new one (blocks reused solve after solve)."""
    return buffer if buffer is not None and buffer.shape == (n, K) else np.empty((n, K))


#: rows of a block compared with its column maxima at a time (a boolean chunk that stays in
#: the cache; a whole-block comparison and its nonzero took twice as long)
_TIE_CHUNK = 256


def _first_maximum(shares: np.ndarray, facility_of_row: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Per column of ``shares`` (rows in any order, row r for facility
    ``facility_of_row[r]``): the facility with the largest value, the first in facility
    order on ties (as pandas' idxmax), and that value; (-1, 0) where it is not positive.
    The column maxima are taken down the rows (contiguous, fast), then the rows equal to
    them found chunk by chunk, the smallest facility kept per column."""
    best_value = shares.max(axis=0)
    first = np.full(shares.shape[1], np.iinfo(np.int64).max)
    hit = np.empty((min(_TIE_CHUNK, shares.shape[0]), shares.shape[1]), dtype=bool)
    for start in range(0, shares.shape[0], _TIE_CHUNK):
        part = shares[start:start + _TIE_CHUNK]
        equal = hit[:part.shape[0]]
        np.equal(part, best_value, out=equal)
        if equal.any():
            hit_rows, hit_columns = np.nonzero(equal)
            np.minimum.at(first, hit_columns, facility_of_row[start + hit_rows])
    # a column of zeros (or of -inf) names no facility
    best = np.where(best_value > 0, first, -1)
    return best, np.where(best >= 0, best_value, 0.0)


def sink_resilience(net: Network, sinks=None, progress: Optional[Progress] = None,
                    dependencies: Optional[SinkDependencies] = None) -> pd.DataFrame:
    """Per selected sink: ``id, name, stage, sector, country, demand, demand_unit,
    supply_traced, min_cut_size, min_cut, dominators`` (on the graph, nearest first),
    ``single_points`` (the facilities whose outage alone stops the sink, sorted: its
    dominators, with recipes also those that stop it in the recipe runs; never an aggregate
    row; see :func:`chokepoints`) and ``largest_dependency`` / ``largest_dependency_share``:
    the facility other than the sink whose failure alone costs it the most (``F(k, u)``).

    ``dependencies``: :func:`sink_dependencies` of the selected sinks when the caller has
    them already (the report computes them once, with the shares it explains)."""
    demand = selected_demand(net, sinks)
    _, _, single = _criticality_and_single_points(net, demand, demand_criticality(net, demand))
    stops: dict[str, list[str]] = {}
    for facility, stopped in zip(net.facilities.index, single):
        for sink in stopped:
            stops.setdefault(sink, []).append(facility)
    if dependencies is None:
        dependencies = sink_dependencies(net, demand.index, progress=progress)
    largest = dependencies.largest
    cuts = _min_cuts(net, demand.index, progress=progress).set_index("sink")
    dominated = _dominators(net, demand.index)
    sinks = demand.index
    facilities = net.facilities.loc[sinks]
    baseline = availability(net).reindex(sinks)
    cuts, largest = cuts.reindex(sinks), largest.reindex(sinks)
    # built column by column (a row-by-row .at took 13 s for 47,128 sinks), from lists as
    # before, so the frame's types are those of the row records
    rows = {
        "id": list(sinks), "name": facilities["name"].tolist(),
        "stage": facilities["stage"].tolist(), "sector": facilities["sector"].tolist(),
        "country": facilities["country"].tolist(),
        "demand": demand.to_numpy(dtype=float).tolist(), "demand_unit": facilities["unit"].tolist(),
        "supply_traced": baseline.to_numpy(dtype=float).tolist(),
        "min_cut_size": cuts["min_cut_size"].to_numpy(dtype=int).tolist(),
        "min_cut": cuts["min_cut"].tolist(),
        "dominators": [dominated[sink] for sink in sinks],
        "single_points": [sorted(stops.get(sink, [])) for sink in sinks],
        "largest_dependency": largest["largest_dependency"].tolist(),
        "largest_dependency_share": largest["largest_dependency_share"].to_numpy(dtype=float).tolist(),
    }
    return pd.DataFrame(rows)


__all__ = [
    "SinkSelectionError", "selected_demand", "carrying_graph", "availability", "sink_shares",
    "criticality", "dominators", "min_cuts", "spare_capacity", "material_spare_capacity",
    "alternatives", "chokepoints", "chokepoints_by_group", "sink_resilience",
    "SinkDependencies", "sink_dependencies",
    "recipe_criticality", "uses_recipes",
]
