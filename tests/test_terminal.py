"""Tables for a terminal (graphmodel.terminal) and the command line's table views."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pandas as pd
import pytest

from hypothesis import given, settings
from hypothesis import strategies as st

from graphmodel.terminal import (_cell, fit, format_number, format_share, is_plain_integer,
                                 is_share)
from tests.cli_runner import tiern

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "graphmodel" / "_examples" / "golden"


def _tiern_at(width: int, *args, check=True):
    """``tiern ARGS`` with a terminal of ``width`` columns (``$COLUMNS``)."""
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(width)
    try:
        return tiern(*args, check=check)
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old


# --- cells ------------------------------------------------------------------------------------
@pytest.mark.parametrize("value, text", [(0.7039, "70.4%"), (1.0, "100.0%"), (0.0, "0%"),
                                         (0.00036, "0.04%"), (4e-7, "<0.01%"),
                                         (float("nan"), "")])
def test_shares_as_percentages(value, text):
    assert format_share(value) == text


@pytest.mark.parametrize("value, text", [(144638.4, "144,638"), (3136.0, "3,136"),
                                         (999.5, "999.5"), (166.6667, "166.7"), (7, "7"),
                                         (0.0, "0"), (float("nan"), "")])
def test_numbers_with_one_thousands_rule(value, text):
    assert format_number(value) == text


def test_share_columns_by_name():
    assert all(map(is_share, ["share", "top_country_share", "share_control", "criticality",
                              "unknown", "min_supply"]))
    assert not any(map(is_share, ["demand_at_risk", "hhi_country", "capacity", "shareholder"]))


# --- fitting ----------------------------------------------------------------------------------
def _wide_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "id": ["a-very-long-facility-identifier", "b"],
        "name": ["A name far longer than any terminal column should be allowed to show", "B"],
        "criticality": [0.7139, 0.0004],
        "demand_at_risk": [144638.0, 3136.0],
        **{f"extra_column_{i}": [1.5, 2.5] for i in range(8)},
        "year": [2025, 2024],
    })


def test_fit_stays_within_the_width_and_names_what_it_leaves_out():
    fitted = fit(_wide_frame(), width=80)
    lines = fitted.text.splitlines()
    assert max(map(len, lines)) <= 80
    assert "a-very-long-facility-identifier" in fitted.text      # ids are never shortened
    assert "…" in fitted.text and "71.4%" in fitted.text and "144,638" in fitted.text
    assert fitted.notes and "year" in fitted.notes[0] and "--wide" in fitted.notes[0]


def test_wide_keeps_every_column_and_character():
    fitted = fit(_wide_frame(), width=80, wide=True)
    assert not fitted.notes
    assert "A name far longer than any terminal column should be allowed to show" in fitted.text
    assert "2025" in fitted.text and "2,025" not in fitted.text       # a year is not a quantity


def test_headers_break_after_underscores_before_columns_are_dropped():
    frame = pd.DataFrame({"fastest_qualification_months": [6.0], "external_demand_at_risk": [1.0]})
    fitted = fit(frame, width=30)
    assert not fitted.notes
    lines = fitted.text.splitlines()
    assert max(map(len, lines)) <= 30
    header = [line.split() for line in lines[:-1]]             # the last line is the row
    assert len(header) >= 2 and ["qualification_"] in [h[:1] for h in header]


@settings(max_examples=60, deadline=None)
@given(values=st.one_of(
    st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=12),
    st.lists(st.integers(-10**12, 10**12), max_size=12),
    st.lists(st.one_of(st.none(), st.text(max_size=12)), max_size=12),
), name=st.sampled_from(["share", "capacity", "year", "name"]))
def test_each_cell_of_a_wide_table_is_the_value_formatted_alone(values, name):
    """fit's whole-column formatting (numbers and one-line text take a shorter route) prints
    each value as the one-value formatter does: a share as a percentage, a quantity with
    thousands separators, a year as it is, text with its line breaks folded."""
    frame = pd.DataFrame({name: pd.Series(values, dtype="str")
                          if values and not isinstance(values[0], (int, float)) else values})
    column = frame[name]
    numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
    lines = fit(frame, wide=True).text.splitlines()[1:]
    want = [_cell(v, numeric and is_share(name), is_plain_integer(name))
            for v in column.tolist()]
    assert [line.strip() for line in lines] == [text.strip() for text in want]


# --- the command line -------------------------------------------------------------------------
def test_chokepoints_rank_what_the_report_and_app_rank():
    # the report and the app leave the sinks out (a sink's own demand makes it critical to
    # itself); so does the command line by default
    from graphmodel.chokepoints import chokepoints
    from graphmodel.network import load_network
    from graphmodel.report import build_report

    net = load_network(GOLDEN)
    rows = json.loads(tiern("chokepoints", GOLDEN, "--top", "5", "-f", "json").stdout)
    report = build_report(net, top=5, backtests=[])
    assert [r["id"] for r in rows] == report.top["id"].tolist()
    assert [r["id"] for r in rows] == chokepoints(net, exclude_sinks=True)["id"].head(5).tolist()
    assert not {r["id"] for r in rows} & set(net.sinks)
    every = json.loads(tiern("chokepoints", GOLDEN, "--include-sinks", "-f", "json").stdout)
    assert set(net.sinks) <= {r["id"] for r in every}


def test_table_view_formats_but_json_and_csv_keep_raw_numbers():
    table = _tiern_at(200, "chokepoints", GOLDEN, "--top", "3").stdout
    assert re.search(r"\d+\.\d%", table)                     # criticality as a percentage
    rows = json.loads(tiern("chokepoints", GOLDEN, "--top", "3", "-f", "json").stdout)
    assert all(isinstance(r["criticality"], float) and 0 <= r["criticality"] <= 1 for r in rows)
    csv = tiern("chokepoints", GOLDEN, "--top", "3", "-f", "csv").stdout
    assert "%" not in csv


def test_tables_fit_the_terminal_unless_wide():
    narrow = _tiern_at(80, "chokepoints")
    assert max(map(len, narrow.stdout.splitlines())) <= 80
    assert "more column" in narrow.stderr and "--wide" in narrow.stderr
    wide = _tiern_at(80, "chokepoints", "--wide")
    header = " ".join(wide.stdout.splitlines()[:3])
    assert "fastest_qualification_months" in header.replace(" ", "") or \
        "fastest_qualification_months" in header


def test_exposure_table_opens_with_the_most_exposed():
    result = _tiern_at(200, "exposure", "--country", "FR")
    lines = result.stdout.splitlines()
    shares = [float(re.search(r"\s([\d.]+)%", line).group(1)) for line in lines[1:]
              if re.search(r"\s[\d.]+%", line)]
    assert shares and shares == sorted(shares, reverse=True) and shares[0] > 0
    assert not re.search(r"\s0%\s+100\.0%", result.stdout)     # no facility with no exposure
    assert "left out" in result.stderr
    rows = json.loads(tiern("exposure", "--country", "FR", "-f", "json").stdout)
    assert len(rows) > len(lines) - 1 and any(r["share"] == 0 for r in rows)


def test_scenario_presets_read_as_paragraphs():
    out = _tiern_at(100, "scenario-presets").stdout
    assert "\\n" not in out
    assert max(map(len, out.splitlines())) <= 100 or all(
        " " not in line.strip() for line in out.splitlines() if len(line) > 100)  # one long URL
    rows = json.loads(tiern("scenario-presets", "-f", "json").stdout)
    assert rows and not any("\n" in r["description"] or "\n" in r["source"] for r in rows)


def test_no_rerouted_links_is_a_sentence():
    out = tiern("scenario", "bayan-obo-outage", "--no-reroute", "--by", "links")
    assert out.stdout == "nothing rerouted: rerouting is off (--no-reroute)\n"
    assert json.loads(tiern("scenario", "bayan-obo-outage", "--no-reroute", "--by", "links",
                            "-f", "json").stdout) == []


def test_preset_sources_cite_no_missing_file():
    # a file named in a preset's text must be in the repository (else cite the public source)
    cited = re.compile(r"[\w./-]+\.(?:md|csv|yaml|yml|xlsx|json|pdf)\b")
    folder = ROOT / "data" / "scenarios"
    for path in sorted(folder.glob("*.yaml")):
        text = re.sub(r"https?://\S+", "", path.read_text(encoding="utf-8"))
        for name in cited.findall(text):
            bases = (ROOT, ROOT / "data", ROOT / "data" / "observed", folder)
            assert any((base / name).exists() for base in bases), \
                f"{path.name} cites {name}, which is not in the repository"


def test_the_working_line_is_on_stderr_and_never_in_the_result():
    # stderr made to look like a terminal: the command shows what it does and for how long,
    # on stderr only; the result on stdout is exactly what a pipe gets (validate prints its
    # own line, concentration goes through the table writer)
    import subprocess
    import sys

    env = {**os.environ, "TTY_COMPATIBLE": "1", "FORCE_COLOR": "1", "COLUMNS": "200"}
    for args, first in ((["validate", GOLDEN], "ok: golden: 14 facilities"),
                        (["concentration", GOLDEN, "--wide"], "stage")):
        done = subprocess.run([sys.executable, "-m", "graphmodel.cli", *map(str, args)],
                              capture_output=True, text=True, env=env)
        assert done.returncode == 0, done.stderr[-2000:]
        assert f"tiern {args[0]}: " in done.stderr
        assert first in done.stdout.splitlines()[0] and "\x1b" not in done.stdout
        assert done.stdout == _tiern_at(200, *args).stdout


def test_scenario_workbook_shows_monthly_supply_as_percentages(tmp_path):
    import openpyxl

    out = tmp_path / "s.xlsx"
    tiern("scenario", "bayan-obo-outage", "-o", out)
    months = openpyxl.load_workbook(out)["months"]
    assert months.cell(row=1, column=1).value == "month"
    assert months.cell(row=2, column=2).number_format == "0.0%"     # a sink's supply share
    assert isinstance(months.cell(row=2, column=2).value, (int, float))   # still a number
    assert months.auto_filter.ref == months.dimensions


def test_workbook_share_formats_follow_the_command(tmp_path):
    import openpyxl

    def formats(path, sheet):
        book = openpyxl.load_workbook(path)[sheet]
        return {c.value: book.cell(row=2, column=c.column).number_format for c in book[1]}

    tiern("summary", GOLDEN, "--by", "flow-basis", "-o", tmp_path / "f.xlsx")
    flow = formats(tmp_path / "f.xlsx", "summary")
    assert flow["reported_share"] == "0.0%" and flow["unknown"] != "0.0%"   # tonnes there
    tiern("exposure", GOLDEN, "--country", "all", "-o", tmp_path / "e.xlsx")
    exposure = formats(tmp_path / "e.xlsx", "exposure")
    assert exposure["CN"] == "0.0%" and exposure["unknown"] == "0.0%"


def test_docstring_examples():
    import doctest

    from graphmodel import terminal
    from graphmodel.commands import _help

    for module in (terminal, _help):
        result = doctest.testmod(module)
        assert result.attempted and not result.failed, module.__name__
