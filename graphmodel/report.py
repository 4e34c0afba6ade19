"""The chokepoint report: one content model, rendered as HTML, XLSX, PDF or Markdown.

:func:`build_report` computes everything (chokepoints, rollups, per-sink resilience,
concentration by stage, China exposure per OEM, charts, findings, methodology, sources,
provenance) into a :class:`Report`; :func:`write_report` renders it by file extension:

* ``.html``: interactive plotly charts with plotly.js inlined (works offline; no external
  script or stylesheet);
* ``.pdf``: the same page with static SVG charts (kaleido renders them in one browser
  session), laid out by WeasyPrint;
* ``.xlsx``: one sheet per table with styled headers;
* ``.md``: text and tables (charts are in the HTML and PDF editions).
"""
from __future__ import annotations

import base64
import datetime as dt
import html
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import pandas as pd
import plotly.graph_objects as go

from . import __version__, lookup, plot
from . import chokepoints as ch
from .concentration import concentration
from .errors import OutputError, TiernError
from .events import watch as watch_events
from .explain import names_list, why
from .exposure import exposure
from .network import Network
from .output import (LONG_CELLS, markdown_table, markdown_text, move_long_cells, output_path,
                     write_text, write_xlsx)
from .progress import Progress
from .schema import STAGES, stages_in
from .summary import summary_by_stage_country
from .terminal import is_share

REPORT_FORMATS = ("html", "xlsx", "pdf", "md")
#: Stages at which OEM supply is traced back to China.
EXPOSURE_STAGES = ("mine", "separator", "metal", "magnet")
FOCUS_COUNTRY = "CN"


@dataclass
class Report:
    """Everything a rendering needs; no renderer computes anything."""

    meta: dict
    findings: list[str]
    top: pd.DataFrame                       # top chokepoints with a plain-language ``why``
    tables: dict[str, pd.DataFrame]         # sheet/section name -> table
    figures: dict[str, go.Figure]
    methodology: list[tuple[str, str]]
    sources: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    backtests: list[dict] = field(default_factory=list)   # see _backtests
    alerts: Optional[dict] = None                         # see _alerts


# --- building --------------------------------------------------------------------------------
def build_report(net: Network, *, top: int = 10, sinks=None,
                 progress: Optional[Progress] = None, backtests=(),
                 events: Optional[pd.DataFrame] = None, watchlist=None,
                 events_label: str = "events") -> Report:
    """Compute the report's content for ``net`` (``sinks`` as in
    :func:`graphmodel.chokepoints.selected_demand`; ``top`` chokepoints explained;
    ``backtests``: presets or scenario files of real events, each replayed against its
    observed data by :func:`graphmodel.backtest.run_backtest` in a "Backtests" section;
    ``events``: an event table (:func:`graphmodel.events.read_events`) whose alerts for the
    ``watchlist`` (default: every sink) make an "Alerts from events" section)."""
    steps = 7
    tick = (lambda done, label: progress(done, steps, label)) if progress else (lambda *_: None)
    notes: list[str] = []
    demand = ch.selected_demand(net, sinks)
    if demand.sum() <= 0:
        raise TiernError("no sink demand to report on: the sink selection matches no sink "
                         "with demand")
    tick(0, "chokepoints")
    facilities = ch.chokepoints(net, sinks=sinks)
    upstream = facilities[~facilities["id"].isin(net.sinks)].reset_index(drop=True)
    upstream["rank"] = range(1, len(upstream) + 1)
    tick(1, "country and company rollups")
    countries = ch.chokepoints_by_group(net, by="country", sinks=sinks, progress=progress)
    companies = ch.chokepoints_by_group(net, by="company", sinks=sinks, progress=progress)
    tick(2, "sinks: dominators and minimum cuts")
    # one pass over the per-sink shares: each sink's largest dependency, and the shares of
    # the chokepoints explained below (never the whole sinks x facilities matrix)
    dependencies = ch.sink_dependencies(net, demand.index, columns=upstream["id"].head(top),
                                        progress=progress)
    resilience = ch.sink_resilience(net, sinks=sinks, progress=progress, dependencies=dependencies)
    shares = dependencies.shares
    tick(3, "concentration by stage")
    concentration = _concentration(net, notes)
    tick(4, "China exposure per OEM")
    exposure = china_exposure(net, demand.index, notes)
    tick(5, "findings")
    names = net.facilities["name"]
    top_rows = upstream.head(top).copy()
    top_rows["why"] = [why(row, names, shares, demand) for _, row in top_rows.iterrows()]
    meta = _meta(net, demand, sinks, top)
    findings = _findings(net, meta, upstream, countries, companies, resilience,
                         concentration, exposure, demand)
    tick(6, "charts")
    figures = _figures(net, upstream, countries, companies, concentration, exposure, top)
    tables = {
        "Top chokepoints": top_rows,
        "Facilities": upstream,
        "Countries": countries,
        "Companies": companies,
        "Sinks": resilience,
        "Concentration": concentration,
        "China exposure": _exposure_wide(exposure, demand),
    }
    replayed = _backtests(net, backtests, tables, figures, notes)
    alerts = None if events is None else _alerts(net, events, watchlist, events_label, tables)
    report = Report(meta=meta, findings=findings, top=top_rows, tables=tables, figures=figures,
                    methodology=METHODOLOGY + (BACKTEST_METHODOLOGY if replayed else [])
                    + (ALERTS_METHODOLOGY if alerts else []),
                    sources=sources(net), notes=notes, backtests=replayed, alerts=alerts)
    tick(7, "done")
    return report


def _alerts(net: Network, events: pd.DataFrame, watchlist, label: str, tables: dict) -> dict:
    """The alerts of ``events`` (:func:`graphmodel.events.watch`, no state: every event is
    new); their tables join the workbook as "Alerts" and "Events without alert"."""
    found = watch_events(net, events, watchlist=watchlist)
    tables["Alerts"] = found.rows
    tables["Events without alert"] = found.skipped
    return {"file": label, "events": len(events), "alerted": int(found.rows["event_id"].nunique()),
            "sinks": "every sink" if watchlist is None or watchlist.sinks is None
            else ", ".join(watchlist.sinks)}


