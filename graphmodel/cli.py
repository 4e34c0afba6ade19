"""The ``tiern`` command line.

Commands live in :mod:`graphmodel.commands`, one module per topic, each exposing
``register(app)``; a new command module is added to the list below, and packages above
graphmodel (``tiern ingest``) join through the ``tiern.commands`` entry point. Command modules keep
their heavy imports inside the commands, so ``tiern --help`` stays fast. Errors tiern raises on purpose are printed as messages (never a
traceback) and exit non-zero.
"""
from __future__ import annotations

import os
import sys
from importlib.metadata import entry_points

import typer

from . import __version__
from .commands import (analytics, backtest, basics, chokepoints, compliance, diff, events,
                       generate, neo4j, scenarios)
from .commands._help import ReadableGroup, readable
from .errors import TiernError, ValidationError, scrub_credentials

app = typer.Typer(
    name="tiern",
    help="Tier-N supply-chain risk modelling: validate networks, measure concentration and "
         "exposure, find chokepoints, run disruption scenarios.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    cls=ReadableGroup,
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
                  scenarios, events):
    _commands.register(app)
# packages above graphmodel (the source adapters' `tiern ingest`) register through entry points
for _entry in entry_points(group="tiern.commands"):
    _entry.load()(app)
readable(app)   # plain value names in --help (N, PATH, ...) instead of typer's <int range>


def _secrets(argv: list[str]) -> list[str]:
    """Passwords given on the command line or in the environment, to keep out of messages."""
    found = [os.environ.get("NEO4J_PASSWORD", "")]
    for i, arg in enumerate(argv):
        if arg == "--password" and i + 1 < len(argv):
            found.append(argv[i + 1])
        elif arg.startswith("--password="):
            found.append(arg.split("=", 1)[1])
    return [s for s in found if s]


def _say(message: str) -> None:
    print(scrub_credentials(message, _secrets(sys.argv[1:])), file=sys.stderr)


def main() -> None:
    """Entry point: run the app, turning tiern's own errors into messages and exit codes.

    Every message passes through :func:`graphmodel.errors.scrub_credentials`, so a password
    given in ``--uri``, ``--password`` or ``NEO4J_PASSWORD`` is never printed.
    """
    try:
        app(standalone_mode=False)
    except ValidationError as error:
        for problem in error.problems:
            _say(str(problem))
        count = len(error.problems)
        print(f"{count} problem{'s' if count != 1 else ''} found", file=sys.stderr)
        sys.exit(1)
    except TiernError as error:
        _say(f"error: {error}")
        sys.exit(1)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        print("aborted", file=sys.stderr)
        sys.exit(1)
    except OSError as error:  # a file or folder that cannot be read or written
        where = f"{error.filename}: " if error.filename else ""
        _say(f"error: {where}{error.strerror or error}")
        sys.exit(1)
    except Exception as error:
        # usage errors (bad option values, missing arguments): click's ClickException, or the
        # copy typer vendors as typer._click; both know how to show themselves
        if callable(getattr(error, "show", None)) and isinstance(getattr(error, "exit_code", None), int):
            if hasattr(error, "message"):
                error.message = scrub_credentials(error.message, _secrets(sys.argv[1:]))
            error.show()
            sys.exit(error.exit_code)
        raise

if __name__ == "__main__":
    main()
