"""Input stocks in physical tonnes: one *pool* per (facility, material it receives).

The monthly engine (:mod:`.simulate`) decides production by input group in tonnes of
output supported (:mod:`graphmodel.recipes`); the material behind those units sits here,
so that every tonne of every element is accounted for (:mod:`.balance`).

Pools and groups
----------------
Pool q of facility v holds ``M_q`` t of material m. Group g of v counts a pool with the
weight ``w_gq = 1 / a_m`` (tonnes of output one tonne of m supports; 1 in a pooled
group), so the group's stock in its own unit is ``S_g = sum_q w_gq M_q``. A material may
count in several groups (a separator's feed in the group of each oxide it yields; bought-in
alloy in both the NdPr and the Dy group of a magnet): it is still one pile.

Each month, for the groups of a facility (arrivals ``a_q`` t per pool,
``A_g = sum_q w_gq a_q``) after production has set the units ``u_g`` each group uses:

* group g takes ``min(u_g, A_g)`` from the month's arrivals and the rest from stock:
  the fractions ``r_a(g) = min(u_g, A_g) / A_g`` and ``r_s(g) = (u_g - A_g)+ / S_g``,
  drawn from every pool of the group alike (a well-mixed store, so a group of
  substitutes draws Dy and Tb in the proportion it holds them);
* a pool in several groups is consumed as far as its most demanding group uses it:
  ``used_q = a_q max_g r_a(g) + M_q max_g r_s(g)`` (one tonne of feed yields every
  co-product at once);
* arrivals not used go to the stock; once every group of the pool has arrivals covering
  its need again, the stock is topped up by ``refill_rate`` of the pool's baseline monthly
  intake (the *restock*: bought from outside the modelled flows, an explicit term of the
  balance, never above the starting level);
* the stock of a *cap unit* never exceeds its starting level: what arrives above it is
  *excess* (an explicit term of the balance, taken pro rata from the unit's pools). The
  cap unit is the pool itself for a facility with recipes, and the whole facility for a
  pooled one (its inputs substitute one for one, so only their sum is capped, which is
  the pooled model's rule).

Rerouting (:class:`.simulate.ReroutePlan`) reads ``S_g`` (:meth:`InputStocks.group_amount`)
and, for a pooled group, the amount of one material (:meth:`InputStocks.pool_amount`);
extra input it buys for a supplier's extra output is received into the supplier's pools
(:meth:`InputStocks.receive`) and the units that output needs are drawn from them
(:meth:`InputStocks.draw`), with the same well-mixed and one-pile rules.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

_TINY = 1e-12


def pool_of_links(topo) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(E,) pool of every link (its customer and material), and each pool's owner and
    material name."""
    material, names = pd.factorize(topo.net.links["material"].astype(str).to_numpy(),
                                   use_na_sentinel=False)
    key = topo.customer.astype(np.int64) * max(len(names), 1) + material
    pool, uniques = pd.factorize(key)
    uniques = np.asarray(uniques, dtype=np.int64)
    owner = uniques // max(len(names), 1)
    pool_material = np.asarray(names, dtype=object)[uniques % max(len(names), 1)]
    return pool.astype(np.int64), owner, pool_material


@dataclass
class PoolStep:
    """Static pool arrays of one processing level (local numbering)."""

    pools: np.ndarray              # global pool ids of the level
    to_pool: sp.csr_matrix         # (pools, inbound links): sums deliveries into pools
    weight: sp.csr_matrix          # (groups, pools): w_gq
    order_rows: np.ndarray         # the weight entries' group, sorted by pool
    pool_starts: np.ndarray        # first sorted entry of each pool
    to_unit: sp.csr_matrix         # (cap units, pools)
    unit_of: np.ndarray            # local cap unit of each pool


