"""Events: read news feeds, GDELT exports and simple event tables into one validated table.

Flow: :mod:`.read` (with :mod:`.feeds` and :mod:`.gdelt`) -> the event table.
"""
from __future__ import annotations

from .read import EVENT_COLUMNS, EventBatch, parse_events, read_events

__all__ = ["EVENT_COLUMNS", "EventBatch", "parse_events", "read_events"]