def _alerts_intro(alerts: dict) -> str:
    return (f"{alerts['alerted']} of the {alerts['events']} events in {alerts['file']} concern "
            f"the watched sinks ({alerts['sinks']}): one row per event and sink that depends on "
            "what the event names, with the words that matched, and the sink's lost share and "
            "time to survive under the event's draft scenario (the rules' default severity and "
            "duration; edit the draft before relying on it). Reproduce with tiern watch "
            f"{alerts['file']} --all.")


_ALERTS_SHOWN = ["date", "event", "kind", "matched_name", "sink_name", "dependence", "lost_share",
                 "tts_months", "confidence", "evidence"]


def _alerts_display(table: pd.DataFrame) -> pd.DataFrame:
    shown = table[[c for c in _ALERTS_SHOWN if c in table.columns]].copy()
    for column in ("dependence", "lost_share"):
        shown[column] = shown[column].map(lambda v: f"{v:.1%}")
    shown["tts_months"] = shown["tts_months"].map(lambda v: "no shortfall" if pd.isna(v) else str(v))
    return shown.rename(columns={"matched_name": "matched", "sink_name": "sink",
                                 "tts_months": "time to survive (months)",
                                 "lost_share": "lost share"})


def _backtests(net: Network, events, tables: dict, figures: dict, notes: list[str]) -> list[dict]:
    """Replay each real event against its observed data; its tables and figure join the
    report's (sheets ``Backtest <year> errors``, ``... months``, ``... stoppages``). An event
    that cannot run on this network becomes a note."""
    from .backtest import backtest_figure, run_backtest
    from .scenarios import load_scenario
    from .scenarios.presets import resolve

    out = []
    for event in events:
        try:
            path = resolve(event)
            spec = load_scenario(path)
            result = run_backtest(net, spec, path.name, path)
        except TiernError as error:
            notes.append(f"Backtest {event} not run on this dataset: {error}")
            continue
        label = f"Backtest {result.month0[:4]}"
        if any(e["label"] == label for e in out):
            label = f"{label} ({len(out) + 1})"
        names = {"errors": f"{label} errors", "months": f"{label} months",
                 "stoppages": f"{label} stoppages"}
        tables[names["errors"]] = result.summary
        tables[names["months"]] = result.rows
        if len(result.stoppages):
            tables[names["stoppages"]] = result.stoppages
        else:
            names.pop("stoppages")
        figures[label] = backtest_figure(result)
        out.append({"label": label, "event": Path(path).stem, "name": spec.name,
                    "fit_until": result.fit_until, "tables": names, "figure": label})
    return out


def _meta(net: Network, demand: pd.Series, sinks, top: int) -> dict:
    meta = dict(net.meta)
    years = pd.concat([net.facilities.get("year", pd.Series(dtype=float)),
                       net.links.get("year", pd.Series(dtype=float))]).dropna()
    meta.update({
        "title": "Rare-earth magnet supply chain: chokepoint report",
        "generated": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "tiern_version": __version__,
        "years": f"{int(years.min())}–{int(years.max())}" if len(years) else "not given",
        "sinks_selected": ", ".join(sinks) if isinstance(sinks, (list, tuple)) else (sinks or "all sinks"),
        "sink_count": len(demand),
        "total_demand": float(demand.sum()),
        "demand_unit": ch._demand_unit(net, demand),
        "top": top,
        "command": "tiern report " + (str(net.path) if net.path else "") + " -o report.pdf"
                   + ("" if not sinks else " --sinks " + (sinks if isinstance(sinks, str) else ",".join(sinks))),
    })
    return meta


def _concentration(net: Network, notes: list[str]) -> pd.DataFrame:
    frames = []
    for basis in ("nameplate", "qualified"):
        try:
            frames.append(concentration(net, FOCUS_COUNTRY, basis=basis))
        except TiernError as error:  # e.g. mixed units at a stage: report it, keep going
            notes.append(f"Concentration ({basis}) not computed: {error}")
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["stage", "country", "basis", "capacity_total", "unit", "share_location",
                 "share_control"])


def china_exposure(net: Network, buyers: pd.Index, notes: Optional[list[str]] = None) -> pd.DataFrame:
    """Share of each buyer's supply that traces back to China at each stage of
    :data:`EXPOSURE_STAGES` present in the network, by location and by control.

    Returns one row per (buyer, stage): ``id, name, sector, country, stage_traced,
    location, control, unknown`` (fractions of the buyer's inbound supply; ``unknown`` =
    supply tracing to no facility of that stage; see :func:`graphmodel.exposure.exposure`).
    """
    present = set(net.facilities["stage"])
    # one frame per stage, columns gathered by position (per-buyer lookups cost seconds at
    # 100,000 facilities); values as before: floats of the exposure tables
    buyer_rows = lookup.positions(net.facilities.index, buyers)
    # lists, so that pandas infers each column's type from the values, as it did from rows
    about = {c: net.facilities[c].to_numpy(dtype=object)[buyer_rows].tolist()
             for c in ("name", "sector", "country")}
    parts = []
    for stage in [s for s in EXPOSURE_STAGES if s in present]:
        try:
            location = exposure(net, FOCUS_COUNTRY, stage, basis="location").set_index("id")
            control = exposure(net, FOCUS_COUNTRY, stage, basis="control").set_index("id")
        except TiernError as error:
            if notes is not None:
                notes.append(f"China exposure at stage {stage} not computed: {error}")
            continue
        at_location = lookup.positions(location.index, buyers)
        at_control = lookup.positions(control.index, buyers)
        parts.append(pd.DataFrame({
            "id": buyers.to_numpy(dtype=object).tolist(), **about,
            "stage_traced": [stage] * len(buyers),
            "location": location["share"].to_numpy(dtype=float)[at_location],
            "control": control["share"].to_numpy(dtype=float)[at_control],
            "unknown": location["unknown"].to_numpy(dtype=float)[at_location],
        }))
    columns = ["id", "name", "sector", "country", "stage_traced", "location", "control", "unknown"]
    if not parts or not len(buyers):  # no rows: untyped (object) columns, as rows gave
        return pd.DataFrame([], columns=columns)
    return pd.concat(parts, ignore_index=True)


