"""Options and helpers shared by table commands: PATH, --format, -o, --wide, loading, output."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Collection, Optional, Sequence

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
WideOpt = typer.Option(False, "--wide", "-w", help="Table format: show every column and every "
                       "character (by default the table fits the terminal).")


def load(path: Optional[Path]) -> Network:
    """Load a network for a command (errors propagate to :func:`graphmodel.cli.main`),
    through the cache of validated networks unless ``TIERN_CACHE=0``
    (:mod:`graphmodel.netcache`)."""
    from graphmodel.netcache import load_network_cached   # noqa: PLC0415 (start-up speed)

    from ._activity import step

    step("loading the network")
    net = load_network_cached(path)
    step("computing")
    return net


def emit(frame: pd.DataFrame, fmt: Optional[str], output: Optional[Path],
         sheet: str = "result", *, wide: bool = False,
         shares: Optional[Collection[str]] = None, notes: Sequence[str] = (),
         empty: str = "no rows") -> None:
    """Write a result table in the requested format to ``output`` or stdout.

    The ``table`` format on stdout fits the terminal unless ``wide``
    (:func:`graphmodel.terminal.fit`; ``shares``: the columns shown as percentages there and
    formatted as percentages in xlsx, default by name); what it leaves out, and the caller's ``notes`` about the table view, go to
    stderr. Every other format, and a table written to a file, holds every column in full.
    A table format with no rows prints the sentence ``empty`` instead of a bare header.
    """
    from graphmodel.output import infer_format, render, write_text, write_xlsx  # noqa: PLC0415

    from ._activity import stop

    stop()   # the working indicator ends before the result is written

    fmt = infer_format(fmt, output)
    if fmt not in FORMATS:
        raise typer.BadParameter(f"unknown format '{fmt}' (expected one of {', '.join(FORMATS)})",
                                 param_hint="--format")
    if fmt == "xlsx":
        if output is None:
            raise typer.BadParameter("xlsx output needs a file: add -o FILE.xlsx", param_hint="-o")
        write_xlsx({sheet: frame}, output,
                   shares=None if shares is None else {sheet: list(shares)})
        print(f"wrote {output}", file=sys.stderr)
        return
    later: list[str] = []   # notes about the table view, printed after it
    if fmt == "table" and not len(frame):
        text = empty.rstrip() + "\n"
    elif fmt == "table":
        from graphmodel.terminal import fit  # noqa: PLC0415

        fitted = fit(frame, wide=wide or output is not None, shares=shares)
        text = fitted.text
        later = [*notes, *fitted.notes] if output is None else []
    else:
        text = render(frame, fmt)
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        for note in later:
            print(f"note: {note}", file=sys.stderr)
    else:
        write_text(text, output)
        print(f"wrote {output}", file=sys.stderr)
