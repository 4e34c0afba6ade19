"""Why a sink is short: the binding input behind each sink's worst month.

Starting at the sink in the month of its lowest supply, walk upstream:

1. at facility v, if its own facility factor ``f(v)`` is what limits it (an outage at v),
   the answer is "outage at v";
2. otherwise take v's input group with the lowest fulfilment ``phi_g`` that month
   (:mod:`graphmodel.recipes`); if v has complementary groups (two or more), the answer
   is that group at v, e.g. "DyTb at jp-shin-etsu-takefu": v stopped for lack of Dy/Tb
   although its other inputs arrived;
3. for a facility with a single input group, follow the inbound link of that group that lost
   the most volume that month: if the link itself was cut (an export control or another
   link shock), the answer is that material on that link ("Dy metal cn-x -> jp-y (link
   cut)"); else continue at its supplier.

The walk ends at the first answer, at an origin, or after as many steps as there are
facilities; a sink with no shortfall gets an empty answer.
"""
from __future__ import annotations

import numpy as np

from ..recipes import POOLED
from .core import Compiled, Topology
from .simulate import Simulation

#: A fraction this close to 1 counts as whole.
_WHOLE = 1e-9


def binding_inputs(topo: Topology, compiled: Compiled, sim: Simulation,
                   sink_positions: np.ndarray, sink_supply: np.ndarray) -> list[str]:
    """The binding input of each sink (column 0 of a deterministic run), as text.

    ``sink_supply`` is (T, sinks): each sink's supply series as reported."""
    if sim.group_supply is None:
        raise ValueError("binding inputs need a single-column simulation")
    prod = topo.production
    group_order = np.argsort(prod.group_owner, kind="stable")
    bounds = np.searchsorted(prod.group_owner[group_order], np.arange(topo.n + 1))
    groups_of = [group_order[bounds[v]:bounds[v + 1]] for v in range(topo.n)]
    entry_bounds = np.searchsorted(prod.entry_link, np.arange(topo.n_links + 1))
    out = []
    for i, sink in enumerate(sink_positions):
        series = sink_supply[:, i]
        if series.min() >= 1 - _WHOLE:
            out.append("")
            continue
        month = int(np.argmin(series))
        out.append(_explain(topo, compiled, sim, int(sink), month, groups_of, entry_bounds))
    return out


def _explain(topo, compiled, sim, v, t, groups_of, entry_bounds) -> str:
    prod = topo.production
    ids = topo.index
    for _ in range(topo.n):
        f = compiled.f[t, v, 0]
        groups = [g for g in groups_of[v] if prod.group_base[g] > 0]
        if topo.origin[v] or not groups:
            return f"outage at {ids[v]}" if f < 1 - _WHOLE else ""
        phi = sim.group_supply[t, groups]
        worst = groups[int(np.argmin(phi))]
        if f < 1 - _WHOLE and f <= phi.min() + _WHOLE:
            return f"outage at {ids[v]}"
        if len(groups) > 1 and prod.group_name[worst] != POOLED:
            return f"{prod.group_name[worst]} at {ids[v]}"
        link = _most_lost_link(topo, compiled, sim, v, t, worst, entry_bounds)
        if link is None:
            return ""
        if compiled.g[t, link, 0] < 1 - _WHOLE:
            material = topo.net.links["material"].iat[link]
            return f"{material} {ids[topo.supplier[link]]} -> {ids[v]} (link cut)"
        v = int(topo.supplier[link])
    return ""


def _most_lost_link(topo, compiled, sim, v, t, group, entry_bounds):
    """The carrying link into v counted in ``group`` that delivered the least of its
    baseline in month t (lagged links: their supplier's previous month)."""
    prod = topo.production
    into = np.flatnonzero((topo.customer == v) & (topo.volume > 0))
    best, best_loss = None, 0.0
    for link in into:
        entries = np.arange(entry_bounds[link], entry_bounds[link + 1])
        if not np.any(prod.entry_group[entries] == group):
            continue
        month = t - 1 if topo.lagged[link] else t
        made = sim.slot_supply[month, prod.link_slot[link]] if month >= 0 else 1.0
        delivered = made * compiled.g[t, link, 0] + sim.rerouted[t, link, 0] * 12 / topo.volume[link]
        loss = topo.volume[link] * max(1.0 - delivered, 0.0)
        if loss > best_loss + 1e-12:
            best, best_loss = link, loss
    return best
