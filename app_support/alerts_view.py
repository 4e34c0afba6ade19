"""Alerts for the app: the bundled event samples, a cached watch run, and the hand-over of a
draft scenario to the Scenarios page (no page layout here)."""
from __future__ import annotations

import hashlib
from pathlib import Path

import streamlit as st

from graphmodel import Network
from graphmodel.events import Alerts, Watchlist, parse_events, watch
from graphmodel.settings import bundled_data_path

#: Session key of the drafts opened from the Alerts page: {choice key: scenario data}. The
#: Scenarios page lists them beside the presets.
DRAFTS_KEY = "draft_scenarios"
#: Prefix of a draft's choice key on the Scenarios page (``?scenario=draft-<event id>``).
DRAFT_PREFIX = "draft-"
_EVENT_SUFFIXES = (".xml", ".rss", ".atom", ".csv", ".json", ".tsv")


def sample_files() -> dict[str, Path]:
    """The bundled event samples by file name (``data/events``)."""
    folder = bundled_data_path() / "events"
    if not folder.is_dir():
        return {}
    return {p.name: p for p in sorted(folder.iterdir()) if p.suffix.lower() in _EVENT_SUFFIXES}


@st.cache_data(show_spinner=False, max_entries=32)
def _alerts(_net: Network, dataset: str, data: bytes, label: str, sinks: tuple[str, ...],
            confidence: float) -> tuple[Alerts, list[str]]:
    batch = parse_events(data, label)
    return watch(_net, batch.events, watchlist=Watchlist(sinks=sinks or None,
                                                         confidence=confidence)), batch.notes


def alerts(net: Network, data: bytes, label: str, sinks: list[str],
           confidence: float) -> tuple[Alerts, list[str]]:
    """:func:`graphmodel.events.watch` on an event file's bytes, cached per dataset, file
    content, watched sinks and confidence (the app keeps no state: every event is new)."""
    return _alerts(net, net.hash, data, label, tuple(sinks), float(confidence))


def draft_key(event_id: str) -> str:
    return f"{DRAFT_PREFIX}{event_id}"


def open_draft(event_id: str, scenario: dict) -> str:
    """Keep ``scenario`` in the session for the Scenarios page; returns its choice key."""
    key = draft_key(event_id)
    st.session_state.setdefault(DRAFTS_KEY, {})[key] = scenario
    return key


def drafts() -> dict[str, dict]:
    """The drafts opened in this session, by choice key."""
    return st.session_state.get(DRAFTS_KEY, {})


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:12]
