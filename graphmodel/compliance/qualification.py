"""The closed specification loop: who can meet a spec, who is qualified, what a change costs.

* :func:`qualify`: for a customer and a material, every candidate supplier with whether it
  meets the customer's spec (:mod:`graphmodel.specs`), whether it is qualified, and the
  months to qualify it.
* :func:`change`: a source change as an engineering event: spec deltas, every downstream
  facility whose product needs requalification, the months until the new route is usable
  there, and a scenario (issue 6 YAML format) for the scenarios engine.
* :func:`capacity_gap`: qualified vs nameplate capacity per stage and country.

Lead times (months): a qualified link needs 0; otherwise the link's
``qualification_months``; otherwise the per-sector default ``new_supplier_months`` of
``graphmodel/compliance/data/qualification_lead_times.csv`` for the customer's *sector*:
its own ``sector`` if set, else the sector of the sinks it supplies that take the largest
share of its output (through-share weighted by sink inbound), else ``default``.
Downstream, each tier between the direct customer and a facility revalidates in sequence
(a sub-tier source change triggers a PPAP resubmission or first-article at every level),
each taking ``requalification_months`` of that facility's sector:

    months(d) = direct_months(c) + sum over the tiers from c to d of requal_months(tier)

taking the longest path (in tiers) from c to d. When the new source already holds a
qualified link to c for every moved material, the route is already approved: 0 months at c
and downstream. Scrap returned to recyclers needs no requalification. All defaults are assumptions with sources
in the CSV; override them there or per link.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

from graphmodel.lookup import isin
from graphmodel.errors import TiernError
from graphmodel.network import Network
from graphmodel.schema import ALL_STAGES, RECYCLER
from graphmodel.specs import (KOE_TO_KA_M, Grade, Spec, SpecError, capabilities, customer_spec,
                              facility_sector, facility_sectors, fit, grade_table, lead_time,
                              parse_grades, parse_purity, thermal_class_table, thermal_class_temp)

from .assurance import Held, held, normalise_certificate
from .propagation import build_flow
from .sourcing import SourcingModel

_STATUS_ORDER = {"qualified": 0, "in_qualification": 1, "candidate": 2}


class QualificationError(TiernError):
    """A customer/material/supplier combination that the network does not support."""


# --- sectors ---------------------------------------------------------------------------------

# --- specs -------------------------------------------------------------------------------------

def requirement(net: Network, customer: str, material: str, sectors: pd.Series | None = None
                ) -> Spec:
    """The customer's spec for a material (:func:`graphmodel.specs.customer_spec`: its own
    ``requirements.csv`` rows, else its sector's, tightened by the link columns
    ``required_grade`` / ``required_purity``); a missing purity floor falls back to the
    market purity (``oxide_purity.csv``)."""
    try:
        return customer_spec(net, customer, material, facility_sector(net, customer, sectors),
                             market_default=True)
    except SpecError as error:
        raise QualificationError(f"links.csv required_grade of {customer}: {error}") from None


def meets(net: Network, supplier: str, req: Spec, material: str | None = None) -> bool | None:
    """Whether a supplier's stated capability meets ``req`` (None = capability unknown)."""
    return fit(net, supplier, req)[0]


# --- qualify -----------------------------------------------------------------------------------

