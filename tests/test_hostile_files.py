"""Hostile input, files: numbers, ids, countries, CSV shapes and workbooks. Each case asserts
the exact problem (file:row:column: message) or the exact value read."""
from __future__ import annotations

import io
import shutil
import zipfile

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphmodel import load_network
from graphmodel.errors import ValidationError
from graphmodel.examples import example_path, load_golden
from graphmodel.io import excel
from graphmodel.io.numeric import parse_number

from .hostile import replace_in
from .strategies import look_alike_id, non_finite_numbers, padded_id

LINK = "mine_cn,sep_cn,RE concentrate,80,"


def problems(path) -> list[str]:
    with pytest.raises(ValidationError) as error:
        load_network(path)
    return [str(p) for p in error.value.problems]


# --- numbers --------------------------------------------------------------------------------
@pytest.mark.parametrize("text, message", [
    ("inf", "expected a finite number, got 'inf'"),
    ("-Infinity", "expected a finite number, got '-Infinity'"),
    ("NaN", "expected a finite number, got 'NaN'"),
    ("1e309", "number '1e309' is too large (it overflows to infinity)"),
    ("1e16", "number 1e16 is beyond ±1e15, the largest magnitude tiern accepts"),
    ("1e-400", "number 1e-400 is too small to represent (it would read as 0); write 0 if zero is meant"),
    ("1_000", "expected a number, got '1_000'"),
    ("0x10", "expected a number, got '0x10'"),
])
def test_hostile_volume_is_a_located_problem(golden_dir, text, message):
    replace_in(golden_dir / "links.csv", LINK, f"mine_cn,sep_cn,RE concentrate,{text},")
    assert problems(golden_dir) == [f"links.csv:2:volume: {message}"]


@pytest.mark.parametrize("text, value", [("0", 0.0), ("1e-300", 1e-300), (" 80 ", 80.0),
                                         ("1e15", 1e15), ("8e1", 80.0)])
def test_edge_numbers_read_exactly(golden_dir, text, value):
    replace_in(golden_dir / "links.csv", LINK, f"mine_cn,sep_cn,RE concentrate,{text},")
    assert load_network(golden_dir).links.loc[0, "volume"] == value


def test_overflowing_sums_cannot_be_formed(golden_dir):
    # two volumes of 1e308 would sum to inf: the magnitude bound refuses them first
    replace_in(golden_dir / "links.csv", LINK, "mine_cn,sep_cn,RE concentrate,1e308,")
    assert problems(golden_dir) == [
        "links.csv:2:volume: number 1e308 is beyond ±1e15, the largest magnitude tiern accepts"]


@given(non_finite_numbers())
def test_parse_number_refuses_every_non_finite_spelling(text):
    with pytest.raises(ValueError):
        parse_number(text)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=non_finite_numbers(), column=st.sampled_from(["capacity", "inventory_days", "lat"]))
def test_every_numeric_column_refuses_non_finite(tmp_path_factory, text, column):
    folder = tmp_path_factory.mktemp("n") / "net"
    shutil.copytree(example_path("golden"), folder)
    net = load_golden()
    frames = net.to_frames()
    frames["facilities"] = frames["facilities"].astype(object)
    frames["facilities"].loc[0, column] = text
    frames["facilities"].to_csv(folder / "facilities.csv", index=False)
    found = problems(folder)
    assert len(found) == 1 and found[0].startswith(f"facilities.csv:2:{column}: ")


