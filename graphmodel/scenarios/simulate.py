"""Full mode: a monthly simulation with inventories, rerouting and qualification lead times.

Each month ``t`` the facilities are processed in supply order (:attr:`Topology.levels`;
links out of recyclers deliver last month's output). For facility v with baseline annual
inbound volume ``I(v)`` and this month's facility factor ``f(v)``:

1. *Arrivals*: every link u -> v delivers ``volume/12 * p(u) * g(u, v)``, where ``p(u)``
   is u's production fraction this month and ``g`` the link factor.
2. *Rerouting* (``responses.reroute``): volume lost on (customer, material) pairs, i.e.
   ``f(v) * baseline - arrivals`` per material, is reallocated to spare capacity by one
   linear programme per level (scipy HiGHS), over links into the level's facilities that
   carry the same material from a supplier at the same stage. A link may carry rerouted
   volume when it is ``qualified`` (or brought online by ``new_capacity``) and, for
   ``candidate`` / ``in_qualification`` links, once ``qualification_months`` (or the
   scenario override) have elapsed since the first shock started. Links under an active
   link shock never take rerouted volume. A supplier's spare capacity this month is
   ``f(u) * capacity(u)/12 - committed(u)`` (committed = its current outbound plus volume
   already rerouted from it), offered only if the supplier itself gets all the inputs it
   needs (``p(u) >= f(u)``): a supplier short of inputs already ships all it can make.
   Unknown capacity (NaN) or a non-operating facility offers none (unless
   ``new_capacity`` brings it online, ramping linearly). The LP maximises rerouted
   volume, preferring qualified links (a candidate unit is worth 1 - 1e-6 of a
   qualified one). Rerouting is one stage deep: the extra output of the new supplier is
   assumed to find its inputs (the extra demand is not propagated further upstream).
3. *Inventory* (``responses.inventory``): v holds ``inventory_days/30`` months of its
   baseline input consumption ``I(v)/12``. It consumes ``need = f(v) * I(v)/12``. When
   arrivals fall short it draws on the stock; the *refill rule*: arrivals above ``need``
   go to the stock, and once arrivals cover ``need`` again the stock also refills by
   ``refill_rate * I(v)/12`` per month (a supplier surge the model does not charge
   upstream), never above its starting level.
4. *Production* ``p(v) = consumption / (I(v)/12)``; origins produce ``p = f``.

With inventory and rerouting both off this reproduces pure propagation month by month
(up to the one-month lag on recycler outputs).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import linprog

from ..errors import TiernError
from .core import Compiled, Topology
from .model import Responses
from .select import facility_mask

#: A candidate (not yet qualified) link's rerouted unit counts this much less than a
#: qualified one in the LP objective: qualified links are preferred at equal volume.
CANDIDATE_PENALTY = 1e-6
_TINY = 1e-12


@dataclass
class Simulation:
    """Monthly outputs: production fractions ``p`` (T, n, K) and rerouted volume (T, E, K)."""

    supply: np.ndarray
    rerouted: np.ndarray
    stock: np.ndarray


def capacity_schedule(topo: Topology, responses: Responses, horizon: int
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Usable capacity per month (T, n), extra-link caps (T, E) and link online months (E,).

    Operating facilities keep their capacity (NaN -> 0: no spare); ``new_capacity``
    entries bring facilities or links online at ``month``, ramping linearly over
    ``ramp_months`` (fraction ``(t - month + 1) / ramp_months`` in month t).
    """
    months = np.arange(horizon, dtype=float)
    base = np.where(topo.operating, np.nan_to_num(topo.capacity, nan=0.0), 0.0)
    capacity = np.tile(base, (horizon, 1))
    link_cap = np.full((horizon, topo.n_links), np.inf)
    link_online = np.full(topo.n_links, np.inf)
    links = topo.net.links
    for entry in responses.new_capacity:
        ramp = _ramp(months, entry.month, entry.ramp_months)
        if entry.select is not None:
            chosen = facility_mask(topo.net, entry.select)
            amount = entry.capacity if entry.capacity is not None else \
                np.nan_to_num(topo.capacity[chosen], nan=0.0)
            capacity[:, chosen] = np.maximum(capacity[:, chosen],
                                             ramp[:, None] * np.broadcast_to(amount, chosen.sum()))
        else:
            ref = entry.link
            match = ((links["supplier"] == ref.supplier) & (links["customer"] == ref.customer)
                     & (links["material"] == ref.material if ref.material else True)).to_numpy()
            if not match.any():
                raise TiernError(f"new_capacity link {ref.supplier} -> {ref.customer} "
                                 f"{ref.material or ''} is not in the network's links")
            link_online[match] = np.minimum(link_online[match], entry.month)
            if entry.capacity is not None:
                link_cap[:, match] = (entry.capacity / 12.0 * ramp)[:, None]
    return capacity, link_cap, link_online