def qualify(net: Network, customer: str, material: str, rule=None) -> pd.DataFrame:
    """Candidate suppliers of ``material`` for ``customer``.

    Candidates: facilities at the stage(s) of the customer's current suppliers of the
    material (or, if it has none, of anyone's suppliers of it), other than the customer.
    Columns: ``supplier, name, stage, country, status, link_status`` (best existing link
    to the customer for the material, or None), ``volume`` (carried today),
    ``meets_spec`` (True/False/None = capability unknown, never counted as a fit; True when
    the customer states no requirement, ``spec_source`` none), ``fitting_grade`` (the
    supplier's fitting capability of lowest Dy/Tb content, e.g. ``42SH``; ``purity 99.99``
    for a purity floor), ``qualified`` (a qualified link exists),
    ``lead_time_months``, ``lead_time_basis``, ``spare_capacity`` (capacity minus
    outbound volume, NaN if unknown), ``unit``, ``required_grade`` (lowest accepted grade,
    family and energy if given), ``required_temp_c`` (the temperature rating the magnet
    needs, deg C), ``required_purity`` (%), ``spec_source``. Sorted: qualified first, then
    meeting the spec, then lead time.
    """
    net.facility(customer)
    sectors = facility_sectors(net)
    req = requirement(net, customer, material, sectors)
    current = _links_for(net, customer, material)
    pool = net.links[_material_mask(net.links, material)]
    stages = set(net.facilities.loc[(current if len(current) else pool)["supplier"], "stage"])
    if not stages:
        raise QualificationError(f"no link in the network carries '{material}'")
    sector = sectors.get(customer)
    outbound = net.outbound_volume
    records = []
    for sid, fac in net.facilities[net.facilities["stage"].isin(stages)].iterrows():
        if sid == customer:
            continue
        mine = current[current["supplier"] == sid]
        status = min(mine["status"], key=_STATUS_ORDER.get) if len(mine) else None
        months, basis = _lead_time(mine, status, sector)
        verdict, fitting = fit(net, sid, req)
        records.append({
            "supplier": sid, "name": fac["name"], "stage": fac["stage"],
            "country": fac["country"], "status": fac["status"], "link_status": status,
            "volume": float(mine["volume"].sum()), "meets_spec": verdict,
            "fitting_grade": _describe(fitting),
            "qualified": status == "qualified", "lead_time_months": months,
            "lead_time_basis": basis,
            "spare_capacity": float(fac["capacity"] - outbound[sid]) if not math.isnan(fac["capacity"])
            else np.nan,
            "unit": fac["unit"], "required_grade": str(req.grade) if req.grade else None,
            "required_temp_c": req.required_temp_c, "required_purity": req.min_purity,
            "spec_source": req.source,
        })
    frame = pd.DataFrame(records)
    if frame.empty:
        raise QualificationError(f"no candidate supplier of '{material}' for '{customer}'")
    if rule is not None:
        model = SourcingModel(net, rule)
        clean = pd.Series(model.c, index=net.facilities.index)
        frame["rule"] = rule.id
        frame["compliant_share"] = frame["supplier"].map(clean)
    rank = frame["meets_spec"].map({True: 0, None: 1, False: 2})
    frame = frame.assign(_q=~frame["qualified"], _m=rank).sort_values(
        ["_q", "_m", "lead_time_months", "supplier"], kind="stable")
    return frame.drop(columns=["_q", "_m"]).reset_index(drop=True)


def _describe(capability) -> str | None:
    """``42SH``, ``42SH (180 C)`` when the stated temperature differs from the family's,
    or ``purity 99.99``; None without a capability."""
    if capability is None:
        return None
    if capability.grade is not None:
        text = str(capability.grade)
        if capability.max_temp_c is not None and capability.max_temp_c != capability.grade.max_temp_c:
            text += f" ({capability.max_temp_c:g} C)"
        return text
    if capability.purity is not None:
        return f"purity {capability.purity:g}"
    return f"{capability.temp_c:g} C" if capability.temp_c is not None else None


def _lead_time(links: pd.DataFrame, status, sector) -> tuple[float, str]:
    if status == "qualified":
        return 0.0, "qualified"
    given = links["qualification_months"].dropna() if len(links) else pd.Series(dtype=float)
    if len(given):
        return float(given.min()), "link"
    key = sector if isinstance(sector, str) else "default"
    return lead_time(sector), f"sector default ({key})"


# --- change -------------------------------------------------------------------------------------

