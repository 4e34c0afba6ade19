"""Specifications as data: magnet grades, oxide purities and qualification lead times.

Tables (shipped with sources in ``graphmodel/compliance/data/``):

* ``magnet_grades.csv``: NdFeB grade families N, M, H, SH, UH, EH, AH with maximum
  operating temperature (deg C), minimum intrinsic coercivity HcJ (kOe) and typical Dy/Tb
  content (wt%).
* ``oxide_purity.csv``: the market purity of each oxide or metal (e.g. Tb oxide 99.99%).
* ``qualification_lead_times.csv``: months to qualify a new supplier and to requalify a
  downstream product, per customer sector (automotive PPAP, defense first article, ...).
* ``iec60034_thermal_classes.csv``: per IEC 60034-1 thermal class of a motor's winding
  insulation (B, F, H), the class temperature, the permitted winding temperature rise over
  40 C coolant and the magnet operating temperature taken from them (coolant + rise, an
  estimate: no standard ties magnet to winding temperature). A requirement stating a
  ``thermal_class`` thus implies a temperature, which implies the grade families that
  qualify: class F -> 145 C -> SH and up (:func:`thermal_class_temp`).

Specs on the network:

* ``capabilities.csv`` (what a supplier can deliver per material: grade, Br in T, HcJ in
  kA/m, BHmax in kJ/m3, maximum operating temperature in deg C, Dy+Tb in wt%, purity in %)
  and ``requirements.csv`` (what a customer, or every customer of a sector, requires:
  operating temperature, lowest grade family, BHmax, HcJ and purity floors); see
  :func:`customer_spec`, :func:`capabilities`, :func:`fit`, :func:`link_fits` and
  :func:`reroute_fits`.
* Legacy extra columns, still read: facilities ``grades`` (``N52;42SH;UH``) and ``purity``
  (``99.99`` or ``Tb oxide: 99.99; Dy oxide: 99.5``); links ``required_grade`` and
  ``required_purity``.

A grade is written ``[N]<energy><family>``: ``N52`` (family N, BHmax 52 MGOe), ``42SH``
or ``N42SH`` (family SH), or a bare family ``SH``. A capability meets a requirement when
its family's maximum operating temperature is at least the required family's and its
energy (if both are given) at least the required energy: a higher-temperature family
substitutes for a lower one. Unknown capability gives ``None`` (unknown), never a fit.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from graphmodel.grades import (DATA_DIR, GRADE_FAMILIES, Grade, SpecError, contains_heavy,
                               grade_meets, grade_table, grades_meet, parse_grade, parse_grades)

__all__ = [
    "Capability", "GRADE_FAMILIES", "Grade", "KOE_TO_KA_M", "MGOE_TO_KJ_M3", "Spec", "SpecError",
    "SpecTables",
    "capabilities", "contains_heavy", "customer_spec", "facility_sector", "facility_sectors", "fit",
    "grade_meets",
    "grade_table", "grades_meet", "lead_time", "link_fits", "market_purity", "network_link_fits",
    "parse_grade",
    "parse_grades", "parse_purity", "purity_table", "reroute_fits", "thermal_class_table",
    "thermal_class_temp",
]



@cache
def purity_table() -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / "oxide_purity.csv").set_index("material")


@cache
def thermal_class_table() -> pd.DataFrame:
    """``iec60034_thermal_classes.csv`` indexed by thermal class (B, F, H)."""
    return pd.read_csv(DATA_DIR / "iec60034_thermal_classes.csv").set_index("thermal_class")


def thermal_class_temp(thermal_class: str) -> float:
    """Magnet operating temperature (deg C) a motor of this IEC 60034 thermal class implies:
    ``coolant_c + winding_rise_k`` of :func:`thermal_class_table` (B 120, F 145, H 165)."""
    row = thermal_class_table().loc[thermal_class]
    return float(row["coolant_c"] + row["winding_rise_k"])


@cache
def lead_time_table() -> pd.DataFrame:
    """``qualification_lead_times.csv`` indexed by sector (plus ``default``)."""
    return pd.read_csv(DATA_DIR / "qualification_lead_times.csv").set_index("sector")


def parse_purity(text, material: str | None = None) -> float | None:
    """Purity in percent from ``'99.99'`` or ``'Tb oxide: 99.99; Dy oxide: 99.5'`` (the entry
    for ``material``; a bare number applies to every material). None if not given."""
    if text is None or (isinstance(text, float) and text != text):
        return None
    text = str(text).strip()
    if not text:
        return None
    entries = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        name, _, value = part.rpartition(":")
        try:
            entries[name.strip().lower()] = float(value.strip().rstrip("%"))
        except ValueError:
            raise SpecError(f"cannot read purity '{part.strip()}' (expected e.g. 99.99 or "
                            f"'Tb oxide: 99.99')") from None
    if "" in entries:
        return entries[""]
    if material is not None:
        return entries.get(material.strip().lower())
    return None


def market_purity(material: str) -> float | None:
    """The market (price-basis) purity of a material from ``oxide_purity.csv``, if listed."""
    table = purity_table()
    return float(table.at[material, "min_purity_pct"]) if material in table.index else None


def lead_time(sector, kind: str = "new_supplier_months") -> float:
    """Default months for ``kind`` (new_supplier_months | requalification_months) in a sector."""
    table = lead_time_table()
    key = sector if isinstance(sector, str) and sector in table.index else "default"
    return float(table.at[key, kind])


# --- requirements and capabilities from the network's tables ----------------------------------
#
# A customer's *spec* for a material comes from ``requirements.csv`` (its own rows, else the
# rows of its sector) and from the legacy link columns ``required_grade`` / ``required_purity``
# (the strictest of all wins). A supplier's *capabilities* for a material are its
# ``capabilities.csv`` rows plus the legacy facility columns ``grades`` / ``purity``.

#: 1 kOe in kA/m (H = 1000 / (4 pi) kA/m per kOe) and 1 MGOe in kJ/m3.
KOE_TO_KA_M = 1000.0 / (4.0 * 3.141592653589793)
MGOE_TO_KJ_M3 = 100.0 / (4.0 * 3.141592653589793)


@dataclass(frozen=True)
class Spec:
    """What a customer requires of one material; None = not required.

    ``grade``: lowest accepted grade (family, and energy in MGOe if given);
    ``min_temp_c``: the magnet must be rated (maximum operating temperature) for at least
    this (the larger of a stated operating temperature and the one ``thermal_class``, the
    motor's IEC 60034 thermal class, implies); ``min_bhmax`` (kJ/m3), ``min_hcj`` (kA/m), ``min_purity`` (%). ``source`` says where
    it comes from (``facility``, ``sector <s>``, ``link``, ``market purity``, ``none``)."""

    material: str
    grade: Grade | None = None
    min_temp_c: float | None = None
    min_bhmax: float | None = None
    min_hcj: float | None = None
    min_purity: float | None = None
    source: str = "none"
    thermal_class: str | None = None

    @property
    def required_temp_c(self) -> float | None:
        """The temperature rating required: the larger of ``min_temp_c`` and the maximum
        operating temperature of ``grade``'s family (None if neither is given)."""
        temps = [t for t in (self.min_temp_c, self.grade.max_temp_c if self.grade else None)
                 if t is not None]
        return max(temps) if temps else None

    @property
    def required_bhmax(self) -> float | None:
        values = [v for v in (self.min_bhmax, self.grade.energy * MGOE_TO_KJ_M3
                              if self.grade and self.grade.energy else None) if v is not None]
        return max(values) if values else None

    @property
    def empty(self) -> bool:
        return (self.required_temp_c is None and self.required_bhmax is None
                and self.min_hcj is None and self.min_purity is None)

    def families(self) -> list[str]:
        """Grade families that qualify (maximum operating temperature >= the required one),
        in order of temperature; every family when no temperature is required."""
        table = grade_table()
        need = self.required_temp_c
        return [f for f in GRADE_FAMILIES
                if need is None or float(table.at[f, "max_operating_temp_c"]) >= need]


def _number(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _material_key(material) -> str:
    """A material name as specs compare it: stripped, lower case."""
    return str(material).strip().lower()


class SpecTables:
    """The network's spec records grouped for lookup, built once per network
    (cached with :meth:`graphmodel.network.Network.derived`, cleared with the network's
    other views when a table is replaced).

    ``requirements``: material key -> ``requirements.csv`` rows (dicts, so that results
    holding the network pickle);
    ``capabilities``: (facility, material key) -> ``capabilities.csv`` rows (dicts);
    ``link_specs``: (customer, material key) -> (the ``required_grade`` texts, the
    ``required_purity`` texts) of the customer's inbound links of the material. Looking a
    customer or supplier up is then a dictionary access instead of a scan of the tables, which
    is what makes :func:`link_fits` cost one pass over the links."""

    def __init__(self, net):
        self.requirements: dict[str, list] = {}
        for row in net.requirements.to_dict("records"):
            self.requirements.setdefault(_material_key(row["material"]), []).append(row)
        self.capabilities: dict[tuple[str, str], list] = {}
        for row in net.capabilities.to_dict("records"):
            key = (row["facility"], _material_key(row["material"]))
            self.capabilities.setdefault(key, []).append(row)
        self.link_specs: dict[tuple[str, str], tuple[list, list]] = {}
        links = net.links
        self.has_link_specs = any(c in links for c in ("required_grade", "required_purity"))
        if self.has_link_specs:
            none = pd.Series(None, index=links.index, dtype=object)
            for customer, material, grade, purity in zip(
                    links["customer"], links["material"], links.get("required_grade", none),
                    links.get("required_purity", none)):
                grades, purities = self.link_specs.setdefault(
                    (customer, _material_key(material)), ([], []))
                if not pd.isna(grade):
                    grades.append(grade)
                if not pd.isna(purity):
                    purities.append(purity)


def _per_network(net, key: str, build):
    """``build()`` cached on the network under ``key`` (:meth:`~graphmodel.network.Network.
    derived`, cleared when a table is replaced); computed afresh for a network-like object
    without that cache."""
    derived = getattr(net, "derived", None)
    return derived(key, build) if derived else build()


def _spec_tables(net) -> SpecTables:
    """The network's :class:`SpecTables`, built once per network."""
    return _per_network(net, "spec_tables", lambda: SpecTables(net))


def customer_spec(net, customer: str, material: str, sector=None, *,
                  market_default: bool = False) -> Spec:
    """The spec ``customer`` sets for ``material`` (see the section comment above).

    ``requirements.csv`` rows naming the customer replace those of its ``sector`` (given,
    else the customer's own ``sector`` column). Link columns ``required_grade`` and
    ``required_purity`` on the customer's inbound links of the material tighten it (the
    highest-temperature grade, the highest purity). With ``market_default`` a missing purity
    floor falls back to the market purity of ``oxide_purity.csv`` (source ``market purity``);
    rerouting and alternatives never use that default: they gate on stated requirements only.
    """
    grades, temps, bhmax, hcj, purity, sources, classes = [], [], [], [], [], [], []
    tables = _spec_tables(net)
    rows = tables.requirements.get(_material_key(material), [])
    own = [row for row in rows if row["facility"] == customer]
    if not own:
        if sector is None and customer in net.facilities.index:
            sector = net.facilities.at[customer, "sector"]
        own = [row for row in rows if pd.isna(row["facility"]) and row["sector"] == sector] \
            if isinstance(sector, str) else []
        if own:
            sources.append(f"sector {sector}")
    else:
        sources.append("facility")
    for row in own:
        if isinstance(row["grade_family"], str):
            grades.append(Grade(row["grade_family"]))
        temps.append(_number(row["operating_temp"]))
        if isinstance(row.get("thermal_class"), str):
            classes.append(row["thermal_class"])
            temps.append(thermal_class_temp(row["thermal_class"]))
        bhmax.append(_number(row["min_bhmax"]))
        hcj.append(_number(row["min_hcj"]))
        purity.append(_number(row["min_purity"]))
    link_grades, link_purities = tables.link_specs.get((customer, _material_key(material)),
                                                       ([], []))
    for text in link_grades:
        grades.append(parse_grade(text))
        sources.append("link")
    for text in link_purities:
        purity.append(parse_purity(text, material))
        sources.append("link")
    grade = max(grades, key=lambda g: (g.max_temp_c, g.energy or 0)) if grades else None
    keep = lambda values: max((v for v in values if v is not None), default=None)  # noqa: E731
    floor = keep(purity)
    if floor is None and market_default:
        floor = market_purity(material)
        if floor is not None:
            sources.append("market purity")
    source = "+".join(dict.fromkeys(sources)) or "none"
    thermal = max(classes, key=thermal_class_temp) if classes else None
    return Spec(material, grade, keep(temps), keep(bhmax), keep(hcj), floor, source, thermal)


@dataclass(frozen=True)
class Capability:
    """One thing a supplier can deliver (a ``capabilities.csv`` row or a legacy grade)."""

    grade: Grade | None = None
    max_temp_c: float | None = None
    bhmax: float | None = None     # kJ/m3
    hcj: float | None = None       # kA/m
    dy_tb: float | None = None     # wt%
    purity: float | None = None    # %

    @property
    def temp_c(self) -> float | None:
        if self.max_temp_c is not None:
            return self.max_temp_c
        return self.grade.max_temp_c if self.grade else None

    @property
    def heavy_wt_pct(self) -> float | None:
        """Dy + Tb content: stated, else the typical maximum of the grade's family."""
        if self.dy_tb is not None:
            return self.dy_tb
        return self.grade.dy_tb_wt_pct[1] if self.grade else None

    def meets(self, spec: Spec) -> bool | None:
        """False if a stated figure misses the spec, None if one the spec needs is unknown.

        Temperature: the stated ``max_temp`` or the grade family's. Energy: the stated
        BHmax or the grade's energy; a bare family (``SH``) covers every energy of it.
        HcJ: the stated HcJ, else the family's minimum. Purity: stated only."""
        verdicts = []
        need = spec.required_temp_c
        if need is not None:
            verdicts.append(None if self.temp_c is None else self.temp_c >= need)
        need = spec.required_bhmax
        if need is not None:
            have = self.bhmax if self.bhmax is not None else (
                self.grade.energy * MGOE_TO_KJ_M3 if self.grade and self.grade.energy else None)
            bare_family = self.grade is not None and self.grade.energy is None
            verdicts.append(True if have is None and bare_family else
                            None if have is None else have >= need - 1e-9)
        if spec.min_hcj is not None:
            have = self.hcj if self.hcj is not None else (
                self.grade.min_hcj_koe * KOE_TO_KA_M if self.grade else None)
            verdicts.append(None if have is None else have >= spec.min_hcj - 1e-9)
        if spec.min_purity is not None:
            verdicts.append(None if self.purity is None else self.purity >= spec.min_purity - 1e-9)
        if any(v is False for v in verdicts):
            return False
        return None if any(v is None for v in verdicts) else True


def capabilities(net, supplier: str, material: str) -> list[Capability]:
    """The supplier's capabilities for a material: its ``capabilities.csv`` rows, then the
    legacy facility columns ``grades`` (one capability per grade) and ``purity``."""
    found = []
    for row in _spec_tables(net).capabilities.get((supplier, _material_key(material)), []):
        found.append(Capability(parse_grade(row["grade"]) if isinstance(row["grade"], str) else None,
                                _number(row["max_temp"]), _number(row["bhmax"]),
                                _number(row["hcj"]), _number(row["dy_tb"]),
                                _number(row["purity"])))
    fac = net.facilities
    if "grades" in fac and supplier in fac.index:
        found += [Capability(grade) for grade in parse_grades(fac.at[supplier, "grades"])]
    if "purity" in fac and supplier in fac.index:
        stated = parse_purity(fac.at[supplier, "purity"], material)
        if stated is not None:
            found.append(Capability(purity=stated))
    return found


def fit(net, supplier: str, spec: Spec) -> tuple[bool | None, Capability | None]:
    """Whether the supplier meets ``spec`` and with what.

    True (with the fitting capability of lowest Dy/Tb content, then lowest temperature
    rating) when some capability meets every requirement; False when every capability
    misses one; None (unknown) when none meets it and some requirement cannot be checked,
    or the supplier states nothing. A spec with no requirement is met by anyone (None as
    the capability)."""
    if spec.empty:
        return True, None
    found = capabilities(net, supplier, spec.material)
    verdicts = [(c.meets(spec), c) for c in found]
    fitting = [c for v, c in verdicts if v is True]
    if fitting:
        best = min(fitting, key=lambda c: (c.heavy_wt_pct if c.heavy_wt_pct is not None
                                           else float("inf"),
                                           c.temp_c if c.temp_c is not None else float("inf")))
        return True, best
    if verdicts and all(v is False for v, _ in verdicts):
        return False, None
    return None, None


def link_fits(net, links: pd.DataFrame | None = None) -> pd.DataFrame:
    """For each link (default: every link of ``net``): does its supplier meet its customer's
    spec for the link's material?

    Returns a frame indexed like ``links`` with ``verdict`` (True / False / None = the
    supplier's capability is unknown) and ``fits`` (bool: ``verdict is True``; unknown does
    *not* fit). Only stated requirements count (``requirements.csv`` and the link columns,
    no market default), so on a network without them every link fits and analytics gated
    on ``fits`` are unchanged. This is the mask rerouting and alternatives use."""
    links = net.links if links is None else links
    verdict = pd.Series(True, index=links.index, dtype=object)
    if not len(net.requirements) and not _spec_tables(net).has_link_specs:
        return pd.DataFrame({"verdict": verdict, "fits": True}, index=links.index)
    specs: dict[tuple[str, str], Spec] = {}
    fits: dict[tuple[str, str, str], bool | None] = {}
    sectors = facility_sectors(net)
    for i, (supplier, customer, material) in zip(
            links.index, links[["supplier", "customer", "material"]].itertuples(index=False)):
        key = (supplier, customer, material)
        if key not in fits:
            pair = (customer, material)
            if pair not in specs:
                specs[pair] = customer_spec(net, customer, material,
                                            facility_sector(net, customer, sectors))
            fits[key] = fit(net, supplier, specs[pair])[0]
        verdict[i] = fits[key]
    return pd.DataFrame({"verdict": verdict, "fits": verdict.map(lambda v: v is True)},
                        index=links.index)


def network_link_fits(net) -> pd.DataFrame:
    """:func:`link_fits` of every link of ``net``, computed once per network (until a table
    is replaced): rerouting and the chokepoints' alternatives read it, so a Monte Carlo or
    a sequence of scenarios pays for it once."""
    return _per_network(net, "link_verdicts", lambda: link_fits(net))


def facility_sector(net, facility: str, sectors: pd.Series | None = None):
    """The facility's own sector, else its entry in ``sectors`` (default:
    :func:`facility_sectors`, the sector of the sinks taking most of its output); None when
    unknown."""
    own = net.facilities.at[facility, "sector"] if facility in net.facilities.index else None
    if isinstance(own, str):
        return own
    if sectors is None:
        sectors = facility_sectors(net)
    value = sectors.get(facility)
    return value if isinstance(value, str) else None


def facility_sectors(net) -> pd.Series:
    """Sector per facility: its own, else the sector of the sinks taking most of its output
    (through-share weighted by sink inbound), else None."""
    sectors = net.facilities["sector"].copy().astype(object)
    sinks = [s for s in net.sinks if isinstance(net.facilities.at[s, "sector"], str)]
    if not sinks:
        return sectors.where(sectors.notna(), None)
    # the compliance package (its rule models) loads on first use, not with the specs
    from graphmodel.compliance.propagation import build_flow  # noqa: PLC0415

    flow = build_flow(net)
    through = flow.through_rows(net.facilities.index.get_indexer(sinks))  # (K, n)
    weight = net.inbound_volume.reindex(sinks).to_numpy()[:, None] * through
    frame = pd.DataFrame(weight.T, index=net.facilities.index, columns=sinks)
    by_sector = frame.T.groupby(net.facilities.loc[sinks, "sector"].to_numpy()).sum().T
    best = by_sector.idxmax(axis=1).where(by_sector.max(axis=1) > 0)
    return sectors.where(sectors.notna(), best).where(lambda s: s.notna(), None)


def reroute_fits(net, verdicts: pd.DataFrame | None = None) -> np.ndarray:
    """(E,) bool in ``net.links`` order: may the link carry rerouted volume, or count as an
    alternative supplier, as far as specifications go?

    True exactly when its supplier meets the customer's stated spec for the material
    (:func:`link_fits` ``verdict`` True, which includes every link whose customer states
    none). An unknown capability (verdict None) never fits a requirement, whatever the link's
    status: a ``qualified`` link whose supplier states no capability against a stated
    requirement keeps its baseline volume (the network says it flows today) but takes no
    rerouted volume and counts as no alternative, like a known miss (verdict False). State
    the supplier's grade, temperature rating or purity in ``capabilities.csv`` to let it
    reroute. On a network without requirements every link is True, so gated analytics give
    the same results as ungated ones."""
    if verdicts is None:
        verdicts = network_link_fits(net)
    return np.array([v is True for v in verdicts["verdict"].to_numpy(dtype=object)], dtype=bool)