# --- ids and countries ----------------------------------------------------------------------
def test_id_with_trailing_space_is_not_a_second_facility(golden_dir):
    replace_in(golden_dir / "facilities.csv", "mine_cn,Golden", "mine_cn ,Golden")
    assert problems(golden_dir) == [
        "facilities.csv:2:id: 'mine_cn ' has leading or trailing whitespace; remove it (id values "
        "must match exactly)",
        "links.csv:2:supplier: unknown facility id 'mine_cn'"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(padded_id("mine_cn"))
def test_padded_ids_refused(tmp_path_factory, fid):
    folder = tmp_path_factory.mktemp("w") / "net"
    shutil.copytree(example_path("golden"), folder)
    replace_in(folder / "links.csv", LINK, f"{fid},sep_cn,RE concentrate,80,")
    found = problems(folder)
    assert f"links.csv:2:supplier: {fid!r} has leading or trailing whitespace; remove it " \
           "(supplier values must match exactly)" in found


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(look_alike_id("mine_cn"))
def test_look_alike_ids_are_unknown_not_merged(tmp_path_factory, fid):
    folder = tmp_path_factory.mktemp("l") / "net"
    shutil.copytree(example_path("golden"), folder)
    replace_in(folder / "links.csv", LINK, f"{fid},sep_cn,RE concentrate,80,")
    assert problems(folder) == [f"links.csv:2:supplier: unknown facility id '{fid}'"]


@pytest.mark.parametrize("code", ["156", "516", " 036", "840"])
def test_numeric_country_codes_refused(golden_dir, code):
    replace_in(golden_dir / "facilities.csv", "mine_cn,Golden CN mine,mine,CN", f"mine_cn,Golden CN mine,mine,{code}")
    assert problems(golden_dir) == [
        f"facilities.csv:2:country: numeric country code '{code}' is not accepted (a number is "
        "easily a typo); use ISO 3166-1 alpha-2, e.g. CN"]


# --- CSV shapes -----------------------------------------------------------------------------
def test_trailing_comma_on_every_row_reads_exactly(golden_dir):
    for path in golden_dir.glob("*.csv"):
        path.write_text("".join(line.rstrip("\n") + ",\n" for line in path.open(encoding="utf-8")),
                        encoding="utf-8")
    assert load_network(golden_dir).hash == load_golden().hash


def test_trailing_comma_column_with_values_is_still_a_problem(golden_dir):
    path = golden_dir / "demand.csv"
    path.write_text("facility,demand,\noem_def,20,x\n", encoding="utf-8")
    assert problems(golden_dir) == ["demand.csv:1:-: a header cell is empty"]


@pytest.mark.parametrize("ending", ["\r", "\r\n"])
def test_other_line_endings_read_exactly(golden_dir, ending):
    for path in golden_dir.glob("*.csv"):
        path.write_bytes(path.read_bytes().replace(b"\n", ending.encode()))
    assert load_network(golden_dir).hash == load_golden().hash


def test_unclosed_quote_reported_at_its_line(golden_dir):
    replace_in(golden_dir / "links.csv", LINK, 'mine_cn,sep_cn,"RE concentrate,80,')
    assert problems(golden_dir) == [
        'links.csv:2:-: unclosed quote: the quoted field starting on line 2 never ends (add the '
        'closing ")']


def test_nul_byte_refused_with_its_line(golden_dir):
    replace_in(golden_dir / "links.csv", LINK, "mine_cn,sep_cn,RE\x00concentrate,80,")
    assert problems(golden_dir) == [
        "links.csv:2:-: file contains a NUL character (byte 0x00); it is not a CSV text file"]


def test_header_only_links_refused_by_every_loader(golden_dir, monkeypatch, capsys):
    from .hostile import run_cli
    (golden_dir / "links.csv").write_text("supplier,customer,material,volume\n", encoding="utf-8")
    for command in (["validate"], ["scenario", "china-2025-export-controls"]):
        code, _, err = run_cli(monkeypatch, capsys, command[0], golden_dir, *command[1:])
        assert (code, err) == (1, "links.csv:2:-: file has a header but no rows\n1 problem found\n")


def test_header_only_links_read_by_ingest_fragment(golden_dir):
    from ingest.fragment import load_fragment
    (golden_dir / "links.csv").write_text("supplier,customer,material,volume\n", encoding="utf-8")
    assert len(load_fragment(golden_dir).links) == 0


# --- workbooks ------------------------------------------------------------------------------
@pytest.fixture
def golden_xlsx(tmp_path):
    return load_golden().write(tmp_path / "golden.xlsx")


def _rewrite(path, change) -> None:
    """Rewrite a workbook's zip parts through ``change(name, data) -> data``."""
    parts = {}
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            parts[info.filename] = change(info.filename, archive.read(info))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


@pytest.mark.timeout(60)
def test_zip_bomb_refused_before_parsing(golden_xlsx):
    bomb = b"<row>" + b" " * (50 * 1024 ** 2) + b"</row>"
    _rewrite(golden_xlsx, lambda n, d: d.replace(b"<sheetData>", b"<sheetData>" + bomb, 1)
             if n == "xl/worksheets/sheet1.xml" else d)
    assert golden_xlsx.stat().st_size < 1024 ** 2
    found = problems(golden_xlsx)
    assert len(found) == 1 and found[0].startswith("golden.xlsx:0:-: part xl/worksheets/sheet1.xml unpacks ")
    assert found[0].endswith("times its packed size (limit 200): a zip bomb?")


def test_unpacked_total_limit(golden_xlsx, monkeypatch):
    monkeypatch.setattr(excel, "MAX_UNPACKED_BYTES", 1000)
    found = problems(golden_xlsx)
    assert len(found) == 1 and found[0].startswith("golden.xlsx:0:-: workbook unpacks to ")
    assert found[0].endswith("bytes, more than the 1,000 tiern reads (a zip bomb?)")


def test_file_size_limit(golden_xlsx, monkeypatch):
    monkeypatch.setattr(excel, "MAX_WORKBOOK_BYTES", 100)
    size = golden_xlsx.stat().st_size
    assert problems(golden_xlsx) == [f"golden.xlsx:0:-: workbook is {size:,} bytes, more than the "
                                     "100 tiern reads; split it or use CSV files"]


@pytest.mark.timeout(60)
def test_dtd_and_entities_refused(golden_xlsx):
    lol = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 '
           b'"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>')
    _rewrite(golden_xlsx, lambda n, d: lol + (d.split(b"?>", 1)[1] if d.startswith(b"<?xml") else d)
             if n == "xl/worksheets/sheet1.xml" else d)
    assert problems(golden_xlsx) == [
        "golden.xlsx:0:-: part xl/worksheets/sheet1.xml declares a DTD or entity, which tiern "
        "refuses (XML entity expansion)"]


