"""Arrays the engine works on: the network as index arrays, shock draws and monthly factors.

Shapes used throughout: ``n`` facilities (``net.facilities`` order), ``E`` links (rows of
``net.links`` in order), ``T`` months (``horizon_months``), ``K`` columns (Monte Carlo runs,
times sink-scope groups; 1 for a deterministic run).

* facility factor ``f[t, v, k]`` = product over active facility shocks of ``1 - loss``
  (independent shocks on one facility compound multiplicatively);
* link factor ``g[t, e, k]`` = the same product over active link shocks (export controls,
  material- or customer-narrowed outages).

A shock active for part of a month counts pro rata: its loss in month t is
``capacity_loss * overlap([t, t+1), [start, start + duration))``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import TiernError
from ..network import Network
from ..recipes import Production
from ..schema import RECYCLER
from .model import DAYS_PER_MONTH, Distribution, Scenario
from .select import facility_mask, shock_targets


@dataclass
class Topology:
    """A network as flat arrays for the monthly engine: the network's link arrays
    (:attr:`graphmodel.network.Network.link_positions`) with the facility and link columns
    a scenario run needs (built once per network and scenario run)."""

    net: Network
    index: pd.Index
    supplier: np.ndarray       # (E,) facility position of each link's supplier
    customer: np.ndarray       # (E,) facility position of each link's customer
    volume: np.ndarray         # (E,) annual volume (0 for candidates)
    share: np.ndarray          # (E,) volume / customer's inbound volume (s(v, u) per link)
    inbound: np.ndarray        # (n,) annual inbound volume
    outbound: np.ndarray       # (n,) annual outbound volume
    capacity: np.ndarray       # (n,) annual capacity, NaN = unknown
    operating: np.ndarray      # (n,) status == operating
    stock_months: np.ndarray   # (n,) inventory_days / 30, 0 where unknown
    stage: np.ndarray          # (n,) stage names
    link_status: np.ndarray    # (E,) qualified / in_qualification / candidate
    qualification: np.ndarray  # (E,) qualification_months, NaN = not given

    @classmethod
    def of(cls, net: Network) -> "Topology":
        facilities, links = net.facilities, net.links
        index = facilities.index
        supplier, customer, volume = net.link_positions
        inbound = net.inbound_volume.to_numpy(dtype=float)
        share = np.divide(volume, inbound[customer], out=np.zeros(len(volume)),
                          where=inbound[customer] > 0)
        inventory = pd.to_numeric(facilities["inventory_days"], errors="coerce").to_numpy(dtype=float)
        qualification = pd.to_numeric(links["qualification_months"], errors="coerce")
        return cls(
            net=net, index=index, supplier=supplier, customer=customer, volume=volume,
            share=share, inbound=inbound, outbound=net.outbound_volume.to_numpy(dtype=float),
            capacity=pd.to_numeric(facilities["capacity"], errors="coerce").to_numpy(dtype=float),
            operating=(facilities["status"] == "operating").to_numpy(),
            stock_months=np.nan_to_num(inventory, nan=0.0) / DAYS_PER_MONTH,
            stage=facilities["stage"].astype(str).to_numpy(),
            link_status=links["status"].astype(str).to_numpy(),
            qualification=qualification.to_numpy(dtype=float),
        )

    @property
    def n(self) -> int:
        return len(self.index)

    @property
    def n_links(self) -> int:
        return len(self.volume)

    @cached_property
    def production(self) -> Production:
        """Input groups and output slots of the network's recipes (:mod:`graphmodel.recipes`)."""
        return self.net.production

    @cached_property
    def origin(self) -> np.ndarray:
        """Facilities with no inbound volume (supply enters here; availability = own factor)."""
        return self.inbound <= 0

    @cached_property
    def lagged(self) -> np.ndarray:
        """Links out of recyclers: in the monthly simulation they deliver last month's output,
        which breaks recycling loops (scrap takes time to come back)."""
        return self.stage[self.supplier] == RECYCLER

    @cached_property
    def levels(self) -> list[np.ndarray]:
        """Facility positions in processing order: every supplier (over any link that is not
        lagged) comes in an earlier level than its customers."""
        # Kahn's algorithm by generations (networkx.topological_generations, vectorised):
        # a facility joins the level after the last of its suppliers' levels.
        keep = ~self.lagged
        edges = sp.csr_matrix((np.ones(int(keep.sum()), dtype=np.int32),
                               (self.supplier[keep], self.customer[keep])), shape=(self.n, self.n))
        waiting = np.bincount(edges.indices, minlength=self.n)   # distinct suppliers not yet placed
        level = np.flatnonzero(waiting == 0)
        levels, placed = [], 0
        while len(level):
            levels.append(level.astype(np.intp))
            placed += len(level)
            customers, count = np.unique(edges[level].indices, return_counts=True)
            waiting[customers] -= count
            level = customers[waiting[customers] == 0]
        if placed < self.n:
            raise TiernError("the network has a supply loop that does not pass through a "
                             "recycler; the monthly simulation cannot order it")
        return levels