def _ramp(months: np.ndarray, start: float, ramp_months: float) -> np.ndarray:
    if ramp_months <= 0:
        return (months >= start).astype(float)
    return np.clip((months - start + 1) / ramp_months, 0.0, 1.0)


def simulate(topo: Topology, compiled: Compiled, responses: Responses, *,
             inventory: bool, reroute: bool) -> Simulation:
    """Run the monthly simulation for every column of ``compiled`` at once (see module doc)."""
    f_all, g_all = compiled.f, compiled.g
    horizon, n, K = f_all.shape
    E = topo.n_links
    monthly = topo.volume / 12.0
    need_full = topo.inbound / 12.0
    target = (topo.stock_months * need_full)[:, None] * np.ones((1, K)) if inventory \
        else np.zeros((n, K))
    stock = target.copy()
    p_prev = np.ones((n, K))
    plan = _ReroutePlan(topo, responses, horizon) if reroute else None
    supply = np.zeros((horizon, n, K))
    rerouted = np.zeros((horizon, E, K))
    stocks = np.zeros((horizon, n, K))
    levels = [(level, np.flatnonzero(np.isin(topo.customer, level))) for level in topo.levels]
    for t in range(horizon):
        f, g = f_all[t], g_all[t]
        p = np.zeros((n, K))
        flow = np.zeros((E, K))
        extra = np.zeros((E, K))
        used = np.zeros((n, K))            # rerouted volume already taken from each supplier
        for level, inbound_links in levels:
            source = np.where(topo.lagged[inbound_links, None], p_prev[topo.supplier[inbound_links]],
                              p[topo.supplier[inbound_links]])
            flow[inbound_links] = monthly[inbound_links, None] * source * g[inbound_links]
            if plan is not None and len(inbound_links):
                plan.solve(t, level, f, g, p, flow, extra, used, compiled.first_start)
            arrivals = _sum_by_customer(topo, flow + extra, level, inbound_links, K)
            origin = topo.origin[level]
            need = f[level] * need_full[level, None]
            short = np.maximum(need - arrivals, 0.0)
            draw = np.minimum(short, stock[level])
            consumed = np.minimum(arrivals, need) + draw
            surplus = np.maximum(arrivals - need, 0.0)
            recovered = arrivals >= need * (1 - 1e-9)
            refill = np.where(recovered, responses.refill_rate * need_full[level, None], 0.0)
            stock[level] = np.minimum(target[level], stock[level] - draw + surplus + refill)
            produced = np.divide(consumed, need_full[level, None], out=np.zeros_like(consumed),
                                 where=need_full[level, None] > 0)
            p[level] = np.where(origin[:, None], f[level], np.minimum(produced, f[level]))
        supply[t], rerouted[t], stocks[t] = p, extra, stock
        p_prev = p
    return Simulation(supply=supply, rerouted=rerouted, stock=stocks)


def _sum_by_customer(topo, flow, level, inbound_links, K) -> np.ndarray:
    position = np.searchsorted(level, topo.customer[inbound_links])
    total = np.zeros((len(level), K))
    np.add.at(total, position, flow[inbound_links])
    return total


class _ReroutePlan:
    """Static parts of the reroute LP: (customer, material) groups, eligible links, caps."""

    def __init__(self, topo: Topology, responses: Responses, horizon: int):
        self.topo = topo
        links = topo.net.links
        self.capacity, self.link_cap, link_online = capacity_schedule(topo, responses, horizon)
        pairs = pd.MultiIndex.from_arrays([links["customer"].to_numpy(), links["material"].to_numpy()])
        self.group, _ = pd.factorize(pairs)
        carrying = topo.volume > 0
        self.carrying = carrying
        # baseline monthly volume per (customer, material) group
        self.group_base = np.bincount(self.group[carrying], weights=topo.volume[carrying] / 12.0,
                                      minlength=self.group.max() + 1)
        # alternatives must come from the stage that supplied the group in the baseline
        self.same_stage = _same_stage(topo, self.group, carrying)
        lead = topo.qualification.copy()
        lead = np.where(np.isnan(lead), responses.default_qualification_months, lead)
        if responses.qualification_months is not None:
            lead[:] = responses.qualification_months
        self.qualified = topo.link_status == "qualified"
        self.lead = np.where(self.qualified, 0.0, lead)
        self.online = link_online
        self.static_ok = self.same_stage & ~topo.lagged & (self.group_base[self.group] > 0)
        self.cost = np.where(self.qualified, -1.0, -(1.0 - CANDIDATE_PENALTY))
        self.out_links_monthly = topo.volume / 12.0

    def eligible(self, t: int, links: np.ndarray, g: np.ndarray, first_start: np.ndarray) -> np.ndarray:
        """(len(links), K) whether each link may take rerouted volume in month t."""
        elapsed = t - first_start[None, :]
        by_qualification = elapsed >= self.lead[links, None]
        by_new = t >= self.online[links, None]
        unshocked = g[links] >= 1.0 - _TINY
        return (self.static_ok[links, None] & (by_qualification | by_new) & unshocked)

    def solve(self, t, level, f, g, p, flow, extra, used, first_start) -> None:
        topo = self.topo
        K = f.shape[1]
        into = np.flatnonzero(np.isin(topo.customer, level) & self.static_ok)
        if not len(into):
            return
        # lost volume per (group, column), from the carrying links' shortfall
        inbound = np.flatnonzero(np.isin(topo.customer, level) & self.carrying)
        arrived = np.zeros((self.group.max() + 1, K))
        np.add.at(arrived, self.group[inbound], flow[inbound])
        wanted = self.group_base[:, None] * np.ones((1, K))
        owner = np.zeros(self.group.max() + 1, dtype=int)
        owner[self.group] = topo.customer
        lost = np.maximum(f[owner] * wanted - arrived, 0.0)
        ok = self.eligible(t, into, g, first_start) & (lost[self.group[into]] > _TINY)
        if not ok.any():
            return
        # spare capacity of each supplier this month
        committed = _committed(topo, p, g, self.out_links_monthly)
        headroom = f * self.capacity[t][:, None] / 12.0 - committed - used
        spare = np.where(p >= f - 1e-9, np.maximum(headroom, 0.0), 0.0)
        ok &= spare[topo.supplier[into]] > _TINY
        if not ok.any():
            return
        link_idx, column = np.nonzero(ok)
        links = into[link_idx]
        count = len(links)
        group_key, group_row = np.unique(self.group[links] * K + column, return_inverse=True)
        supplier_key, supplier_row = np.unique(topo.supplier[links] * K + column, return_inverse=True)
        rows = np.concatenate([group_row, len(group_key) + supplier_row])
        A = sp.csr_matrix((np.ones(2 * count), (rows, np.tile(np.arange(count), 2))),
                          shape=(len(group_key) + len(supplier_key), count))
        b = np.concatenate([lost[group_key // K, group_key % K],
                            spare[supplier_key // K, supplier_key % K]])
        upper = self.link_cap[t, links]
        bounds = np.column_stack([np.zeros(count), np.where(np.isfinite(upper), upper, np.inf)])
        result = linprog(self.cost[links], A_ub=A, b_ub=b, bounds=bounds, method="highs")
        if result.status != 0:
            raise TiernError(f"reroute LP failed in month {t}: {result.message}")
        amount = np.maximum(result.x, 0.0)
        np.add.at(extra, (links, column), amount)
        np.add.at(used, (topo.supplier[links], column), amount)


def _same_stage(topo: Topology, group: np.ndarray, carrying: np.ndarray) -> np.ndarray:
    """(E,) whether each link's supplier stage is one of the stages that supply its group's
    carrying links: integer (group, stage) pair codes instead of a Python set per link."""
    stage_codes, stage_names = pd.factorize(topo.stage)
    pair = group.astype(np.int64) * len(stage_names) + stage_codes[topo.supplier]
    return np.isin(pair, np.unique(pair[carrying]))


def _committed(topo: Topology, p: np.ndarray, g: np.ndarray, monthly: np.ndarray) -> np.ndarray:
    """Each supplier's current monthly outbound over its carrying links: (n, K)."""
    out = monthly[:, None] * g * p[topo.supplier]
    total = np.zeros_like(p)
    np.add.at(total, topo.supplier, out)
    return total
