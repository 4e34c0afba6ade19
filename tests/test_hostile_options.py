"""Hostile input, YAML and options: scenario and rule files (aliases, duplicate keys,
non-finite numbers, bad encodings, impossible dates) and out-of-range command-line options."""
from __future__ import annotations

import pytest

from graphmodel import limits
from graphmodel.compliance.rules import load_rule_file
from graphmodel.errors import ValidationError
from graphmodel.safe_yaml import YamlProblem, dump_yaml, load_yaml
from graphmodel.scenarios import load_scenario
from graphmodel.scenarios.model import ScenarioFileError

from .hostile import run_cli

SCENARIO = """name: test
horizon_months: 12
shocks:
  - name: CN mine stops
    select: {id: [mine_cn]}
    capacity_loss: 1.0
"""


def scenario_error(tmp_path, text: str | bytes) -> str:
    path = tmp_path / "s.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    with pytest.raises(ScenarioFileError) as error:
        load_scenario(path)
    return str(error.value)


@pytest.mark.timeout(30)
def test_billion_laughs_in_a_selector_refused_fast(tmp_path):
    lines = ["a0: &a0 [mine_cn, mine_cn]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 30)]
    text = "\n".join(lines) + "\n" + SCENARIO.replace("[mine_cn]", "*a29")
    assert scenario_error(tmp_path, text) == (
        "s.yaml: line 2: alias *a0 is not accepted (aliases can expand without bound); write the "
        "value out")


@pytest.mark.parametrize("edit, message", [
    (("horizon_months: 12\n", "horizon_months: 12\nhorizon_months: 24\n"),
     "line 3: duplicate key 'horizon_months' (first on line 2)"),
    (("capacity_loss: 1.0", "capacity_loss: .nan"), "line 6: expected a finite number, got '.nan'"),
    (("capacity_loss: 1.0", "capacity_loss: .inf"), "line 6: expected a finite number, got '.inf'"),
    (("capacity_loss: 1.0", "capacity_loss: 1.0e+999"),
     "line 6: expected a finite number, got '1.0e+999'"),
    (("capacity_loss: 1.0", "capacity_loss: 1.0e-999"),
     "line 6: number 1.0e-999 is too small to represent (it would read as 0)"),
    (("capacity_loss: 1.0", "capacity_loss: [1"), "line 7: not valid YAML (expected ',' or ']', but got '<stream end>')"),
])
def test_scenario_yaml_refusals(tmp_path, edit, message):
    assert scenario_error(tmp_path, SCENARIO.replace(*edit)) == f"s.yaml: {message}"


@pytest.mark.parametrize("value", ["inf", "'1e309'", "nan", "Infinity"])
def test_non_finite_strings_refused_by_the_scenario_model(tmp_path, value):
    message = scenario_error(tmp_path, SCENARIO.replace("capacity_loss: 1.0", f"capacity_loss: {value}"))
    assert message.startswith("s.yaml: shocks[0].capacity_loss: ")


def test_scenario_not_utf8(tmp_path):
    text = SCENARIO.replace("CN mine stops", "CN mine stops \u2014 all").encode("cp1252")
    assert scenario_error(tmp_path, text) == (
        "s.yaml: line 4: not UTF-8 text (byte 0x97 on line 4); save it as UTF-8")


@pytest.mark.parametrize("block, message", [
    ("monte_carlo: {runs: 0}", "monte_carlo.runs: must be a whole number of runs between 1 and 100,000"),
    ("monte_carlo: {runs: -5}", "monte_carlo.runs: must be a whole number of runs between 1 and 100,000"),
    ("monte_carlo: {runs: 1000000000}",
     "monte_carlo.runs: must be a whole number of runs between 1 and 100,000"),
    ("monte_carlo: {runs: 2.5}", "monte_carlo.runs: must be a whole number of runs between 1 and 100,000"),
    ("monte_carlo: {seed: -1}", "monte_carlo.seed: must be a whole number between 0 and 2**63 - 1"),
    ("horizon_months: 0", "horizon_months: must be a whole number of months between 1 and 600"),
    ("horizon_months: 100000", "horizon_months: must be a whole number of months between 1 and 600"),
])
def test_scenario_bounds(tmp_path, block, message):
    text = SCENARIO.replace("horizon_months: 12\n", "") + block + "\n"
    assert scenario_error(tmp_path, text) == f"s.yaml: {message}"


def rule_problems(tmp_path, text: str | bytes) -> list[str]:
    path = tmp_path / "r.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    with pytest.raises(ValidationError) as error:
        load_rule_file(path)
    return [str(p).replace(str(path), "r.yaml") for p in error.value.problems]


@pytest.fixture
def rule_text():
    from graphmodel.compliance import rules
    return (rules.RULES_DIR / "china-export-controls-2025-04.yaml").read_text(encoding="utf-8")


def test_rule_impossible_date(tmp_path, rule_text):
    assert rule_problems(tmp_path, rule_text.replace("effective: 2025-04-04", "effective: 2025-02-30")) == [
        "r.yaml:8:-: impossible date '2025-02-30' (day is out of range for month)"]


def test_rule_duplicate_key_and_alias(tmp_path, rule_text):
    assert rule_problems(tmp_path, rule_text.replace("kind: export_control\n",
                                                     "kind: export_control\nkind: sourcing\n")) == [
        "r.yaml:3:-: duplicate key 'kind' (first on line 2)"]
    text = rule_text.replace("controlling_countries: [CN]", "controlling_countries: &c [CN]") \
        .replace("elements: [Sm", "other: *c\nelements: [Sm")
    assert rule_problems(tmp_path, text) == [
        "r.yaml:10:-: alias *c is not accepted (aliases can expand without bound); write the value out"]


def test_rule_not_utf8(tmp_path, rule_text):
    data = rule_text.replace("seven medium", "seven \u2014 medium").encode("cp1252")
    assert rule_problems(tmp_path, data) == [
        "r.yaml:4:-: not UTF-8 text (byte 0x97 on line 4); save it as UTF-8"]


def test_what_tiern_writes_tiern_reads():
    shared = ["mine_cn"]
    text = dump_yaml({"a": shared, "b": shared})
    assert "&" not in text and load_yaml(text) == {"a": ["mine_cn"], "b": ["mine_cn"]}


def test_yaml_problem_is_located():
    with pytest.raises(YamlProblem) as error:
        load_yaml("a: 1\nb: {c: 1, c: 2}\n", "x.yaml")
    assert str(error.value) == "x.yaml:2: duplicate key 'c' (first on line 2)"


@pytest.mark.parametrize("args, message", [
    (["scenario", "bayan-obo-outage", "--runs", "0"],
     "Invalid value for '--runs': Input should be greater than or equal to 1"),
    (["scenario", "bayan-obo-outage", "--runs", str(limits.MAX_RUNS + 1)],
     "Invalid value for '--runs': Input should be less than or equal to 100000"),
    (["scenario", "bayan-obo-outage", "--seed", "-1"],
     "Invalid value for '--seed': Input should be greater than or equal to 0"),
    (["scenario", "bayan-obo-outage", "--batch-size", "0"],
     "Invalid value for '--batch-size': Input should be greater than or equal to 1"),
    (["chokepoints", "--top", "0"], "Invalid value for '--top' / '-n': Input should be greater than or equal to 1"),
    (["chokepoints", "--top", "-1"], "Invalid value for '--top' / '-n': Input should be greater than or equal to 1"),
    (["report", "-o", "r.md", "--top", "0"],
     "Invalid value for '--top' / '-n': Input should be greater than or equal to 1"),
    (["generate", "--facilities", "999999999", "-o", "g"],
     "Invalid value for '--facilities' / '-n': Input should be less than or equal to 2000000"),
    (["generate", "--facilities", "50", "--seed", "-3", "-o", "g"],
     "Invalid value for '--seed' / '-s': Input should be greater than or equal to 0"),
    (["generate", "--facilities", "50", "--suppliers-per-buyer", "inf", "-o", "g"],
     "Invalid value for '--suppliers-per-buyer': Input should be less than or equal to 1000"),
    (["generate", "--facilities", "50", "--suppliers-per-buyer", "nan", "-o", "g"],
     "Invalid value for '--suppliers-per-buyer': Input should be less than or equal to 1000"),
    (["neo4j", "push", "--batch-size", "0"],
     "Invalid value for '--batch-size': Input should be greater than or equal to 1"),
    (["ingest", "amrt", "x.xlsx", "-o", "out", "--processor-stage", "smelter"],
     "Invalid value for --processor-stage: unknown stage 'smelter' (expected one of mine, "
     "concentrator, mrec, separator, metal, alloy, magnet, motor, oem, recycler)"),
])
def test_option_bounds(monkeypatch, capsys, tmp_path, args, message):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(monkeypatch, capsys, *args)
    assert code == 2
    assert message in " ".join(err.split()), err


@pytest.mark.parametrize("variable, value, message", [
    ("TIERN_MAX_BATCH_BYTES", "abc", "error: TIERN_MAX_BATCH_BYTES='abc' is not a number of bytes "
                                     "(e.g. 2000000000, 512M, 2G)"),
    ("TIERN_MAX_BATCH_BYTES", "inf", "error: TIERN_MAX_BATCH_BYTES must be a positive, finite number "
                                     "of bytes"),
    ("TIERN_MAX_BATCH_BYTES", "nan", "error: TIERN_MAX_BATCH_BYTES must be a positive, finite number "
                                     "of bytes"),
])
def test_bad_settings_are_messages(monkeypatch, capsys, variable, value, message):
    monkeypatch.setenv(variable, value)
    code, _, err = run_cli(monkeypatch, capsys, "scenario", "bayan-obo-outage", "--runs", "2")
    assert (code, err.strip().splitlines()[-1]) == (1, message)


def test_bad_retry_seconds_is_a_message(monkeypatch, capsys):
    monkeypatch.setenv("TIERN_NEO4J_RETRY_SECONDS", "soon")
    code, _, err = run_cli(monkeypatch, capsys, "neo4j", "status", "--uri", "bolt://127.0.0.1:1")
    assert (code, err.strip()) == (
        1, "error: TIERN_NEO4J_RETRY_SECONDS='soon': expected seconds between 0 and 3600")


@pytest.mark.timeout(60)
def test_deeply_nested_yaml_refused(tmp_path):
    assert scenario_error(tmp_path, "name: " + "[" * 20000 + "]" * 20000 + "\n") == \
        "s.yaml: nested too deeply"


def test_oversized_yaml_refused(tmp_path, monkeypatch):
    from graphmodel import safe_yaml
    monkeypatch.setattr(safe_yaml, "MAX_YAML_BYTES", 10)
    size = len(SCENARIO.encode())
    assert scenario_error(tmp_path, SCENARIO) == (
        f"s.yaml: file is {size:,} bytes, more than the 10 tiern reads as YAML")