class InputStocks:
    """The pools of a network and their state ``M`` (Q, K) in tonnes (see module doc)."""

    def __init__(self, topo, months: np.ndarray, inventory: bool, refill_rate: float):
        prod = topo.production
        self.topo = topo
        self.pool_of_link, self.owner, self.material = pool_of_links(topo)
        Q = len(self.owner)
        self.n_pools = Q
        carrying = topo.volume > 0
        self.baseline = np.bincount(self.pool_of_link[carrying], weights=topo.volume[carrying] / 12.0,
                                    minlength=Q)
        # w_gq from the recipe entries (a link counts in one or more groups of its customer)
        entry_pool = self.pool_of_link[prod.entry_link]
        pairs = pd.DataFrame({"g": prod.entry_group, "q": entry_pool, "w": prod.entry_weight})
        pairs = pairs.drop_duplicates(["g", "q"])
        self.weight = sp.csr_matrix((pairs["w"].to_numpy(), (pairs["g"].to_numpy(),
                                                             pairs["q"].to_numpy())),
                                    shape=(prod.n_groups, Q))
        K = months.shape[1]
        self.target = months[self.owner] * self.baseline[:, None] if inventory \
            else np.zeros((Q, K))
        self.M = self.target.copy()
        self.refill_rate = refill_rate if inventory else 0.0
        # cap units: a recipe facility's pools one by one, a pooled facility's all together
        unit_key = np.where(prod.recipe[self.owner] if Q else np.zeros(0, bool),
                            topo.n + np.arange(Q), self.owner)
        self.unit, _ = pd.factorize(unit_key)
        self._group_rows = self.weight.tocsr()
        self.drawn = None
        owner = prod.group_owner
        to_facility = sp.csr_matrix((np.ones(len(owner)), (owner, np.arange(len(owner)))),
                                    shape=(topo.n, len(owner)))
        self._facility_weight = (to_facility @ self.weight).tocsr()   # sums S_g per facility

    # ------------------------------------------------------------------ level structure
    def step(self, inbound_links: np.ndarray, groups: np.ndarray) -> PoolStep:
        pools, local = np.unique(self.pool_of_link[inbound_links], return_inverse=True)
        to_pool = sp.csr_matrix((np.ones(len(inbound_links)), (local, np.arange(len(inbound_links)))),
                                shape=(len(pools), len(inbound_links)))
        weight = self.weight[groups][:, pools].tocoo()
        order = np.argsort(weight.col, kind="stable")
        rows_sorted, cols_sorted = weight.row[order], weight.col[order]
        starts = np.searchsorted(cols_sorted, np.arange(len(pools)))
        units, unit_local = np.unique(self.unit[pools], return_inverse=True)
        to_unit = sp.csr_matrix((np.ones(len(pools)), (unit_local, np.arange(len(pools)))),
                                shape=(len(units), len(pools)))
        return PoolStep(pools=pools, to_pool=to_pool, weight=weight.tocsr(),
                        order_rows=rows_sorted.astype(np.int64), pool_starts=starts,
                        to_unit=to_unit, unit_of=unit_local)

    def settle(self, step: PoolStep, arrived: np.ndarray, arrivals: np.ndarray,
               stock: np.ndarray, use: np.ndarray, recovered: np.ndarray):
        """Consume, keep, restock and cap the level's pools after its production (module
        doc). ``arrived`` (pools, K) t, ``arrivals``/``stock``/``use`` (groups, K) units,
        ``recovered`` (groups, K) bool. Returns (used, restocked, excess), (pools, K) t."""
        M = self.M[step.pools]
        r_a = np.divide(np.minimum(use, arrivals), arrivals, out=np.zeros_like(use),
                        where=arrivals > _TINY)
        r_s = np.divide(np.clip(use - arrivals, 0.0, stock), stock, out=np.zeros_like(use),
                        where=stock > _TINY)
        ra_q = np.maximum.reduceat(r_a[step.order_rows], step.pool_starts, axis=0)
        rs_q = np.minimum(np.maximum.reduceat(r_s[step.order_rows], step.pool_starts, axis=0), 1.0)
        rec_q = np.minimum.reduceat(recovered[step.order_rows].astype(float), step.pool_starts,
                                    axis=0)
        used = arrived * ra_q + M * rs_q
        held = M + arrived - used
        target = self.target[step.pools]
        refill = self.refill_rate * self.baseline[step.pools, None] * rec_q
        S_u, T_u, R_u = step.to_unit @ held, step.to_unit @ target, step.to_unit @ refill
        restock_u = np.minimum(R_u, np.maximum(T_u - S_u, 0.0))
        excess_u = np.maximum(S_u - T_u, 0.0)
        unit_of = step.unit_of
        restocked = refill * np.divide(restock_u, R_u, out=np.zeros_like(R_u), where=R_u > 0)[unit_of]
        excess = held * np.divide(excess_u, S_u, out=np.zeros_like(S_u), where=S_u > 0)[unit_of]
        self.M[step.pools] = held + restocked - excess
        return used, restocked, excess

    # ------------------------------------------------------------------ rerouting
    def _group_entries(self, groups: np.ndarray, columns: np.ndarray):
        """Every (pool, weight) entry of each (group, column) pair: the pair's position,
        the pool, the column and ``w_gq``."""
        rows = self._group_rows
        lo, hi = rows.indptr[groups], rows.indptr[groups + 1]
        idx = ranges(lo, hi)
        return (np.repeat(np.arange(len(groups)), hi - lo), rows.indices[idx],
                np.repeat(columns, hi - lo), rows.data[idx])

    def group_amount(self, groups: np.ndarray, columns: np.ndarray) -> np.ndarray:
        """``S_g`` of each (group, column) pair, in tonnes of output supported."""
        which, q, c, w = self._group_entries(groups, columns)
        return np.bincount(which, weights=w * self.M[q, c], minlength=len(groups))

    def pool_amount(self, pools: np.ndarray, columns: np.ndarray) -> np.ndarray:
        return self.M[pools, columns]

    def receive(self, links: np.ndarray, columns: np.ndarray, tonnes: np.ndarray) -> None:
        """Add extra deliveries on ``links`` to their customers' pools."""
        np.add.at(self.M, (self.pool_of_link[links], columns), tonnes)

    def draw(self, groups: np.ndarray, pools: np.ndarray, columns: np.ndarray,
             units: np.ndarray) -> None:
        """Draw ``units`` (tonnes of output supported) per (group, column) from its pools:
        from pool ``pools[i]`` alone where it is >= 0 (a pooled group's material), else
        from every pool of the group pro rata to ``w_gq M_q``; a pool drawn by several groups
        gives the largest of their draws. What is drawn is added to :attr:`drawn` when a
        log is kept (:meth:`keep_log`)."""
        out_pool, out_col, out_t = [], [], []
        single = pools >= 0
        if single.any():
            w = np.asarray(self.weight[groups[single], pools[single]]).ravel()
            out_pool.append(pools[single])
            out_col.append(columns[single])
            out_t.append(np.divide(units[single], w, out=np.zeros(int(single.sum())), where=w > 0))
        whole = np.flatnonzero(~single)
        if len(whole):
            which, q, c, w = self._group_entries(groups[whole], columns[whole])
            held = self.M[q, c]
            S = np.bincount(which, weights=w * held, minlength=len(whole))
            u = units[whole]
            share = np.divide(u, S, out=np.zeros(len(u)), where=S > _TINY)[which]
            out_pool.append(q)
            out_col.append(c)
            out_t.append(held * np.minimum(share, 1.0))
        if not out_pool:
            return
        K = self.M.shape[1]
        key = np.concatenate(out_pool) * K + np.concatenate(out_col)
        tonnes = np.concatenate(out_t)
        order = np.argsort(key, kind="stable")
        key, tonnes = key[order], tonnes[order]
        unique, starts = np.unique(key, return_index=True)
        q, c = unique // K, unique % K
        take = np.minimum(np.maximum.reduceat(tonnes, starts), self.M[q, c])
        self.M[q, c] -= take
        if self.drawn is not None:
            np.add.at(self.drawn, (q, c), take)

    def keep_log(self) -> None:
        """Start adding every rerouting draw to :attr:`drawn` (reset by the caller)."""
        self.drawn = np.zeros_like(self.M)

    def per_facility_units(self) -> np.ndarray:
        """(n, K) the sum over each facility's groups of ``S_g`` (the engine's reported
        stock, in tonnes of output supported)."""
        return self._facility_weight @ self.M


def ranges(starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """``concatenate([arange(a, b) for a, b in zip(starts, stops)])`` without the Python
    loop (the per-facility loops of level set-up cost seconds at 100k facilities)."""
    lengths = np.asarray(stops, dtype=np.int64) - np.asarray(starts, dtype=np.int64)
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.cumsum(lengths) - lengths
    return np.repeat(np.asarray(starts, dtype=np.int64) - offsets, lengths) + np.arange(total)
