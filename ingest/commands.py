"""``tiern ingest usgs|trade|amrt|merge|events``: build networks from public and supplier data,
and read event files into one event table.

Each command reads its files as published, validates what it builds exactly as any network
is validated, and writes a folder of CSV files (``-o DIR``). Notes about what a source could
not represent (rest-of-world aggregates, withheld figures, mirror flows) go to stderr, or to
``--report FILE`` (.md or .csv). Bad files fail with ``file:row:column: message`` lines.

The command belongs to the adapters' package, which sits above :mod:`graphmodel`: it joins
the ``tiern`` command line through the ``tiern.commands`` entry point (``pyproject.toml``),
so :mod:`graphmodel` never imports :mod:`ingest`. The adapters are imported inside the
commands only so that ``tiern --help`` does not load openpyxl and every adapter.
"""
from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional

import typer

from graphmodel.errors import InputFormatError
from graphmodel.schema import ALL_STAGES

if TYPE_CHECKING:
    import pandas as pd

# The source adapters are imported inside the commands, for start-up speed (see above).

ingest_app = typer.Typer(
    help="Build networks from USGS, trade (BACI/Comtrade) and RMI AMRT files, and merge them; "
         "read event files (feeds, GDELT) into one event table.",
    no_args_is_help=True)

FilesArg = typer.Argument(..., help="Input files, as published.", show_default=False)
OutDirOpt = typer.Option(..., "--output", "-o", help="Write the network to this folder.",
                         show_default=False)
ReportOpt = typer.Option(None, "--report", help="Also write the notes/report here (.md or .csv).",
                         show_default=False)


class Layout(str, Enum):
    baci = "baci"
    comtrade = "comtrade"


def register(app: typer.Typer) -> None:
    app.add_typer(ingest_app, name="ingest")


@ingest_app.command("usgs")
def usgs(files: list[Path] = FilesArg, output: Path = OutDirOpt,
         year: Optional[int] = typer.Option(None, "--year", help="Data year (default: latest with data)."),
         report: Optional[Path] = ReportOpt) -> None:
    """USGS Mineral Commodity Summaries data-release CSV -> country-level mine nodes."""
    from .usgs import read_usgs

    _run(files, lambda path: read_usgs(path, year=year), output, report,
         hint="USGS gives no flows, so links.csv is empty: merge this network with others "
              "(tiern ingest merge) before analysing it.")


@ingest_app.command("trade")
def trade(files: list[Path] = FilesArg, output: Path = OutDirOpt,
          layout: Optional[Layout] = typer.Option(None, "--layout", help="File layout (default: "
                                                  "detected from the header)."),
          report: Optional[Path] = ReportOpt) -> None:
    """CEPII BACI or UN Comtrade CSV -> country-to-country links for HS 2846, 280530, 850511."""
    from .trade import read_trade

    _missing(files)
    with _progress("reading trade files", 1) as advance:
        result = read_trade(files, layout=layout.value if layout else None)
        advance()
    _finish(result.network, result.notes, output, report)


@ingest_app.command("amrt")
def amrt(files: list[Path] = FilesArg, output: Path = OutDirOpt,
         processor_stage: str = typer.Option("separator", "--processor-stage",
                                              help="Stage of the declared processors."),
         company_stage: str = typer.Option("magnet", "--company-stage",
                                           help="Stage of the declaring company."),
         report: Optional[Path] = ReportOpt) -> None:
    """RMI AMRT declaration workbooks -> declared processors linked to the declaring company."""
    from .amrt import read_amrt

    for stage, hint in ((processor_stage, "--processor-stage"), (company_stage, "--company-stage")):
        if stage not in ALL_STAGES:
            raise typer.BadParameter(f"unknown stage '{stage}' (expected one of "
                                     f"{', '.join(ALL_STAGES)})", param_hint=hint)
    _run(files, lambda path: read_amrt(path, processor_stage=processor_stage,
                                       company_stage=company_stage), output, report)


