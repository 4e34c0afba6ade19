"""A spinner with the elapsed time while a command works, on stderr, on a terminal only.

Every command loads the analytics stack and usually a network before it computes (seconds
on a busy machine), so every command shows that it is working: :class:`graphmodel.commands.
_help.ReadableCommand` runs each command inside :func:`running`. The line says what is
happening (``loading the network``, ``computing``: :func:`step`) and how long it has taken;
computations that report their own progress (chokepoints, the report, Monte Carlo runs, a
database push) draw their bars beneath it. Output never mixes with it: :func:`stop` ends the
line before a command writes its result (:func:`graphmodel.commands._common.emit` calls it,
and the first write to stdout does).

Nothing is drawn when stderr is not a terminal (pipes, files, tests), so scripts see only
the result and tiern's messages.
"""
from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from typing import Iterator, Optional

__all__ = ["running", "step", "stop"]

_current: Optional[dict] = None   # the live display of the command running in this process
_RETIRED: list = []               # stdout wrappers already replaced, kept alive (see stop)


@contextmanager
def running(command: str, enabled: bool = True) -> Iterator[None]:
    """Show ``tiern COMMAND: ...`` with a spinner and the elapsed time until the block ends."""
    global _current
    if not enabled or not _may_be_terminal():
        yield   # nothing to draw: rich (~0.1 s of imports) is not even loaded
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    if not console.is_terminal:
        yield
        return
    # stdout stays the real stdout: results must never pass through the display on stderr;
    # messages to stderr (notes, "wrote FILE") are printed above the line
    bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                   console=console, transient=True, redirect_stdout=False,
                   redirect_stderr=True)
    bar.start()
    task = bar.add_task(f"tiern {command}: loading", total=None)
    _current = {"bar": bar, "task": task, "command": command, "stdout": sys.stdout}
    sys.stdout = _StopOnWrite(sys.stdout)
    try:
        yield
    finally:
        stop()


def _may_be_terminal() -> bool:
    """Whether rich could take stderr for a terminal: a TTY, or one declared by
    ``TTY_COMPATIBLE=1`` or ``FORCE_COLOR`` (rich's own rules; it makes the final call)."""
    try:
        tty = sys.stderr.isatty()
    except (AttributeError, ValueError):   # no stream, or a closed one
        tty = False
    return tty or os.environ.get("TTY_COMPATIBLE") == "1" or bool(os.environ.get("FORCE_COLOR"))


class _StopOnWrite:
    """stdout that ends the display at its first write, so commands that print their result
    themselves (validate, diff, format) never draw over the spinner line."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        stop()
        return self._stream.write(text)

    def __getattr__(self, name):
        return getattr(self._stream, name)


def step(what: str) -> None:
    """Say what the running command does now (no-op when nothing is shown)."""
    if _current is not None:
        _current["bar"].update(_current["task"],
                               description=f"tiern {_current['command']}: {what}")


def stop() -> None:
    """End the display (before output is written); safe to call when nothing is shown."""
    global _current
    if _current is not None:
        current, _current = _current, None
        if isinstance(sys.stdout, _StopOnWrite):
            # print() holds sys.stdout as a borrowed reference while it writes: the wrapper
            # must outlive its replacement (freed mid-print, CPython crashes)
            _RETIRED.append(sys.stdout)
            sys.stdout = current["stdout"]
        current["bar"].stop()