def _exposure_wide(exposure: pd.DataFrame, demand: pd.Series) -> pd.DataFrame:
    if exposure.empty:
        return exposure
    wide = exposure.pivot(index="id", columns="stage_traced", values=["location", "control"])
    stages = stages_in(exposure["stage_traced"])
    wide.columns = [f"{stage} ({basis})" for basis, stage in wide.columns]
    ordered = [f"{stage} ({basis})" for stage in stages for basis in ("location", "control")]
    buyers = exposure.drop_duplicates("id").set_index("id")[["name", "sector", "country"]]
    wide = buyers.join(wide[ordered]).reset_index()
    wide.insert(4, "demand", wide["id"].map(demand))
    return wide.sort_values("demand", ascending=False).reset_index(drop=True)


def sources(net: Network) -> pd.DataFrame:
    """The distinct ``source`` citations of facilities and links, with how many rows cite each."""
    cited = pd.concat([
        net.facilities["source"].dropna().to_frame().assign(table="facilities"),
        net.links["source"].dropna().to_frame().assign(table="links"),
    ])
    if cited.empty:
        return pd.DataFrame(columns=["source", "facilities", "links"])
    counts = cited.groupby(["source", "table"]).size().unstack(fill_value=0)
    counts = counts.reindex(columns=["facilities", "links"], fill_value=0)
    counts["rows"] = counts.sum(axis=1)
    counts = counts.sort_values(["rows"], ascending=False).drop(columns="rows")
    return counts.reset_index()


# --- explanations ------------------------------------------------------------------------
def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _country_phrase(name: str) -> str:
    """'the United States', 'the Netherlands', but 'China'."""
    plural = name.startswith(("United ", "Netherlands", "Philippines", "Czech Republic"))
    return f"the {name}" if plural else name


def _pct(value) -> str:
    return "n/a" if pd.isna(value) else f"{value:.0%}"


def _findings(net, meta, upstream, countries, companies, resilience, concentration,
              exposure, demand) -> list[str]:
    unit = meta["demand_unit"]
    names = net.facilities["name"]
    lines = [f"The selected buyers ({meta['sink_count']} sinks: {meta['sinks_selected']}) "
             f"demand {meta['total_demand']:,.0f} {unit}; the network has "
             f"{meta['facilities']} facilities and {meta['links']} links."]
    if len(upstream):
        first = upstream.iloc[0]
        lines.append(f"Largest chokepoint: {first['name']} ({first['stage']}, {first['country']}) "
                     f"carries {_pct(first['criticality'])} of all demand.")
    single = upstream[upstream["single_point_for"].map(len) > 0]
    # a single facility stops the buyer: a dominator, or with recipes one whose outage stops
    # it in the recipe runs (aggregate rows never count)
    cut_by_one = resilience[resilience["single_points"].map(len) > 0]
    lines.append(f"{len(cut_by_one)} of {len(resilience)} buyers can be cut off by a single "
                 f"facility failure ({demand.reindex(cut_by_one['id']).sum() / demand.sum():.0%} "
                 f"of demand); {_count(len(single), 'upstream facility', 'upstream facilities')} "
                 f"{'is a single point' if len(single) == 1 else 'are such single points'} of failure"
                 + ("." if not len(single) else f": {names.get(single['id'].iloc[0])}."
                    if len(single) == 1 else f", led by {names_list(single['id'], names, 3)}."))
    if len(countries):
        c = countries.iloc[0]
        lines.append(f"If every facility in {_country_phrase(c['name'])} failed, "
                     f"{_pct(c['criticality'])} of demand "
                     f"would be lost ({_pct(c['external_demand_at_risk'] / demand.sum())} at "
                     "buyers outside it).")
    if len(companies):
        # Rank suppliers by what others lose: a buyer group's own demand is not supply risk.
        c = companies.sort_values("external_demand_at_risk", ascending=False).iloc[0]
        lines.append(f"Most critical supplier group: {c['name']} ({c['control_country']}); if "
                     f"its {_count(c['facilities'], 'facility', 'facilities')} failed, other "
                     "companies' buyers would "
                     f"lose {_pct(c['external_demand_at_risk'] / demand.sum())} of demand.")
    nameplate = concentration[(concentration.get("basis", pd.Series(dtype=str)) == "nameplate")
                              & concentration["stage"].isin(STAGES)]
    if len(nameplate) and nameplate["share_location"].notna().any():
        top_stage = nameplate.loc[nameplate["share_location"].idxmax()]
        lines.append(f"China's largest capacity share is at the {top_stage['stage']} stage: "
                     f"{_pct(top_stage['share_location'])} by location, "
                     f"{_pct(top_stage['share_control'])} by control (nameplate).")
    if len(exposure):
        weights = exposure["id"].map(demand)
        for stage in ("separator", "magnet"):
            part = exposure[exposure["stage_traced"] == stage]
            if len(part):
                w = weights[part.index]
                lines.append(f"Demand-weighted, {_pct((part['location'] * w).sum() / w.sum())} of "
                             f"buyers' supply passes through Chinese {stage}s "
                             f"({_pct((part['control'] * w).sum() / w.sum())} through "
                             f"Chinese-controlled ones).")
    return lines


def _figures(net, upstream, countries, companies, concentration, exposure, top) -> dict:
    figures = {"Top chokepoints": plot.top_chokepoints_bar(upstream, top=top),
               "Countries": plot.group_bar(countries, top=10),
               "Companies": plot.group_bar(companies, top=10)}
    if len(concentration):
        by_basis = {b: concentration[concentration["basis"] == b] for b in ("nameplate", "qualified")}
        if len(by_basis["nameplate"]):
            figures["Concentration"] = plot.concentration_by_stage(
                by_basis["nameplate"], by_basis["qualified"] if len(by_basis["qualified"]) else None)
    figures["Capacity by country"] = plot.capacity_by_country(summary_by_stage_country(net))
    if len(exposure):
        figures["China exposure"] = plot.exposure_heatmap(exposure, "location")
        figures["China exposure (control)"] = plot.exposure_heatmap(exposure, "control")
    return figures


