"""Scenarios: pick a preset or build a disruption, run it, compare two, Monte Carlo, save as YAML."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from app_support import analytics, figures
from app_support.data import current_network
from app_support.scenario_view import builder_scenario, curves, most_affected, scenario_yaml
from app_support.widgets import chart, dataset_caption, percent, url_multiselect, url_selectbox
from graphmodel.backtest import backtest_figure
from graphmodel.errors import TiernError
from graphmodel.scenarios import ScenarioFileError, load_scenario, parse_scenario
from graphmodel.scenarios.montecarlo import run_monte_carlo
from graphmodel.scenarios.presets import preset_paths
from graphmodel.schema import ALL_STAGES

net = current_network()
st.title("Scenarios")
dataset_caption(net)

PRESETS = {p.stem: p for p in preset_paths()}
BUILD = "build"
f = net.facilities


@st.cache_resource(show_spinner=False)
def _preset(path: str, modified: int):  # noqa: ARG001 (modified is the cache key)
    return load_scenario(path)


def preset(stem: str):
    """A preset scenario, parsed once per file version (raises ScenarioFileError if invalid)."""
    path = PRESETS[stem]
    return _preset(str(path), path.stat().st_mtime_ns)


def preset_label(stem: str) -> str:
    try:
        return preset(stem).name
    except ScenarioFileError:
        return stem


def show_scenario_error(error: ScenarioFileError) -> None:
    st.error("This scenario is not valid; fix the fields below.")
    st.dataframe(pd.DataFrame(error.problems, columns=["field", "message"]), hide_index=True,
                 width="stretch")


def builder() -> dict:
    """The scenario builder's widgets; returns the scenario as plain data."""
    with st.container(border=True):
        st.markdown("**What goes wrong**")
        c1, c2, c3 = st.columns(3)
        with c1:
            countries = url_multiselect("Countries", sorted(f["country"].dropna().unique()),
                                        "sc_country")
            basis = st.radio("Country means", ["location", "control"], horizontal=True,
                             key="sc_basis", format_func={"location": "located there",
                                                          "control": "controlled from there"}.get)
        with c2:
            stages = url_multiselect("Stages", [s for s in ALL_STAGES if (f["stage"] == s).any()],
                                     "sc_stage", format_func=figures.stage_label)
            owners = url_multiselect("Companies (owner)", sorted(f["owner"].dropna().unique()),
                                     "sc_owner")
        with c3:
            materials = url_multiselect("Materials", sorted(net.links["material"].dropna().unique()),
                                        "sc_material")
            names = f["name"].to_dict()
            ids = url_multiselect("Facilities", list(f.index), "sc_id",
                                  format_func=lambda i: names.get(i, i))
        c4, c5, c6, c7 = st.columns(4)
        shock_type = c4.selectbox("Kind", ["outage", "export_control"], key="sc_type",
                                  format_func={"outage": "Outage (plant stops)",
                                               "export_control": "Export control (no exports)"}.get)
        severity = c5.slider("Severity (capacity lost)", 0.0, 1.0, 1.0, 0.05, key="sc_severity",
                             format="%.2f")
        start = c6.number_input("Start (month)", 0, 120, 0, key="sc_start")
        duration = c7.number_input("Duration (months, 0 = to the horizon)", 0, 120, 12,
                                   key="sc_duration")
        st.markdown("**Responses**")
        r1, r2, r3, r4, r5 = st.columns(5)
        inventory = r1.toggle("Draw down inventories", True, key="sc_inventory")
        reroute = r2.toggle("Reroute to spare capacity", True, key="sc_reroute")
        override = r3.toggle("Override qualification time", False, key="sc_override")
        months = r4.number_input("Qualification (months)", 0, 60, 6, key="sc_qualification",
                                 disabled=not override)
        lead = r5.number_input("Order lead time (months)", 0, 24, 2, key="sc_lead",
                               disabled=not reroute,
                               help="Months before extra volume ordered from another supplier "
                                    "arrives (2 in the presets: in the 2025 magnet shortage, "
                                    "alternative supplies had not arrived two months in).")
        horizon = st.slider("Horizon (months)", 6, 120, 36, key="sc_horizon")
    return builder_scenario(
        name="Custom scenario", horizon=horizon, shock_type=shock_type, countries=countries,
        country_basis=basis, owners=owners, facilities=ids, stages=stages, materials=materials,
        severity=severity, start=start, duration=None if duration == 0 else duration,
        inventory=inventory, reroute=reroute, qualification_months=months if override else None,
        reroute_lead_months=lead)


