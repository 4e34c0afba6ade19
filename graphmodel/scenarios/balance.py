"""Element mass balance: tonnes of each element in, out and in stock, per facility and month.

From a single-column monthly simulation (:func:`.simulate.simulate`, whose
:class:`~.simulate.Ledger` records link deliveries and the physical input pools of
:mod:`.stocks`), for facility v, element X and month t, with ``c(m, X)`` the mass fraction
of X in material m (``materials.csv``, :attr:`graphmodel.network.Network.element_content`):

* ``in_t``        = sum over links e into v of ``delivered_e(t) c(m_e, X)``
  (``delivered`` = the month's flow plus rerouted extra);
* ``out_t``       = the same over links out of v;
* ``stock_t``     = sum over v's pools q of ``M_q(t) c(m_q, X)`` at the end of the month;
  ``stock_change_t`` = ``stock_t(t) - stock_t(t - 1)`` (month 0 against the start);
* ``used_t``      = the input the month's production and rerouted extra output consumed;
* ``made_t``      = output made: ``p(v, o) x`` the output's baseline monthly shipments,
  plus the rerouted extra it ships, for each output o;
* ``unshipped_t`` = output made but not delivered this month, per link out of v:
  ``volume/12 x (p(v, o; t) - p(v, o; t') g_e(t))`` with ``g`` the link factor and ``t'``
  the month whose output the link delivers (``t``; ``t - 1`` out of a recycler, so
  negative when last month's larger output arrives);
* ``restocked_t`` = stock bought back once arrivals cover need (``refill_rate``): material
  from outside the modelled flows, an explicit term;
* ``excess_t``    = arrivals the facility neither uses nor can stock (above its starting
  stock level), an explicit term: the model leaves them aside.

``used_t - made_t`` is the *transformation*: process losses where positive (oxide to
metal loses oxygen and yield), element entering from outside the modelled flows where
negative (iron and boron in a magnet; everything a mine extracts: a mine has no inputs).
The balance, which every facility meets every month (a property test checks it under
random shocks with rerouting and stocks), is::

    in_t + restocked_t = out_t + unshipped_t + stock_change_t + excess_t + (used_t - made_t)

``balance_t`` is the left side minus the right (0 up to float rounding). Materials with no
``materials.csv`` row have unknown content: they are left out, and named.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import TiernError
from ..network import Network
from .core import Topology, central_draws, compile_factors
from .model import Scenario
from .simulate import Ledger, simulate

COLUMNS = ["month", "facility", "element", "in_t", "out_t", "stock_t", "stock_change_t",
           "used_t", "made_t", "unshipped_t", "restocked_t", "excess_t", "balance_t"]


@dataclass
class ElementBalance:
    """The balance table (:data:`COLUMNS`, one row per month, facility and element with any
    flow) and the materials left out for unknown content."""

    table: pd.DataFrame
    unknown_content: list[str]


def element_balance(net: Network, scenario: Scenario, *, reroute: bool | None = None,
                    inventory: bool | None = None, elements: list[str] | None = None,
                    facilities: list[str] | None = None) -> ElementBalance:
    """Run ``scenario`` at its central values through the monthly simulation and return its
    element balance (module doc). ``elements`` / ``facilities`` keep only those rows
    (unknown names are an error). Scenarios scoped to sinks (several simulation columns)
    are refused: their facilities live in several worlds at once."""
    topo = Topology.of(net)
    compiled = compile_factors(net, topo, scenario, central_draws(scenario))
    if compiled.f.shape[2] != 1:
        raise TiernError("the element balance needs one simulated world; this scenario has "
                         "shocks scoped to sinks (sink:), which run several")
    responses = scenario.responses
    sim = simulate(topo, compiled, responses,
                   inventory=responses.inventory if inventory is None else inventory,
                   reroute=responses.reroute if reroute is None else reroute)
    return ledger_balance(net, topo, sim.ledger, sim.slot_supply, compiled.g[:, :, 0],
                          sim.rerouted[:, :, 0], elements=elements, facilities=facilities)


def ledger_balance(net: Network, topo: Topology, ledger: Ledger, slot_supply: np.ndarray,
                   g: np.ndarray, rerouted: np.ndarray, *, elements=None, facilities=None,
                   initial_slot: np.ndarray | None = None) -> ElementBalance:
    """The balance table of a recorded run (see module doc): ``slot_supply`` (T, P) the
    output slots' production fractions, ``g`` (T, E) the link factors, ``rerouted`` (T, E)."""
    content = net.element_content
    if elements is not None:
        missing = sorted(set(elements) - set(content.columns))
        if missing:
            raise TiernError(f"unknown element(s) {', '.join(missing)}; materials.csv knows "
                             f"{', '.join(content.columns)}")
        content = content[list(elements)]
    link_material = net.links["material"].astype(str).to_numpy()
    unknown = sorted(set(link_material) - set(content.index))
    c_link = content.reindex(link_material).fillna(0.0).to_numpy()            # (E, X)
    c_pool = content.reindex(ledger.material.astype(str)).fillna(0.0).to_numpy()  # (Q, X)
    prod = topo.production
    slot_material = pd.Series(prod.slot_material).astype(object).where(
        pd.notna(prod.slot_material), "").astype(str).to_numpy()
    c_slot = content.reindex(slot_material).fillna(0.0).to_numpy()             # (P, X)
    n, E, T = topo.n, topo.n_links, g.shape[0]
    monthly = topo.volume / 12.0
    to_customer = _summing(topo.customer, n)
    to_supplier = _summing(topo.supplier, n)
    to_owner = _summing(ledger.owner, n)
    to_slot_owner = _summing(prod.slot_owner, n)
    slot = prod.link_slot
    carrying = topo.volume > 0
    slot_base = np.bincount(slot[carrying], weights=monthly[carrying], minlength=prod.n_slots)
    extra_out = rerouted @ _summing(slot, prod.n_slots).T                      # (T, P)
    previous = np.vstack([np.ones((1, prod.n_slots)) if initial_slot is None
                          else initial_slot.reshape(1, -1), slot_supply[:-1]])
    source = np.where(topo.lagged[None, :], previous[:, slot], slot_supply[:, slot])
    unshipped_link = monthly[None, :] * (slot_supply[:, slot] - source * g)   # (T, E)
    made_slot = slot_supply * slot_base[None, :] + extra_out                   # (T, P)
    stock_before = np.vstack([ledger.start[None, :], ledger.stock[:-1]])
    frames = []
    ids = net.facilities.index.astype(str).to_numpy()
    for k, element in enumerate(content.columns):
        carried = ledger.delivered * c_link[:, k]                                # (T, E) t of X
        terms = {
            "in_t": carried @ to_customer.T,
            "out_t": carried @ to_supplier.T,
            "stock_t": (ledger.stock * c_pool[:, k]) @ to_owner.T,
            "stock_change_t": ((ledger.stock - stock_before) * c_pool[:, k]) @ to_owner.T,
            "used_t": (ledger.used * c_pool[:, k]) @ to_owner.T,
            "made_t": (made_slot * c_slot[:, k]) @ to_slot_owner.T,
            "unshipped_t": (unshipped_link * c_link[:, k]) @ to_supplier.T,
            "restocked_t": (ledger.restocked * c_pool[:, k]) @ to_owner.T,
            "excess_t": (ledger.excess * c_pool[:, k]) @ to_owner.T,
        }
        active = np.zeros(n, dtype=bool)
        for values in terms.values():
            active |= np.abs(values).max(axis=0) > 0
        active |= (ledger.start * c_pool[:, k]) @ to_owner.T > 0
        if facilities is not None:
            active &= np.isin(ids, facilities)
        if not active.any():
            continue
        frame = pd.DataFrame({name: values[:, active].ravel() for name, values in terms.items()})
        frame.insert(0, "element", element)
        frame.insert(0, "facility", np.tile(ids[active], T))
        frame.insert(0, "month", np.repeat(np.arange(T), int(active.sum())))
        frames.append(frame)
    if facilities is not None:
        missing = sorted(set(facilities) - set(ids))
        if missing:
            raise TiernError(f"unknown facility id(s): {', '.join(missing)}")
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS[:-1])
    table["balance_t"] = (table["in_t"] + table["restocked_t"] - table["out_t"]
                          - table["unshipped_t"] - table["stock_change_t"] - table["excess_t"]
                          - table["used_t"] + table["made_t"])
    table = table.sort_values(["element", "facility", "month"], kind="stable")
    return ElementBalance(table=table.reset_index(drop=True)[COLUMNS], unknown_content=unknown)


def _summing(rows: np.ndarray, n_rows: int) -> sp.csr_matrix:
    count = len(rows)
    return sp.csr_matrix((np.ones(count), (rows, np.arange(count))), shape=(n_rows, count))
