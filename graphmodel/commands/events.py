"""``tiern watch EVENTS [PATH]``: alerts for the watched sinks from a batch of events, each with
its evidence, a draft scenario and the time to survive it (see :mod:`graphmodel.events`)."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from ._common import FormatOpt, OutputOpt, PathArg, emit, load

# The event readers and analytics are imported inside the command, for start-up speed.

#: Where the state and the drafts go unless told (relative to the working folder).
DEFAULT_STATE = Path("tiern-watch") / "state.json"
DEFAULT_DRAFTS = Path("tiern-watch") / "drafts"


def register(app: typer.Typer) -> None:
    app.command("watch")(watch)


def watch(
    events: Path = typer.Argument(..., help="Events: RSS/Atom feed, GDELT event or GKG export, "
                                            "or a CSV/JSON with date,title,text,url.",
                                  show_default=False),
    path: Optional[Path] = PathArg,
    watchlist: Optional[Path] = typer.Option(None, "--watchlist", help="Watchlist YAML (sinks, "
                                             "facilities, countries, materials, thresholds); "
                                             "default: every sink is watched."),
    rules: Optional[Path] = typer.Option(None, "--rules", help="Rules YAML extending the "
                                         "bundled kinds and keywords."),
    aliases: Optional[Path] = typer.Option(None, "--aliases", help="Alias table CSV "
                                           "(alias,canonical_id), as for tiern ingest merge."),
    state: Path = typer.Option(DEFAULT_STATE, "--state", help="State file: events already "
                               "seen are not alerted again."),
    all_events: bool = typer.Option(False, "--all", help="Ignore the state: alert every event "
                                    "of the file (the state is still updated)."),
    drafts: Path = typer.Option(DEFAULT_DRAFTS, "--drafts", help="Folder for the draft "
                                "scenario of every alerted event (one YAML each)."),
    fmt: Optional[str] = FormatOpt,
    output: Optional[Path] = OutputOpt,
) -> None:
    """Match events to the network and alert the watched sinks that depend on what they name:
    one row per (event, sink) with event, date, kind, matched, evidence, confidence, sink,
    lost_share and tts_months. Events that give no alert are named on stderr with the reason."""
    from graphmodel.events import (WATCH_COLUMNS, load_rules, load_watchlist, read_events,
                                   read_state, record_events)
    from graphmodel.events import watch as run_watch
    from graphmodel.events.read import read_alias_table
    from graphmodel.output import write_text
    from graphmodel.safe_yaml import dump_yaml

    net = load(path)
    batch = read_events(events)
    chosen = load_watchlist(watchlist, net) if watchlist else None
    seen = frozenset() if all_events else frozenset(read_state(state))
    alerts = run_watch(net, batch.events, watchlist=chosen, rules=load_rules(rules),
                       aliases=read_alias_table(aliases) if aliases else None, seen=seen)
    for note in batch.notes:
        print(f"note: {note}", file=sys.stderr)
    for row in alerts.skipped.itertuples():
        print(f"no alert: {row.file}:{row.row}: '{row.event}' ({row.date}): {row.reason}",
              file=sys.stderr)
    for event_id, scenario in alerts.drafts.items():
        write_text(dump_yaml(scenario, sort_keys=False, allow_unicode=True),
                   drafts / alerts.draft_files[event_id])
    record_events(state, batch.events)
    emit(alerts.rows[WATCH_COLUMNS], fmt, output, sheet="alerts")
    events_alerted = alerts.rows["event_id"].nunique()
    again = (f"; {alerts.already_seen} already seen (--all to alert them again)"
             if alerts.already_seen else "")
    print(f"{len(alerts.rows)} alert rows from {events_alerted} of {len(batch.events)} events"
          f"{again}; drafts in {drafts}/" if alerts.drafts else
          f"{len(alerts.rows)} alert rows from {len(batch.events)} events{again}", file=sys.stderr)