def backtest_panel(scenario) -> None:
    """Observed vs simulated for a scenario that stands for a real event (``observed:``)."""
    st.markdown("This scenario stands for a real event: its simulated series are compared "
                "with what was observed (`tiern backtest`). Error = (simulated - observed) / "
                "observed; MAPE over months with observed > 0; MAE / baseline is scale-free.")
    try:
        bt = analytics.backtest(net, scenario)
    except ScenarioFileError as error:
        show_scenario_error(error)
        return
    chart(backtest_figure(bt))
    summary = bt.summary.rename(columns={"mae_baseline": "MAE / baseline", "mape": "MAPE"})
    st.dataframe(summary, hide_index=True, width="stretch", key="bt_summary", column_config={
        "MAPE": st.column_config.NumberColumn(format="percent"),
        "MAE / baseline": st.column_config.NumberColumn(format="percent"),
        "trough_error": st.column_config.NumberColumn(format="percent")})
    with st.expander("Month by month"):
        st.dataframe(bt.rows, hide_index=True, width="stretch", key="bt_rows",
                     column_config={"error": st.column_config.NumberColumn(format="percent")})
    stops = bt.stoppages
    if len(stops):
        mapped = stops[stops["short_in_model"].notna()]
        st.markdown(f"**Documented stoppages**: {int(mapped['short_in_model'].sum())} of "
                    f"{len(mapped)} that map to the network are short in the model within one "
                    "month of their date.")
        st.dataframe(stops, hide_index=True, width="stretch", key="bt_stops")
    if st.toggle("Compare with the optimal response (linear programmes; a few seconds)",
                 key="bt_optimal"):
        try:
            table = analytics.responses(net, scenario, stops)
        except TiernError as error:
            st.warning(str(error))
            return
        first = pd.to_numeric(table["simulated_tts_months"], errors="coerce").min()
        tts = table["optimal_tts_months"].iloc[0]
        c1, c2 = st.columns(2)
        c1.metric("Simulated response: first short month",
                  "none" if first != first else f"month {int(first)}")
        c2.metric("Optimal response: time to survive", "beyond the horizon" if tts != tts
                  else f"{tts:.2f} months",
                  help="Simchi-Levi's TTS: how long every sink's demand could have been met "
                       "with the best use of stock and spare qualified capacity.")
        st.dataframe(table, hide_index=True, width="stretch", key="bt_responses")


def load_choice(choice: str, built: dict | None):
    if choice == BUILD:
        return parse_scenario(built, "scenario builder")
    return preset(choice)


choices = list(PRESETS) + [BUILD]
choice = url_selectbox("Scenario", choices, "scenario", default=choices[0],
                       format_func=lambda c: "Build your own..." if c == BUILD else preset_label(c))
built = builder() if choice == BUILD else None
if built is not None and not built["shocks"][0]["select"]:
    st.info("Choose at least one country, stage, company, material or facility to disrupt.")
    st.stop()
try:
    scenario = load_choice(choice, built)
except ScenarioFileError as error:
    show_scenario_error(error)
    st.stop()
if scenario.description:
    st.markdown(scenario.description)

if not len(net.sinks):  # e.g. a declaration whose links carry no volume: nothing to simulate
    st.info("This network has no sinks (OEMs or other end users) with inbound supply: no link "
            "carries volume, so a scenario has nothing to disrupt.")
    st.stop()
with st.spinner("Running the scenario..."):
    result = analytics.scenario_result(net, scenario)
for note in result.notes:
    st.warning(note)

sinks = result.sinks
m1, m2, m3, m4 = st.columns(4)
worst = sinks.iloc[0]
m1.metric("Worst-hit sink: lowest supply", percent(worst["min_supply"]), help=worst["name"])
m2.metric("Sinks short of supply", f"{(sinks['min_supply'] < 1 - 1e-9).sum()} of {len(sinks)}")
tts = sinks["tts_months"].dropna()
m3.metric("First shortfall (TTS)", f"month {int(tts.min())}" if len(tts) else "none",
          help="Months until the first sink's supply drops: inventories buy this time.")
ttr = sinks["ttr_months"].dropna()
m4.metric("Last recovery (TTR)", f"month {int(ttr.max())}" if len(ttr) else
          ("not within the horizon" if len(tts) else "none"),
          help="Month from which every recovered sink stays at >= 99% of normal supply.")
if "binding_input" in sinks and worst["min_supply"] < 1 - 1e-9 and worst["binding_input"]:
    st.caption(f"**{worst['name']}** is short of: {worst['binding_input']} (the binding input "
               "in its worst month; column `binding_input` in the Sinks tab).")

default_sinks = most_affected(result, 6)
shown = st.multiselect("Sinks to plot", list(sinks["id"]), default=default_sinks, key="sc_plot",
                       format_func=dict(zip(sinks["id"], sinks["name"])).get)
long, marks = curves(result, shown)
chart(figures.supply_curves_figure(long, marks, f"{scenario.name}: monthly supply per sink"))

names = ["Sinks", "Stages", "Rerouted links", "Compare", "Monte Carlo"]
if scenario.observed is not None:
    names.append("Backtest")
