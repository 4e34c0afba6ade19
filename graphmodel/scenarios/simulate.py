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
   ``capacity(u)/12 - committed(u)`` (committed = its current outbound plus volume
   already rerouted from it). Unknown capacity (NaN) or a non-operating facility offers none (unless
   ``new_capacity`` brings it online, ramping linearly). The LP maximises rerouted
   volume, preferring qualified links (a candidate unit is worth 1 - 1e-6 of a
   qualified one), with mass balance: a supplier's extra output is made from the inputs
   it holds in stock or buys extra this month from its own suppliers' spare capacity,
   transitively up to the origins, per input group of its recipe (see
   :meth:`ReroutePlan.solve`); origins need no inputs. A facility under an active shock
   offers no spare capacity.
3. *Inventory* (``responses.inventory``): v holds ``inventory_days/30`` months of its
   baseline intake of every material, in tonnes (:mod:`.stocks`: one pool per facility
   and material). It consumes ``need = f(v) * I(v)/12``. When arrivals fall short it
   draws on the stock; the *refill rule*: arrivals it does not use go to the stock, and
   once arrivals cover ``need`` again the stock is also topped up by ``refill_rate * I(v)/12``
   per month (a *restock* bought outside the modelled flows), never above its starting
   level: arrivals above that level are *excess*. Restock and excess are explicit terms
   of the element balance (:mod:`.balance`), so every tonne is accounted for.
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
from ..specs import reroute_fits
from .core import Compiled, Topology
from .model import DAYS_PER_MONTH, Responses
from .select import facility_mask
from .stocks import InputStocks, pool_of_links
from .stocks import ranges as _ranges

#: A candidate (not yet qualified) link's rerouted unit counts this much less than a
#: qualified one in the LP objective: qualified links are preferred at equal volume.
CANDIDATE_PENALTY = 1e-6
#: Cost of a tonne moved upstream only to back extra output below: far smaller than any
#: gain, so upstream links carry just what the rerouted volume needs, and above the LP
#: solver's dual tolerance (1e-7), which would otherwise treat it as free.
UPSTREAM_COST = 1e-5
#: Most upstream (link, column) variables one month's programme takes; above it the month is
#: solved one stage deep (suppliers' own stocks back their extra output). The multi-stage
#: programme grows with the upstream closure, which on large random networks with drained
#: stocks reaches 10^5 variables and more, where HiGHS can take minutes or fail.
MAX_UPSTREAM_VARIABLES = 20_000
_TINY = 1e-12


@dataclass
class Simulation:
    """Monthly outputs: production fractions ``p`` (T, n, K), rerouted volume (T, E, K) and
    stocks (T, n, K, in output-equivalent tonnes). For a single column (a deterministic
    run) also the fulfilment ``phi`` of every input group (T, G) and the production
    fraction of every output slot (T, P), from which the binding input is read."""

    supply: np.ndarray
    rerouted: np.ndarray
    stock: np.ndarray
    group_supply: np.ndarray | None = None
    slot_supply: np.ndarray | None = None
    slot_supply_all: np.ndarray | None = None   # (T, P, K) when ``record_slots``
    last_slot: np.ndarray | None = None
    ledger: "Ledger | None" = None               # physical input pools, single column only


@dataclass
class Ledger:
    """The physical record of a single-column run (:mod:`.stocks`, :mod:`.balance`):
    tonnes delivered on every link (T, E) and, per pool (T, Q), its stock at the end of
    the month, what production and rerouting used, the restock and the excess; ``start``
    (Q,) is the stock before month 0 and ``pool_of_link``/``owner``/``material`` name the
    pools."""

    delivered: np.ndarray
    stock: np.ndarray
    used: np.ndarray
    restocked: np.ndarray
    excess: np.ndarray
    start: np.ndarray
    pool_of_link: np.ndarray
    owner: np.ndarray
    material: np.ndarray

    @classmethod
    def empty(cls, horizon: int, links: int, pools) -> "Ledger":
        Q = pools.n_pools
        return cls(delivered=np.zeros((horizon, links)), stock=np.zeros((horizon, Q)),
                   used=np.zeros((horizon, Q)), restocked=np.zeros((horizon, Q)),
                   excess=np.zeros((horizon, Q)), start=pools.M[:, 0].copy(),
                   pool_of_link=pools.pool_of_link, owner=pools.owner, material=pools.material)


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


def slot_capacity(topo: Topology) -> np.ndarray:
    """(P,) annual capacity of each output slot's material from ``capacities.csv`` (operating
    rows only); NaN where no row gives one (the facility's total capacity bounds it)."""
    prod, table = topo.production, topo.net.capacities
    out = np.full(prod.n_slots, np.nan)
    if not len(table):
        return out
    table = table[table["status"].fillna("operating") == "operating"]
    key = pd.MultiIndex.from_arrays([topo.index.get_indexer(table["facility"]),
                                     table["material"].astype(str)])
    slots = pd.MultiIndex.from_arrays([prod.slot_owner, prod.slot_material.astype(str)])
    found = key.get_indexer(slots)
    out[found >= 0] = table["capacity"].to_numpy(dtype=float)[found[found >= 0]]
    return out


