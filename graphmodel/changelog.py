"""Versions of the bundled dataset, read from ``data/CHANGELOG.md``.

Each version is a level-2 heading of the form::

    ## 2026.12.1 (2026-12-06) · hash `0123456789abcdef`

followed by what changed. The newest version comes first; its hash is the content hash
(:attr:`graphmodel.network.Network.hash`) of the bundled tables, which the test suite checks,
so a change to the data without a changelog entry fails the tests. A network whose hash is
in the changelog is that version of the bundled dataset; any other network has no version.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import InputFormatError
from .settings import BUNDLED_DATA

__all__ = ["CHANGELOG", "DatasetVersion", "read_changelog", "version_of"]

#: The bundled dataset's changelog.
CHANGELOG = BUNDLED_DATA / "CHANGELOG.md"

_HEADING = re.compile(r"^## (?P<version>\d{4}\.\d{1,2}\.\d+) \((?P<date>\d{4}-\d{2}-\d{2})\) "
                      r"· hash `(?P<hash>[0-9a-f]{16})`\s*$")


@dataclass(frozen=True)
class DatasetVersion:
    """One changelog entry: ``version`` (YYYY.MM.N), ``date``, content ``hash``, ``notes``
    (the entry's text)."""

    version: str
    date: dt.date
    hash: str
    notes: str


def read_changelog(path: str | Path = CHANGELOG) -> list[DatasetVersion]:
    """Every version in ``path``, newest first (as written).

    Raises :class:`~graphmodel.errors.InputFormatError` naming the line of a level-2 heading
    that does not follow the form above, or of a repeated version or hash.
    """
    path = Path(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    versions: list[DatasetVersion] = []
    seen: dict[str, int] = {}
    current, start = None, 0
    for number, line in enumerate(lines, start=1):
        if not line.startswith("## "):
            continue
        match = _HEADING.match(line)
        if match is None:
            raise InputFormatError(f"{path.name}:{number}: expected '## YYYY.MM.N (YYYY-MM-DD) "
                                   f"· hash `<16 hex digits>`', got {line!r}")
        for key in (match["version"], match["hash"]):
            if key in seen:
                raise InputFormatError(f"{path.name}:{number}: {key} repeats line {seen[key]}")
            seen[key] = number
        if current is not None:
            versions.append(_entry(current, lines[start:number - 1]))
        current, start = match, number
    if current is not None:
        versions.append(_entry(current, lines[start:]))
    return versions


def version_of(hash_: str, path: str | Path = CHANGELOG) -> DatasetVersion | None:
    """The changelog entry whose hash is ``hash_``, or None."""
    return _by_hash(str(path)).get(hash_)


@lru_cache(maxsize=4)
def _by_hash(path: str) -> dict[str, DatasetVersion]:
    if not Path(path).exists():
        return {}
    return {v.hash: v for v in read_changelog(path)}


def _entry(match: re.Match, body: list[str]) -> DatasetVersion:
    return DatasetVersion(version=match["version"], date=dt.date.fromisoformat(match["date"]),
                          hash=match["hash"], notes="\n".join(body).strip())
