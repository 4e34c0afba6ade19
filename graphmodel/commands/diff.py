"""``tiern diff OLD NEW``: facilities, links, owners, capacities and demand added, removed and
changed between two versions of a network, and the change in each stage's China share."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from ._common import OutputOpt, load

# Analytics are imported inside the commands, for start-up speed (see graphmodel.commands).


def register(app: typer.Typer) -> None:
    app.command("diff")(diff)


def diff(
    old: Path = typer.Argument(..., help="The older network (folder of CSV files or .xlsx)."),
    new: Path = typer.Argument(..., help="The newer network (folder of CSV files or .xlsx)."),
    fmt: str = typer.Option("table", "--format", "-f", help="table | json"),
    output: Optional[Path] = OutputOpt,
) -> None:
    """Compare two networks: rows added, removed and changed (which columns, old -> new) and
    each stage's China share (location basis)."""
    from graphmodel.diff import diff_networks

    if fmt not in ("table", "json"):
        raise typer.BadParameter(f"unknown format '{fmt}' (expected table or json)",
                                 param_hint="--format")
    result = diff_networks(load(old), load(new))
    text = (json.dumps(result.to_dict(), indent=2) + "\n" if fmt == "json"
            else _text(result))
    if output is None:
        sys.stdout.write(text)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        print(f"wrote {output}", file=sys.stderr)


def _text(result) -> str:
    from graphmodel.output import render

    lines = [f"old: {result.old['name']} (hash {result.old['hash']})",
             f"new: {result.new['name']} (hash {result.new['hash']})", ""]
    lines.append(render(result.counts, "table"))
    changes = result.changes
    for table in result.counts["table"]:
        part = changes[changes["table"] == table]
        if not len(part):
            continue
        lines.append(f"{table}:")
        for change in ("added", "removed"):
            for key in part.loc[part["change"] == change, "key"]:
                lines.append(f"  {change:<8} {key}")
        changed = part[part["change"] == "changed"]
        for key, rows in changed.groupby("key", sort=False):
            lines.append(f"  changed  {key}")
            for row in rows.itertuples():
                lines.append(f"           {row.column}: {_show(row.old)} -> {_show(row.new)}")
        lines.append("")
    if not len(changes):
        lines.append("no row added, removed or changed")
        lines.append("")
    share = result.china_share
    lines.append("China share by stage (location basis, operating capacity):")
    shown = share.assign(**{c: share[c].map(_percent) for c in ("old_share", "new_share")},
                         change=share["change"].map(_points))
    lines.append(render(shown, "table"))
    return "\n".join(lines)


def _show(value) -> str:
    return "(empty)" if value is None or value == "" else repr(value) if isinstance(value, str) \
        else str(value)


def _percent(value: float) -> str:
    return "" if value != value else f"{value * 100:.1f}%"


def _points(value: float) -> str:
    return "" if value != value else f"{value * 100:+.1f} pt"
