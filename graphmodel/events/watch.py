"""Alerts: for a batch of events, which watched sinks depend on what each event names, and
what a draft scenario of the event does to them.

For each event not seen before (:mod:`graphmodel.events.state`):

1. **Match** it (:mod:`graphmodel.events.match`); keep facility and country matches whose
   confidence is at least the watchlist's ``confidence`` threshold (default 0.6). An event
   gives no alert, and a reason, when it names nothing of the network, names it only below
   the threshold, names only countries where the network has no facility, names no kind of
   disruption, names nothing on the watchlist's filters, or names what no watched sink
   depends on (checked in this order).
2. **Targets**: the matched facilities when there are any (more specific), else the matched
   countries that the draft scenario selects (for an export control or a sanction, the
   country named first: see :mod:`graphmodel.events.draft`).
3. **Dependence** of each watched sink k on the targets, a fraction of its supply in 0..1:

   * facilities ``U``: ``1 - a_k(U)``, the share of k's supply lost when every facility of
     ``U`` fails at once (:func:`graphmodel.chokepoints.availability`, the Tier-N
     propagation of the network); ``matched`` names the facility u of ``U`` with the
     largest single-facility loss ``F(k, u)`` (:func:`graphmodel.chokepoints.facility_shares`);
   * countries ``C``: ``max over stages s and countries c in C`` of the exposure of k to the
     facilities of c at stage s (:func:`graphmodel.exposure.exposure`, location basis);
     ``matched`` is that country. An export control narrowed to some elements hits less
     than this screening figure; the scenario run says how much.

   A sink is alerted when its dependence is at least the ``dependence`` threshold (default
   0.001, i.e. 0.1% of its supply).
4. **Draft scenario** (:mod:`graphmodel.events.draft`), validated and run
   (:func:`graphmodel.scenarios.run_scenario`; events drafting the same shock share one
   run): each alerted sink's ``lost_share`` (lost volume over the horizon / demand over the
   horizon) and ``tts_months`` (whole months before its supply first falls short; null when
   it never does within the horizon).

One row per (event, alerted sink). ``confidence`` of a row is the lower of the confidence of
its ``matched`` target and of the event's kind: an alert is as sure as its weakest match.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..chokepoints import availability, facility_shares
from ..errors import TiernError
from ..exposure import exposure
from ..io.normalize import normalize_country
from ..network import Network
from ..safe_yaml import YamlProblem, load_yaml_file
from ..scenarios import parse_scenario, run_scenario
from ..schema import stages_in
from .draft import draft_file_name, draft_scenario
from .match import EventMatch, Match, match_events
from .rules import Rules, load_rules

__all__ = ["WATCH_COLUMNS", "SKIPPED_COLUMNS", "Watchlist", "WatchlistError", "Alerts",
           "load_watchlist", "watch"]

#: The row contract of ``tiern watch --format json`` (first nine), then context columns.
WATCH_COLUMNS = ["event", "date", "kind", "matched", "evidence", "confidence", "sink",
                 "lost_share", "tts_months", "sink_name", "matched_name", "dependence",
                 "min_supply", "draft", "url", "event_id"]
SKIPPED_COLUMNS = ["event", "date", "file", "row", "reason", "event_id"]
DEFAULT_CONFIDENCE = 0.6
DEFAULT_DEPENDENCE = 0.001


class WatchlistError(TiernError):
    """A watchlist file that cannot be used: ``file: field: message`` lines."""


@dataclass(frozen=True)
class Watchlist:
    """What to watch. ``sinks`` None = every sink of the network. ``facilities``,
    ``countries`` and ``materials`` (materials or element symbols), when any is given, keep
    only the events that name one of them (a facility located in a watched country counts
    for that country). Thresholds: see the module docstring."""

    sinks: tuple[str, ...] | None = None
    facilities: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    materials: tuple[str, ...] = ()
    confidence: float = DEFAULT_CONFIDENCE
    dependence: float = DEFAULT_DEPENDENCE

    @property
    def filters(self) -> bool:
        return bool(self.facilities or self.countries or self.materials)


def load_watchlist(path: str | Path, net: Network) -> Watchlist:
    """Read a watchlist YAML (``sinks``, ``facilities``, ``countries``, ``materials``, lists;
    ``thresholds: {confidence, dependence}``, numbers in 0..1) and check it against ``net``:
    every problem is reported at once as ``file: field: message``."""
    path = Path(path)
    if not path.is_file():
        raise WatchlistError(f"{path.name}: no such watchlist file")
    try:
        data = load_yaml_file(path, path.name)
    except YamlProblem as problem:
        raise WatchlistError(str(problem)) from None
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise WatchlistError(f"{path.name}: expected a mapping with sinks, facilities, "
                             "countries, materials, thresholds")
    problems: list[str] = []
    allowed = {"sinks", "facilities", "countries", "materials", "thresholds"}
    problems += [f"{key}: unknown field (expected one of {', '.join(sorted(allowed))})"
                 for key in data if key not in allowed]

    def text_list(key: str) -> list[str]:
        value = data.get(key)
        if value is None:
            return []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.append(f"{key}: expected a list of texts")
            return []
        return value

    sinks = text_list("sinks")
    known_sinks = set(map(str, net.sinks))
    problems += [f"sinks: '{s}' is not a sink of the network" for s in sinks if s not in known_sinks]
    facilities = text_list("facilities")
    problems += [f"facilities: unknown facility id '{f}'" for f in facilities
                 if f not in net.facilities.index]
    countries = []
    for value in text_list("countries"):
        code = normalize_country(value)
        if code is None:
            problems.append(f"countries: unknown country '{value}'")
        else:
            countries.append(code)
    materials = text_list("materials")
    thresholds = data.get("thresholds") or {}
    values = {"confidence": DEFAULT_CONFIDENCE, "dependence": DEFAULT_DEPENDENCE}
    if not isinstance(thresholds, dict):
        problems.append("thresholds: expected a mapping (confidence, dependence)")
        thresholds = {}
    for key, value in thresholds.items():
        if key not in values:
            problems.append(f"thresholds.{key}: unknown field (expected confidence, dependence)")
        elif isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            problems.append(f"thresholds.{key}: must be a number between 0 and 1")
        else:
            values[key] = float(value)
    if problems:
        raise WatchlistError("\n".join(f"{path.name}: {p}" for p in problems))
    return Watchlist(sinks=tuple(sinks) or None, facilities=tuple(facilities),
                     countries=tuple(countries), materials=tuple(materials), **values)


@dataclass
class Alerts:
    """What :func:`watch` found: ``rows`` (:data:`WATCH_COLUMNS`), the events that gave no
    alert with the reason (``skipped``), the draft scenario of every alerted event
    (``drafts``: event id -> scenario data; ``draft_files``: event id -> file name), and how
    many events were left out as already seen."""

    rows: pd.DataFrame
    skipped: pd.DataFrame
    drafts: dict[str, dict] = field(default_factory=dict)
    draft_files: dict[str, str] = field(default_factory=dict)
    already_seen: int = 0


def _confident(matches: list[Match], threshold: float) -> list[Match]:
    return [m for m in matches if m.confidence >= threshold]


def _interesting(match: EventMatch, watchlist: Watchlist, located: pd.Series) -> bool:
    """Whether the event names a watched facility, material or element, or a watched country
    or a facility located in one."""
    facilities = [m.value for m in match.facilities]
    names = set(facilities) | {m.value for m in match.countries} | \
        set(located.reindex(facilities).dropna()) | \
        {m.value for m in match.materials} | {m.value for m in match.elements}
    return bool(names & (set(watchlist.facilities) | set(watchlist.countries) |
                         set(watchlist.materials)))


def _country_dependence(net: Network, country: str, cache: dict) -> pd.Series:
    """Per facility: the largest share of its supply tracing to ``country`` at any stage."""
    if country not in cache:
        shares = [exposure(net, country, stage).set_index("id")["share"]
                  for stage in stages_in(net.facilities["stage"])]
        cache[country] = pd.concat(shares, axis=1).max(axis=1)
    return cache[country]


def _element_symbols(net: Network) -> set[str]:
    """Elements some material of the network's links contains (``materials.csv``)."""
    content = net.element_content.reindex(net.links["material"].astype(str).unique()).fillna(0.0)
    return {str(e) for e in content.columns[(content > 0).any(axis=0)]}


def watch(net: Network, events: pd.DataFrame, *, watchlist: Watchlist | None = None,
          rules: Rules | None = None, aliases: pd.DataFrame | None = None,
          seen: frozenset[str] | set[str] = frozenset()) -> Alerts:
    """Alerts for ``events`` (the table of :func:`graphmodel.events.read_events`) on ``net``
    (see the module docstring). Events whose id is in ``seen`` are left out and counted."""
    watchlist = watchlist or Watchlist()
    rules = rules or load_rules()
    sinks = pd.Index(watchlist.sinks if watchlist.sinks else list(map(str, net.sinks)))
    fresh = events[~events["id"].isin(seen)]
    matches = match_events(fresh, net, rules, aliases)
    names = net.facilities["name"].astype(str)
    sink_names = names.reindex(sinks)
    single = {}            # F(k, u) for the watched sinks, per failed facility, as needed
    country_cache: dict = {}
    runs: dict[str, pd.DataFrame] = {}
    rows, skipped = [], []
    alerts = Alerts(pd.DataFrame(columns=WATCH_COLUMNS), pd.DataFrame(columns=SKIPPED_COLUMNS),
                    already_seen=len(events) - len(fresh))

    def skip(event: dict, reason: str) -> None:
        skipped.append({"event": event["title"], "date": event["date"], "file": event["file"],
                        "row": event["row"], "reason": reason, "event_id": event["id"]})

    for event, match in zip(fresh.to_dict("records"), matches):
        if match.reason:
            skip(event, match.reason)
            continue
        facilities = _confident(match.facilities, watchlist.confidence)
        countries = _confident(match.countries, watchlist.confidence)
        if not facilities and not countries:
            weak = "; ".join(e for m in match.facilities + match.countries for e in m.evidence)
            skip(event, f"names the network only with low confidence (below "
                        f"{watchlist.confidence:g}): {weak}")
            continue
        if not facilities:
            present = set(net.facilities["country"].astype(str))
            absent = [m.value for m in countries if m.value not in present]
            if len(absent) == len(countries):
                skip(event, f"names no facility, owner or alias of the network; the countries it "
                            f"names ({', '.join(absent)}) have no facility in the network")
                continue
            countries = [m for m in countries if m.value in present]
        if match.kind is None:
            found = ", ".join(m.value for m in (facilities or countries)[:5])
            skip(event, f"names {found} but no kind of disruption: no keyword of the rules' "
                        f"kinds ({', '.join(rules.kinds)}) in its title or text")
            continue
        if watchlist.filters and not _interesting(match, watchlist, net.facilities["country"]):
            skip(event, "matches nothing on the watchlist's facilities, countries or materials")
            continue
        kind = rules.kinds[match.kind.value]
        draft = draft_scenario(event, match, kind, [m.value for m in facilities],
                               [m.value for m in countries], _element_symbols(net))
        if facilities:
            targets = facilities
            failed = [m.value for m in facilities]
            dependence = 1.0 - availability(net, failed).reindex(sinks)
            missing = list(dict.fromkeys(u for u in failed if u not in single))
            if missing:  # one forward solve per facility, not a column per sink
                single.update(facility_shares(net, sinks, missing).items())
            block = pd.DataFrame(np.column_stack([single[u].to_numpy() for u in failed]),
                                 index=sinks, columns=failed).fillna(0.0)
        else:   # the countries the draft selects (an export control: the controlling one)
            targets = [m for m in countries if m.value in draft["shocks"][0]["select"]["country"]]
            block = pd.DataFrame({m.value: _country_dependence(net, m.value, country_cache)
                                  .reindex(sinks) for m in targets}).fillna(0.0)
            dependence = block.max(axis=1)
        which = block.idxmax(axis=1)
        dependence = dependence.fillna(0.0).clip(0.0, 1.0)
        hit = dependence[dependence >= max(watchlist.dependence, 1e-12)].index
        if not len(hit):
            found = ", ".join(m.value for m in targets[:5])
            skip(event, f"names {found}, but no watched sink depends on it (dependence below "
                        f"{watchlist.dependence:g} of supply)")
            continue
        # events that draft the same shock (three reports of one export control) share a run
        key = json.dumps({"horizon": draft["horizon_months"], "responses": draft["responses"],
                          "shocks": [{k: v for k, v in shock.items() if k != "name"}
                                     for shock in draft["shocks"]]}, sort_keys=True)
        if key not in runs:
            scenario = parse_scenario(draft, draft_file_name(event))
            runs[key] = run_scenario(net, scenario).sinks.set_index("id")
        result = runs[key]
        alerts.drafts[event["id"]] = draft
        alerts.draft_files[event["id"]] = draft_file_name(event)
        by_value = {m.value: m for m in targets}
        extra = [e for m in match.materials + match.elements + [match.kind] for e in m.evidence]
        for sink in hit:
            target = by_value[which[sink]]
            tts = result.at[sink, "tts_months"]
            rows.append({
                "event": event["title"], "date": event["date"], "kind": kind.name,
                "matched": target.value, "evidence": "; ".join(list(target.evidence) + extra),
                "confidence": min(target.confidence, match.kind.confidence), "sink": sink,
                "lost_share": float(result.at[sink, "lost_share"]),
                "tts_months": None if pd.isna(tts) else int(tts),
                "sink_name": sink_names[sink],
                "matched_name": names.get(target.value, target.value),
                "dependence": float(dependence[sink]),
                "min_supply": float(result.at[sink, "min_supply"]),
                "draft": draft_file_name(event), "url": event["url"], "event_id": event["id"]})
    if rows:
        table = pd.DataFrame(rows, columns=WATCH_COLUMNS)
        table["order"] = table["event_id"].map({e: i for i, e in enumerate(fresh["id"])})
        table = table.sort_values(["order", "lost_share", "dependence", "sink"],
                                  ascending=[True, False, False, True], kind="stable")
        table["tts_months"] = table["tts_months"].astype("Int64")
        alerts.rows = table.drop(columns="order").reset_index(drop=True)
    if skipped:
        alerts.skipped = pd.DataFrame(skipped, columns=SKIPPED_COLUMNS)
    return alerts
