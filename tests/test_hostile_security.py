"""Hostile input, security class: formula injection into CSV/XLSX outputs, NUL and over-long
cells, upload file names, credentials in error messages, -o onto a folder."""
from __future__ import annotations

import re

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app_support.data import read_upload, upload_base_name
from graphmodel import load_network
from graphmodel.errors import OutputError, scrub_credentials
from graphmodel.examples import load_golden
from graphmodel.network import Network
from graphmodel.output import (XLSX_CELL_LIMIT, markdown_text, neutralise, render, restore,
                               safe_frame, write_xlsx)

from .hostile import replace_in, run_cli
from .strategies import hostile_text

FORMULAS = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1", "=HYPERLINK(\"http://x\",\"y\")",
            "'=1", "''@x"]


@pytest.mark.parametrize("text, expected", [
    ("=1+1", "'=1+1"), ("+1+1", "'+1+1"), ("-1+1", "'-1+1"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("'=1", "''=1"), ("-", "'-"),
    ("-5", "-5"), ("+1.5e3", "+1.5e3"), ("Ma'anshan", "Ma'anshan"), ("'quoted'", "'quoted'"),
    ("", ""), ("Baotou", "Baotou"),
])
def test_neutralise_exact(text, expected):
    assert neutralise(text) == expected
    assert restore(expected) == text


@given(hostile_text())
def test_neutralise_round_trips_and_is_inert(text):
    safe = neutralise(text)
    assert restore(safe) == text
    assert not safe or safe[0] not in "=+-@\t\r" or safe.lstrip("+-").replace(".", "", 1).isdigit() \
        or pd.notna(pd.to_numeric(safe, errors="coerce"))


def _hostile_golden() -> Network:
    net = load_golden()
    facilities = net.facilities.copy()
    facilities.loc["mine_cn", "name"] = "=HYPERLINK(\"http://evil\",\"x\")"
    facilities.loc["mine_au", "name"] = "@cmd|' /C calc'!A0"
    facilities.loc["sep_cn", "owner"] = "-2+3"
    return Network(facilities, net.links, net.owners, net.demand, name="hostile")


def test_csv_output_quotes_formula_cells(monkeypatch, capsys, tmp_path):
    _hostile_golden().write(tmp_path / "net")
    code, out, err = run_cli(monkeypatch, capsys, "chokepoints", tmp_path / "net", "-f", "csv")
    assert code == 0, err
    assert "'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")" in out
    assert "\n=HYPERLINK" not in out and ",=HYPERLINK" not in out


def test_xlsx_output_has_no_formula_cell(tmp_path):
    frame = pd.DataFrame({"name": FORMULAS, "value": range(len(FORMULAS))})
    path = write_xlsx({"result": frame}, tmp_path / "out.xlsx")
    sheet = openpyxl.load_workbook(path)["result"]
    cells = [c for row in sheet.iter_rows() for c in row]
    assert [c for c in cells if c.data_type == "f"] == []
    # XML keeps no bare carriage return: Excel and openpyxl read '\r=1' back as '\n=1'
    assert [sheet.cell(i + 2, 1).value for i in range(len(FORMULAS))] == \
        [neutralise(f).replace("\r", "\n") for f in FORMULAS]


@pytest.mark.parametrize("suffix", ["", ".xlsx"])
def test_convert_round_trips_hostile_text_exactly(tmp_path, suffix):
    net = _hostile_golden()
    written = net.write(tmp_path / f"copy{suffix}")
    back = load_network(written)
    assert back.facilities["name"].tolist() == net.facilities["name"].tolist()
    assert back.facilities["owner"].tolist() == net.facilities["owner"].tolist()
    if suffix:
        sheet = openpyxl.load_workbook(written)["facilities"]
        assert [c for row in sheet.iter_rows() for c in row if c.data_type == "f"] == []


def test_report_xlsx_and_markdown_are_inert(tmp_path, monkeypatch, capsys):
    net = _hostile_golden()
    facilities = net.facilities.copy()
    facilities.loc["magnet_cn", "name"] = "<script>alert(1)</script> | A"
    Network(facilities, net.links, net.owners, net.demand, name="x").write(tmp_path / "net")
    code, _, err = run_cli(monkeypatch, capsys, "report", tmp_path / "net", "-o", tmp_path / "r.md")
    assert code == 0, err
    text = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert "<script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; \\| A" in text
    code, _, err = run_cli(monkeypatch, capsys, "report", tmp_path / "net", "-o", tmp_path / "r.xlsx")
    assert code == 0, err
    book = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert [c.coordinate for s in book for row in s.iter_rows() for c in row if c.data_type == "f"] == []


def test_markdown_cells_escaped():
    assert markdown_text("a|b<i>&\nc") == "a\\|b&lt;i&gt;&amp; c"
    table = render(pd.DataFrame({"name|x": ["<b>1</b>|2"]}), "md")
    assert len(re.findall(r"(?<!\\)\|", table.splitlines()[0])) == 2  # one column: | escaped
    assert "&lt;b&gt;1&lt;/b&gt;\\|2" in table


def test_nul_cell_refused_in_csv_and_xlsx(tmp_path):
    frame = pd.DataFrame({"name": ["ok", "a\x00b"]})
    with pytest.raises(OutputError) as error:
        render(frame, "csv")
    assert str(error.value) == ("row 3, column 'name': the control character U+0000 cannot be "
                                "written to CSV; remove it from the input")
    with pytest.raises(OutputError) as error:
        write_xlsx({"result": frame}, tmp_path / "x.xlsx")
    assert str(error.value) == ("x.xlsx[result]: row 3, column 'name': the control character "
                                "U+0000 cannot be written to XLSX; remove it from the input")
    with pytest.raises(OutputError, match="U\\+0007 cannot be written to XLSX"):
        safe_frame(pd.DataFrame({"n": ["bell\x07"]}), "xlsx")


def test_over_long_cell_refused_in_xlsx_not_truncated(tmp_path):
    long = "x" * (XLSX_CELL_LIMIT + 1)
    with pytest.raises(OutputError) as error:
        write_xlsx({"result": pd.DataFrame({"name": [long]})}, tmp_path / "x.xlsx")
    assert str(error.value) == ("x.xlsx[result]: row 2, column 'name': 32,768 characters, more than "
                                "the 32,767 an XLSX cell holds (it would be truncated); write CSV "
                                "or JSON instead")
    assert not (tmp_path / "x.xlsx").exists()
    assert render(pd.DataFrame({"name": [long]}), "csv") == f"name\n{long}\n"


def test_infinite_value_refused_in_json():
    with pytest.raises(OutputError) as error:
        render(pd.DataFrame({"v": [float("inf")]}), "json")
    assert str(error.value) == "cannot write JSON: Out of range float values are not JSON compliant: inf"


@pytest.mark.parametrize("name, expected", [
    ("../../evil.xlsx", "evil.xlsx"), ("/etc/cron.d/x.xlsx", "x.xlsx"),
    ("..\\..\\win.xlsx", "win.xlsx"), ("C:\\Users\\a\\b.xlsm", "b.xlsm"), (".xlsx", "upload.xlsx"),
    ("golden.xlsx", "golden.xlsx"),
])
def test_upload_name_reduced_to_base_name(name, expected):
    assert upload_base_name(name) == expected


def test_upload_with_traversal_name_writes_nothing_outside(tmp_path, monkeypatch):
    load_golden().write(tmp_path / "golden.xlsx")
    content = (tmp_path / "golden.xlsx").read_bytes()
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    monkeypatch.setenv("TMPDIR", str(work))
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", None)
    result = read_upload([("../../../../escaped.xlsx", content)])
    assert result.network is not None and len(result.network.facilities) == 14
    assert list(tmp_path.rglob("escaped.xlsx")) == []
    assert list(work.iterdir()) == []  # the temporary folder is gone


@pytest.mark.parametrize("uri", [
    "bolt://neo4j:s3cretPW@127.0.0.1:1", "neo4j://neo4j:s3cretPW@127.0.0.1:1",
    "bolt://neo4j:s3cret@PW@127.0.0.1:1", "bolt://neo4j:s3cretPW@[::1",
    "bolt://neo4j:s3cretPW@host:notaport",
])
def test_password_in_uri_never_printed(monkeypatch, capsys, uri):
    monkeypatch.delenv("NEO4J_PASSWORD", raising=False)
    code, out, err = run_cli(monkeypatch, capsys, "neo4j", "status", "--uri", uri)
    assert code == 1
    assert "s3cret" not in out + err and "PW@" not in err
    assert err.startswith("error: invalid server URI 'bolt://") or \
        err.startswith("error: invalid server URI 'neo4j://")


def test_scrub_credentials():
    assert scrub_credentials("x bolt://u:p@h:1 y") == "x bolt://***@h:1 y"
    assert scrub_credentials("login failed for hunter22", ["hunter22"]) == "login failed for ***"
    assert scrub_credentials("see https://example.org/a@b") == "see https://example.org/a@b"


def test_output_onto_a_folder_or_under_a_file(monkeypatch, capsys, tmp_path, golden_dir):
    code, _, err = run_cli(monkeypatch, capsys, "chokepoints", "-o", tmp_path)
    assert code == 1
    assert err.lstrip("\n") == f"error: {tmp_path}: is a folder; give a file name (e.g. {tmp_path / 'result.csv'})\n"
    (tmp_path / "plain").write_text("x")
    code, _, err = run_cli(monkeypatch, capsys, "chokepoints", "-o", tmp_path / "plain" / "out.csv")
    assert code == 1
    assert err.lstrip("\n") == (f"error: {tmp_path / 'plain' / 'out.csv'}: cannot create {tmp_path / 'plain'} "
                   "(File exists)\n")
    code, _, err = run_cli(monkeypatch, capsys, "convert", golden_dir, "-o",
                            tmp_path / "plain")
    assert code == 1
    assert err.startswith(f"error: {tmp_path / 'plain'}: is a file")


@pytest.mark.timeout(60)
def test_zip_bomb_upload_refused(tmp_path):
    load_golden().write(tmp_path / "golden.xlsx")
    import zipfile
    parts = {}
    with zipfile.ZipFile(tmp_path / "golden.xlsx") as archive:
        for name in archive.namelist():
            parts[name] = archive.read(name)
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(
        b"<sheetData>", b"<sheetData><row>" + b" " * (50 * 1024 ** 2) + b"</row>", 1)
    with zipfile.ZipFile(tmp_path / "bomb.xlsx", "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    result = read_upload([("../bomb.xlsx", (tmp_path / "bomb.xlsx").read_bytes())])
    assert result.network is None
    messages = result.problems["message"].tolist()
    assert len(messages) == 1 and messages[0].startswith("part xl/worksheets/sheet1.xml unpacks ")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=hostile_text().filter(lambda t: "\x00" not in t and t.strip(" \t\r\n\x0b\x0c") != ""))
def test_hostile_names_round_trip_through_csv_exactly(tmp_path_factory, name):
    net = load_golden()
    facilities = net.facilities.copy()
    facilities.loc["mine_cn", "name"] = name
    folder = Network(facilities, net.links, net.owners, net.demand).write(
        tmp_path_factory.mktemp("rt") / "net")
    assert load_network(folder).facilities.loc["mine_cn", "name"] == name
