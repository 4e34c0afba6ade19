"""``tiern chokepoints`` (ranked tables) and ``tiern report`` (the exportable report)."""
from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import List, Optional

import typer

from ._common import FormatOpt, OutputOpt, PathArg, WideOpt, emit, load

# Analytics are imported inside the commands, for start-up speed (see graphmodel.commands).

#: Columns shown by ``--format table`` (a terminal is narrow), the ranking's figures before
#: the descriptive text, so that what a narrow terminal leaves out is the least needed;
#: every other format has all the columns in the library's order.
TABLE_COLUMNS = {
    "facility": ["rank", "id", "stage", "country", "criticality", "criticality_linear",
                 "demand_at_risk", "n_alternatives", "single_point_for", "name", "owner",
                 "alternatives", "fastest_qualification_months"],
    "group": ["rank", "group", "criticality", "demand_at_risk", "external_demand_at_risk",
              "sinks_affected", "single_point_for", "facilities", "name", "control_country"],
}

SinksOpt = typer.Option(
    None, "--sinks", help="Restrict demand to sinks of a stage (oem), a sector (defense, "
    "automotive, wind, industrial, consumer) or facility ids; repeat or comma-separate.",
    show_default=False)


def register(app: typer.Typer) -> None:
    app.command("chokepoints")(chokepoints)
    app.command("report")(report)


@contextmanager
def progress_bar(description: str):
    """A rich progress bar on stderr, yielding a ``progress(done, total, label)`` callback."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[label]}"),
                   TimeElapsedColumn(), console=Console(stderr=True), transient=True)
    with bar:
        task = bar.add_task(description, total=1, label="")

        def update(done: int, total: int, label: str) -> None:
            bar.update(task, completed=done, total=max(total, 1), label=label)

        yield update


def chokepoints(
    path: Optional[Path] = PathArg,
    top: Optional[int] = typer.Option(None, "--top", "-n", min=1, help="Show the first N rows.",
                                      show_default=False),
    stage: Optional[str] = typer.Option(None, "--stage", help="Only facilities of this stage "
                                        "(ranks count within it).", show_default=False),
    sinks: Optional[List[str]] = SinksOpt,
    by: str = typer.Option("facility", "--by",
                           help="facility | country | company | input (the input groups of "
                                "facilities with recipes: small by mass, held by one country "
                                "first)"),
    exclude_sinks: bool = typer.Option(True, "--exclude-sinks/--include-sinks",
                                       help="Leave the sinks themselves out of the ranking (the "
                                            "default, as in the app and the report: a sink's "
                                            "own demand makes it critical to itself), or "
                                            "rank them too."),
    exclude_country: Optional[str] = typer.Option(
        None, "--exclude-country", help="Leave suppliers in this country (ISO alpha-2) out of "
        "the alternatives, as for a shock to that country.", show_default=False),
    fmt: Optional[str] = FormatOpt,
    output: Optional[Path] = OutputOpt,
    wide: bool = WideOpt,
) -> None:
    """Rank facilities (or countries, companies) by the share of sink demand lost if they fail.

    criticality = share of sink demand lost in a month while the facility is stopped, with
    nothing rerouted and no stock drawn; with recipes (recipes.csv) production follows them
    (a magnet maker without its only Dy source makes nothing), and criticality_linear keeps
    the tonnage-based share (demand whose supply passes through the facility) beside it.
    single_point_for = sinks its outage stops entirely (aggregate rows never);
    alternatives = spare capacity of qualified same-stage suppliers of the same material to
    its customers. --by company never counts an aggregate row as a company. --by input lists
    critical inputs: each recipe input group (a complement: its outputs stop without it) with
    its share of the facility's inbound tonnes and its top supplier and country.
    """
    from graphmodel import chokepoints as ch
    from graphmodel.output import infer_format

    if by not in ("facility", "country", "company", "input"):
        raise typer.BadParameter("expected facility, country, company or input", param_hint="--by")
    if by == "input":
        from graphmodel.recipe_criticality import critical_inputs

        if sinks or exclude_country:
            raise typer.BadParameter("--sinks and --exclude-country do not apply to --by input")
        table = critical_inputs(load(path))
        if stage:
            table = table[table["stage"] == stage].reset_index(drop=True)
        emit(table.head(top) if top else table, fmt, output, sheet="critical_inputs", wide=wide)
        return
    if by != "facility" and (stage or exclude_country):
        raise typer.BadParameter("--stage and --exclude-country apply to --by facility only")
    net = load(path)
    with progress_bar("chokepoints") as progress:
        if by == "facility":
            table = ch.chokepoints(net, top=top, stage=stage, sinks=sinks,
                                   exclude_sinks=exclude_sinks,
                                   exclude_country=exclude_country, progress=progress)
        else:
            table = ch.chokepoints_by_group(net, by=by, top=top, sinks=sinks, progress=progress)
    if infer_format(fmt, output) == "table":
        table = table[TABLE_COLUMNS["facility" if by == "facility" else "group"]]
    emit(table, fmt, output, sheet=f"chokepoints_{by}", wide=wide)


def report(
    path: Optional[Path] = PathArg,
    output: Path = typer.Option(..., "--output", "-o",
                                help="report.html, report.xlsx, report.pdf or report.md"),
    top: int = typer.Option(10, "--top", "-n", min=1, help="Chokepoints listed in detail."),
    sinks: Optional[List[str]] = SinksOpt,
    backtest: Optional[List[str]] = typer.Option(
        None, "--backtest", help="A real event's preset (with observed data) to replay in the "
        "report's Backtests section; repeatable (default on the bundled dataset: every such "
        "preset, calibrated versions first).", show_default=False),
    no_backtests: bool = typer.Option(False, "--no-backtests", help="Leave the Backtests "
                                      "section out."),
    events_file: Optional[Path] = typer.Option(None, "--events", help="An event file (feed, "
                                               "GDELT export, CSV/JSON): adds an Alerts section "
                                               "(see tiern watch).", show_default=False),
    watchlist: Optional[Path] = typer.Option(None, "--watchlist", help="Watchlist YAML for "
                                             "--events (default: every sink).",
                                             show_default=False),
) -> None:
    """Write the chokepoint report (summary, top chokepoints and why, concentration, China
    exposure per OEM, backtests of real events, charts, methodology, sources, dataset hash)
    as HTML, XLSX, PDF or MD."""
    from graphmodel.backtest import real_event_presets
    from graphmodel.report import REPORT_FORMATS, build_report, write_report

    suffix = output.suffix.lower().lstrip(".")
    if suffix not in REPORT_FORMATS:
        raise typer.BadParameter(f"unsupported extension '.{suffix}' (expected one of "
                                 f"{', '.join('.' + f for f in REPORT_FORMATS)})", param_hint="-o")
    net = load(path)
    events = [] if no_backtests else (backtest or (real_event_presets() if path is None else []))
    table, chosen = None, None
    if events_file is not None:
        from graphmodel.events import load_watchlist, read_events

        table = read_events(events_file).events
        chosen = load_watchlist(watchlist, net) if watchlist else None
    elif watchlist is not None:
        raise typer.BadParameter("--watchlist needs --events FILE", param_hint="--watchlist")
    with progress_bar("report") as progress:
        content = build_report(net, top=top, sinks=sinks, progress=progress, backtests=events,
                               events=table, watchlist=chosen,
                               events_label=events_file.name if events_file else "events")
        write_report(content, output, progress=progress)
    print(f"wrote {output}", file=sys.stderr)
