"""Backtests: a preset that stands for a real event, replayed against what was observed.

A preset's ``observed:`` block (:mod:`graphmodel.scenarios.observed`) names observed
series and the simulated quantity each is compared with. For series ``s`` with selected
links ``L_s`` (annual volume ``V_e``), the simulated value in scenario month ``t`` is

.. math::

    \\hat y_s(t) = B_s \\, \\frac{\\sum_{e \\in L_s} d_e(t)}{\\sum_{e \\in L_s} V_e / 12},
    \\qquad d_e(t) = \\frac{V_e}{12}\\, p_{u(e), m(e)}(t)\\, g_e(t) + r_e(t),

where ``p_{u,m}`` is the supplier's production fraction of the link's material
(:attr:`Simulation.slot_supply_all`; last month's for links out of recyclers), ``g_e``
the link factor of the shocks, ``r_e`` the volume rerouted onto the link, and the
*baseline scaling* ``B_s`` the mean of the observed series over its baseline months
(``baseline.months``, inclusive): the unshocked network delivers ``B_s`` a month.

Errors per compared month (observed ``y > 0``): ``error = (yhat - y) / y``; per series,
``MAPE = (1/N) sum |yhat - y| / y`` over the months with ``y > 0`` (a fraction: 0.12 =
12%), ``MAE = (1/N) sum |yhat - y|`` over all compared months (series unit), ``MAE / B_s``, and the
error at the *trough month* (the compared month with the lowest observed value; null when
that value is 0). Months up to ``fit_until`` are split ``fit``, later ones ``held_out``.

Stoppages: a documented stoppage maps to sinks (the ``map`` of the block, else the sinks
of its country (``EU`` = EU-27) and sector). The group is *short* in month ``t`` when any
of its sinks' supply is below ``1 - 1e-9`` (the ``tts_months`` test). ``months_off`` is
the distance from the stoppage's month ``m_s`` to the nearest short month ``m*``,
``m* - m_s`` (the earlier one on a tie), null when the group is never short;
``short_in_model`` is ``|months_off| <= 1``.

Responses (``--by response``): per sink, the simulated (greedy) response against the
optimal one (:mod:`.scenarios.optimal`): ``simulated_tts_months`` (first short month,
whole months), ``optimal_tts_months`` (Simchi-Levi's TTS: continuous, network-wide, the
same in every row), both responses' ``min_supply`` and ``lost_volume`` (the sink's demand
unit), and the documented ``stoppages`` that map to the sink. A stoppage in month
``m_s`` (scenario months) was avoidable by the best response when
``optimal_tts_months > m_s + 1`` (all demand could still be met after that month).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .network import Network
from .scenarios.core import Draws, Topology, central_draws, compile_factors
from .scenarios.run import SHORTFALL_TOLERANCE, select_sink_columns
from .scenarios.model import Scenario, ScenarioFileError
from .scenarios.observed import (Observed, ObservedSeries, month_index, month_name, period_end,
                                 period_months)
from .scenarios.select import facility_mask, link_mask
from .scenarios.simulate import simulate
from .settings import OBSERVED_DIR

ROW_COLUMNS = ["series", "month", "split", "unit", "observed", "simulated", "error"]
SUMMARY_COLUMNS = ["series", "split", "months", "unit", "mape", "mae", "mae_baseline",
                   "trough_month",
                   "trough_observed", "trough_simulated", "trough_error"]
RESPONSE_COLUMNS = ["id", "name", "country", "sector", "stoppages", "simulated_tts_months",
                    "optimal_tts_months", "simulated_min_supply", "optimal_min_supply",
                    "simulated_lost_volume", "optimal_lost_volume"]
STOPPAGE_COLUMNS = ["company", "country", "sector", "date", "split", "sink", "short_in_model",
                    "months_off"]


def real_event_presets() -> list[str]:
    """Presets that stand for a real event (an ``observed:`` block), the calibrated version
    of an event in place of its source preset."""
    from .scenarios.model import load_scenario
    from .scenarios.presets import preset_paths

    stems = {p.stem: p for p in preset_paths()}
    chosen = []
    for stem, path in stems.items():
        if f"{stem}-calibrated" in stems:
            continue
        try:
            if load_scenario(path).observed is not None:
                chosen.append(stem)
        except ScenarioFileError:
            continue
    return chosen


def observed_path(name: str, scenario_file: str | Path | None = None) -> Path:
    """An observed file: absolute, next to the scenario file, else under ``data/observed``."""
    path = Path(name)
    if path.is_absolute():
        return path
    if scenario_file is not None:
        beside = Path(scenario_file).parent / path
        if beside.is_file():
            return beside
    return OBSERVED_DIR / path


@dataclass
class SeriesData:
    """One observed series ready for comparison."""

    spec: ObservedSeries
    values: pd.Series          # period (YYYY-MM, or YYYY for annual series) -> observed
    unit: str
    baseline: float            # B_s
    links: np.ndarray          # (E,) links of the simulated quantity
    compared: list[str]        # periods compared (all their months within the horizon)
    months: list[np.ndarray]   # the scenario months of each compared period

    def simulated(self, values: np.ndarray) -> np.ndarray:
        """Per compared period, the mean of the monthly simulated values: (periods, K)."""
        return np.stack([values[m].mean(axis=0) for m in self.months]) if self.months \
            else np.zeros((0, values.shape[1]))


def _require_observed(spec: Scenario, file: str) -> Observed:
    if spec.observed is None:
        raise ScenarioFileError(file, [("observed", "this scenario has no observed: block, so "
                                                    "there is nothing to backtest")])
    return spec.observed


def load_series(net: Network, spec: Scenario, file: str, scenario_file=None) -> list[SeriesData]:
    """Read every observed series of ``spec`` and select its links; errors name the field."""
    observed = _require_observed(spec, file)
    out = []
    for i, item in enumerate(observed.series):
        where = f"observed.series[{i}]"
        path = observed_path(item.file, scenario_file)
        if not path.is_file():
            raise ScenarioFileError(file, [(f"{where}.file", f"no such observed file '{item.file}'")])
        table = pd.read_csv(path, keep_default_na=False, dtype=str)
        if "month" not in table and "period" in table:
            table = table.rename(columns={"period": "month"})
        missing = [c for c in ("series", "month", "value", "unit") if c not in table]
        if "partner" not in table and item.partner != "WORLD":
            missing.append("partner")
        if missing:
            raise ScenarioFileError(file, [(f"{where}.file", f"{path.name} lacks columns "
                                                             f"{', '.join(missing)}")])
        rows = table[table["series"] == item.series]
        if "partner" in table:
            rows = rows[rows["partner"] == item.partner]
        rows = rows[~rows["month"].isin(item.exclude_months)]
        rows = rows[rows["month"].str.len() == (4 if item.resolution == "year" else 7)]
        if rows.empty:
            raise ScenarioFileError(file, [(f"{where}.series", f"no rows for series "
                                            f"'{item.series}' and partner '{item.partner}' in {path.name}")])
        if rows["month"].duplicated().any():
            month = rows.loc[rows["month"].duplicated(), "month"].iloc[0]
            raise ScenarioFileError(file, [(f"{where}.series", f"{path.name} has two rows for "
                                            f"{item.series} {item.partner} {month}; exclude one")])
        units = rows["unit"].unique()
        if len(units) != 1:
            raise ScenarioFileError(file, [(f"{where}.series", f"mixed units {', '.join(units)}")])
        values = pd.Series(pd.to_numeric(rows["value"]).to_numpy(float), index=rows["month"]).sort_index()
        first, last = item.baseline.months
        base = values[(values.index >= first) & (values.index <= last)]
        if base.empty or base.mean() <= 0:
            raise ScenarioFileError(file, [(f"{where}.baseline.months", f"no positive observed "
                                            f"value between {first} and {last} in {path.name}")])
        links = series_links(net, item)
        if not links.any():
            raise ScenarioFileError(file, [(f"{where}.simulated", "selects no link with volume "
                                                                  "in this network")])
        compared, months = [], []
        for period in values.index:
            covered = np.array(period_months(period, observed.month0))
            if covered.min() >= 0 and covered.max() < spec.horizon_months:
                compared.append(period)
                months.append(covered)
        out.append(SeriesData(spec=item, values=values, unit=str(units[0]), baseline=float(base.mean()),
                              links=links, compared=compared, months=months))
    return out


def series_links(net: Network, item: ObservedSeries) -> np.ndarray:
    """Links of a series' simulated quantity that carry volume today."""
    quantity = item.simulated
    mask = link_mask(net, quantity.links_from, quantity.to)
    if quantity.to_outside:
        country = net.links["customer"].map(net.facilities["country"])
        mask = mask & ~country.isin(quantity.to_outside).to_numpy(dtype=bool)
    return mask & (net.links["volume"].to_numpy(dtype=float) > 0)


