"""Origin-restriction rules (DFARS 252.225-7052 and user sourcing policies) on a network.

Definitions (for one :class:`~graphmodel.compliance.rules.SourcingRule`):

*covered step*: a facility ``v`` performs a covered step in a covered country when its stage
is one the rule's covered steps map to (default mapping: mined = mine, concentrator;
refined = mrec, metal; separated = separator; melted = metal, alloy; produced = magnet;
manufactured = motor, oem, for end items containing magnets) and its location is a
covered country. Then ``ok(v) = 0``, else ``ok(v) = 1``.

*magnet supply*: a facility at the rule's ``producing_stage`` (magnet) counts its whole
inbound (everything a magnet is made from). A facility downstream of it (motor, oem)
counts only its inbound of covered material: links whose material names a covered
material (``covered_materials``, case-insensitive substrings) or whose supplier is itself at
or after the producing stage (a motor contains magnets). Upstream of those, every link
counts. With ``trace_through_recyclers: false`` a recycler's output starts a fresh trace.

*compliant share* ``c(v)``: the share of v's magnet supply (by volume, in v's input unit)
whose every upstream facility, v included, is ok, by the propagation of
:mod:`graphmodel.compliance.propagation`. Supply arriving over a COTS-exempt link counts
as compliant. A trace that ends at a facility with no inbound data counts as compliant
as far as known: ``untraced_share`` says how much of the supply ends before the rule's
first covered stage (unknown upstream), so ``compliant_share - untraced_share`` is the
share shown compliant by data alone. ``NaN`` means the facility has no magnet supply.

*COTS exemption* (the rule's ``cots`` block, :class:`~.rules.CotsExemption`): a link (or
its supplier) flagged ``cots`` (true/yes/1) is exempt when its value of the rule's
``measure`` column (link column, else supplier column) compares with ``threshold`` as
``exempt_when`` says (``below``: value < threshold; ``at_or_below``: <=; ``above``: >;
``at_or_above``: >=). ``--cots-threshold`` and ``--cots-exempt-when`` override the rule's.
A blank ``covered_content`` (weight fraction of covered material in the item) is 1.0 when
the link's material is a covered material and 0.0 otherwise; a blank value of any other
measure means not exempt. The bundled DFARS rules measure ``covered_content`` and exempt
below 0.5 (10 U.S.C. 4872(c)(3)(A): COTS end items are excepted, but not COTS items 50% or
more tungsten by weight nor mill products not yet incorporated into an end item). A COTS
magnet is therefore never exempt under them; a COTS motor with 3% magnet by weight is.
Supply arriving over an exempt link counts as compliant.

*rows*: every sink the rule applies to (by sector, default ``defense``; ``all_sinks`` for
every sink) and every facility that makes or uses covered material and supplies one of
those sinks over non-exempt links (DFARS flows down to subcontractors).
"""
from __future__ import annotations

import datetime as dt
import operator

import numpy as np
import pandas as pd

from graphmodel.network import Network
from graphmodel.schema import RECYCLER, STAGE_RANK

from .propagation import Flow, best_path, build_flow, extend_upstream
from .rules import FRACTION_MEASURES, RuleError, SourcingRule

#: Alternatives offered in "what would have to change" must themselves be at least this
#: compliant (share of their own supply).
MIN_ALTERNATIVE_SHARE = 0.5
TRUTHY = frozenset({"true", "yes", "y", "1", "x", "cots"})
_LINK_PREFERENCE = {"qualified": 0, "in_qualification": 1, "candidate": 2}
_COMPARE = {"below": operator.lt, "at_or_below": operator.le,
            "above": operator.gt, "at_or_above": operator.ge}


def evaluate_sourcing(net: Network, rule: SourcingRule, *, as_of: dt.date | None = None,
                      all_sinks: bool = False, cots_threshold: float | None = None,
                      cots_exempt_when: str | None = None, alternatives: int = 3) -> pd.DataFrame:
    """One row per evaluated facility (see module docstring) with columns

    ``id, name, stage, country, sector, role`` (sink | supplier), ``rule, in_force``
    (on ``as_of``, default today), ``effective, magnet_volume`` (kept inbound volume),
    ``compliant_share, untraced_share, exempt_share`` (shares of the magnet supply, 0..1),
    ``offending`` (ids of every upstream offending facility, largest through-share first),
    ``blocking`` (``id: share`` of supply whose nearest offending facility is that id),
    ``example_path`` (a Tier-N trace through the top blocking facility; ``!`` marks
    offending facilities) and ``top_fix`` (the top blocking facility and qualified or
    candidate compliant alternatives for its customer on that path).
    """
    as_of = as_of or dt.date.today()
    model = SourcingModel(net, rule, cots_threshold=cots_threshold,
                          cots_exempt_when=cots_exempt_when)
    rows = model.rows(all_sinks=all_sinks)
    records = [model.describe(pos, role, alternatives) for pos, role in rows]
    frame = pd.DataFrame(records, columns=_COLUMNS)
    frame["rule"] = rule.id
    frame["in_force"] = rule.in_force(as_of)
    frame["effective"] = rule.effective.isoformat()
    return frame


