"""``--help`` of every command reads as prose: plain value names, no typer type labels."""
from __future__ import annotations

import re

import pytest
import typer
from typer.testing import CliRunner

from graphmodel.cli import app
from graphmodel.commands._help import range_words


def _command_paths(group, prefix=()):
    for name, command in sorted(getattr(group, "commands", {}).items()):
        yield (*prefix, name)
        yield from _command_paths(command, (*prefix, name))


COMMANDS = [()] + list(_command_paths(typer.main.get_command(app)))
#: typer's type labels and range notes, e.g. "<bool>", "<int range>", "[x>=1]", "<list[str]>"
LABELS = re.compile(r"<(bool|int|float|str|path|list|Path)[^>]*>|\[x[<>]=|<=x")


@pytest.mark.parametrize("words", COMMANDS, ids=lambda w: " ".join(w) or "tiern")
def test_help_has_no_type_labels(words):
    result = CliRunner().invoke(app, [*words, "--help"], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    found = LABELS.findall(result.output)
    assert not found, f"tiern {' '.join(words)} --help shows {found}:\n{result.output}"


def test_value_names_and_ranges_in_words():
    text = CliRunner().invoke(app, ["chokepoints", "--help"], env={"COLUMNS": "100"}).output
    assert re.search(r"--top\s+-n\s+N\s+Show the first N rows \(at least 1\)\.", text)
    assert re.search(r"--exclude-sinks\s+--include-sinks\s+Leave", text)   # flags take no value
    assert re.search(r"--output\s+-o\s+FILE\s", text)
    assert "PATH" in text


def test_command_list_joins_wrapped_summaries():
    # a docstring's first paragraph wraps over lines; the command list shows it as one sentence
    text = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"}).output
    line = next(l for l in text.splitlines() if " crma " in l)
    assert "exceeds the threshold of the buyer set's supply" in line


def test_range_words():
    assert range_words(1, None) == "at least 1"
    assert range_words(0, 1) == "0 to 1"
    assert range_words(1, 100_000) == "1 to 100,000"
    assert range_words(0, 2**63 - 1) == "at least 0"      # the integer type's own ceiling
    assert range_words(None, None) is None