class Evaluator:
    """Runs a scenario's columns and reads the observed quantities off the simulation.

    ``run(draws)`` returns simulated values per series, shape (T, K) in the series' unit,
    and the sinks' supply (T, sinks, K) of the columns without sink-scoped shocks.
    """

    def __init__(self, net: Network, spec: Scenario, file: str = "<scenario>", scenario_file=None):
        self.net, self.spec, self.file = net, spec, file
        self.observed = _require_observed(spec, file)
        self.topo = Topology.of(net)
        self.series = load_series(net, spec, file, scenario_file)

    def run(self, draws: Draws, stock_months: np.ndarray | None = None
            ) -> tuple[list[np.ndarray], np.ndarray]:
        """Simulate ``draws``; ``stock_months`` ((n,) or (n, runs)) overrides inventories."""
        spec, topo = self.spec, self.topo
        compiled = compile_factors(self.net, topo, spec, draws)
        responses = spec.responses
        if stock_months is not None and stock_months.ndim == 2:
            # one column per run, repeated for every sink-scope group of columns
            stock_months = np.tile(stock_months, (1, len(compiled.groups)))
        sim = simulate(topo, compiled, responses, inventory=responses.inventory,
                       reroute=responses.reroute, record_slots=True, stock_months=stock_months)
        base = compiled.column_group == 0
        slots = sim.slot_supply_all[:, :, base]                         # (T, P, R)
        previous = np.concatenate([np.ones_like(slots[:1]), slots[:-1]], axis=0)
        monthly = topo.volume / 12.0
        link_slot = topo.production.link_slot
        values = []
        for data in self.series:
            links = np.flatnonzero(data.links)
            source = np.where(topo.lagged[links][None, :, None], previous[:, link_slot[links]],
                              slots[:, link_slot[links]])
            delivered = monthly[links][None, :, None] * source * compiled.g[:, links][:, :, base] \
                + sim.rerouted[:, links][:, :, base]
            fraction = delivered.sum(axis=1) / monthly[links].sum()
            values.append(fraction * data.baseline)
        supply = np.where(sim.supply > 1.0 - 1e-12, 1.0, sim.supply)
        sinks = select_sink_columns(self.net, compiled, supply)
        return values, sinks


