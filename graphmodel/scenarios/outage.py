"""Monte Carlo of random outages by pure propagation (the benchmark's study).

Each run draws random facility outages (:class:`OutageModel`) and propagates them with no
inventory and no rerouting: ``a = f o (S a) + f o origin`` for the facility factors f of
every run, solved as one n x K block on the network's forward plan (``net.trace.forward``,
:meth:`graphmodel.solve.Plan.solve` with a :class:`~graphmodel.solve.SparseScale`: the
factors differ from 1 on few facilities per run). Run r draws from its own generator
(:func:`run_rng`), so its result is bit-identical however the runs are sharded
(:mod:`graphmodel.executors`).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Optional

import numpy as np
import scipy.sparse as sp

from ..network import Network
from ..solve import Plan, SparseScale


@dataclass(frozen=True)
class OutageModel:
    """Random outages for a pure-propagation Monte Carlo.

    In each run every facility fails independently with ``probability`` (drawn sparsely:
    a Poisson number of distinct facilities), losing a uniform ``[0, 1)`` share of its
    capacity; and with ``country_probability`` one country-wide shock hits every facility
    of ``country`` at ``stage``, losing a uniform ``[country_loss_low, 1)`` share.
    """

    probability: float = 1e-4
    country: str = "CN"
    stage: str = "separator"
    country_probability: float = 0.1
    country_loss_low: float = 0.2


def run_rng(seed: int, run: int) -> np.random.Generator:
    """Run ``run``'s own generator: ``SeedSequence(seed, spawn_key=(run,))`` (the same stream as
    ``SeedSequence(seed).spawn(N)[run]``), so a run's draws never depend on sharding."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(run,)))


def _outage_group(net: Network, model: OutageModel) -> np.ndarray:
    return np.flatnonzero(((net.facilities["country"] == model.country)
                           & (net.facilities["stage"] == model.stage)).to_numpy())


def draw_shocks(net: Network, runs, seed: int, model: OutageModel = OutageModel(),
                group: Optional[np.ndarray] = None) -> SparseScale:
    """The random outages of ``runs`` (one column per run index), as sparse facility factors.

    Run ``r`` draws from :func:`run_rng` ``(seed, r)``: a Poisson number of distinct failed
    facilities, each keeping ``1 - U[0, 1)`` of its capacity; then, with
    ``model.country_probability``, a country-wide loss ``U[country_loss_low, 1)`` at the
    model's country and stage, which multiplies the factor of every facility there
    (``group``: their positions, when the caller has them).
    """
    n = len(net.facilities)
    group = _outage_group(net, model) if group is None else group
    rows, columns, values = [], [], []
    for column, run in enumerate(runs):
        rng = run_rng(seed, run)
        count = min(n, rng.poisson(model.probability * n))
        failed = rng.choice(n, size=count, replace=False) if count else np.empty(0, np.int64)
        parts = [(failed, 1.0 - rng.random(count))]
        if rng.random() < model.country_probability:
            loss = rng.uniform(model.country_loss_low, 1.0)
            parts.append((group, np.full(group.size, 1.0 - loss)))
        for part_rows, part_values in parts:
            rows.append(part_rows)
            values.append(part_values)
            columns.append(np.full(part_rows.size, column))
    return _combine_shocks(rows, columns, values, len(runs), n)


