"""The Streamlit app through ``streamlit.testing.v1.AppTest`` (no browser): every page renders on
the bundled data and on the golden example, widgets drive the numbers, bad uploads show a table."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PAGES = ["overview", "explorer", "concentration", "chokepoints", "scenarios", "compliance", "data"]


def open_app(page: str = "overview", dataset: str = "bundled", query: dict | None = None) -> AppTest:
    """Run the app on ``page`` with ``dataset`` ("bundled", "golden") chosen in the sidebar."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["dataset"] = dataset
    at.run()
    if page != "overview":
        at.switch_page(f"app_pages/{page}.py")
    for key, value in (query or {}).items():  # after switch_page, which clears the URL's query
        at.query_params[key] = value
    if page != "overview" or query:
        at.run()
    return at


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def text_of(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


@pytest.mark.parametrize("dataset", ["bundled", "golden"])
@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders(page, dataset):
    at = open_app(page, dataset)
    assert_clean(at)
    assert at.title, "every page has a title"
    assert any("hash" in c.value for c in at.caption), "every page names its dataset"


def test_overview_counts_the_golden_network():
    at = open_app("overview", "golden")
    metrics = {m.label: m.value for m in at.metric}
    # golden: 14 facilities, 13 operating (sep_us is planned), 5 countries (CN AU US MY JP DE -> 6)
    assert metrics["Facilities"] == "14"
    assert metrics["Operating"] == "13"
    assert metrics["Countries"] == "6"
    assert metrics["Links carrying volume"] == "16"  # 18 links, 2 candidates at volume 0


def test_explorer_stage_filter_changes_the_count():
    at = open_app("explorer", "golden")
    assert "**14 of 14 facilities** match" in text_of(at)
    at.multiselect(key="qp:stage").set_value(["mine"]).run()
    assert_clean(at)
    assert "**3 of 14 facilities** match" in text_of(at)
    assert at.query_params["stage"] in ("mine", ["mine"])  # bookmarkable: ?stage=mine


def test_explorer_reads_filters_from_the_url():
    at = open_app("explorer", "golden", query={"country": "JP", "q": "magnet"})
    assert_clean(at)
    assert "**1 of 14 facilities** match" in text_of(at)  # magnet_jp only


def test_explorer_shows_the_upstream_shares_of_a_facility():
    at = open_app("explorer", "golden")
    at.selectbox(key="qp:facility").set_value("oem_def").run()
    assert_clean(at)
    upstream = at.dataframe[1].value.set_index("id")
    # oem_def buys 10 from magnet_cn and 10 from magnet_jp: half each at tier 1.
    assert upstream.loc["magnet_cn", "tier"] == 1
    assert upstream.loc["magnet_jp", "share"] == pytest.approx(0.5 + 0.0)
    # sep_my within 6 tiers: 0.5*1*0.25 (via magnet_cn, metal_cn) + 0.5*0.8*0.8 (via magnet_jp,
    # metal_jp) = 0.125 + 0.32
    assert upstream.loc["sep_my", "share"] == pytest.approx(0.445)
    # Ten tiers reach round the recycling loop: + 0.5*0.2*1*1*0.75*1*0.25 (magnet_jp <- rec_jp
    # <- oem_auto <- motor_de <- magnet_cn <- metal_cn <- sep_my, tier 7) = 0.01875
    at.slider(key="explorer_tiers").set_value(10).run()
    upstream = at.dataframe[1].value.set_index("id")
    assert upstream.loc["sep_my", "share"] == pytest.approx(0.46375)


def test_a_bad_upload_shows_the_problems_as_a_table():
    at = open_app("data", "golden")
    broken = b"id,name,stage,country\nm1,Mine,mine,XX\nm1,Mine again,mine,CN\n"
    at.file_uploader(key="upload_files").set_value([("facilities.csv", broken, "text/csv")])
    at.run()
    at.button(key="upload_go").click().run()
    assert not at.exception
    assert at.error and "not loaded" in at.error[0].value
    problems = at.dataframe[-1].value
    assert list(problems.columns) == ["file", "row", "column", "message"]
    assert {"facilities.csv", "links.csv"} <= set(problems["file"])  # bad country; missing file
    assert ((problems["file"] == "facilities.csv") & (problems["column"] == "country")).any()


def test_a_truncated_workbook_is_a_problem_not_a_traceback():
    at = open_app("data", "golden")
    at.file_uploader(key="upload_files").set_value(
        [("network.xlsx", b"PK\x03\x04 not really a zip", "application/octet-stream")])
    at.run()
    at.button(key="upload_go").click().run()
    assert not at.exception
    assert "not a readable .xlsx workbook" in at.dataframe[-1].value["message"].iloc[0]


def test_a_good_upload_becomes_the_current_dataset(golden_dir):
    at = open_app("data", "bundled")
    files = [(p.name, p.read_bytes(), "text/csv") for p in sorted(golden_dir.glob("*.csv"))]
    at.file_uploader(key="upload_files").set_value(files)
    at.run()
    at.text_input(key="upload_name").set_value("my golden copy").run()
    at.button(key="upload_go").click().run()
    assert_clean(at)
    assert at.session_state["dataset"].startswith("upload:")
    assert any("my golden copy" in c.value and "14 facilities" in c.value for c in at.caption)


def test_overview_focus_country_drives_the_headline():
    at = open_app("overview", "golden")
    assert_clean(at)
    metrics = {m.label: m.value for m in at.metric}
    # Operating separators: sep_cn 80 and sep_my 40 t REO/yr (sep_us is planned): CN 80/120.
    assert metrics["Separator: located in CN"] == "67%"
    at.selectbox(key="qp:focus").set_value("MY").run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Separator: located in MY"] == "33%"  # 40/120


def test_concentration_page_exposure_follows_the_focus_country():
    at = open_app("concentration", "golden")
    assert_clean(at)
    metrics = {m.label: m.value for m in at.metric}
    # Exposure to CN separation, solved by hand through the recycling loop:
    # e(oem_auto) = 0.75*0.75 + 0.25*(0.8*0.2 + 0.2*e(oem_auto))  ->  e = 0.6025/0.95 = 0.6342
    # e(oem_def)  = 0.5*0.75 + 0.5*(0.16 + 0.2*0.6342) = 0.5184
    # demand-weighted (40 and 20): (40*0.6342 + 20*0.5184)/60 = 0.5956
    assert metrics["Most exposed sink"] == "63%"
    assert metrics["Demand-weighted exposure to CN"] == "60%"
    at.selectbox(key="qp:focus").set_value("MY").run()
    metrics = {m.label: m.value for m in at.metric}
    # MY: e(oem_auto) = (0.75*0.25 + 0.25*0.64)/0.95 = 0.3658; e(oem_def) = 0.125 + 0.5*(0.64
    # + 0.2*0.3658) = 0.4816
    assert metrics["Most exposed sink"] == "48%"


def test_concentration_page_crma_flags_change_with_the_threshold():
    at = open_app("concentration", "golden")
    at.selectbox(key="crma_buyers").set_value("sinks").run()
    assert_clean(at)
    flagged = {m.label: m.value for m in at.metric}["Stages over the threshold"]
    at.slider(key="crma_threshold").set_value(0.95).run()
    assert {m.label: m.value for m in at.metric}["Stages over the threshold"] != flagged


def test_chokepoints_stage_filter_changes_the_top_chokepoint():
    at = open_app("chokepoints", "golden", query={"cp_stage": "mine"})
    assert_clean(at)
    # mine_cn is the only supplier of sep_cn, which feeds most of both OEMs' supply; the other
    # mines feed sep_my (30 + 10 of its 40 t).
    assert "**Top chokepoint: Golden CN mine**" in text_of(at)
    at.selectbox(key="qp:cp_stage").set_value("magnet").run()
    # magnet_cn carries 30 of motor_de's 40 (-> oem_auto, demand 40) and 10 of oem_def's 20:
    # about 0.75*40 + 0.5*20 = 40 of 60; magnet_jp about 0.25*40 + 0.5*20 = 20 of 60.
    assert "**Top chokepoint: Golden CN magnet plant**" in text_of(at)
    assert set(at.dataframe[0].value["stage"]) == {"magnet"}


def test_chokepoint_csv_holds_the_ranked_rows_and_the_why(golden):
    import io

    import pandas as pd

    from app_support.chokepoint_view import csv_bytes, with_reasons
    from graphmodel.chokepoints import chokepoints

    table = with_reasons(chokepoints(golden, exclude_sinks=True), golden.facilities["name"].to_dict())
    back = pd.read_csv(io.BytesIO(csv_bytes(table)))
    assert list(back["id"]) == list(table["id"])
    assert list(back["rank"]) == list(range(1, len(table) + 1))
    assert back["why"].str.len().gt(0).all()
    # mine_us has no qualified alternative into sep_my other than mine_au, which is qualified:
    # every facility's sentence says something about alternatives.
    assert back["why"].str.contains("alternative").all()


def test_scenario_builder_severity_drives_the_shortfall():
    at = open_app("scenarios", "golden", query={"scenario": "build", "sc_id": "mine_cn"})
    assert_clean(at)
    at.toggle(key="sc_inventory").set_value(False).run()
    at.toggle(key="sc_reroute").set_value(False).run()
    assert_clean(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Sinks short of supply"] == "2 of 2"
    # Pure propagation: without mine_cn, sep_cn gets nothing, so each sink keeps the share of
    # its supply that does not trace to sep_cn: oem_auto 1 - 0.6342 = 0.3658 (see the exposure
    # test: its supply traces to sep_cn or sep_my, and 0.3658 is sep_my's share).
    assert metrics["Worst-hit sink: lowest supply"] == "37%"
    at.slider(key="sc_severity").set_value(0.0).run()
    assert {m.label: m.value for m in at.metric}["Sinks short of supply"] == "0 of 2"
    assert "mine_cn" in at.code[0].value  # the YAML to save names the selection


def test_scenario_monte_carlo_runs_with_progress_and_summarises():
    at = open_app("scenarios", "golden", query={"scenario": "build", "sc_id": "mine_cn"})
    at.number_input(key="mc_runs").set_value(20).run()
    at.button(key="mc_go").click().run()
    assert_clean(at)
    assert any("20 runs" in s.value for s in at.success)
    assert len(at.dataframe[-1].value) == 2  # one row per sink


def test_every_scenario_preset_runs_on_the_bundled_data():
    from graphmodel.scenarios.presets import preset_paths

    presets = [p.stem for p in preset_paths()]
    if not presets:
        pytest.skip("no presets in data/scenarios yet")
    for preset in presets:
        at = open_app("scenarios", "bundled", query={"scenario": preset})
        assert_clean(at)
        assert at.get("plotly_chart"), preset


def test_compliance_2027_dfars_rule_is_stricter_than_the_current_one():
    at = open_app("compliance", "golden", query={"rule": "dfars-current"})
    assert_clean(at)
    current = float({m.label: m.value for m in at.metric}["Mean compliant share"].rstrip("%"))
    at.selectbox(key="qp:rule").set_value("dfars-2027").run()
    assert_clean(at)
    stricter = float({m.label: m.value for m in at.metric}["Mean compliant share"].rstrip("%"))
    # 2027 adds mined/refined/separated steps: oem_def's magnets from magnet_jp are melted in
    # JP from oxide separated partly by sep_cn (5 of metal_jp's 25 t), so its share drops.
    assert stricter < current


def test_the_full_report_is_built_and_offered_for_download():
    at = open_app("chokepoints", "golden")
    at.selectbox(key="report_format").set_value("md").run()
    assert not [b for b in at.get("download_button") if b.proto.id.endswith("report_download")]
    at.button(key="report_build").click().run()
    assert_clean(at)
    assert at.download_button(key="report_download").label == "Download the report (.md)"


def test_a_report_that_cannot_be_built_says_why(monkeypatch):
    # the PDF's charts fail in kaleido: the page names the cause instead of a traceback
    import kaleido

    def broken(specs, **_):
        raise ConnectionError("browser closed")

    monkeypatch.setattr(kaleido, "write_fig_from_object_sync", broken)
    at = open_app("chokepoints", "golden")
    at.selectbox(key="report_format").set_value("pdf").run()
    at.button(key="report_build").click().run()
    assert not at.exception
    assert any("could not be built" in e.value and "browser closed" in e.value for e in at.error)
    assert not [b for b in at.get("download_button") if b.proto.id.endswith("report_download")]


def test_report_markdown_names_the_dataset_hash(golden):
    from app_support.reports import build_report_bytes

    text = build_report_bytes(golden, "md").decode("utf-8")
    assert golden.hash in text  # reproducible: the report cites the data it was built from


def test_scenario_page_names_the_binding_input_of_the_worst_sink():
    at = open_app("scenarios", "bundled", query={"scenario": "china-2025-export-controls"})
    assert not at.exception
    captions = [c.value for c in at.caption]
    assert any("is short of: NdFeB magnet" in c for c in captions), captions


def test_chokepoints_page_lists_critical_inputs_small_by_mass():
    # On the bundled data every magnet maker's Dy/Tb group is a few percent of its inbound
    # tonnes; the section lists them (the DyTb group at VAC Hanau, held by China) and the
    # share slider narrows the list.
    at = open_app("chokepoints", "bundled", query={"cp_stage": "magnet"})
    assert_clean(at)
    assert any(s.value == "Critical inputs" for s in at.subheader)
    table = at.dataframe[-1].value
    assert set(table["stage"]) == {"magnet"} and (table["mass_share"] < 0.1).all()
    vac = table[table["name"] == "VAC Hanau magnet works"]
    assert list(vac["group"]) == ["DyTb"] and list(vac["top_country"]) == ["CN"]
    at.slider(key="cp_input_share").set_value(0.02).run()
    assert (at.dataframe[-1].value["mass_share"] < 0.02).all()
    assert len(at.dataframe[-1].value) < len(table)


def test_scenario_page_backtest_panel_shows_observed_against_simulated():
    import json

    at = open_app("scenarios", "bundled", query={"scenario": "china-2025-export-controls-calibrated"})
    assert_clean(at)
    assert "Backtest" in [t.label for t in at.tabs]
    figures = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    backtest = [f for f in figures if "Observed vs simulated" in str(f["layout"].get("title"))]
    assert backtest, "the backtest figure is on the page"
    names = {trace["name"] for trace in backtest[0]["data"]}
    assert names == {"observed", "simulated"}
    frames = [d.value for d in at.dataframe]
    summary = next(f for f in frames if "MAE / baseline" in f)
    assert set(summary["series"]) >= {"cn_magnet_exports"}
    assert {"fit", "held_out"} <= set(summary["split"])
    at.toggle(key="bt_optimal").set_value(True).run()
    assert_clean(at)
    table = next(d.value for d in at.dataframe if "optimal_tts_months" in d.value)
    assert table["optimal_tts_months"].nunique() == 1
    assert any("time to survive" in m.label for m in at.metric)


def test_scenario_page_has_no_backtest_tab_without_observed_data():
    at = open_app("scenarios", "bundled", query={"scenario": "bayan-obo-outage"})
    assert_clean(at)
    assert "Backtest" not in [t.label for t in at.tabs]


def test_the_report_from_the_bundled_data_has_the_backtests():
    at = open_app("chokepoints", "bundled")
    at.selectbox(key="report_format").set_value("md").run()
    at.button(key="report_build").click().run()
    assert_clean(at)
    data = at.session_state["report_file"][1].decode("utf-8")
    assert "## Backtests: the model against real events" in data


def test_overview_shows_the_bundled_dataset_version():
    from graphmodel.changelog import read_changelog

    version = read_changelog()[0].version
    at = open_app("overview", "bundled")
    assert_clean(at)
    assert f"**Dataset version:** {version}" in text_of(at)
    assert any(f"version {version}" in c.value for c in at.caption)
