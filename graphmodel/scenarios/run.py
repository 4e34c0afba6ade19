"""Run a scenario on a network and summarise it per sink, per stage, per month and per link.

Definitions (months are scenario months 0 .. horizon-1; supply is a fraction of the
unshocked baseline, 1 = full):

* ``min_supply``: the lowest monthly supply fraction over the horizon.
* ``lost_volume``: ``sum_t (1 - supply_t) * demand / 12``, in the sink's demand unit
  (``net.sink_demand``: demand.csv, else its inbound volume per year).
* ``tts_months`` (time to survive): the index of the first month with a shortfall, i.e.
  the number of whole months before supply first drops below ``1 - 1e-9``. Null when
  supply never falls short within the horizon. (60 days of stock against a total cut
  from month 0: months 0 and 1 are covered, so ``tts_months = 2``.)
* ``ttr_months`` (time to recover): the first month ``t >= tts_months`` from which supply
  stays at or above 0.99 through the end of the horizon. Null when there is no shortfall,
  or when supply is still below 0.99 at the end of the horizon.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd

from ..network import Network
from ..schema import ALL_STAGES
from .core import Compiled, Draws, Topology, central_draws, compile_factors
from .model import Scenario
from .propagate import ROUNDING, propagate
from .select import shock_targets
from .balance import element_balance, ledger_balance
from .binding import binding_inputs
from .simulate import Simulation, simulate

SHORTFALL_TOLERANCE = 1e-9
RECOVERED = 0.99


def time_to_survive(supply: np.ndarray) -> np.ndarray:
    """``tts_months`` per series; ``supply`` is (T, ...) -> (...) float with NaN for null."""
    short = supply < 1.0 - SHORTFALL_TOLERANCE
    first = np.argmax(short, axis=0).astype(float)
    return np.where(short.any(axis=0), first, np.nan)


def time_to_recover(supply: np.ndarray) -> np.ndarray:
    """``ttr_months`` per series (see module docstring); NaN for null."""
    horizon = supply.shape[0]
    tts = time_to_survive(supply)
    ok = supply >= RECOVERED
    stays = np.flip(np.logical_and.accumulate(np.flip(ok, axis=0), axis=0), axis=0)
    months = np.arange(horizon).reshape((horizon,) + (1,) * (supply.ndim - 1))
    candidate = stays & (months >= np.nan_to_num(tts, nan=horizon))
    first = np.argmax(candidate, axis=0).astype(float)
    return np.where(candidate.any(axis=0) & ~np.isnan(tts), first, np.nan)


@dataclass
class ScenarioResult:
    """Everything a scenario run produces (tables are ready for ``emit``)."""

    scenario: Scenario
    mode: str                       # "propagation" or "simulation"
    sinks: pd.DataFrame             # one row per sink
    stages: pd.DataFrame            # one row per stage
    months: pd.DataFrame            # month x sink supply fractions (wide)
    links: pd.DataFrame             # links that carried rerouted volume
    facility_supply: pd.DataFrame   # month x facility supply fractions
    notes: list[str] = field(default_factory=list)
    elements: pd.DataFrame | None = None   # month x stage x element tonnes shipped
    unknown_content: list[str] = field(default_factory=list)   # materials the view leaves out
    balance_of: object = field(default=None, repr=False)   # callable -> ElementBalance

    def table(self, by: str = "sink") -> pd.DataFrame:
        if by == "balance":
            return self.balance().table
        return {"sink": self.sinks, "stage": self.stages, "month": self.months,
                "links": self.links, "element": self.elements}[by]

    def balance(self, elements: list[str] | None = None, facilities: list[str] | None = None):
        """The element mass balance per facility and month (:mod:`.balance`), computed on
        demand from the run's own record; None for a run scoped to sinks."""
        if self.balance_of is None:
            return None
        return self.balance_of(elements=elements, facilities=facilities)