_COLUMNS = ["id", "name", "stage", "country", "sector", "role", "rule", "in_force", "effective",
            "magnet_volume", "compliant_share", "untraced_share", "exempt_share", "offending",
            "blocking", "example_path", "top_fix"]


def remediation(net: Network, rule: SourcingRule, *, all_sinks: bool = False,
                cots_threshold: float | None = None, cots_exempt_when: str | None = None,
                alternatives: int = 3) -> pd.DataFrame:
    """What would have to change: per evaluated facility and blocking offender, the share it
    blocks (``blocking_share``: the gain if its deliveries on the path were replaced by fully
    compliant supply), the gain if it alone became compliant with its own upstream unchanged
    (``gain``; 0 when its suppliers offend too), the customer
    that buys from it on the main path, and compliant alternatives (same stage, not
    offending, own compliant share >= ``MIN_ALTERNATIVE_SHARE``) ranked by the status of
    their link to that customer (qualified, in_qualification, candidate, none), then their
    compliant share. One row per alternative (or one row with no alternative)."""
    model = SourcingModel(net, rule, cots_threshold=cots_threshold,
                          cots_exempt_when=cots_exempt_when)
    records = []
    for pos, _role in model.rows(all_sinks=all_sinks):
        for target, share in model.blocking(pos):
            customer = model.customer_on_path(pos, target)
            gain = model.gain(pos, target)
            alts = model.alternatives(target, customer)[:alternatives] or [None]
            for alt in alts:
                records.append({
                    "id": model.ids[pos], "rule": rule.id, "offender": model.ids[target],
                    "offender_country": model.country[target], "blocking_share": share,
                    "gain": gain, "customer": model.ids[customer] if customer is not None else None,
                    **(alt or {"alternative": None, "alternative_country": None,
                               "alternative_compliant_share": np.nan, "link_status": None,
                               "qualification_months": np.nan}),
                })
    return pd.DataFrame(records, columns=[
        "id", "rule", "offender", "offender_country", "blocking_share", "gain", "customer",
        "alternative", "alternative_country", "alternative_compliant_share", "link_status",
        "qualification_months"])


