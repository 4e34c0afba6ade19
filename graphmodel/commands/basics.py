"""``tiern validate``, ``summary``, ``convert``, ``template`` and ``format``."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from ._common import FormatOpt, OutputOpt, PathArg, WideOpt, emit, load

# Analytics are imported inside the commands, for start-up speed (see graphmodel.commands).


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)
    app.command("summary")(summary)
    app.command("convert")(convert)
    app.command("template")(template)
    app.command("format")(format_reference)


def validate(path: Optional[Path] = PathArg) -> None:
    """Check a network; print every problem as file:row:column: message (exit 1 if any)."""
    net = load(path)
    print(f"ok: {net.name}: {len(net.facilities)} facilities, {len(net.links)} links, "
          f"{len(net.owners)} ownership rows, {len(net.demand)} demand rows "
          f"(hash {net.hash})")


def summary(
    path: Optional[Path] = PathArg,
    by: str = typer.Option("stage-country", "--by",
                           help="stage-country | stage | flow-basis (carrying link tonnage on "
                                "reported vs estimated figures, by supplier stage)"),
    fmt: Optional[str] = FormatOpt,
    output: Optional[Path] = OutputOpt,
    wide: bool = WideOpt,
) -> None:
    """Counts and operating capacity by stage and country (never summing across units), and
    the share of flow tonnage resting on reported figures."""
    from graphmodel.output import infer_format
    from graphmodel.summary import (flow_basis, reported_share_line, summary_by_stage,
                                    summary_by_stage_country)

    net = load(path)
    tables = {"stage-country": summary_by_stage_country, "stage": summary_by_stage,
              "flow-basis": flow_basis}
    if by not in tables:
        raise typer.BadParameter("expected stage-country, stage or flow-basis", param_hint="--by")
    # flow-basis: "unknown" is tonnage there (volume on links of unknown basis), not a share
    shares = ["reported_share"] if by == "flow-basis" else None
    emit(tables[by](net), fmt, output, sheet="summary", wide=wide, shares=shares)
    if infer_format(fmt, output) == "table" and output is None:
        sys.stdout.write("\n" + reported_share_line(net) + "\n")


def convert(
    path: Path = typer.Argument(..., help="Network to read (folder or .xlsx)."),
    output: Path = typer.Option(..., "--output", "-o",
                                help="Write here: a folder, or a workbook if it ends in .xlsx."),
) -> None:
    """Convert a network between the folder-of-CSV and workbook forms (validating it)."""
    net = load(path)
    written = net.write(output)
    print(f"wrote {written}", file=sys.stderr)


def template(output: Path = typer.Option(Path("tiern-template.xlsx"), "--output", "-o")) -> None:
    """Write an empty workbook with the interchange format's sheets and columns."""
    from graphmodel.templates import write_template

    write_template(output)
    print(f"wrote {output}", file=sys.stderr)


def format_reference() -> None:
    """Print the interchange format reference (generated from the schema) as Markdown."""
    from graphmodel.schema import format_reference_markdown

    sys.stdout.write(format_reference_markdown())