def run_scenario(net: Network, scenario: Scenario, *, reroute: bool | None = None,
                 inventory: bool | None = None) -> ScenarioResult:
    """Run the deterministic scenario: every shock happens at its central values.

    ``reroute`` / ``inventory`` default to the scenario's ``responses``; with both off the
    engine is pure propagation (:mod:`.propagate`), else the monthly simulation
    (:mod:`.simulate`).
    """
    topo = Topology.of(net)
    draws = central_draws(scenario)
    supply, rerouted, compiled, mode, sim = run_columns(net, topo, scenario, draws,
                                                         reroute=reroute, inventory=inventory)
    sink_supply = select_sink_columns(net, compiled, supply)[:, :, 0]      # (T, sinks)
    base_supply = supply[:, :, compiled.column_group == 0][:, :, 0]        # (T, n)
    binding = None
    if sim is not None and not compiled.groups[1:]:   # sink-scoped shocks: several columns
        binding = binding_inputs(topo, compiled, sim, net.facilities.index.get_indexer(net.sinks),
                                 sink_supply)
    result = ScenarioResult(
        scenario=scenario, mode=mode,
        sinks=sink_table(net, sink_supply, binding),
        stages=stage_table(net, topo, base_supply),
        months=month_table(net, sink_supply),
        links=link_table(net, rerouted[:, :, 0] if rerouted is not None else None),
        facility_supply=pd.DataFrame(base_supply, columns=net.facilities.index,
                                     index=pd.RangeIndex(scenario.horizon_months, name="month")),
        notes=selection_notes(net, scenario),
    )
    if not compiled.groups[1:]:
        if sim is not None:
            result.balance_of = partial(ledger_balance, net, topo, sim.ledger, sim.slot_supply,
                                        compiled.g[:, :, 0], sim.rerouted[:, :, 0])
        else:   # pure propagation: the same run through the simulation, which records it
            result.balance_of = partial(element_balance, net, scenario, reroute=False,
                                        inventory=False)
        result.elements, result.unknown_content = element_table(
            net, topo, compiled, sim, base_supply, None if rerouted is None else rerouted[:, :, 0])
    return result


def element_table(net: Network, topo: Topology, compiled: Compiled, sim: Simulation | None,
                  facility_supply: np.ndarray, rerouted: np.ndarray | None
                  ) -> tuple[pd.DataFrame, list[str]]:
    """Tonnes of each element shipped out of each stage per month, against the baseline.

    A link carrying material m delivers ``V/12 x p(u, m) x g + r`` t in month t (``p(u, m)``
    its supplier's production fraction of m, from the simulation's output slots, or the
    facility's supply fraction in propagation mode; ``g`` the link factor; ``r`` rerouted
    volume) and so ``c(m, X)`` times that of element X (``materials.csv``). Rows: ``month,
    stage, element, shipped_t, baseline_t, share`` (shipped / baseline), for the elements
    with a baseline flow; materials with no content row are left out and returned by name.
    """
    content = net.element_content
    materials = net.links["material"].astype(str)
    unknown = sorted(set(materials) - set(content.index))
    c = content.reindex(materials).fillna(0.0).to_numpy()          # (E, elements)
    monthly = topo.volume / 12.0
    horizon = compiled.f.shape[0]
    if sim is not None and sim.slot_supply is not None:
        made = sim.slot_supply[:, net.production.link_slot]          # (T, E)
        lagged = np.vstack([np.ones((1, made.shape[1])), made[:-1]])
        made = np.where(topo.lagged[None, :], lagged, made)
    else:
        made = facility_supply[:, topo.supplier]
    delivered = monthly[None, :] * made * compiled.g[:, :, 0]
    if rerouted is not None:
        delivered = delivered + rerouted
    stage = topo.stage[topo.supplier]
    rows = []
    for name in pd.unique(stage):
        links = stage == name
        base = monthly[links] @ c[links]                             # (elements,)
        shipped = delivered[:, links] @ c[links]                     # (T, elements)
        for k, element in enumerate(content.columns):
            if base[k] <= 0:
                continue
            for t in range(horizon):
                rows.append((t, name, element, shipped[t, k], base[k], shipped[t, k] / base[k]))
    table = pd.DataFrame(rows, columns=["month", "stage", "element", "shipped_t", "baseline_t",
                                        "share"])
    table = table.sort_values(["element", "stage", "month"], kind="stable")
    return table.reset_index(drop=True), unknown


def run_columns(net: Network, topo: Topology, scenario: Scenario, draws: Draws, *,
                reroute: bool | None, inventory: bool | None
                ) -> tuple[np.ndarray, np.ndarray | None, Compiled, str, Simulation | None]:
    """Supply (T, n, K) and rerouted volume (T, E, K) for every run in ``draws``, the
    compiled factors, the mode and the simulation (None in propagation mode)."""
    responses = scenario.responses
    reroute = responses.reroute if reroute is None else reroute
    inventory = responses.inventory if inventory is None else inventory
    compiled = compile_factors(net, topo, scenario, draws)
    if not reroute and not inventory and topo.production.pooled:
        # pooled inputs make production linear: the exact propagation solve; recipes take
        # a minimum over input groups, so they go through the monthly simulation
        horizon, n, K = compiled.f.shape
        f = compiled.f.transpose(1, 0, 2).reshape(n, horizon * K)
        g = compiled.g.transpose(1, 0, 2).reshape(topo.n_links, horizon * K)
        supply = propagate(topo, f, g).reshape(n, horizon, K).transpose(1, 0, 2)
        return supply, None, compiled, "propagation", None
    sim = simulate(topo, compiled, responses, inventory=inventory, reroute=reroute)
    supply = np.where(sim.supply > 1.0 - ROUNDING, 1.0, sim.supply)   # float noise near full
    return supply, sim.rerouted, compiled, "simulation", sim


