"""Validation: one valid network, break one thing, expect exactly one precise message.

Row numbers count as a spreadsheet does (header = row 1), so golden facilities.csv row 2 is
``mine_cn`` and links.csv row 2 is ``mine_cn -> sep_cn``.
"""
from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from graphmodel import ValidationError, load_network
from graphmodel.errors import InputFormatError
from tests.strategies import ODD_WHITESPACE, hostile_text, non_finite_numbers


def edit_cell(folder: Path, kind: str, row: int, column: str, value: str) -> None:
    path = folder / f"{kind}.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    rows[row - 2][column] = value
    write_rows(path, rows)


def write_rows(path: Path, rows: list[dict], fieldnames=None) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fieldnames or list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def problems_of(path) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        load_network(path)
    return [str(p) for p in caught.value.problems]


def test_valid_golden_loads(golden_dir):
    net = load_network(golden_dir)
    assert len(net.facilities) == 14 and len(net.links) == 18


def test_unknown_link_endpoint(golden_dir):
    edit_cell(golden_dir, "links", 3, "supplier", "mine_xx")
    assert problems_of(golden_dir) == ["links.csv:3:supplier: unknown facility id 'mine_xx'"]


def test_duplicate_facility_id(golden_dir):
    edit_cell(golden_dir, "facilities", 4, "id", "mine_cn")
    found = problems_of(golden_dir)
    assert "facilities.csv:4:id: duplicate id 'mine_cn' (first at row 2)" in found
    # the links that pointed at the renamed id are now unknown: reported, not hidden
    assert all("duplicate" in p or "unknown facility id 'mine_us'" in p for p in found)


def test_bad_stage(golden_dir):
    edit_cell(golden_dir, "facilities", 2, "stage", "smelter")
    assert problems_of(golden_dir) == [
        "facilities.csv:2:stage: unknown stage 'smelter' (expected one of: mine, concentrator, "
        "mrec, separator, metal, alloy, magnet, motor, oem, recycler)"]


def test_bad_country(golden_dir):
    edit_cell(golden_dir, "facilities", 3, "country", "Atlantis")
    assert problems_of(golden_dir) == [
        "facilities.csv:3:country: unknown country 'Atlantis' (use ISO 3166-1 alpha-2, e.g. CN)"]


def test_country_names_and_alpha3_are_normalised(golden_dir):
    edit_cell(golden_dir, "facilities", 2, "country", "China")
    edit_cell(golden_dir, "facilities", 3, "country", "AUS")
    edit_cell(golden_dir, "facilities", 6, "country", "Malaysia")
    net = load_network(golden_dir)
    assert net.facilities.loc[["mine_cn", "mine_au", "sep_my"], "country"].tolist() == ["CN", "AU", "MY"]


def test_namibia_is_not_missing(golden_dir):
    edit_cell(golden_dir, "facilities", 2, "country", "NA")
    assert load_network(golden_dir).facilities.at["mine_cn", "country"] == "NA"


def test_bad_facility_status(golden_dir):
    edit_cell(golden_dir, "facilities", 2, "status", "closed")
    assert problems_of(golden_dir) == [
        "facilities.csv:2:status: unknown status 'closed' (expected one of: operating, "
        "construction, planned, idle)"]


def test_bad_link_status(golden_dir):
    edit_cell(golden_dir, "links", 2, "status", "approved")
    assert problems_of(golden_dir) == [
        "links.csv:2:status: unknown status 'approved' (expected one of: qualified, "
        "in_qualification, candidate)"]


def test_negative_capacity(golden_dir):
    edit_cell(golden_dir, "facilities", 2, "capacity", "-5")
    assert problems_of(golden_dir) == ["facilities.csv:2:capacity: must be >= 0, got -5"]


def test_negative_volume(golden_dir):
    edit_cell(golden_dir, "links", 2, "volume", "-1.5")
    assert problems_of(golden_dir) == ["links.csv:2:volume: must be >= 0, got -1.5"]


def test_self_link(golden_dir):
    edit_cell(golden_dir, "links", 2, "customer", "mine_cn")
    assert problems_of(golden_dir) == [
        "links.csv:2:customer: self-link: supplier and customer are both 'mine_cn'"]


def test_backward_link(golden_dir):
    edit_cell(golden_dir, "links", 9, "customer", "sep_cn")  # metal_cn -> sep_cn
    assert problems_of(golden_dir) == [
        "links.csv:9:customer: link runs backwards from metal 'metal_cn' to separator 'sep_cn' "
        "(only links into or out of a recycler may)"]


def test_backward_link_through_recycler_is_legal(golden_dir):
    net = load_network(golden_dir)  # golden has oem_auto -> rec_jp -> magnet_jp
    assert net.graph.has_edge("oem_auto", "rec_jp") and net.graph.has_edge("rec_jp", "magnet_jp")


