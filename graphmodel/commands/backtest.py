"""``tiern backtest`` and ``tiern calibrate``: a real event's preset against observed data."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from graphmodel.limits import MAX_BOOTSTRAP, MAX_SEED
from ._common import FormatOpt, OutputOpt, PathArg, WideOpt, emit, load

BY_CHOICES = ("month", "series", "stoppages", "response")

EventArg = typer.Argument(..., metavar="EVENT", help="A preset with an observed: block (e.g. "
                          "china-2025-export-controls) or a scenario YAML file.")


def register(app: typer.Typer) -> None:
    app.command("backtest")(backtest)
    app.command("calibrate")(calibrate)


def _month_option(value: Optional[str], hint: str) -> Optional[str]:
    from graphmodel.scenarios.observed import _MONTH

    if value is not None and not _MONTH.match(value):
        raise typer.BadParameter("expected a month written YYYY-MM", param_hint=hint)
    return value


def _load_event(event: str):
    from graphmodel.scenarios import load_scenario
    from graphmodel.scenarios.presets import resolve

    path = resolve(event)
    return path, load_scenario(path)


def backtest(
    event: str = EventArg,
    path: Optional[Path] = PathArg,
    by: str = typer.Option("month", "--by", help="month (observed vs simulated per month) | "
                           "series (errors per series) | stoppages | response (per sink: the "
                           "simulated response against the optimal one)"),
    fit_until: Optional[str] = typer.Option(None, "--fit-until", help="Split fit / held_out "
                                            "months here (default: the preset's calibration)."),
    figure: list[Path] = typer.Option([], "--figure", help="Write observed vs simulated to this "
                                      ".png or offline .html file (repeatable).",
                                      show_default=False),
    fmt: Optional[str] = FormatOpt,
    output: Optional[Path] = OutputOpt,
    wide: bool = WideOpt,
) -> None:
    """Replay a real event: observed vs simulated per month, errors, and the stoppage list.

    MAPE = mean |simulated - observed| / observed over months with observed > 0 (a
    fraction); the trough month is the month with the lowest observed value. A stoppage is
    short_in_model when its sinks are short within one month of its date. --by response
    compares the simulation's greedy response with the optimal one (Simchi-Levi's time to
    survive and the least lost volume, as linear programmes) sink by sink.
    """
    import pandas as pd   # noqa: PLC0415 (start-up speed)

    from graphmodel.backtest import backtest_figure, run_backtest, write_figure

    if by not in BY_CHOICES:
        raise typer.BadParameter(f"expected one of {', '.join(BY_CHOICES)}", param_hint="--by")
    _month_option(fit_until, "--fit-until")
    scenario_path, spec = _load_event(event)
    net = load(path)
    result = run_backtest(net, spec, scenario_path.name, scenario_path, fit_until=fit_until)
    for row in result.summary.itertuples():
        print(f"{row.series} [{row.split}]: MAPE {row.mape:.1%} over {row.months} "
              f"period{'s' if row.months != 1 else ''}, "
              f"MAE/baseline {row.mae_baseline:.1%}; trough {row.trough_month} "
              f"observed {row.trough_observed:g} simulated {row.trough_simulated:.4g} {row.unit}",
              file=sys.stderr)
    stops = result.stoppages
    mapped = stops[stops["short_in_model"].notna()]
    if len(stops):
        parts = [f"{split} {int(group['short_in_model'].sum())} of {len(group)}"
                 for split, group in mapped.groupby("split", sort=False)]
        print(f"stoppages: {int(mapped['short_in_model'].sum())} of {len(mapped)} mapped to the "
              f"network are short in the model within one month ({'; '.join(parts)}; "
              f"{len(stops) - len(mapped)} not in the network)", file=sys.stderr)
    for target in figure:
        write_figure(backtest_figure(result), target)
        print(f"wrote {target}", file=sys.stderr)
    if by == "response":
        from graphmodel.backtest import response_table
        from graphmodel.scenarios.observed import month_name

        table = response_table(net, spec, stops)
        first = table["simulated_tts_months"].min()
        tts = table["optimal_tts_months"].iloc[0] if len(table) else float("nan")
        month0 = result.month0
        simulated = "never short" if pd.isna(first) else \
            f"first short month {int(first)} ({month_name(int(first), month0)})"
        optimal = "all demand met over the horizon" if tts != tts else \
            f"time to survive {tts:.2f} months (into {month_name(int(tts), month0)})"
        print(f"response: simulated {simulated}; optimal {optimal}", file=sys.stderr)
        emit(table, fmt, output, sheet=by, wide=wide)
        return
    emit(result.table(by), fmt, output, sheet=by, wide=wide)


def calibrate(
    event: str = EventArg,
    path: Optional[Path] = PathArg,
    fit_until: Optional[str] = typer.Option(None, "--fit-until", help="Fit observed months up "
                                            "to this one (default: the preset's fit_until)."),
    seed: Optional[int] = typer.Option(None, "--seed", min=0, max=MAX_SEED, help="Bootstrap seed (default: the "
                                       "preset's monte_carlo.seed)."),
    bootstrap: Optional[int] = typer.Option(None, "--bootstrap", min=0, max=MAX_BOOTSTRAP, help="Bootstrap "
                                            "replicates (default: observed.bootstrap)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the calibrated "
                                          "scenario YAML here.", show_default=False),
    stoppages: bool = typer.Option(False, "--stoppages", help="Instead: fit the sinks' "
                                   "inventory days per sector to the documented stoppages up to "
                                   "the cut-off and report the fit and its residuals (writes "
                                   "nothing)."),
    fmt: Optional[str] = typer.Option(None, "--format", "-f", help="Format of the parameter "
                                      "table on stdout: table|csv|json|md.", show_default=False),
    wide: bool = WideOpt,
) -> None:
    """Fit a preset's free parameters (observed.free) to the observed months.

    Bounded least squares (scipy), residuals (simulated - observed) / baseline; uncertainty
    by a seeded parametric bootstrap. --stoppages instead fits the sinks' inventory days
    per sector to the documented stoppages (grid of days; least misses + false alarms). Prints the parameters with their sd and 95% interval
    and, with -o, writes the calibrated YAML (same inputs and seed: same file).
    """
    from graphmodel.calibrate import calibrate as fit, calibrated_yaml

    _month_option(fit_until, "--fit-until")
    if fmt == "xlsx":
        raise typer.BadParameter("the parameter table goes to stdout: table|csv|json|md",
                                 param_hint="--format")
    scenario_path, spec = _load_event(event)
    net = load(path)
    if stoppages:
        _fit_stoppages(net, spec, scenario_path, fit_until, fmt, output, wide)
        return
    result = fit(net, spec, scenario_path.name, scenario_path, fit_until=fit_until, seed=seed,
                 bootstrap=bootstrap)
    stats = result.stats
    print(f"fit until {stats['fit_until']}: {stats['months_fitted']} observed months, RMSE "
          f"{stats['rmse_baseline']:.2%} of baseline, {stats['evaluations']} evaluations, "
          f"{stats['bootstrap']} bootstrap replicates (seed {stats['seed']})", file=sys.stderr)
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(calibrated_yaml(scenario_path, spec, result), encoding="utf-8")
        print(f"wrote {output}", file=sys.stderr)
    emit(result.parameters, fmt, None, wide=wide)


def _fit_stoppages(net, spec, scenario_path, fit_until, fmt, output, wide) -> None:
    import pandas as pd   # noqa: PLC0415 (start-up speed)

    from graphmodel.calibrate import fit_stocks_to_stoppages

    if output is not None:
        raise typer.BadParameter("--stoppages writes nothing: its fit is a report",
                                 param_hint="--output")
    result = fit_stocks_to_stoppages(net, spec, scenario_path.name, scenario_path,
                                     fit_until=fit_until)
    for row in result.stoppages.itertuples():
        off = "never short" if pd.isna(row.months_off) else f"months_off {int(row.months_off):+d}"
        state = "not in the network" if pd.isna(row.short_in_model) else \
            ("short within a month" if row.short_in_model else off)
        print(f"{row.split} {row.date} {row.company}: {state}", file=sys.stderr)
    emit(result.sectors, fmt, None, wide=wide)
