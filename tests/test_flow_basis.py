"""Share of flow tonnage on reported figures (``tiern summary``), computed by hand."""
from __future__ import annotations

import json

import pytest

from graphmodel.network import load_network
from graphmodel.summary import flow_basis, reported_share_line

from .cli_runner import tiern

FACILITIES = ("id,name,stage,country,capacity,status\n"
              "m1,M1,mine,CN,100,operating\nm2,M2,mine,AU,50,operating\n"
              "s1,S1,separator,CN,100,operating\no1,O1,oem,US,10,operating\n")
LINKS = ("supplier,customer,material,volume,status,basis\n"
         "m1,s1,RE concentrate,60,qualified,reported\n"
         "m2,s1,RE concentrate,40,qualified,estimated\n"
         "s1,o1,NdPr oxide,20,qualified,\n"          # no basis: unknown
         "m2,o1,RE concentrate,0,candidate,reported\n")  # carries nothing: not counted


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "facilities.csv").write_text(FACILITIES, encoding="utf-8")
    (tmp_path / "links.csv").write_text(LINKS, encoding="utf-8")
    return tmp_path


def test_reported_estimated_unknown_by_supplier_stage(folder):
    table = flow_basis(load_network(folder)).set_index("stage")
    assert table.loc["mine", ["links", "volume", "reported", "estimated", "unknown"]].tolist() \
        == [2, 100, 60, 40, 0]
    assert table.loc["mine", "reported_share"] == pytest.approx(0.6)
    assert table.loc["separator", ["volume", "unknown"]].tolist() == [20, 20]
    assert table.loc["separator", "reported_share"] == 0
    assert table.loc["all", ["links", "volume", "reported"]].tolist() == [3, 120, 60]
    assert table.loc["all", "reported_share"] == pytest.approx(0.5)


def test_line_and_cli(folder):
    line = reported_share_line(load_network(folder))
    assert line.startswith("Flow tonnage on reported figures: 50.0% (60 of 120 t/yr over 3 "
                           "carrying links; 33.3% estimated, 16.7% without a basis")
    assert line in tiern("summary", folder).stdout
    rows = json.loads(tiern("summary", folder, "--by", "flow-basis", "-f", "json").stdout)
    assert rows[-1]["stage"] == "all" and rows[-1]["reported_share"] == pytest.approx(0.5)
    assert "Flow tonnage" not in tiern("summary", folder, "-f", "csv").stdout  # tables stay clean


def test_no_basis_column_is_unknown_not_zero(golden):
    assert "unknown" in reported_share_line(golden)
    assert flow_basis(golden).set_index("stage").loc["all", "unknown"] > 0


def test_data_card_states_the_current_reported_share():
    import re

    from graphmodel.settings import bundled_data_path

    folder = bundled_data_path(default=True)
    card = (folder / "README.md").read_text(encoding="utf-8")
    stated = re.search(r"Share of flow tonnage on reported figures: \*\*([\d.]+)%\*\*", card)
    assert stated, "data/README.md states the reported share"
    row = flow_basis(load_network(folder)).set_index("stage").loc["all"]
    assert float(stated.group(1)) == round(100 * row["reported_share"], 1)
