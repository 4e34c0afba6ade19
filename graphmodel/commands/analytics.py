"""``tiern concentration``, ``tiern exposure`` and ``tiern crma`` (issue 4)."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import typer

from graphmodel.choices import CAPACITY_BASES, EXPOSURE_BASES

from ._common import FormatOpt, OutputOpt, PathArg, WideOpt, emit, load


def register(app: typer.Typer) -> None:
    app.command("concentration")(concentration_command)
    app.command("exposure")(exposure_command)
    app.command("crma")(crma_command)


def concentration_command(
    path: Optional[Path] = PathArg,
    country: str = typer.Option("CN", "--country", "-c",
                                help="Focus country for share_location/share_control (name or ISO code)."),
    basis: str = typer.Option("nameplate", "--basis",
                              help=f"Capacity basis: {' | '.join(CAPACITY_BASES)} (qualified = "
                                   "capacity reaching customers over qualified links)."),
    include_planned: bool = typer.Option(False, "--include-planned",
                                         help="Count construction and planned facilities too "
                                              "(idle never)."),
    by: Optional[str] = typer.Option(None, "--by", help="Breakdown: material."),
    fmt: Optional[str] = FormatOpt,
    output: Optional[Path] = OutputOpt,
    wide: bool = WideOpt,
) -> None:
    """Capacity concentration per stage: shares by location and control, HHI, top holders."""
    from graphmodel.concentration import concentration
    from graphmodel.exposure import country_code

    code = country_code(country)
    net = load(path)
    table = concentration(net, code, basis=basis, include_planned=include_planned, by=by)
    emit(table, fmt, output, sheet="concentration", wide=wide)


def exposure_command(
    path: Optional[Path] = PathArg,
    country: str = typer.Option("CN", "--country", "-c",
                                help="Origin country (name or ISO code), or 'all' for the "
                                     "share by every origin country."),
    stage: str = typer.Option("separator", "--stage", "-s", help="Origin stage traced back to."),
    basis: str = typer.Option("location", "--basis",
                              help=f"{' | '.join(EXPOSURE_BASES)}: where the stage facility is, "
                                   "or where its ultimate owner is."),
    sinks_only: bool = typer.Option(False, "--sinks-only",
                                    help="Only facilities where supply leaves the network."),
    element: Optional[str] = typer.Option(
        None, "--element", "-e",
        help="Trace one element's supply (e.g. Dy): links weighted by their material's element "
             "content (materials.csv); recycled material is its own origin."),
    material: Optional[str] = typer.Option(
        None, "--material", "-m",
        help="Trace one material's supply (e.g. \"Dy oxide\"): where it goes (by the recipes) "
             "and the feed it was made from; recycled material is its own origin."),
    through_scrap: bool = typer.Option(False, "--through-scrap",
                                       help="With --element or --material: trace recycled "
                                            "material back through the scrap to the primary "
                                            "chain."),
    fmt: Optional[str] = FormatOpt,
    output: Optional[Path] = OutputOpt,
    wide: bool = WideOpt,
) -> None:
    """Tier-N exposure: share of each facility's supply tracing back to a country at a stage."""
    from graphmodel.exposure import country_code, exposure, exposure_matrix

    every_country = country.strip().lower() == "all"
    code = None if every_country else country_code(country)
    net = load(path)
    sinks = net.sinks                # where supply leaves the network, in material terms
    if element is not None and material is not None:
        raise typer.BadParameter("give --element or --material, not both", param_hint="--material")
    if element is not None:
        from graphmodel.elements import element_network

        net = element_network(net, element, through_scrap=through_scrap)
    elif material is not None:
        from graphmodel.elements import material_network

        net = material_network(net, material, through_scrap=through_scrap)
    elif through_scrap:
        raise typer.BadParameter("only with --element or --material", param_hint="--through-scrap")
    if every_country:
        table = exposure_matrix(net, stage, basis=basis)
    else:
        table = exposure(net, code, stage, basis=basis)
    if sinks_only:
        table = table[table["id"].isin(sinks)].reset_index(drop=True)
    from graphmodel.output import infer_format

    if infer_format(fmt, output) != "table":
        emit(table, fmt, output, sheet="exposure", wide=wide,
             shares=[c for c in table.columns if c not in _EXPOSURE_KEYS])
        return
    view, shares, notes = _exposure_view(table, every_country)
    emit(view, fmt, output, sheet="exposure", wide=wide, shares=shares, notes=notes)


#: The columns of an exposure table that describe the facility (the rest are shares).
_EXPOSURE_KEYS = ["id", "name", "stage", "country"]


def _exposure_view(table, every_country: bool):
    """The exposure table as a person reads it: most exposed first, facilities with no
    exposure at all left out (counted in a note), the shares before the descriptions.

    Only the ``table`` format gets this view; csv, json, xlsx and md keep every row in the
    library's order (other tools read them)."""
    shares = [c for c in table.columns if c not in _EXPOSURE_KEYS]
    origins = [c for c in shares if c != "unknown"]
    exposed = table[origins].fillna(0).max(axis=1) > 0
    hidden = int((~exposed).sum())
    order = table[origins].fillna(0).max(axis=1) if every_country else table["share"]
    view = table[exposed].assign(_order=order[exposed]).sort_values(
        "_order", ascending=False, kind="stable").drop(columns="_order")
    keys = [c for c in _EXPOSURE_KEYS if c in view.columns]
    view = view[keys[:1] + shares + keys[1:]].reset_index(drop=True)
    notes = []
    if hidden:
        unreached = int((~exposed & (table["unknown"] >= 1)).sum())
        notes.append(f"{hidden} of {len(table)} facilities with no supply from the origin "
                     f"left out ({unreached} of them unknown 100%: upstream of the stage or "
                     "not reached from it); -f csv or -f json lists every facility")
    return view, shares, notes


def crma_command(
    path: Optional[Path] = PathArg,
    buyers: str = typer.Option("eu", "--buyers", "-b",
                               help="Buyer set: eu (facilities in the EU-27), sinks, or a "
                                    "comma-separated list of facility ids or countries."),
    threshold: float = typer.Option(0.65, "--threshold", help="Flag a stage above this share."),
    basis: str = typer.Option("location", "--basis", help=" | ".join(EXPOSURE_BASES)),
    weights: str = typer.Option("inbound", "--weights",
                                help="Buyer weights: inbound (volume) | equal."),
    detail: bool = typer.Option(False, "--detail",
                                help="Show every stage x origin-country share instead."),
    fmt: Optional[str] = FormatOpt,
    output: Optional[Path] = OutputOpt,
    wide: bool = WideOpt,
) -> None:
    """EU CRMA style check: stages where one third country exceeds the threshold of the
    buyer set's supply."""
    from graphmodel.exposure import crma_check, crma_shares

    net = load(path)
    with _stage_progress() as progress:
        if detail:
            table = crma_shares(net, buyers, basis=basis, weights=weights, progress=progress)
        else:
            table = crma_check(net, buyers, threshold=threshold, basis=basis, weights=weights,
                               progress=progress)
    emit(table, fmt, output, sheet="crma", wide=wide)


@contextmanager
def _stage_progress():
    """A transient progress bar on stderr, advanced by the library's progress callback."""
    from rich.console import Console
    from rich.progress import Progress

    console = Console(stderr=True)
    with Progress(console=console, transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task("tracing supply stage by stage", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance
