"""Every preset in data/scenarios/ runs on the bundled dataset, from the library and the CLI."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from graphmodel import load_network
from graphmodel.examples import example_path
from graphmodel.scenarios import load_scenario, run_scenario
from graphmodel.scenarios.presets import preset_paths, preset_table
from .cli_runner import tiern

PRESETS = preset_paths()
GOLDEN = str(example_path("golden"))


@pytest.fixture(scope="module")
def bundled():
    return load_network()




def test_the_six_presets_are_shipped_with_description_and_source():
    table = preset_table()
    assert set(table["preset"]) == {
        "china-2025-export-controls", "china-2025-export-controls-calibrated",
        "china-2010-export-quota", "china-2010-export-quota-calibrated",
        "bayan-obo-outage", "myanmar-ionic-clay-halt",
        "lynas-kalgoorlie-feed-outage", "dfars-covered-countries", "qualification-accelerated",
        "china-october-2025-package", "china-japan-dual-use-2026"}
    assert table["description"].str.len().min() > 50
    assert table["source"].str.len().min() > 20


@pytest.mark.parametrize("path", PRESETS, ids=[p.stem for p in PRESETS])
def test_preset_runs_on_bundled_data(bundled, path):
    spec = load_scenario(path)
    for options in ({}, {"reroute": False, "inventory": False}):
        result = run_scenario(bundled, spec, **options)
        assert result.notes == []                      # every shock selects something
        sinks = result.sinks
        assert len(sinks) == len(bundled.sinks)
        assert sinks["min_supply"].between(0, 1).all()
        assert (sinks["lost_volume"] >= 0).all()
        both = sinks.dropna(subset=["tts_months", "ttr_months"])
        assert (both["tts_months"] <= both["ttr_months"]).all()
    # without any response the shocks must hurt some sink
    assert result.sinks["min_supply"].min() < 1


def test_china_controls_lower_non_chinese_oem_supply(bundled):
    spec = load_scenario([p for p in PRESETS if p.stem == "china-2025-export-controls"][0])
    pure = run_scenario(bundled, spec, reroute=False, inventory=False).sinks.set_index("id")
    foreign = pure[pure["country"] != "CN"]
    assert foreign["min_supply"].min() < 0.9
    # Chinese plants keep serving the home market: Chinese sinks lose only what reaches
    # them through foreign intermediaries, far less than the worst-hit foreign sink
    assert pure.loc[pure["country"] == "CN", "min_supply"].min() > foreign["min_supply"].min() + 0.2
    full = run_scenario(bundled, spec).sinks
    assert full["lost_volume"].sum() <= pure["lost_volume"].sum()


def test_dfars_binds_only_defense_sinks(bundled):
    spec = load_scenario([p for p in PRESETS if p.stem == "dfars-covered-countries"][0])
    sinks = run_scenario(bundled, spec, reroute=False, inventory=False).sinks
    defense = sinks["sector"] == "defense"
    assert (sinks.loc[defense, "min_supply"] < 1).all()
    assert (sinks.loc[~defense, "min_supply"] == 1).all()


def test_faster_qualification_never_loses_more(bundled):
    base = load_scenario([p for p in PRESETS if p.stem == "china-2025-export-controls"][0])
    fast = load_scenario([p for p in PRESETS if p.stem == "qualification-accelerated"][0])
    lost_base = run_scenario(bundled, base, inventory=False).sinks["lost_volume"].sum()
    lost_fast = run_scenario(bundled, fast, inventory=False).sinks["lost_volume"].sum()
    assert lost_fast <= lost_base + 1e-6


# --- CLI --------------------------------------------------------------------------------
def test_cli_preset_by_name_json_rows(tmp_path):
    rows = json.loads(tiern("scenario", "bayan-obo-outage", "--format", "json").stdout)
    assert {"id", "name", "min_supply", "lost_volume", "tts_months", "ttr_months"} <= set(rows[0])
    assert all(0 <= row["min_supply"] <= 1 for row in rows)


def test_cli_scenario_on_golden_matches_library(tmp_path):
    path = tmp_path / "cn.yaml"
    path.write_text("name: CN mine out\nhorizon_months: 4\nshocks:\n"
                    "  - select: {id: mine_cn}\n    duration_months: 2\n")
    rows = json.loads(tiern("scenario", GOLDEN, str(path), "--no-reroute", "--no-inventory",
                            "-f", "json").stdout)
    by_id = {row["id"]: row for row in rows}
    # see test_scenarios: oem_def keeps 0.481579 while the mine is out (2 of 4 months)
    assert by_id["oem_def"]["min_supply"] == pytest.approx(0.125 + 0.5 * 0.6775 / 0.95)
    assert by_id["oem_def"]["tts_months"] == 0 and by_id["oem_def"]["ttr_months"] == 2
    months = tiern("scenario", GOLDEN, str(path), "--by", "month", "-f", "csv").stdout
    assert months.splitlines()[0] == "month,oem_auto,oem_def"
    out = tmp_path / "result.xlsx"
    tiern("scenario", GOLDEN, str(path), "-o", str(out))
    import openpyxl
    assert openpyxl.load_workbook(out).sheetnames == ["sinks", "stages", "months", "links"]


def test_cli_bad_scenario_file_is_a_message_not_a_traceback(tmp_path):
    path = tmp_path / "scenario.yaml"
    path.write_text("name: bad\nshocks:\n  - select: {country: CN}\n    capacity_loss: 1.5\n")
    result = tiern("scenario", GOLDEN, str(path), check=False)
    assert result.returncode == 1
    assert "scenario.yaml: shocks[0].capacity_loss: must be between 0 and 1" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_cli_monte_carlo_is_reproducible():
    args = ("scenario", GOLDEN, "myanmar-ionic-clay-halt", "--runs", "20", "--seed", "4",
            "-f", "json")
    first, again = tiern(*args), tiern(*args)
    assert first.stdout == again.stdout
    rows = json.loads(first.stdout)
    assert {"id", "p_shortfall", "shortfall_p50", "shortfall_p95", "lost_volume_mean"} <= set(rows[0])


def test_cli_rei_ranks_facilities():
    rows = json.loads(tiern("rei", GOLDEN, "--weeks", "13", "-f", "json").stdout)
    assert [row["rank"] for row in rows] == list(range(1, 15))
    assert rows[0]["rei"] == 1
    lost = [row["lost_volume"] for row in rows]
    assert lost == sorted(lost, reverse=True)


def test_readme_example_runs_on_bundled_data(bundled):
    import re

    import yaml

    from graphmodel.scenarios import parse_scenario
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Scenarios", 1)[1]
    block = re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
    spec = parse_scenario(yaml.safe_load(block), "README.md")
    result = run_scenario(bundled, spec)
    assert result.notes == []
    assert result.sinks["min_supply"].between(0, 1).all()