@dataclass
class ChangeResult:
    """``links``: one row per moved link (customer, material, volume, spec deltas, direct
    qualification months, whether the new supplier meets the spec and has spare capacity);
    ``affected``: one row per facility whose supply changes (tier 0 = direct customers), with
    ``share_affected`` (share of its supply that came over the moved links),
    ``months_until_usable`` and ``supply_lost`` = share_affected x annual inbound volume x
    months_until_usable / 12 (its input units: what it goes without while it requalifies,
    before stocks and other qualified suppliers step in);
    ``months_until_usable``: the largest months over ``affected``; ``scenario``: a dict in
    the scenarios engine's YAML format (issue 6)."""

    links: pd.DataFrame
    affected: pd.DataFrame
    months_until_usable: float
    scenario: dict


def change(net: Network, replace: str, with_: str, customers: list[str] | None = None
           ) -> ChangeResult:
    """Replace supplier ``replace`` by ``with_`` on its carrying links (optionally only to
    ``customers``); see the module docstring for the month arithmetic."""
    net.facility(replace)
    net.facility(with_)
    if replace == with_:
        raise QualificationError("--replace and --with name the same facility")
    moved = net.carrying_links[net.carrying_links["supplier"] == replace]
    if customers:
        for c in customers:
            net.facility(c)
        moved = moved[moved["customer"].isin(customers)]
    if moved.empty:
        raise QualificationError(f"'{replace}' carries no volume"
                                 + (f" to {', '.join(customers)}" if customers else ""))
    sectors = facility_sectors(net)
    link_rows = [_moved_link(net, replace, with_, row, sectors) for _, row in moved.iterrows()]
    links = pd.DataFrame(link_rows)
    direct = links.groupby("customer")["qualification_months"].max()
    approved = set(links.groupby("customer")["new_link_status"].agg(
        lambda s: all(v == "qualified" for v in s)).pipe(lambda s: s[s].index))
    affected, route = _downstream(net, moved, direct, sectors, approved)
    months = float(affected["months_until_usable"].max()) if len(affected) else float(direct.max())
    return ChangeResult(links, affected, months,
                        _scenario(net, replace, with_, links, months, route))


def _moved_link(net: Network, old: str, new: str, row: pd.Series, sectors: pd.Series) -> dict:
    customer, material = row["customer"], row["material"]
    req = requirement(net, customer, material, sectors)
    existing = net.links[(net.links["supplier"] == new) & (net.links["customer"] == customer)
                         & (net.links["material"] == material)]
    status = min(existing["status"], key=_STATUS_ORDER.get) if len(existing) else None
    months, basis = _lead_time(existing, status, sectors.get(customer))
    capacity = net.facilities.at[new, "capacity"]
    spare = capacity - net.outbound_volume[new] if not math.isnan(capacity) else np.nan
    return {
        "customer": customer, "material": material, "volume": float(row["volume"]),
        "new_link_status": status, "qualification_months": months, "basis": basis,
        "meets_spec_old": meets(net, old, req, material), "meets_spec_new": meets(net, new, req, material),
        "spare_capacity_new": float(spare) if not pd.isna(spare) else np.nan,
        "spare_covers_volume": (bool(spare >= row["volume"]) if not pd.isna(spare) else None),
        "spec_deltas": spec_deltas(net, old, new, material),
    }


