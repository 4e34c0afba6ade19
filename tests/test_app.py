"""The Streamlit app through ``streamlit.testing.v1.AppTest`` (no browser): every page renders on
the bundled data and on the golden example, widgets drive the numbers, bad uploads show a table."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PAGES = ["overview", "explorer", "concentration", "chokepoints", "scenarios", "compliance", "data",
         "alerts"]


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
    at = open_app("scenarios", "golden", query={"scenario": "build", "sc_id": "mine_cn",
                                                 "tab": "Monte Carlo"})
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

    at = open_app("scenarios", "bundled", query={"scenario": "china-2025-export-controls-calibrated",
                                                  "tab": "Backtest"})
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


def test_alerts_page_lists_alerts_with_evidence_and_opens_the_draft_scenario():
    at = open_app("alerts", query={"events": "rare-earths-2025-2026.rss.xml",
                                   "watch": ["us-ford", "jp-toyota", "de-volkswagen"]})
    assert_clean(at)
    text = text_of(at)
    assert "**2025-04-04 · China Imposes Export Controls on Medium and Heavy Rare Earth " \
           "Materials** (export control)" in text
    assert "'dysprosium' (element keyword)" in text
    sinks = set(at.dataframe[0].value["sink_name"])
    assert sinks <= {"Ford Motor (EV/hybrid)", "Toyota Motor (hybrid and EV vehicles)",
                     "Volkswagen Group"} and sinks
    why = at.dataframe[-1].value.set_index("date")
    assert "no kind of disruption" in why.loc["2025-05-16", "reason"]
    button = next(b for b in at.button if b.label == "Open the draft scenario")
    button.click().run()
    assert_clean(at)
    assert at.title[0].value == "Scenarios"
    chosen = at.selectbox(key="qp:scenario")
    assert chosen.value.startswith("draft-")
    assert "Draft from the event of" in text_of(at)



def test_alerts_page_shows_a_bad_event_file_as_a_table_of_problems():
    at = open_app("alerts", "golden", query={"events": "upload"})
    at.file_uploader(key="al_upload").set_value(
        ("feed.xml", b"<rss><channel>\n<item><title>T</titel></item></channel></rss>",
         "application/xml"))
    at.run()
    assert not at.exception
    assert at.error and "feed.xml cannot be read" in at.error[0].value
    problems = at.dataframe[-1].value
    assert problems.iloc[0].to_dict() == {"file": "feed.xml", "row": 2, "column": "col 17",
                                          "message": "malformed XML: mismatched tag"}


# --- Scenarios page: selections that follow the scenario, comparisons, YAML files -----------

def figures_of(at: AppTest) -> list[dict]:
    import json

    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def supply_lines(figure: dict) -> dict[str, float]:
    """{trace name: lowest y} of a supply-curves figure's lines (the TTS/TTR markers left out);
    plotly's JSON packs numeric arrays as base64 (``{"dtype", "bdata"}``)."""
    return {t["name"]: float(min(plotly_array(t["y"]))) for t in figure["data"]
            if t.get("mode") == "lines"}


def plotly_array(value) -> list:
    import base64

    import numpy as np

    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).tolist()
    return list(value)


