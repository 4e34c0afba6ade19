"""Recipes: which inputs a facility needs, and which of them substitute for each other.

A recipe row says that making one tonne of ``output`` consumes ``per_unit`` tonnes of
``input``; rows with the same ``group`` name are substitutes (Tb for Dy in a magnet's
heavy-rare-earth group), different groups are complements (NdPr *and* Dy/Tb). Rows name a
``stage`` (every facility of the stage) or a ``facility`` (that facility only; a facility
that has rows of its own ignores its stage's rows).

Production model
----------------
For facility v, input group g and month t, with ``a_m`` the ``per_unit`` of material m::

    B_g(v)   = sum over carrying links e into v with material m in g of volume_e / 12 / a_m
    A_g(v,t) = sum over links e into v with material m in g of arrivals_e(t) / a_m
    phi_g    = min(A_g + S_g, f(v) B_g) / B_g          (S_g: group g's stock, below)
    p(v, o)  = min(f(v), min over groups g that output o needs of phi_g)

``B_g`` is the baseline monthly consumption of group g in tonnes of output it supports,
``phi_g`` the fraction of that baseline the group can supply this month (arrivals first,
then stock), ``p(v, o)`` the production fraction of output o (1 = baseline), ``f(v)`` the
facility factor of the active shocks. Links out of v carrying o deliver ``p(v, o)`` of
their baseline volume. An output with no recipe row needs every group of the facility.

Stocks are ``inventory_days / 30`` months of each input material, in tonnes, so that group
g holds ``S_g = sum over its materials of tonnes / a_m`` (:mod:`graphmodel.scenarios.stocks`:
a material counting in several groups is one pile); group g consumes ``u_g = max over
outputs o needing g of p(v, o) * B_g``: the stock covers ``u_g - A_g`` when arrivals fall
short; arrivals above ``u_g`` refill it (never above its start level).

A facility with no applicable recipe row has one group holding all its inputs with equal
``per_unit``: ``phi = min(A + S, f B) / B`` with ``B`` its total monthly inbound volume,
which is the pooled model (inputs substitute one for one by mass), so networks without
recipes give the same numbers as before recipes existed.

Facility-level production fraction (the ``supply`` the scenario tables report): the
baseline-outbound-weighted mean of ``p(v, o)`` over v's outputs; for a facility with one
output (every sink) it is that output's ``p``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import Problem, ValidationError
from .schema import columns

#: Name of the single group of a facility without recipe rows (all inputs pooled).
POOLED = "(all inputs)"


@dataclass(frozen=True)
class Production:
    """A network's recipes as flat arrays (``n`` facilities, ``E`` links, ``G`` groups,
    ``P`` output slots; one slot per (facility, output material), one for a facility
    that ships nothing).

    Attributes
    ----------
    entry_link, entry_group, entry_weight : one entry per (link, input group it counts in
        at its customer), sorted by link, with ``1 / a_m`` of the link's material in that
        group as weight. A link usually counts in one group; an input listed in several
        groups (bought-in alloy carries both NdPr and Dy) counts in each.
    group_owner : (G,) facility of each group.
    group_name : (G,) group names.
    group_output : (G,) the output whose recipe rows define the group ("" when pooled): a
        group is (facility, output, name), so joint products of one feed each weigh it by
        their own ``per_unit``.
    group_base : (G,) ``B_g``: baseline monthly consumption in tonnes of output supported.
    slot_owner : (P,) facility of each output slot; slots of a facility are contiguous.
    slot_material : (P,) material of the slot (None for a facility that ships nothing).
    slot_share : (P,) share of the facility's baseline outbound volume in the slot (the
        weights of the facility-level production fraction; 1 for a single slot).
    link_slot : (E,) output slot of each link at its supplier.
    pair_slot, pair_group : the groups each slot needs, sorted by slot.
    recipe : (n,) facility has recipe rows (False: its inputs are pooled).
    pooled : True when no facility has a recipe (the pooled model everywhere).
    """

    entry_link: np.ndarray
    entry_group: np.ndarray
    entry_weight: np.ndarray
    group_owner: np.ndarray
    group_name: np.ndarray
    group_output: np.ndarray
    group_base: np.ndarray
    slot_owner: np.ndarray
    slot_material: np.ndarray
    slot_share: np.ndarray
    link_slot: np.ndarray
    pair_slot: np.ndarray
    pair_group: np.ndarray
    recipe: np.ndarray
    pooled: bool

    @property
    def n_groups(self) -> int:
        return len(self.group_owner)

    @property
    def n_slots(self) -> int:
        return len(self.slot_owner)

    @classmethod
    def of(cls, net) -> "Production":
        """Resolve ``net.recipes`` against the network's facilities and links.

        Raises :class:`~graphmodel.errors.ValidationError` when a facility that has recipe
        rows receives a material that none of its rows lists (located at the link's row
        in ``links.csv``): a missing input is never guessed.
        """
        return _resolve(net)


def empty_recipes() -> pd.DataFrame:
    """An empty ``recipes`` table with the schema's columns (the pooled model everywhere)."""
    return pd.DataFrame(columns=columns("recipes"))


