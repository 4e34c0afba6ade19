"""Export-control exposure: the share of each buyer's supply that crosses a controlled export.

A link ``u -> v`` is *controlled* under an :class:`~graphmodel.compliance.rules.ExportControlRule`
when it leaves a controlling country (u located there, v not) and its material is a
controlled item:

* it names a controlled element: the symbol as a whole word, case-sensitive (``Dy oxide``,
  ``Tb metal``), or the element's name, case-insensitive (``dysprosium``);
* it contains one of ``material_patterns`` (case-insensitive; e.g. ``HREE``);
* it contains a product pattern (``SmCo``, ``NdFeB``, ``magnet``); with ``if_contains``
  (Dy, Tb) only when the magnet grade contains them: the link's ``required_grade``, else
  the supplier's ``grades``; an unknown grade counts as containing them (conservative),
  a grade of family N (no Dy/Tb) does not.

With ``extraterritorial`` (MOFCOM No. 61), a link from outside the controlling country is
controlled too when its material is a controlled item and at least ``min_share`` of the
supplier's supply passes through a facility in the controlling country (tiern measures
by volume share; the rule is written by value).

``affected_share(v)``: the share of v's supply (all inbound, by volume) that crossed a
controlled link anywhere upstream: ``a = S_nc a + b`` with ``S_nc`` the shares over
uncontrolled links and ``b(v)`` the share of v's inbound over controlled links.
``compliant_share = 1 - affected_share``.
"""
from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from graphmodel.network import Network
from graphmodel.grades import SpecError, contains_heavy, parse_grade, parse_grades

from .propagation import build_flow
from .rules import ExportControlRule


def controlled_links(net: Network, rule: ExportControlRule) -> pd.Series:
    """Boolean per carrying link (index of ``net.carrying_links``): controlled or not."""
    links = net.carrying_links
    country = links["supplier"].map(net.facilities["country"])
    customer_country = links["customer"].map(net.facilities["country"])
    item = pd.Series([_controlled_item(rule, row, net) for row in links.itertuples()],
                     index=links.index, dtype=bool)
    home = rule.controlling_countries
    direct = country.isin(home) & ~customer_country.isin(home) & item
    if rule.extraterritorial is None:
        return direct
    origin = origin_share(net, home)
    share = links["supplier"].map(pd.Series(origin, index=net.facilities.index))
    foreign = ~country.isin(home) & item & (share >= rule.extraterritorial.min_share)
    return direct | foreign


def origin_share(net: Network, countries: list[str]) -> np.ndarray:
    """Per facility: share of its supply passing through any facility located in
    ``countries`` (itself included): ``1 - c`` with ``ok = located elsewhere``."""
    ok = (~net.facilities["country"].isin(countries)).to_numpy(dtype=float)
    return 1.0 - build_flow(net).clean_share(ok)


def evaluate_export_control(net: Network, rule: ExportControlRule, *, as_of: dt.date | None = None
                            ) -> pd.DataFrame:
    """Rows: every sink and every facility outside the controlling countries with affected
    supply. Columns ``id, name, stage, country, sector, rule, kind, in_force, effective,
    compliant_share, affected_share, direct_share`` (share of inbound over controlled links
    into the facility itself), ``offending`` (controlled exporters upstream, largest
    through-share first) and ``controlled_materials``."""
    as_of = as_of or dt.date.today()
    controlled = controlled_links(net, rule)
    flow = build_flow(net, exempt=controlled)
    affected = flow.share_ending_in(flow.exempt_in)
    links = net.carrying_links[controlled]
    exporters = net.facilities.index.get_indexer(links["supplier"].unique())
    through = build_flow(net).through(exporters)
    ids = net.facilities.index
    outside = ~net.facilities["country"].isin(rule.controlling_countries).to_numpy()
    chosen = np.flatnonzero((outside & (affected > 1e-12)) | ids.isin(net.sinks))
    records = []
    for pos in chosen:
        fac = net.facilities.iloc[pos]
        order = np.argsort(-through[pos], kind="stable")
        upstream = [str(ids[exporters[j]]) for j in order if through[pos, j] > 1e-12]
        materials = sorted(set(net.carrying_links[controlled & net.carrying_links["supplier"].isin(
            upstream)]["material"]))
        records.append({
            "id": ids[pos], "name": fac["name"], "stage": fac["stage"], "country": fac["country"],
            "sector": fac.get("sector"), "compliant_share": 1.0 - float(affected[pos]),
            "affected_share": float(affected[pos]), "direct_share": float(flow.exempt_in[pos]),
            "offending": upstream, "controlled_materials": materials,
        })
    frame = pd.DataFrame(records, columns=[
        "id", "name", "stage", "country", "sector", "compliant_share", "affected_share",
        "direct_share", "offending", "controlled_materials"])
    frame = frame.sort_values(["affected_share", "id"], ascending=[False, True], kind="stable")
    frame.insert(5, "rule", rule.id)
    frame.insert(6, "kind", rule.kind)
    frame.insert(7, "in_force", rule.in_force(as_of))
    frame.insert(8, "effective", rule.effective.isoformat())
    return frame.reset_index(drop=True)


def _controlled_item(rule: ExportControlRule, link, net: Network) -> bool:
    material = str(link.material)
    lower = material.lower()
    for symbol in rule.elements:
        if re.search(rf"(?<![A-Za-z]){re.escape(symbol)}(?![a-z])", material):
            return True
        name = rule.element_names.get(symbol)
        if name and name.lower() in lower:
            return True
    if any(p.lower() in lower for p in rule.material_patterns):
        return True
    for product in rule.products:
        if product.pattern.lower() not in lower:
            continue
        if not product.if_contains:
            return True
        heavy = _grade_contains_heavy(link, net)
        if heavy is None or heavy:
            return True
    return False


def _grade_contains_heavy(link, net: Network) -> bool | None:
    required = getattr(link, "required_grade", None)
    try:
        if isinstance(required, str) and required.strip():
            return contains_heavy(parse_grade(required))
        if "grades" in net.facilities:
            grades = parse_grades(net.facilities.at[link.supplier, "grades"])
            if grades:
                return any(contains_heavy(g) for g in grades)
    except SpecError:
        return None
    return None
