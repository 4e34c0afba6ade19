"""Element views: the network restated as tonnes of one element, for Tier-N tracing.

Element flows follow the material flows and are conserved at every facility. With ``c(m, X)``
the mass fraction of element X in material m (:attr:`Network.element_content`:
``materials.csv``, else the bundled defaults), facility u's element throughput is

    T(u) = sum over carrying links e out of u of V_e c(m_e, X)   if no X arrives at u
    T(u) = sum over carrying links e into u of x_e                otherwise

and u's throughput leaves over its outbound links in proportion to the element they can
carry, ``x_e = T(u) V_e c(m_e, X) / sum_out V c``: a metal maker's Dy inflow leaves on its
Dy metal links, never on its NdPr metal. Facilities that ship X-bearing material but receive
no X are the *origins* of X: mines, recyclers (unless ``through_scrap``), and facilities
whose X inputs the data does not show (an alloy maker with no Dy links ships Dy by the
average content of alloy); tracing reports the X from those last ones as ``unknown``, a
visibility gap in the data rather than a source. X arriving at a facility that ships
nothing able to carry it (a light-REE separator's heavy tail) leaves the network there.
``T = W T + t0``
is one linear solve on the supply graph (exact on acyclic networks; recycling loops, with
``through_scrap``, converge because every loop leaks).

:func:`element_network` returns the same facilities with every link's volume restated as
``x_e`` (t/yr of X) and links that carry none of it dropped. Every analytic that reads a
network then answers for that element: with the element view, exposure is

    share of facility v's X supply that traces to country C at stage s
        = the exposure algebra (:mod:`graphmodel.exposure`) on ``S_X[v, u] = X(u -> v) / X into v``

so a magnet maker's Dy exposure follows its Dy metal and Dy oxide links, not the NdPr that
makes up most of its inbound tonnage.

Recycled material is its own origin: links *into* recyclers are dropped, so a recycler's
output traces to the recycler (its country, its owner) rather than through the scrap to
the primary chain, unless ``through_scrap=True``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .errors import TiernError
from .network import Network
from .schema import ELEMENTS, RECYCLER
from .solve import Plan


class UnknownContent(TiernError):
    """A link material has no element content (no row in materials.csv or the defaults)."""


def check_element(element: str) -> str:
    """An element symbol of :data:`~graphmodel.schema.ELEMENTS` (case as in the periodic table)."""
    for symbol in ELEMENTS:
        if element.strip().lower() == symbol.lower():
            return symbol
    raise TiernError(f"unknown element '{element}' (expected one of {', '.join(ELEMENTS)})")


def element_volumes(net: Network, element: str) -> pd.Series:
    """Tonnes per year of ``element`` on every link (index aligned with ``net.links``).

    Raises :class:`UnknownContent` naming the materials that have no content row."""
    element = check_element(element)
    content = net.element_content
    materials = net.links["material"]
    unknown = sorted(set(materials) - set(content.index))
    if unknown:
        raise UnknownContent(
            f"no element content for {', '.join(repr(m) for m in unknown)}: add rows to "
            f"materials.csv (columns material, unit, {', '.join(ELEMENTS[:4])}, ...)")
    fraction = materials.map(content[element]).to_numpy(dtype=float)
    return pd.Series(net.links["volume"].to_numpy(dtype=float) * fraction, index=net.links.index,
                     name=f"{element}_t")


def element_flows(net: Network, element: str, *, through_scrap: bool = False) -> pd.Series:
    """``x_e``: tonnes per year of ``element`` on every link, conserved through facilities
    (see the module docstring); index aligned with ``net.links``."""
    capacity = element_volumes(net, element).to_numpy()        # V_e c(m_e, X)
    links, index = net.links, net.facilities.index
    supplier = index.get_indexer(links["supplier"])
    customer = index.get_indexer(links["customer"])
    carrying = (links["volume"].to_numpy(dtype=float) > 0) & (capacity > 0)
    if not through_scrap:
        carrying &= (net.facilities["stage"].to_numpy()[customer] != RECYCLER)
    n = len(index)
    out_total = np.bincount(supplier[carrying], weights=capacity[carrying], minlength=n)
    receives = np.bincount(customer[carrying], minlength=n) > 0
    # allocation of u's throughput over its links, and W[v, u] = sum of u's shares to v
    share = np.divide(capacity, out_total[supplier], out=np.zeros(len(capacity)),
                      where=carrying & (out_total[supplier] > 0))
    W = sp.csr_matrix((share[carrying], (customer[carrying], supplier[carrying])), shape=(n, n))
    origin_supply = np.where(receives, 0.0, out_total)
    throughput = Plan.of(W).solve(origin_supply)
    return pd.Series(share * throughput[supplier], index=links.index, name=f"{element}_t")


def element_network(net: Network, element: str, *, through_scrap: bool = False) -> Network:
    """The network with link volumes in tonnes of ``element`` per year, ``x_e`` of
    :func:`element_flows` (see module doc).

    Links that carry no ``element`` are dropped (candidate links, volume 0, are kept as
    they are: they carry nothing today in any unit); so are links into recyclers unless
    ``through_scrap``. Facilities, owners and demand are unchanged; recipes and capacities,
    which are in material units, are not carried over."""
    volume = element_flows(net, element, through_scrap=through_scrap)
    links = net.links.assign(volume=volume.to_numpy())
    keep = (volume > 0) | (net.links["volume"] == 0)
    return Network(net.facilities, links[keep].reset_index(drop=True), net.owners, net.demand,
                   name=f"{net.name} [{check_element(element)}]", path=net.path)
