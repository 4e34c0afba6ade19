"""Folder -> workbook -> folder gives identical tables."""
from __future__ import annotations

import pandas as pd
import pandas.testing as pdt

from graphmodel import load_network
from graphmodel.templates import write_template


def assert_same_tables(a, b):
    for kind, frame in a.to_frames().items():
        pdt.assert_frame_equal(frame, b.to_frames()[kind], check_dtype=False, obj=kind)


def test_folder_workbook_folder(golden, tmp_path):
    book = golden.write(tmp_path / "golden.xlsx")
    from_book = load_network(book)
    assert_same_tables(golden, from_book)
    folder = from_book.write(tmp_path / "again")
    again = load_network(folder)
    assert_same_tables(golden, again)
    assert again.hash == golden.hash


def test_workbook_reports_sheet_in_problems(golden, tmp_path):
    frames = golden.to_frames()
    frames["facilities"].loc[0, "stage"] = "smelter"
    from graphmodel.io import write_tables

    book = write_tables(frames, tmp_path / "bad.xlsx")
    import pytest
    from graphmodel import ValidationError

    with pytest.raises(ValidationError) as caught:
        load_network(book)
    assert str(caught.value.problems[0]).startswith("bad.xlsx[facilities]:2:stage: unknown stage 'smelter'")


def test_template_has_every_sheet_and_column(tmp_path):
    path = write_template(tmp_path / "template.xlsx")
    sheets = pd.read_excel(path, sheet_name=None)
    assert list(sheets) == ["facilities", "links", "owners", "demand", "recipes", "materials",
                            "capacities", "capabilities", "requirements", "certifications", "format"]
    guide = sheets["format"].set_index(["file", "field"])
    assert guide.loc[("capabilities.csv", "hcj"), "unit"] == "kA/m"
    assert guide.loc[("requirements.csv", "operating_temp"), "unit"] == "degC"
    assert list(sheets["links"].columns)[:4] == ["supplier", "customer", "material", "volume"]


def test_specs_tables_round_trip_through_a_workbook(tmp_path):
    from graphmodel.build import network_from_records

    net = network_from_records(
        [{"id": "mag", "name": "Magnets", "stage": "magnet", "country": "JP"},
         {"id": "mot", "name": "Motors", "stage": "motor", "country": "DE"}],
        [{"supplier": "mag", "customer": "mot", "material": "NdFeB magnet", "volume": 5}],
        capabilities=[{"facility": "mag", "material": "NdFeB magnet", "grade": "42SH", "br": 1.29,
                       "hcj": 1592, "bhmax": 318, "max_temp": 150, "dy_tb": 3.5,
                       "source": "https://example.org/datasheet", "year": 2025}],
        requirements=[{"facility": "mot", "material": "NdFeB magnet", "operating_temp": 140},
                      {"sector": "wind", "material": "NdFeB magnet", "grade_family": "SH"}],
        certifications=[{"facility": "mag", "standard": "IATF 16949", "year": 2024}])
    again = load_network(net.write(tmp_path / "specs.xlsx"))
    assert_same_tables(net, again)
    assert again.capabilities.loc[0, "hcj"] == 1592
    assert again.requirements["sector"].tolist()[1] == "wind"
