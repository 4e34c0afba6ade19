"""The network object: validated record tables plus the views computed from them.

A :class:`Network` holds four pandas tables, as in the interchange format
(``facilities`` indexed by ``id``; ``links``; ``owners``; ``demand``), and derives
everything else from them on demand: a ``networkx.DiGraph`` view, inbound shares, the
share matrix, ultimate owners, sinks and their demand. Derived views are cached and
the cache is cleared whenever a table is replaced.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .lookup import isin, positions
from .changelog import version_of
from .errors import NodeNotFound
from .io import read_tables, write_tables
from .recipes import Production
from .schema import ELEMENTS, KINDS, RECYCLER, columns
from .settings import bundled_data_path

if TYPE_CHECKING:  # the graph and matrix views import these on first use (start-up speed)
    import networkx as nx
    import scipy.sparse as sp

    from .solve import Trace

_DERIVED = (
    "graph", "hash", "inbound_volume", "outbound_volume", "sinks", "sink_positions", "origins",
    "sink_demand", "ownership", "company", "share_matrix", "link_positions",
    "carrying_positions", "trace", "production", "element_content", "_derived",
)


class Network:
    """A Tier-N supply network.

    Parameters
    ----------
    facilities : DataFrame indexed by facility ``id`` (columns of ``facilities.csv``).
    links : DataFrame of ``links.csv`` rows.
    owners, demand, recipes, materials, capacities : optional DataFrames of ``owners.csv``,
        ``demand.csv``, ``recipes.csv`` (see :mod:`graphmodel.recipes`), ``materials.csv``
        (element content) and ``capacities.csv`` (capacity per output material) rows.
    capabilities, requirements, certifications : optional DataFrames of ``capabilities.csv``
        (what a supplier can deliver: grade, Br, HcJ, BHmax, temperature, Dy/Tb, purity),
        ``requirements.csv`` (what a customer or a sector requires) and
        ``certifications.csv`` (standards a facility holds or reports under, with sources);
        see :mod:`graphmodel.specs` and :mod:`graphmodel.compliance.assurance`.
    name : a label for the dataset (defaults to the folder or file name).
    path : where the network was read from, if anywhere.

    Examples
    --------
    >>> from graphmodel import load_network
    >>> net = load_network()            # the bundled rare-earth dataset
    >>> net.facilities_by(stage="mine").shape[0] > 0
    True
    """

    def __init__(self, facilities, links, owners=None, demand=None, recipes=None, materials=None,
                 capacities=None, capabilities=None, requirements=None, certifications=None, *,
                 name="network", path=None):
        self._tables: dict[str, pd.DataFrame] = {}
        self.facilities = facilities
        self.links = links
        self.owners = owners if owners is not None else pd.DataFrame(columns=columns("owners"))
        self.demand = demand if demand is not None else pd.DataFrame(columns=columns("demand"))
        self.recipes = recipes if recipes is not None else pd.DataFrame(columns=columns("recipes"))
        self.materials = materials if materials is not None else \
            pd.DataFrame(columns=columns("materials"))
        self.capacities = capacities if capacities is not None else \
            pd.DataFrame(columns=columns("capacities"))
        for kind, frame in (("capabilities", capabilities), ("requirements", requirements),
                            ("certifications", certifications)):
            self._set(kind, frame if frame is not None else pd.DataFrame(columns=columns(kind)))
        self.name = name
        self.path = Path(path) if path is not None else None
        self.loaded_at = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)

    # --- tables (replacing one clears every derived view) -------------------------------
    def _set(self, kind: str, frame: pd.DataFrame) -> None:
        self._tables[kind] = frame
        for attr in _DERIVED:
            self.__dict__.pop(attr, None)

    facilities = property(lambda self: self._tables["facilities"], lambda self, f: self._set("facilities", f))
    links = property(lambda self: self._tables["links"], lambda self, f: self._set("links", f))
    owners = property(lambda self: self._tables["owners"], lambda self, f: self._set("owners", f))
    demand = property(lambda self: self._tables["demand"], lambda self, f: self._set("demand", f))
    recipes = property(lambda self: self._tables["recipes"], lambda self, f: self._set("recipes", f))
    materials = property(lambda self: self._tables["materials"],
                         lambda self, f: self._set("materials", f))
    capacities = property(lambda self: self._tables["capacities"],
                          lambda self, f: self._set("capacities", f))
    capabilities = property(lambda self: self._tables["capabilities"],
                            lambda self, f: self._set("capabilities", f))
    requirements = property(lambda self: self._tables["requirements"],
                            lambda self, f: self._set("requirements", f))
    certifications = property(lambda self: self._tables["certifications"],
                              lambda self, f: self._set("certifications", f))

    @classmethod
    def from_path(cls, path: str | Path | None = None) -> "Network":
        """Read and validate a folder of CSV files or a workbook (default: bundled data)."""
        path = Path(path) if path is not None else bundled_data_path()
        return cls.from_tables(read_tables(path), path)

    @classmethod
    def from_tables(cls, tables: dict[str, pd.DataFrame], path: Path) -> "Network":
        """A network of the validated ``tables`` read from ``path``, named after it (the
        folder's name or the workbook's stem)."""
        return cls(**tables, name=path.stem if path.suffix else path.name, path=path)

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """The record tables in interchange form (``id`` as the first facilities column)."""
        return {
            "facilities": self.facilities.reset_index(),
            "links": self.links.reset_index(drop=True),
            "owners": self.owners.reset_index(drop=True),
            "demand": self.demand.reset_index(drop=True),
            "recipes": self.recipes.reset_index(drop=True),
            "materials": self.materials.reset_index(drop=True),
            "capacities": self.capacities.reset_index(drop=True),
            "capabilities": self.capabilities.reset_index(drop=True),
            "requirements": self.requirements.reset_index(drop=True),
            "certifications": self.certifications.reset_index(drop=True),
        }

    def write(self, path: str | Path) -> Path:
        """Write the network as a CSV folder, or a workbook when ``path`` ends in .xlsx."""
        frames = {k: v for k, v in self.to_frames().items() if k in ("facilities", "links") or len(v)}
        return write_tables(frames, path)

    def __repr__(self) -> str:
        return (f"<Network {self.name!r}: {len(self.facilities)} facilities, "
                f"{len(self.links)} links, {len(self.owners)} ownership rows>")

    def derived(self, key: str, build):
        """A view that another module computes from the tables (``build()``, no arguments),
        cached under ``key`` until a table is replaced, like the views below. The analytics
        keep their equations (e.g. :func:`graphmodel.specs.link_fits`) and the network
        imports none of them."""
        views = self.__dict__.setdefault("_derived", {})
        if key not in views:
            views[key] = build()
        return views[key]

    def forget(self, key: str) -> None:
        """Drop the view :meth:`derived` keeps under ``key`` (nothing happens where none is
        kept): the next :meth:`derived` call builds it again, e.g. for a benchmark that times
        the build on every call."""
        self.__dict__.get("_derived", {}).pop(key, None)

    # --- provenance -----------------------------------------------------------------------
    @cached_property
    def hash(self) -> str:
        """SHA-256 over the tables' column names and per-row value hashes (first 16 hex
        digits): the dataset's identity, equal for equal tables however they were read."""
        digest = hashlib.sha256()
        for kind, frame in self.to_frames().items():
            if kind in OPTIONAL_SINCE_RECIPES and not len(frame):
                continue  # optional tables: a network without them keeps its identity
            digest.update(f"{kind}:{','.join(map(str, frame.columns))}".encode())
            if len(frame):
                digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
        return digest.hexdigest()[:16]

    @property
    def meta(self) -> dict:
        """Name, path, content hash, dataset version (the bundled dataset's version in
        ``data/CHANGELOG.md`` whose hash this is, else None), data year (newest year of a figure
        about operating or idle facilities and carrying links) and load time, for reports and
        the app."""
        # the data's date: the newest figure about what exists today (operating or idle
        # facilities, links carrying volume), not the start year of a planned project
        existing = self.facilities[self.facilities["status"].isin(["operating", "idle"])]
        years = pd.concat([existing["year"], self.carrying_links["year"]]).dropna()
        return {
            "name": self.name,
            "path": str(self.path) if self.path else None,
            "hash": self.hash,
            "version": getattr(version_of(self.hash), "version", None),
            "data_year": int(years.max()) if len(years) else None,
            "loaded_at": self.loaded_at.isoformat(),
            "facilities": len(self.facilities),
            "links": len(self.links),
        }

    # --- accessors ------------------------------------------------------------------------
    def facility(self, facility_id: str) -> pd.Series:
        """One facility's row; raises :class:`NodeNotFound` with a hint if unknown."""
        try:
            return self.facilities.loc[facility_id]
        except KeyError:
            raise NodeNotFound(f"unknown facility id '{facility_id}'") from None

    def facilities_by(self, stage=None, country=None, owner=None, status=None) -> pd.DataFrame:
        """Facilities filtered by stage, country (location), owner (as written) and status.

        Each filter takes one value or a list of values; ``None`` means no filter.
        """
        mask = pd.Series(True, index=self.facilities.index)
        for column, wanted in (("stage", stage), ("country", country), ("owner", owner),
                               ("status", status)):
            if wanted is not None:
                values = [wanted] if isinstance(wanted, str) else list(wanted)
                mask &= self.facilities[column].isin(values)
        return self.facilities[mask]

    @property
    def carrying_links(self) -> pd.DataFrame:
        """Links that carry volume today (volume > 0)."""
        return self.links[self.links["volume"] > 0]

    @cached_property
    def link_positions(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The network as flat arrays, one entry per row of :attr:`links` (in order):
        supplier and customer positions (in ``facilities`` order, -1 if not a facility) and
        volume (0 for candidates). Arrow hash lookups, no per-row Python. The one source of
        the array views: :attr:`carrying_positions`, the scenarios' ``Topology`` and the
        compliance ``Flow`` select from it."""
        links = self.links
        index = self.facilities.index
        return (positions(index, links["supplier"]), positions(index, links["customer"]),
                links["volume"].to_numpy(dtype=float))

    @cached_property
    def carrying_positions(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:attr:`link_positions` of the carrying links (volume > 0), in :attr:`carrying_links`
        order."""
        supplier, customer, volume = self.link_positions
        carrying = volume > 0
        return supplier[carrying], customer[carrying], volume[carrying]

    def _volume_per_facility(self, at: np.ndarray, volume: np.ndarray, name: str) -> pd.Series:
        known = at >= 0
        total = np.bincount(at[known], weights=volume[known], minlength=len(self.facilities))
        return pd.Series(total, index=self.facilities.index, name=name)

    @cached_property
    def inbound_volume(self) -> pd.Series:
        """Total inbound volume per facility (all materials), 0 where none."""
        _, customer, volume = self.carrying_positions
        return self._volume_per_facility(customer, volume, "inbound_volume")

    @cached_property
    def outbound_volume(self) -> pd.Series:
        """Total outbound volume per facility (all materials), 0 where none."""
        supplier, _, volume = self.carrying_positions
        return self._volume_per_facility(supplier, volume, "outbound_volume")

    def inbound_shares(self) -> pd.DataFrame:
        """Per (supplier, customer) pair: summed volume and ``share`` = volume / customer's inbound.

        ``share`` is ``s(v, u)`` of the exposure algebra (see :mod:`graphmodel.algebra`).
        """
        pairs = self.carrying_links.groupby(["supplier", "customer"], as_index=False)["volume"].sum()
        # astype: mapping an empty (pandas 3 ``str``) column gives a ``str`` column, not floats
        pairs["share"] = pairs["volume"] / pairs["customer"].map(self.inbound_volume).astype(float)
        return pairs

    @cached_property
    def origins(self) -> pd.Index:
        """Facilities with no inbound volume: where supply enters the network (mines, mostly)."""
        return self.facilities.index[self.inbound_volume.to_numpy() == 0]

    @cached_property
    def sinks(self) -> pd.Index:
        """Facilities where supply leaves the network: inbound volume but no outbound volume
        except to recyclers (an OEM returning scrap is still a sink). Recyclers are never sinks."""
        return self.facilities.index[self.sink_positions]

    @cached_property
    def sink_positions(self) -> np.ndarray:
        """Positions of :attr:`sinks` in ``facilities`` (ascending)."""
        is_recycler = (self.facilities["stage"] == RECYCLER).to_numpy()
        supplier, customer, _ = self.carrying_positions
        known = (supplier >= 0) & (customer >= 0)
        onward = np.zeros(len(self.facilities), dtype=bool)
        onward[supplier[known][~is_recycler[customer[known]]]] = True
        is_sink = (self.inbound_volume.to_numpy() > 0) & ~onward & ~is_recycler
        return np.flatnonzero(is_sink)

    @cached_property
    def sink_demand(self) -> pd.Series:
        """Demand per sink: ``demand.csv`` where given, else the sink's inbound volume."""
        # by position: a label reindex hashes the whole index (0.45 s at 1,000,000 facilities)
        demand = pd.Series(self.inbound_volume.to_numpy(dtype=float)[self.sink_positions],
                           index=self.sinks, name=self.inbound_volume.name)
        if len(self.demand):
            given = self.demand.set_index("facility")["demand"]
            demand.update(given.reindex(demand.index).dropna())
        return demand.rename("demand")

    # --- ownership ----------------------------------------------------------------------
    @cached_property
    def ownership(self) -> pd.DataFrame:
        """Per facility: ``owner``, ``ultimate_owner`` and ``control_country``.

        The ultimate owner follows majority stakes (> 0.5) in ``owners.csv`` upward until an
        owner has no majority parent. ``control_country`` is that ultimate owner's country;
        it is missing (unknown) when the owner or its country is not in ``owners.csv``.
        """
        majority_parent, country_of = _ownership_maps(self.owners)
        owners = self.facilities["owner"]
        # resolved once per distinct owner (a few hundred), not per facility
        codes, distinct = pd.factorize(owners)
        ultimate = [_resolve(o, majority_parent) if isinstance(o, str) else None for o in distinct]
        country = [country_of.get(o) if isinstance(o, str) else None for o in ultimate]

        def per_facility(values: list) -> pd.Series:  # code -1 (no owner): missing
            return pd.Series(np.array(values + [None], dtype=object)[codes],
                             index=owners.index, dtype=owners.dtype)

        return pd.DataFrame({
            "owner": owners,
            "ultimate_owner": per_facility(ultimate),
            "control_country": per_facility(country),
        }, index=self.facilities.index)

    @cached_property
    def company(self) -> pd.Series:
        """Per facility: the company it counts for in company analytics (concentration by
        company, chokepoints ``--by company``), or missing.

        Normally its ultimate owner (:attr:`ownership`; missing when the owner is). An
        *aggregate* row (one row standing for many plants) belongs to no company, since its
        plants have many holders, unless it is a *company residual*: its ultimate owner also
        holds a non-aggregate facility of the same stage, so the row stands for more plants
        of that one company (a state group's quota beyond its named plants) and counts for
        it.
        """
        ultimate = self.ownership["ultimate_owner"]
        if "aggregate" not in self.facilities:
            return ultimate.rename("company")
        aggregate = self.facilities["aggregate"].fillna(False).astype(bool)
        stage = self.facilities["stage"]
        named = pd.MultiIndex.from_arrays([stage[~aggregate], ultimate[~aggregate]])
        residual = pd.MultiIndex.from_arrays([stage, ultimate]).isin(named) & ultimate.notna().to_numpy()
        return ultimate.mask(aggregate & ~residual).rename("company")

    def ultimate_owner(self, facility_id: str) -> str | None:
        """The ultimate parent controlling a facility (see :attr:`ownership`)."""
        self.facility(facility_id)
        value = self.ownership.at[facility_id, "ultimate_owner"]
        return value if isinstance(value, str) else None

    @cached_property
    def production(self) -> "Production":
        """The recipes resolved into input groups and output slots (:mod:`graphmodel.recipes`)."""
        return Production.of(self)

    @cached_property
    def element_content(self) -> pd.DataFrame:
        """Mass fraction of each element (columns :data:`~graphmodel.schema.ELEMENTS`) per
        tonne of each material (index), from ``materials.csv``; materials the network's own
        table does not list take the bundled defaults; a material in neither has no row
        (its element content is unknown)."""
        own = self.materials.set_index("material")[list(ELEMENTS)] if len(self.materials) else None
        defaults = _default_content()
        if own is None:
            return defaults
        return pd.concat([own, defaults[~defaults.index.isin(own.index)]]).astype(float)

    # --- graph and matrix views -----------------------------------------------------------
    @cached_property
    def graph(self) -> nx.DiGraph:
        """A ``networkx.DiGraph``: one node per facility (its row as attributes), one edge per
        (supplier, customer) pair with the summed ``volume``, a ``materials`` dict of volume
        by material, and the ``statuses`` of its links. Candidate links appear with volume 0."""
        import networkx as nx  # noqa: PLC0415 (start-up: loading needs no graph library)

        graph = nx.DiGraph(name=self.name)
        graph.add_nodes_from((fid, _clean(row)) for fid, row in
                             zip(self.facilities.index, self.facilities.to_dict("records")))
        for (supplier, customer), group in self.links.groupby(["supplier", "customer"], sort=False):
            graph.add_edge(
                supplier, customer,
                volume=float(group["volume"].sum()),
                materials=dict(zip(group["material"], group["volume"].astype(float))),
                statuses=sorted(set(group["status"])),
            )
        return graph

    @cached_property
    def share_matrix(self) -> sp.csr_matrix:
        """Inbound share matrix ``S`` in :attr:`facilities` index order (see :mod:`algebra`)."""
        from . import algebra  # noqa: PLC0415 (start-up: loading needs no scipy)

        supplier, customer, volume = self.carrying_positions
        return algebra.share_matrix_from_positions(supplier, customer, volume,
                                                   len(self.facilities))

    @cached_property
    def trace(self) -> Trace:
        """The solver state of :attr:`share_matrix` (:class:`graphmodel.solve.Trace`): its
        schedule, the forward plan of ``S`` and the backward plan of ``S^T``, the facilities
        reached from an origin and ``L[u, u]``; built on first use, shared by exposure,
        chokepoints, REI, compliance and the Monte Carlo."""
        from .solve import Trace  # noqa: PLC0415 (start-up: loading needs no solver)

        stages = self.facilities["stage"].astype(str).to_numpy()
        return Trace(self.share_matrix, origin=self.inbound_volume.to_numpy() == 0,
                     sinks=isin(self.facilities.index, self.sinks),
                     classes=np.unique(stages, return_inverse=True)[1])


#: Record kinds added after the first dataset hash: omitted from the hash when empty.
OPTIONAL_SINCE_RECIPES = ("recipes", "materials", "capacities", "capabilities", "requirements",
                          "certifications")


@lru_cache(maxsize=1)
def _default_content() -> pd.DataFrame:
    """Element content of the bundled dataset's ``materials.csv`` (the defaults)."""
    path = bundled_data_path(default=True) / "materials.csv"
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    numbers = table[[c for c in ELEMENTS if c in table]].replace("", "0")
    content = numbers.apply(pd.to_numeric).reindex(columns=list(ELEMENTS), fill_value=0.0)
    content.index = pd.Index(table["material"], name="material")
    return content.astype(float)


def _clean(row: dict) -> dict:
    return {k: v for k, v in row.items() if not (v is None or (isinstance(v, float) and np.isnan(v)))}


def _ownership_maps(owners: pd.DataFrame) -> tuple[dict, dict]:
    majority_parent: dict[str, str] = {}
    country_of: dict[str, str] = {}
    for row in owners.itertuples(index=False):
        parent = row.parent if isinstance(row.parent, str) and row.parent else None
        if parent is None or parent == row.owner:
            country_of.setdefault(row.owner, row.country)
            continue
        country_of.setdefault(parent, row.country)
        if row.stake > 0.5:
            majority_parent[row.owner] = parent
    return majority_parent, country_of


def _resolve(owner: str, majority_parent: dict) -> str:
    seen = {owner}
    while owner in majority_parent:
        owner = majority_parent[owner]
        if owner in seen:  # validation rejects cycles; never loop on a hand-built table
            break
        seen.add(owner)
    return owner


def load_network(path: str | Path | None = None) -> Network:
    """Read, validate and build a network. ``path``: folder, workbook, or None for bundled data."""
    return Network.from_path(path)


__all__ = ["Network", "load_network", "KINDS"]
