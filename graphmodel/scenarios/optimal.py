"""The optimal response: the best the network could do, as linear programmes (Simchi-Levi).

Time to survive (TTS) and time to recover (TTR) as Simchi-Levi et al. define them
("Identifying risks and mitigating disruptions in the automotive supply chain",
*Interfaces* 45(5), 2015; "Stress-test your supply chain", *Harvard Business Review*,
January 2015): TTS is the longest time the network can match demand at every sink while
the shocked capacity stays out, with the best reallocation of stock and spare (qualified)
capacity; the TTR model gives the least demand lost while the shocks last. The monthly
simulation (:mod:`.simulate`, ``--response simulated``) is a greedy heuristic of the same
network: it reroutes month by month and level by level, one stage deep; this module plans
every month and every stage at once, with foresight.

The LP (one per question, scipy HiGHS)
--------------------------------------
Months ``t = 0 .. h-1``; ``f[t, v]`` and ``g[t, e]`` the scenario's facility and link
factors (:func:`.core.compile_factors`); tonnes are the links' units, per month.
Variables, all >= 0:

* ``x[e, t]``: tonnes shipped on link e in month t (every link, carrying or not);
* ``q[s, t]``: production of output slot s (:class:`graphmodel.recipes.Production`) in units
  of ``U_s``: ``U_s = O_s`` (its baseline monthly outbound, t) when it ships today, so ``q`` is
  the fraction of baseline (> 1 = extra); ``U_s = 1`` t for a slot that ships nothing today.
  A sink's slot: ``q`` is its supply fraction;
* ``u[g, t]``: use of input group g, in tonnes of output supported (``B_g`` = baseline);
* ``S[g, t]``: group g's stock at the end of month t, same unit.

Constraints, each month t:

1. *Outflow*: ``sum_{e out of s} x[e, t] <= U_s q[s, t]``; for links out of recyclers,
   ``<= U_s q[s, t-1]`` (``q[s, -1] = 1``: they deliver last month's output, as in the
   simulation).
2. *Capacity*: ``sum_{s of v} U_s q[s, t] <= f[t, v] max(C[t, v], O_v) / 12`` for every
   facility v that is not a sink (``C``: :func:`.simulate.capacity_schedule`, i.e.
   ``capacity`` with ``new_capacity`` ramps, 0 where unknown or not operating; ``O_v``
   its baseline annual outbound: unknown capacity offers no spare); per slot with a
   ``capacities.csv`` row, ``U_s q[s, t] <= f[t, v] max(c_s / 12, O_s)``.
3. *Recipe*: ``k_sg q[s, t] <= u[g, t]`` for every group g that output s needs, with
   ``k_sg = B_g`` for a slot measured as a fraction (ships today, or a sink) and 1 for
   one measured in tonnes; the usage of a group shared by several outputs is the largest
   (joint production), as in the simulation.
4. *Stock*: ``S[g, t] <= S[g, t-1] + A[g, t] - u[g, t]`` with arrivals
   ``A[g, t] = sum_e w_eg x[e, t]`` (``w = 1 / per_unit``), ``S[g, -1] = S0_g`` and
   ``0 <= S[g, t] <= S0_g``: ``S0_g`` = months of stock (``inventory_days / 30`` and
   ``responses.inventory_days``, :func:`.simulate.inventory_months`) times ``B_g``; a
   stock is never built above its starting level, surplus arrivals are not kept.
5. *Same material*: a pooled group (no recipe) fed with several materials takes at most
   its baseline intake of each, ``sum_{e into g carrying m} x[e, t] <= b_gm`` (t a month):
   lost volume is replaced by the same material, as in the simulation's rerouting (no
   extra bastnaesite for lost ionic-clay feed), so such a facility makes extra output only
   from stock. A group of one material draws as much of it as its output needs; recipe
   groups substitute as their recipe says.
6. *Links*: ``x[e, t] <= V_e/12 g[t, e] + r[e, t]``: the shocks' share of a link's
   baseline, plus, when rerouting is on and the link may take rerouted volume this month
   (:meth:`.simulate.ReroutePlan.eligible`: qualified, or a candidate past its
   qualification lead time or brought online by ``new_capacity``; same stage; not under
   an active link shock), ``r`` = its cap (``responses.link_flex`` of its baseline, a
   ``new_capacity`` link cap, else none).
7. *Sinks*: ``q[s, t] <= min(f[t, v], 1)`` (no sink takes more than its demand).

Unlike the simulation, extra output is charged upstream (a supplier's extra output needs
inputs, from its stock or from its own suppliers' spare capacity), and no stock refills
for free (the simulation's ``refill_rate``). So the LP's best response can fall short
where the simulation's greedy one does not, if the simulation's free inputs are what
carried it; everywhere else its TTS is at least the simulation's.

TTS (months, continuous, network-wide)
--------------------------------------
``TTS = sup {tau : every sink has q = 1 in every month t < floor(tau) and over the first
tau - floor(tau) of month floor(tau)}``. Within a month rates are constant: over the
partial month the constraints hold for amounts over ``theta = tau - floor(tau)`` of a
month (every bound above times ``theta``, stocks at the month's start), so feasibility is
an LP for each fixed ``tau`` and is monotone in ``tau``. The whole months are found by
bisection on ``floor(tau)``; the fraction is one more LP, exact to the solver's
precision: the partial month's bounds and right-hand sides are linear in ``theta``, so
``theta`` is a variable and the LP maximises it (:meth:`_Model.fraction`). Only where a
recycler's link delivers in that month (``theta U q[t-1]``, a product of variables) is the
fraction found by bisection on ``theta``, to ``TTS_TOLERANCE``.
Null (NaN) when all demand can be met over the whole horizon. Every sink carries the same
value: the network survives as long as it can serve all of them.

Least loss (TTR model)
----------------------
Over the horizon (which holds the shocks' duration), maximise
``sum_{sinks v, t} w_v q[s_v, t]`` with ``w_v`` the sink's baseline monthly inbound volume
(tonnes, one unit across sinks), less ``TIE_BREAK`` per tonne shipped on a link that
carries nothing today (plus the same per tonne on one that does): among equally good
plans the one that keeps today's links, and (a served tonne worth ``1 + TIE_BREAK (T -
t) / T``) the one that serves earlier months first. Each sink's ``lost_volume = sum_t (1 - q) demand / 12``
(:func:`.run.sink_table`, the sink's demand unit) is read off that optimum: the total is the
least possible, the split between sinks one optimal plan among possibly several.
``ttr_months`` per sink is :func:`.run.time_to_recover` of that plan's supply.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import linprog

from ..errors import TiernError
from ..network import Network
from .core import Compiled, Topology, central_draws, compile_factors
from .model import Scenario
from .propagate import ROUNDING
from .run import ScenarioResult, link_table, month_table, selection_notes, sink_table, stage_table
from .simulate import ReroutePlan, capacity_schedule, inventory_months, slot_capacity

__all__ = ["OptimalPlan", "TTS_TOLERANCE", "optimal_tts", "run_optimal"]

#: Bisection tolerance of the fractional month of TTS where it cannot be one LP (a
#: recycler's delivery in that month; months; 1e-4 month ~ 4 minutes).
TTS_TOLERANCE = 1e-4
#: Worth of a tonne shipped in the least-loss objective, against 1 per tonne of demand
#: served: breaks ties between equally good plans in favour of today's links.
TIE_BREAK = 1e-6
_FEAS = 1e-9


@dataclass
class OptimalPlan:
    """The least-loss plan: sink supply (T, sinks), facility supply (T, n), link flows (T, E)."""

    sink_supply: np.ndarray
    facility_supply: np.ndarray
    flow: np.ndarray
    rerouted: np.ndarray


class _Model:
    """Static arrays of the LP for one scenario column (see the module docstring)."""

    def __init__(self, net: Network, topo: Topology, scenario: Scenario, compiled: Compiled,
                 reroute: bool, inventory: bool):
        if compiled.f.shape[2] != 1:
            raise TiernError("--response optimal runs one deterministic column: it does not "
                             "support sink-scoped shocks (sinks:) or Monte Carlo runs")
        self.net, self.topo = net, topo
        self.f, self.g = compiled.f[:, :, 0], compiled.g[:, :, 0]
        self.T = self.f.shape[0]
        responses = scenario.responses
        prod = topo.production
        self.E, self.P, self.G, self.n = topo.n_links, prod.n_slots, prod.n_groups, topo.n
        self.nv = self.E + self.P + 2 * self.G
        monthly = topo.volume / 12.0
        self.O = np.bincount(prod.link_slot, weights=monthly, minlength=self.P)
        self.sink = np.zeros(self.n, dtype=bool)
        self.sink[net.facilities.index.get_indexer(net.sinks)] = True
        slot_sink = self.sink[prod.slot_owner]
        fraction = (self.O > 0) | slot_sink
        self.U = np.where(self.O > 0, self.O, np.where(slot_sink, 0.0, 1.0))
        # link bounds: the shocks' share of the baseline plus the reroute cap when eligible
        base = monthly[None, :] * self.g
        extra = np.zeros((self.T, self.E))
        if reroute:
            plan = ReroutePlan(topo, responses, self.T)
            links = np.arange(self.E)
            for t in range(self.T):
                ok = plan.eligible(t, links, self.g[t][:, None], compiled.first_start)[:, 0]
                extra[t] = np.where(ok, plan.link_cap[t], 0.0)
        self.link_upper = base + extra
        # a pooled group fed with several materials takes at most its baseline intake of
        # each (rerouting replaces lost volume of the same material, as in the simulation:
        # no extra bastnaesite for lost ionic-clay feed)
        pooled = ~prod.recipe[prod.group_owner[prod.entry_group]]
        material = pd.factorize(net.links["material"].to_numpy(), use_na_sentinel=False)[0]
        width = int(material.max()) + 1 if len(material) else 1
        key = prod.entry_group.astype(np.int64) * width + material[prod.entry_link]
        carrying = topo.volume[prod.entry_link] > 0
        pairs = np.unique(key[pooled & carrying])
        mixed = np.bincount(pairs // width, minlength=self.G) > 1      # groups with 2+ materials
        chosen = pooled & mixed[prod.entry_group]
        codes, uniques = pd.factorize(key[chosen])
        volume = topo.volume[prod.entry_link[chosen]] / 12.0 * prod.entry_weight[chosen]
        self.mix_link = prod.entry_link[chosen]
        self.mix_weight = prod.entry_weight[chosen]
        self.mix_row = codes
        self.mix_cap = np.bincount(codes, weights=volume, minlength=len(uniques))
        # capacity rows per non-sink facility with slots
        capacity, _, _ = capacity_schedule(topo, responses, self.T)
        self.cap = self.f * np.maximum(capacity, topo.outbound[None, :]) / 12.0       # (T, n)
        slot_cap = slot_capacity(topo)
        self.slot_upper = np.full((self.T, self.P), np.inf)
        limited = np.isfinite(slot_cap) & ~slot_sink
        self.slot_upper[:, limited] = (self.f[:, prod.slot_owner[limited]]
                                       * np.maximum(slot_cap[limited] / 12.0, self.O[limited])
                                       / self.U[limited])
        self.slot_upper[:, slot_sink] = np.minimum(self.f[:, prod.slot_owner[slot_sink]], 1.0)
        self.slot_sink = slot_sink
        # recipe pairs
        self.k = np.where(fraction[prod.pair_slot], prod.group_base[prod.pair_group], 1.0)
        months = inventory_months(topo, responses) if inventory else np.zeros(self.n)
        self.S0 = months[prod.group_owner] * prod.group_base
        self.lagged_slot = np.zeros(self.P, dtype=bool)
        self.lagged_slot[prod.link_slot[topo.lagged]] = True
        producer = ~self.sink[prod.slot_owner]
        self.cap_slots = np.flatnonzero(producer)
        self.cap_rows, self.cap_owner = np.unique(prod.slot_owner[producer], return_inverse=True)
        weight = topo.inbound / 12.0
        # among plans that serve as much, prefer today's links: -TIE per t on a carrying
        # link, +TIE on the others
        self.tie_break = np.where(topo.volume > 0, -TIE_BREAK, TIE_BREAK)
        self.sink_weight = np.where(slot_sink, weight[prod.slot_owner], 0.0)

    # variable offsets within a month
    def x(self, t):
        return t * self.nv

    def q(self, t):
        return t * self.nv + self.E

    def u(self, t):
        return t * self.nv + self.E + self.P

    def s(self, t):
        return t * self.nv + self.E + self.P + self.G

    def build(self, h: int, theta: float):
        """Constraint matrix, right-hand side and bounds over months ``0 .. h-1``, month
        ``h-1`` scaled by ``theta`` (1: a whole month)."""
        prod, topo = self.topo.production, self.topo
        E, P, G = self.E, self.P, self.G
        rows, cols, vals, rhs = [], [], [], []
        r = 0
        lower = np.zeros(h * self.nv)
        upper = np.full(h * self.nv, np.inf)
        for t in range(h):
            scale = theta if t == h - 1 else 1.0
            # 1. outflow per slot
            rows.append(r + prod.link_slot)
            cols.append(self.x(t) + np.arange(E))
            vals.append(np.ones(E))
            slots = np.arange(P)
            now = ~self.lagged_slot
            rows.append(r + slots[now])
            cols.append(self.q(t) + slots[now])
            vals.append(-self.U[now])
            b = np.zeros(P)
            lag = self.lagged_slot
            if t == 0:
                b[lag] = scale * self.O[lag]
            else:
                rows.append(r + slots[lag])
                cols.append(self.q(t - 1) + slots[lag])
                vals.append(-scale * self.U[lag])
            rhs.append(b)
            r += P
            # 2. capacity per producing facility
            rows.append(r + self.cap_owner)
            cols.append(self.q(t) + self.cap_slots)
            vals.append(self.U[self.cap_slots])
            rhs.append(scale * self.cap[t, self.cap_rows])
            r += len(self.cap_rows)
            # 2b. pooled groups of several materials: at most the baseline of each
            mixes = len(self.mix_cap)
            if mixes:
                rows.append(r + self.mix_row)
                cols.append(self.x(t) + self.mix_link)
                vals.append(self.mix_weight)
                rhs.append(scale * self.mix_cap)
                r += mixes
            # 3. recipe pairs
            pairs = len(prod.pair_slot)
            rows += [r + np.arange(pairs), r + np.arange(pairs)]
            cols += [self.q(t) + prod.pair_slot, self.u(t) + prod.pair_group]
            vals += [self.k, -np.ones(pairs)]
            rhs.append(np.zeros(pairs))
            r += pairs
            # 4. stock balance
            rows += [r + np.arange(G), r + prod.entry_group, r + np.arange(G)]
            cols += [self.s(t) + np.arange(G), self.x(t) + prod.entry_link, self.u(t) + np.arange(G)]
            vals += [np.ones(G), -prod.entry_weight, np.ones(G)]
            if t == 0:
                rhs.append(self.S0.copy())
            else:
                rows.append(r + np.arange(G))
                cols.append(self.s(t - 1) + np.arange(G))
                vals.append(-np.ones(G))
                rhs.append(np.zeros(G))
            r += G
            # bounds
            upper[self.x(t):self.x(t) + E] = scale * self.link_upper[t]
            upper[self.q(t):self.q(t) + P] = scale * self.slot_upper[t]
            upper[self.s(t):self.s(t) + G] = self.S0
        A = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                          shape=(r, h * self.nv))
        return A, np.concatenate(rhs), lower, upper

    def solve(self, h: int, theta: float, full_months: int, objective: bool = False):
        """Solve over ``h`` months: sinks fully served in months ``< full_months`` (and over
        the partial last month when ``full_months == h``); ``objective`` maximises served
        demand. Returns the scipy result (status 0: optimal, 2: infeasible)."""
        A, b, lower, upper = self.build(h, theta)
        sink_slots = np.flatnonzero(self.slot_sink)
        for t in range(min(full_months, h)):
            scale = theta if t == h - 1 else 1.0
            lower[self.q(t) + sink_slots] = scale
        if (lower > upper + _FEAS).any():
            return None
        c = np.zeros(h * self.nv)
        if objective:
            for t in range(h):
                c[self.q(t):self.q(t) + self.P] = -self.sink_weight * (1.0 + TIE_BREAK * (h - t) / h)
                c[self.x(t):self.x(t) + self.E] = self.tie_break
        result = linprog(c, A_ub=A, b_ub=b, bounds=np.column_stack([lower, upper]),
                         method="highs")
        if result.status not in (0, 2):
            raise TiernError(f"optimal-response LP failed: {result.message}")
        return result

    def feasible(self, tau: float) -> bool:
        """All sinks fully served over [0, tau) months."""
        whole = int(np.floor(tau))
        theta = tau - whole
        if theta <= 0:
            if whole == 0:
                return True
            result = self.solve(whole, 1.0, whole)
        else:
            result = self.solve(whole + 1, theta, whole + 1)
        return result is not None and result.status == 0


    def fraction(self, whole: int) -> float | None:
        """The largest ``theta`` in [0, 1] with every sink served over ``[0, whole +
        theta)``, as one LP: the last month's right-hand sides and bounds are linear in
        ``theta`` (``build(h, theta) = build(h, 0) + theta * (build(h, 1) - build(h, 0))``),
        so ``theta`` is a variable. None when they are not, i.e. a recycler's link in that
        month delivers ``theta`` of the previous month's output (a product of variables),
        or when the solver does not return an optimum: the caller then bisects."""
        h = whole + 1
        with np.errstate(invalid="ignore"):          # 0 * inf on uncapped links
            A1, b1, _, up1 = self.build(h, 1.0)
            A0, b0, _, up0 = self.build(h, 0.0)
        if (A1 != A0).nnz:
            return None
        n = h * self.nv
        finite = np.isfinite(up1)
        scaled = finite & (up1 != up0)               # the last month's bounds: theta * up1
        lower = np.zeros(n + 1)
        upper = np.append(np.where(finite & ~scaled, up1, np.inf), 1.0)
        sink_slots = np.flatnonzero(self.slot_sink)
        for t in range(h - 1):
            lower[self.q(t) + sink_slots] = 1.0
        rows = np.flatnonzero(scaled)
        last = self.q(h - 1) + sink_slots
        A = sp.vstack([
            sp.hstack([A1, sp.csr_matrix((b0 - b1)[:, None])]),
            sp.csr_matrix((np.r_[np.ones(len(rows)), -(up1 - np.nan_to_num(up0))[rows]],
                           (np.r_[np.arange(len(rows)), np.arange(len(rows))],
                            np.r_[rows, np.full(len(rows), n)])), shape=(len(rows), n + 1)),
            sp.csr_matrix((np.r_[-np.ones(len(last)), np.ones(len(last))],
                           (np.r_[np.arange(len(last)), np.arange(len(last))],
                            np.r_[last, np.full(len(last), n)])), shape=(len(last), n + 1))],
            format="csr")
        b = np.r_[b0, np.nan_to_num(up0)[rows], np.zeros(len(last))]
        c = np.zeros(n + 1)
        c[n] = -1.0
        result = linprog(c, A_ub=A, b_ub=b, bounds=np.column_stack([lower, upper]),
                         method="highs")
        if result.status != 0:
            return None
        theta = float(result.x[n])
        return 0.0 if theta < _FEAS else min(theta, 1.0)


def optimal_tts(model: _Model) -> float:
    """Network-wide TTS in months (NaN: no shortfall within the horizon); see module doc."""
    T = model.T
    if model.feasible(T):
        return float("nan")
    low, high = 0, T                       # feasible(low), not feasible(high)
    while high - low > 1:
        mid = (low + high) // 2
        if model.feasible(mid):
            low = mid
        else:
            high = mid
    theta = model.fraction(low)
    if theta is not None:
        return low + theta
    a, b = 0.0, 1.0                        # fraction of month `low`, by bisection
    while b - a > TTS_TOLERANCE:
        mid = (a + b) / 2
        if model.feasible(low + mid):
            a = mid
        else:
            b = mid
    return low + a


def least_loss_plan(model: _Model) -> OptimalPlan:
    """The least-loss plan over the horizon (the TTR model; see module doc)."""
    T, prod = model.T, model.topo.production
    result = model.solve(T, 1.0, 0, objective=True)
    if result is None or result.status != 0:
        raise TiernError(f"optimal-response LP failed: {getattr(result, 'message', 'infeasible')}")
    values = result.x.reshape(T, model.nv)
    flow = values[:, :model.E]
    q = values[:, model.E:model.E + model.P]
    positions = model.net.facilities.index.get_indexer(model.net.sinks)
    first_slot = np.searchsorted(prod.slot_owner, positions)
    sink_supply = q[:, first_slot]
    sink_supply = np.where(sink_supply > 1.0 - ROUNDING, 1.0, sink_supply)   # solver noise
    fraction = np.where(model.O > 0, q * model.U / np.where(model.O > 0, model.O, 1.0), 1.0)
    fraction = np.where(model.slot_sink[None, :], q, fraction)
    facility = np.zeros((T, model.n))
    np.add.at(facility.T, prod.slot_owner, (fraction * prod.slot_share[None, :]).T)
    facility = np.minimum(facility, 1.0)
    base = model.topo.volume[None, :] / 12.0 * model.g
    rerouted = np.maximum(flow - base, 0.0)
    rerouted[rerouted < 1e-9] = 0.0
    return OptimalPlan(sink_supply=sink_supply, facility_supply=facility, flow=flow,
                       rerouted=rerouted)


def run_optimal(net: Network, scenario: Scenario, *, reroute: bool | None = None,
                inventory: bool | None = None) -> ScenarioResult:
    """The deterministic scenario under the optimal response (``mode = "optimal"``).

    Sink rows as :func:`.run.run_scenario` gives them, from the least-loss plan, with
    ``tts_months`` the network-wide, continuous LP TTS (the same in every row) and a
    ``response`` column saying ``optimal``.
    """
    responses = scenario.responses
    reroute = responses.reroute if reroute is None else reroute
    inventory = responses.inventory if inventory is None else inventory
    topo = Topology.of(net)
    compiled = compile_factors(net, topo, scenario, central_draws(scenario))
    model = _Model(net, topo, scenario, compiled, reroute, inventory)
    plan = least_loss_plan(model)
    tts = optimal_tts(model)
    sinks = sink_table(net, plan.sink_supply)
    sinks["tts_months"] = tts
    sinks["response"] = "optimal"
    return ScenarioResult(
        scenario=scenario, mode="optimal", sinks=sinks,
        stages=stage_table(net, topo, plan.facility_supply),
        months=month_table(net, plan.sink_supply),
        links=link_table(net, plan.rerouted),
        facility_supply=pd.DataFrame(plan.facility_supply, columns=net.facilities.index,
                                     index=pd.RangeIndex(scenario.horizon_months, name="month")),
        notes=selection_notes(net, scenario))
