"""Workbook cells longer than one XLSX cell holds, kept whole in parts (the report's workbook)."""
from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from graphmodel.output import LONG_CELLS, XLSX_CELL_LIMIT, _parts, move_long_cells, write_xlsx


def test_a_list_is_cut_after_its_separators_and_joins_back():
    assert _parts("a;b;c;d", 4) == ["a;b;", "c;d"]
    assert _parts("abcdefg", 3) == ["abc", "def", "g"]       # no separator: a hard cut
    assert _parts("short", 10) == ["short"]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab;, ", max_size=200), st.integers(1, 30))
def test_parts_are_bounded_and_join_to_the_text(text, size):
    parts = _parts(text, size)
    assert "".join(parts) == text
    assert all(len(p) <= size for p in parts)


def test_a_cell_too_long_for_xlsx_moves_whole_to_the_long_cells_sheet(tmp_path):
    from openpyxl import load_workbook

    long = ";".join(f"F{i:06d}" for i in range(6_000))           # 47,999 characters
    assert len(long) > XLSX_CELL_LIMIT
    facilities = pd.DataFrame({"id": ["A", "B"], "alternative_ids": ["F1;F2", long],
                               "criticality": [0.5, 0.25]})
    summary = pd.DataFrame({"item": ["Report"], "value": ["x"]})
    sheets = move_long_cells({"Summary": summary, "Facilities": facilities}, part=32_000)

    assert sheets["Summary"] is summary                        # untouched sheets stay as they are
    assert facilities["alternative_ids"].iat[1] == long         # the input is not changed
    pointer = sheets["Facilities"]["alternative_ids"].iat[1]
    assert pointer == "(47,999 characters: sheet 'Long cells', parts 1-2)"
    assert sheets["Facilities"]["alternative_ids"].iat[0] == "F1;F2"
    parts = sheets[LONG_CELLS]
    assert parts[["sheet", "row", "id", "column"]].drop_duplicates().values.tolist() == [
        ["Facilities", 3, "B", "alternative_ids"]]
    assert parts["part"].tolist() == [1, 2]
    assert "".join(parts["text"]) == long
    assert parts["text"].iat[0].endswith(";")                  # cut between two ids

    path = write_xlsx(sheets, tmp_path / "report.xlsx")        # the writer accepts every cell
    book = load_workbook(path, read_only=True)
    back = [row for row in book[LONG_CELLS].iter_rows(min_row=2, values_only=True)]
    assert "".join(r[-1] for r in back) == long
    cells = [row for row in book["Facilities"].iter_rows(min_row=3, max_row=3, values_only=True)]
    assert cells[0][1] == pointer