@dataclass
class BacktestResult:
    """Month rows, per-series summary and stoppage checks (tables ready for ``emit``)."""

    rows: pd.DataFrame
    summary: pd.DataFrame
    stoppages: pd.DataFrame
    fit_until: str | None
    month0: str
    observed: dict = field(default_factory=dict)   # series -> full observed pd.Series
    simulated: dict = field(default_factory=dict)  # series -> simulated pd.Series (all months)

    def table(self, by: str = "month") -> pd.DataFrame:
        return {"month": self.rows, "series": self.summary, "stoppages": self.stoppages}[by]


def fit_cutoff(spec: Scenario) -> str | None:
    """The month splitting fit from held-out months: the calibration's, else the block's."""
    if spec.calibration and spec.calibration.get("fit_until"):
        return str(spec.calibration["fit_until"])
    return spec.observed.fit_until if spec.observed is not None else None


def _split(period: str, fit_until: str | None) -> str:
    if fit_until is None:
        return "all"
    return "fit" if period_end(period) <= fit_until else "held_out"


def run_backtest(net: Network, spec: Scenario, file: str = "<scenario>", scenario_file=None,
                 fit_until: str | None = None) -> BacktestResult:
    """Observed vs simulated for every series of the deterministic run, and the stoppages."""
    evaluator = Evaluator(net, spec, file, scenario_file)
    values, sinks = evaluator.run(central_draws(spec))
    observed = evaluator.observed
    fit_until = fit_until or fit_cutoff(spec)
    rows, simulated = [], {}
    for data, sim in zip(evaluator.series, values):
        name = data.spec.series
        simulated[name] = pd.Series(sim[:, 0], index=[month_name(t, observed.month0)
                                                       for t in range(sim.shape[0])])
        for month, yhat in zip(data.compared, data.simulated(sim)[:, 0]):
            y, yhat = float(data.values[month]), float(yhat)
            rows.append({"series": name, "month": month, "split": _split(month, fit_until),
                         "unit": data.unit, "observed": y, "simulated": yhat,
                         "error": (yhat - y) / y if y > 0 else np.nan})
    table = pd.DataFrame(rows, columns=ROW_COLUMNS)
    baselines = {d.spec.series: d.baseline for d in evaluator.series}
    return BacktestResult(
        rows=table, summary=summarise(table, baselines), fit_until=fit_until, month0=observed.month0,
        stoppages=stoppage_table(net, spec, sinks[:, :, 0], file, scenario_file, fit_until),
        observed={d.spec.series: d.values for d in evaluator.series}, simulated=simulated)


