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
                            "capacities", "format"]
    assert list(sheets["links"].columns)[:4] == ["supplier", "customer", "material", "volume"]
