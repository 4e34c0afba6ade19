"""Criticality on recipes: the share of sink demand lost when one facility stops.

Definition
----------
For facility u, run the monthly engine (:func:`graphmodel.scenarios.simulate.simulate`)
with the facility factor ``f(u) = 0`` and every other factor 1, inventories off and
rerouting off, so production follows the recipes alone (each facility makes
``p(v, o) = min(f(v), min over the input groups g that output o needs of phi_g(v))``,
:mod:`graphmodel.recipes`). With ``p_s(u)`` the production fraction of sink s in that
month (dimensionless, 1 = its baseline supply) and ``w_s`` its demand (sink demand units
per year)::

    recipe_criticality(u) = 1 - sum_s w_s p_s(u) / sum_s w_s
    recipe_demand_at_risk(u) = recipe_criticality(u) * sum_s w_s

i.e. the share of the selected sinks' demand lost in a month while u is out, before any
stock is drawn or any supplier steps in.

Recycling loops. Links out of recyclers deliver the previous month's output in the
engine. The month used here is the *steady month* of the outage: the one-month step is
repeated, each time with the recyclers' output of the step before, until no output slot
changes by more than ``1e-15`` (on a network without recycling loops that is the first
month exactly; on a loop the change shrinks by the loop's return share every step). The
loss so measured is the share of supply lost while u stays out, recycled feed included.
The steps start from the baseline and only lower production, so a column still changing
after :data:`MAX_STEPS` steps (a loop returning almost all of its flow) gives a lower
bound on the loss; its basis says so (``LOWER_BOUND``).

Without recipes the engine pools every facility's inputs, ``p(v) = f(v) sum_u S[v, u]
p(u)``, whose steady month with ``f(u) = 0`` is the availability of
:func:`graphmodel.chokepoints.availability`; the loss ``sum_s w_s (1 - p_s(u))`` is then
``sum_s w_s F(s, u)``, the linear (first-passage) criticality of
:mod:`graphmodel.chokepoints`, to rounding (tested to 1e-12).

Computation. All candidates at once: column k of one batched run (``K`` columns, the
engine's Monte Carlo axis) has ``f(u_k) = 0``. Columns are processed in blocks sized so
the engine's per-column arrays (facilities, links, input groups, output slots; about
``12 * (n + E + G + P)`` floats per column) stay under :data:`BLOCK_BYTES`.

Size limit. The exact computation costs one engine month per facility, i.e. about
``n * (n + E)`` operations and ``n * n * 8`` bytes of results. It runs for every facility
with a positive linear criticality when there are at most :data:`EXACT_LIMIT` of them
(``EXACT_LIMIT**2 * 8`` = 200 MB); above that, for the :data:`TOP_EXACT` facilities ranked
highest by linear criticality, and the others keep their linear value as the stated
approximation (``basis`` says which). Facilities with linear criticality 0 (no carrying
path to a selected sink) lose the sinks nothing on either model; facilities no origin
reaches keep NaN, as in the linear model.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
import pandas as pd

from .network import Network
from .progress import Progress

#: Most facilities whose recipe criticality is computed exactly (all of them below it).
EXACT_LIMIT = 5_000
#: Facilities computed exactly above the limit: the highest by linear criticality.
TOP_EXACT = 2_000
#: Memory budget of one block of engine columns, bytes.
BLOCK_BYTES = 256 * 2**20
#: Largest change of an output slot between two steps at which the steady month is reached.
STEADY_TOLERANCE = 1e-15
#: Most repetitions of the one-month step on recycling loops.
MAX_STEPS = 2_000
#: A sink producing at most this fraction is stopped (a single point of failure's mark).
STOPPED = 1e-12

RECIPE = "recipe"
LINEAR = "linear"
APPROXIMATION = "linear (approximation)"
LOWER_BOUND = "recipe (lower bound: loop not converged)"


@dataclass
class RecipeOutage:
    """Result of :func:`recipe_outages` for the facilities ``computed``.

    ``supply[i, j]``: production fraction of sink ``sinks[j]`` with ``computed[i]`` out
    (steady month, see module docstring); ``criticality`` per facility (``net.facilities``
    order) with ``basis`` saying how it was obtained."""

    computed: np.ndarray          # facility positions computed exactly
    sinks: pd.Index
    supply: np.ndarray            # (len(computed), len(sinks))
    criticality: np.ndarray       # (n,)
    basis: np.ndarray             # (n,) RECIPE or APPROXIMATION (object)

    def stopped(self, net: Network) -> list[list[str]]:
        """Per facility (``net.facilities`` order): the sinks its outage stops entirely
        (``p_s(u) <= 1e-12``), the facility itself excluded, sorted by id; [] for facilities
        not computed exactly."""
        out: list[list[str]] = [[] for _ in range(len(net.facilities))]
        ids = net.facilities.index
        names = self.sinks.to_numpy(dtype=object)
        for row, u in enumerate(self.computed.tolist()):
            hit = names[self.supply[row] <= STOPPED]
            out[u] = sorted(s for s in hit.tolist() if s != ids[u])
        return out


def recipe_outages(net: Network, demand: pd.Series, linear: pd.Series, *,
                   exact_limit: int = EXACT_LIMIT, top_exact: int = TOP_EXACT,
                   block_bytes: int = BLOCK_BYTES,
                   progress: Optional[Progress] = None) -> RecipeOutage:
    """Recipe criticality of every facility for sink demand ``demand`` (indexed by sink id).

    ``linear`` is the linear criticality (:func:`graphmodel.chokepoints.demand_criticality`),
    used to choose the facilities computed (positive linear criticality; the top
    ``top_exact`` of them when more than ``exact_limit``) and as the approximation for
    the rest. ``progress(done, total, label)`` is called after each block of columns.
    """
    from .scenarios.core import Compiled, Topology
    from .scenarios.model import Responses
    from .scenarios.simulate import simulate

    n = len(net.facilities)
    lin = linear.to_numpy(dtype=float)
    total = float(demand.sum())
    crit = lin.copy()
    basis = np.full(n, APPROXIMATION, dtype=object)
    candidates = np.flatnonzero(np.nan_to_num(lin, nan=0.0) > 0)
    if len(candidates) > exact_limit:
        order = np.lexsort((candidates, -lin[candidates]))
        candidates = np.sort(candidates[order[:top_exact]])
    basis[np.nan_to_num(lin, nan=0.0) <= 0] = RECIPE  # 0 on both models (NaN: untraced)
    sinks = demand.index
    if total <= 0 or not len(candidates):
        basis[candidates] = RECIPE
        return RecipeOutage(candidates, sinks, np.ones((len(candidates), len(sinks))), crit, basis)

    topo = Topology.of(net)
    prod = topo.production
    E = topo.n_links
    sink_pos = net.facilities.index.get_indexer(sinks)
    weights = demand.to_numpy(dtype=float)
    per_column = 12 * 8 * (n + E + prod.n_groups + prod.n_slots)
    block = int(max(1, min(len(candidates), block_bytes // max(per_column, 1))))
    responses = Responses(inventory=False, reroute=False)
    has_loop = bool((topo.lagged & (topo.volume > 0)).any())
    supply = np.empty((len(candidates), len(sinks)))
    unsettled = np.zeros(len(candidates), dtype=bool)
    blocks = range(0, len(candidates), block)
    for done, start in enumerate(blocks):
        if progress:
            progress(done, len(blocks), "recipe criticality")
        cols = candidates[start:start + block]
        K = len(cols)
        f = np.ones((1, n, K))
        f[0, cols, np.arange(K)] = 0.0
        compiled = Compiled(f=f, g=np.ones((1, E, K)), first_start=np.zeros(K),
                            column_run=np.arange(K), column_group=np.zeros(K, dtype=np.int64))
        slot = None
        settled = np.ones(K, dtype=bool)
        for _ in range(MAX_STEPS if has_loop else 1):
            run = simulate(topo, compiled, responses, inventory=False, reroute=False,
                           initial_slot=slot)
            if slot is not None:
                settled = np.max(np.abs(run.last_slot - slot), axis=0, initial=0.0) \
                    <= STEADY_TOLERANCE
            else:
                settled = np.zeros(K, dtype=bool) if has_loop else settled
            slot = run.last_slot
            if settled.all():
                break
        supply[start:start + K] = run.supply[0][sink_pos].T
        unsettled[start:start + K] = ~settled
    if progress:
        progress(len(blocks), len(blocks), "recipe criticality")
    supply = np.clip(supply, 0.0, 1.0)
    crit[candidates] = 1.0 - (supply @ weights) / total
    basis[candidates] = np.where(unsettled, LOWER_BOUND, RECIPE)
    return RecipeOutage(candidates, sinks, supply, crit, basis)


__all__ = ["EXACT_LIMIT", "TOP_EXACT", "BLOCK_BYTES", "RECIPE", "LINEAR", "APPROXIMATION",
           "LOWER_BOUND",
           "RecipeOutage", "recipe_outages"]


def critical_inputs(net: Network, *, basis: str = "location") -> pd.DataFrame:
    """Input groups of every facility with a recipe, with how concentrated their supply is.

    One row per (facility, input group) of :attr:`Network.production`, listing the outputs
    that need it (facilities whose inputs are pooled have no rows: no input of theirs is
    complementary):

    * ``mass_share``: the group's baseline inbound tonnes / the facility's inbound tonnes
      (what the pooled model would lose if the group stopped);
    * the outputs stop without the group whatever its mass share (every recipe group is a
      complement: ``p(v, o) = min over groups``, so ``phi_g = 0`` gives ``p = 0``);
    * ``suppliers``: facilities with carrying links in the group; ``top_supplier`` and
      ``top_supplier_share`` (share of the group's tonnes); ``top_country`` and
      ``top_country_share`` on ``basis`` (``location``: the supplier's country;
      ``control``: its owner's country, unknown owners as ``unknown``).

    Sorted by ``top_country_share`` then ascending ``mass_share``: inputs small by mass,
    held by one country, come first (Dy/Tb at a magnet maker)."""
    prod = net.production
    links, facilities = net.links, net.facilities
    columns = ["facility", "name", "stage", "country", "output", "group", "materials",
               "mass_share", "suppliers", "top_supplier", "top_supplier_share",
               "top_country", "top_country_share"]
    if not prod.recipe.any():
        return pd.DataFrame(columns=columns)
    volume = links["volume"].to_numpy(dtype=float)
    entries = pd.DataFrame({"link": prod.entry_link, "group": prod.entry_group})
    entries = entries[prod.recipe[prod.group_owner[entries["group"]]] & (volume[entries["link"]] > 0)]
    entries["volume"] = volume[entries["link"]]
    entries["supplier"] = links["supplier"].to_numpy()[entries["link"]]
    entries["material"] = links["material"].astype(str).to_numpy()[entries["link"]]
    if basis == "control":
        origin = net.ownership["control_country"].reindex(entries["supplier"]).fillna(
            "unknown").to_numpy()
    else:
        origin = facilities["country"].reindex(entries["supplier"]).to_numpy()
    entries["origin"] = origin
    index = facilities.index
    inbound = pd.Series(volume, index=links.index).groupby(links["customer"].to_numpy()).sum()
    rows = []
    for group, part in entries.groupby("group", sort=True):
        owner = index[prod.group_owner[group]]
        total = part["volume"].sum()
        by_supplier = part.groupby("supplier")["volume"].sum().sort_values(ascending=False)
        by_country = part.groupby("origin")["volume"].sum().sort_values(ascending=False)
        rows.append({
            "facility": owner, "name": facilities.at[owner, "name"],
            "stage": facilities.at[owner, "stage"], "country": facilities.at[owner, "country"],
            "output": prod.group_output[group], "group": prod.group_name[group],
            "materials": ", ".join(sorted(part["material"].unique())),
            "mass_share": total / inbound.get(owner, np.nan),
            "suppliers": len(by_supplier), "top_supplier": by_supplier.index[0],
            "top_supplier_share": by_supplier.iloc[0] / total,
            "top_country": by_country.index[0], "top_country_share": by_country.iloc[0] / total})
    table = pd.DataFrame(rows, columns=columns)
    # joint products of one feed (a magnet and its scrap) share a group's inputs: one row
    same = [c for c in columns if c != "output"]
    table = table.groupby(same, sort=False, dropna=False)["output"].agg(", ".join).reset_index()
    table = table[columns]
    return table.sort_values(["top_country_share", "mass_share"], ascending=[False, True],
                             kind="stable").reset_index(drop=True)