def test_missing_required_column(golden_dir):
    path = golden_dir / "links.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    for row in rows:
        del row["material"]
    write_rows(path, rows)
    assert problems_of(golden_dir) == [
        "links.csv:1:material: missing required column 'material' (header has: supplier, "
        "customer, volume, status, qualification_months, source, year)"]


def test_missing_required_value(golden_dir):
    edit_cell(golden_dir, "facilities", 5, "name", "")
    assert problems_of(golden_dir) == ["facilities.csv:5:name: missing value (required)"]


def test_wrong_type(golden_dir):
    edit_cell(golden_dir, "facilities", 2, "capacity", "lots")
    edit_cell(golden_dir, "links", 2, "year", "2024.5")
    assert problems_of(golden_dir) == [
        "facilities.csv:2:capacity: expected a number, got 'lots'",
        "links.csv:2:year: expected a whole number, got '2024.5'"]


def test_empty_file(golden_dir):
    (golden_dir / "links.csv").write_bytes(b"")
    assert problems_of(golden_dir) == ["links.csv:1:-: file is empty (expected a header row)"]


def test_header_only_required_file(golden_dir):
    (golden_dir / "facilities.csv").write_text("id,name,stage,country\n", encoding="utf-8")
    found = problems_of(golden_dir)
    assert found[0] == "facilities.csv:2:-: file has a header but no rows"


def test_header_only_links_is_refused_as_the_readme_says(golden_dir):
    # README (Ingesters): a header-only links.csv is read by `tiern ingest merge`, not by
    # `tiern validate` (nor by any command that loads a network)
    (golden_dir / "links.csv").write_text("supplier,customer,material,volume\n", encoding="utf-8")
    (golden_dir / "demand.csv").unlink()
    assert problems_of(golden_dir) == ["links.csv:2:-: file has a header but no rows"]


def test_missing_required_file(golden_dir):
    (golden_dir / "links.csv").unlink()
    assert problems_of(golden_dir) == [f"links.csv:0:-: required file is missing from {golden_dir}"]


def test_wrong_encoding(golden_dir):
    path = golden_dir / "facilities.csv"
    text = path.read_text(encoding="utf-8").replace("Golden AU mine", "Golden AU mine \u2014 Weld")
    path.write_bytes(text.encode("cp1252"))
    assert problems_of(golden_dir) == [
        "facilities.csv:3:-: file is not UTF-8 text (byte 0x97 on line 3); save it as UTF-8"]


def test_utf16_is_named(golden_dir):
    path = golden_dir / "owners.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))
    assert problems_of(golden_dir) == ["owners.csv:1:-: file is UTF-16 (little-endian) encoded; save it as UTF-8"]


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_utf8_with_or_without_bom(golden_dir, bom):
    for path in golden_dir.glob("*.csv"):
        path.write_bytes(bom + path.read_bytes())
    net = load_network(golden_dir)
    assert "id" == net.facilities.index.name and "mine_cn" in net.facilities.index


def test_candidate_link_with_volume(golden_dir):
    edit_cell(golden_dir, "links", 18, "volume", "3")
    assert problems_of(golden_dir) == ["links.csv:18:volume: a candidate link carries no volume today, got 3"]


def test_duplicate_link(golden_dir):
    path = golden_dir / "links.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    write_rows(path, rows + [rows[0]])
    assert problems_of(golden_dir) == [
        "links.csv:20:material: duplicate link mine_cn -> sep_cn (RE concentrate); first at row 2"]


def test_duplicate_links_of_an_unknown_supplier(golden_dir):
    """Unknown ids keep codes of their own (their positions are all -1): a link repeated from
    an unknown supplier is still a duplicate, and links from two unknown suppliers are not."""
    path = golden_dir / "links.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    ghost, other = dict(rows[0], supplier="ghost_a"), dict(rows[0], supplier="ghost_b")
    write_rows(path, rows + [ghost, other, ghost])
    assert problems_of(golden_dir) == [
        "links.csv:20:supplier: unknown facility id 'ghost_a'",
        "links.csv:21:supplier: unknown facility id 'ghost_b'",
        "links.csv:22:material: duplicate link ghost_a -> sep_cn (RE concentrate); first at row 20",
        "links.csv:22:supplier: unknown facility id 'ghost_a'"]


def test_stake_out_of_range_and_cycle(golden_dir):
    edit_cell(golden_dir, "owners", 8, "stake", "1.5")
    assert problems_of(golden_dir) == ["owners.csv:8:stake: must be <= 1, got 1.5"]
    edit_cell(golden_dir, "owners", 8, "stake", "0.6")
    path = golden_dir / "owners.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    rows.append({"owner": "CN Mining", "parent": "JP Metals", "stake": "0.7", "country": "JP",
                 "source": "x", "year": "2025"})
    write_rows(path, rows)
    found = problems_of(golden_dir)
    assert len(found) == 1 and found[0].startswith("owners.csv:") and "ownership cycle" in found[0]


