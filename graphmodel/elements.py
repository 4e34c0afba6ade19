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
    supplier, customer, traced = _traced_links(net, through_scrap)
    carrying = traced & (capacity > 0)
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


def _traced_links(net: Network, through_scrap: bool):
    """Supplier and customer positions of every link, and whether tracing follows it: it
    carries volume and, unless ``through_scrap``, does not feed a recycler (recycled
    material is its own origin)."""
    index, links = net.facilities.index, net.links
    supplier = index.get_indexer(links["supplier"])
    customer = index.get_indexer(links["customer"])
    traced = links["volume"].to_numpy(dtype=float) > 0
    if not through_scrap:
        traced &= net.facilities["stage"].to_numpy()[customer] != RECYCLER
    return supplier, customer, traced


def element_network(net: Network, element: str, *, through_scrap: bool = False) -> Network:
    """The network with link volumes in tonnes of ``element`` per year, ``x_e`` of
    :func:`element_flows` (see module doc).

    Links that carry no ``element`` are dropped (candidate links, volume 0, are kept as
    they are: they carry nothing today in any unit); so are links into recyclers unless
    ``through_scrap``. Facilities, owners and demand are unchanged; recipes and capacities,
    which are in material units, are not carried over."""
    return _restated(net, element_flows(net, element, through_scrap=through_scrap),
                     check_element(element))


def _restated(net: Network, volume: pd.Series, label: str) -> Network:
    """``net`` with link volumes replaced by ``volume``; links that carry none of it are
    dropped, candidate links (volume 0 today) kept as they are."""
    links = net.links.assign(volume=volume.to_numpy())
    keep = (volume > 0) | (net.links["volume"] == 0)
    return Network(net.facilities, links[keep].reset_index(drop=True), net.owners, net.demand,
                   name=f"{net.name} [{label}]", path=net.path)


def material_flows(net: Network, material: str, *, through_scrap: bool = False) -> pd.Series:
    """``x_e``: tonnes per year on every link of the material itself, of the feed that made
    it, or of the products that embody it; index aligned with ``net.links``.

    Two parts, both in tonnes of the links' own materials:

    * *Downstream* (where the material goes), link by link: a producer u of ``material``
      ships ``new(u) = max(M_out(u) - M_in(u), 0)`` of it (its shipments less what it
      received of it) over its ``material`` links in proportion to volume,
      ``x0_e = V_e new(u) / M_out(u)``; what arrives on link e at facility v leaves over
      the outbound links whose material e feeds (the outputs of the recipe groups e counts
      in; every output where v's inputs are pooled), in proportion to their volume:
      ``x = P x + x0``, ``P[e', e] = V_e' / sum of V over the links e feeds``. A metal
      maker's Dy oxide therefore leaves on its Dy metal, never on its NdPr metal.
    * *Upstream* (what it was made from): producer u attributes the fraction
      ``s(u) = new(u) / out(u)`` of its inputs to the material (``out(u)``: all it ships);
      a facility w upstream attributes ``beta(w) = s(w) + sum over links w -> v of
      V_e beta(v) / out(w)`` of its own inputs, and a link e into v carries
      ``V_e beta(v)``. ``beta = B beta + s`` is one solve on the reversed graph.

    A link's ``x_e`` is the sum of both parts (on acyclic networks a link is in at most
    one). Links into recyclers carry nothing unless ``through_scrap``, so recycled
    material is its own origin. Raises :class:`TiernError` when no link carries the
    material."""
    links, index = net.links, net.facilities.index
    carried = links["material"].astype(str).to_numpy()
    if not (carried == material).any():
        raise TiernError(f"no link carries material '{material}' (the network's materials: "
                         f"{', '.join(sorted(set(carried)))})")
    volume = links["volume"].to_numpy(dtype=float)
    supplier, customer, carrying = _traced_links(net, through_scrap)
    n, E = len(index), len(volume)
    is_m = carrying & (carried == material)
    m_out = np.bincount(supplier[is_m], weights=volume[is_m], minlength=n)
    m_in = np.bincount(customer[is_m], weights=volume[is_m], minlength=n)
    out_total = np.bincount(supplier[carrying], weights=volume[carrying], minlength=n)
    new = np.maximum(m_out - m_in, 0.0)
    # downstream, on the line graph: which outbound links each inbound link feeds
    x0 = np.where(is_m, volume * np.divide(new, m_out, out=np.zeros(n), where=m_out > 0)[supplier],
                  0.0)
    feeds = _feeds(net, supplier, customer, carrying, carried)
    into, out = feeds["into"].to_numpy(), feeds["out"].to_numpy()
    fed_total = np.bincount(into, weights=volume[out], minlength=E)
    weight = np.divide(volume[out], fed_total[into], out=np.zeros(len(out)),
                       where=fed_total[into] > 0)
    P = sp.csr_matrix((weight, (out, into)), shape=(E, E))
    downstream = Plan.of(P).solve(x0)
    # upstream: the fraction of each facility's inputs that went into the material
    s = np.divide(new, out_total, out=np.zeros(n), where=out_total > 0)
    frac = np.divide(volume, out_total[supplier], out=np.zeros(E),
                     where=carrying & (out_total[supplier] > 0))
    B = sp.csr_matrix((frac[carrying], (supplier[carrying], customer[carrying])), shape=(n, n))
    beta = Plan.of(B).solve(s)
    upstream = np.where(carrying, volume * beta[customer], 0.0)
    return pd.Series(downstream + upstream, index=links.index, name=f"{material} t")


def _feeds(net: Network, supplier, customer, carrying, carried) -> pd.DataFrame:
    """Pairs (into, out) of carrying links meeting at a facility where the inbound link's
    material feeds the outbound link's material: it counts in a recipe group of that
    output, or the facility's inputs are pooled (a group with no output: every output)."""
    prod = net.production
    inbound = pd.DataFrame({"into": np.flatnonzero(carrying)})
    inbound["facility"] = customer[inbound["into"]]
    outbound = pd.DataFrame({"out": np.flatnonzero(carrying)})
    outbound["facility"] = supplier[outbound["out"]]
    outbound["output"] = carried[outbound["out"]]
    pairs = inbound.merge(outbound, on="facility")
    entries = pd.DataFrame({"into": prod.entry_link,
                            "output": prod.group_output[prod.entry_group].astype(str)})
    pooled = set(entries.loc[entries["output"] == "", "into"])
    named = pairs.merge(entries[entries["output"] != ""].drop_duplicates(), on=["into", "output"])
    every = pairs[pairs["into"].isin(pooled) | ~pairs["into"].isin(entries["into"])]
    return pd.concat([named, every])[["into", "out"]].drop_duplicates()


def material_network(net: Network, material: str, *, through_scrap: bool = False) -> Network:
    """The network with link volumes restated as :func:`material_flows` (tonnes of each
    link's material that made, carry or embody ``material``); links that carry none of it
    are dropped (candidate links, volume 0, are kept as they are). Every analytic that
    reads a network then answers for that material: exposure gives the share of each
    facility's supply of the material that traces to a country at a stage."""
    return _restated(net, material_flows(net, material, through_scrap=through_scrap), material)
