"""Calibration: fit a preset's free parameters to the observed months (``tiern calibrate``).

The free parameters ``theta`` (``observed.free``: a shock's ``capacity_loss``,
``start_month`` or ``duration_months``, or the ``inventory_days`` of selected facilities,
each within its ``bounds``) are fitted by bounded
least squares on the observed months up to the cut-off ``fit_until``:

.. math::

    \\min_{\\theta \\in [l, u]} \\sum_s w_s \\sum_{t \\le t_{fit}}
        \\left(\\frac{\\hat y_s(t; \\theta) - y_s(t)}{B_s}\\right)^2

with ``yhat`` the simulated series (:mod:`graphmodel.backtest`), ``B_s`` its baseline
level and ``w_s`` its ``weight``; residuals are scaled by the baseline, not by the
observed value, so months with zero observed exports count. The solver is
``scipy.optimize.least_squares`` (trust-region reflective, bounded) from the preset's
central values (inventory: the selected facilities' mean), with a forward-difference
Jacobian whose columns are simulated together as columns of one run (stocks per column);
it is deterministic.

Uncertainty: a seeded parametric bootstrap. Each of ``bootstrap`` replicates perturbs
every fitted observation multiplicatively, ``y* = y (1 + e)``, with ``e`` drawn with
replacement from the pre-event relative deviations of the observed series
(``y_s(t) / mean_s - 1`` over the months before ``month0``, pooled over series), refits
from the estimate and records the parameters; the table gives their standard deviation and
2.5 / 97.5 percentiles. Parameters the fitted months do not inform (zero Jacobian column)
keep their start value and are flagged ``identified: false``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy.optimize import least_squares

from .backtest import Evaluator
from .network import Network
from .safe_yaml import NoAliasDumper, load_yaml_file
from .scenarios.core import Draws, central_draws
from .scenarios.model import DAYS_PER_MONTH, Distribution, Scenario, ScenarioFileError
from .scenarios.observed import period_end, period_months

#: Relative step of the forward-difference Jacobian (of each parameter's bound range).
STEP = 1e-4
#: Decimals kept in the written YAML (so a re-run reproduces it bit for bit).
DECIMALS = 6

_FIELD = {"capacity_loss": "loss", "start_month": "start", "duration_months": "duration"}


@dataclass
class Calibration:
    """The fit: parameter table, fit statistics, and the calibrated values."""

    parameters: pd.DataFrame
    stats: dict
    values: np.ndarray
    sd: np.ndarray


class Problem:
    """Residuals of the free parameters against the observed months up to ``fit_until``."""

    def __init__(self, net: Network, spec: Scenario, file: str = "<scenario>",
                 scenario_file=None, fit_until: str | None = None):
        self.evaluator = Evaluator(net, spec, file, scenario_file)
        self.spec, self.file = spec, file
        observed = spec.observed
        self.free = list(observed.free)
        if not self.free:
            raise ScenarioFileError(file, [("observed.free", "lists no free parameter to fit")])
        self.fit_until = fit_until or observed.fit_until
        self.base = central_draws(spec)
        self.low = np.array([p.bounds[0] for p in self.free])
        self.high = np.array([p.bounds[1] for p in self.free])
        from .scenarios.select import facility_mask
        from .scenarios.simulate import inventory_months

        topo = self.evaluator.topo
        self.stock_months = inventory_months(topo, spec.responses)
        self.masks: dict[int, np.ndarray] = {}
        starts = []
        for i, p in enumerate(self.free):
            if p.field == "inventory_days":
                mask = facility_mask(net, p.select)
                if not mask.any():
                    raise ScenarioFileError(file, [(f"observed.free[{i}].select",
                                                    "selects no facility in this network")])
                self.masks[i] = mask
                starts.append(float(np.mean(self.stock_months[mask])) * DAYS_PER_MONTH)
                continue
            if p.shock >= len(spec.shocks):
                raise ScenarioFileError(file, [(f"observed.free[{i}].shock", f"no shock {p.shock} "
                                                f"(the scenario has {len(spec.shocks)})")])
            value = getattr(self.base, _FIELD[p.field])[0, p.shock]
            if not np.isfinite(value):
                raise ScenarioFileError(file, [(f"observed.free[{i}].field", f"shocks[{p.shock}] "
                                                "runs to the horizon; give it a duration to fit")])
            starts.append(value)
        self.start = np.clip(np.array(starts, dtype=float), self.low, self.high)
        # fitted observations: (series number, scenario months, observed, baseline, weight)
        self.terms = []
        for k, data in enumerate(self.evaluator.series):
            for period, months in zip(data.compared, data.months):
                if self.fit_until is None or period_end(period) <= self.fit_until:
                    self.terms.append((k, months, float(data.values[period]), data.baseline,
                                       data.spec.weight))
        if not self.terms:
            raise ScenarioFileError(file, [("observed.fit_until", f"no observed month between "
                                            f"{observed.month0} and {self.fit_until} to fit")])
        self.observed = np.array([term[2] for term in self.terms])
        self.noise = self._noise_pool()
        self._cache: dict[bytes, np.ndarray] = {}

    def _noise_pool(self) -> np.ndarray:
        month0 = self.spec.observed.month0
        pool = []
        for data in self.evaluator.series:
            before = data.values[[period_months(p, month0)[-1] < 0 for p in data.values.index]]
            if len(before) >= 2 and before.mean() > 0:
                pool.extend(before.to_numpy() / before.mean() - 1.0)
        return np.array(pool)

    def draws(self, X: np.ndarray) -> Draws:
        """Central draws with the free parameters of each row of ``X`` (K, P) set."""
        K = X.shape[0]
        arrays = {name: np.repeat(getattr(self.base, name), K, axis=0)
                  for name in ("occurs", "loss", "start", "duration")}
        for j, p in enumerate(self.free):
            if p.field != "inventory_days":
                arrays[_FIELD[p.field]][:, p.shock] = X[:, j]
        return Draws(**arrays)

    def stocks(self, X: np.ndarray) -> np.ndarray | None:
        """(n, K) months of stock with the free inventory parameters of each row set."""
        if not self.masks:
            return None
        months = np.tile(self.stock_months[:, None], (1, X.shape[0]))
        for j, mask in self.masks.items():
            months[mask, :] = X[:, j] / DAYS_PER_MONTH
        return months

    def simulate(self, X: np.ndarray) -> np.ndarray:
        """Simulated values of the fitted observations, (K, terms)."""
        X = np.atleast_2d(X)
        values, _ = self.evaluator.run(self.draws(X), self.stocks(X))
        return np.stack([values[k][months].mean(axis=0) for k, months, *_ in self.terms], axis=1)

    def residuals(self, yhat: np.ndarray, observed: np.ndarray) -> np.ndarray:
        scale = np.array([np.sqrt(w) / b for *_, b, w in self.terms])
        return (yhat - observed) * scale

    def _batch(self, x: np.ndarray) -> np.ndarray:
        """Simulated terms at x and at x + h_j e_j for every parameter j: (P + 1, terms)."""
        key = np.asarray(x, float).tobytes()
        if key not in self._cache:
            steps = STEP * (self.high - self.low)
            steps = np.where(x + steps > self.high, -steps, steps)
            X = np.vstack([x, x + np.diag(steps)])
            self._cache = {key: (self.simulate(X), steps)}
        return self._cache[key]

    def fit(self, observed: np.ndarray, x0: np.ndarray):
        def fun(x):
            return self.residuals(self._batch(x)[0][0], observed)

        def jac(x):
            values, steps = self._batch(x)
            r0 = self.residuals(values[0], observed)
            return ((self.residuals(values[1:], observed) - r0) / steps[:, None]).T

        return least_squares(fun, x0, jac=jac, bounds=(self.low, self.high), method="trf",
                             x_scale=np.maximum(self.high - self.low, 1e-9), max_nfev=200)


def calibrate(net: Network, spec: Scenario, file: str = "<scenario>", scenario_file=None, *,
              fit_until: str | None = None, seed: int | None = None,
              bootstrap: int | None = None) -> Calibration:
    """Fit the free parameters and bootstrap their uncertainty (see the module docstring)."""
    problem = Problem(net, spec, file, scenario_file, fit_until)
    seed = spec.monte_carlo.seed if seed is None else seed
    replicates = spec.observed.bootstrap if bootstrap is None else bootstrap
    result = problem.fit(problem.observed, problem.start)
    x = np.clip(result.x, problem.low, problem.high)
    values, steps = problem._batch(x)
    jac = (values[1:] - values[0]) / steps[:, None]
    identified = np.abs(jac).max(axis=1) > 1e-12
    samples = np.empty((0, len(x)))
    if replicates and len(problem.noise):
        rng = np.random.default_rng(seed)
        rows = []
        for _ in range(replicates):
            noise = rng.choice(problem.noise, size=len(problem.observed), replace=True)
            rows.append(np.clip(problem.fit(problem.observed * (1.0 + noise), x).x,
                                problem.low, problem.high))
        samples = np.array(rows)
    sd = samples.std(axis=0, ddof=1) if len(samples) > 1 else np.full(len(x), np.nan)
    ci = np.percentile(samples, [2.5, 97.5], axis=0) if len(samples) else np.full((2, len(x)), np.nan)
    fitted = problem.simulate(x)[0]
    table = pd.DataFrame({
        "parameter": [p.label for p in problem.free],
        "shock": [(spec.shocks[p.shock].name or "") if p.shock is not None else "" for p in problem.free],
        "start": problem.start, "value": x, "low": problem.low, "high": problem.high,
        "sd": sd, "ci_low": ci[0], "ci_high": ci[1], "identified": identified})
    stats = {
        "fit_until": problem.fit_until, "months_fitted": len(problem.terms),
        "rmse_baseline": float(np.sqrt(np.mean(problem.residuals(fitted, problem.observed) ** 2))),
        "cost": float(result.cost),
        "evaluations": int(result.nfev), "status": int(result.status),
        "seed": int(seed), "bootstrap": int(len(samples)),
    }
    return Calibration(parameters=table, stats=stats, values=x, sd=sd)


def _round(value) -> float | None:
    if value is None or not np.isfinite(value):
        return None
    return float(round(float(value), DECIMALS)) + 0.0


def calibrated_yaml(source: Path, spec: Scenario, calibration: Calibration) -> str:
    """The source YAML with the fitted values written in and a ``calibration:`` block.

    A fitted number replaces a number; a fitted distribution becomes ``{dist: normal,
    mean: value, sd: bootstrap sd}`` so Monte Carlo runs carry the fit's uncertainty;
    fitted ``inventory_days`` go to ``responses.inventory_days``. Parameters the fitted
    months do not inform keep the source's value (recorded with ``identified: false``).
    Only date-free, rounded fields are written: the same inputs and seed give the same file.
    """
    data = load_yaml_file(source)  # the same strict loader as load_scenario
    table = calibration.parameters
    identified = calibration.parameters["identified"].to_numpy()
    for j, (p, value, sd) in enumerate(zip(spec.observed.free, calibration.values, calibration.sd)):
        if not identified[j]:
            continue              # the fitted months say nothing about it: keep the source's
        if p.field == "inventory_days":
            select = data["observed"]["free"][j]["select"]
            entries = data.setdefault("responses", {}).setdefault("inventory_days", [])
            entries[:] = [e for e in entries if e.get("select") != select]
            entries.append({"select": select, "days": _round(value)})
            continue
        shock = data["shocks"][p.shock]
        current = getattr(spec.shocks[p.shock], p.field)
        if isinstance(current, Distribution) and sd is not None and np.isfinite(sd):
            shock[p.field] = {"dist": "normal", "mean": _round(value), "sd": _round(sd)}
        else:
            shock[p.field] = _round(value)
    for key in ("description", "source"):
        if isinstance(data.get(key), str):
            data[key] = " ".join(data[key].split())
    if not str(data.get("name", "")).endswith("(calibrated)"):
        data["name"] = f"{data['name']} (calibrated)"
    stats = calibration.stats
    data["calibration"] = {
        "source": Path(source).name,
        "method": "scipy.optimize.least_squares (trf, bounded), residuals (simulated - "
                  "observed) / baseline; parametric bootstrap for uncertainty",
        "fit_until": stats["fit_until"],
        "seed": stats["seed"],
        "bootstrap": stats["bootstrap"],
        "months_fitted": stats["months_fitted"],
        "rmse_baseline": _round(stats["rmse_baseline"]),
        "parameters": [
            {"parameter": row.parameter, "start": _round(row.start), "value": _round(row.value),
             "bounds": [_round(row.low), _round(row.high)], "sd": _round(row.sd),
             "ci95": [_round(row.ci_low), _round(row.ci_high)],
             "identified": bool(row.identified)}
            for row in table.itertuples()],
    }
    header = (f"# Calibrated by `tiern calibrate {Path(source).stem} --seed {stats['seed']}` "
              f"from {Path(source).name}.\n# Edit the source preset and re-run; do not edit "
              "this file by hand.\n")
    return header + yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


class _Dumper(NoAliasDumper):
    """Safe YAML with short lists of numbers and flat mappings written inline (no aliases:
    load_scenario refuses them)."""


def _represent_list(dumper, value):
    flow = len(value) <= 6 and all(isinstance(v, (int, float, str)) and not isinstance(v, bool)
                                   and len(str(v)) < 30 for v in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flow)


def _represent_dict(dumper, value):
    flow = len(value) <= 4 and all(isinstance(v, (int, float, str, type(None))) and len(str(v)) < 30
                                   for v in value.values()) \
        or (set(value) <= {"country", "stage", "material", "id", "sector"}
            and all(not isinstance(v, dict) for v in value.values()))
    return dumper.represent_mapping("tag:yaml.org,2002:map", value.items(), flow_style=flow)


_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(dict, _represent_dict)


STOCK_FIT_COLUMNS = ["sector", "sinks", "stoppages_fitted", "start_days", "fitted_days",
                     "days_low", "days_high", "misses", "false_alarms"]


@dataclass
class StockFit:
    """Sink stocks fitted to the documented stoppages: per sector and per stoppage."""

    sectors: pd.DataFrame      # STOCK_FIT_COLUMNS
    stoppages: pd.DataFrame    # the stoppage table at the fitted days (months_off = residual)
    fit_until: str | None


def fit_stocks_to_stoppages(net: Network, spec: Scenario, file: str = "<scenario>",
                            scenario_file=None, *, fit_until: str | None = None,
                            max_days: int = 120) -> StockFit:
    """Per sector, the sinks' inventory days that best reproduce the stoppages (report only).

    Sectors: those of the documented stoppages dated up to the cut-off (``fit_until``,
    default the preset's) that map to sinks. For each sector one value ``d`` (days) is set
    for all its sinks; a sink's stock affects only its own supply, so every sector is
    fitted at once on a grid ``d = 0, 1, ..., max_days`` (one simulated column per value).
    Loss for sector s at ``d``::

        misses(d)       = fitted stoppages of s whose sinks are not short within one month
                          of their date (``short_in_model`` false)
        false_alarms(d) = sinks of s named by no stoppage that are short in a month up to
                          the cut-off
        loss(d)         = misses + false_alarms

    (a stoppage listed after the cut-off still names its sinks, so they are no false alarm).
    The fitted value is the ``d`` of least loss closest to the sector's current mean
    (the sourced planning value); ``days_low`` / ``days_high`` bound the contiguous run of
    least-loss values around it (how well the stoppages pin it down). The residuals are the
    stoppage table (``months_off``) at the fitted values, held-out rows included. Nothing is
    written: the fitted days are an analysis, not data.
    """
    from .backtest import fit_cutoff, stoppage_table
    from .scenarios.observed import month_index
    from .scenarios.simulate import inventory_months

    observed = spec.observed
    if observed is None or observed.stoppages is None:
        raise ScenarioFileError(file, [("observed.stoppages", "no stoppage list to fit to")])
    fit_until = fit_until or fit_cutoff(spec)
    evaluator = Evaluator(net, spec, file, scenario_file)
    draws = central_draws(spec)
    base = stoppage_table(net, spec, np.ones((spec.horizon_months, len(net.sinks))), file,
                          scenario_file, fit_until)
    sink_ids = list(net.sinks.astype(str))
    sectors_of = net.facilities.loc[net.sinks, "sector"].astype(str).to_numpy()
    fitted = base[(base["split"] != "held_out") & base["short_in_model"].notna()]
    named = {s for row in base.itertuples() for s in str(row.sink).split(", ")}
    sectors = sorted({sectors_of[sink_ids.index(s)] for row in fitted.itertuples()
                      for s in str(row.sink).split(", ")})
    if not sectors:
        raise ScenarioFileError(file, [("observed.stoppages", "no stoppage up to the cut-off "
                                                              "maps to a sink")])
    grid = np.arange(0, max_days + 1, dtype=float)
    months = inventory_months(evaluator.topo, spec.responses)
    positions = net.facilities.index.get_indexer(net.sinks)
    stock = np.tile(months[:, None], (1, len(grid)))
    in_sector = {s: positions[sectors_of == s] for s in sectors}
    for members in in_sector.values():
        stock[members, :] = grid[None, :] / DAYS_PER_MONTH
    K = len(grid)
    many = Draws(**{name: np.repeat(getattr(draws, name), K, axis=0)
                    for name in ("occurs", "loss", "start", "duration")})
    _, sinks = evaluator.run(many, stock)                          # (T, sinks, K)
    short = sinks < 1.0 - 1e-9
    last = month_index(fit_until, observed.month0) if fit_until else spec.horizon_months - 1
    rows, chosen = [], {}
    for sector in sectors:
        ids = [i for i, s in enumerate(sink_ids) if sectors_of[i] == sector]
        own = fitted[[any(sectors_of[sink_ids.index(x)] == sector for x in str(r).split(", "))
                      for r in fitted["sink"]]]
        loss = np.zeros(K, dtype=int)
        misses = np.zeros(K, dtype=int)
        alarms = np.zeros(K, dtype=int)
        for k in range(K):
            table = stoppage_table(net, spec, sinks[:, :, k], file, scenario_file, fit_until)
            hit = table.set_index(["company", "date"]).loc[
                list(zip(own["company"], own["date"])), "short_in_model"]
            misses[k] = int((~hit.astype(bool)).sum())
            alarms[k] = int(sum(short[:last + 1, i, k].any() for i in ids
                                if sink_ids[i] not in named))
        loss = misses + alarms
        start = float(np.mean(months[positions[sectors_of == sector]])) * DAYS_PER_MONTH
        best = np.flatnonzero(loss == loss.min())
        pick = int(best[np.argmin(np.abs(grid[best] - start))])
        low = high = pick
        while low > 0 and loss[low - 1] == loss[pick]:
            low -= 1
        while high < K - 1 and loss[high + 1] == loss[pick]:
            high += 1
        chosen[sector] = pick
        rows.append({"sector": sector, "sinks": len(ids), "stoppages_fitted": len(own),
                     "start_days": round(start, 1), "fitted_days": float(grid[pick]),
                     "days_low": float(grid[low]), "days_high": float(grid[high]),
                     "misses": int(misses[pick]), "false_alarms": int(alarms[pick])})
    final = np.tile(months[:, None], (1, 1))
    for sector, pick in chosen.items():
        final[in_sector[sector], 0] = grid[pick] / DAYS_PER_MONTH
    _, at_fit = evaluator.run(draws, final)
    residuals = stoppage_table(net, spec, at_fit[:, :, 0], file, scenario_file, fit_until)
    return StockFit(sectors=pd.DataFrame(rows, columns=STOCK_FIT_COLUMNS), stoppages=residuals,
                    fit_until=fit_until)