def _ramp(months: np.ndarray, start: float, ramp_months: float) -> np.ndarray:
    if ramp_months <= 0:
        return (months >= start).astype(float)
    return np.clip((months - start + 1) / ramp_months, 0.0, 1.0)


def inventory_months(topo: Topology, responses: Responses) -> np.ndarray:
    """(n,) months of input stock: ``inventory_days / 30``, with ``responses.inventory_days``
    applied in order."""
    months = topo.stock_months.copy()
    for entry in responses.inventory_days:
        months[facility_mask(topo.net, entry.select)] = entry.days / DAYS_PER_MONTH
    return months


def simulate(topo: Topology, compiled: Compiled, responses: Responses, *,
             inventory: bool, reroute: bool, record_slots: bool = False,
             stock_months: np.ndarray | None = None,
             initial_slot: np.ndarray | None = None) -> Simulation:
    """Run the monthly simulation for every column of ``compiled`` at once (see module doc).

    Production follows the recipes (:mod:`graphmodel.recipes`): per input group g of a
    facility, ``phi_g = min(A_g + S_g, f B_g) / B_g`` with arrivals ``A_g`` and stock ``S_g``
    in tonnes of output supported; each output o is made at ``p(v, o) = min(f, min over the
    groups o needs of phi_g)``; links deliver their supplier's ``p`` of their material.
    ``record_slots`` keeps every column's output-slot fractions (``slot_supply_all``);
    ``stock_months`` ((n,) or (n, K)) replaces :func:`inventory_months` (calibration);
    ``initial_slot`` (P, K) is the production fraction of every output slot in the month
    before the horizon, which the lagged (recycler) links deliver in month 0 (default 1:
    the baseline); ``last_slot`` of the result is the slots' fraction in the last month."""
    f_all, g_all = compiled.f, compiled.g
    horizon, n, K = f_all.shape
    E = topo.n_links
    prod = topo.production
    monthly = topo.volume / 12.0
    base = prod.group_base
    months = inventory_months(topo, responses) if stock_months is None else stock_months
    months = np.broadcast_to(np.asarray(months, dtype=float).reshape(n, -1), (n, K))
    pools = InputStocks(topo, months, inventory, responses.refill_rate)
    p_slot_prev = np.ones((prod.n_slots, K)) if initial_slot is None else initial_slot
    levels = level_links(topo)
    steps = _production_steps(topo, levels)
    pool_steps = [pools.step(inbound_links, step.groups)
                  for (_, inbound_links, _), step in zip(levels, steps)]
    plan = ReroutePlan(topo, responses, horizon, levels) if reroute else None
    supply = np.zeros((horizon, n, K))
    rerouted = np.zeros((horizon, E, K))
    stocks = np.zeros((horizon, n, K))
    record = K == 1
    group_supply = np.ones((horizon, prod.n_groups)) if record else None
    slot_supply = np.ones((horizon, prod.n_slots)) if record else None
    slot_all = np.ones((horizon, prod.n_slots, K)) if record_slots else None
    ledger = Ledger.empty(horizon, E, pools) if record else None
    for t in range(horizon):
        f, g = f_all[t], g_all[t]
        p = np.zeros((n, K))               # facility production fraction (reported supply)
        p_slot = np.zeros((prod.n_slots, K))
        flow = np.zeros((E, K))
        extra = np.zeros((E, K))
        used = np.zeros((n, K))            # rerouted volume already taken from each supplier
        if record:
            pools.keep_log()
        for number, ((level, inbound_links, _), step, ps) in enumerate(zip(levels, steps, pool_steps)):
            slot_in = prod.link_slot[inbound_links]
            source = np.where(topo.lagged[inbound_links, None], p_slot_prev[slot_in], p_slot[slot_in])
            flow[inbound_links] = monthly[inbound_links, None] * source * g[inbound_links]
            if plan is not None and len(inbound_links):
                plan.solve(t, number, f, g, p_slot, flow, extra, used, pools,
                           compiled.first_start)
            groups = step.groups
            arrived = ps.to_pool @ (flow[inbound_links] + extra[inbound_links])   # t per pool
            arrivals = ps.weight @ arrived                                         # units per group
            held = ps.weight @ pools.M[ps.pools]
            need = f[prod.group_owner[groups]] * base[groups, None]
            short = np.maximum(need - arrivals, 0.0)
            available = np.minimum(arrivals, need) + np.minimum(short, held)
            phi = np.divide(available, base[groups, None], out=np.full_like(available, np.inf),
                            where=base[groups, None] > 0)
            # each output at the fraction its scarcest group allows, never above f
            slots = step.slots
            made = np.full((len(slots), K), np.inf)
            if len(step.pair_starts):
                made[step.slots_with_pairs] = np.minimum.reduceat(phi[step.pair_group], step.pair_starts,
                                                                  axis=0)
            owner_f = f[prod.slot_owner[slots]]
            made = np.where(step.slot_origin[:, None], owner_f, np.minimum(made, owner_f))
            p_slot[slots] = made
            if record:
                group_supply[t, groups] = np.minimum(phi[:, 0], 1.0)
            low = np.minimum.reduceat(made, step.facility_starts, axis=0)
            p[level] = low + step.to_facility @ (made - low[step.slot_facility])
            # stocks: group g is drawn as far as its most demanding output uses it
            use = np.zeros((len(groups), K))
            if len(step.pair_group):
                np.maximum.at(use, step.pair_group, made[step.pair_slot] * base[groups][step.pair_group, None])
            if len(ps.pools):
                recovered = arrivals >= need * (1 - 1e-9)
                consumed, restocked, excess = pools.settle(ps, arrived, arrivals, held, use,
                                                           recovered)
                if record:
                    ledger.used[t, ps.pools] += consumed[:, 0]
                    ledger.restocked[t, ps.pools] = restocked[:, 0]
                    ledger.excess[t, ps.pools] = excess[:, 0]
        supply[t], rerouted[t] = p, extra
        stocks[t] = pools.per_facility_units()
        p_slot_prev = p_slot
        if record_slots:
            slot_all[t] = p_slot
        if record:
            slot_supply[t] = p_slot[:, 0]
            ledger.used[t] += pools.drawn[:, 0]
            ledger.stock[t] = pools.M[:, 0]
            ledger.delivered[t] = flow[:, 0] + extra[:, 0]
    return Simulation(supply=supply, rerouted=rerouted, stock=stocks,
                      group_supply=group_supply, slot_supply=slot_supply,
                      slot_supply_all=slot_all, last_slot=p_slot_prev, ledger=ledger)