def mape(observed: np.ndarray, simulated: np.ndarray) -> float:
    """Mean absolute percentage error as a fraction, over entries with ``observed > 0``."""
    observed, simulated = np.asarray(observed, float), np.asarray(simulated, float)
    ok = observed > 0
    if not ok.any():
        return float("nan")
    return float(np.mean(np.abs(simulated[ok] - observed[ok]) / observed[ok]))


def summarise(rows: pd.DataFrame, baselines: dict | None = None) -> pd.DataFrame:
    """Per series and split (plus ``all``): months, MAPE, MAE, MAE / B_s (``mae_baseline``,
    scale-free and defined when observed months are 0) and the trough-month error."""
    out = []
    for name, group in rows.groupby("series", sort=False):
        trough = group.loc[group["observed"].idxmin()] if len(group) else None
        splits = list(dict.fromkeys(group["split"]))
        splits += ["all"] if len(splits) > 1 else []
        for split in splits:
            part = group if split == "all" else group[group["split"] == split]
            if part.empty:
                continue
            out.append({
                "series": name, "split": split, "months": len(part), "unit": group["unit"].iloc[0],
                "mape": mape(part["observed"], part["simulated"]),
                "mae": float(np.mean(np.abs(part["simulated"] - part["observed"]))),
                "mae_baseline": float(np.mean(np.abs(part["simulated"] - part["observed"])))
                / (baselines or {}).get(name, np.nan),
                "trough_month": trough["month"], "trough_observed": trough["observed"],
                "trough_simulated": trough["simulated"], "trough_error": trough["error"]})
    return pd.DataFrame(out, columns=SUMMARY_COLUMNS)