@ingest_app.command("merge")
def merge(folders: list[Path] = typer.Argument(..., help="Networks to merge, in priority order.",
                                               show_default=False),
          output: Path = OutDirOpt,
          aliases: Optional[Path] = typer.Option(None, "--aliases", help="Alias table CSV "
                                                 "(alias,canonical_id)."),
          report: Optional[Path] = ReportOpt) -> None:
    """Merge networks: match facilities, never double count, refine country estimates."""
    from .fragment import load_fragment
    from .merge import merge_networks, read_aliases

    _missing(folders + ([aliases] if aliases else []))
    networks = []
    with _progress("reading networks", len(folders)) as advance:
        for folder in folders:
            networks.append(load_fragment(folder))
            advance()
    result = merge_networks(networks, aliases=read_aliases(aliases) if aliases else None)
    written = result.network.write(output)
    counts = result.report["action"].value_counts()
    summary = ", ".join(f"{n} {action}" for action, n in counts.items()) or "no decisions"
    print(f"wrote {written}: {len(result.network.facilities)} facilities, "
          f"{len(result.network.links)} links ({summary})", file=sys.stderr)
    if report:
        _write_report(result.report, report, markdown=result.report_markdown())


@ingest_app.command("events")
def events(files: list[Path] = FilesArg,
           output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the event "
                                                 "table here (.csv, .json, .xlsx, .md; default: "
                                                 "CSV on stdout).", show_default=False)) -> None:
    """RSS/Atom feeds, GDELT event or GKG exports, or CSV/JSON (date,title,text,url) -> one
    validated event table (id, date, title, text, url, hints, format, file, row)."""
    import pandas as pd

    from graphmodel.events import read_events
    from graphmodel.output import infer_format, render, write_text, write_xlsx

    _missing(files)
    batches = [read_events(path) for path in files]
    table = pd.concat([b.events for b in batches], ignore_index=True)
    duplicated = table["id"].duplicated()
    for row in table[duplicated].itertuples():
        print(f"note: {row.file}:{row.row}: the same event as one in an earlier file; kept once",
              file=sys.stderr)
    table = table[~duplicated].reset_index(drop=True)
    for note in (n for b in batches for n in b.notes):
        print(f"note: {note}", file=sys.stderr)
    fmt = infer_format(None, output)
    fmt = "csv" if fmt == "table" else fmt     # an event table is data, not a printout
    if fmt == "xlsx":
        write_xlsx({"events": table}, output)
    elif output is None:
        sys.stdout.write(render(table, fmt))
    else:
        write_text(render(table, fmt), output)
    where = f"wrote {output}: " if output else ""
    print(f"{where}{len(table)} events from {len(files)} file{'s' if len(files) != 1 else ''}",
          file=sys.stderr)


# --- helpers -------------------------------------------------------------------------------------

def _run(files: list[Path], read: Callable, output: Path, report: Optional[Path], hint: str = "") -> None:
    from .merge import merge_networks

    _missing(files)
    results = []
    with _progress("ingesting", len(files)) as advance:
        for path in files:
            results.append(read(path))
            advance()
    import pandas as pd

    notes = pd.concat([r.notes for r in results], ignore_index=True)
    network = results[0].network if len(results) == 1 else \
        merge_networks([r.network for r in results]).network
    _finish(network, notes, output, report)
    if hint and network.links.empty:
        print(f"note: {hint}", file=sys.stderr)


def _finish(network, notes: pd.DataFrame, output: Path, report: Optional[Path]) -> None:
    from graphmodel.output import markdown_table

    written = network.write(output)
    for row in notes.itertuples():
        print(f"{row.level}: {row.file}:{row.row}:{row.column}: {row.message}", file=sys.stderr)
    print(f"wrote {written}: {len(network.facilities)} facilities, {len(network.links)} links",
          file=sys.stderr)
    if report:
        _write_report(notes, report, markdown="# Ingest notes\n\n" + (
            markdown_table(notes) if len(notes) else "(no notes)") + "\n")


def _write_report(frame: pd.DataFrame, path: Path, *, markdown: str) -> None:
    from graphmodel.output import render, write_text

    if path.suffix.lower() == ".csv":
        write_text(render(frame, "csv"), path)
    else:
        write_text(markdown, path)
    print(f"wrote {path}", file=sys.stderr)


def _missing(paths: list[Path]) -> None:
    for path in paths:
        if not path.exists():
            raise InputFormatError(f"{path}: no such file or folder")


class _progress:
    """A transient rich progress bar on stderr; yields a function advancing it by one."""

    def __init__(self, label: str, total: int):
        self.label, self.total = label, total

    def __enter__(self) -> Callable[[], None]:
        from rich.console import Console
        from rich.progress import Progress

        self.progress = Progress(console=Console(stderr=True), transient=True)
        self.progress.__enter__()
        task = self.progress.add_task(self.label, total=self.total)
        return lambda: self.progress.advance(task)

    def __exit__(self, *exc) -> None:
        self.progress.__exit__(*exc)