@dataclass
class _ProductionStep:
    """Static recipe arrays of one level: its groups, output slots and their incidence.

    Slots come sorted by facility (level order), pairs sorted by slot, so minima over a
    slot's groups and over a facility's slots are ``reduceat`` segments."""

    groups: np.ndarray            # global group ids of the level's facilities
    slots: np.ndarray             # global slot ids, grouped by facility in level order
    slot_facility: np.ndarray     # local facility (position in level) of each slot
    slot_origin: np.ndarray       # slot's facility has no inbound volume (produces f)
    facility_starts: np.ndarray   # first slot of each level facility
    to_facility: sp.csr_matrix    # (level, slots): the slots' outbound shares
    pair_slot: np.ndarray         # local slot of each (slot, group) pair
    pair_group: np.ndarray        # local group of each pair
    pair_starts: np.ndarray       # first pair of each slot that has pairs
    slots_with_pairs: np.ndarray  # local slots that need at least one group


def _production_steps(topo: Topology, levels) -> list[_ProductionStep]:
    prod = topo.production
    n = topo.n
    local_of = np.full(n, -1, dtype=np.int64)
    group_local = np.full(prod.n_groups, -1, dtype=np.int64)
    slot_local = np.full(prod.n_slots, -1, dtype=np.int64)
    group_order = np.argsort(prod.group_owner, kind="stable")
    group_bounds = np.searchsorted(prod.group_owner[group_order], np.arange(n + 1))
    slot_bounds = np.searchsorted(prod.slot_owner, np.arange(n + 1))   # slots sorted by owner
    pair_bounds = np.searchsorted(prod.pair_slot, np.arange(prod.n_slots + 1))
    steps = []
    for level, _, _ in levels:
        local_of[level] = np.arange(len(level))
        groups = group_order[_ranges(group_bounds[level], group_bounds[level + 1])]
        group_local[groups] = np.arange(len(groups))
        slots = _ranges(slot_bounds[level], slot_bounds[level + 1])
        slot_local[slots] = np.arange(len(slots))
        slot_facility = local_of[prod.slot_owner[slots]]
        counts = np.bincount(slot_facility, minlength=len(level))
        facility_starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        to_facility = sp.csr_matrix((prod.slot_share[slots], (slot_facility, np.arange(len(slots)))),
                                    shape=(len(level), len(slots)))
        pairs = _ranges(pair_bounds[slots], pair_bounds[slots + 1])
        pair_slot = slot_local[prod.pair_slot[pairs]]
        pair_group = group_local[prod.pair_group[pairs]]
        per_slot = np.bincount(pair_slot, minlength=len(slots))
        with_pairs = np.flatnonzero(per_slot)
        starts = (np.cumsum(per_slot) - per_slot)[with_pairs]
        steps.append(_ProductionStep(
            groups=groups, slots=slots, slot_facility=slot_facility,
            slot_origin=topo.origin[prod.slot_owner[slots]], facility_starts=facility_starts,
            to_facility=to_facility, pair_slot=pair_slot, pair_group=pair_group,
            pair_starts=starts, slots_with_pairs=with_pairs))
    return steps


def summing_matrix(rows: np.ndarray, n_rows: int) -> sp.csr_matrix:
    """CSR ``S`` (n_rows, len(rows)) with ``S @ x`` = the rows of x summed into ``rows``.

    Each output row adds its inputs in increasing input order starting from 0, exactly the
    order of ``np.add.at(zeros, rows, x)``, so results are bit-identical to it (and far
    cheaper for many rows)."""
    count = len(rows)
    return sp.csr_matrix((np.ones(count), (rows, np.arange(count))), shape=(n_rows, count))