def stoppage_sinks(net: Network, observed: Observed, company: str, country: str,
                   sector: str) -> list[str]:
    """Sink ids a documented stoppage maps to (see the module docstring)."""
    sinks = net.facilities.index.isin(net.sinks)
    stoppages = observed.stoppages
    for entry in (stoppages.map if stoppages is not None else []):
        if entry.company.lower() in company.lower():
            return list(net.facilities.index[facility_mask(net, entry.sinks) & sinks].astype(str))
    from .compliance.rules import EU27

    countries = EU27 if country == "EU" else (country,)
    facilities = net.facilities
    chosen = sinks & facilities["country"].isin(countries).to_numpy() \
        & (facilities["sector"] == sector).to_numpy()
    return list(facilities.index[chosen].astype(str))


def months_off(short: np.ndarray, month: int) -> int | None:
    """``m* - m_s`` for the short month ``m*`` nearest to ``month`` (earlier on a tie)."""
    months = np.flatnonzero(short)
    if not len(months):
        return None
    distance = months - month
    order = np.lexsort((distance, np.abs(distance)))
    return int(distance[order[0]])


def stoppage_table(net: Network, spec: Scenario, sink_supply: np.ndarray, file: str,
                   scenario_file=None, fit_until: str | None = None) -> pd.DataFrame:
    """One row per documented stoppage: its sinks, whether short within a month, months_off."""
    observed = _require_observed(spec, file)
    if observed.stoppages is None:
        return pd.DataFrame(columns=STOPPAGE_COLUMNS)
    path = observed_path(observed.stoppages.file, scenario_file)
    if not path.is_file():
        raise ScenarioFileError(file, [("observed.stoppages.file",
                                        f"no such observed file '{observed.stoppages.file}'")])
    table = pd.read_csv(path, keep_default_na=False, dtype=str)
    missing = [c for c in ("company", "country", "sector", "date") if c not in table]
    if missing:
        raise ScenarioFileError(file, [("observed.stoppages.file",
                                        f"{path.name} lacks columns {', '.join(missing)}")])
    position = {sink: i for i, sink in enumerate(net.sinks.astype(str))}
    rows = []
    for _, row in table.iterrows():
        ids = stoppage_sinks(net, observed, row["company"], row["country"], row["sector"])
        month = month_index(row["date"][:7], observed.month0)
        off = None
        if ids:
            short = (sink_supply[:, [position[i] for i in ids]] < 1.0 - SHORTFALL_TOLERANCE).any(axis=1)
            off = months_off(short, month)
        rows.append({"company": row["company"], "country": row["country"],
                     "sector": row["sector"], "date": row["date"],
                     "split": _split(row["date"], fit_until),
                     "sink": ", ".join(ids) if ids else "(none in network)",
                     "short_in_model": (off is not None and abs(off) <= 1) if ids else None,
                     "months_off": off})
    frame = pd.DataFrame(rows, columns=STOPPAGE_COLUMNS)
    frame["months_off"] = pd.array(frame["months_off"], dtype="Int64")
    frame["short_in_model"] = pd.array(frame["short_in_model"], dtype="boolean")
    return frame