def spec_deltas(net: Network, old: str, new: str, material: str | None = None) -> list[str]:
    """Differences between two suppliers that a customer's engineers would review:
    country, grades offered, purity (for ``material``), the thermal limit (deg C) and
    coercivity HcJ (kA/m) of their best ``capabilities.csv`` entry for ``material``
    (stated, else the grade class's), certifications gained and lost (sourced
    ``certifications.csv`` rows as named; the rest marked "(inferred, not verified)", as
    :func:`graphmodel.compliance.assurance.held` splits them)."""
    a, b = net.facilities.loc[old], net.facilities.loc[new]
    deltas = []
    if a["country"] != b["country"]:
        deltas.append(f"country: {a['country']} -> {b['country']}")
    for column, reader in (("grades", lambda v: ";".join(map(str, parse_grades(v)))),
                           ("purity", lambda v: parse_purity(v, material))):
        if column in net.facilities:
            try:
                va, vb = reader(a.get(column)), reader(b.get(column))
            except SpecError:
                va, vb = a.get(column), b.get(column)
            if (va or None) != (vb or None):
                deltas.append(f"{column}: {va or 'unknown'} -> {vb or 'unknown'}")
    if material is not None and len(net.capabilities):
        caps = {fid: capabilities(net, fid, material) for fid in (old, new)}
        for label, unit, value in (("thermal limit", "C", lambda c: c.temp_c),
                                   ("coercivity HcJ", "kA/m", _hcj)):
            va, vb = (max((v for v in map(value, caps[fid]) if v is not None), default=None)
                      for fid in (old, new))
            if va != vb:
                deltas.append(f"{label}: {_num(va, unit)} -> {_num(vb, unit)}")
    standards = held(net)
    ca, cb = (_certificate_labels(standards, pos)
              for pos in net.facilities.index.get_indexer([old, new]))
    if cb - ca:
        deltas.append("certifications gained: " + ", ".join(sorted(cb - ca)))
    if ca - cb:
        deltas.append("certifications lost: " + ", ".join(sorted(ca - cb)))
    return deltas


def _downstream(net: Network, moved: pd.DataFrame, direct: pd.Series, sectors: pd.Series,
                approved: set[str]) -> tuple[pd.DataFrame, dict[str, float]]:
    """The affected facilities (see :class:`ChangeResult`) and, per direct customer c, the
    *route month*: the largest ``months_until_usable`` over c and every facility its
    product reaches (when the last of them has requalified, the new route is usable
    end to end)."""
    exempt = pd.Series(net.carrying_links.index.isin(moved.index), index=net.carrying_links.index)
    flow = build_flow(net, exempt=exempt)
    share = flow.share_ending_in(flow.exempt_in)  # share of each facility's supply via moved links
    stage = net.facilities["stage"]
    graph = nx.DiGraph()
    graph.add_edges_from((u, v) for u, v in net.carrying_links[["supplier", "customer"]].itertuples(
        index=False) if stage[v] != RECYCLER)  # scrap back to a recycler needs no requalification
    best: dict[str, tuple[float, int]] = {}
    route: dict[str, float] = {}
    for customer, months in direct.items():
        best[customer] = max(best.get(customer, (-1, 0)), (months, 0))
        if customer not in graph:
            continue
        order = [n for n in nx.topological_sort(graph.subgraph(nx.descendants(graph, customer) | {customer}))]
        reach = {customer: (months, 0)}
        for node in order:
            if node not in reach:
                continue
            here, tier = reach[node]
            for nxt in graph.successors(node):
                # a source already approved at the customer needs no re-approval downstream
                step = 0.0 if customer in approved else lead_time(sectors.get(nxt),
                                                                   "requalification_months")
                cand = (here + step, tier + 1)
                if cand > reach.get(nxt, (-1, 0)):
                    reach[nxt] = cand
        for node, value in reach.items():
            best[node] = max(best.get(node, (-1, 0)), value)
        route[customer] = max(value[0] for value in reach.values())
    ids = net.facilities.index
    inbound = net.inbound_volume
    records = []
    for node, (months, tier) in best.items():
        fac = net.facilities.loc[node]
        records.append({
            "id": node, "name": fac["name"], "stage": fac["stage"], "country": fac["country"],
            "sector": sectors.get(node), "tier": tier,
            "needs": _needs(tier, months, node in approved or any(
                nx.has_path(graph, c, node) for c in approved if c in graph and node in graph)),
            "share_affected": float(share[ids.get_loc(node)]), "months_until_usable": months,
            "supply_lost": float(share[ids.get_loc(node)] * inbound[node] * months / 12.0),
        })
    frame = pd.DataFrame(records)
    return (frame.sort_values(["tier", "months_until_usable", "id"], kind="stable")
            .reset_index(drop=True), route)


def _needs(tier: int, months: float, approved: bool) -> str:
    if approved and months == 0:
        return "none (new source already qualified)" if tier == 0 else "none (route already approved)"
    return "qualification of the new source" if tier == 0 else "requalification"