@dataclass
class Draws:
    """Realised shock parameters, one row per run: arrays of shape (K, S)."""

    occurs: np.ndarray
    loss: np.ndarray
    start: np.ndarray
    duration: np.ndarray      # inf = until the horizon

    @property
    def runs(self) -> int:
        return self.occurs.shape[0]


def central_draws(scenario: Scenario) -> Draws:
    """The deterministic run: every shock happens, at the central value of its distributions."""
    def central(value, default):
        if value is None:
            return default
        return value.central if isinstance(value, Distribution) else float(value)

    shocks = scenario.shocks
    return Draws(
        occurs=np.ones((1, len(shocks)), dtype=bool),
        loss=np.array([[min(max(central(s.capacity_loss, 1.0), 0.0), 1.0) for s in shocks]]),
        start=np.array([[max(central(s.start_month, 0.0), 0.0) for s in shocks]]),
        duration=np.array([[max(central(s.duration_months, np.inf), 0.0) for s in shocks]]),
    )


@dataclass
class Compiled:
    """Monthly factors for a batch of columns, plus what the full simulation needs."""

    f: np.ndarray                 # (T, n, K) facility factors
    g: np.ndarray                 # (T, E, K) link factors
    first_start: np.ndarray       # (K,) month the first occurring shock starts (inf if none)
    column_run: np.ndarray        # (K,) run number (row of the draws) of each column
    column_group: np.ndarray      # (K,) sink-scope group of each column
    groups: list[frozenset] = field(default_factory=list)  # scoped shock positions per group
    sink_group: dict = field(default_factory=dict)         # sink position -> group number


def active_fraction(start: np.ndarray, duration: np.ndarray, horizon: int) -> np.ndarray:
    """Share of each month t in [0, horizon) during which a shock is active: (..., T)."""
    t = np.arange(horizon, dtype=float)
    begin = np.maximum(t, start[..., None])
    end = np.minimum(t + 1, (start + duration)[..., None])
    return np.clip(end - begin, 0.0, 1.0)


def scope_groups(net: Network, scenario: Scenario, sinks: pd.Index) -> tuple[list[frozenset], dict]:
    """Group sinks by the set of sink-scoped shocks that bind them.

    Group 0 is always the set of no scoped shocks (used for non-sink outputs)."""
    scoped = [i for i, s in enumerate(scenario.shocks) if s.sinks is not None]
    groups: list[frozenset] = [frozenset()]
    sink_group: dict[int, int] = {}
    if not scoped:
        return groups, {int(p): 0 for p in net.facilities.index.get_indexer(sinks)}
    masks = {i: facility_mask(net, scenario.shocks[i].sinks) for i in scoped}
    for position in net.facilities.index.get_indexer(sinks):
        key = frozenset(i for i in scoped if masks[i][position])
        if key not in groups:
            groups.append(key)
        sink_group[int(position)] = groups.index(key)
    return groups, sink_group


def compile_factors(net: Network, topo: Topology, scenario: Scenario, draws: Draws) -> Compiled:
    """Monthly facility and link factors for every run in ``draws`` and every scope group.

    Columns are ordered group-major: column ``g * R + r`` is run r under scope group g.
    """
    horizon = scenario.horizon_months
    groups, sink_group = scope_groups(net, scenario, net.sinks)
    runs = draws.runs
    columns = len(groups) * runs
    f = np.ones((horizon, topo.n, columns))
    g = np.ones((horizon, topo.n_links, columns))
    active = active_fraction(draws.start, draws.duration, horizon) * draws.occurs[..., None]
    for position, shock in enumerate(scenario.shocks):
        facilities, links = shock_targets(net, shock)
        survive = 1.0 - draws.loss[:, position, None] * active[:, position, :]   # (R, T)
        for number, group in enumerate(groups):
            if shock.sinks is not None and position not in group:
                continue
            block = slice(number * runs, (number + 1) * runs)
            f[:, facilities, block] *= survive.T[:, None, :]
            g[:, links, block] *= survive.T[:, None, :]
    starts = np.where(draws.occurs & (draws.loss > 0) & (draws.duration > 0), draws.start, np.inf)
    first_start = np.tile(starts.min(axis=1, initial=np.inf), len(groups))
    return Compiled(f=f, g=g, first_start=first_start,
                    column_run=np.tile(np.arange(runs), len(groups)),
                    column_group=np.repeat(np.arange(len(groups)), runs),
                    groups=groups, sink_group=sink_group)
