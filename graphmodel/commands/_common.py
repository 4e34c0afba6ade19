"""Options and helpers shared by table commands: PATH, --format, -o, loading, output."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from graphmodel.choices import FORMATS

if TYPE_CHECKING:
    import pandas as pd

    from graphmodel.network import Network

PathArg = typer.Argument(
    None, help="Network: a folder of CSV files or an .xlsx workbook (default: bundled data).",
    show_default=False)
FormatOpt = typer.Option(
    None, "--format", "-f", help=f"Output format: {'|'.join(FORMATS)} (default: table, or "
    "implied by -o's extension).", show_default=False)
OutputOpt = typer.Option(None, "--output", "-o", help="Write to this file instead of stdout.",
                         show_default=False)


def load(path: Optional[Path]) -> Network:
    """Load a network for a command (errors propagate to :func:`graphmodel.cli.main`)."""
    from graphmodel.network import load_network   # noqa: PLC0415 (start-up speed)

    return load_network(path)


def emit(frame: pd.DataFrame, fmt: Optional[str], output: Optional[Path],
         sheet: str = "result") -> None:
    """Write a result table in the requested format to ``output`` or stdout."""
    from graphmodel.output import infer_format, render, write_text, write_xlsx  # noqa: PLC0415

    fmt = infer_format(fmt, output)
    if fmt not in FORMATS:
        raise typer.BadParameter(f"unknown format '{fmt}' (expected one of {', '.join(FORMATS)})",
                                 param_hint="--format")
    if fmt == "xlsx":
        if output is None:
            raise typer.BadParameter("xlsx output needs a file: add -o FILE.xlsx", param_hint="-o")
        write_xlsx({sheet: frame}, output)
        print(f"wrote {output}", file=sys.stderr)
        return
    text = render(frame, fmt)
    if output is None:
        sys.stdout.write(text)
    else:
        write_text(text, output)
        print(f"wrote {output}", file=sys.stderr)