def response_table(net: Network, spec: Scenario, stoppages: pd.DataFrame | None = None
                   ) -> pd.DataFrame:
    """Per sink: the simulated response against the optimal one (see the module docstring),
    sinks short in either response first, then by the simulated first short month."""
    from .scenarios.optimal import run_optimal
    from .scenarios.run import run_scenario

    simulated = run_scenario(net, spec).sinks.set_index("id")
    optimal = run_optimal(net, spec).sinks.set_index("id").reindex(simulated.index)
    named: dict[str, list[str]] = {}
    if stoppages is not None:
        for row in stoppages.itertuples():
            for sink in str(row.sink).split(", "):
                named.setdefault(sink, []).append(row.company)
    table = pd.DataFrame({
        "id": simulated.index, "name": simulated["name"].to_numpy(),
        "country": simulated["country"].to_numpy(), "sector": simulated["sector"].to_numpy(),
        "stoppages": ["; ".join(named.get(i, [])) for i in simulated.index],
        "simulated_tts_months": simulated["tts_months"].to_numpy(),
        "optimal_tts_months": optimal["tts_months"].to_numpy(dtype=float),
        "simulated_min_supply": simulated["min_supply"].to_numpy(),
        "optimal_min_supply": optimal["min_supply"].to_numpy(),
        "simulated_lost_volume": simulated["lost_volume"].to_numpy(),
        "optimal_lost_volume": optimal["lost_volume"].to_numpy()})
    short = (table["simulated_min_supply"] < 1.0 - SHORTFALL_TOLERANCE) \
        | (table["optimal_min_supply"] < 1.0 - SHORTFALL_TOLERANCE)
    table["_short"] = ~short
    table["_first"] = pd.to_numeric(table["simulated_tts_months"], errors="coerce").fillna(np.inf)
    table = table.sort_values(["_short", "_first", "id"]).drop(columns=["_short", "_first"])
    return table.reset_index(drop=True)[RESPONSE_COLUMNS]


def backtest_figure(result: BacktestResult):
    """Observed vs simulated per series (one panel each) as a ``plotly.graph_objects.Figure``.

    Observed months are markers on a line (including months before the event), simulated
    a line over the scenario horizon; a dotted line marks the end of the fitted months.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    names = list(result.observed)
    units = result.rows.drop_duplicates("series").set_index("series")["unit"].to_dict()
    fig = make_subplots(rows=len(names), cols=1, shared_xaxes=False, vertical_spacing=0.12,
                        subplot_titles=[f"{n} ({units.get(n, '')})" for n in names])
    last = max(s.index.max() for s in result.simulated.values())
    for i, name in enumerate(names, start=1):
        obs = result.observed[name]
        annual = len(obs) and len(obs.index[0]) == 4
        obs = obs[[period_end(p) <= last for p in obs.index]]
        if not annual:
            full = pd.period_range(obs.index.min(), obs.index.max(), freq="M").strftime("%Y-%m")
            obs = obs.reindex(full)                 # gaps stay gaps (no line across them)
        sim = result.simulated[name]
        sim = sim[sim.index <= max(period_end(obs.index.max()), result.month0)]
        fig.add_trace(go.Scatter(x=[f"{m}-07-01" if annual else f"{m}-01" for m in obs.index],
                                 y=obs.to_numpy(), mode="lines+markers",
                                 name="observed", legendgroup="observed", showlegend=i == 1,
                                 line={"color": "#222222"}), row=i, col=1)
        fig.add_trace(go.Scatter(x=[f"{m}-01" for m in sim.index], y=sim.to_numpy(), mode="lines",
                                 name="simulated", legendgroup="simulated", showlegend=i == 1,
                                 line={"color": "#d62728"}), row=i, col=1)
        if result.fit_until:
            fig.add_vline(x=f"{result.fit_until}-15", line_dash="dot", line_color="#888888",
                          row=i, col=1)
        fig.update_xaxes(type="date", tickformat="%Y-%m", dtick="M2", row=i, col=1)
    fig.update_layout(height=300 * len(names) + 80, width=900, template="plotly_white",
                      title="Observed vs simulated" + (f" (fit until {result.fit_until}, dotted)"
                                                       if result.fit_until else ""),
                      margin={"l": 60, "r": 20, "t": 80, "b": 40})
    return fig


def write_figure(fig, path: Path) -> None:
    """PNG (kaleido) or offline HTML (plotly.js included) by the file's suffix."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() in (".html", ".htm"):
        fig.write_html(str(path), include_plotlyjs=True, full_html=True)
    elif path.suffix.lower() in (".png", ".svg", ".pdf"):
        fig.write_image(str(path))
    else:
        from .errors import TiernError

        raise TiernError(f"{path}: figure must be .png, .svg, .pdf or .html")
