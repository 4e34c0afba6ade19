"""``tiern diff``: two hand-built four-facility networks with every kind of change."""
from __future__ import annotations

import json
import re

import pytest

from graphmodel.diff import diff_networks, table_changes
from graphmodel.network import load_network

from .cli_runner import tiern

FAC_HEADER = "id,name,stage,country,owner,capacity,unit,status\n"
OLD = {
    "facilities.csv": FAC_HEADER
    + "m_cn,Mine CN,mine,CN,A,60,t REO/yr,operating\n"
    + "m_au,Mine AU,mine,AU,B,40,t REO/yr,operating\n"
    + "s_cn,Sep CN,separator,CN,A,80,t REO/yr,operating\n"
    + "s_my,Sep MY,separator,MY,B,20,t REO/yr,operating\n",
    "links.csv": "supplier,customer,material,volume,status\n"
    "m_cn,s_cn,RE concentrate,60,qualified\n"
    "m_au,s_my,RE concentrate,20,qualified\n"
    "m_au,s_cn,RE concentrate,0,candidate\n",
    "owners.csv": "owner,parent,stake,country\nA,A,1,CN\nB,B,1,AU\n",
}
NEW = {
    # s_my grows 20 -> 60, m_au is renamed and its owner row changes country,
    # s_us is added (planned: no capacity counted), the candidate link is removed,
    # a link is added, one volume changes
    "facilities.csv": FAC_HEADER
    + "m_cn,Mine CN,mine,CN,A,60,t REO/yr,operating\n"
    + "m_au,Mine AU (Mt Example),mine,AU,B,40,t REO/yr,operating\n"
    + "s_cn,Sep CN,separator,CN,A,80,t REO/yr,operating\n"
    + "s_my,Sep MY,separator,MY,B,60,t REO/yr,operating\n"
    + "s_us,Sep US,separator,US,C,10,t REO/yr,planned\n",
    "links.csv": "supplier,customer,material,volume,status\n"
    "m_cn,s_cn,RE concentrate,60,qualified\n"
    "m_au,s_my,RE concentrate,30,qualified\n"
    "m_au,s_us,RE concentrate,0,candidate\n",
    "owners.csv": "owner,parent,stake,country\nA,A,1,CN\nB,B,1,MY\nC,C,1,US\n",
}


def write(folder, files):
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def pair(tmp_path):
    return write(tmp_path / "old", OLD), write(tmp_path / "new", NEW)


def test_rows_added_removed_and_changed_with_old_and_new_values(pair):
    result = diff_networks(load_network(pair[0]), load_network(pair[1]))
    c = result.changes
    got = {(r.table, r.key, r.change, r.column, r.old, r.new) for r in c.itertuples()}
    assert got == {
        ("facilities", "s_us", "added", "", "", ""),
        ("facilities", "m_au", "changed", "name", "Mine AU", "Mine AU (Mt Example)"),
        ("facilities", "s_my", "changed", "capacity", 20, 60),
        ("links", "m_au|s_us|RE concentrate", "added", "", "", ""),
        ("links", "m_au|s_cn|RE concentrate", "removed", "", "", ""),
        ("links", "m_au|s_my|RE concentrate", "changed", "volume", 20, 30),
        ("owners", "C|C", "added", "", "", ""),
        ("owners", "B|B", "changed", "country", "AU", "MY"),
    }
    counts = result.counts.set_index("table")
    assert counts.loc["facilities"].tolist() == [1, 0, 2]
    assert counts.loc["links"].tolist() == [1, 1, 1]
    assert counts.loc["capacities"].tolist() == [0, 0, 0]


def test_china_share_change_per_stage_by_hand(pair):
    share = diff_networks(load_network(pair[0]), load_network(pair[1])).china_share
    share = share.set_index("stage")
    # mine: 60 of 100 both times; separator: 80 of 100 before, 80 of 140 after (s_us planned)
    assert share.loc["mine"].tolist() == pytest.approx([0.6, 0.6, 0.0])
    assert share.loc["separator"].tolist() == pytest.approx([0.8, 80 / 140, 80 / 140 - 0.8])


def test_same_network_as_folder_and_workbook_shows_no_change(pair, tmp_path):
    old = load_network(pair[0])
    workbook = old.write(tmp_path / "old.xlsx")
    result = diff_networks(old, load_network(workbook))
    assert result.changes.empty
    assert result.old["hash"] == result.new["hash"]


def test_missing_values_and_number_forms_compare_as_values():
    import pandas as pd

    old = pd.DataFrame({"id": ["a", "b", "c"], "capacity": [1000.0, None, 5.0]})
    new = pd.DataFrame({"id": ["a", "b", "c"], "capacity": [1000, None, None]})
    changes = table_changes(old, new, ["id"], "facilities")
    assert changes[["key", "column", "old", "new"]].values.tolist() == [
        ["c", "capacity", 5, None]]


def test_cli_text_and_json(pair):
    text = tiern("diff", *pair).stdout
    assert "capacity: 20 -> 60" in text
    assert "added    s_us" in text
    assert "removed  m_au|s_cn|RE concentrate" in text
    assert re.search(r"separator\s+80\.0%\s+57\.1%\s+-22\.9 pt", text)
    data = json.loads(tiern("diff", *pair, "--format", "json").stdout)
    assert set(data) == {"old", "new", "counts", "changes", "china_share"}
    assert {"table": "facilities", "key": "s_my", "change": "changed", "column": "capacity",
            "old": 20, "new": 60} in data["changes"]
    separator = next(r for r in data["china_share"] if r["stage"] == "separator")
    assert separator["new_share"] == pytest.approx(80 / 140)


def test_cli_rejects_an_unknown_format(pair):
    result = tiern("diff", *pair, "--format", "xml", check=False)
    assert result.returncode != 0
    assert "unknown format 'xml'" in result.stderr
