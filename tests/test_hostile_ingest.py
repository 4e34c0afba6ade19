"""Hostile input, ingesters: problems name the user's own file and row; alias cycles refused."""
from __future__ import annotations

import pytest

from graphmodel.errors import ValidationError
from ingest.fragment import build_network

from .hostile import run_cli

FACILITY = {"id": "cn-smelter", "name": "A smelter", "stage": "separator", "country": "CN"}


def test_problem_of_an_ingested_record_names_its_source_row():
    with pytest.raises(ValidationError) as error:
        build_network([{**FACILITY, "lat": 200, "_source": ("amrt.xlsx[Smelter List]", 7)}], [],
                      name="amrt-x")
    assert [str(p) for p in error.value.problems] == [
        "amrt.xlsx[Smelter List]:7:lat: must be <= 90, got 200 (ingested facility cn-smelter)"]


def test_problem_without_a_source_names_the_ingested_record_not_a_csv():
    with pytest.raises(ValidationError) as error:
        build_network([FACILITY, {**FACILITY, "id": "cn-smelter "}], [], name="trade-x")
    assert [str(p) for p in error.value.problems] == [
        "trade-x (ingested facilities record 2):0:id: 'cn-smelter ' has leading or trailing "
        "whitespace; remove it (id values must match exactly)"]


def test_trade_problem_names_the_source_rows_and_column_not_a_record_number(tmp_path):
    """Two BACI rows (HS 284690 and 284610, both China -> Japan) sum into one link whose volume,
    9e14 + 9e14 t, passes the per-cell check but exceeds the 1e15 limit: the problem names the
    user's file, the first row, BACI's quantity column ``q`` and every row in the sum."""
    from ingest.trade import read_trade
    from .conftest import DATA_DIR

    codes = DATA_DIR / "trade" / "baci" / "country_codes_V202501.csv"
    (tmp_path / codes.name).write_bytes(codes.read_bytes())
    data = tmp_path / "BACI_HS22_Y2023_V202501.csv"
    data.write_text("t,i,j,k,v,q\n2023,842,156,284690,5,1000\n2023,156,392,284690,5,9e14\n"
                    "2023,156,392,284610,7,9e14\n", encoding="utf-8")
    with pytest.raises(ValidationError) as error:
        read_trade([data])
    assert [str(p) for p in error.value.problems] == [
        "BACI_HS22_Y2023_V202501.csv:3:q: number 1800000000000000 is beyond ±1e15, the largest "
        "magnitude tiern accepts (ingested link CN-separator-agg -> JP-metal-agg; the sum of "
        "BACI_HS22_Y2023_V202501.csv rows 3, 4)"]


def test_trade_comtrade_columns_follow_the_flow_direction():
    """An import (M) report's exporter is the partner; an export (X) report's is the reporter."""
    from ingest.trade import _comtrade_cells

    imports = _comtrade_cells({"flowCode": "M", "netWgt": "1000"})
    exports = _comtrade_cells({"flowCode": "X", "netWgt": ""})
    assert (imports["supplier"], imports["customer"], imports["volume"]) == (
        "partnerISO", "reporterISO", "netWgt")
    assert (exports["supplier"], exports["customer"], exports["volume"]) == (
        "reporterISO", "partnerISO", "qty")


def test_alias_cycle_refused(monkeypatch, capsys, tmp_path, golden_dir):
    aliases = tmp_path / "aliases.csv"
    aliases.write_text("alias,canonical_id\nmine_cn,mine_au\nmine_au,mine_cn\n", encoding="utf-8")
    code, _, err = run_cli(monkeypatch, capsys, "ingest", "merge", golden_dir, golden_dir,
                           "-o", tmp_path / "out", "--aliases", aliases)
    assert code == 1
    assert err.strip().splitlines() == [
        "aliases.csv:2:canonical_id: alias cycle mine_cn -> mine_au -> mine_cn: a canonical id "
        "must not itself be an alias",
        "aliases.csv:3:canonical_id: alias cycle mine_au -> mine_cn -> mine_au: a canonical id "
        "must not itself be an alias",
        "2 problems found"]
    assert not (tmp_path / "out").exists()


def test_alias_with_two_targets_refused(monkeypatch, capsys, tmp_path, golden_dir):
    aliases = tmp_path / "aliases.csv"
    aliases.write_text("alias,canonical_id\nBaotou,mine_cn\nBaotou,mine_au\n", encoding="utf-8")
    code, _, err = run_cli(monkeypatch, capsys, "ingest", "merge", golden_dir,
                           "-o", tmp_path / "out", "--aliases", aliases)
    assert (code, err.strip().splitlines()) == (1, [
        "aliases.csv:3:canonical_id: alias 'Baotou' already maps to 'mine_cn' (row 2)",
        "1 problem found"])


def test_unclosed_quote_in_a_source_file_is_located_not_swallowed(tmp_path):
    from ingest.usgs import read_usgs
    from .conftest import DATA_DIR

    data = (DATA_DIR / "usgs" / "mcs2026_rare_earths.csv").read_bytes()  # Windows-1252, as published
    lines = data.rstrip(b"\n").split(b"\n")
    path = tmp_path / "mcs2026_rare_earths.csv"
    path.write_bytes(b"\n".join(lines + [b'RARE EARTHS,"unclosed', b"more text"]) + b"\n")
    line = len(lines) + 1
    with pytest.raises(ValidationError) as error:
        read_usgs(path)
    assert [str(p) for p in error.value.problems] == [
        f'mcs2026_rare_earths.csv:{line}:-: unclosed quote: the quoted field starting on line '
        f'{line} never ends (add the closing ")']
    # a quote opened mid-file pairs with a later one: still located at the record it opens
    path.write_bytes(b"\n".join(lines[:3] + [b'RARE EARTHS,"unclosed'] + lines[3:]) + b"\n")
    with pytest.raises(ValidationError) as error:
        read_usgs(path)
    assert [str(p) for p in error.value.problems] == [
        "mcs2026_rare_earths.csv:4:-: malformed CSV: ',' expected after '\"'"]