class SourcingModel:
    """The propagation state of one rule on one network (positions index ``net.facilities``)."""

    def __init__(self, net: Network, rule: SourcingRule, cots_threshold: float | None = None,
                 cots_exempt_when: str | None = None):
        self.net, self.rule = net, rule
        facilities = net.facilities
        self.ids = facilities.index
        self.stage = facilities["stage"].to_numpy()
        self.country = facilities["country"].to_numpy()
        self.cots = rule.cots.overridden(threshold=cots_threshold, exempt_when=cots_exempt_when)
        produce_rank = STAGE_RANK[rule.producing_stage]
        self.rank = facilities["stage"].map(STAGE_RANK).to_numpy(dtype=float)  # NaN = recycler
        self.is_maker = self.stage == rule.producing_stage
        self.is_user = self.rank > produce_rank

        links = net.carrying_links
        supplier_rank = links["supplier"].map(facilities["stage"].map(STAGE_RANK))
        # built as bool Series explicitly: .map on an empty frame keeps the str dtype
        covered = pd.Series([self._names_covered_material(m) for m in links["material"]],
                            index=links.index, dtype=bool)
        bearing = covered | (supplier_rank >= produce_rank).astype(bool)
        customer_is_user = pd.Series(self.is_user[self.ids.get_indexer(links["customer"])],
                                     index=links.index, dtype=bool)
        keep = bearing | ~customer_is_user
        if not rule.trace_through_recyclers:
            keep &= links["customer"].map(facilities["stage"]) != RECYCLER
        exempt = self._cots_exempt(links, covered) if self.cots.exempt else None
        self.flow: Flow = build_flow(net, keep, exempt)
        # flow-down to suppliers follows deliveries, not scrap returned to recyclers
        self.delivery_flow = build_flow(
            net, keep & (links["customer"].map(facilities["stage"]) != RECYCLER), exempt)

        stages = rule.covered_stages()
        self.ok = ~(np.isin(self.stage, list(stages))
                    & np.isin(self.country, rule.covered_countries))
        self.ok = self.ok.astype(float)
        self.c = self.flow.clean_share(self.ok)
        first_rank = min(STAGE_RANK[s] for s in stages if s in STAGE_RANK)
        early_end = self.flow.origin * (~(self.rank <= first_rank) | self.flow.closed)  # recyclers: True
        self.untraced = self.flow.share_ending_in(early_end)
        self.exempt = self.flow.share_ending_in(self.flow.exempt_in)
        self.offenders = np.flatnonzero(self.ok == 0)
        self.T = self.flow.through(self.offenders)
        self.X = self.flow.reach(self.ok, self.offenders)

    # --- inputs ---------------------------------------------------------------------------
    def _names_covered_material(self, material) -> bool:
        text = str(material).lower()
        return any(p.lower() in text for p in self.rule.covered_materials)

    def _cots_exempt(self, links: pd.DataFrame, covered: pd.Series) -> pd.Series:
        """Links exempt under ``self.cots`` (see the module docstring)."""
        facilities = self.net.facilities
        flag = _column(links, facilities, "cots").map(
            lambda v: str(v).strip().lower() in TRUTHY).astype(bool)
        measure = self.cots.measure
        if measure not in links and measure not in facilities:
            if measure != "covered_content" and flag.any():
                raise RuleError(
                    f"rule '{self.rule.id}' measures the COTS exemption by column '{measure}', "
                    f"but neither links nor facilities have that column ({int(flag.sum())} "
                    f"links are flagged cots)")
        # only flagged links are read: the measure means nothing on other links
        raw = _column(links, facilities, measure).where(flag)
        value = _numeric(links, raw, measure, fraction=measure in FRACTION_MEASURES)
        if measure == "covered_content":
            value = value.fillna(covered.astype(float))
        compare = _COMPARE[self.cots.exempt_when]
        # NaN compares False, so a blank measure is never exempt
        return flag & compare(value, self.cots.threshold).astype(bool)

    # --- rows -----------------------------------------------------------------------------
    def rows(self, all_sinks: bool) -> list[tuple[int, str]]:
        sectors = None if all_sinks else self.rule.applies_to.sectors
        sinks = self.net.sinks
        sector = self.net.facilities["sector"].reindex(sinks)
        if sectors is not None:
            sinks = sinks[sector.isin(sectors).to_numpy()]
        sink_pos = self.ids.get_indexer(sinks)
        candidates = np.flatnonzero((self.is_maker | (self.is_user & (self.flow.inbound > 0))))
        candidates = np.setdiff1d(candidates, sink_pos)
        through = self.delivery_flow.through(candidates)
        feeds = (through[sink_pos] > 0).any(axis=0) if len(sink_pos) else np.zeros(len(candidates), bool)
        suppliers = candidates[feeds]
        order = lambda pos: (-np.nan_to_num(self.rank[pos], nan=-1), self.ids[pos])  # noqa: E731
        return ([(p, "sink") for p in sorted(sink_pos, key=order)]
                + [(p, "supplier") for p in sorted(suppliers, key=order)])

    def describe(self, pos: int, role: str, alternatives: int) -> dict:
        facility = self.net.facilities.iloc[pos]
        has_supply = self.flow.inbound[pos] > 0 or self.is_maker[pos]
        blocking = self.blocking(pos)
        record = {
            "id": self.ids[pos], "name": facility["name"], "stage": self.stage[pos],
            "country": self.country[pos], "sector": facility.get("sector"), "role": role,
            "magnet_volume": float(self.flow.inbound[pos]),
            "compliant_share": float(self.c[pos]) if has_supply else np.nan,
            "untraced_share": float(self.untraced[pos]) if has_supply else np.nan,
            "exempt_share": float(self.exempt[pos]) if has_supply else np.nan,
            "offending": self.offending(pos),
            "blocking": [f"{self.ids[t]}: {share:.3g}" for t, share in blocking],
            "example_path": "", "top_fix": "",
        }
        if blocking:
            target = blocking[0][0]
            record["example_path"] = self.format_path(self.path(pos, target))
            customer = self.customer_on_path(pos, target)
            alts = self.alternatives(target, customer)[:alternatives]
            record["top_fix"] = self.format_fix(target, customer, alts)
        return record

    # --- analyses -------------------------------------------------------------------------
    def offending(self, pos: int) -> list[str]:
        shares = np.round(self.T[pos], 12)  # ties (a chain of offenders): downstream first
        rank = np.nan_to_num(self.rank[self.offenders], nan=-1)
        order = sorted(range(len(shares)), key=lambda j: (-shares[j], -rank[j],
                                                          self.ids[self.offenders[j]]))
        return [str(self.ids[self.offenders[j]]) for j in order if shares[j] > 1e-12]

    def blocking(self, pos: int) -> list[tuple[int, float]]:
        shares = self.X[pos]
        order = np.argsort(-shares, kind="stable")
        return [(int(self.offenders[j]), float(shares[j])) for j in order if shares[j] > 1e-12]

    def gain(self, pos: int, target: int) -> float:
        ok = self.ok.copy()
        ok[target] = 1.0
        return float(self.flow.clean_share(ok)[pos] - self.c[pos])

    def path(self, pos: int, target: int) -> list[int]:
        j = int(np.flatnonzero(self.offenders == target)[0])
        return extend_upstream(self.flow, best_path(self.flow, self.X[:, j], pos, target))

    def customer_on_path(self, pos: int, target: int) -> int | None:
        if pos == target:
            return None
        j = int(np.flatnonzero(self.offenders == target)[0])
        path = best_path(self.flow, self.X[:, j], pos, target)
        return path[1] if len(path) > 1 and path[0] == target else None

    def alternatives(self, target: int, customer: int | None) -> list[dict]:
        """Compliant facilities at the offender's stage, best first (see :func:`remediation`)."""
        same = np.flatnonzero((self.stage == self.stage[target]) & (self.ok == 1))
        status, months = self._link_status(customer)
        found = []
        for alt in same:
            # an alternative must fix most of what it replaces to count as a fix
            if alt == customer or self.c[alt] < MIN_ALTERNATIVE_SHARE:
                continue
            aid = self.ids[alt]
            found.append({
                "alternative": aid, "alternative_country": self.country[alt],
                "alternative_compliant_share": float(self.c[alt]),
                "link_status": status.get(aid), "qualification_months": months.get(aid, np.nan),
            })
        found.sort(key=lambda a: (_LINK_PREFERENCE.get(a["link_status"], 3),
                                  -a["alternative_compliant_share"], a["alternative"]))
        return found

    def _link_status(self, customer: int | None) -> tuple[dict, dict]:
        if customer is None:
            return {}, {}
        links = self.net.links[self.net.links["customer"] == self.ids[customer]]
        status, months = {}, {}
        for row in links.itertuples(index=False):
            best = status.get(row.supplier)
            if best is None or _LINK_PREFERENCE[row.status] < _LINK_PREFERENCE[best]:
                status[row.supplier] = row.status
                months[row.supplier] = row.qualification_months
        return status, months

    # --- formatting -------------------------------------------------------------------------
    def format_path(self, path: list[int]) -> str:
        return " > ".join(f"{self.ids[p]}[{self.country[p]}]{'!' if self.ok[p] == 0 else ''}"
                          for p in path)

    def format_fix(self, target: int, customer: int | None, alts: list[dict]) -> str:
        where = f" for {self.ids[customer]}" if customer is not None else ""
        head = f"replace {self.ids[target]} [{self.country[target]}]{where}"
        if not alts:
            return head + ": no compliant alternative in the network"
        options = ", ".join(
            f"{a['alternative']} [{a['alternative_country']}] (compliant "
            f"{a['alternative_compliant_share']:.2f}, {a['link_status'] or 'no link'})"
            for a in alts)
        return f"{head}: {options}"


def _column(links: pd.DataFrame, facilities: pd.DataFrame, column: str) -> pd.Series:
    """A link column, falling back to the supplier's facility column; empty text = missing."""
    values = pd.Series([None] * len(links), index=links.index, dtype=object)
    if column in links:
        values = links[column].astype(object).where(links[column].astype(str).str.strip() != "")
    if column in facilities:
        fallback = links["supplier"].map(facilities[column].astype(object))
        fallback = fallback.where(fallback.astype(str).str.strip() != "")
        values = values.where(values.notna(), fallback)
    return values


def _numeric(links: pd.DataFrame, values: pd.Series, column: str, fraction: bool) -> pd.Series:
    """``values`` as floats (blank = NaN); text that is not a number, or a fraction outside
    0..1, is an error naming the link and the column."""
    numbers = pd.to_numeric(values, errors="coerce")
    bad = values.notna() & numbers.isna()
    if fraction:
        bad |= numbers.notna() & ~numbers.between(0, 1)
    if bad.any():
        where = bad.to_numpy().nonzero()[0][0]
        link = links.iloc[where]
        expected = "a weight fraction 0..1" if fraction else "a number"
        raise RuleError(
            f"link {link['supplier']} -> {link['customer']} ({link['material']}): column "
            f"'{column}' is '{values.iloc[where]}', expected {expected} ({int(bad.sum())} "
            f"such links)")
    return numbers.astype(float)