METHODOLOGY: list[tuple[str, str]] = [
    ("Supply shares",
     "s(v, u) = volume(u → v) / inbound volume(v): the share of facility v's inbound supply "
     "that comes from u (all materials, per year, in v's input unit). Only links carrying "
     "volume count; candidate links carry none. L = (I − S)⁻¹ sums the product of shares "
     "over every path."),
    ("Criticality",
     "criticality(u) = Σₖ w(k) · F(k, u) / W, where w(k) is the demand of sink k (demand.csv, "
     "else its inbound volume), W = Σₖ w(k), and F(k, u) = L[k, u] / L[u, u] is the share of "
     "k's supply that passes through u. Dividing by L[u, u] counts flow that circles a "
     "recycling loop once, not once per lap (L[u, u] = 1 for facilities on no loop). It is "
     "the demand lost if u alone fails and nothing reroutes; demand at risk = criticality · W. "
     "Computed by one backward solve of c = Sᵀc + w. A buyer's own criticality includes its "
     "own demand, so buyers are left out of the ranking. This linear (tonnage) value is the "
     "\"by tonnage\" column."),
    ("Criticality on recipes",
     "When the network has recipes (recipes.csv), criticality(u) = 1 − Σₛ w(s) · pₛ(u) / W, "
     "where pₛ(u) is sink s's production fraction in the monthly engine with u stopped "
     "(f(u) = 0), production following the recipes (each output at the fulfilment of its "
     "scarcest input group), inventories and rerouting off; recycled feed at its steady "
     "month. A magnet maker that loses its only Dy source makes nothing, though Dy is a few "
     "percent of its tonnage. All facilities are computed in one batched engine run (one "
     "column per facility); on networks above 5,000 such facilities, the 2,000 highest by "
     "linear criticality are computed and the rest keep the linear value "
     "(criticality_basis says which). Without recipes it equals the linear value."),
    ("Single points of failure",
     "u is a single point of failure for sink k when every supply path from any origin "
     "(facility without inbound volume) to k passes through u: u dominates k in the graph of "
     "carrying links with a virtual source feeding every origin (dominator tree built level by "
     "level with lowest common ancestors; tested equal to networkx's). With recipes, also "
     "when u's outage stops k entirely in the recipe run (pₛ(u) ≤ 10⁻¹²). Aggregate rows (one "
     "row standing for many plants) are never single points of failure nor companies. The "
     "minimum cut of a sink is the fewest facilities whose joint "
     "failure cuts it off from every origin (minimum s–t node cut)."),
    ("Alternatives",
     "A qualified alternative to u is another operating facility at u's stage with a qualified "
     "link to one of u's customers for the same material. Its spare capacity is, per material, "
     "the capacity for that material (capacities.csv) − its outbound volume of it, else "
     "capacity − outbound volume (never below 0; unknown capacities are left out). Candidate alternatives "
     "have a candidate or in-qualification link into the same customer and material; the "
     "fastest qualification lead time among them is reported. Ranking: criticality, then "
     "fewer alternatives."),
    ("Countries and companies",
     "All facilities of a country (location) or of a company (ultimate owner through majority "
     "stakes > 50 %) fail at once. Availability propagates downstream: a(v) = f(v) at origins "
     "and a(v) = f(v) · Σᵤ s(v, u) a(u) elsewhere, f = 0 for failed facilities; demand lost "
     "at sink k = w(k) · (a₀(k) − a(k)), a₀ with nothing failed (1 when all supply traces to "
     "origins). 'At buyers outside it' leaves out the group's own sinks."),
    ("Concentration and exposure",
     "Concentration: a country's share of each stage's capacity, by location and by control "
     "(ultimate owner's country), on nameplate capacity and on qualified capacity (capacity "
     "reaching customers over qualified links). Exposure: the share of a buyer's supply that "
     "traces back, through the share matrix, to facilities of a stage located in (or "
     "controlled from) China; tracing stops at the nearest facility of that stage."),
    ("Limits",
     "A static, steady-state model of annual volumes: no inventories, rerouting or time "
     "(see tiern scenarios for disruptions over time). Results are only as complete as the "
     "dataset: a facility or link missing from it is invisible here."),
]


ALERTS_METHODOLOGY: list[tuple[str, str]] = [
    ("Alerts from events",
     "Each event's title and text are matched word by word to facility names, owners, "
     "countries, materials and elements, and its kind (outage, export control, sanction, "
     "licence, strike, weather) to the keywords of the rules; every match keeps its words as "
     "evidence and a confidence. A watched sink's dependence is the share of its supply lost if "
     "the matched facilities fail together (Tier-N propagation), or its largest exposure to a "
     "matched country at any stage. The event's draft scenario (shock of the kind's type, "
     "default severity and duration, order lead time 2 months) gives lost share and time to "
     "survive."),
]

BACKTEST_METHODOLOGY: list[tuple[str, str]] = [
    ("Backtests",
     "A preset that stands for a real event is replayed month by month and its simulated "
     "series compared with the observed one (data/observed): simulated = the selected links' "
     "delivery as a fraction of its unshocked value times the observed baseline level. "
     "error = (simulated − observed) / observed; MAPE = mean |error| over months with "
     "observed > 0; MAE / baseline = mean |simulated − observed| / baseline; the trough month "
     "is the month with the lowest observed value. Months up to the calibration cut-off are "
     "'fit', later ones 'held_out'. A documented stoppage is short_in_model when the sinks it "
     "maps to are short within one month of its date (months_off = nearest short month − "
     "stoppage month)."),
]


