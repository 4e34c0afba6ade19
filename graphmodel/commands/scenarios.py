"""``tiern scenario``, ``tiern scenario-presets`` and ``tiern rei``."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from graphmodel.limits import MAX_MC_BATCH, MAX_RUNS, MAX_SEED
from ._common import FormatOpt, OutputOpt, PathArg, WideOpt, emit, load

# Analytics are imported inside the commands, for start-up speed (see graphmodel.commands).

BY_CHOICES = ("sink", "stage", "month", "links", "element", "balance")
RESPONSES = ("simulated", "optimal")


def register(app: typer.Typer) -> None:
    app.command("scenario")(scenario)
    app.command("scenario-presets")(scenario_presets)
    app.command("rei")(rei)


def _split_paths(paths: list[Path]) -> tuple[Optional[Path], Path]:
    if not 1 <= len(paths) <= 2:
        raise typer.BadParameter("expected [PATH] FILE.yaml", param_hint="PATHS")
    return (None, paths[0]) if len(paths) == 1 else (paths[0], paths[1])


def scenario(
    paths: list[Path] = typer.Argument(
        ..., metavar="[PATH] FILE.yaml",
        help="Optional network (folder or .xlsx; default: bundled data), then a scenario YAML "
             "file or a preset name (see tiern scenario-presets)."),
    no_reroute: bool = typer.Option(False, "--no-reroute", help="Do not reroute to spare capacity."),
    no_inventory: bool = typer.Option(False, "--no-inventory", help="Ignore facility inventories."),
    runs: Optional[int] = typer.Option(None, "--runs", min=1, max=MAX_RUNS,
                                       help="Monte Carlo: number of random runs."),
    seed: Optional[int] = typer.Option(None, "--seed", min=0, max=MAX_SEED, help="Monte Carlo seed (default: the "
                                       "scenario's monte_carlo.seed, else 0)."),
    batch_size: int = typer.Option(50, "--batch-size", min=1, max=MAX_MC_BATCH, help="Monte Carlo runs per batch."),
    scheduler: Optional[str] = typer.Option(
        None, "--scheduler", metavar="ADDRESS",
        help="Monte Carlo: run the batches on a Dask cluster: a scheduler address "
             "(tcp://host:8786), or local / local:N for N worker processes on this machine. "
             "Results are identical per seed."),
    by: str = typer.Option("sink", "--by", help="sink | stage | month | links | element "
                                              "(t of each element shipped per stage and month) | "
                                              "balance (t of each element in, out and in stock "
                                              "per facility and month)"),
    element: Optional[list[str]] = typer.Option(None, "--element", "-e", help="With --by "
                                                "balance: only this element (repeatable)."),
    facility: Optional[list[str]] = typer.Option(None, "--facility", help="With --by balance: "
                                                 "only this facility id (repeatable)."),
    response: str = typer.Option("simulated", "--response", help="simulated (the monthly "
                                 "simulation's greedy rerouting) | optimal (the best response: "
                                 "linear programmes for time to survive and least loss)"),
    fmt: Optional[str] = FormatOpt,
    output: Optional[Path] = OutputOpt,
    wide: bool = WideOpt,
) -> None:
    """Run a disruption scenario: per-sink supply, lost volume, time to survive and recover.

    With --no-reroute --no-inventory the engine is pure propagation. With --runs N it runs
    N Monte Carlo draws and reports distributions per sink. --response optimal gives
    Simchi-Levi's time to survive (continuous months, network-wide: every sink row carries
    it) and the least lost volume any reallocation of stock and spare capacity allows.
    """
    from graphmodel.scenarios import load_scenario, run_scenario
    from graphmodel.scenarios.presets import resolve

    if by not in BY_CHOICES:
        raise typer.BadParameter(f"expected one of {', '.join(BY_CHOICES)}", param_hint="--by")
    if response not in RESPONSES:
        raise typer.BadParameter(f"expected one of {', '.join(RESPONSES)}", param_hint="--response")
    network_path, scenario_path = _split_paths(paths)
    spec = load_scenario(resolve(scenario_path))
    net = load(network_path)
    reroute = False if no_reroute else None
    inventory = False if no_inventory else None
    if response == "optimal" and (runs is not None or seed is not None):
        raise typer.BadParameter("the optimal response runs the deterministic scenario only",
                                 param_hint="--response")
    if response == "optimal" and by in ("element", "balance"):
        raise typer.BadParameter(f"the {by} view is not available for the optimal response",
                                 param_hint="--by")
    if (element or facility) and by != "balance":
        raise typer.BadParameter("--element and --facility filter the balance view: add "
                                 "--by balance", param_hint="--element")
    if scheduler is not None and runs is None and seed is None:
        raise typer.BadParameter("the scheduler runs Monte Carlo batches: add --runs N",
                                 param_hint="--scheduler")
    if runs is not None or seed is not None:
        _monte_carlo(net, spec, runs, seed, batch_size, reroute, inventory, fmt, output, wide,
                     scheduler)
        return
    if response == "optimal":
        from graphmodel.scenarios.optimal import run_optimal

        result = run_optimal(net, spec, reroute=reroute, inventory=inventory)
        tts = result.sinks["tts_months"].iloc[0] if len(result.sinks) else float("nan")
        print("response: optimal (linear programmes: time to survive "
              + ("beyond the horizon" if tts != tts else f"{tts:.2f} months, network-wide")
              + "; least lost volume)", file=sys.stderr)
    else:
        result = run_scenario(net, spec, reroute=reroute, inventory=inventory)
        print(f"response: simulated ({result.mode})", file=sys.stderr)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    if by == "element" and result.unknown_content:
        print("note: no element content for " + ", ".join(result.unknown_content)
              + " (materials.csv): not counted in the element view", file=sys.stderr)
    if by in ("element", "balance") and result.elements is None:
        raise typer.BadParameter(f"the {by} view needs a scenario without sink-scoped shocks",
                                 param_hint="--by")
    if by == "balance":
        from graphmodel.errors import TiernError

        try:
            balance = result.balance(elements=element, facilities=facility)
        except TiernError as error:
            raise typer.BadParameter(str(error), param_hint="--element/--facility")
        if balance.unknown_content:
            print("note: no element content for " + ", ".join(balance.unknown_content)
                  + " (materials.csv): not counted in the balance", file=sys.stderr)
        emit(balance.table, fmt, output, sheet=by, wide=wide, shares=(),
             empty="no element flows (no material of the network has a materials.csv row)")
        return
    if output is not None and (fmt == "xlsx" or (fmt is None and output.suffix == ".xlsx")):
        from graphmodel.output import write_xlsx

        months = result.months   # one column per sink: its supply as a share of its baseline
        write_xlsx({"sinks": result.sinks, "stages": result.stages, "months": months,
                    "links": result.links}, output,
                   shares={"months": [c for c in months.columns if c != "month"]})
        print(f"wrote {output}", file=sys.stderr)
        return
    table = result.table(by)
    shares = None
    if by == "month":   # one column per sink: its supply as a share of its baseline
        shares = [c for c in table.columns if c != "month"]
    empty = "no rows"
    if by == "links":
        empty = ("nothing rerouted: rerouting is off (--no-reroute)" if no_reroute else
                 "nothing rerouted: no link carried volume beyond its baseline in this scenario")
    emit(table, fmt, output, sheet=by, wide=wide, shares=shares, empty=empty)


def _monte_carlo(net, spec, runs, seed, batch_size, reroute, inventory, fmt, output, wide,
                 scheduler=None) -> None:
    from graphmodel.scenarios.montecarlo import batch_size_for

    runs = runs if runs is not None else spec.monte_carlo.runs
    batch_size, note = batch_size_for(net, spec, batch_size)
    if note:
        print(note, file=sys.stderr)
    executor = None
    if scheduler is not None:   # dask is imported here only, never for --help
        from graphmodel.executors import scheduler_executor

        executor = scheduler_executor(scheduler)
        print(f"running on the Dask cluster at {executor.client.scheduler.address} "
              f"({executor.workers} workers)", file=sys.stderr)
    try:
        _run_with_bar(net, spec, runs, seed, batch_size, reroute, inventory, fmt, output, wide,
                      executor)
    finally:
        if executor is not None:
            executor.close()


def _run_with_bar(net, spec, runs, seed, batch_size, reroute, inventory, fmt, output, wide,
                  executor) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from graphmodel.scenarios.montecarlo import run_monte_carlo

    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), transient=True,
                  console=_stderr_console()) as bar:
        task = bar.add_task(f"{spec.name}: runs", total=runs)
        result = run_monte_carlo(net, spec, runs, seed, batch_size=batch_size, reroute=reroute,
                                 inventory=inventory, executor=executor,
                                 progress=lambda done, total: bar.update(task, completed=done))
    print(f"{runs} runs, seed {result.seed}", file=sys.stderr)
    emit(result.summary, fmt, output, sheet="monte_carlo", wide=wide)


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


def scenario_presets(fmt: Optional[str] = FormatOpt, output: Optional[Path] = OutputOpt,
                     wide: bool = WideOpt) -> None:
    """List the scenario presets shipped in data/scenarios/.

    The table format prints one paragraph per preset, wrapped to the terminal (--wide: one
    table row each); csv, json, xlsx and md give the table.
    """
    from graphmodel.output import infer_format
    from graphmodel.scenarios.presets import preset_table

    table = preset_table()
    if infer_format(fmt, output) != "table" or wide or output is not None:
        emit(table, fmt, output, sheet="presets", wide=wide)
        return
    sys.stdout.write(_preset_paragraphs(table))


def _preset_paragraphs(table) -> str:
    """Each preset as a heading line and its description and source wrapped to the terminal."""
    import textwrap

    from graphmodel.terminal import terminal_width

    width = max(min(terminal_width(), 100), 40)
    blocks = []
    for row in table.itertuples():
        lines = textwrap.wrap(f"{row.preset}: {row.name} ({row.horizon_months} months, "
                              f"{row.shocks} shock{'s' if row.shocks != 1 else ''})", width,
                              subsequent_indent="  ", break_on_hyphens=False)
        for label, text in (("", row.description), ("source: ", row.source)):
            if isinstance(text, str) and text:
                lines += textwrap.wrap(label + text, width, initial_indent="  ",
                                       subsequent_indent="  ", break_on_hyphens=False)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def rei(
    path: Optional[Path] = PathArg,
    weeks: Optional[float] = typer.Option(None, "--weeks", min=0,
                                          help="Standard outage length in weeks."),
    months: Optional[float] = typer.Option(None, "--months", min=0,
                                           help="Standard outage length in months (default 3)."),
    top: Optional[int] = typer.Option(None, "--top", min=1, help="Show only the first N rows."),
    fmt: Optional[str] = FormatOpt,
    output: Optional[Path] = OutputOpt,
    wide: bool = WideOpt,
) -> None:
    """Risk Exposure Index ranking: sink demand lost in a full outage of each facility."""
    from graphmodel.scenarios.rei import risk_exposure_index

    if weeks is not None and months is not None:
        raise typer.BadParameter("give --weeks or --months, not both", param_hint="--weeks")
    duration = weeks * 12.0 / 52.0 if weeks is not None else (months if months is not None else 3.0)
    table = risk_exposure_index(load(path), duration)
    emit(table.head(top) if top else table, fmt, output, sheet="rei", wide=wide)
