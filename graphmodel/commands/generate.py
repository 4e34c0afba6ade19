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
) -> None:
    """Write a deterministic, stage-layered synthetic network in the interchange format."""
    from graphmodel.generate import GeneratorSettings, generate_tables
    from graphmodel.io import write_tables

    started = time.perf_counter()
    tables = generate_tables(GeneratorSettings(
        facilities, seed, suppliers_per_buyer=suppliers_per_buyer,
        dominant_country=dominant_country, dominant_share=dominant_share, recipes=recipes))
    tables = {k: v for k, v in tables.items() if len(v) or k in ("facilities", "links")}
    write_tables(tables, output)
    print(f"wrote {output}: {len(tables['facilities'])} facilities, {len(tables['links'])} links "
          f"in {time.perf_counter() - started:.1f} s", file=sys.stderr)