def _backtest_intro(event: dict) -> str:
    fit = f"fitted up to {event['fit_until']}, later months held out" if event["fit_until"] \
        else "no calibration cut-off"
    return (f"{event['name']} (preset {event['event']}; {fit}): observed against simulated, "
            "the error per series and each documented stoppage. Reproduce with "
            f"tiern backtest {event['event']}.")


_BACKTEST_SHOWN = {"errors": ["series", "split", "months", "unit", "mape", "mae_baseline",
                              "trough_month", "trough_observed", "trough_simulated"],
                   "months": ["series", "month", "split", "unit", "observed", "simulated", "error"],
                   "stoppages": ["company", "country", "date", "split", "sink", "short_in_model",
                                 "months_off"]}


def _backtest_display(kind: str, table: pd.DataFrame) -> pd.DataFrame:
    shown = table[[c for c in _BACKTEST_SHOWN[kind] if c in table.columns]].copy()
    for column in ("mape", "mae_baseline", "error"):
        if column in shown:
            shown[column] = shown[column].map(lambda v: "" if pd.isna(v) else f"{v:+.1%}"
                                              if column == "error" else f"{v:.1%}")
    for column in ("observed", "simulated", "trough_observed", "trough_simulated"):
        if column in shown:
            shown[column] = shown[column].map(lambda v: "" if pd.isna(v) else f"{v:,.4g}")
    shown = shown.astype(object).where(shown.notna(), "")
    return shown.rename(columns={"mape": "MAPE", "mae_baseline": "MAE / baseline"}).rename(
        columns=lambda c: c.replace("_", " "))


# --- rendering -----------------------------------------------------------------------------
def write_report(report: Report, path: Path, progress: Optional[Progress] = None) -> Path:
    """Render ``report`` to ``path``; the format follows the extension (see module docstring)."""
    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in REPORT_FORMATS:
        raise TiernError(f"cannot write a report as '.{suffix}' (expected one of "
                         f"{', '.join('.' + f for f in REPORT_FORMATS)})")
    output_path(path)
    if suffix == "xlsx":
        sheets = xlsx_sheets(report)
        write_xlsx(sheets, path, readme=xlsx_readme(report, sheets),
                   shares={name: [c for c in table.columns if _is_percent(c) or is_share(str(c))]
                           for name, table in sheets.items()})
    elif suffix == "md":
        write_text(to_markdown(report), path)
    elif suffix == "html":
        write_text(to_html(report), path)
    else:
        from weasyprint import HTML

        images = static_images(report.figures, progress=progress)
        HTML(string=to_html(report, images=images)).write_pdf(path)
    return path


def xlsx_sheets(report: Report) -> dict[str, pd.DataFrame]:
    """The workbook: a summary sheet, one sheet per table, methodology and sources."""
    meta = report.meta
    summary = pd.DataFrame(
        [("Report", meta["title"]), ("Dataset", meta["name"]), ("Dataset hash", meta["hash"]),
         ("Data years", meta["years"]), ("Generated", meta["generated"]),
         ("tiern version", meta["tiern_version"]), ("Buyers (sinks)", meta["sinks_selected"]),
         ("Total demand", f"{meta['total_demand']:,.0f} {meta['demand_unit']}"),
         ("Reproduce with", meta["command"])]
        + [(f"Finding {i}", text) for i, text in enumerate(report.findings, 1)]
        + [("Note", note) for note in report.notes],
        columns=["item", "value"])
    sheets = {"Summary": summary}
    sheets.update(report.tables)
    sheets["Methodology"] = pd.DataFrame(report.methodology, columns=["topic", "definition"])
    sheets["Sources"] = report.sources
    return move_long_cells(sheets)


#: What each sheet of the workbook holds (its README sheet); backtest sheets are described
#: by :func:`xlsx_readme` from their kind.
SHEET_NOTES = {
    "Summary": "The report's headline: dataset, hash, data years, buyers, total demand, the "
               "command that reproduces it, and the findings in words.",
    "Top chokepoints": "The top facilities by criticality (share of the buyers' demand lost "
                       "if the facility alone stops and nothing is rerouted), with why each "
                       "is a chokepoint; buyers themselves are not ranked.",
    "Facilities": "Every facility upstream of the buyers, ranked by criticality, with "
                  "demand at risk, the buyers it is a single point of failure for, "
                  "alternatives and their spare capacity, and qualification lead times.",
    "Countries": "Every facility located in one country stops at once: the share of demand "
                 "lost, at all buyers and at buyers outside the country.",
    "Companies": "Every facility one group controls (majority stakes followed upward) stops "
                 "at once: the share of demand lost.",
    "Sinks": "Each buyer: its demand, the fewest facilities whose joint failure cuts it off "
             "(min cut), its single points of failure and its largest dependency.",
    "Concentration": "Per stage: capacity, China's share by location and by control, HHI by "
                     "country and company (0-10,000), the top country and company.",
    "China exposure": "Per buyer: the share of its supply tracing back to Chinese facilities "
                      "at the mine, separator, metal and magnet stages, by location and by "
                      "control.",
    "Methodology": "Definitions and formulas behind every column.",
    "Sources": "Every source the dataset cites, with the number of facility and link rows "
               "citing it.",
    LONG_CELLS: "Cells longer than the 32,767 characters an XLSX cell holds (long lists of "
                "alternatives on large networks), in parts: sheet, spreadsheet row, the row's "
                "id, column, part number and text. Join the parts in order for the full cell; "
                "the cell itself points here.",
}
_BACKTEST_NOTES = {
    "errors": "observed against simulated per series: MAPE and MAE relative to the baseline, "
              "on the fitted and held-out months, and the trough.",
    "months": "observed and simulated values month by month.",
    "stoppages": "the documented production stoppages and whether the model's buyers are "
                 "short within a month of each.",
}


def xlsx_readme(report: Report, sheets: dict[str, pd.DataFrame]) -> dict[str, str]:
    """Sheet name -> what it holds, for the workbook's README sheet. Shares are formatted
    as percentages (the values keep full precision), quantities with thousands separators;
    every header has a filter."""
    notes = dict(SHEET_NOTES)
    for event in report.backtests:
        for kind, name in event["tables"].items():
            notes[name] = f"Backtest of {event['name']}: {_BACKTEST_NOTES[kind]}"
    return {name: notes.get(name, "") for name in sheets}