def level_links(topo: Topology) -> list[tuple[np.ndarray, np.ndarray, sp.csr_matrix]]:
    """Per level of :attr:`Topology.levels`: its facilities, the links into them (increasing
    link index) and the matrix summing those links into their customers (level order)."""
    levels = topo.levels
    level_of = np.empty(topo.n, dtype=np.int64)
    for number, level in enumerate(levels):
        level_of[level] = number
    link_level = level_of[topo.customer]
    order = np.argsort(link_level, kind="stable")        # by level, then link index
    bounds = np.searchsorted(link_level[order], np.arange(len(levels) + 1))
    out = []
    for number, level in enumerate(levels):
        inbound_links = order[bounds[number]:bounds[number + 1]]
        position = np.searchsorted(level, topo.customer[inbound_links])
        out.append((level, inbound_links, summing_matrix(position, len(level))))
    return out


@dataclass
class _LevelReroute:
    """Static reroute data of one level: candidate links, the groups they serve, their suppliers.

    Groups and suppliers are numbered locally, in increasing global order, so that LP rows
    come out in the same order as with global numbers."""

    into: np.ndarray              # links into the level that may ever take rerouted volume
    into_group: np.ndarray        # local group of each ``into`` link
    into_supplier: np.ndarray     # local supplier of each ``into`` link
    group_ids: np.ndarray         # global group number of each local group
    owner: np.ndarray             # customer of each local group
    group_base: np.ndarray        # baseline monthly volume of each local group
    carrying: np.ndarray          # carrying links into the level (sum to ``arrived``)
    to_group: sp.csr_matrix       # sums ``carrying`` links into local groups
    suppliers: np.ndarray         # global facility of each local supplier