def _scenario(net: Network, old: str, new: str, links: pd.DataFrame, months: float,
              route: dict[str, float]) -> dict:
    """A scenario file: the old source is cut from month 0 for the moved customers (the
    change is forced, e.g. by DFARS); each new link comes online at its customer's *route
    month* (see :func:`_downstream`), not at its own qualification month, so that no
    facility downstream recovers through the new source before it has requalified.
    ``new_capacity`` with a capacity caps the link's rerouted volume at 0 before that month
    whatever the link's own lead time. The engine does not track which tonnes came from
    which source, so a branch that requalifies sooner than its siblings recovers with the
    slowest of them (conservative). New links that are not in the network cannot be
    simulated; the description lists them."""
    customers = sorted(links["customer"].unique())
    materials = sorted(links["material"].unique())
    missing = []
    new_capacity = []
    for row in links.itertuples(index=False):
        if pd.isna(row.new_link_status):  # None under pandas 2, NaN in a pandas 3 str column
            missing.append(f"{new} -> {row.customer} ({row.material})")
            continue
        month = max(float(row.qualification_months), route.get(row.customer, 0.0))
        new_capacity.append({"link": {"supplier": new, "customer": row.customer,
                                      "material": row.material},
                             "month": month, "capacity": float(row.volume)})
    description = (f"Source change generated by tiern change: {old} is replaced by {new} for "
                   f"{', '.join(customers)}; months until usable downstream: {months:g}; each new "
                   f"link opens when everything it feeds has requalified.")
    if missing:
        description += (" Links not in the network (add them to links.csv as candidate links "
                        "with qualification_months to let the engine reroute): " + "; ".join(missing))
    unfit = [f"{new} -> {row.customer} ({row.material}): "
             f"{'misses the spec' if row.meets_spec_new is False else 'capability unknown'}"
             for row in links.itertuples(index=False)
             if not pd.isna(row.new_link_status) and row.meets_spec_new is not True]
    if unfit:
        description += (" The engine reroutes only to suppliers meeting the customer's stated spec "
                        "(graphmodel.specs.reroute_fits); state the new source's capability in "
                        "capabilities.csv for: " + "; ".join(unfit))
    return {
        "name": f"Replace {old} with {new}",
        "description": description,
        "horizon_months": int(min(600, max(36, math.ceil(months) + 12))),
        "shocks": [{"name": f"{old} dropped", "select": {"id": old, "material": materials},
                    "to": {"id": customers}, "capacity_loss": 1.0, "start_month": 0}],
        "responses": {"inventory": True, "reroute": True, "new_capacity": new_capacity},
    }


# --- qualified vs nameplate capacity -------------------------------------------------------------

def capacity_gap(net: Network) -> pd.DataFrame:
    """Per stage, country and unit over operating non-sink facilities (capacities in
    different units are never summed):
    ``facilities``, ``nameplate`` (capacity of operating facilities), ``qualified``
    (of which facilities with at least one qualified link carrying volume out),
    ``in_qualification`` (facilities whose outbound links are only in qualification or
    candidates), ``unused`` (operating, no outbound link at all), ``unknown_capacity``
    (operating facilities with no capacity figure) and ``qualified_share``."""
    producers = ~isin(net.facilities.index, net.sinks)  # sinks deliver nowhere: no gap to show
    fac = net.facilities[(net.facilities["status"] == "operating") & producers].copy()
    links = net.links
    qualified = set(links[(links["status"] == "qualified") & (links["volume"] > 0)]["supplier"])
    pending = set(links[links["status"] != "qualified"]["supplier"]) - qualified
    fac["kind"] = np.where(fac.index.isin(list(qualified)), "qualified",
                           np.where(fac.index.isin(list(pending)), "in_qualification", "unused"))
    fac["unit"] = fac["unit"].fillna("")
    records = []
    for (stage, country, unit), group in fac.groupby(["stage", "country", "unit"], sort=True):
        cap = group["capacity"]
        records.append({
            "stage": stage, "country": country, "unit": unit, "facilities": len(group),
            "nameplate": float(cap.sum()),
            "qualified": float(cap[group["kind"] == "qualified"].sum()),
            "in_qualification": float(cap[group["kind"] == "in_qualification"].sum()),
            "unused": float(cap[group["kind"] == "unused"].sum()),
            "unknown_capacity": int(cap.isna().sum()),
        })
    frame = pd.DataFrame(records, columns=[
        "stage", "country", "unit", "facilities", "nameplate", "qualified", "in_qualification",
        "unused", "unknown_capacity"])
    frame["qualified_share"] = np.where(frame["nameplate"] > 0,
                                        frame["qualified"] / frame["nameplate"].where(frame["nameplate"] > 0),
                                        np.nan)
    order = {s: i for i, s in enumerate(ALL_STAGES)}
    return (frame.assign(_o=frame["stage"].map(order))
            .sort_values(["_o", "nameplate"], ascending=[True, False], kind="stable")
            .drop(columns="_o").reset_index(drop=True))