def select_sink_columns(net: Network, compiled: Compiled, supply: np.ndarray) -> np.ndarray:
    """(T, sinks, runs): each sink's supply from the column of its sink-scope group."""
    positions = net.facilities.index.get_indexer(net.sinks)
    runs = int(compiled.column_run.max()) + 1
    out = np.empty((supply.shape[0], len(positions), runs))
    for i, position in enumerate(positions):
        group = compiled.sink_group.get(int(position), 0)
        out[:, i, :] = supply[:, position, group * runs:(group + 1) * runs]
    return out


def sink_table(net: Network, sink_supply: np.ndarray, binding: list[str] | None = None
               ) -> pd.DataFrame:
    """Per sink: min/mean supply, lost volume and share, tts and ttr (see module doc) and, for a
    simulated deterministic run, the binding input of its worst month (:mod:`.binding`)."""
    horizon = sink_supply.shape[0]
    facilities = net.facilities.loc[net.sinks]
    demand = net.sink_demand.reindex(net.sinks).to_numpy(dtype=float)
    lost = (1.0 - sink_supply).sum(axis=0) * demand / 12.0
    table = pd.DataFrame({
        "id": net.sinks.astype(str),
        "name": facilities["name"].to_numpy(),
        "country": facilities["country"].to_numpy(),
        "sector": facilities["sector"].to_numpy(),
        "demand": demand,
        "min_supply": sink_supply.min(axis=0),
        "mean_supply": sink_supply.mean(axis=0),
        "lost_volume": lost,
        "lost_share": lost / np.where(demand > 0, demand * horizon / 12.0, np.nan),
        "tts_months": pd.array(time_to_survive(sink_supply), dtype="Int64"),
        "ttr_months": pd.array(time_to_recover(sink_supply), dtype="Int64"),
    })
    if binding is not None:
        table["binding_input"] = binding
    return table.sort_values(["min_supply", "lost_volume", "id"],
                             ascending=[True, False, True]).reset_index(drop=True)


def _throughput(topo: Topology) -> np.ndarray:
    """Baseline annual volume through each facility: inbound, or outbound for origins."""
    return np.where(topo.inbound > 0, topo.inbound, topo.outbound)


def stage_table(net: Network, topo: Topology, supply: np.ndarray) -> pd.DataFrame:
    """Per stage: throughput-weighted supply fraction (min and mean over months) and lost
    volume ``sum_t sum_v (1 - p_t(v)) * throughput(v) / 12`` (units as the links' volumes)."""
    weight = _throughput(topo)
    rows = []
    for stage in ALL_STAGES:
        members = (topo.stage == stage) & (weight > 0)
        if not members.any():
            continue
        monthly = supply[:, members] @ weight[members] / weight[members].sum()
        rows.append({
            "stage": stage, "facilities": int(members.sum()),
            "volume": float(weight[members].sum()),
            "min_supply": float(monthly.min()), "mean_supply": float(monthly.mean()),
            "lost_volume": float(((1 - supply[:, members]) * weight[members]).sum() / 12.0),
        })
    return pd.DataFrame(rows, columns=["stage", "facilities", "volume", "min_supply",
                                       "mean_supply", "lost_volume"])


def month_table(net: Network, sink_supply: np.ndarray) -> pd.DataFrame:
    """Monthly supply fraction per sink: a ``month`` column and one column per sink id."""
    table = pd.DataFrame(sink_supply, columns=list(net.sinks.astype(str)))
    table.insert(0, "month", np.arange(len(table)))
    return table


def link_table(net: Network, rerouted: np.ndarray | None) -> pd.DataFrame:
    """Links that carried rerouted volume: total, peak month, months used, first month."""
    columns = ["supplier", "customer", "material", "status", "rerouted_volume",
               "peak_monthly_volume", "months_used", "first_month"]
    if rerouted is None:
        return pd.DataFrame(columns=columns)
    used = rerouted > 1e-9
    carried = used.any(axis=0)
    links = net.links.reset_index(drop=True)
    table = links.loc[carried, ["supplier", "customer", "material", "status"]].copy()
    table["rerouted_volume"] = rerouted[:, carried].sum(axis=0)
    table["peak_monthly_volume"] = rerouted[:, carried].max(axis=0)
    table["months_used"] = used[:, carried].sum(axis=0)
    table["first_month"] = np.argmax(used[:, carried], axis=0)
    return table.sort_values("rerouted_volume", ascending=False).reset_index(drop=True)[columns]


def selection_notes(net: Network, scenario: Scenario) -> list[str]:
    """Warnings for shocks that select nothing in this network."""
    notes = []
    for i, shock in enumerate(scenario.shocks):
        facilities, links = shock_targets(net, shock)
        if not facilities.any() and not links.any():
            label = f" ({shock.name})" if shock.name else ""
            notes.append(f"shocks[{i}]{label} selects no facility or link in this network")
    return notes