def _combine_shocks(rows, columns, values, n_columns: int, n: int) -> SparseScale:
    """Concatenate shock parts; a facility hit twice in one run keeps the product."""
    rows = np.concatenate(rows).astype(np.int64) if rows else np.empty(0, np.int64)
    columns = np.concatenate(columns).astype(np.int64) if columns else np.empty(0, np.int64)
    values = np.concatenate(values) if values else np.empty(0)
    key = columns * n + rows
    order = np.argsort(key, kind="stable")
    key, values = key[order], values[order]
    unique, first = np.unique(key, return_index=True)
    product = np.multiply.reduceat(values, first) if values.size else values
    return SparseScale(unique % n, unique // n, product, n_columns)


def draw_factors(net: Network, runs, seed: int, model: OutageModel = OutageModel()) -> np.ndarray:
    """Facility factors f (n, len(runs)) = 1 - capacity loss, one column per run index
    (the dense form of :func:`draw_shocks`)."""
    return draw_shocks(net, list(runs), seed, model).dense(len(net.facilities))


@dataclass(frozen=True)
class _SinkSegment:
    """The sinks of one level: plan rows ``rows`` (a slice: they are contiguous, the
    network's forward plan puts each level's sinks last; or, for sinks on recycling loops,
    an index array), their demand d as a (1, m) matrix (a sparse product sums each column
    sequentially, whatever K is), ``1 / a0`` (0 where ``a0 = 0``), ``offset`` (1 where
    ``a0 = 0``: such a sink loses nothing), the short cut ``(1 - threshold) a0`` and their
    indices in ``net.sinks``."""

    rows: slice | np.ndarray
    demand: sp.csr_matrix
    inverse_baseline: np.ndarray
    offset: np.ndarray
    cut: np.ndarray
    sinks: np.ndarray


def _sink_segments(net: Network, plan: Plan, threshold: float) -> tuple[list, float]:
    """Per level, what the outage statistics need about its sinks; and ``sum_k d_k a0_k``
    (kept in ``plan.memo``: the same for every batch)."""
    key = ("sinks", threshold)
    if key not in plan.memo:
        sink_rows = plan.position[net.facilities.index.get_indexer(net.sinks)]
        demand = net.sink_demand.reindex(net.sinks).to_numpy(dtype=float)
        baseline = plan.solve(net.trace.origin, SparseScale.none())[:, 0]
        sink_of_row = np.full(plan.schedule.n, -1)
        sink_of_row[sink_rows] = np.arange(len(sink_rows))
        groups = [slice(level.tail, level.middle) for level in plan.levels
                  if level.middle > level.tail]
        # an OEM returning scrap to a recycler is a sink on a loop: gathered, not sliced
        on_loops = np.sort(sink_rows[plan.schedule.cyclic[plan.order[sink_rows]]])
        if on_loops.size:
            groups.append(on_loops)
        segments = []
        for rows in groups:
            sinks = sink_of_row[rows]
            a0 = baseline[rows]
            traced = a0 > 0
            segments.append(_SinkSegment(
                rows=rows, demand=sp.csr_matrix(demand[sinks][None, :]),
                inverse_baseline=np.divide(1.0, a0, out=np.zeros_like(a0), where=traced),
                offset=(~traced).astype(float), cut=(1.0 - threshold) * a0, sinks=sinks))
        total = float(demand @ baseline[sink_rows]) or 1.0
        plan.memo[key] = (segments, total)
    return plan.memo[key]


_buffers = threading.local()


def _block_buffer(n: int, K: int) -> np.ndarray:
    """An (n, K) work array reused by this thread's outage batches."""
    buffer = getattr(_buffers, "block", None)
    if buffer is None or buffer.shape != (n, K):
        buffer = _buffers.block = np.empty((n, K))
    return buffer


def outage_batch(net: Network, runs, seed: int, model: OutageModel = OutageModel(),
                 threshold: float = 0.01) -> dict:
    """Pure propagation of ``runs`` random outage draws, solved as one n x K block.

    With ``a`` the shocked and ``a0`` the unshocked availability of each sink and ``d`` its
    demand, returns a dict: ``runs`` (the run indices); ``shortfall`` (per run, the share
    of demand-weighted sink supply lost, ``1 - sum_k d_k a_k / sum_k d_k a0_k``); ``worst``
    (per run, the largest loss of one sink, ``1 - min_k a_k / a0_k``); ``short_counts`` (per
    sink, the number of these runs in which ``a_k < (1 - threshold) a0_k``; integers, so
    shard totals add up exactly). Sinks with ``a0 = 0`` (supply traced to no origin) lose
    nothing. Each per-run number is computed column by column in an order fixed by the
    plan (the recycling loops' dense products have one fixed shape, see
    :meth:`~graphmodel.solve.plan.BlockSolver._apply_inverse`), so a run's result is
    bit-identical however the runs are sharded. The
    statistics are taken level by level on contiguous slices of the block (the sinks of a
    level are adjacent in plan order), which keeps them in cache.
    """
    runs = list(runs)
    plan = net.trace.forward
    segments, total = _sink_segments(net, plan, threshold)
    key = ("outage group", model.country, model.stage)  # the same for every batch
    if key not in plan.memo:
        plan.memo[key] = _outage_group(net, model)
    shocks = draw_shocks(net, runs, seed, model, group=plan.memo[key])
    block = _block_buffer(plan.schedule.n, len(runs))
    available = plan.solve(net.trace.origin, shocks, out=block)
    kept = np.zeros(len(runs))
    least = np.ones(len(runs))
    counts = np.zeros(len(net.sinks), dtype=np.int64)
    for segment in segments:
        rows = available[segment.rows]
        kept += (segment.demand @ rows)[0]
        counts[segment.sinks] = np.count_nonzero(rows < segment.cut[:, None], axis=1)
        ratio = rows * segment.inverse_baseline[:, None]
        ratio += segment.offset[:, None]
        np.minimum(least, ratio.min(axis=0), out=least)
    return {
        "runs": np.array(runs, dtype=int),
        "shortfall": 1.0 - kept / total,
        "worst": 1.0 - least,
        "short_counts": counts,
    }