# --- helpers -----------------------------------------------------------------------------------------

def _material_mask(links: pd.DataFrame, material: str) -> pd.Series:
    exact = links["material"].str.lower() == material.lower()
    return exact if exact.any() else links["material"].str.lower().str.contains(material.lower(),
                                                                               regex=False)


def _links_for(net: Network, customer: str, material: str) -> pd.DataFrame:
    links = net.links[net.links["customer"] == customer]
    return links[_material_mask(links, material)]


def _hcj(capability) -> float | None:
    if capability.hcj is not None:
        return capability.hcj
    return capability.grade.min_hcj_koe * KOE_TO_KA_M if capability.grade else None


def _num(value, unit: str) -> str:
    return "unknown" if value is None else f"{value:.4g} {unit}"


def _certificate_labels(standards: Held, pos: int) -> set[str]:
    """A facility's standards for a change report: sourced ones as named, inferred ones marked."""
    return standards.sourced[pos] | {f"{c} (inferred, not verified)"
                                     for c in standards.inferred[pos]}


# --- the requirement chain ------------------------------------------------------------------------

#: Heavy rare earths whose content the magnet grade sets, as the oxides separators sell.
HEAVY_OXIDES = ("Dy oxide", "Tb oxide")


def requirement_chain(net: Network, customer: str, material: str = "NdFeB magnet") -> pd.DataFrame:
    """The customer's requirement carried up the chain, with who meets each link.

    Rows (``step, requirement, basis, meeting, unknown``):

    1. ``requirement``: the customer's spec for ``material`` (:func:`requirement`); when it
       states the motor's IEC 60034 thermal class, a ``thermal class`` row follows with the
       magnet temperature the class implies (``iec60034_thermal_classes.csv``, an estimate).
    2. ``grade classes``: the families of ``magnet_grades.csv`` (IEC 60404-8-1 / GB/T 13560
       suffix classes) whose maximum operating temperature is at least the required one,
       the lowest of them first; ``meeting``: candidate suppliers (as :func:`qualify`) with
       the grade that fits, ``unknown``: those whose capability is not stated.
    3. ``Dy/Tb content``: the lowest qualifying family's typical Dy + Tb content (wt%), and
       the heavy-rare-earth inputs the network's recipes give for ``material`` (t per t).
    4. one ``purity floor`` row per heavy oxide when the lowest qualifying family contains
       Dy/Tb: the floor (the customer's, else its sector's ``requirements.csv`` row, else the
       market purity) and the separators shipping that oxide that meet it.
    """
    sectors = facility_sectors(net)
    spec = requirement(net, customer, material, sectors)
    rows = [{"step": "requirement", "material": material,
             "requirement": _spec_text(spec), "basis": spec.source, "meeting": [], "unknown": []}]
    if spec.thermal_class is not None:
        row = thermal_class_table().loc[spec.thermal_class]
        rows.append({"step": "thermal class", "material": material,
                     "requirement": (f"IEC 60034 class {spec.thermal_class} ({row['class_temp_c']:g} C "
                                     f"insulation, {row['winding_rise_k']:g} K rise over "
                                     f"{row['coolant_c']:g} C coolant) -> magnet "
                                     f"{thermal_class_temp(spec.thermal_class):g} C (estimate)"),
                     "basis": "iec60034_thermal_classes.csv", "meeting": [], "unknown": []})
    candidates = qualify(net, customer, material)
    meeting = [f"{r.supplier} ({r.fitting_grade})" if r.fitting_grade else r.supplier
               for r in candidates.itertuples() if r.meets_spec is True]
    unknown = [r.supplier for r in candidates.itertuples() if r.meets_spec is None]
    families = spec.families()
    table = grade_table()
    rows.append({"step": "grade classes", "material": material,
                 "requirement": ", ".join(f"{f} ({table.at[f, 'max_operating_temp_c']:g} C)"
                                          for f in families) or "none qualifies",
                 "basis": "magnet_grades.csv (IEC 60404-8-1 / GB/T 13560 classes)",
                 "meeting": meeting, "unknown": unknown})
    if not families:
        return pd.DataFrame(rows)
    lowest = Grade(families[0])
    low, high = lowest.dy_tb_wt_pct
    inputs = _heavy_inputs(net, material)
    rows.append({"step": "Dy/Tb content", "material": material,
                 "requirement": (f"{lowest.family}: {low:g}-{high:g} wt% Dy+Tb (typical)"
                                 if high > 0 else f"{lowest.family}: Dy/Tb-free grades qualify"),
                 "basis": "magnet_grades.csv; recipes: " + ("; ".join(inputs) or "none for "
                                                             + material),
                 "meeting": [], "unknown": []})
    if high <= 0:
        return pd.DataFrame(rows)
    for oxide in HEAVY_OXIDES:
        floor = customer_spec(net, customer, oxide, facility_sector(net, customer, sectors),
                              market_default=True)
        shippers = sorted(set(net.links.loc[_material_mask(net.links, oxide)
                                            & (net.links["volume"] > 0), "supplier"]))
        verdicts = {s: fit(net, s, floor) for s in shippers}
        rows.append({"step": "purity floor", "material": oxide,
                     "requirement": (f">= {floor.min_purity:g}%" if floor.min_purity is not None
                                     else "none stated"),
                     "basis": floor.source,
                     "meeting": [f"{s} ({_describe(c)})" if c else s
                                 for s, (v, c) in verdicts.items() if v is True],
                     "unknown": [s for s, (v, _) in verdicts.items() if v is None]})
    return pd.DataFrame(rows)