class ReroutePlan:
    """Static parts of the reroute LP: (customer, material) groups, eligible links, caps."""

    def __init__(self, topo: Topology, responses: Responses, horizon: int, levels=None):
        self.topo = topo
        self.capacity, self.link_cap, link_online = capacity_schedule(topo, responses, horizon)
        if responses.link_flex is not None:
            # a link carrying volume today takes at most link_flex of its baseline extra
            flex = np.where(topo.volume > 0, responses.link_flex * topo.volume / 12.0, np.inf)
            self.link_cap = np.minimum(self.link_cap, flex[None, :])
        self.group = _customer_material_groups(topo)
        carrying = topo.volume > 0
        self.carrying = carrying
        # baseline monthly volume per (customer, material) group
        self.group_base = np.bincount(self.group[carrying], weights=topo.volume[carrying] / 12.0,
                                      minlength=self.group.max(initial=-1) + 1)  # no links: 0 groups
        # alternatives must come from the stage that supplied the group in the baseline
        self.same_stage = _same_stage(topo, self.group, carrying)
        lead = topo.qualification.copy()
        lead = np.where(np.isnan(lead), responses.default_qualification_months, lead)
        if responses.qualification_months is not None:
            lead[:] = responses.qualification_months
        self.qualified = topo.link_status == "qualified"
        # extra volume arrives no earlier than the order lead time, qualified links included
        order = responses.reroute_lead_months
        self.lead = np.where(self.qualified, order, np.maximum(lead, order))
        self.online = link_online
        # specs gate alternatives: only suppliers meeting the customer's spec (graphmodel.specs)
        self.static_ok = (self.same_stage & ~topo.lagged & (self.group_base[self.group] > 0)
                          & reroute_fits(topo.net))
        self.cost = np.where(self.qualified, -1.0, -(1.0 - CANDIDATE_PENALTY))
        self.out_links_monthly = topo.volume / 12.0
        levels = level_links(topo) if levels is None else levels
        prod = topo.production
        self._pair_bounds = np.searchsorted(prod.pair_slot, np.arange(prod.n_slots + 1))
        self.slot_capacity = slot_capacity(topo)
        self._slot_links = np.argsort(prod.link_slot, kind="stable")
        self._slot_link_bounds = np.searchsorted(prod.link_slot[self._slot_links],
                                                 np.arange(prod.n_slots + 1))
        self._out_order = np.argsort(topo.supplier, kind="stable")   # by supplier, then link
        self._out_bounds = np.searchsorted(topo.supplier[self._out_order], np.arange(topo.n + 1))
        self._group_order = np.argsort(prod.group_owner, kind="stable")
        self._group_bounds = np.searchsorted(prod.group_owner[self._group_order],
                                             np.arange(topo.n + 1))
        self._in_order = np.argsort(topo.customer, kind="stable")    # by customer, then link
        self._in_bounds = np.searchsorted(topo.customer[self._in_order], np.arange(topo.n + 1))
        # k_g: a group's use (tonnes of output supported) per tonne its outputs ship in the
        # baseline; 1 (one unit of the group per tonne, the recipes' own unit) where the
        # outputs ship nothing today
        slot_out = np.bincount(prod.link_slot[carrying], weights=topo.volume[carrying] / 12.0,
                               minlength=prod.n_slots)
        group_out = np.bincount(prod.pair_group, weights=slot_out[prod.pair_slot],
                                minlength=prod.n_groups)
        self.group_use = np.divide(prod.group_base, group_out, out=np.ones(prod.n_groups),
                                   where=group_out > 0)
        self._parts(topo)
        self.levels = [self._level(inbound_links) for _, inbound_links, _ in levels]

    def _parts(self, topo: Topology) -> None:
        """Parts of the input groups for the mass-balance rows: a recipe group is one part
        (its inputs substitute at their per_unit); a pooled group is one part per material
        it takes, with the material's share of the group's baseline intake, so that extra
        output is made with the baseline mix and lost feed is replaced by the same
        material only (as rerouting replaces it everywhere else)."""
        prod = topo.production
        material, _ = pd.factorize(topo.net.links["material"].to_numpy(), use_na_sentinel=False)
        entry_material = np.where(prod.recipe[prod.group_owner[prod.entry_group]], -1,
                                  material[prod.entry_link])
        key = pd.MultiIndex.from_arrays([prod.entry_group, entry_material])
        part_of_entry, parts = pd.factorize(key)
        self.entry_part = part_of_entry.astype(np.int64)
        part_group = parts.get_level_values(0).to_numpy(dtype=np.int64)
        baseline = topo.volume[prod.entry_link] / 12.0 * prod.entry_weight
        intake = np.bincount(self.entry_part, weights=baseline, minlength=len(parts))
        base = prod.group_base[part_group]
        count = np.bincount(part_group, minlength=prod.n_groups)[part_group]
        self.part_share = np.where(base > 0, intake / np.where(base > 0, base, 1.0), 1.0 / count)
        self.part_group = part_group
        # a pooled part is one material of a pooled group: one pool of the facility
        pool_of_link = pool_of_links(topo)[0]
        self.part_pool = np.full(len(parts), -1, dtype=np.int64)
        pooled_entry = entry_material >= 0
        self.part_pool[self.entry_part[pooled_entry]] = pool_of_link[prod.entry_link[pooled_entry]]
        self._part_order = np.argsort(part_group, kind="stable")
        self._part_bounds = np.searchsorted(part_group[self._part_order],
                                            np.arange(prod.n_groups + 1))

    def _level(self, inbound_links: np.ndarray) -> _LevelReroute:
        topo = self.topo
        into = inbound_links[self.static_ok[inbound_links]]
        carrying = inbound_links[self.carrying[inbound_links]]
        group_ids, local = np.unique(np.concatenate([self.group[into], self.group[carrying]]),
                                     return_inverse=True)
        owner = np.zeros(len(group_ids), dtype=np.int64)
        owner[local[:len(into)]] = topo.customer[into]
        owner[local[len(into):]] = topo.customer[carrying]
        suppliers, into_supplier = np.unique(topo.supplier[into], return_inverse=True)
        return _LevelReroute(
            into=into, into_group=local[:len(into)], into_supplier=into_supplier,
            group_ids=group_ids, owner=owner, group_base=self.group_base[group_ids],
            carrying=carrying, to_group=summing_matrix(local[len(into):], len(group_ids)),
            suppliers=suppliers)

    def eligible(self, t: int, links: np.ndarray, g: np.ndarray, first_start: np.ndarray) -> np.ndarray:
        """(len(links), K) whether each link may take rerouted volume in month t."""
        elapsed = t - first_start[None, :]
        by_qualification = elapsed >= self.lead[links, None]
        by_new = t >= self.online[links, None]
        unshocked = g[links] >= 1.0 - _TINY
        return (self.static_ok[links, None] & (by_qualification | by_new) & unshocked)

    def solve(self, t, level_number, f, g, p_slot, flow, extra, used, stock,
              first_start) -> None:
        """Reroute lost volume into level ``level_number`` this month (updates extra, used
        and the suppliers' stocks): one linear programme over the level's lost groups and
        every supplier upstream that could feed the extra output (see :meth:`_backing`).

        Variables: extra monthly tonnes ``x_e`` on eligible links into the level (gain 1,
        a candidate link 1 - :data:`CANDIDATE_PENALTY`) and on eligible links into the
        suppliers that would make the extra, transitively up to the origins (gain
        -:data:`UPSTREAM_COST`, so they carry only what backs a gain below). Constraints,
        per Monte Carlo column:

        * lost: ``sum of x into a (customer, material) group <= f * baseline - arrivals``;
        * spare: ``sum of x out of supplier u <= f * capacity/12 - committed - used``, and
          0 for a supplier under an active facility shock (``f < 1``);
        * mass balance at every supplier that has inputs (origins have none): for each of
          its input groups g, ``k_g * sum of x out of the outputs needing g - sum over
          links e into g of x_e / a_m <= S_g``, with ``S_g`` the group's stock (tonnes
          of output supported, after its own production this month) and ``k_g = B_g /
          baseline monthly output of those outputs`` (the group's use per tonne shipped):
          extra output is made from held stock or from extra input bought this month,
          never from nothing, and the recipe holds (Dy never replaces NdPr). A pooled
          group's row is split per material at its baseline mix (:meth:`_parts`), so
          extra bastnaesite never stands in for lost ionic clay;
        * per output material with a ``capacities.csv`` row: extra <= the material's room;
        * per link: the link cap (``link_flex``, ``new_capacity`` ramps).

        The extra inputs are then received into the suppliers' pools and ``k_g * out`` drawn
        from them per part (:meth:`.stocks.InputStocks.draw`). ``stock`` None (no stocks
        at all) leaves the mass-balance rows out. Suppliers whose stocks already back all
        their spare capacity get no upstream variables (they cannot use them). When the
        upstream closure holds more than :data:`MAX_UPSTREAM_VARIABLES` (link, column)
        pairs, or the solver fails on the multi-stage programme (a numerical failure on a
        large one), the month is solved with the suppliers' own stocks only: smaller, still
        mass-balanced, one stage deep."""
        topo, plan = self.topo, self.levels[level_number]
        K = f.shape[1]
        into = plan.into
        if not len(into):
            return
        # lost volume per (group, column), from the carrying links' shortfall
        arrived = plan.to_group @ flow[plan.carrying]
        wanted = plan.group_base[:, None] * np.ones((1, K))
        lost = np.maximum(f[plan.owner] * wanted - arrived, 0.0)
        ok = self.eligible(t, into, g, first_start) & (lost[plan.into_group] > _TINY)
        if not ok.any():
            return
        spare = self._spare(t, plan.suppliers, f, g, p_slot, used)
        ok &= spare[plan.into_supplier] > _TINY
        if not ok.any():
            return
        link_idx, column = np.nonzero(ok)
        links, gain = into[link_idx], -self.cost[into[link_idx]]
        up_links = np.zeros(0, dtype=np.int64)
        if stock is not None:
            up_links, up_column = self._upstream(t, topo.supplier[links], column, f, g, p_slot,
                                                 used, stock, first_start)
        attempts = [(up_links, up_column)] if 0 < len(up_links) <= MAX_UPSTREAM_VARIABLES else []
        attempts.append((np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)))
        for up_links, up_column in attempts:
            all_links = np.concatenate([links, up_links])
            all_column = np.concatenate([column, up_column])
            all_gain = np.concatenate([gain, np.full(len(up_links), -UPSTREAM_COST)])
            result, balance = self._solve_lp(t, plan, link_idx, all_links, all_column, all_gain,
                                             lost, f, g, p_slot, used, extra, stock, K)
            if result.status == 0:
                break
        else:
            raise TiernError(f"reroute LP failed in month {t}: {result.message}")
        amount = np.maximum(result.x, 0.0)
        np.add.at(extra, (all_links, all_column), amount)
        np.add.at(used, (topo.supplier[all_links], all_column), amount)
        if stock is not None:
            # extra input bought for suppliers' extra output arrives in their pools, then
            # the units that output needs are drawn from them (received first, then stock)
            n_into = len(link_idx)
            stock.receive(all_links[n_into:], all_column[n_into:], amount[n_into:])
            if balance is not None:
                key_rows, variables, values, _, part_key = balance
                out_units = np.bincount(key_rows, minlength=len(part_key),
                                        weights=np.where(values > 0, values, 0.0) * amount[variables])
                part = part_key // K
                stock.draw(self.part_group[part], self.part_pool[part], part_key % K, out_units)

    def _solve_lp(self, t, plan, link_idx, links, column, gain, lost, f, g, p_slot, used,
                  extra, stock, K):
        """Build and solve the reroute LP of :meth:`solve` over ``links`` (the level's
        eligible links first, ``len(link_idx)`` of them, then upstream links). Returns the
        linprog result and the mass-balance rows (or None)."""
        topo = self.topo
        count, n_into = len(links), len(link_idx)
        rows, cols, vals, b = [], [], [], []

        def add(key_rows, variables, values, bound):
            offset = sum(len(x) for x in b)
            rows.append(offset + key_rows)
            cols.append(variables)
            vals.append(values)
            b.append(bound)

        group_key, group_row = np.unique(plan.into_group[link_idx] * K + column[:n_into],
                                         return_inverse=True)
        add(group_row, np.arange(n_into), np.ones(n_into), lost[group_key // K, group_key % K])
        supplier = topo.supplier[links]
        supplier_key, supplier_row = np.unique(supplier * K + column, return_inverse=True)
        add(supplier_row, np.arange(count), np.ones(count),
            self._spare(t, supplier_key // K, f, g, p_slot, used, column=supplier_key % K))
        # per output slot with a capacities.csv row: the material's room
        slot = topo.production.link_slot[links]
        limited = np.isfinite(self.slot_capacity[slot])
        if limited.any():
            slot_key, slot_row = np.unique(slot[limited] * K + column[limited], return_inverse=True)
            add(slot_row, np.flatnonzero(limited), np.ones(int(limited.sum())),
                self._material_room(slot_key // K, slot_key % K, t, f, g, p_slot, extra))
        balance = None
        if stock is not None:
            balance = self._backing(links, column, K, stock)
            if balance is not None:
                add(*balance[:4])
        rows, cols, vals = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
        b = np.concatenate(b)
        # rows scaled to a largest coefficient of 1: the mass-balance rows mix per_unit
        # ratios of 1e-4 to 1e3, on which HiGHS's presolve can fail unscaled
        scale = np.zeros(len(b))
        np.maximum.at(scale, rows, np.abs(vals))
        scale = np.where(scale > 0, scale, 1.0)
        A = sp.csr_matrix((vals / scale[rows], (rows, cols)), shape=(len(b), count))
        upper = self.link_cap[t, links]
        bounds = np.column_stack([np.zeros(count), np.where(np.isfinite(upper), upper, np.inf)])
        return linprog(-gain, A_ub=A, b_ub=b / scale, bounds=bounds, method="highs"), balance

    def _backed(self, facilities, column, stock) -> np.ndarray:
        """Tonnes of output each facility's stocks back in its column: ``min over its
        groups of S_g / k_g`` (inf for a facility with no groups)."""
        lo, hi = self._group_bounds[facilities], self._group_bounds[facilities + 1]
        out = np.full(len(facilities), np.inf)
        has = hi > lo
        if has.any():
            lo, hi = lo[has], hi[has]
            groups = self._group_order[_ranges(lo, hi)]
            cols = np.repeat(column[has], hi - lo)
            use = self.group_use[groups]
            values = np.divide(stock.group_amount(groups, cols), use, out=np.full(len(groups), np.inf),
                               where=use > 0)
            out[has] = np.minimum.reduceat(values, np.cumsum(hi - lo) - (hi - lo))
        return out

    def _upstream(self, t, suppliers, column, f, g, p_slot, used, stock, first_start):
        """Eligible (link, column) pairs into the suppliers that may make extra output,
        and into their suppliers, transitively: links that are not lagged, carry a
        material their customer buys today, are qualified (or past their lead time) and
        unshocked, from a supplier with spare capacity in that column."""
        topo = self.topo
        K = used.shape[1]
        found_links, found_columns = [], []
        frontier = np.unique(suppliers * K + column)
        seen = set(frontier.tolist())
        while len(frontier):
            facility, col = frontier // K, frontier % K
            # origins need no inputs; a supplier whose stocks cover all it could ship
            # extra this month (its spare capacity) needs none either
            need = ~topo.origin[facility]
            need[need] = self._backed(facility[need], col[need], stock) < \
                self._spare(t, facility[need], f, g, p_slot, used, column=col[need]) - _TINY
            facility, col = facility[need], col[need]
            if not len(facility):
                break
            lo, hi = self._in_bounds[facility], self._in_bounds[facility + 1]
            cand = self._in_order[_ranges(lo, hi)]
            cand_col = np.repeat(col, hi - lo)
            keep = self.static_ok[cand]
            cand, cand_col = cand[keep], cand_col[keep]
            if not len(cand):
                break
            elapsed = t - first_start[cand_col]
            keep = ((elapsed >= self.lead[cand]) | (t >= self.online[cand])) & \
                (g[cand, cand_col] >= 1.0 - _TINY)
            cand, cand_col = cand[keep], cand_col[keep]
            if not len(cand):
                break
            spare = self._spare(t, topo.supplier[cand], f, g, p_slot, used, column=cand_col)
            keep = spare > _TINY
            cand, cand_col = cand[keep], cand_col[keep]
            found_links.append(cand)
            found_columns.append(cand_col)
            nxt = np.unique(topo.supplier[cand] * K + cand_col)
            frontier = np.array([key for key in nxt.tolist() if key not in seen], dtype=np.int64)
            seen.update(frontier.tolist())
        if not found_links:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        links = np.concatenate(found_links)
        columns = np.concatenate(found_columns)
        unique = np.unique(links * K + columns)
        return unique // K, unique % K

    def _backing(self, links, column, K, stock):
        """Mass-balance rows of the reroute LP (see :meth:`solve`): per part p of an input
        group g (:meth:`_parts`) and column, of every supplier with inputs,
        ``k_g s_p * x out of the outputs needing g - x_e / a_m into p <= s_p S_g``
        (``s_p`` the part's share of the group's baseline intake; 1 for a recipe group).
        Returns (row, variable, coefficient, bound, part keys) or None when no supplier
        has inputs."""
        prod, topo = self.topo.production, self.topo
        count = len(links)
        supplier = topo.supplier[links]
        out_var = np.flatnonzero(~topo.origin[supplier])
        # outflow: each variable out of slot o counts k_g s_p in every part p of every
        # group g that o needs
        slot = prod.link_slot[links[out_var]]
        lo, hi = self._pair_bounds[slot], self._pair_bounds[slot + 1]
        pairs = _ranges(lo, hi)
        out_variables = np.repeat(out_var, hi - lo)
        out_groups = prod.pair_group[pairs]
        lo, hi = self._part_bounds[out_groups], self._part_bounds[out_groups + 1]
        out_parts = self._part_order[_ranges(lo, hi)]
        out_variables = np.repeat(out_variables, hi - lo)
        out_values = self.group_use[self.part_group[out_parts]] * self.part_share[out_parts]
        # inflow: each variable into a facility counts 1 / a_m in every part it enters
        lo = np.searchsorted(prod.entry_link, links, side="left")
        hi = np.searchsorted(prod.entry_link, links, side="right")
        entries = _ranges(lo, hi)
        in_variables = np.repeat(np.arange(count), hi - lo)
        in_parts = self.entry_part[entries]
        in_values = -prod.entry_weight[entries]
        variables = np.concatenate([out_variables, in_variables])
        parts = np.concatenate([out_parts, in_parts])
        values = np.concatenate([out_values, in_values])
        usable = np.isfinite(values) & (values != 0)
        variables, parts, values = variables[usable], parts[usable], values[usable]
        if not len(variables):
            return None
        keys = parts * K + column[variables]
        # only parts some variable draws on (an inflow alone never binds)
        keep = np.isin(keys, np.unique(keys[values > 0]))
        variables, values, keys = variables[keep], values[keep], keys[keep]
        if not len(variables):
            return None
        part_key, key_rows = np.unique(keys, return_inverse=True)
        part = part_key // K
        column = part_key % K
        pooled = self.part_pool[part] >= 0
        bound = np.zeros(len(part))
        bound[pooled] = stock.pool_amount(self.part_pool[part[pooled]], column[pooled])
        bound[~pooled] = stock.group_amount(self.part_group[part[~pooled]], column[~pooled])
        return key_rows, variables, values, bound, part_key

    def _material_room(self, slots, column, t, f, g, p_slot, extra) -> np.ndarray:
        """Spare capacity for each slot's material this month (inf where capacities.csv has
        no row): ``f * capacity_m / 12`` less what the slot ships (baseline share at its
        production fraction, plus volume already rerouted from it)."""
        room = np.full(len(slots), np.inf)
        owner = self.topo.production.slot_owner
        # only slots with a capacities.csv row have a room (usually few): loop over those
        for i in np.flatnonzero(np.isfinite(self.slot_capacity[slots])):
            s, k = slots[i], column[i]
            cap = self.slot_capacity[s]
            out = self._slot_links[self._slot_link_bounds[s]:self._slot_link_bounds[s + 1]]
            shipped = (self.out_links_monthly[out] * g[out, k] * p_slot[s, k]).sum() \
                + extra[out, k].sum()
            room[i] = max(f[owner[s], k] * cap / 12.0 - shipped, 0.0)
        return room

    def _spare(self, t, suppliers, f, g, p_slot, used, column=None) -> np.ndarray:
        """Spare capacity this month of ``suppliers`` (all K columns, or one column each
        when ``column`` is given): ``f * capacity/12 - committed - used``, where committed
        is the supplier's current monthly outbound ``sum volume/12 * g * p(u, m)`` over
        all its links; 0 for a supplier under an active facility shock (``f < 1``), from
        which rerouting never takes volume. Whether it has the inputs for more is the
        mass-balance rows' business (:meth:`solve`)."""
        starts, stops = self._out_bounds[suppliers], self._out_bounds[suppliers + 1]
        out_links = self._out_order[_ranges(starts, stops)]
        owner = np.repeat(np.arange(len(suppliers)), stops - starts)
        slot = self.topo.production.link_slot[out_links]
        if column is None:
            outbound = self.out_links_monthly[out_links, None] * g[out_links] * p_slot[slot]
            committed = summing_matrix(owner, len(suppliers)) @ outbound
            f_s, u_s = f[suppliers], used[suppliers]
            capacity = self.capacity[t][suppliers][:, None]
        else:
            col = column[owner]
            outbound = self.out_links_monthly[out_links] * g[out_links, col] * p_slot[slot, col]
            committed = np.bincount(owner, weights=outbound, minlength=len(suppliers))
            f_s, u_s = f[suppliers, column], used[suppliers, column]
            capacity = self.capacity[t][suppliers]
        headroom = f_s * capacity / 12.0 - committed - u_s
        return np.where(f_s >= 1.0 - 1e-9, np.maximum(headroom, 0.0), 0.0)


def _customer_material_groups(topo: Topology) -> np.ndarray:
    """(E,) group number of each link's (customer, material) pair, numbered in order of first
    appearance (as ``pd.factorize`` of the pairs), from integer pair codes."""
    material, names = pd.factorize(topo.net.links["material"].to_numpy(), use_na_sentinel=False)
    group, _ = pd.factorize(topo.customer.astype(np.int64) * max(len(names), 1) + material)
    return group


def _same_stage(topo: Topology, group: np.ndarray, carrying: np.ndarray) -> np.ndarray:
    """(E,) whether each link's supplier stage is one of the stages that supply its group's
    carrying links: integer (group, stage) pair codes instead of a Python set per link."""
    stage_codes, stage_names = pd.factorize(topo.stage)
    pair = group.astype(np.int64) * len(stage_names) + stage_codes[topo.supplier]
    return np.isin(pair, np.unique(pair[carrying]))