def test_demand_for_unknown_facility(golden_dir):
    edit_cell(golden_dir, "demand", 2, "facility", "oem_zz")
    assert problems_of(golden_dir) == ["demand.csv:2:facility: unknown facility id 'oem_zz'"]


def test_blank_row_is_reported_not_dropped(golden_dir):
    path = golden_dir / "links.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(3, ",,,,,,,\n")
    path.write_text("".join(lines), encoding="utf-8")
    assert problems_of(golden_dir) == ["links.csv:4:-: blank row (delete it)"]


def test_every_problem_reported_at_once(golden_dir):
    edit_cell(golden_dir, "facilities", 2, "stage", "smelter")
    edit_cell(golden_dir, "facilities", 3, "capacity", "-1")
    edit_cell(golden_dir, "links", 2, "customer", "nowhere")
    assert len(problems_of(golden_dir)) == 3


def test_single_csv_is_not_a_network(golden_dir):
    with pytest.raises(InputFormatError, match="a network is a folder of CSV files"):
        load_network(golden_dir / "links.csv")


def test_truncated_workbook(tmp_path):
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    found = problems_of(broken)
    assert len(found) == 1 and found[0].startswith("broken.xlsx:0:-: not a readable .xlsx workbook")


# --- specifications: capabilities, requirements, certifications -----------------------------

def test_specs_tables_errors_name_file_row_and_column(golden_dir):
    write_rows(golden_dir / "capabilities.csv", [
        {"facility": "magnet_jp", "material": "NdFeB magnet", "grade": "42SH", "hcj": "1592"},
        {"facility": "magnet_zz", "material": "NdFeB magnet", "grade": "Z9", "hcj": "-1"},
        {"facility": "magnet_jp", "material": "NdFeB magnet", "grade": "42SH", "hcj": ""}])
    write_rows(golden_dir / "requirements.csv", [
        {"facility": "oem_auto", "sector": "", "material": "NdFeB magnet", "grade_family": "SH"},
        {"facility": "oem_auto", "sector": "wind", "material": "Tb oxide", "grade_family": "XH"},
        {"facility": "", "sector": "", "material": "Dy oxide", "grade_family": ""}])
    write_rows(golden_dir / "certifications.csv", [
        {"facility": "sep_my", "standard": "RMAP"}, {"facility": "sep_my", "standard": "RMAP"}])
    assert problems_of(golden_dir) == [
        "capabilities.csv:3:facility: unknown facility id 'magnet_zz'",
        "capabilities.csv:3:grade: cannot read magnet grade 'Z9' (expected e.g. N52, 42SH, UH)",
        "capabilities.csv:3:hcj: must be >= 0, got -1",
        "capabilities.csv:4:grade: duplicate capability for magnet_jp (NdFeB magnet 42SH)",
        "requirements.csv:3:facility: give exactly one of facility or sector",
        "requirements.csv:3:grade_family: unknown grade_family 'XH' (expected one of: N, M, H, "
        "SH, UH, EH, AH)",
        "requirements.csv:4:facility: give exactly one of facility or sector",
        "certifications.csv:3:standard: duplicate certification RMAP for sep_my"]


# --- vectorised column checks agree with their cell-by-cell definitions -------------------


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(hostile_text(8), st.sampled_from(ODD_WHITESPACE + ["", "a", "\x85", "\x1c"]))
                .map("".join), max_size=60))
def test_padded_cells_match_the_regex_cell_by_cell(cells):
    """The pyarrow end-character test flags exactly the cells Python's regex flags."""
    import pandas as pd
    from graphmodel.io.validate import _PADDED_RE, _padded

    expected = [bool(_PADDED_RE.search(c)) for c in cells]
    for dtype in ("str", object):
        text = pd.Series(cells, dtype=dtype, index=range(3, 3 + len(cells)))
        assert _padded(text).tolist() == expected
        half = len(cells) // 2  # pyarrow-backed columns may come in several chunks
        chunked = pd.concat([text.iloc[:half], text.iloc[half:]])
        assert _padded(chunked).tolist() == expected


@settings(max_examples=30, deadline=None)
@given(st.lists(non_finite_numbers() | st.sampled_from(["0", "0.0", "-0", "2", " 3 ", "x", "", "1_0"]),
                max_size=40))
def test_parse_numbers_matches_parse_number_cell_by_cell(cells):
    """Judging each distinct suspect text once gives every cell parse_number's verdict."""
    import math

    import pandas as pd
    from graphmodel.io.numeric import parse_number, parse_numbers

    text = pd.Series(cells, dtype="str", index=range(7, 7 + len(cells)))
    numbers, messages = parse_numbers(text, text == "")
    for i, cell in text.items():
        if cell == "":
            assert math.isnan(numbers[i]) and messages[i] is None
            continue
        try:
            value = parse_number(cell)
        except ValueError as error:
            assert math.isnan(numbers[i]) and messages[i] == str(error)
        else:
            assert numbers[i] == value and messages[i] is None


