"""``tiern neo4j ...``: push, pull and query a network in Neo4j (or FalkorDB) over Bolt.

The commands drive :class:`graphmodel.store.neo4j.Neo4jStore`.

Connection options fall back to ``NEO4J_URI``, ``NEO4J_USER``, ``NEO4J_PASSWORD``,
``NEO4J_DATABASE`` and ``TIERN_NEO4J_DIALECT``. Prefer the environment for the password
(a command-line argument is visible to other local users); it is never printed.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, List, Optional

import typer

from ..limits import MAX_STORE_BATCH
from ..choices import DEFAULT_STORE_BATCH as DEFAULT_BATCH_SIZE
from ._common import FormatOpt, OutputOpt, PathArg, WideOpt, emit, load

if TYPE_CHECKING:
    from ..store.neo4j import Neo4jStore, TierFilter

# rich's progress bar is imported inside push, for start-up speed (see graphmodel.commands).

neo4j_app = typer.Typer(
    help="Push a network to Neo4j, pull it back, and run Tier-N queries in the database.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(neo4j_app, name="neo4j")


UriOpt = typer.Option(None, "--uri", help="Bolt URI, e.g. bolt://host:7687 or neo4j+s://x.databases.neo4j.io "
                      "(default: $NEO4J_URI, else bolt://localhost:7687).", show_default=False)
UserOpt = typer.Option(None, "--user", help="User (default: $NEO4J_USER, else neo4j).",
                       show_default=False)
PasswordOpt = typer.Option(None, "--password", help="Password (default: $NEO4J_PASSWORD; prefer "
                           "the environment variable).", show_default=False)
DatabaseOpt = typer.Option(None, "--database", help="Database name (default: $NEO4J_DATABASE, "
                           "else the server's default).", show_default=False)
DialectOpt = typer.Option(None, "--dialect", help="Server kind: neo4j | falkordb (default: "
                          "$TIERN_NEO4J_DIALECT, else neo4j).", show_default=False)
DatasetOpt = typer.Option(None, "--dataset", help="Dataset tag to read (default: the current one).",
                          show_default=False)


def _store(uri, user, password, database, dialect) -> Neo4jStore:
    # the store (the driver, pandas) loads with the first command that needs it
    from ..store.neo4j import Neo4jStore, Settings

    return Neo4jStore(Settings.from_env(uri=uri, user=user, password=password,
                                        database=database, dialect=dialect))


@neo4j_app.command()
def push(
    path: Optional[Path] = PathArg,
    replace: bool = typer.Option(False, "--replace", help="Load under a new dataset tag, then "
                                 "switch to it atomically and delete the old datasets."),
    batch_size: int = typer.Option(DEFAULT_BATCH_SIZE, "--batch-size", min=1, max=MAX_STORE_BATCH,
                                   help="Rows per UNWIND batch."),
    dataset: Optional[str] = typer.Option(None, "--dataset", help="Dataset tag (with --replace: "
                                          "its prefix). Default: the current tag, else the "
                                          "network's name.", show_default=False),
    keep_old: bool = typer.Option(False, "--keep-old", help="With --replace, keep the previous "
                                  "datasets (invisible) instead of deleting them."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    uri: Optional[str] = UriOpt, user: Optional[str] = UserOpt,
    password: Optional[str] = PasswordOpt, database: Optional[str] = DatabaseOpt,
    dialect: Optional[str] = DialectOpt,
) -> None:
    """Write a network (default: bundled data) to the database: idempotent upsert in batches."""
    net = load(path)
    with _store(uri, user, password, database, dialect) as store:
        if quiet:
            result = store.push(net, replace=replace, dataset=dataset, batch_size=batch_size,
                                keep_old=keep_old)
        else:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            columns = (TextColumn("{task.description:<24}"), BarColumn(), MofNCompleteColumn())
            with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
                task = bar.add_task("pushing", total=None)

                def progress(what: str, done: int, total: int) -> None:
                    bar.update(task, description=what, completed=done, total=total)

                result = store.push(net, replace=replace, dataset=dataset,
                                    batch_size=batch_size, keep_old=keep_old, progress=progress)
        counts = ", ".join(f"{n} {k}" for k, n in result.counts.items())
        print(f"pushed {net.name} ({counts}) as dataset '{result.tag}' to "
              f"{store.settings.where}", file=sys.stderr)
        if result.deleted:
            print(f"deleted {len(result.deleted)} old dataset(s): {', '.join(result.deleted)}",
                  file=sys.stderr)


@neo4j_app.command()
def pull(
    output: Path = typer.Option(..., "--output", "-o", help="Write here: a folder of CSV files, "
                                "or a workbook if it ends in .xlsx."),
    dataset: Optional[str] = DatasetOpt,
    uri: Optional[str] = UriOpt, user: Optional[str] = UserOpt,
    password: Optional[str] = PasswordOpt, database: Optional[str] = DatabaseOpt,
    dialect: Optional[str] = DialectOpt,
) -> None:
    """Read a dataset back into the interchange format (validated like any input)."""
    with _store(uri, user, password, database, dialect) as store:
        net = store.pull(dataset)
    written = net.write(output)
    print(f"wrote {written} ({len(net.facilities)} facilities, {len(net.links)} links)",
          file=sys.stderr)


@neo4j_app.command()
def trace(
    facility: str = typer.Argument(..., help="Facility id to trace upstream from."),
    depth: int = typer.Option(3, "--depth", "-d", min=1, max=50, help="Tiers upstream."),
    country: Optional[List[str]] = typer.Option(None, "--country", help="Keep suppliers in "
                                                "this country (every tier; repeatable)."),
    stage: Optional[List[str]] = typer.Option(None, "--stage", help="Keep suppliers of this "
                                              "stage (every tier; repeatable)."),
    material: Optional[List[str]] = typer.Option(None, "--material", help="Keep links of this "
                                                 "material (every tier; repeatable)."),
    tier: Optional[List[str]] = typer.Option(None, "--tier", help="Filter of one tier, e.g. "
                                             "'2:country=CN|MY,stage=separator,material=NdPr "
                                             "oxide' (repeatable; overrides the all-tier "
                                             "filters for that tier)."),
    dataset: Optional[str] = DatasetOpt,
    fmt: Optional[str] = FormatOpt, output: Optional[Path] = OutputOpt,
    wide: bool = WideOpt,
    uri: Optional[str] = UriOpt, user: Optional[str] = UserOpt,
    password: Optional[str] = PasswordOpt, database: Optional[str] = DatabaseOpt,
    dialect: Optional[str] = DialectOpt,
) -> None:
    """Upstream suppliers of a facility, tier by tier, traversed in the database."""
    from ..store.neo4j import TierFilter

    every = TierFilter(countries=country, stages=stage, materials=material)
    filters = {k: every for k in range(1, depth + 1)}
    for spec in tier or []:
        k, one = parse_tier(spec)
        if not 1 <= k <= depth:
            raise typer.BadParameter(f"tier {k} is beyond --depth {depth}", param_hint="--tier")
        filters[k] = one
    with _store(uri, user, password, database, dialect) as store:
        frame = store.trace(facility, depth, filters, dataset=dataset)
    emit(frame, fmt, output, sheet="trace", wide=wide)


@neo4j_app.command()
def exposure(
    country: str = typer.Option("CN", "--country", help="Origin country (ISO alpha-2)."),
    stage: str = typer.Option("separator", "--stage", help="Origin stage."),
    of: str = typer.Option("oem", "--of", help="Stage whose facilities to list, or 'all'."),
    iterations: Optional[int] = typer.Option(None, "--iterations", min=1, help="Propagation "
                                             "steps (default: facility count + 50)."),
    dataset: Optional[str] = DatasetOpt,
    fmt: Optional[str] = FormatOpt, output: Optional[Path] = OutputOpt,
    wide: bool = WideOpt,
    uri: Optional[str] = UriOpt, user: Optional[str] = UserOpt,
    password: Optional[str] = PasswordOpt, database: Optional[str] = DatabaseOpt,
    dialect: Optional[str] = DialectOpt,
) -> None:
    """Share of each facility's supply tracing back to STAGE facilities in COUNTRY (in Cypher)."""
    with _store(uri, user, password, database, dialect) as store:
        frame = store.exposure(country=country.upper(), stage=stage, dataset=dataset,
                               iterations=iterations)
    if of != "all":
        frame = frame[frame["stage"] == of].reset_index(drop=True)
    emit(frame, fmt, output, sheet="exposure", wide=wide)