tabs = st.tabs(names)
tab_sinks, tab_stages, tab_links, tab_compare, tab_mc = tabs[:5]
pct = st.column_config.NumberColumn(format="percent")
with tab_sinks:
    st.dataframe(sinks, hide_index=True, width="stretch", column_config={
        "min_supply": pct, "mean_supply": pct, "lost_share": pct,
        "lost_volume": st.column_config.NumberColumn("lost volume", format="%,.0f"),
        "demand": st.column_config.NumberColumn(format="%,.0f"),
        "binding_input": st.column_config.TextColumn(
            "short of", help="The binding input of the sink's worst month: the missing input "
                             "group at a facility, or the cut link")})
with tab_stages:
    st.dataframe(result.stages.assign(stage=result.stages["stage"].map(figures.stage_label)),
                 hide_index=True, width="stretch",
                 column_config={"min_supply": pct, "mean_supply": pct,
                                "volume": st.column_config.NumberColumn(format="%,.0f"),
                                "lost_volume": st.column_config.NumberColumn(format="%,.0f")})
with tab_links:
    if result.links.empty:
        st.info("No volume was rerouted (rerouting is off, or no spare qualified capacity).")
    else:
        st.dataframe(result.links, hide_index=True, width="stretch")

with tab_compare:
    others = [c for c in PRESETS if c != choice] + (["no-response"])
    other = url_selectbox("Compare with", others, "compare", default=others[0],
                          format_func=lambda c: "The same scenario with no inventories and no "
                                                "rerouting" if c == "no-response" else preset_label(c))
    if other == "no-response":
        second, second_name = analytics.scenario_result(net, scenario, reroute=False,
                                                        inventory=False), "no responses"
    else:
        second_scenario = preset(other)
        second, second_name = analytics.scenario_result(net, second_scenario), second_scenario.name
    left, right = st.columns(2)
    for column, res, title in ((left, result, scenario.name), (right, second, second_name)):
        with column:
            a, b = curves(res, shown)
            chart(figures.supply_curves_figure(a, b, title))
    both = sinks[["id", "name", "min_supply", "lost_volume", "tts_months", "ttr_months"]].merge(
        second.sinks[["id", "min_supply", "lost_volume", "tts_months", "ttr_months"]], on="id",
        suffixes=(" A", " B"))
    st.dataframe(both, hide_index=True, width="stretch", column_config={
        "min_supply A": pct, "min_supply B": pct,
        "lost_volume A": st.column_config.NumberColumn(format="%,.0f"),
        "lost_volume B": st.column_config.NumberColumn(format="%,.0f")})

with tab_mc:
    st.markdown("Random draws of the shocks' probabilities and distributions (e.g. duration "
                "~ lognormal), correlated by country; seeded and reproducible.")
    c1, c2, c3 = st.columns([1, 1, 2])
    runs = c1.number_input("Runs", 10, 5000, min(scenario.monte_carlo.runs, 100), step=10,
                           key="mc_runs")
    seed = c2.number_input("Seed", 0, 10**9, scenario.monte_carlo.seed, key="mc_seed")
    mc_key = (net.hash, scenario_yaml(scenario), int(runs), int(seed))
    if c3.button("Run Monte Carlo", type="primary", key="mc_go"):
        bar = st.progress(0.0, text="Monte Carlo: starting")

        def progress(done: int, total: int) -> None:
            bar.progress(done / total, text=f"Monte Carlo: {done:,} of {total:,} runs")

        st.session_state["mc_result"] = (mc_key, run_monte_carlo(
            net, scenario, runs=int(runs), seed=int(seed), progress=progress))
        bar.empty()
    stored = st.session_state.get("mc_result")
    if stored and stored[0] == mc_key:
        summary = stored[1].summary
        st.success(f"{int(runs):,} runs, seed {int(seed)}.")
        top = summary[summary["shortfall_p95"] > 0].sort_values(
            "shortfall_p95", ascending=False).head(15).assign(
            country=lambda d: d["id"].map(f["country"]), label=lambda d: d["name"])
        chart(figures.share_bars_figure(top, "label", "shortfall_p95", "country",
                                        x_title="Shortfall in the worst 5% of runs (P95, %)",
                                        title="Monte Carlo: P95 shortfall per sink"))
        st.dataframe(summary, hide_index=True, width="stretch", column_config={
            "p_shortfall": pct, "shortfall_mean": pct, "shortfall_p50": pct, "shortfall_p95": pct,
            "lost_volume_mean": st.column_config.NumberColumn(format="%,.0f"),
            "lost_volume_p95": st.column_config.NumberColumn(format="%,.0f")})

if scenario.observed is not None:
    with tabs[5]:
        backtest_panel(scenario)

st.download_button("Save this scenario as YAML", scenario_yaml(scenario),
                   f"{choice if choice != BUILD else 'custom-scenario'}.yaml",
                   mime="application/x-yaml", on_click="ignore", key="sc_yaml")
with st.expander("Scenario file"):
    st.code(scenario_yaml(scenario), language="yaml")
