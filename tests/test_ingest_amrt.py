"""AMRT declaration ingester on the mock workbook and broken copies of it."""
from __future__ import annotations

import importlib.util
import shutil

import openpyxl
import pytest

from graphmodel.errors import ValidationError
from ingest.amrt import read_amrt

from .conftest import DATA_DIR

MOCK = DATA_DIR / "amrt" / "amrt_mock.xlsx"


def broken(tmp_path, edits: dict[tuple[str, str], object], name="amrt_bad.xlsx"):
    """A copy of the mock with cells changed: {(sheet, cell): value}."""
    path = tmp_path / name
    shutil.copy(MOCK, path)
    workbook = openpyxl.load_workbook(path)
    for (sheet, cell), value in edits.items():
        workbook[sheet][cell] = value
    workbook.save(path)
    return path


def problems(path, **options) -> list[str]:
    with pytest.raises(ValidationError) as excinfo:
        read_amrt(path, **options)
    return [str(p) for p in excinfo.value.problems]


def test_mock_declaration_to_facilities_and_links():
    result = read_amrt(MOCK)
    facilities = result.network.facilities
    assert facilities.loc["amrt-nordmag-magnetics-gmbh", ["name", "stage", "country", "year"]].tolist() == [
        "Nordmag Magnetics GmbH", "magnet", "DE", 2025]
    processors = facilities[facilities["stage"] == "separator"]
    assert dict(zip(processors.index, processors["country"])) == {
        "CID900001": "CN", "CID900002": "MY", "amrt-estonia-rare-metals-as-ee": "EE"}
    assert processors.loc["CID900001", "name"] == "Baotou Rare Earth Separation Co., Ltd."
    assert set(facilities["basis"]) == {"declared"}
    links = result.network.links
    assert set(links["customer"]) == {"amrt-nordmag-magnetics-gmbh"}
    assert set(links["material"]) == {"Rare Earth Elements"}
    assert links["volume"].tolist() == [0.0, 0.0, 0.0]  # the AMRT declares no volumes
    assert set(links["volume_known"]) == {"False"}
    assert set(links["source"]) == {"RMI AMRT 1.3 declaration by Nordmag Magnetics GmbH, 14-Nov-2025"}
    assert result.notes_lines() == [
        "info: amrt_mock.xlsx[Smelter List]:8:Smelter Look-up (*): smelter not yet identified: no facility"]


def test_stages_are_options():
    result = read_amrt(MOCK, processor_stage="metal", company_stage="oem")
    stages = result.network.facilities["stage"]
    assert stages["CID900001"] == "metal" and stages["amrt-nordmag-magnetics-gmbh"] == "oem"


