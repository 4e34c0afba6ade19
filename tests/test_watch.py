"""``tiern watch``: alerts with evidence, draft scenarios and times to survive; the JSON row
contract; no-match events named on stderr; state so that no event is alerted twice."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from graphmodel import load_network
from graphmodel.events import (WatchlistError, load_watchlist, parse_events, read_events,
                               read_state, record_events, watch)
from graphmodel.events.state import StateError
from graphmodel.examples import load_golden
from graphmodel.scenarios import load_scenario, parse_scenario, run_scenario
from graphmodel.settings import bundled_data_path

from .hostile import run_cli

SAMPLES = bundled_data_path() / "events"
FEED = SAMPLES / "rare-earths-2025-2026.rss.xml"
GDELT = SAMPLES / "gdelt-events-rare-earths-2025-2026.csv"
WATCHLIST = SAMPLES / "watchlist-three-oems.yaml"
THREE_OEMS = {"us-ford", "jp-toyota", "de-volkswagen"}
CONTRACT = ["event", "date", "kind", "matched", "evidence", "confidence", "sink", "lost_share",
            "tts_months"]


def golden_events(*rows: str):
    return parse_events(("date,title,text,url\n" + "".join(r + "\n" for r in rows)).encode(),
                        "e.csv").events


# --- known answers on the golden network ----------------------------------------------------

def test_dependence_is_the_share_lost_when_the_matched_facilities_fail():
    events = golden_events("2025-06-01,Flood halts Lynas Malaysia separator,Typhoon rain,https://x/1")
    alerts = watch(load_golden(), events)
    rows = alerts.rows.set_index("sink")
    assert set(rows.index) == {"oem_def", "oem_auto"}
    assert set(rows["matched"]) == {"sep_my"}       # the sinks lose most through sep_my
    # Hand solve, sep_my down ("Lynas Malaysia", its owner, is the longest name matched):
    # metal_cn loses 15/60, metal_jp 20/25; magnet_jp gets 24/30 from metal_jp and 6/30 from
    # rec_jp, which recycles oem_auto's scrap: L_mjp = 0.8*0.8 + 0.2*L_auto and
    # L_auto = (30*0.25 + 10*L_mjp)/40, so L_mjp = 0.6775/0.95 and
    # oem_def = 0.5*0.25 + 0.5*L_mjp = 0.481579, oem_auto = 0.1875 + 0.25*L_mjp = 0.365789.
    assert rows.at["oem_def", "dependence"] == pytest.approx(0.125 + 0.5 * 0.6775 / 0.95)
    assert rows.at["oem_auto", "dependence"] == pytest.approx(0.1875 + 0.25 * 0.6775 / 0.95)
    assert set(rows["kind"]) == {"weather"}   # flood + typhoon (2 hits) over halts (1)
    assert (rows["confidence"] == 0.7).all()   # min(facility 0.8, kind 0.7)


def test_the_draft_runs_and_the_row_reports_its_result():
    net = load_golden()
    events = golden_events("2025-06-01,Export ban on NdPr from China,Chinese export controls,u")
    alerts = watch(net, events)
    draft = alerts.drafts[events.loc[0, "id"]]
    shock = draft["shocks"][0]
    assert shock["type"] == "export_control" and shock["select"]["country"] == ["CN"]
    assert shock["select"]["element"] == ["Nd", "Pr"]           # "NdPr" names both
    assert shock["capacity_loss"] == 0.5 and shock["duration_months"] == 6
    assert draft["responses"] == {"reroute_lead_months": 2}
    result = run_scenario(net, parse_scenario(draft)).sinks.set_index("id")
    for row in alerts.rows.itertuples():
        assert row.lost_share == pytest.approx(result.at[row.sink, "lost_share"])
        expected = result.at[row.sink, "tts_months"]
        assert (row.tts_months is pd.NA and pd.isna(expected)) or row.tts_months == expected


def test_an_event_naming_nothing_gives_no_row_and_a_reason():
    events = golden_events("2025-06-02,Lithium prices rise,Spodumene traders,https://x/2",
                           "2025-06-03,Lynas Malaysia separator named,visit by the minister,u")
    alerts = watch(load_golden(), events)
    assert alerts.rows.empty and not alerts.drafts
    reasons = list(alerts.skipped["reason"])
    assert reasons[0].startswith("names no facility, owner or country of the network")
    assert reasons[1].startswith("names sep_my") and "no kind of disruption" in reasons[1]


def test_a_sink_that_does_not_depend_gets_no_row():
    events = golden_events("2025-06-01,Fire halts Golden US separator,planned plant,u")
    alerts = watch(load_golden(), events)     # sep_us is planned: nobody depends on it
    assert alerts.rows.empty
    assert "no watched sink depends on it" in alerts.skipped.loc[0, "reason"]


def test_seen_events_are_left_out(tmp_path):
    events = golden_events("2025-06-01,Flood halts Lynas Malaysia separator,x,https://x/1")
    state = tmp_path / "state.json"
    assert record_events(state, events) == 1
    assert record_events(state, events) == 0         # recorded once
    again = watch(load_golden(), events, seen=frozenset(read_state(state)))
    assert again.rows.empty and again.already_seen == 1


def test_a_foreign_state_file_is_refused_not_overwritten(tmp_path):
    state = tmp_path / "state.json"
    state.write_text('{"something": "else"}', encoding="utf-8")
    with pytest.raises(StateError, match="not a tiern watch state file"):
        record_events(state, golden_events("2025-06-01,T,x,u"))
    assert state.read_text(encoding="utf-8") == '{"something": "else"}'


def test_watchlist_problems_are_reported_together(tmp_path):
    path = tmp_path / "w.yaml"
    path.write_text("sinks: [oem_def, mine_cn]\ncountries: [Atlantis]\n"
                    "thresholds: {confidence: 2}\ncolour: red\n", encoding="utf-8")
    with pytest.raises(WatchlistError) as raised:
        load_watchlist(path, load_golden())
    text = str(raised.value)
    for part in ("w.yaml: sinks: 'mine_cn' is not a sink", "w.yaml: countries: unknown country "
                 "'Atlantis'", "w.yaml: thresholds.confidence: must be a number between 0 and 1",
                 "w.yaml: colour: unknown field"):
        assert part in text


# --- the bundled samples: the done-when ------------------------------------------------

@pytest.fixture(scope="module")
def feed_run(tmp_path_factory):
    """``tiern watch`` on the bundled feed with the three-OEM watchlist (once per module)."""
    folder = tmp_path_factory.mktemp("watch")
    monkeypatch = pytest.MonkeyPatch()
    import sys
    from graphmodel import cli

    argv = ["tiern", "watch", str(FEED), "--watchlist", str(WATCHLIST), "--format", "json",
            "--state", str(folder / "state.json"), "--drafts", str(folder / "drafts"),
            "-o", str(folder / "alerts.json")]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as done:
        cli.main()
        raise SystemExit(0)
    monkeypatch.undo()
    assert (done.value.code or 0) == 0
    return folder, json.loads((folder / "alerts.json").read_text(encoding="utf-8"))


def test_three_oem_watchlist_lists_alerts_with_evidence_drafts_and_times_to_survive(feed_run):
    folder, rows = feed_run
    assert rows, "the bundled feed alerts the three OEMs"
    assert {r["sink"] for r in rows} == THREE_OEMS
    assert all(list(r)[:9] == CONTRACT for r in rows)          # the contract, in order
    assert all(r["evidence"] and 0 < r["confidence"] <= 1 for r in rows)
    by_event = {}
    for row in rows:
        by_event.setdefault(row["date"], []).append(row)
    # Myanmar (28 March 2025): the Kachin mines and leaching, by name
    assert {r["matched"] for r in by_event["2025-03-28"]} <= {"mm-kachin-ionic-clays",
                                                              "mm-kachin-leach"}
    assert "'Kachin' (word of its name)" in by_event["2025-03-28"][0]["evidence"]
    # China, Announcement 18 (4 April 2025): export control by China on Dy, Tb (and Sm)
    april = by_event["2025-04-04"]
    assert {r["matched"] for r in april} == {"CN"} and {r["kind"] for r in april} == {"export_control"}
    assert "'dysprosium' (element keyword)" in april[0]["evidence"]
    # times to survive: some OEM runs short under the April 2025 draft, with a month given
    assert any(r["tts_months"] is not None and r["lost_share"] > 0 for r in april)
    # a draft per alerted event, each valid for `tiern scenario FILE`
    drafts = sorted((folder / "drafts").glob("*.yaml"))
    assert {r["draft"] for r in rows} == {p.name for p in drafts}
    for path in drafts:
        scenario = load_scenario(path)
        assert scenario.responses.reroute_lead_months == 2


def test_a_draft_run_by_tiern_scenario_gives_the_alerts_numbers(feed_run, monkeypatch, capsys):
    folder, rows = feed_run
    april = [r for r in rows if r["date"] == "2025-04-04"]
    code, out, err = run_cli(monkeypatch, capsys, "scenario", folder / "drafts" / april[0]["draft"],
                             "--format", "json")
    assert code == 0, err
    sinks = {s["id"]: s for s in json.loads(out)}
    for row in april:
        assert sinks[row["sink"]]["tts_months"] == row["tts_months"]
        assert sinks[row["sink"]]["lost_share"] == pytest.approx(row["lost_share"])


def test_events_already_seen_are_not_alerted_twice(feed_run, monkeypatch, capsys):
    folder, rows = feed_run
    args = ["watch", FEED, "--watchlist", WATCHLIST, "--format", "json", "--state",
            folder / "state.json", "--drafts", folder / "drafts2"]
    code, out, err = run_cli(monkeypatch, capsys, *args)
    assert code == 0, err
    assert json.loads(out) == []
    assert "7 already seen (--all to alert them again)" in err
    code, out, err = run_cli(monkeypatch, capsys, *args, "--all")
    assert [(r["event"], r["sink"]) for r in json.loads(out)] == [(r["event"], r["sink"]) for r in rows]


def test_events_that_match_nothing_are_named_on_stderr(monkeypatch, capsys, tmp_path):
    code, out, err = run_cli(monkeypatch, capsys, "watch", GDELT, "--watchlist", WATCHLIST,
                             "--format", "json", "--state", tmp_path / "s.json", "--drafts",
                             tmp_path / "d")
    assert code == 0, err
    assert "no alert: gdelt-events-rare-earths-2025-2026.csv:2: 'SWEDEN: 030 (express intent " \
           "to cooperate), Kiruna, Norrbottens Lan, Sweden' (2025-01-31): names no facility, " \
           "owner or alias of the network; the countries it names (SE) have no facility in the " \
           "network" in err
    rows = json.loads(out)
    assert rows and "SWEDEN" not in " ".join(r["event"] for r in rows)


def test_the_simple_csv_is_accepted_and_no_watchlist_watches_every_sink(monkeypatch, capsys,
                                                                        tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("date,title,text,url\n2025-06-01,Fire halts Golden CN separator,x,u\n",
                    encoding="utf-8")
    golden = tmp_path / "net"
    load_golden().write(golden)
    code, out, err = run_cli(monkeypatch, capsys, "watch", path, golden, "--format", "json",
                             "--state", tmp_path / "s.json", "--drafts", tmp_path / "d")
    assert code == 0, err
    assert {r["sink"] for r in json.loads(out)} == {"oem_def", "oem_auto"}


def test_bad_event_file_fails_with_the_place(monkeypatch, capsys, tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("date,title,text,url\nyesterday,T,x,u\n", encoding="utf-8")
    code, _, err = run_cli(monkeypatch, capsys, "watch", path, "--state", tmp_path / "s.json")
    assert code == 1
    assert "events.csv:2:date: not a date: 'yesterday'" in err
    assert not (tmp_path / "s.json").exists()          # nothing recorded from a refused file


def test_the_bundled_gdelt_extract_reads_with_the_same_events_as_the_feed():
    # the extract and the feed cover the same stories: both alert on China and Kachin
    net = load_network(None)
    gdelt = read_events(GDELT).events
    matched = watch(net, gdelt, watchlist=load_watchlist(WATCHLIST, net)).rows
    assert {"CN", "mm-kachin-ionic-clays"} & set(matched["matched"])


def test_watchlist_filters_keep_only_events_naming_what_is_watched(tmp_path):
    net = load_golden()
    events = golden_events("2025-06-01,Flood halts Lynas Malaysia separator,x,https://x/1",
                           "2025-06-02,Fire halts Golden CN separator,x,https://x/2")
    path = tmp_path / "w.yaml"
    path.write_text("sinks: [oem_def]\ncountries: [China]\n", encoding="utf-8")
    alerts = watch(net, events, watchlist=load_watchlist(path, net))
    assert set(alerts.rows["matched"]) == {"sep_cn"} and set(alerts.rows["sink"]) == {"oem_def"}
    assert alerts.skipped.loc[0, "reason"] == ("matches nothing on the watchlist's facilities, "
                                               "countries or materials")


def test_aliases_and_rules_from_the_command_line(monkeypatch, capsys, tmp_path):
    folder = tmp_path / "net"
    load_golden().write(folder)
    (tmp_path / "events.csv").write_text(
        "date,title,text,url\n2025-06-01,Ransomware at Seri Kembangan works,x,u\n",
        encoding="utf-8")
    (tmp_path / "aliases.csv").write_text("alias,canonical_id\nSeri Kembangan works,sep_my\n",
                                          encoding="utf-8")
    (tmp_path / "rules.yaml").write_text(
        "kinds:\n  cyber:\n    shock: outage\n    severity: 0.2\n    duration_months: 1\n"
        "    keywords: [ransomware*]\n", encoding="utf-8")
    args = ["watch", tmp_path / "events.csv", folder, "--format", "json", "--state",
            tmp_path / "s.json", "--drafts", tmp_path / "d"]
    code, out, err = run_cli(monkeypatch, capsys, *args)
    assert code == 0 and json.loads(out) == []     # neither the alias nor the kind is known
    code, out, err = run_cli(monkeypatch, capsys, *args, "--all", "--aliases",
                             tmp_path / "aliases.csv", "--rules", tmp_path / "rules.yaml")
    assert code == 0, err
    rows = json.loads(out)
    assert {r["matched"] for r in rows} == {"sep_my"} and {r["kind"] for r in rows} == {"cyber"}
    assert "'Seri Kembangan works' (alias)" in rows[0]["evidence"]
    draft = load_scenario(tmp_path / "d" / rows[0]["draft"])
    assert draft.shocks[0].capacity_loss == 0.2


def test_a_bad_alias_table_names_the_cell(monkeypatch, capsys, tmp_path):
    (tmp_path / "events.csv").write_text("date,title,text,url\n2025-06-01,T,x,u\n",
                                         encoding="utf-8")
    (tmp_path / "aliases.csv").write_text("alias,canonical_id\nSeri Kembangan,\n",
                                          encoding="utf-8")
    code, _, err = run_cli(monkeypatch, capsys, "watch", tmp_path / "events.csv", "--aliases",
                           tmp_path / "aliases.csv", "--state", tmp_path / "s.json")
    assert code == 1 and "aliases.csv:2:canonical_id: missing value (required)" in err
