"""Events to alerts: read news and GDELT events, match them to a network, and turn each
into a draft scenario with a time to survive for every watched sink that depends on it.

Flow: :mod:`.read` (with :mod:`.feeds` and :mod:`.gdelt`) -> event table -> :mod:`.match`
(terms from the network and :mod:`.rules`) -> :mod:`.watch` (dependence, :mod:`.draft`
scenarios, runs) -> alert rows; :mod:`.state` remembers what was seen.
"""
from __future__ import annotations

from .read import EVENT_COLUMNS, EventBatch, parse_events, read_events
from .rules import Rules, RulesFileError, load_rules
from .state import StateError, read_state, record_events
from .watch import (SKIPPED_COLUMNS, WATCH_COLUMNS, Alerts, Watchlist, WatchlistError,
                    load_watchlist, watch)

__all__ = ["EVENT_COLUMNS", "EventBatch", "parse_events", "read_events", "Rules",
           "RulesFileError", "load_rules", "StateError", "read_state", "record_events",
           "SKIPPED_COLUMNS", "WATCH_COLUMNS", "Alerts", "Watchlist", "WatchlistError",
           "load_watchlist", "watch"]
