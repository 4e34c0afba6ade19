"""Risk Exposure Index style ranking: the impact of a standard outage of each facility.

For every facility u, a *standard outage* is a full loss of u for ``months`` months, with
no inventory and no rerouting (pure propagation, :mod:`.propagate`). Its impact at sink k
is the supply fraction k loses while u is out, ``loss[k, u]``: the share of k's supply
that passes through u (first passage: ``L[k, u] / L[u, u]`` with ``L = (I - S)^-1``; a
recycling loop is not counted twice): the per-sink shares of
:func:`graphmodel.chokepoints.first_passage_shares`, one backward block solve with a column
per sink on the network's plan (the same number as propagating each facility's outage
forward, at a fraction of the cost). Facilities no origin reaches carry no traced supply
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

from ..chokepoints import first_passage_shares
from ..network import Network


def outage_loss_matrix(net: Network, facilities: pd.Index | None = None) -> pd.DataFrame:
    """Sinks x facilities: the supply fraction each sink loses when a facility is out."""
    shares = first_passage_shares(net, net.sinks).fillna(0.0)  # untraced: nothing to lose
    return shares if facilities is None else shares[pd.Index(facilities)]


def risk_exposure_index(net: Network, months: float = 3.0) -> pd.DataFrame:
    """Rank facilities by the sink demand lost in a full outage of ``months`` months.

    Returns one row per facility (sinks included: their own outage), sorted by
    ``lost_volume`` descending; columns described in the module docstring.
    """
    loss = outage_loss_matrix(net)
    demand = net.sink_demand.reindex(loss.index).to_numpy(dtype=float)
    lost = demand @ loss.to_numpy() * months / 12.0
    total = demand.sum() * months / 12.0
    hit = loss.to_numpy() > 1e-9
    worst = np.argmax(loss.to_numpy(), axis=0) if len(loss.index) else np.zeros(len(loss.columns), int)
    facilities = net.facilities
    table = pd.DataFrame({
        "id": loss.columns.astype(str),
        "name": facilities["name"].to_numpy(),
        "stage": facilities["stage"].to_numpy(),
        "country": facilities["country"].to_numpy(),
        "lost_volume": lost,
        "lost_share": lost / total if total > 0 else np.nan,
        "sinks_hit": hit.sum(axis=0),
        # no sinks (a network without carrying links): nothing is lost, no worst sink
        "worst_sink": (np.where(hit.any(axis=0), np.asarray(loss.index.astype(str))[worst], None)
                       if len(loss.index) else np.full(len(loss.columns), None, dtype=object)),
        "worst_loss": loss.to_numpy().max(axis=0, initial=0.0),
    })
    peak = table["lost_volume"].max()
    table["rei"] = table["lost_volume"] / peak if peak > 0 else 0.0
    table = table.sort_values(["lost_volume", "id"], ascending=[False, True]).reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table