@neo4j_app.command()
def status(
    uri: Optional[str] = UriOpt, user: Optional[str] = UserOpt,
    password: Optional[str] = PasswordOpt, database: Optional[str] = DatabaseOpt,
    dialect: Optional[str] = DialectOpt,
) -> None:
    """Check the connection; show the server, the current dataset and all datasets."""
    with _store(uri, user, password, database, dialect) as store:
        info = store.status()
    print(f"server:   {info['server']} ({info['agent']}, Bolt {info['protocol']}, "
          f"dialect {info['dialect']})")
    print(f"current:  {info['current'] or '(none)'}")
    if len(info["datasets"]):
        print(info["datasets"].to_string(index=False))


def parse_tier(spec: str) -> tuple[int, TierFilter]:
    """``'2:country=CN|MY,stage=separator'`` -> (2, TierFilter(...))."""
    from ..store.neo4j import TierFilter

    head, sep, body = spec.partition(":")
    try:
        k = int(head)
    except ValueError:
        raise typer.BadParameter(f"'{spec}': expected TIER:key=value,... e.g. "
                                 "2:country=CN,stage=separator", param_hint="--tier") from None
    fields = {"country": "countries", "stage": "stages", "material": "materials"}
    values: dict[str, list[str]] = {}
    for part in filter(None, (p.strip() for p in body.split(","))):
        key, eq, value = part.partition("=")
        if not eq or key.strip() not in fields:
            raise typer.BadParameter(f"'{part}' in '{spec}': expected country=, stage= or "
                                     "material=", param_hint="--tier")
        values[fields[key.strip()]] = [v.strip() for v in value.split("|") if v.strip()]
    return k, TierFilter(**values)


__all__ = ["neo4j_app", "register", "parse_tier"]
