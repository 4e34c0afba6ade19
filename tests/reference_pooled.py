"""The pooled monthly simulation as it was before recipes: every input of a facility
substitutes one for one by mass (one stock, production = consumed / inbound).

Kept as the reference that :func:`graphmodel.scenarios.simulate.simulate` must reproduce
on networks without recipes (to 1e-12). Rerouting is the engine's own (one LP per level,
shared code), fed this model's stocks."""
from __future__ import annotations

import numpy as np

from graphmodel.scenarios.simulate import ReroutePlan, Simulation, level_links
from graphmodel.scenarios.stocks import pool_of_links


class FacilityStock:
    """This model's one stock per facility as the reroute LP reads and draws it: a
    material's share of it is the material's share of the facility's baseline intake."""

    def __init__(self, topo, stock):
        self.stock = stock
        self.pool_of_link, self.owner, _ = pool_of_links(topo)
        carrying = topo.volume > 0
        intake = np.bincount(self.pool_of_link[carrying], weights=topo.volume[carrying],
                             minlength=len(self.owner))
        self.share = np.divide(intake, topo.inbound[self.owner], out=np.zeros(len(intake)),
                               where=topo.inbound[self.owner] > 0)
        self.group_owner = topo.production.group_owner

    def group_amount(self, groups, columns):
        return self.stock[self.group_owner[groups], columns]

    def pool_amount(self, pools, columns):
        return self.stock[self.owner[pools], columns] * self.share[pools]

    def receive(self, links, columns, tonnes):
        np.add.at(self.stock, (self.owner[self.pool_of_link[links]], columns), tonnes)

    def draw(self, groups, pools, columns, units):
        np.subtract.at(self.stock, (self.group_owner[groups], columns), units)
        np.maximum(self.stock, 0.0, out=self.stock)


def simulate_pooled(topo, compiled, responses, *, inventory: bool, reroute: bool) -> Simulation:
    f_all, g_all = compiled.f, compiled.g
    horizon, n, K = f_all.shape
    E = topo.n_links
    monthly = topo.volume / 12.0
    need_full = topo.inbound / 12.0
    target = (topo.stock_months * need_full)[:, None] * np.ones((1, K)) if inventory \
        else np.zeros((n, K))
    stock = target.copy()
    p_prev = np.ones((n, K))
    levels = level_links(topo)
    plan = ReroutePlan(topo, responses, horizon, levels) if reroute else None
    slot_owner = topo.production.slot_owner
    supply = np.zeros((horizon, n, K))
    rerouted = np.zeros((horizon, E, K))
    stocks = np.zeros((horizon, n, K))
    for t in range(horizon):
        f, g = f_all[t], g_all[t]
        p = np.zeros((n, K))
        flow = np.zeros((E, K))
        extra = np.zeros((E, K))
        used = np.zeros((n, K))
        for number, (level, inbound_links, to_customer) in enumerate(levels):
            source = np.where(topo.lagged[inbound_links, None], p_prev[topo.supplier[inbound_links]],
                              p[topo.supplier[inbound_links]])
            flow[inbound_links] = monthly[inbound_links, None] * source * g[inbound_links]
            if plan is not None and len(inbound_links):
                # the reroute LP reads and draws the facility's one stock
                plan.solve(t, number, f, g, p[slot_owner], flow, extra, used,
                           FacilityStock(topo, stock), compiled.first_start)
            arrivals = to_customer @ (flow[inbound_links] + extra[inbound_links])
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
