"""Events: read news feeds, GDELT exports and simple event tables into one validated table,
and match them to a network.

Flow: :mod:`.read` (with :mod:`.feeds` and :mod:`.gdelt`) -> event table -> :mod:`.match`
(terms from the network and :mod:`.rules`).
"""
from __future__ import annotations

from .read import EVENT_COLUMNS, EventBatch, parse_events, read_events
from .rules import Rules, RulesFileError, load_rules

__all__ = ["EVENT_COLUMNS", "EventBatch", "parse_events", "read_events", "Rules",
           "RulesFileError", "load_rules"]
