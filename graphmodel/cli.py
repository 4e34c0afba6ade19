"""The ``tiern`` command line.

Commands live in :mod:`graphmodel.commands`, one module per topic, each exposing
``register(app)``; a new command module is added to the list below, and packages above
graphmodel (``tiern ingest``) join through the ``tiern.commands`` entry point. Command modules keep
their heavy imports inside the commands, so ``tiern --help`` stays fast. Errors tiern raises on purpose are printed as messages (never a
traceback) and exit non-zero.
"""
from __future__ import annotations

import sys
from importlib.metadata import entry_points

import typer

from . import __version__
from .commands import (analytics, backtest, basics, chokepoints, compliance, diff, generate,
                       neo4j, scenarios)
from .errors import TiernError, ValidationError

app = typer.Typer(
    name="tiern",
    help="Tier-N supply-chain risk modelling: validate networks, measure concentration and "
         "exposure, find chokepoints, run disruption scenarios.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tiern {__version__}")
        raise typer.Exit()


@app.callback()
def _main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Show the version and exit.")) -> None:
    """Tier-N supply-chain risk modelling."""


for _commands in (analytics, backtest, basics, chokepoints, compliance, diff, generate, neo4j,
                  scenarios):
    _commands.register(app)
# packages above graphmodel (the source adapters' `tiern ingest`) register through entry points
for _entry in entry_points(group="tiern.commands"):
    _entry.load()(app)


def main() -> None:
    """Entry point: run the app, turning tiern's own errors into messages and exit codes."""
    try:
        app(standalone_mode=False)
    except ValidationError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        count = len(error.problems)
        print(f"{count} problem{'s' if count != 1 else ''} found", file=sys.stderr)
        sys.exit(1)
    except TiernError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        print("aborted", file=sys.stderr)
        sys.exit(1)
    except Exception as error:
        # usage errors (bad option values, missing arguments): click's ClickException, or the
        # copy typer vendors as typer._click; both know how to show themselves
        if callable(getattr(error, "show", None)) and isinstance(getattr(error, "exit_code", None), int):
            error.show()
            sys.exit(error.exit_code)
        raise


if __name__ == "__main__":
    main()
