"""Risk Exposure Index style ranking: the impact of a standard outage of each facility.

For every facility u, a *standard outage* is a full loss of u for ``months`` months, with
no inventory and no rerouting (pure propagation, :mod:`.propagate`). Its impact at sink k
is the supply fraction k loses while u is out, ``loss[k, u]``: the share of k's supply
that passes through u (first passage: ``L[k, u] / L[u, u]`` with ``L = (I - S)^-1``; a
recycling loop is not counted twice): the per-sink shares of
:func:`graphmodel.chokepoints.first_passage_shares`, one backward block solve with a column
per sink on the network's plan, taken in blocks of sinks (the same number as propagating
each facility's outage forward, at a fraction of the cost). Facilities no origin reaches carry no traced supply
and lose nothing.

The ranking reports, per facility: ``lost_volume = sum_k demand_k * loss[k, u] * months / 12``
(in the sinks' demand units), ``lost_share`` (of all sink demand over the outage),
``sinks_hit`` (sinks losing more than 1e-9), the ``worst_sink`` and its ``worst_loss``
(fraction), and ``rei`` = lost_volume / the largest lost_volume (1 = the most critical
facility, as in Simchi-Levi's Risk Exposure Index).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import lookup
from ..chokepoints import first_passage_blocks, first_passage_shares
from ..network import Network


def outage_loss_matrix(net: Network, facilities: pd.Index | None = None) -> pd.DataFrame:
    """Sinks x facilities: the supply fraction each sink loses when a facility is out."""
    shares = first_passage_shares(net, net.sinks).fillna(0.0)  # untraced: nothing to lose
    return shares if facilities is None else shares[pd.Index(facilities)]


def risk_exposure_index(net: Network, months: float = 3.0) -> pd.DataFrame:
    """Rank facilities by the sink demand lost in a full outage of ``months`` months.

    Returns one row per facility (sinks included: their own outage), sorted by
    ``lost_volume`` descending; columns described in the module docstring.

    Computed without the sinks x facilities matrix (47,000 x 100,000 floats, 38 GB, at
    100,000 facilities): ``sum_k demand_k loss[k, u]`` is one backward solve with the
    demand as weights (:meth:`graphmodel.solve.Trace.first_passage`), and the counts and
    worst sinks are gathered over blocks of sinks
    (:func:`graphmodel.chokepoints.first_passage_blocks`), the first worst sink kept on
    ties, as one pass over the whole matrix would.
    """
    trace = net.trace
    index = net.facilities.index
    n = len(index)
    sinks = net.sinks
    demand = net.sink_demand.reindex(sinks).to_numpy(dtype=float)
    weights = np.zeros(n)
    weights[lookup.positions(index, sinks)] = demand  # demand at each sink's position
    # untraced facilities (NaN) carry no traced supply and lose nothing
    lost = np.where(trace.traced, trace.first_passage(weights), 0.0) * months / 12.0
    total = demand.sum() * months / 12.0
    hits = np.zeros(n, dtype=np.int64)
    worst_at = np.zeros(n, dtype=np.int64)
    worst_loss = np.zeros(n)
    untraced_rows = trace.backward.position[~trace.traced]

    def reduce(first: int, last: int, loss: np.ndarray, rows: np.ndarray):
        """Per row of a block (the backward plan's order): sinks hit, the first worst."""
        loss[untraced_rows] = 0.0
        best = loss.argmax(axis=1)
        return np.count_nonzero(loss > 1e-9, axis=1), first + best, loss[np.arange(n), best]

    # column j of a block is sink first + j; the blocks come in order, so the earliest
    # worst sink wins ties (strictly greater replaces)
    for _, _, (block_hits, block_worst, value) in first_passage_blocks(net, sinks, reduce):
        hits += block_hits
        better = value > worst_loss
        worst_loss[better] = value[better]
        worst_at[better] = block_worst[better]
    if len(sinks):  # back to facility order
        rows = trace.backward.position
        hits, worst_at, worst_loss = hits[rows], worst_at[rows], worst_loss[rows]
    names = np.asarray(sinks.astype(str), dtype=object)
    facilities = net.facilities
    table = pd.DataFrame({
        "id": index.astype(str),
        "name": facilities["name"].to_numpy(),
        "stage": facilities["stage"].to_numpy(),
        "country": facilities["country"].to_numpy(),
        "lost_volume": lost,
        "lost_share": lost / total if total > 0 else np.nan,
        "sinks_hit": hits,
        # no sinks (a network without carrying links): nothing is lost, no worst sink
        "worst_sink": (np.where(hits > 0, names[worst_at] if len(names) else None, None)
                       if len(names) else np.full(n, None, dtype=object)),
        "worst_loss": worst_loss,
    })
    peak = table["lost_volume"].max()
    table["rei"] = table["lost_volume"] / peak if peak > 0 else 0.0
    table = table.sort_values(["lost_volume", "id"], ascending=[False, True]).reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table
