"""Exceptions raised by tiern, caught by type in the CLI and the app."""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass


class TiernError(Exception):
    """Base class of every error tiern raises on purpose."""


@dataclass(frozen=True, order=True)
class Problem:
    """One problem found in an input file.

    ``row`` counts as a spreadsheet does: the header is row 1, the first record row 2.
    ``row`` 0 and column ``"-"`` mean the problem concerns the whole file or no single cell.
    """

    file: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}:{self.column}: {self.message}"


class ValidationError(TiernError):
    """An input network is invalid; ``problems`` lists every problem found, in file order."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=_problem_sort_key)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} found"
        super().__init__(head + ":\n" + "\n".join(str(p) for p in self.problems))


_FILE_ORDER = {"facilities": 0, "links": 1, "owners": 2, "demand": 3, "recipes": 4, "materials": 5,
               "capacities": 6, "capabilities": 7, "requirements": 8, "certifications": 9}


def _problem_sort_key(problem: Problem):
    stem = problem.file.rsplit("[", 1)[-1].rstrip("]").removesuffix(".csv").rsplit("/", 1)[-1]
    return (_FILE_ORDER.get(stem, 9), problem.file, problem.row, problem.column, problem.message)


class NodeNotFound(TiernError, KeyError):
    """A facility id that is not in the network."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else "facility not found"


class ConvergenceError(TiernError):
    """An iterative solve did not converge within its iteration limit."""


class InputFormatError(TiernError):
    """A file or folder that cannot be read as a network at all (wrong kind, missing)."""


class OutputError(TiernError):
    """A result cannot be written safely (a cell a format cannot hold, an unwritable target)."""


class SettingError(TiernError, ValueError):
    """An environment setting (``TIERN_*``) that cannot be read."""


_URI_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s'\"<>]*@")


def scrub_credentials(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with credentials removed: user and password inside any ``scheme://user:pw@host``
    become ``***``, and every given secret (of 4 characters or more) is replaced by ``***``.

    >>> scrub_credentials("cannot reach 'bolt://neo4j:pw@db:7687' (pw)", ["pw"])
    "cannot reach 'bolt://***@db:7687' (pw)"
    """
    text = _URI_USERINFO.sub(r"\1***@", str(text))
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text