def frame_with(at: AppTest, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_sinks_to_plot_follow_a_preset_change():
    # china-october-2025-package leaves 16 of 30 sinks short; china-2010-export-quota two.
    # A selection kept from the first would plot six sinks, four at 100%, beside "2 of 30 short".
    at = open_app("scenarios", "bundled", query={"scenario": "china-october-2025-package"})
    assert_clean(at)
    assert {m.label: m.value for m in at.metric}["Sinks short of supply"] == "16 of 30"
    lines = supply_lines(figures_of(at)[0])
    assert len(lines) == 6 and all(low < 99.9 for low in lines.values())
    at.selectbox(key="qp:scenario").set_value("china-2010-export-quota").run()
    assert_clean(at)
    assert {m.label: m.value for m in at.metric}["Sinks short of supply"] == "2 of 30"
    lines = supply_lines(figures_of(at)[0])
    assert len(lines) == 2 and all(low < 99.9 for low in lines.values()), lines


def test_compare_two_custom_scenarios_shows_both_summaries_and_the_differences():
    at = open_app("scenarios", "golden", query={"scenario": "build", "sc_id": "mine_cn",
                                                 "tab": "Compare"})
    at.toggle(key="sc_inventory").set_value(False).run()
    at.toggle(key="sc_reroute").set_value(False).run()
    at.button(key="sc_keep").click().run()          # A full outage of mine_cn, kept ...
    assert_clean(at)
    at.slider(key="sc_severity").set_value(0.5).run()  # ... against the same at half severity
    at.selectbox(key="qp:compare").set_value("custom:1").run()
    assert_clean(at)
    summary = frame_with(at, "B - A").set_index("measure")
    # full outage: oem_auto keeps 36.6% (see test_scenario_builder_severity_drives_the_shortfall);
    # half the mine's capacity lost leaves it 1 - 0.5 * 0.634 = 68.3%
    assert summary.loc["Worst-hit sink: lowest supply", "A"] == "68.3%"
    assert summary.loc["Worst-hit sink: lowest supply", "B"] == "36.6%"
    assert summary.loc["Sinks short of supply", "B"] == "2 of 2"
    assert not summary.isin(["None", "nan", "<NA>"]).any().any()
    assert summary.notna().all().all()
    diff = frame_with(at, "change (pts)")
    assert set(diff["id"]) == {"oem_auto", "oem_def"}
    assert (diff["change (pts)"] < 0).all()  # B (full outage) is worse for both sinks
    assert diff[["first short A", "first short B"]].notna().all().all()


def test_only_the_open_scenario_tab_runs_and_its_label_is_in_the_url():
    """The hidden tabs' tables and charts are neither computed nor sent to the browser."""
    def columns(at):
        return [set(d.value.columns) for d in at.dataframe]

    at = open_app("scenarios", "bundled", query={"scenario": "china-2010-export-quota"})
    assert_clean(at)
    assert any("ttr_months" in c for c in columns(at))      # Sinks, the first tab, is drawn
    assert not any("B - A" in c for c in columns(at))       # Compare is not run while hidden
    at.session_state["tab"] = "Compare"                    # the user opens Compare
    at.run()
    assert_clean(at)
    assert any("B - A" in c for c in columns(at))
    assert not any("ttr_months" in c for c in columns(at))
    # ?tab=Compare opening the tab: test_compare_with_another_preset; the browser writing
    # the open tab into the URL: tests/browser (the frontend keeps the URL).


def test_compare_with_another_preset():
    at = open_app("scenarios", "bundled", query={"scenario": "china-2010-export-quota",
                                                  "compare": "china-october-2025-package",
                                                  "tab": "Compare"})
    assert_clean(at)
    summary = frame_with(at, "B - A").set_index("measure")
    assert summary.loc["Sinks short of supply", "A"] == "2 of 30"
    assert summary.loc["Sinks short of supply", "B"] == "16 of 30"
    assert summary.loc["Sinks short of supply", "B - A"] == "+14"
    # B has sinks short and none recovered within its horizon: not "none" (nothing short)
    assert summary.loc["Last recovery (TTR)", "B"] == "not within the horizon"


def test_a_scenario_yaml_file_loads_and_becomes_the_current_scenario():
    text = (b"name: Uploaded mine outage\nhorizon_months: 24\nshocks:\n"
            b"  - type: outage\n    select: {id: [mine_cn]}\n    capacity_loss: 1.0\n"
            b"responses: {inventory: false, reroute: false}\n")
    at = open_app("scenarios", "golden")
    at.file_uploader(key="sc_file").set_value([("outage.yaml", text, "application/x-yaml")]).run()
    assert_clean(at)
    assert at.selectbox(key="qp:scenario").value == "file:outage.yaml"
    assert {m.label: m.value for m in at.metric}["Worst-hit sink: lowest supply"] == "37%"
    assert "Uploaded mine outage" in at.code[0].value


def test_an_invalid_scenario_yaml_file_names_the_file_and_the_field():
    at = open_app("scenarios", "golden")
    bad = b"name: Broken\nshocks:\n  - type: outage\n    capacity_loss: 2.5\n    select: {id: [mine_cn]}\n"
    at.file_uploader(key="sc_file").set_value([("broken.yaml", bad, "application/x-yaml")]).run()
    assert not at.exception
    assert at.error and "broken.yaml" in at.error[0].value
    problems = frame_with(at, "field")
    assert problems["field"].str.contains("capacity_loss").any()
    syntax = b"name: [unclosed\n"
    at.file_uploader(key="sc_file").set_value([("syntax.yaml", syntax, "application/x-yaml")]).run()
    assert not at.exception
    assert "syntax.yaml" in at.error[0].value
    assert frame_with(at, "field")["field"].str.startswith("line").any()


def test_monte_carlo_of_a_scenario_with_no_shortfall_says_so():
    at = open_app("scenarios", "bundled", query={"scenario": "myanmar-ionic-clay-halt",
                                                  "tab": "Monte Carlo"})
    at.number_input(key="mc_runs").set_value(10).run()
    at.button(key="mc_go").click().run()
    assert_clean(at)
    assert any("No sink falls short in any of the 10 runs" in i.value for i in at.info)
    titles = [str(f["layout"].get("title")) for f in figures_of(at)]
    assert not any("P95 shortfall" in t for t in titles)  # no empty chart on a -1..4 axis


def test_sinks_and_monte_carlo_tables_never_show_none_for_a_missing_month():
    """Sinks that never fall short, or never recover, read "never short", "-" or "not within
    the horizon" instead of a "None" cell; the months that exist read "month N"."""
    at = open_app("scenarios", "bundled", query={"scenario": "china-2025-export-controls"})
    assert_clean(at)
    sinks = next(d.value for d in at.dataframe if "ttr_months" in d.value.columns)
    for column in ("tts_months", "ttr_months"):
        assert sinks[column].notna().all() and not sinks[column].astype(str).eq("None").any()
    short = sinks.set_index("id")
    assert short.at["us-ford", "tts_months"] == "month 1"
    assert short.at["cn-byd", "tts_months"] == "never short"
    assert short.at["cn-byd", "ttr_months"] == "-"
    at.session_state["tab"] = "Monte Carlo"   # the user opens the Monte Carlo tab
    at.run()
    at.number_input(key="mc_runs").set_value(4).run()
    at.button(key="mc_go").click().run()
    assert_clean(at)
    summary = next(d.value for d in at.dataframe if "p_shortfall" in d.value.columns)
    assert summary["tts_months_mean"].notna().all()
    assert "never short" in set(summary["tts_months_mean"])


def test_rerouted_volumes_are_formatted():
    at = open_app("scenarios", "bundled", query={"scenario": "bayan-obo-outage",
                                                  "tab": "Rerouted links"})
    assert_clean(at)
    links = next(d for d in at.dataframe if "rerouted_volume" in d.value.columns)
    assert '"%,.1f"' in links.proto.columns  # the column config: 1,227.8, not 1227.777778


# --- the view in the URL ------------------------------------------------------------------

def test_the_dataset_comes_from_the_url_and_is_written_back():
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["dataset"] = "golden"  # a new session (reload, typed or shared link)
    at.run()
    assert_clean(at)
    assert any("14 facilities" in c.value for c in at.caption)
    assert at.query_params["dataset"] in ("golden", ["golden"])
    at.selectbox(key="dataset").set_value("bundled").run()
    assert at.query_params["dataset"] in ("bundled", ["bundled"])
    assert not any("14 facilities" in c.value for c in at.caption)


def test_an_unknown_dataset_in_the_url_falls_back_with_a_note():
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["dataset"] = "upload:0123456789ab"
    at.run()
    assert not at.exception
    assert any("not loaded in this session" in w.value for w in at.warning)
    assert at.session_state["dataset"] == "bundled"


# --- Compliance page ---------------------------------------------------------------------

def compliance_figure(at: AppTest) -> dict:
    return next(f for f in figures_of(at) if f["data"] and f["data"][0].get("orientation") == "h")


def bars(figure: dict) -> list[tuple[str, float, str]]:
    """(full label, value %, text) of every bar, top to bottom as drawn (the y category order;
    the axis shows shortened labels, the hover text the full one)."""
    rows = {}
    for trace in figure["data"]:
        for short, full, value, text in zip(trace["y"], trace["hovertext"],
                                            plotly_array(trace["x"]), trace["text"]):
            rows[short] = (full, value, text)
    order = figure["layout"]["yaxis"]["categoryarray"]
    return [rows[label] for label in order]


def test_export_control_chart_shows_the_most_affected_buyers_first():
    at = open_app("compliance", "bundled", query={"rule": "china-export-controls-2025-04"})
    assert_clean(at)
    drawn = bars(compliance_figure(at))
    values = [v for _, v, _ in drawn]
    assert values == sorted(values, reverse=True)
    assert drawn[0][1] == pytest.approx(100.0)
    table = at.dataframe[0].value
    assert values[0] == pytest.approx(table["affected_share"].max() * 100)
    assert any(label.startswith("ABB") for label, _, _ in drawn)
    assert any(label.startswith("Tesla") for label, _, _ in drawn)
    unaffected = int((table["affected_share"] <= 1e-9).sum())
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Unaffected"] == f"{unaffected} of {len(table)}"
    # every drawn bar of an affected buyer reads above 0%
    assert all(text != "0%" for _, v, text in drawn if v > 1e-7)


def test_compliance_bars_name_no_missing_country_and_have_a_legend():
    at = open_app("compliance", "bundled", query={"rule": "crma-2030"})
    at.toggle(key="compliance_all_sinks").set_value(True).run()
    assert_clean(at)
    figure = compliance_figure(at)
    assert not any("nan" in label for label, _, _ in bars(figure))
    assert figure["layout"]["showlegend"] is True
    assert all(t.get("name") for t in figure["data"])  # one named trace per colour


def test_a_failing_dfars_share_never_reads_100_percent():
    at = open_app("compliance", "bundled", query={"rule": "dfars-2027"})
    assert_clean(at)
    table = at.dataframe[0].value.set_index("name")
    texts = {label.rsplit(" (", 1)[0]: text for label, _, text in bars(compliance_figure(at))}
    failing = table[table["compliant_share"] < 1 - 1e-9]
    assert len(failing)
    for name, share in failing["compliant_share"].items():
        assert texts[name] != "100%", (name, share)
    # the failing buyer closest to the rule reads as share_text says (in dataset 2026.12.8 that
    # was MP Materials at 99.72%, which the bar once showed as 100%)
    from app_support.formatting import share_text

    top = failing["compliant_share"].idxmax()
    assert texts[top] == share_text(failing.at[top, "compliant_share"])


def test_share_text_never_rounds_onto_a_boundary():
    from app_support.formatting import share_text

    assert share_text(0.99724) == "99.7%"      # fails a 100% rule
    assert share_text(0.999996) == "99.999%"   # still below 100% at three decimals
    assert share_text(0.0000004) == "0.001%"   # affected, however little
    assert share_text(1.0) == "100%" and share_text(0.0) == "0%"
    assert share_text(0.704) == "70%"
    assert share_text(0.6502, boundaries=(0.0, 0.65, 1.0)) == "65.02%"
    assert share_text(float("nan")) == "n/a"


# --- other pages: deltas, legends, labels, table widths -------------------------------------

@pytest.mark.parametrize("dataset", ["bundled", "golden"])
def test_metric_deltas_never_read_zero_points(dataset):
    import re

    at = open_app("overview", dataset)
    assert_clean(at)
    deltas = [m.delta for m in at.metric if m.delta]
    assert not [d for d in deltas if re.match(r"^[+-]?0 pts", d)], deltas


def test_group_bar_legend_swatches_are_not_one_bars_colour(golden):
    from graphmodel.chokepoints import chokepoints_by_group
    from graphmodel.plot import group_bar

    fig = group_bar(chokepoints_by_group(golden, by="country"))
    in_legend = [t for t in fig.data if t.showlegend is not False]
    assert {t.name for t in in_legend} == {"at other buyers' sinks", "at its own sinks"}
    for trace in in_legend:  # one colour for the swatch, not a list of per-bar colours
        assert isinstance(trace.marker.color, str)


def test_hhi_threshold_labels_sit_outside_the_bars():
    at = open_app("concentration", "bundled")
    assert_clean(at)
    hhi = next(f for f in figures_of(at) if "concentrated each stage" in str(f["layout"].get("title")))
    labels = [a for a in hhi["layout"]["annotations"] if "concentrated" in a["text"]]
    assert len(labels) == 2
    assert all(a["xref"] == "paper" and a["x"] >= 1.0 and a["xanchor"] == "left" for a in labels)


def test_explorer_facility_table_gives_the_long_columns_room():
    import json

    at = open_app("explorer", "bundled")
    assert_clean(at)
    config = json.loads(at.dataframe[0].proto.columns)
    assert config["name"]["width"] == 360 and config["owner"]["width"] == 180


def test_sankey_motor_nodes_sit_clear_of_the_magnet_to_oem_band():
    # On the bundled data magnets go straight to "OEM · CN" past the motor column; the motor
    # nodes (and their labels, drawn beside them) once sat on that band.
    from graphmodel import load_network
    from graphmodel.settings import bundled_data_path

    from app_support.figures import _sankey_positions, sankey_frames

    net = load_network(bundled_data_path())
    nodes, flows = sankey_frames(net)
    x, y = _sankey_positions(nodes, flows)
    scale = (1 - 0.12 - 0.04) / nodes.groupby("stage")["throughput"].sum().max()
    index = {label: i for i, label in enumerate(nodes["label"])}
    band = flows[(flows["source"] == index["Magnet · CN"]) & (flows["target"] == index["OEM · CN"])]
    assert len(band) == 1
    width = float(band["volume"].iloc[0]) * scale
    motors = nodes.index[nodes["stage"] == "motor"]
    assert len(motors) >= 3
    for node in motors:
        source, target = index["Magnet · CN"], index["OEM · CN"]
        at = y[source] + (y[target] - y[source]) * (x[node] - x[source]) / (x[target] - x[source])
        half = nodes.at[node, "throughput"] * scale / 2
        assert y[node] - half >= at + width / 2 or y[node] + half <= at - width / 2, \
            nodes.at[node, "label"]


def test_a_built_scenario_is_reproduced_from_its_url():
    at = open_app("scenarios", "golden", query={
        "scenario": "build", "sc_id": "mine_cn", "sc_severity": "0.5", "sc_inventory": "false",
        "sc_reroute": "false"})
    assert_clean(at)
    # half of mine_cn lost, no responses: oem_auto keeps 1 - 0.5 * 0.634 = 68%
    assert {m.label: m.value for m in at.metric}["Worst-hit sink: lowest supply"] == "68%"
    at.slider(key="sc_severity").set_value(0.25).run()
    assert at.query_params["sc_severity"] in ("0.25", ["0.25"])
    at.toggle(key="sc_inventory").set_value(True).run()
    assert "sc_inventory" not in at.query_params  # back to the default: the link stays short


def test_out_of_range_values_in_the_url_are_clamped_not_a_traceback():
    at = open_app("scenarios", "golden", query={"scenario": "build", "sc_id": "mine_cn",
                                                "sc_severity": "7", "sc_horizon": "abc",
                                                "sc_type": "meteor"})
    assert_clean(at)
    assert at.slider(key="sc_severity").value == 1.0
    assert at.slider(key="sc_horizon").value == 36
    assert at.selectbox(key="sc_type").value == "outage"


def test_every_page_renders_a_network_whose_links_carry_no_volume(tmp_path, monkeypatch):
    """An ingested AMRT declaration has links but no volumes, so no sinks: every page says so
    or shows zeros, never a traceback (the Scenarios page used to index an empty sink table)."""
    from ingest.fragment import build_network

    build_network([{"id": "sep", "name": "Separator", "stage": "separator", "country": "MY"},
                   {"id": "mag", "name": "Magnet maker", "stage": "magnet", "country": "DE"}],
                  [{"supplier": "sep", "customer": "mag", "material": "Rare Earth Elements",
                    "volume": 0, "status": "qualified", "volume_known": False}],
                  name="declared").write(tmp_path / "declared")
    monkeypatch.setenv("TIERN_DATA", str(tmp_path / "declared"))
    for page in PAGES:
        at = open_app(page)
        assert_clean(at)
    scenarios = open_app("scenarios")
    assert any("has no sinks" in i.value for i in scenarios.info)



def test_scenario_monte_carlo_on_a_dask_cluster_matches_and_names_an_unreachable_one(monkeypatch):
    """The Monte Carlo tab's scheduler field: a 2-worker cluster gives the same summary as
    in-process; an address nobody answers is an error on the page naming it."""
    import socket

    from dask.distributed import LocalCluster

    at = open_app("scenarios", "golden", query={"scenario": "build", "sc_id": "mine_cn",
                                                 "tab": "Monte Carlo"})
    at.number_input(key="mc_runs").set_value(20).run()
    at.button(key="mc_go").click().run()
    here = at.dataframe[-1].value
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp://",
                      dashboard_address=":0") as cluster:
        at.text_input(key="mc_scheduler").set_value(cluster.scheduler_address).run()
        at.button(key="mc_go").click().run()
        ran_there = "apply" in cluster.scheduler.task_prefixes   # the shards ran there
    assert_clean(at)
    assert ran_there
    assert at.dataframe[-1].value.equals(here)

    with socket.socket() as probe:   # a local port nothing listens on
        probe.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
    monkeypatch.setenv("TIERN_SCHEDULER_TIMEOUT", "1")
    at.text_input(key="mc_scheduler").set_value(address).run()
    at.button(key="mc_go").click().run()
    assert not at.exception
    assert any(f"cannot reach a Dask scheduler at {address}" in e.value for e in at.error)
