"""``tiern generate``: synthetic Tier-N networks for scale tests and benchmarks."""
from __future__ import annotations

import sys
import time
from pathlib import Path

import typer

from graphmodel.limits import MAX_GENERATED_FACILITIES, MAX_SEED

# Analytics are imported inside the commands, for start-up speed (see graphmodel.commands).


def register(app: typer.Typer) -> None:
    app.command("generate")(generate)


def generate(
    facilities: int = typer.Option(..., "--facilities", "-n", min=20, max=MAX_GENERATED_FACILITIES,
                                   help="Number of facilities."),
    seed: int = typer.Option(0, "--seed", "-s", min=0, max=MAX_SEED,
                             help="Random seed (same seed, same network)."),
    output: Path = typer.Option(..., "--output", "-o", help="Folder (or .xlsx for small networks)."),
    suppliers_per_buyer: float = typer.Option(3.0, min=0, max=1000,
                                              help="Mean number of suppliers per buyer."),
    dominant_country: str = typer.Option("CN", help="Country dominating the mid stages."),
    dominant_share: float = typer.Option(0.8, min=0, max=1, help="Its share of mid-stage facilities."),
    recipes: bool = typer.Option(False, "--recipes", help="Add Dy/Tb links and a recipes.csv "
                                 "(metal, alloy, magnet and motor stages)."),
    loop_share: float = typer.Option(None, "--loop-share", min=0, max=0.3,
                                     help="Share of facilities in recycling loops (0: acyclic; "
                                     "default: ~1% recycling back-links)."),
    loop_length: int = typer.Option(2, "--loop-length", min=1, max=50,
                                    help="Supply links a recycled flow climbs back upstream."),
    recyclers: int = typer.Option(None, "--recyclers", min=0, max=MAX_GENERATED_FACILITIES,
                                  help="Number of recyclers (default: 1% of the facilities)."),
    recycler_placement: str = typer.Option("downstream", "--recycler-placement",
                                           help="Where scrap is collected: downstream (magnet, "
                                           "motor, OEM) or spread (every stage from metal on)."),
    depth: int = typer.Option(9, "--depth", min=9, max=200,
                              help="Supply tiers (9: one per stage; more split downstream stages)."),
    degree: str = typer.Option("poisson", "--degree", help="In-degree distribution: poisson or "
                               "powerlaw."),
    giant_component: bool = typer.Option(False, "--giant-component",
                                         help="Close all but the mines into one strongly "
                                         "connected component."),
) -> None:
    """Write a deterministic, stage-layered synthetic network in the interchange format."""
    from graphmodel.generate import GeneratorSettings, generate_tables, looped_share
    from graphmodel.io import write_tables

    started = time.perf_counter()
    try:
        settings = GeneratorSettings(
            facilities, seed, suppliers_per_buyer=suppliers_per_buyer,
            dominant_country=dominant_country, dominant_share=dominant_share, recipes=recipes,
            loop_share=loop_share, loop_length=loop_length, recyclers=recyclers,
            recycler_placement=recycler_placement, depth=depth, degree_distribution=degree,
            giant_component=giant_component)
        tables = generate_tables(settings)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error
    tables = {k: v for k, v in tables.items() if len(v) or k in ("facilities", "links")}
    write_tables(tables, output)
    looped = f", {looped_share(tables):.1%} looped" if settings.custom_loops else ""
    print(f"wrote {output}: {len(tables['facilities'])} facilities, {len(tables['links'])} links"
          f"{looped} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
