"""A draft scenario per event: the shock the event suggests, ready to edit and run.

The draft selects what the event matched: its facilities (``select: {id: [...]}``) when it
names any, else its countries (``select: {country: [...]}``, narrowed to the matched
elements (``element``) that some material of the network contains, else to the matched
materials (``material``), as an export control on dysprosium is). For an export control or
a sanction on countries, only the country named first is selected (the event's
``country`` column, else the first in its title and text): the controlling country leads
the news ("China bans exports of dual-use items to Japan"). The shock's ``type``, ``capacity_loss`` and ``duration_months``
are the kind's defaults from the rules (an event's own ``severity`` replaces the default
loss); it starts at month 0 (the event's month). The horizon is 24 months, or twice the
duration when that is longer. Like the bundled presets, every draft sets
``responses: {reroute_lead_months: 2}``: extra orders from other suppliers arrive two months
after the shock starts (in the 2025 magnet shortage alternative supplies had not arrived two
months in; Reuters, 9 June 2025). Everything is an assumption for a first look, said so in
the draft's description.
"""
from __future__ import annotations

import math
import re

from ..limits import MAX_HORIZON_MONTHS
from .match import EventMatch
from .rules import Kind

__all__ = ["draft_scenario", "draft_file_name", "REROUTE_LEAD_MONTHS", "HORIZON_MONTHS"]

REROUTE_LEAD_MONTHS = 2
HORIZON_MONTHS = 24


def draft_scenario(event: dict, match: EventMatch, kind: Kind, facilities: list[str],
                   countries: list[str], elements_present: set[str] | None = None) -> dict:
    """The draft scenario of ``event`` (plain data, as in a YAML file; valid for
    :func:`graphmodel.scenarios.parse_scenario`). ``elements_present``: the elements some
    material of the network contains (an element filter on others would select nothing);
    None = all."""
    if facilities:
        select: dict = {"id": list(facilities)}
    else:
        if kind.shock == "export_control":
            # the country that controls is the one the news names first ("China bans exports
            # of dual-use items to Japan"); a country column names it outright
            first = min((m for m in match.countries if m.value in countries),
                        key=lambda m: m.position)
            countries = [first.value]
        select = {"country": list(countries)}
        elements = [m.value for m in match.elements
                    if elements_present is None or m.value in elements_present]
        if elements:
            select["element"] = elements
        elif match.materials:
            select["material"] = [m.value for m in match.materials]
    severity = event.get("severity")
    loss = kind.severity if severity is None or severity != severity else float(severity)
    horizon = min(MAX_HORIZON_MONTHS, max(HORIZON_MONTHS, math.ceil(2 * kind.duration_months)))
    title = str(event["title"])
    evidence = "; ".join(e for m in match.all() for e in m.evidence)
    description = (
        f"Draft from the event of {event['date']}: {title}. Matched: {evidence}. "
        f"Kind '{kind.name}': shock type {kind.shock} on the selection, losing "
        f"{loss:.0%} of capacity for {kind.duration_months:g} months from month 0 (the event's "
        "month). Selection, loss and duration are the rules' defaults, not estimates of this "
        "event: edit them before relying on the result.")
    shock = {"name": f"{kind.name.replace('_', ' ')}: {title[:80]}", "type": kind.shock,
             "select": select, "capacity_loss": loss, "start_month": 0,
             "duration_months": kind.duration_months}
    return {"name": f"Draft: {title[:100]}", "description": description,
            "source": f"{event['url'] or event['file']} ({event['date']})",
            "horizon_months": horizon, "shocks": [shock],
            "responses": {"reroute_lead_months": REROUTE_LEAD_MONTHS}}


def draft_file_name(event: dict) -> str:
    """``<date>-<title words>-<id>.yaml``: readable, and unique per event."""
    slug = "-".join(re.findall(r"[a-z0-9]+", str(event["title"]).casefold()))[:50].strip("-")
    return f"{event['date']}-{slug or 'event'}-{str(event['id'])[:8]}.yaml"