def test_committed_mock_is_what_the_script_generates(tmp_path):
    spec = importlib.util.spec_from_file_location("make_mock", DATA_DIR / "amrt" / "make_mock.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    generated = module.build(tmp_path / "amrt_mock.xlsx")
    assert read_amrt(generated).network.hash == read_amrt(MOCK).network.hash


def test_missing_required_declaration_fields(tmp_path):
    path = broken(tmp_path, {("Declaration", "D8"): None, ("Declaration", "D21"): None,
                             ("Declaration", "D27"): None})
    assert problems(path) == [
        "amrt_bad.xlsx[Declaration]:8:D: missing required field 'Company Name'",
        "amrt_bad.xlsx[Declaration]:21:D: missing required field 'Email – Contact'",
        "amrt_bad.xlsx[Declaration]:27:D: missing required field 'Effective Date'",
    ]


def test_no_mineral_in_scope(tmp_path):
    path = broken(tmp_path, {("Declaration", "D11"): None})
    # one problem, not one per smelter row: rows are checked against the scope only when it is given
    assert problems(path) == [
        "amrt_bad.xlsx[Declaration]:11:D: missing required field 'Select Minerals/Metals in Scope'"]


def test_smelter_metal_outside_declared_scope(tmp_path):
    path = broken(tmp_path, {("Smelter List", "B5"): "Cobalt"})
    assert problems(path) == [
        "amrt_bad.xlsx[Smelter List]:5:Metal (*): metal 'Cobalt' is not among the declared minerals "
        "(rare earth elements)"]


def test_user_defined_scope_needs_description_and_emails_need_at(tmp_path):
    path = broken(tmp_path, {("Declaration", "D9"): "C. User defined",
                             ("Declaration", "D25"): "max.muster at nordmag",
                             ("Declaration", "D27"): "2025/11/14"})
    assert problems(path) == [
        "amrt_bad.xlsx[Declaration]:10:D: missing 'Description of Scope' (required when the scope is "
        "C. User defined)",
        "amrt_bad.xlsx[Declaration]:25:D: 'Email – Representative' is not an e-mail address: "
        "'max.muster at nordmag'",
        "amrt_bad.xlsx[Declaration]:27:D: 'Effective Date' must be DD-MMM-YYYY (e.g. 15-Nov-2025), got "
        "'2025/11/14'",
    ]


def test_not_listed_smelter_needs_name_and_country(tmp_path):
    path = broken(tmp_path, {("Smelter List", "D7"): None, ("Smelter List", "E7"): None,
                             ("Smelter List", "B6"): None})
    assert problems(path) == [
        "amrt_bad.xlsx[Smelter List]:6:Metal (*): missing required field 'Metal (*)'",
        "amrt_bad.xlsx[Smelter List]:7:Smelter Country (*): missing required field 'Smelter Country (*)' "
        "(required when the look-up is 'Smelter not listed')",
        "amrt_bad.xlsx[Smelter List]:7:Smelter Name (1): missing required field 'Smelter Name (1)' "
        "(required when the look-up is 'Smelter not listed')",
    ]


def test_unknown_country_and_address_without_country(tmp_path):
    path = broken(tmp_path, {("Smelter List", "E5"): "Atlantis",
                             ("Declaration", "D19"): "Industriestrasse 5, Hanau"})
    assert problems(path) == [
        "amrt_bad.xlsx[Declaration]:19:D: cannot tell the company's country from Address "
        "'Industriestrasse 5, Hanau' (end it with the country name, or give the country explicitly)",
        "amrt_bad.xlsx[Smelter List]:5:Smelter Country (*): unknown country 'Atlantis'",
    ]
    fixed = broken(tmp_path, {("Declaration", "D19"): "Industriestrasse 5, Hanau"}, name="amrt_ok.xlsx")
    assert read_amrt(fixed, company_country="DE").network.facilities.loc[
        "amrt-nordmag-magnetics-gmbh", "country"] == "DE"


def test_missing_sheet_and_column(tmp_path):
    path = tmp_path / "amrt_bad.xlsx"
    shutil.copy(MOCK, path)
    workbook = openpyxl.load_workbook(path)
    workbook["Smelter List"]["E4"] = "Country"
    workbook.save(path)
    assert problems(path) == [
        "amrt_bad.xlsx[Smelter List]:4:Smelter Country (*): missing required column 'Smelter Country (*)'"]
    del workbook["Smelter List"]
    workbook.save(path)
    assert problems(path) == [
        "amrt_bad.xlsx:0:-: missing sheet 'Smelter List' (sheets: Revision, Instructions, Definitions, "
        "Declaration, Minerals Scope, Checker, Mine List, Product List, Smelter Look-up); is this an AMRT?"]


def test_not_a_workbook(tmp_path):
    path = tmp_path / "amrt.xlsx"
    path.write_text("not a workbook", encoding="utf-8")
    found = problems(path)
    assert len(found) == 1 and found[0].startswith("amrt.xlsx:0:-: not a readable .xlsx workbook (")


def test_other_minerals_are_noted_and_skipped(tmp_path):
    path = broken(tmp_path, {("Declaration", "E11"): "Silver", ("Declaration", "B33"): "Silver",
                             ("Declaration", "D33"): "Yes", ("Smelter List", "B5"): "Silver"})
    result = read_amrt(path)
    assert "CID900001" not in result.network.facilities.index
    assert ("info: amrt_bad.xlsx[Smelter List]:5:Metal (*): metal 'Silver' is not a rare earth; row skipped"
            in result.notes_lines())


def test_question_one_needs_an_answer_from_the_list(tmp_path):
    assert problems(broken(tmp_path, {("Declaration", "D32"): None})) == [
        "amrt_bad.xlsx[Declaration]:32:D: missing answer to question 1 for 'Rare Earth Elements'"]
    assert problems(broken(tmp_path, {("Declaration", "D32"): "Maybe"}, name="amrt_bad2.xlsx")) == [
        "amrt_bad2.xlsx[Declaration]:32:D: answer to question 1 for 'Rare Earth Elements' must be one "
        "of Yes, No, Unknown, Not declaring, got 'Maybe'"]


def test_yes_needs_a_smelter_list_row(tmp_path):
    path = tmp_path / "amrt_bad.xlsx"
    shutil.copy(MOCK, path)
    workbook = openpyxl.load_workbook(path)
    workbook["Smelter List"].delete_rows(5, 4)
    workbook.save(path)
    assert problems(path) == [
        "amrt_bad.xlsx[Smelter List]:0:Metal (*): question 1 is 'Yes' for 'Rare Earth Elements' "
        "(Declaration row 32) but the Smelter List has no row for it"]
    workbook["Declaration"]["D32"] = "No"
    workbook.save(path)
    result = read_amrt(path)  # answered No: no processors, a company node and no links
    assert list(result.network.facilities.index) == ["amrt-nordmag-magnetics-gmbh"]
    assert result.network.links.empty


# --- formulas and merged cells (read explicitly, never as a silent empty) ----------------------

def _with_sheet(tmp_path, change, name="amrt_bad.xlsx"):
    """A copy of the mock changed through ``change(workbook)`` (openpyxl saves no formula values)."""
    path = tmp_path / name
    shutil.copy(MOCK, path)
    workbook = openpyxl.load_workbook(path)
    change(workbook)
    workbook.save(path)
    return path


def _cache_formula_values(path, values: dict[str, tuple[str, str]]) -> None:
    """Give formula cells a saved text value, as a spreadsheet program would:
    {cell: (formula as stored in the XML, value)}."""
    import zipfile

    parts = {}
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            data = archive.read(info)
            for cell, (formula, value) in values.items():
                data = data.replace(f'<c r="{cell}"><f>{formula}</f><v />'.encode(),
                                    f'<c r="{cell}" t="str"><f>{formula}</f><v>{value}</v>'.encode())
            parts[info.filename] = data
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def test_formula_without_saved_value_is_a_located_problem(tmp_path):
    def change(workbook):
        workbook["Smelter List"]["E5"] = '=IF(C5="","","China")'
    assert problems(_with_sheet(tmp_path, change)) == [
        'amrt_bad.xlsx[Smelter List]:5:Smelter Country (*): formula =IF(C5="","","China") has no '
        "saved value (the program that wrote the file did not calculate it): open and save it in a "
        "spreadsheet program, or paste values",
        "amrt_bad.xlsx[Smelter List]:5:Smelter Country (*): missing required field 'Smelter Country (*)'"]


def test_formula_with_saved_value_reads_the_value_with_a_note_never_evaluates(tmp_path):
    # the saved value (Malaysia) differs from what the formula would give (China): tiern reads
    # what the file holds and says so, it does not compute
    def change(workbook):
        workbook["Smelter List"]["E5"] = '="Chi"&"na"'
        workbook["Declaration"]["D8"] = "=UPPER(B8)"
    path = _with_sheet(tmp_path, change)
    _cache_formula_values(path, {"E5": ('"Chi"&amp;"na"', "Malaysia"),
                                 "D8": ("UPPER(B8)", "Nordmag Magnetics GmbH")})
    result = read_amrt(path)
    assert result.network.facilities.loc["CID900001", "country"] == "MY"
    assert result.notes_lines() == [
        "info: amrt_bad.xlsx[Declaration]:8:-: 1 formula cell read as the value saved in the file "
        "(tiern never evaluates formulas): D8",
        "info: amrt_bad.xlsx[Smelter List]:5:-: 1 formula cell read as the value saved in the file "
        "(tiern never evaluates formulas): E5",
        "info: amrt_bad.xlsx[Smelter List]:8:Smelter Look-up (*): smelter not yet identified: no facility"]


def test_vertically_merged_smelter_cells_are_a_problem(tmp_path):
    # a user merges the country of row 5 down over row 6: row 6 would read as having no country
    def change(workbook):
        workbook["Smelter List"].merge_cells("E5:E6")
    assert problems(_with_sheet(tmp_path, change)) == [
        "amrt_bad.xlsx[Smelter List]:6:Smelter Country (*): cell E6 is part of the merged range "
        "E5:E6, whose value is only in E5: unmerge the range and fill every cell (a merged cell "
        "reads as empty)",
        "amrt_bad.xlsx[Smelter List]:6:Smelter Country (*): missing required field 'Smelter Country (*)'"]


def test_template_merges_of_answer_cells_read_exactly(tmp_path):
    # the template merges the minerals answer over D..I and other answers over D..G: the value is
    # the top-left cell's, read exactly; empty merged ranges (formatting) are no problem either
    def change(workbook):
        workbook["Declaration"].merge_cells("D11:I11")
        workbook["Declaration"].merge_cells("D8:G8")
        workbook["Smelter List"].merge_cells("J5:J8")
    result = read_amrt(_with_sheet(tmp_path, change))
    assert result.network.hash == read_amrt(MOCK).network.hash
    assert result.notes_lines() == [
        "info: amrt_bad.xlsx[Smelter List]:8:Smelter Look-up (*): smelter not yet identified: no facility"]


def test_answer_merged_from_the_label_column_is_a_problem(tmp_path):
    # the company name typed in C and merged over C..D: D, where the answer belongs, reads empty
    def change(workbook):
        workbook["Declaration"]["C8"] = "Nordmag Magnetics GmbH"
        workbook["Declaration"].merge_cells("C8:D8")
    assert problems(_with_sheet(tmp_path, change)) == [
        "amrt_bad.xlsx[Declaration]:8:D: cell D8 is part of the merged range C8:D8, whose value is "
        "only in C8: unmerge the range and fill every cell (a merged cell reads as empty)",
        "amrt_bad.xlsx[Declaration]:8:D: missing required field 'Company Name'"]