def _is_percent(column) -> bool:
    column = str(column)
    return column in _PERCENT or "(location)" in column or "(control)" in column


# Columns shown in the HTML/PDF/Markdown tables (the workbook keeps every column).
_SHOWN = {
    "Top chokepoints": ["rank", "name", "stage", "country", "criticality", "criticality_linear",
                        "demand_at_risk", "single_point_for", "n_alternatives", "fastest_qualification_months"],
    "Countries": ["rank", "name", "facilities", "criticality", "demand_at_risk",
                  "external_demand_at_risk", "single_point_for"],
    "Companies": ["rank", "name", "control_country", "facilities", "criticality",
                  "demand_at_risk", "single_point_for"],
    "Sinks": ["name", "sector", "country", "demand", "min_cut_size", "single_points",
              "largest_dependency", "largest_dependency_share"],
    "Concentration": ["stage", "basis", "capacity_total", "unit", "share_location",
                      "share_control", "hhi_country", "top_country", "top_company"],
    "China exposure": ["name", "sector", "country", "demand", "mine (location)", "mine (control)",
                       "separator (location)", "separator (control)", "metal (location)",
                       "metal (control)", "magnet (location)", "magnet (control)"],
}
_PERCENT = {"criticality", "criticality_linear", "largest_dependency_share", "share_location", "share_control",
            "top_country_share", "top_company_share", "coverage", "supply_traced"}
_HEADERS = {
    "criticality": "criticality (share of demand)", "demand_at_risk": "demand at risk",
    "criticality_linear": "by tonnage (linear)",
    "single_point_for": "single point of failure for (buyers)",
    "single_points": "single points of failure",
    "n_alternatives": "alternatives (facilities)",
    "fastest_qualification_months": "qualification lead time (months)",
    "external_demand_at_risk": "at other buyers", "min_cut_size": "min cut",
    "largest_dependency": "largest dependency", "largest_dependency_share": "its share",
    "capacity_total": "capacity", "share_location": "CN share (location)",
    "share_control": "CN share (control)", "hhi_country": "HHI (country)",
    "control_country": "control", "top_country": "top country", "top_company": "top company",
}


def _display(name: str, table: pd.DataFrame, names: pd.Series, limit: int = 25) -> pd.DataFrame:
    """A table formatted for reading: chosen columns, ids as names, %, thousands separators."""
    shown = table[[c for c in _SHOWN.get(name, table.columns) if c in table.columns]].head(limit).copy()
    for column in shown.columns:
        values = shown[column]
        if column == "single_point_for":  # names are in the "why" text; a count reads better
            shown[column] = values.map(lambda ids: len(ids) if isinstance(ids, list) else 0)
        elif values.map(lambda v: isinstance(v, list)).any():
            shown[column] = values.map(lambda ids: names_list(ids, names, 3) if isinstance(ids, list) else "")
        elif _is_percent(column):
            shown[column] = values.map(_pct)
        elif column == "largest_dependency":
            shown[column] = values.map(lambda i: names.get(i, i) if isinstance(i, str) else "")
        elif pd.api.types.is_float_dtype(values):
            shown[column] = values.map(lambda v: "" if pd.isna(v) else f"{v:,.0f}" if abs(v) >= 10
                                       else f"{v:,.2f}".rstrip("0").rstrip("."))
    shown = shown.astype(object).where(shown.notna(), "")
    return shown.rename(columns=lambda c: _HEADERS.get(c, c.replace("_", " ")))


_SECTIONS = [  # (table name, heading, figures shown after it, intro)
    ("Countries", "Countries: everything in one country fails", ["Countries"],
     "Demand lost if every facility located in the country stopped at once."),
    ("Companies", "Companies: everything one group controls fails", ["Companies"],
     "Facilities grouped by ultimate owner (majority stakes followed upward)."),
    ("Sinks", "Buyers: how easily each can be cut off", [],
     "Minimum cut: the fewest facilities whose joint failure leaves the buyer with no supply "
     "path from any origin. Dominators: facilities every supply path passes through."),
    ("Concentration", "Concentration by stage", ["Concentration", "Capacity by country"],
     "China's share of each stage's capacity, by location and by control (ultimate owner), on "
     "nameplate capacity and on capacity qualified with customers."),
    ("China exposure", "China exposure per OEM", ["China exposure", "China exposure (control)"],
     "Share of each buyer's supply that traces back to Chinese facilities at each stage."),
]

_CSS = """
@page { size: A4; margin: 16mm 14mm 18mm 14mm;
        @bottom-right { content: "page " counter(page) " of " counter(pages); font-size: 8pt; color: #555;
                        font-family: "DejaVu Sans", sans-serif; }
        @bottom-left { content: "tiern chokepoint report · dataset %(hash)s"; font-size: 8pt; color: #555;
                       font-family: "DejaVu Sans", sans-serif; } }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: #222; font-size: 10.5pt;
       line-height: 1.4; max-width: 1100px; margin: 0 auto; padding: 0 12px; }
h1 { font-size: 20pt; color: #1F3A5F; margin-bottom: 4px; }
h2 { font-size: 14pt; color: #1F3A5F; border-bottom: 2px solid #1F3A5F; padding-bottom: 2px; margin-top: 22px;
     break-after: avoid; }
h3 { font-size: 11pt; margin: 10px 0 2px 0; break-after: avoid; }
.meta { color: #444; font-size: 9.5pt; }
.meta code { background: #eef2f7; padding: 0 3px; }
table { border-collapse: collapse; width: 100%%; font-size: 8.5pt; margin: 6px 0 12px 0; }
th { background: #1F3A5F; color: #fff; text-align: left; padding: 3px 5px; }
td { border-bottom: 1px solid #d8dee6; padding: 3px 5px; vertical-align: top; }
tr:nth-child(even) td { background: #f5f7fa; }
tr { break-inside: avoid; }
table { table-layout: fixed; }
th, td { overflow-wrap: anywhere; hyphens: auto; }
th { font-size: 8pt; vertical-align: bottom; }
th.name { width: 28%%; }
table.sources { font-size: 7.5pt; } th.source { width: 80%%; }
.figure { margin: 8px 0 14px 0; break-inside: avoid; }
.figure img { width: 100%%; }
.why { margin: 0 0 8px 0; }
.why b { color: #1F3A5F; }
.note { color: #8a4b00; }
ul.findings li { margin-bottom: 4px; }
dl dt { font-weight: bold; margin-top: 8px; } dl dd { margin-left: 0; }
"""


