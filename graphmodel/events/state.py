"""The watch state: which events ``tiern watch`` has already seen, so none is alerted twice.

A small JSON file (``--state FILE``)::

    {"format": "tiern-watch-state", "version": 1,
     "seen": {"<event id>": {"date": "2025-04-04", "title": "...", "first_seen": "2026-12-06T04:00:00+00:00"}}}

Every event a watch run reads is recorded, alerted or not (an event that named nothing is
not reported again either). The file is replaced atomically (written beside it, then
renamed), so an interrupted run leaves the previous state intact. A file that is not such a
state is refused, never overwritten.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from pathlib import Path

import pandas as pd

from ..errors import TiernError

__all__ = ["StateError", "read_state", "record_events", "MAX_STATE_BYTES"]

#: Largest state file read (an entry is about 150 bytes: some 600,000 events).
MAX_STATE_BYTES = 100 * 1024 ** 2
_FORMAT = "tiern-watch-state"


class StateError(TiernError):
    """A state file that cannot be read as a watch state."""


def read_state(path: str | Path) -> dict[str, dict]:
    """The ``seen`` entries of the state file (empty when the file does not exist yet)."""
    path = Path(path)
    if not path.exists():
        return {}
    if not path.is_file():
        raise StateError(f"{path}: the state path is not a file")
    if path.stat().st_size > MAX_STATE_BYTES:
        raise StateError(f"{path}: state file larger than {MAX_STATE_BYTES:,} bytes")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise StateError(f"{path}: not a tiern watch state file ({error})") from None
    if not isinstance(data, dict) or data.get("format") != _FORMAT or \
            not isinstance(data.get("seen"), dict):
        raise StateError(f"{path}: not a tiern watch state file (expected "
                         f"{{\"format\": \"{_FORMAT}\", \"seen\": {{...}}}})")
    return data["seen"]


def record_events(path: str | Path, events: pd.DataFrame) -> int:
    """Add ``events`` (the event table) to the state file; returns how many were new."""
    path = Path(path)
    seen = read_state(path)
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    new = 0
    for event in events[["id", "date", "title"]].itertuples(index=False):
        if event.id not in seen:
            seen[event.id] = {"date": event.date, "title": event.title[:200], "first_seen": now}
            new += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".state-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump({"format": _FORMAT, "version": 1, "seen": seen}, out, indent=1,
                      ensure_ascii=False)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return new