def test_not_a_zip_and_truncated(tmp_path, golden_xlsx):
    bad = tmp_path / "bad.xlsx"
    bad.write_text("hello")
    assert problems(bad) == ["bad.xlsx:0:-: not a readable .xlsx workbook (File is not a zip file)"]
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(golden_xlsx.read_bytes()[:2000])
    assert problems(cut) == ["cut.xlsx:0:-: not a readable .xlsx workbook (File is not a zip file)"]


def test_formula_without_saved_value_is_a_problem(golden_xlsx):
    book = openpyxl.load_workbook(golden_xlsx)
    book["links"]["D2"] = "=40+40"  # openpyxl saves formulas without a calculated value
    book.save(golden_xlsx)
    assert problems(golden_xlsx) == [
        "golden.xlsx[links]:2:D: formula =40+40 has no saved value (the program that wrote the "
        "file did not calculate it): open and save it in a spreadsheet program, or paste values",
        "golden.xlsx[links]:2:volume: missing value (required)"]


def test_formula_with_saved_value_reads_it(golden_xlsx):
    def cache(name, data):
        if name != "xl/worksheets/sheet2.xml":
            return data
        return data.replace(b"<f>40+40</f><v></v>", b"<f>40+40</f><v>80</v>") \
                   .replace(b"<f>40+40</f>", b"<f>40+40</f><v>80</v>")
    book = openpyxl.load_workbook(golden_xlsx)
    assert book.sheetnames[1] == "links"
    book["links"]["D2"] = "=40+40"
    book.save(golden_xlsx)
    _rewrite(golden_xlsx, cache)
    assert load_network(golden_xlsx).links.loc[0, "volume"] == 80.0


def test_merged_cells_are_a_problem(golden_xlsx):
    book = openpyxl.load_workbook(golden_xlsx)
    book["facilities"].merge_cells("D2:D3")
    book.save(golden_xlsx)
    assert problems(golden_xlsx) == [
        "golden.xlsx[facilities]:2:-: merged cells D2:D3: unmerge them and fill every cell (a "
        "merged cell reads as empty)",
        "golden.xlsx[facilities]:3:country: missing value (required)"]


def test_string_that_looks_like_a_formula_reads_exactly(tmp_path):
    net = load_golden()
    facilities = net.facilities.copy()
    facilities.loc["mine_cn", "name"] = "=not a formula"
    from graphmodel.network import Network
    path = Network(facilities, net.links, net.owners, net.demand).write(tmp_path / "x.xlsx")
    assert load_network(path).facilities.loc["mine_cn", "name"] == "=not a formula"


def test_a_line_of_megabytes_is_refused_before_it_is_parsed(golden_dir):
    # a name cell of 5 MiB on line 3 of facilities.csv: refused with its line, not parsed
    from graphmodel.limits import MAX_CSV_LINE_BYTES

    path = golden_dir / "facilities.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    cells = lines[2].split(",")
    cells[1] = "x" * (5 * 1024 ** 2)
    lines[2] = ",".join(cells)
    path.write_text("\n".join(lines), encoding="utf-8")
    size = len(lines[2].encode("utf-8"))
    assert problems(golden_dir) == [
        f"facilities.csv:3:-: line 3 is {size:,} bytes long (limit {MAX_CSV_LINE_BYTES:,}): "
        "no record holds a cell that long"]
