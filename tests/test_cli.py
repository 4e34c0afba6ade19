"""The ``tiern`` command line, run as a user runs it."""
from __future__ import annotations

import json

import openpyxl
import pytest

from graphmodel.examples import example_path

from .conftest import DATA_DIR
from .cli_runner import tiern

GOLDEN = str(example_path("golden"))




def test_validate_ok():
    result = tiern("validate", GOLDEN)
    assert result.stdout.startswith("ok: golden: 14 facilities, 18 links")


def test_validate_prints_all_ten_planted_errors():
    result = tiern("validate", str(DATA_DIR / "ten_errors"), check=False)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "facilities.csv:2:stage: unknown stage 'smelter' (expected one of: mine, concentrator, "
        "mrec, separator, metal, alloy, magnet, motor, oem, recycler)",
        "facilities.csv:3:country: unknown country 'Atlantis' (use ISO 3166-1 alpha-2, e.g. CN)",
        "facilities.csv:4:capacity: must be >= 0, got -20",
        "facilities.csv:5:inventory_days: expected a number, got 'many'",
        "facilities.csv:6:status: unknown status 'closed' (expected one of: operating, "
        "construction, planned, idle)",
        "facilities.csv:16:id: duplicate id 'mine_cn' (first at row 2)",
        "links.csv:2:volume: must be >= 0, got -3",
        "links.csv:3:customer: self-link: supplier and customer are both 'mine_au'",
        "links.csv:16:customer: link runs backwards from motor 'motor_de' to magnet 'magnet_cn' "
        "(only links into or out of a recycler may)",
        "owners.csv:3:stake: must be <= 1, got 2",
        "10 problems found",
    ]


def test_missing_path_is_a_message_not_a_traceback(tmp_path):
    result = tiern("validate", str(tmp_path / "nowhere"), check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: {tmp_path / 'nowhere'}: no such file or folder"


def test_summary_json_is_list_of_rows():
    rows = json.loads(tiern("summary", GOLDEN, "--format", "json").stdout)
    mines = {r["country"]: r["capacity"] for r in rows if r["stage"] == "mine"}
    assert mines == {"CN": 100.0, "AU": 40.0, "US": 20.0}
    # the planned US separator is counted as a facility, not as operating capacity
    us_sep = next(r for r in rows if r["stage"] == "separator" and r["country"] == "US")
    assert (us_sep["facilities"], us_sep["operating"], us_sep["capacity"]) == (1, 0, 0.0)


@pytest.mark.parametrize("fmt,check", [
    ("csv", lambda t: t.splitlines()[0] == "stage,facilities,operating,countries,capacity,unit,capacity_unknown"),
    ("md", lambda t: t.splitlines()[0].startswith("| stage")),
    ("table", lambda t: "separator" in t and "t REO/yr" in t),
])
def test_summary_text_formats(fmt, check):
    assert check(tiern("summary", GOLDEN, "--by", "stage", "-f", fmt).stdout)


def test_output_file_format_from_extension(tmp_path):
    out = tmp_path / "summary.xlsx"
    tiern("summary", GOLDEN, "-o", str(out))
    sheet = openpyxl.load_workbook(out)["summary"]
    assert [c.value for c in sheet[1]][:3] == ["stage", "country", "facilities"]
    assert sheet["A1"].font.bold


def test_xlsx_needs_output_file():
    result = tiern("summary", GOLDEN, "-f", "xlsx", check=False)
    assert result.returncode != 0 and "xlsx output needs a file" in result.stderr


def test_convert_and_format(tmp_path):
    tiern("convert", GOLDEN, "-o", str(tmp_path / "g.xlsx"))
    assert tiern("validate", str(tmp_path / "g.xlsx")).stdout.startswith("ok: g: 14 facilities")
    assert "### `facilities.csv` (required)" in tiern("format").stdout


def test_bad_option_value_is_a_usage_error_not_a_traceback():
    result = tiern("summary", GOLDEN, "--by", "colour", check=False)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "expected stage-country, stage or flow-basis" in result.stderr


@pytest.mark.parametrize("args", [["--help"], ["scenario", "--help"], ["exposure", "--help"],
                                  ["neo4j", "--help"], ["ingest", "--help"]])
def test_help_loads_no_analytics_stack(args):
    # start-up speed, asserted on what is imported rather than on a clock: help text needs
    # typer and the option values (graphmodel.choices), never pandas, numpy, scipy or
    # networkx (about 1-5 s of imports on a cold machine)
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "graphmodel.cli", *args],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    imported = {line.split("|")[-1].strip().split(".")[0]
                for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert not imported & {"pandas", "numpy", "scipy", "networkx", "neo4j", "openpyxl"}
