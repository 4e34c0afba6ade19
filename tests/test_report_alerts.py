"""The report's "Alerts from events" section (``tiern report --events FILE``)."""
from __future__ import annotations

import openpyxl

from graphmodel.events import parse_events
from graphmodel.examples import load_golden
from graphmodel.report import build_report, to_html, to_markdown, write_report

from .hostile import run_cli

EVENTS = ("date,title,text,url\n"
          "2025-06-01,Flood halts Lynas Malaysia separator,Typhoon rain,https://x.example/1\n"
          "2025-06-02,Lithium prices rise,Spodumene traders,https://x.example/2\n")


def test_the_report_lists_the_alerts_and_the_events_without_one(tmp_path):
    events = parse_events(EVENTS.encode(), "events.csv").events
    report = build_report(load_golden(), events=events, events_label="events.csv")
    markdown = to_markdown(report)
    assert "## Alerts from events" in markdown
    assert "1 of the 2 events in events.csv concern the watched sinks (every sink)" in markdown
    # oem_def loses 48.2% of its supply if sep_my fails (hand solve in tests/test_watch.py)
    assert "| 2025-06-01 | Flood halts Lynas Malaysia separator | weather" in markdown
    assert "48.2%" in markdown
    assert "Lithium prices rise | names no facility, owner or country" in markdown
    assert any(topic == "Alerts from events" for topic, _ in report.methodology)
    assert "<h2>Alerts from events</h2>" in to_html(report)
    path = write_report(report, tmp_path / "report.xlsx")
    sheets = openpyxl.load_workbook(path).sheetnames
    assert {"Alerts", "Events without alert"} <= set(sheets)


def test_no_events_no_section():
    assert "Alerts from events" not in to_markdown(build_report(load_golden()))


def test_report_command_takes_events(monkeypatch, capsys, tmp_path):
    (tmp_path / "events.csv").write_text(EVENTS, encoding="utf-8")
    folder = tmp_path / "net"
    load_golden().write(folder)
    code, _, err = run_cli(monkeypatch, capsys, "report", folder, "-o", tmp_path / "r.md",
                           "--events", tmp_path / "events.csv")
    assert code == 0, err
    assert "## Alerts from events" in (tmp_path / "r.md").read_text(encoding="utf-8")
    code, _, err = run_cli(monkeypatch, capsys, "report", folder, "-o", tmp_path / "r2.md",
                           "--watchlist", tmp_path / "w.yaml")
    assert code == 2 and "--watchlist needs --events FILE" in err