#: Print edition (PDF, A4): the page's own width, a cover page with the findings, the
#: sources as an appendix starting on a page of their own.
_PRINT_CSS = """
body { max-width: none; padding: 0; }
.cover { break-after: page; }
.cover h1 { font-size: 24pt; margin-top: 20mm; }
.cover ul.findings { font-size: 11pt; }
.appendix { break-before: page; }
"""


def to_html(report: Report, images: Optional[dict[str, str]] = None) -> str:
    """The report as one self-contained HTML page.

    ``images`` (figure name -> data URI) switches to static charts (for PDF); otherwise the
    charts are interactive, with plotly.js inlined once so the page works offline.
    """
    meta = report.meta
    names = _all_names(report)
    e = html.escape
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
             f"<title>{e(meta['title'])}</title><style>{_CSS % {'hash': e(meta['hash'])}}"
             f"{_PRINT_CSS if images is not None else ''}</style></head><body>"]
    if images is not None:
        parts.append("<section class='cover'>")
    parts.append(f"<h1>{e(meta['title'])}</h1>")
    parts.append(
        f"<p class='meta'>Dataset <b>{e(str(meta['name']))}</b> · hash <code>{e(meta['hash'])}</code> · "
        f"data years {e(meta['years'])} · {meta['facilities']} facilities, {meta['links']} links · "
        f"buyers: {e(str(meta['sinks_selected']))} · generated {e(meta['generated'])} with tiern "
        f"{e(meta['tiern_version'])}</p>")
    parts.append("<h2>Summary</h2><ul class='findings'>"
                 + "".join(f"<li>{e(line)}</li>" for line in report.findings) + "</ul>")
    parts += [f"<p class='note'>{e(note)}</p>" for note in report.notes]
    if images is not None:
        parts.append("</section>")
    figure_counter = iter(range(1000))

    def figure(name: str) -> str:
        fig = report.figures.get(name)
        if fig is None:
            return ""
        if images is not None:
            return f"<div class='figure'><img alt='{e(name)}' src='{images[name]}'></div>"
        first = next(figure_counter) == 0
        return "<div class='figure'>" + fig.to_html(
            full_html=False, include_plotlyjs=True if first else False,
            config={"displaylogo": False, "responsive": True}) + "</div>"

    parts.append(f"<h2>Top {len(report.top)} chokepoints</h2>")
    parts.append("<p>Facilities ranked by the share of buyers' demand whose supply passes "
                 "through them (the demand lost if the facility alone failed and nothing "
                 "rerouted); ties go to the one with fewer alternatives. Buyers themselves are "
                 "not ranked.</p>")
    parts.append(figure("Top chokepoints"))
    parts.append(_html_table(_display("Top chokepoints", report.top, names)))
    parts.append("<h3>Why each is a chokepoint</h3>")
    for _, row in report.top.iterrows():
        parts.append(f"<p class='why'><b>{row['rank']}. {e(str(row['name']))}</b> "
                     f"({e(row['stage'])}, {e(str(row['country']))}, {e(str(row['owner']))}): "
                     f"{e(row['why'])}</p>")
    for table_name, heading, figure_names, intro in _SECTIONS:
        table = report.tables.get(table_name)
        parts.append(f"<h2>{e(heading)}</h2><p>{e(intro)}</p>")
        parts += [figure(n) for n in figure_names]
        if table is not None and len(table):
            parts.append(_html_table(_display(table_name, table, names)))
            if len(table) > 25:
                parts.append(f"<p class='meta'>First 25 of {len(table)} rows; the workbook "
                             "edition (.xlsx) has them all.</p>")
    if report.backtests:
        parts.append("<h2>Backtests: the model against real events</h2>")
    for event in report.backtests:
        parts.append(f"<h3>{e(event['name'])}</h3><p>{e(_backtest_intro(event))}</p>")
        parts.append(figure(event["figure"]))
        for kind, name in event["tables"].items():
            table = _backtest_display(kind, report.tables[name])
            limit = None if kind != "months" else 40
            parts.append(_html_table(table, limit=limit))
    if report.alerts:
        parts.append("<h2>Alerts from events</h2>"
                     f"<p>{e(_alerts_intro(report.alerts))}</p>")
        if len(report.tables["Alerts"]):
            parts.append(_html_table(_alerts_display(report.tables["Alerts"]), limit=None))
        if len(report.tables["Events without alert"]):
            parts.append("<h3>Events without alert, and why</h3>")
            parts.append(_html_table(report.tables["Events without alert"][["date", "event", "reason"]],
                                     limit=None))
    parts.append("<h2>Methodology</h2><dl>" + "".join(
        f"<dt>{e(topic)}</dt><dd>{e(text)}</dd>" for topic, text in report.methodology) + "</dl>")
    if images is not None:
        parts.append("<section class='appendix'><h2>Appendix: data sources</h2>")
    else:
        parts.append("<h2>Data sources</h2>")
    parts.append(f"<p>Every figure comes from the dataset <b>{e(str(meta['name']))}</b> "
                 f"(content hash <code>{e(meta['hash'])}</code>, data years {e(meta['years'])}). "
                 f"Reproduce this report with <code>{e(meta['command'])}</code> on a dataset with "
                 "the same hash. Sources cited by the dataset (rows citing each):</p>")
    parts.append(_html_table(report.sources.astype(object), limit=None, css="sources"))
    if images is not None:
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(p for p in parts if p)