def _rows_for(recipes: pd.DataFrame, facilities: pd.DataFrame) -> pd.DataFrame:
    """Recipe rows applying to each facility: ``facility`` column = the facility it applies to.

    A facility's own rows replace its stage's rows."""
    if recipes is None or not len(recipes):
        return pd.DataFrame(columns=["facility", "output", "input", "per_unit", "group"])
    own = recipes[recipes["facility"].fillna("").astype(str) != ""]
    staged = recipes[recipes["facility"].fillna("").astype(str) == ""]
    has_own = facilities.index.isin(own["facility"])
    stage_of = pd.DataFrame({"facility": facilities.index[~has_own],
                             "stage": facilities["stage"].to_numpy()[~has_own]})
    expanded = stage_of.merge(staged.drop(columns=["facility"]), on="stage", how="inner")
    columns = ["facility", "output", "input", "per_unit", "group"]
    return pd.concat([own[columns], expanded[columns]], ignore_index=True)


def _resolve(net) -> Production:
    facilities, links = net.facilities, net.links
    index = facilities.index
    n, E = len(index), len(links)
    supplier = index.get_indexer(links["supplier"])
    customer = index.get_indexer(links["customer"])
    material = links["material"].astype(str).to_numpy()
    volume = links["volume"].to_numpy(dtype=float)
    rows = _rows_for(getattr(net, "recipes", None), facilities)
    with_recipe = pd.Index(rows["facility"].unique())

    # --- input groups --------------------------------------------------------------------
    # (facility, material) -> (group name, per_unit); the largest output's row wins where
    # several outputs list the same input (only ratios inside a group matter)
    # an input may sit in several groups (bought-in alloy carries both its NdPr and its Dy):
    # one entry per (link, group) it counts in
    inputs = rows.drop_duplicates(["facility", "output", "input", "group"])
    has_recipe = index.isin(with_recipe)
    links_e = np.arange(E)
    pooled_links = links_e[~has_recipe[customer]]
    entry_link = [pooled_links]
    entry_key = [np.full(len(pooled_links), POOLED, dtype=object)]
    entry_output = [np.full(len(pooled_links), "", dtype=object)]
    entry_weight = [np.ones(len(pooled_links))]
    in_recipe = has_recipe[customer]
    if in_recipe.any():
        wanted = pd.DataFrame({"link": links_e[in_recipe], "facility": index[customer[in_recipe]],
                               "input": material[in_recipe]})
        found = wanted.merge(inputs[["facility", "input", "output", "group", "per_unit"]],
                             on=["facility", "input"], how="left", sort=False)
        missing = found["group"].isna().to_numpy()
        if missing.any():
            raise ValidationError([
                Problem("links.csv", int(e) + 2, "material",
                        f"'{material[e]}' is not an input of any recipe row of facility "
                        f"'{index[customer[e]]}' (add a recipes.csv row for it)")
                for e in found["link"].to_numpy()[missing]])
        entry_link.append(found["link"].to_numpy(dtype=np.int64))
        entry_key.append(found["group"].astype(str).to_numpy(dtype=object))
        entry_output.append(found["output"].astype(str).to_numpy(dtype=object))
        entry_weight.append(1.0 / found["per_unit"].to_numpy(dtype=float))
    entry_link = np.concatenate(entry_link)
    order = np.argsort(entry_link, kind="stable")
    entry_link = entry_link[order]
    entry_key = np.concatenate(entry_key)[order]
    entry_output = np.concatenate(entry_output)[order]
    entry_weight = np.concatenate(entry_weight)[order]
    entry_owner = customer[entry_link]
    # a group is (facility, output, group name): joint products of one feed (a separator's
    # oxides) each weigh the feed by their own per_unit
    codes, uniques = pd.factorize(pd.Series(entry_owner.astype(np.int64)).astype(str) + "\x1f"
                                  + pd.Series(entry_output, dtype=object).astype(str) + "\x1f"
                                  + pd.Series(entry_key, dtype=object).astype(str))
    group_owner = np.zeros(len(uniques), dtype=np.int64)
    group_owner[codes] = entry_owner
    group_output = np.array([u.split("\x1f")[1] for u in uniques], dtype=object)
    group_name = np.array([u.split("\x1f")[2] for u in uniques], dtype=object)
    carrying = volume > 0
    counted = carrying[entry_link]
    group_base = np.bincount(codes[counted], minlength=len(uniques),
                             weights=volume[entry_link[counted]] / 12.0 * entry_weight[counted])

    # --- output slots --------------------------------------------------------------------
    out_key = pd.DataFrame({"owner": supplier, "material": material})
    slots = out_key.drop_duplicates().sort_values(["owner", "material"], kind="stable")
    silent = np.setdiff1d(np.arange(n), slots["owner"].to_numpy())
    slots = pd.concat([slots, pd.DataFrame({"owner": silent, "material": None})])
    slots = slots.sort_values("owner", kind="stable").reset_index(drop=True)
    slot_owner = slots["owner"].to_numpy(dtype=np.int64)
    slot_material = slots["material"].to_numpy(dtype=object)
    slot_index = pd.MultiIndex.from_arrays([slot_owner, slot_material.astype(str)])
    link_slot = slot_index.get_indexer(pd.MultiIndex.from_arrays([supplier, material]))
    out_volume = np.bincount(link_slot[carrying], weights=volume[carrying], minlength=len(slots))
    facility_out = np.bincount(slot_owner, weights=out_volume, minlength=n)
    count = np.bincount(slot_owner, minlength=n)
    slot_share = np.where(facility_out[slot_owner] > 0,
                          out_volume / np.where(facility_out[slot_owner] > 0,
                                                facility_out[slot_owner], 1.0),
                          1.0 / count[slot_owner])

    # --- which groups each slot needs ----------------------------------------------------
    # pooled facilities (and recipe outputs without rows of their own) need every group of
    # the facility; the few outputs with recipe rows need only the groups their rows name
    # a slot needs its own output's groups; pooled facilities' slots (output "") and outputs
    # without recipe rows need every group of the facility
    has_rows = set(zip(rows["facility"], rows["output"]))
    group_order = np.argsort(group_owner, kind="stable")
    # every (slot, group) pair of one facility, vectorised: slots x groups per facility
    groups_per = np.bincount(group_owner, minlength=n)
    group_start = np.concatenate([[0], np.cumsum(groups_per)])
    repeat = groups_per[slot_owner]
    pair_slot = np.repeat(np.arange(len(slot_owner)), repeat)
    offset = np.arange(len(pair_slot)) - np.repeat(np.cumsum(repeat) - repeat, repeat)
    pair_group = group_order[group_start[slot_owner[pair_slot]] + offset]
    if has_rows:
        candidates = np.flatnonzero(has_recipe[slot_owner[pair_slot]])
        keep = np.ones(len(pair_slot), dtype=bool)
        for i in candidates:
            material = slot_material[pair_slot[i]]
            if (index[slot_owner[pair_slot[i]]], material) in has_rows:
                keep[i] = group_output[pair_group[i]] == material
        pair_slot, pair_group = pair_slot[keep], pair_group[keep]
    return Production(
        entry_link=entry_link.astype(np.int64), entry_group=codes.astype(np.int64),
        entry_weight=entry_weight, group_owner=group_owner, group_output=group_output,
        group_name=group_name, group_base=group_base, slot_owner=slot_owner,
        slot_material=slot_material, slot_share=slot_share, link_slot=link_slot.astype(np.int64),
        pair_slot=pair_slot.astype(np.int64), pair_group=pair_group.astype(np.int64),
        recipe=has_recipe, pooled=len(with_recipe) == 0)
