"""``tiern backtest`` and ``tiern calibrate``: a real event's preset against observed data."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from graphmodel.limits import MAX_BOOTSTRAP, MAX_SEED
from ._common import FormatOpt, OutputOpt, PathArg, emit, load

BY_CHOICES = ("month", "series", "stoppages")

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
                           "series (errors per series) | stoppages"),
    fit_until: Optional[str] = typer.Option(None, "--fit-until", help="Split fit / held_out "
                                            "months here (default: the preset's calibration)."),
    figure: list[Path] = typer.Option([], "--figure", help="Write observed vs simulated to this "
                                      ".png or offline .html file (repeatable).",
                                      show_default=False),
    fmt: Optional[str] = FormatOpt,
    output: Optional[Path] = OutputOpt,
) -> None:
    """Replay a real event: observed vs simulated per month, errors, and the stoppage list.

    MAPE = mean |simulated - observed| / observed over months with observed > 0 (a
    fraction); the trough month is the month with the lowest observed value. A stoppage is
    short_in_model when its sinks are short within one month of its date.
    """
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
    emit(result.table(by), fmt, output, sheet=by)


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
    fmt: Optional[str] = typer.Option(None, "--format", "-f", help="Format of the parameter "
                                      "table on stdout: table|csv|json|md.", show_default=False),
) -> None:
    """Fit a preset's free parameters (observed.free) to the observed months.

    Bounded least squares (scipy), residuals (simulated - observed) / baseline; uncertainty
    by a seeded parametric bootstrap. Prints the parameters with their sd and 95% interval
    and, with -o, writes the calibrated YAML (same inputs and seed: same file).
    """
    from graphmodel.calibrate import calibrate as fit, calibrated_yaml

    _month_option(fit_until, "--fit-until")
    if fmt == "xlsx":
        raise typer.BadParameter("the parameter table goes to stdout: table|csv|json|md",
                                 param_hint="--format")
    scenario_path, spec = _load_event(event)
    net = load(path)
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
    emit(result.parameters, fmt, None)