def _html_table(table: pd.DataFrame, limit: Optional[int] = 25, css: str = "") -> str:
    e = html.escape
    rows = table if limit is None else table.head(limit)
    head = "".join(f"<th class='{c if c in ('name', 'source') else ''}'>{e(str(c))}</th>"
                   for c in rows.columns)
    body = "".join("<tr>" + "".join(f"<td>{e(str(v))}</td>" for v in row) + "</tr>"
                   for row in rows.itertuples(index=False))
    return f"<table class='{css}'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _all_names(report: Report) -> pd.Series:
    facilities = report.tables["Facilities"]
    sinks = report.tables["Sinks"]
    return pd.concat([facilities.set_index("id")["name"], sinks.set_index("id")["name"]])


def static_images(figures: dict[str, go.Figure], fmt: str = "svg",
                  progress: Optional[Progress] = None) -> dict[str, str]:
    """Render figures to data URIs in one kaleido browser session.

    Kaleido 1.x drives Chromium; it finds ``/usr/bin/chromium`` (or ``$BROWSER_PATH``).
    Kaleido returns the errors of single figures instead of raising them (plotly's
    ``write_images`` drops them), so every error and every image file that was not written
    is collected and raised as one :class:`graphmodel.errors.OutputError` naming the charts
    and the cause, before anything reads a missing file.
    """
    import os

    import kaleido

    if "BROWSER_PATH" not in os.environ and Path("/usr/bin/chromium").exists():
        os.environ["BROWSER_PATH"] = "/usr/bin/chromium"
    names = list(figures)
    if progress:
        progress(0, 1, f"rendering {len(names)} charts")
    with tempfile.TemporaryDirectory() as folder:
        files = [Path(folder) / f"figure{i}.{fmt}" for i in range(len(names))]
        specs = [{"fig": figures[name], "path": file,
                  "opts": {"format": fmt,
                           "width": figures[name].layout.width or _IMAGE_SIZE[0],
                           "height": figures[name].layout.height or _IMAGE_SIZE[1]}}
                 for name, file in zip(names, files)]
        try:
            errors = kaleido.write_fig_from_object_sync(specs, cancel_on_error=False) or ()
        except Exception as error:   # no browser, a crashed browser: the whole batch failed
            raise OutputError(f"the report's charts could not be rendered as {fmt.upper()} "
                              f"by kaleido (Chromium): {type(error).__name__}: {error}") from error
        missing = [name for name, file in zip(names, files)
                   if not file.exists() or file.stat().st_size == 0]
        if errors or missing:
            causes = "; ".join(f"{type(e).__name__}: {e}" for e in errors) or "no error reported"
            raise OutputError(f"{len(missing) or len(errors)} of {len(names)} charts could not be "
                              f"rendered as {fmt.upper()} by kaleido (Chromium)"
                              + (f": {', '.join(missing)}" if missing else "")
                              + f" ({causes})")
        mime = "image/svg+xml" if fmt == "svg" else f"image/{fmt}"
        uris = {name: f"data:{mime};base64," + base64.b64encode(file.read_bytes()).decode()
                for name, file in zip(names, files)}
    if progress:
        progress(1, 1, "charts rendered")
    return uris


#: Width and height (px) of a chart image when its layout sets none (plotly's own default).
_IMAGE_SIZE = (700, 500)


def to_markdown(report: Report) -> str:
    """The report as Markdown: text and tables (charts are in the HTML and PDF editions)."""
    meta = report.meta
    names = _all_names(report)
    md = markdown_text
    lines = [f"# {md(meta['title'])}", "",
             f"Dataset **{md(meta['name'])}** · hash `{meta['hash']}` · data years {meta['years']} · "
             f"{meta['facilities']} facilities, {meta['links']} links · buyers: "
             f"{meta['sinks_selected']} · generated {meta['generated']} with tiern "
             f"{meta['tiern_version']}", "", "## Summary", ""]
    lines += [f"- {md(line)}" for line in report.findings] + [""]
    lines += [f"> {md(note)}" for note in report.notes]
    lines += [f"## Top {len(report.top)} chokepoints", "",
              markdown_table(_display("Top chokepoints", report.top, names)), "",
              "### Why each is a chokepoint", ""]
    lines += [f"{row['rank']}. **{md(row['name'])}** ({row['stage']}, {row['country']}): {md(row['why'])}"
              for _, row in report.top.iterrows()] + [""]
    for table_name, heading, _, intro in _SECTIONS:
        table = report.tables.get(table_name)
        lines += [f"## {heading}", "", intro, ""]
        if table is not None and len(table):
            lines += [markdown_table(_display(table_name, table, names)), ""]
    if report.backtests:
        lines += ["## Backtests: the model against real events", ""]
    for event in report.backtests:
        lines += [f"### {event['name']}", "", _backtest_intro(event), ""]
        for kind, name in event["tables"].items():
            lines += [markdown_table(_backtest_display(kind, report.tables[name])), ""]
    if report.alerts:
        lines += ["## Alerts from events", "", md(_alerts_intro(report.alerts)), ""]
        for name in ("Alerts", "Events without alert"):
            table = report.tables[name]
            if len(table):
                shown = _alerts_display(table) if name == "Alerts" else \
                    table[["date", "event", "reason"]]
                lines += [f"### {name}", "", markdown_table(shown), ""]
    lines += ["## Methodology", ""]
    lines += [f"- **{topic}.** {text}" for topic, text in report.methodology] + [""]
    lines += ["## Data sources", "",
              f"Dataset hash `{meta['hash']}`, data years {meta['years']}. Reproduce with "
              f"`{meta['command']}`.", "", markdown_table(report.sources), ""]
    return "\n".join(lines)


__all__ = ["REPORT_FORMATS", "Report", "build_report", "write_report", "china_exposure",
           "sources", "xlsx_sheets", "xlsx_readme", "SHEET_NOTES", "to_html", "to_markdown", "static_images"]
