"""Backtests and calibration (issue 17): hand-computed arithmetic, parameter recovery,
the bundled 2025 event, the CLI contract and the reproducible calibrated preset."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from graphmodel.backtest import (RESPONSE_COLUMNS, Evaluator, mape, months_off, response_table,
                                 run_backtest)
from graphmodel.build import network_from_records
from graphmodel.calibrate import (STOCK_FIT_COLUMNS, Problem, calibrate, calibrated_yaml,
                                  fit_stocks_to_stoppages)
from graphmodel.network import load_network
from graphmodel.scenarios import ScenarioFileError, load_scenario, parse_scenario
from graphmodel.scenarios.observed import month_index, month_name
from graphmodel.scenarios.presets import resolve
from graphmodel.settings import OBSERVED_DIR

from .cli_runner import tiern

OBSERVED = OBSERVED_DIR


# --- a hand network: one CN magnet maker, one JP; a US and a CN car maker -------------

def hand_network():
    facilities = [
        {"id": "cn-mag", "name": "CN magnets", "stage": "magnet", "country": "CN"},
        {"id": "jp-mag", "name": "JP magnets", "stage": "magnet", "country": "JP"},
        {"id": "us-oem", "name": "US cars", "stage": "oem", "country": "US", "sector": "automotive"},
        {"id": "cn-oem", "name": "CN cars", "stage": "oem", "country": "CN", "sector": "automotive"},
    ]
    links = [
        {"supplier": "cn-mag", "customer": "us-oem", "material": "NdFeB magnet", "volume": 120},
        {"supplier": "jp-mag", "customer": "us-oem", "material": "NdFeB magnet", "volume": 60},
        {"supplier": "cn-mag", "customer": "cn-oem", "material": "NdFeB magnet", "volume": 240},
    ]
    return network_from_records(facilities, links)


def write_observed(tmp_path, values: dict[str, float], name="obs.csv"):
    rows = [{"series": "x", "month": m, "partner": "WORLD", "value": v, "unit": "t"}
            for m, v in values.items()]
    pd.DataFrame(rows).to_csv(tmp_path / name, index=False)
    return tmp_path / name


def hand_scenario(tmp_path, shocks, free=(), fit_until="2025-05", stoppages=None):
    data = {
        "name": "hand", "horizon_months": 4,
        "shocks": shocks,
        "responses": {"inventory": False, "reroute": False},
        "observed": {
            "month0": "2025-04", "fit_until": fit_until,
            "series": [{"series": "x", "file": str(tmp_path / "obs.csv"), "partner": "WORLD",
                        "simulated": {"links_from": {"country": "CN", "stage": "magnet"},
                                      "to_outside": "CN"},
                        "baseline": {"months": ["2025-01", "2025-03"]}}],
            "free": list(free), "bootstrap": 0},
    }
    if stoppages is not None:
        data["observed"]["stoppages"] = {"file": str(stoppages)}
    return parse_scenario(data, "hand.yaml")


CONTROL = {"type": "export_control", "select": {"country": "CN", "stage": "magnet"},
           "capacity_loss": 0.5, "start_month": 0, "duration_months": 2}


def test_backtest_arithmetic_on_a_hand_network(tmp_path):
    # baseline mean (90 + 100 + 110) / 3 = 100 t; the export link runs at 0.5 in months 0-1
    write_observed(tmp_path, {"2025-01": 90, "2025-02": 100, "2025-03": 110, "2025-04": 40,
                              "2025-05": 50, "2025-06": 100, "2025-07": 80, "2025-08": 70})
    stops = tmp_path / "stops.csv"
    pd.DataFrame([
        {"company": "Detroit Cars", "country": "US", "sector": "automotive", "date": "2025-05-10"},
        {"company": "Later Cars", "country": "US", "sector": "automotive", "date": "2025-08-02"},
        {"company": "Shanghai Cars", "country": "CN", "sector": "automotive", "date": "2025-04-10"},
        {"company": "Pune Cars", "country": "IN", "sector": "automotive", "date": "2025-05-01"},
    ]).to_csv(stops, index=False)
    spec = hand_scenario(tmp_path, [CONTROL], stoppages=stops)
    result = run_backtest(hand_network(), spec, "hand.yaml")
    rows = result.rows.set_index("month")
    # 2025-08 is month 4, past the 4-month horizon: not compared
    assert list(rows.index) == ["2025-04", "2025-05", "2025-06", "2025-07"]
    assert rows["simulated"].tolist() == pytest.approx([50, 50, 100, 100])
    assert rows["error"].tolist() == pytest.approx([0.25, 0.0, 0.0, 0.25])
    assert rows["split"].tolist() == ["fit", "fit", "held_out", "held_out"]
    summary = result.summary.set_index("split")
    assert summary.loc["all", "mape"] == pytest.approx(0.125)
    assert summary.loc["fit", "mape"] == pytest.approx(0.125)
    assert summary.loc["held_out", "mae"] == pytest.approx(10.0)
    assert summary.loc["all", "mae_baseline"] == pytest.approx((10 + 0 + 0 + 20) / 4 / 100)
    assert summary.loc["all", "trough_month"] == "2025-04"
    assert summary.loc["all", "trough_error"] == pytest.approx(0.25)
    # us-oem gets 2/3 of its magnets from CN: supply 1 - 0.5 * 2/3 in months 0 and 1
    stop = result.stoppages.set_index("company")
    assert stop.loc["Detroit Cars", "sink"] == "us-oem"
    assert bool(stop.loc["Detroit Cars", "short_in_model"]) is True
    assert stop.loc["Detroit Cars", "months_off"] == 0
    assert bool(stop.loc["Later Cars", "short_in_model"]) is False    # month 4, last short 1
    assert stop.loc["Later Cars", "months_off"] == -3
    assert bool(stop.loc["Shanghai Cars", "short_in_model"]) is False  # home market untouched
    assert pd.isna(stop.loc["Shanghai Cars", "months_off"])
    assert stop.loc["Pune Cars", "sink"] == "(none in network)"
    assert pd.isna(stop.loc["Pune Cars", "short_in_model"])


def test_error_definitions():
    assert mape([100, 200, 0], [110, 100, 5]) == pytest.approx((0.1 + 0.5) / 2)
    assert np.isnan(mape([0, 0], [1, 2]))
    short = np.array([False, True, False, False, True])
    assert months_off(short, 3) == 1            # month 4 is nearer than month 1
    assert months_off(short, 2) == -1           # month 1 is nearer than month 4
    assert months_off(np.array([True, False, True]), 1) == -1   # tie: the earlier month
    assert months_off(np.zeros(3, dtype=bool), 1) is None
    assert month_index("2026-03", "2025-04") == 11
    assert month_name(11, "2025-04") == "2026-03"
    assert month_name(-3, "2025-04") == "2025-01"


def two_shock_spec(tmp_path, loss_a, loss_b, duration_b, free=()):
    shocks = [dict(CONTROL, name="A", capacity_loss=loss_a, duration_months=1),
              dict(CONTROL, name="B", capacity_loss=loss_b, start_month=1,
                   duration_months=duration_b)]
    return hand_scenario(tmp_path, shocks, free=free, fit_until="2025-07")


def test_calibration_recovers_the_parameters_that_made_the_data(tmp_path):
    truth = (0.3, 0.7, 1.5)       # B active half of month 2: loss 0.35 there
    write_observed(tmp_path, {"2025-01": 100, "2025-02": 100, "2025-03": 100, "2025-04": 1,
                              "2025-05": 1, "2025-06": 1, "2025-07": 1})
    net = hand_network()
    generator = Evaluator(net, two_shock_spec(tmp_path, *truth), "hand.yaml")
    from graphmodel.scenarios.core import central_draws

    values, _ = generator.run(central_draws(generator.spec))
    synthetic = {"2025-01": 100, "2025-02": 100, "2025-03": 100}
    synthetic.update({month_name(t, "2025-04"): float(values[0][t, 0]) for t in range(4)})
    assert list(synthetic.values())[3:] == pytest.approx([70, 30, 65, 100])
    write_observed(tmp_path, synthetic)
    free = [{"shock": 0, "field": "capacity_loss", "bounds": [0, 1]},
            {"shock": 1, "field": "capacity_loss", "bounds": [0, 1]},
            {"shock": 1, "field": "duration_months", "bounds": [0.5, 3]}]
    start = two_shock_spec(tmp_path, 0.5, 0.4, 1.2, free=free)
    fit = calibrate(net, start, "hand.yaml", bootstrap=0)
    # tolerance: 1e-4 of each parameter (forward-difference Jacobian, least-squares tolerances)
    assert fit.values == pytest.approx(truth, abs=1e-4)
    assert fit.parameters["identified"].all()
    assert fit.stats["rmse_baseline"] < 1e-5


def test_bootstrap_is_seeded(tmp_path):
    write_observed(tmp_path, {"2025-01": 90, "2025-02": 100, "2025-03": 110, "2025-04": 50,
                              "2025-05": 45})
    free = [{"shock": 0, "field": "capacity_loss", "bounds": [0, 1]}]
    spec = hand_scenario(tmp_path, [CONTROL], free=free)
    net = hand_network()
    one = calibrate(net, spec, "hand.yaml", seed=1, bootstrap=8)
    again = calibrate(net, spec, "hand.yaml", seed=1, bootstrap=8)
    other = calibrate(net, spec, "hand.yaml", seed=2, bootstrap=8)
    assert one.values == pytest.approx(0.525)           # mean of 0.5 and 0.55
    assert one.parameters.equals(again.parameters)
    assert not one.parameters.equals(other.parameters)
    assert 0 < one.sd[0] < 0.2


def test_observed_block_errors_name_the_file_and_field(tmp_path):
    write_observed(tmp_path, {"2025-01": 100, "2025-04": 50})
    base = {"name": "x", "shocks": [CONTROL],
            "observed": {"month0": "2025-4", "series": [], "colour": 1}}
    with pytest.raises(ScenarioFileError) as error:
        parse_scenario(base, "bad.yaml")
    text = str(error.value)
    assert "bad.yaml: observed.month0: expected a month written YYYY-MM" in text
    assert "bad.yaml: observed.series: needs at least one series" in text
    assert "bad.yaml: observed.colour: unknown field" in text
    spec = hand_scenario(tmp_path, [CONTROL],
                         free=[{"shock": 5, "field": "capacity_loss", "bounds": [0, 1]}])
    with pytest.raises(ScenarioFileError, match=r"hand.yaml: observed.free\[0\].shock: no shock 5"):
        Problem(hand_network(), spec, "hand.yaml")
    data = spec.model_dump(exclude_none=True)
    data["observed"]["series"][0]["series"] = "nothing"
    with pytest.raises(ScenarioFileError, match=r"observed.series\[0\].series: no rows for series"):
        run_backtest(hand_network(), parse_scenario(data, "hand.yaml"), "hand.yaml")


def test_response_table_on_the_hand_network(tmp_path):
    # no stock, no rerouting: both responses leave us-oem at 1 - 0.5 x 120/180 = 2/3 in
    # months 0-1; lost 2 x 1/3 x 180/12 = 10 t; the LP's TTS is 0 (short from the start)
    write_observed(tmp_path, {"2025-01": 100, "2025-04": 50})
    stops = tmp_path / "stops.csv"
    pd.DataFrame([{"company": "Detroit Cars", "country": "US", "sector": "automotive",
                   "date": "2025-05-10"}]).to_csv(stops, index=False)
    spec = hand_scenario(tmp_path, [CONTROL], stoppages=stops)
    net = hand_network()
    result = run_backtest(net, spec, "hand.yaml")
    table = response_table(net, spec, result.stoppages).set_index("id")
    assert list(table.index) == ["us-oem", "cn-oem"]
    us = table.loc["us-oem"]
    assert us["stoppages"] == "Detroit Cars"
    assert (us["simulated_tts_months"], us["optimal_tts_months"]) == (0, 0.0)
    assert us["simulated_min_supply"] == pytest.approx(2 / 3)
    assert us["optimal_min_supply"] == pytest.approx(2 / 3)
    assert us["simulated_lost_volume"] == pytest.approx(10.0)
    assert us["optimal_lost_volume"] == pytest.approx(10.0)
    assert table.loc["cn-oem", "optimal_lost_volume"] == pytest.approx(0.0)


def test_cli_backtest_by_response(tmp_path):
    out = tiern("backtest", "china-2025-export-controls-calibrated", "--by", "response", "-f", "json")
    rows = json.loads(out.stdout)
    assert set(rows[0]) == set(RESPONSE_COLUMNS)
    assert len({r["optimal_tts_months"] for r in rows}) == 1
    assert "response: simulated" in out.stderr and "optimal" in out.stderr
    first = min(r["simulated_tts_months"] for r in rows if r["simulated_tts_months"] is not None)
    tts = rows[0]["optimal_tts_months"]
    assert tts is None or tts >= first            # the best response survives at least as long


# --- the bundled 2025 event -----------------------------------------------------------

@pytest.fixture(scope="module")
def bundled():
    return load_network()


def test_bundled_backtest_is_true_to_the_observed_data(bundled):
    path = resolve("china-2025-export-controls")
    spec = load_scenario(path)
    result = run_backtest(bundled, spec, path.name, path)
    exports = pd.read_csv(OBSERVED / "magnet_exports_cn.csv", keep_default_na=False)
    world = exports[exports["partner"] == "WORLD"].set_index("month")["value"]
    rows = result.rows[result.rows["series"] == "cn_magnet_exports"].set_index("month")
    assert rows.index[0] == "2025-04" and rows.index[-1] == world.index.max()
    assert rows["observed"].to_dict() == world[rows.index].astype(float).to_dict()
    baseline = world[["2025-01", "2025-02", "2025-03"]].mean()
    # May: only the May shock acts on CN magnet export links (no rerouting onto shocked links)
    loss = spec.shocks[1].capacity_loss
    loss = loss.central if hasattr(loss, "central") else loss
    assert rows.loc["2025-05", "simulated"] == pytest.approx(baseline * (1 - loss))
    summary = result.summary.set_index(["series", "split"])
    assert summary.loc[("cn_magnet_exports", "all"), "trough_month"] == "2025-05"
    stops = result.stoppages.set_index("date")
    assert len(stops) == len(pd.read_csv(OBSERVED / "stoppages_2025.csv"))
    assert stops.loc["2025-05-20", "sink"] == "us-ford"
    assert stops["short_in_model"].notna().sum() == 5      # Bajaj (IN) has no sink


def test_cli_backtest_json_contract(tmp_path):
    out = tiern("backtest", "china-2025-export-controls", "-f", "json",
                "--figure", tmp_path / "fig.html")
    rows = json.loads(out.stdout)
    assert rows and set(rows[0]) >= {"series", "month", "unit", "observed", "simulated", "error"}
    assert all(len(r["month"]) == 7 and r["month"][4] == "-" for r in rows)
    assert {r["split"] for r in rows} == {"fit", "held_out"}
    assert "MAPE" in out.stderr
    html = (tmp_path / "fig.html").read_text(encoding="utf-8")
    assert "plotly" in html and len(html) > 1_000_000          # plotly.js inline: offline
    stops = json.loads(tiern("backtest", "china-2025-export-controls", "--by", "stoppages",
                             "-f", "json").stdout)
    assert set(stops[0]) >= {"company", "country", "sector", "date", "sink", "short_in_model",
                             "months_off"}
    assert {type(s["short_in_model"]) for s in stops} <= {bool, type(None)}
    bad = tiern("backtest", "bayan-obo-outage", check=False)
    assert bad.returncode != 0 and "no observed: block" in bad.stderr


def test_backtest_figure_is_a_plotly_figure(bundled):
    import plotly.graph_objects as go

    from graphmodel.backtest import backtest_figure

    path = resolve("china-2025-export-controls")
    fig = backtest_figure(run_backtest(bundled, load_scenario(path), path.name, path))
    assert isinstance(fig, go.Figure)
    assert len(fig.data) == 2 * 3            # observed and simulated per series


CALIBRATED = "china-2025-export-controls-calibrated"


def test_calibrated_preset_values_reproduce(bundled):
    """Fast variant of the bit-for-bit test: the fit itself (no bootstrap) gives the values
    written in the bundled calibrated preset, to its 6 decimals."""
    source = resolve("china-2025-export-controls")
    spec = load_scenario(source)
    fit = calibrate(bundled, spec, source.name, source, bootstrap=0)
    written = yaml.safe_load(resolve(CALIBRATED).read_text(encoding="utf-8"))
    values = [p["value"] for p in written["calibration"]["parameters"]]
    assert np.round(fit.values, 6).tolist() == pytest.approx(values, abs=1e-12)
    assert written["calibration"]["fit_until"] == spec.observed.fit_until
    calibrated = load_scenario(resolve(CALIBRATED))          # a valid scenario file
    assert run_backtest(bundled, calibrated, CALIBRATED).fit_until == "2025-06"


@pytest.mark.slow
def test_calibrate_recreates_the_bundled_calibrated_preset_bit_for_bit(tmp_path):
    written = yaml.safe_load(resolve(CALIBRATED).read_text(encoding="utf-8"))
    out = tmp_path / "calibrated.yaml"
    tiern("calibrate", "china-2025-export-controls", "--seed", written["calibration"]["seed"],
          "-o", out)
    assert out.read_bytes() == resolve(CALIBRATED).read_bytes()


def test_calibrated_yaml_is_deterministic(tmp_path):
    write_observed(tmp_path, {"2025-01": 90, "2025-02": 100, "2025-03": 110, "2025-04": 50,
                              "2025-05": 45})
    free = [{"shock": 0, "field": "capacity_loss", "bounds": [0, 1]}]
    spec = hand_scenario(tmp_path, [CONTROL], free=free)
    source = tmp_path / "hand.yaml"
    source.write_text(yaml.safe_dump(spec.model_dump(mode="json", exclude_none=True)),
                      encoding="utf-8")
    spec = load_scenario(source)
    texts = {calibrated_yaml(source, spec, calibrate(hand_network(), spec, "hand.yaml", source,
                                                     seed=3, bootstrap=4)) for _ in range(2)}
    assert len(texts) == 1
    again = load_scenario_text(tmp_path, texts.pop())
    assert again.shocks[0].capacity_loss == pytest.approx(0.525)
    assert again.calibration["seed"] == 3


def load_scenario_text(tmp_path, text):
    path = tmp_path / "out.yaml"
    path.write_text(text, encoding="utf-8")
    return load_scenario(path)


def test_calibration_recovers_inventory_days_and_writes_them(tmp_path):
    """A JP magnet maker lives off its Dy stock while CN Dy exports are cut by L = 0.8:
    with 69 days (2.3 months of input) it draws 0.8 in months 0 and 1, has 0.7 left for
    month 2 (0.2 + 0.7 = 0.9) and none for month 3 (0.2): it ships 100, 100, 90, 20 %."""
    net = network_from_records(
        [{"id": "cn-sep", "name": "CN separator", "stage": "separator", "country": "CN"},
         {"id": "jp-mag", "name": "JP magnets", "stage": "magnet", "country": "JP",
          "inventory_days": 10},
         {"id": "us-oem", "name": "US cars", "stage": "oem", "country": "US",
          "sector": "automotive"}],
        [{"supplier": "cn-sep", "customer": "jp-mag", "material": "Dy oxide", "volume": 12},
         {"supplier": "jp-mag", "customer": "us-oem", "material": "NdFeB magnet", "volume": 120}])
    write_observed(tmp_path, {"2025-01": 100, "2025-02": 100, "2025-03": 100, "2025-04": 100,
                              "2025-05": 100, "2025-06": 90, "2025-07": 20})
    data = {
        "name": "stock", "horizon_months": 5,
        "shocks": [{"type": "export_control", "select": {"id": "cn-sep"},
                    "capacity_loss": 0.5, "start_month": 0, "duration_months": 4}],
        "responses": {"inventory": True, "reroute": False, "refill_rate": 0.0},
        "observed": {
            "month0": "2025-04", "fit_until": "2025-07", "bootstrap": 0,
            "series": [{"series": "x", "file": str(tmp_path / "obs.csv"),
                        "simulated": {"links_from": {"id": "jp-mag"}, "to_outside": "JP"},
                        "baseline": {"months": ["2025-01", "2025-03"]}}],
            "free": [{"shock": 0, "field": "capacity_loss", "bounds": [0, 1]},
                     {"field": "inventory_days", "select": {"id": "jp-mag"},
                      "bounds": [0, 90]}]}}
    source = tmp_path / "stock.yaml"
    source.write_text(yaml.safe_dump(data), encoding="utf-8")
    spec = load_scenario(source)
    fit = calibrate(net, spec, source.name, source, bootstrap=0)
    assert fit.parameters["start"].tolist() == pytest.approx([0.5, 10.0])
    assert fit.values == pytest.approx([0.8, 69.0], abs=1e-3)
    assert fit.parameters["parameter"].tolist() == ["shocks[0].capacity_loss",
                                                    "inventory_days[id=jp-mag]"]
    calibrated = load_scenario_text(tmp_path, calibrated_yaml(source, spec, fit))
    assert [e.days for e in calibrated.responses.inventory_days] == pytest.approx([69.0], abs=1e-3)
    rows = run_backtest(net, calibrated, "out.yaml").rows
    assert rows["simulated"].tolist() == pytest.approx([100, 100, 90, 20], abs=0.05)


def test_annual_2010_event_backtest_and_calibration(bundled, tmp_path):
    """Annual rows: the simulated year is the mean of its months times the 2009 level."""
    path = resolve("china-2010-export-quota")
    spec = load_scenario(path)
    rows = run_backtest(bundled, spec, path.name, path).rows.set_index("month")
    table = pd.read_csv(OBSERVED / "event_2010_2011.csv", keep_default_na=False, dtype=str)
    exports = table[table["series"] == "cn_re_exports"].set_index("period")["value"].astype(float)
    assert list(rows.index) == ["2010", "2011"]
    assert rows["observed"].tolist() == exports[["2010", "2011"]].tolist()
    # export controls on Chinese suppliers only: today's export links run at 1 - 0.40
    assert rows["simulated"].tolist() == pytest.approx([exports["2009"] * 0.6] * 2)
    assert rows["split"].tolist() == ["fit", "held_out"]
    # the fitted 2010 depth is 1 - 39,813 / 43,895; the bundled calibrated file, bit for bit
    out = tmp_path / "calibrated.yaml"
    tiern("calibrate", "china-2010-export-quota", "--seed", 2010, "-o", out)
    calibrated = resolve("china-2010-export-quota-calibrated")
    assert out.read_bytes() == calibrated.read_bytes()
    assert load_scenario(calibrated).shocks[0].capacity_loss == pytest.approx(
        1 - exports["2010"] / exports["2009"], abs=1e-6)


def test_stock_fit_to_stoppages_on_a_hand_network(tmp_path):
    # us-oem takes 120 t/yr from CN and 60 from JP; exports halved in months 0-1: a deficit
    # of 1/3 x 15 = 5 t/month for two months. d days of stock hold d/30 x 15 = d/2 t: never
    # short for d >= 20 (10 t cover both months), short in month 1 for 10 <= d < 20 and in
    # month 0 below: the May (month 1) stoppage is reproduced for d = 0..19. cn-oem (no
    # stoppage) is never short: no false alarm. Both start at 30 days: fitted 19, [0, 19].
    facilities = [
        {"id": "cn-mag", "name": "CN magnets", "stage": "magnet", "country": "CN"},
        {"id": "jp-mag", "name": "JP magnets", "stage": "magnet", "country": "JP"},
        {"id": "us-oem", "name": "US cars", "stage": "oem", "country": "US",
         "sector": "automotive", "inventory_days": 30},
        {"id": "cn-oem", "name": "CN cars", "stage": "oem", "country": "CN",
         "sector": "automotive", "inventory_days": 30}]
    links = [
        {"supplier": "cn-mag", "customer": "us-oem", "material": "NdFeB magnet", "volume": 120},
        {"supplier": "jp-mag", "customer": "us-oem", "material": "NdFeB magnet", "volume": 60},
        {"supplier": "cn-mag", "customer": "cn-oem", "material": "NdFeB magnet", "volume": 240}]
    net = network_from_records(facilities, links)
    write_observed(tmp_path, {"2025-01": 100, "2025-04": 50, "2025-05": 50})
    stops = tmp_path / "stops.csv"
    pd.DataFrame([{"company": "Detroit Cars", "country": "US", "sector": "automotive",
                   "date": "2025-05-10"}]).to_csv(stops, index=False)
    spec = hand_scenario(tmp_path, [CONTROL], stoppages=stops)
    spec = spec.model_copy(update={"responses": spec.responses.model_copy(
        update={"inventory": True})})
    fit = fit_stocks_to_stoppages(net, spec, "hand.yaml", max_days=40)
    row = fit.sectors.set_index("sector").loc["automotive"]
    assert (row["start_days"], row["fitted_days"], row["days_low"], row["days_high"]) == \
        (30.0, 19.0, 0.0, 19.0)
    assert (row["misses"], row["false_alarms"]) == (0, 0)
    residual = fit.stoppages.set_index("company").loc["Detroit Cars"]
    assert bool(residual["short_in_model"]) and residual["months_off"] == 0


def test_cli_calibrate_stoppages_reports_and_writes_nothing(tmp_path):
    out = tiern("calibrate", "china-2025-export-controls-calibrated", "--stoppages", "-f", "json")
    rows = json.loads(out.stdout)
    assert rows and set(rows[0]) == set(STOCK_FIT_COLUMNS)
    for row in rows:
        assert row["days_low"] <= row["fitted_days"] <= row["days_high"]
        assert row["stoppages_fitted"] >= 1
    assert "Ford" in out.stderr and "held_out" in out.stderr
    bad = tiern("calibrate", "china-2025-export-controls-calibrated", "--stoppages", "-o",
                tmp_path / "x.yaml", check=False)
    assert bad.returncode != 0 and "writes nothing" in bad.stderr
    assert not (tmp_path / "x.yaml").exists()
