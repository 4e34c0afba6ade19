"""Selectors: which facilities and links a shock (or a response) applies to.

All functions return boolean masks aligned with ``net.facilities.index`` (facilities) or
with the rows of ``net.links`` in order (links), so the engine can turn them into factor
arrays without loops over the network.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..network import Network
from .model import Selector, Shock


def facility_mask(net: Network, selector: Selector | None, *, with_material: bool = True) -> np.ndarray:
    """Facilities matching every filter of ``selector`` (all facilities when it is None).

    ``country`` is matched on the location or, with ``country_basis: control``, on the
    country of the ultimate owner (:attr:`Network.ownership`; unknown control never
    matches). ``owner`` is matched as written or, with ``owner_basis: ultimate``, on the
    ultimate owner. ``material`` (when ``with_material``) keeps facilities that supply that
    material on any link.
    """
    facilities = net.facilities
    mask = pd.Series(True, index=facilities.index)
    if selector is None:
        return mask.to_numpy()
    if selector.id is not None:
        mask &= facilities.index.isin(selector.id)
    for column in ("stage", "status", "sector"):
        wanted = getattr(selector, column)
        if wanted is not None:
            mask &= facilities[column].isin(wanted)
    if selector.country is not None:
        country = (facilities["country"] if selector.country_basis == "location"
                   else net.ownership["control_country"])
        mask &= country.isin(selector.country).fillna(False).astype(bool)
    if selector.owner is not None:
        owner = (facilities["owner"] if selector.owner_basis == "written"
                 else net.ownership["ultimate_owner"])
        mask &= owner.isin(selector.owner).fillna(False).astype(bool)
    if with_material and selector.material is not None:
        suppliers = net.links.loc[net.links["material"].isin(selector.material), "supplier"]
        mask &= facilities.index.isin(suppliers)
    if with_material and selector.element is not None:
        suppliers = net.links.loc[net.links["material"].isin(materials_with(net, selector)),
                                  "supplier"]
        mask &= facilities.index.isin(suppliers)
    return mask.to_numpy(dtype=bool)


def materials_with(net: Network, selector: Selector) -> list[str]:
    """Materials whose mass fraction of any of ``selector.element`` exceeds
    ``selector.min_content`` (:attr:`Network.element_content`; a material of unknown
    content is never selected)."""
    content = net.element_content[list(selector.element)]
    return list(content.index[(content > selector.min_content).any(axis=1)])


def link_mask(net: Network, supplier: Selector, customer: Selector | None = None,
              *, cross_border: bool = False) -> np.ndarray:
    """Links (rows of ``net.links``) from facilities matching ``supplier`` to ``customer``.

    ``supplier.material`` filters the links' material, ``supplier.element`` the element content
    of it (:func:`materials_with`). ``cross_border`` keeps only links
    whose customer is located in another country than the supplier (export controls).
    """
    facilities = net.facilities
    links = net.links
    from_ok = pd.Series(facility_mask(net, supplier, with_material=False), index=facilities.index)
    mask = links["supplier"].map(from_ok).to_numpy(dtype=bool)
    if customer is not None:
        to_ok = pd.Series(facility_mask(net, customer), index=facilities.index)
        mask = mask & links["customer"].map(to_ok).to_numpy(dtype=bool)
    if supplier.material is not None:
        mask = mask & links["material"].isin(supplier.material).to_numpy(dtype=bool)
    if supplier.element is not None:
        mask = mask & links["material"].isin(materials_with(net, supplier)).to_numpy(dtype=bool)
    if cross_border:
        country = facilities["country"]
        mask = mask & (links["supplier"].map(country) != links["customer"].map(country)).to_numpy(dtype=bool)
    return mask


def shock_targets(net: Network, shock: Shock) -> tuple[np.ndarray, np.ndarray]:
    """``(facilities, links)`` masks a shock scales: exactly one of them is non-empty in kind.

    A plain outage scales facilities; an export control, or an outage narrowed by material
    or by a ``to`` filter, scales links (see :class:`~graphmodel.scenarios.model.Shock`).
    """
    n, e = len(net.facilities), len(net.links)
    if shock.acts_on_links:
        links = link_mask(net, shock.select, shock.to,
                          cross_border=shock.type == "export_control")
        return np.zeros(n, dtype=bool), links
    return facility_mask(net, shock.select), np.zeros(e, dtype=bool)
