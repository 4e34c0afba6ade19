"""Helpers for the hostile-input corpus (tests/test_hostile_*.py)."""
from __future__ import annotations

import sys

import pytest

from graphmodel import cli


def run_cli(monkeypatch, capsys, *args) -> tuple[int, str, str]:
    """Run ``tiern ARGS`` in this process; returns (exit code, stdout, stderr).

    In-process (not a subprocess) so the corpus stays fast; ``cli.main`` is the same entry
    point the installed ``tiern`` script calls.
    """
    monkeypatch.setattr(sys, "argv", ["tiern", *map(str, args)])
    with pytest.raises(SystemExit) as done:
        cli.main()
        raise SystemExit(0)
    out = capsys.readouterr()
    return done.value.code or 0, out.out, out.err


def replace_in(path, old: str, new: str) -> None:
    """Replace the first ``old`` with ``new`` in a text file (which must contain it)."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
