"""Readable ``--help``: plain value names instead of typer's type labels.

Typer labels every option with its Python type (``<bool>`` beside a flag, ``<int range>
[x>=1]``, ``<list[str]>``), which reads as an internal detail. The command and group
classes here give each parameter a plain value name instead, the way man pages do:

======================  ===========================================================
parameter               shown as
======================  ===========================================================
flag (``--wide``)       nothing: a flag takes no value
whole number            ``N``, with its range in words in the help (``at least 1``)
number                  ``X``, likewise
path                    ``PATH`` (``FILE`` for ``--output``/``--*-file``, unless a folder)
choice                  ``a|b|c``
anything else           ``TEXT``
argument                its name in capitals (``PATH``, ``EVENT``)
======================  ===========================================================

A parameter with its own ``metavar`` keeps it. :func:`readable` applies the classes to a
whole typer app (its commands and sub-apps), so command modules need not name them. The
first paragraph of each command's docstring becomes its one-line summary in the command
list, joined into one line (typer keeps the docstring's line breaks there).

Only typer is imported here: help must stay fast (see :mod:`graphmodel.commands`).
"""
from __future__ import annotations

import inspect
from typing import get_args

import typer
from typer.core import TyperCommand, TyperGroup

__all__ = ["ReadableCommand", "ReadableGroup", "readable", "value_name", "range_words"]

_READABLE = "_tiern_readable"


#: Bounds at or above this are the integer type's own limit, not a choice worth printing.
_NO_LIMIT = 1e15


def _number(value: float) -> str:
    return f"{value:,}" if float(value).is_integer() else f"{value:g}"


def range_words(low: float | None, high: float | None) -> str | None:
    """A numeric range in words: ``at least 1``, ``at most 9``, ``0 to 1``; None if open.

    >>> range_words(1, None), range_words(0, 1), range_words(1, 100_000), range_words(0.5, None)
    ('at least 1', '0 to 1', '1 to 100,000', 'at least 0.5')
    """
    if high is not None and high >= _NO_LIMIT:
        high = None
    if low is None and high is None:
        return None
    if high is None:
        return f"at least {_number(low)}"
    if low is None:
        return f"at most {_number(high)}"
    return f"{_number(low)} to {_number(high)}"


def value_name(param) -> str:
    """The value name shown for ``param`` (a typer parameter); see the module table."""
    if getattr(param, "is_bool_flag", False):
        return ""
    desc = getattr(param, "type_descriptor", None)
    if desc is None:
        return "TEXT"
    if desc.is_choice:
        return "|".join(map(str, desc.choices))
    if desc.is_path:
        long = [o for o in getattr(param, "opts", []) if o.startswith("--")]
        to_file = long and (long[0] == "--output" or long[0].endswith("-file"))
        if to_file and "folder" not in (param.help or "").lower():
            return "FILE"
        return "PATH"
    annotation = desc.annotation
    if desc.is_list and get_args(annotation):
        annotation = get_args(annotation)[0]
    if annotation is int:
        return "N"
    if annotation is float:
        return "X"
    return "TEXT"


def _make_readable(param) -> None:
    if getattr(param, _READABLE, False):
        return
    setattr(param, _READABLE, True)
    if param.param_type_name == "argument":
        if param.metavar is None:
            param.metavar = (param.name or "value").upper()
        # the name column already says what the value is; typer would add "<path>" beside it
        param.display_type_rich = lambda ctx: None
        return
    if param.metavar is None:
        param.metavar = value_name(param)
    words = range_words(getattr(param, "min", None), getattr(param, "max", None))
    if words:
        text = (param.help or "").rstrip()
        param.help = (f"{text[:-1]} ({words})." if text.endswith(".")
                      else f"{text} ({words})".strip())
    # the range is now in the help text; typer would repeat it as "[x>=1]"
    param._get_number_range_help_str = lambda: None


class ReadableCommand(TyperCommand):
    """A typer command whose help shows plain value names (module docstring), and which
    runs under the working indicator of :mod:`graphmodel.commands._activity` (``--quiet``
    turns it off where a command has that flag)."""

    def get_params(self, ctx):
        params = super().get_params(ctx)
        for param in params:
            _make_readable(param)
        return params

    def invoke(self, ctx):
        from ._activity import running

        words, level = [], ctx
        while level.parent is not None:    # "neo4j push", not the program's own name
            words.append(level.info_name)
            level = level.parent
        with running(" ".join(reversed(words)) or self.name,
                     enabled=not ctx.params.get("quiet", False)):
            return super().invoke(ctx)


class ReadableGroup(TyperGroup):
    """A typer group whose own help shows plain value names (module docstring)."""

    def get_params(self, ctx):
        params = super().get_params(ctx)
        for param in params:
            _make_readable(param)
        return params


def _summary(callback) -> str | None:
    doc = inspect.getdoc(callback) if callback is not None else None
    if not doc:
        return None
    return " ".join(doc.split("\n\n")[0].split())


def readable(app: typer.Typer) -> typer.Typer:
    """Make ``app``, its commands and its sub-apps use the readable classes; returns ``app``."""
    if not isinstance(app.info.cls, type) or app.info.cls is TyperGroup:
        app.info.cls = ReadableGroup
    for info in app.registered_commands:
        if info.cls in (None, TyperCommand):   # typer fills in its own class by default
            info.cls = ReadableCommand
        if info.short_help is None and info.help is None:
            info.short_help = _summary(info.callback)
    for group in app.registered_groups:
        if group.typer_instance is not None:
            readable(group.typer_instance)
    return app