def _spec_text(spec: Spec) -> str:
    parts = []
    if spec.min_temp_c is not None:
        parts.append(f"operating temperature {spec.min_temp_c:g} C")
    if spec.thermal_class is not None:
        parts.append(f"IEC 60034 thermal class {spec.thermal_class}")
    if spec.grade is not None:
        parts.append(f"grade {spec.grade} or better")
    if spec.required_bhmax is not None and spec.grade is None:
        parts.append(f"BHmax >= {spec.required_bhmax:g} kJ/m3")
    if spec.min_hcj is not None:
        parts.append(f"HcJ >= {spec.min_hcj:g} kA/m")
    if spec.min_purity is not None:
        parts.append(f"purity >= {spec.min_purity:g}%")
    return "; ".join(parts) or "none stated"


def _heavy_inputs(net: Network, material: str) -> list[str]:
    """``Dy metal 0.0409 t/t (stage magnet, group DyTb)`` for every recipe row making
    ``material`` from a Dy or Tb input (stage rows; facility rows are listed by facility)."""
    recipes = net.recipes
    if not len(recipes):
        return []
    rows = recipes[(recipes["output"].str.lower() == material.lower())
                   & recipes["input"].str.match(r"^(Dy|Tb)\b")]
    return [f"{r.input} {r.per_unit:g} t/t ({'stage ' + r.stage if isinstance(r.stage, str) else r.facility}, "
            f"group {r.group})" for r in rows.itertuples() if isinstance(r.stage, str)]
