"""``tiern ingest ...`` run as a user runs it."""
from __future__ import annotations


import pytest

from graphmodel.examples import example_path
from graphmodel.network import load_network

from .conftest import DATA_DIR
from .cli_runner import tiern

USGS = DATA_DIR / "usgs" / "mcs2026_rare_earths.csv"
BACI = DATA_DIR / "trade" / "baci" / "BACI_HS22_Y2023_V202501.csv"
AMRT = DATA_DIR / "amrt" / "amrt_mock.xlsx"




@pytest.mark.slow  # six CLI runs; the same pipeline runs in-process in test_ingest_bundled.py
def test_ingest_each_source_then_merge_and_validate(tmp_path):
    usgs = tiern("ingest", "usgs", USGS, "-o", tmp_path / "usgs", "--year", "2025")
    assert ("warning: mcs2026_rare_earths.csv:146:Country: 'Other countries' (550 t REO in 2025) is a "
            "rest-of-world aggregate with no ISO country; left out of the network") in usgs.stderr
    assert f"wrote {tmp_path / 'usgs'}: 12 facilities, 0 links" in usgs.stderr
    tiern("ingest", "trade", BACI, "-o", tmp_path / "trade", "--layout", "baci")
    tiern("ingest", "amrt", AMRT, "-o", tmp_path / "amrt", "--report", tmp_path / "amrt.csv")
    assert (tmp_path / "amrt.csv").read_text().startswith("level,file,row,column,message\n")
    merged = tiern("ingest", "merge", example_path("golden"), tmp_path / "usgs", tmp_path / "trade",
                   tmp_path / "amrt", "-o", tmp_path / "merged", "--report", tmp_path / "merge.md")
    assert "4 link reduced, 3 capacity residual" in merged.stderr
    assert (tmp_path / "merge.md").read_text().startswith("# Merge report")
    assert tiern("validate", tmp_path / "merged").stdout.startswith("ok: merged: 39 facilities, 28 links")
    net = load_network(tmp_path / "merged")
    assert net.facilities.loc["CN-mine-agg", "capacity"] == 270_000 - 100  # golden mine_cn holds 100


def test_bad_file_gives_file_row_column_errors(tmp_path):
    bad = tmp_path / "BACI_HS22_Y2023_V202501.csv"
    bad.write_text("t,i,j,k,v\n2023,156,392,284690,10\n", encoding="utf-8")
    codes = DATA_DIR / "trade" / "baci" / "country_codes_V202501.csv"
    result = tiern("ingest", "trade", bad, codes, "-o", tmp_path / "out", check=False)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "BACI_HS22_Y2023_V202501.csv:1:q: missing required column 'q' (header has: t, i, j, k, v)",
        "1 problem found",
    ]


def test_missing_input_and_bad_layout(tmp_path):
    result = tiern("ingest", "usgs", tmp_path / "nowhere.csv", "-o", tmp_path / "out", check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: {tmp_path / 'nowhere.csv'}: no such file or folder"
    result = tiern("ingest", "trade", BACI, "-o", tmp_path / "out", "--layout", "xml", check=False)
    assert result.returncode != 0 and "'xml' is not one of 'baci', 'comtrade'" in result.stderr