_EDITS = {"id": ["sep_cn", None, "new_id"], "stage": ["separator", "bogus", None],
          "capacity": [0.0, -1.0, float("nan"), 5.0], "lat": [-90.0, 90.5, float("nan")],
          "status": ["operating", "closed-ish", None], "year": [1900, 1899, 2101, None]}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(sorted(_EDITS)), st.integers(0, 5), st.integers(0, 3)),
                max_size=3))
def test_vectorised_schema_pass_agrees_with_pandera(edits):
    """A table skips pandera exactly when pandera would find nothing in it."""
    import pandera.pandas as pandera
    from graphmodel.examples import example_path
    from graphmodel.io import read_raw
    from graphmodel.io.validate import _schema_for, _surely_valid, _validate_columns
    from graphmodel.schema import field_table

    raw, _ = read_raw(example_path("golden"))
    frame, _ = _validate_columns(raw["facilities"])
    for column, row, choice in edits:
        values = _EDITS[column]
        frame.loc[frame.index[row], column] = values[choice % len(values)]
    if frame["year"].dtype != "Int64":  # keep the dtype the converter gives, as pandera sees it
        frame["year"] = frame["year"].astype("Int64")
    fields = field_table("facilities")
    try:
        _schema_for("facilities", fields).validate(frame, lazy=True)
        pandera_passes = True
    except pandera.errors.SchemaErrors:
        pandera_passes = False
    assert _surely_valid("facilities", frame, fields) == pandera_passes


@pytest.mark.parametrize("edges, cyclic", [
    ([("a", "b"), ("b", "c"), ("a", "c")], False),   # two paths to one parent: no cycle
    ([("a", "b"), ("b", "a")], True),
    ([("x", "a"), ("a", "b"), ("b", "c"), ("c", "a")], True),  # a cycle behind a tail
    ([], False),
])
def test_ownership_cycle_prefilter(edges, cyclic):
    import pandas as pd
    from graphmodel.io.validate import _has_cycle

    child = pd.Series([e[0] for e in edges], dtype=object)
    parent = pd.Series([e[1] for e in edges], dtype=object)
    assert _has_cycle(child, parent) is cyclic


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7)), max_size=20))
def test_ownership_cycle_prefilter_agrees_with_networkx(edges):
    import networkx as nx
    import pandas as pd
    from graphmodel.io.validate import _has_cycle

    edges = [(f"o{a}", f"o{b}") for a, b in edges if a != b]   # self-edges are removed first
    child = pd.Series([e[0] for e in edges], dtype=object)
    parent = pd.Series([e[1] for e in edges], dtype=object)
    assert _has_cycle(child, parent) == (not nx.is_directed_acyclic_graph(nx.DiGraph(edges)))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(-1, 3), st.integers(-1, 3), st.integers(-1, 2)),
                min_size=1, max_size=30), st.booleans())
def test_duplicate_link_keys_as_a_frame_finds_them(rows, huge):
    """The packed keys mark the rows a frame's duplicated(keep=False) marks among complete
    keys; and so does the frame fallback (codes too large to pack)."""
    import numpy as np
    import pandas as pd
    from graphmodel.io.validate import _duplicate_rows

    columns = [np.array(c, dtype=np.int64) for c in zip(*rows)]
    if huge:   # the same rows with codes whose product does not fit in 63 bits
        columns = [np.where(c >= 0, c + 2 ** 40, c) for c in columns]
    frame = pd.DataFrame({i: c for i, c in enumerate(columns)})
    expected = (frame.duplicated(keep=False) & (frame >= 0).all(axis=1)).to_numpy()
    assert _duplicate_rows(columns).tolist() == expected.tolist()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=1, max_size=12), st.booleans())
def test_overlong_line_is_the_first_line_over_the_limit(lengths, trailing_break):
    """The block search finds the first line longer than the limit, as measuring every line
    does (the limit made tiny here: 10 bytes)."""
    import graphmodel.io.tables as tables

    data = b"\n".join(b"x" * n for n in lengths) + (b"\n" if trailing_break else b"")
    lengths_all = [len(line) for line in data.split(b"\n")]
    over = [i for i, n in enumerate(lengths_all) if n > 10]
    expected = (over[0] + 1, lengths_all[over[0]]) if over and len(data) > 10 else None
    saved = tables.MAX_CSV_LINE_BYTES
    tables.MAX_CSV_LINE_BYTES = 10
    try:
        assert tables._overlong_line(data) == expected
    finally:
        tables.MAX_CSV_LINE_BYTES = saved
