"""Scenarios: pick a preset, load a YAML file or build a disruption; run it, compare any two,
Monte Carlo, save as YAML."""
from __future__ import annotations

import textwrap

import pandas as pd
import streamlit as st

from app_support import analytics, figures
from app_support.alerts_view import drafts
from app_support.data import current_network
from app_support.scenario_view import (builder_scenario, compare_summary, curves,
                                       difference_table, most_affected, scenario_from_yaml,
                                       monte_carlo_table, scenario_yaml, sinks_table,
                                       summary_metrics)
from app_support.widgets import (chart, clamped, dataset_caption, flag, one_of, percent,
                                 url_multiselect, url_selectbox, url_value)
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
DRAFTS = drafts()   # opened from the Alerts page in this session
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
    if stem in DRAFTS:
        return DRAFTS[stem]["name"]
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
            basis = url_value(st.radio, "Country means", "sc_basis", "location",
                              one_of("location", "control"), options=["location", "control"],
                              horizontal=True, format_func={"location": "located there",
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
        shock_type = url_value(c4.selectbox, "Kind", "sc_type", "outage",
                               one_of("outage", "export_control"),
                               options=["outage", "export_control"],
                               format_func={"outage": "Outage (plant stops)",
                                            "export_control": "Export control (no exports)"}.get)
        severity = url_value(c5.slider, "Severity (capacity lost)", "sc_severity", 1.0,
                             clamped(0.0, 1.0), min_value=0.0, max_value=1.0, step=0.05,
                             format="%.2f")
        start = url_value(c6.number_input, "Start (month)", "sc_start", 0, clamped(0, 120, int),
                          min_value=0, max_value=120)
        duration = url_value(c7.number_input, "Duration (months, 0 = to the horizon)",
                             "sc_duration", 12, clamped(0, 120, int), min_value=0, max_value=120)
        st.markdown("**Responses**")
        r1, r2, r3, r4, r5 = st.columns(5)
        inventory = url_value(r1.toggle, "Draw down inventories", "sc_inventory", True, flag)
        reroute = url_value(r2.toggle, "Reroute to spare capacity", "sc_reroute", True, flag)
        override = url_value(r3.toggle, "Override qualification time", "sc_override", False, flag)
        months = url_value(r4.number_input, "Qualification (months)", "sc_qualification", 6,
                           clamped(0, 60, int), min_value=0, max_value=60, disabled=not override)
        lead = url_value(r5.number_input, "Order lead time (months)", "sc_lead", 2,
                         clamped(0, 24, int), min_value=0, max_value=24, disabled=not reroute,
                               help="Months before extra volume ordered from another supplier "
                                    "arrives (2 in the presets: in the 2025 magnet shortage, "
                                    "alternative supplies had not arrived two months in).")
        horizon = url_value(st.slider, "Horizon (months)", "sc_horizon", 36, clamped(6, 120, int),
                            min_value=6, max_value=120)
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


LIBRARY = "sc_library"  # session key: {"file:<name>" or "custom:<n>": Scenario} of this session
library: dict = st.session_state.setdefault(LIBRARY, {})


def choice_label(choice: str) -> str:
    if choice == BUILD:
        return "Build your own..."
    if choice in library:
        how = "loaded from a file" if choice.startswith("file:") else "kept from the builder"
        return f"{library[choice].name} ({how})"
    return preset_label(choice)


def load_choice(choice: str, built: dict | None):
    if choice == BUILD:
        return parse_scenario(built, "scenario builder")
    if choice in DRAFTS:
        return parse_scenario(DRAFTS[choice], "draft from an event")
    if choice in library:
        return library[choice]
    return preset(choice)


def upload_panel() -> None:
    """Read a scenario YAML file; a valid one joins this session's scenarios and becomes the
    current one, an invalid one is shown as a table of (field, message) naming the file."""
    with st.expander("Load a scenario file (YAML)", expanded=False):
        upload = st.file_uploader("Scenario file", type=["yaml", "yml"], key="sc_file",
                                  help="The format `tiern scenario` reads (save one below to "
                                       "start from).")
        if upload is None:
            return
        try:
            loaded = scenario_from_yaml(upload.getvalue(), upload.name)
        except ScenarioFileError as error:
            st.error(f"**{upload.name}** is not a valid scenario file; nothing was loaded.")
            show_scenario_error(error)
            return
        key = f"file:{upload.name}"
        library[key] = loaded
        if st.session_state.get("sc_file_seen") != upload.file_id:  # a new file: show it
            st.session_state["sc_file_seen"] = upload.file_id
            st.session_state["qp:scenario"] = key
        st.success(f"Loaded **{loaded.name}** from {upload.name}.")


upload_panel()
choices = list(PRESETS) + list(DRAFTS) + list(library) + [BUILD]
choice = url_selectbox("Scenario", choices, "scenario", default=choices[0],
                       format_func=choice_label)
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
if choice == BUILD and st.button("Keep this scenario to compare it with another", key="sc_keep",
                                 help="It joins the scenario list (for this session) as "
                                      "'Custom scenario N'; change the builder and compare."):
    number = sum(k.startswith("custom:") for k in library) + 1
    library[f"custom:{number}"] = scenario.model_copy(update={"name": f"Custom scenario {number}"})
    st.success(f"Kept as **Custom scenario {number}**: pick it under Compare.")


def run(scenario, **responses):
    """The scenario's result, or a message and a stop when it cannot run on this dataset."""
    try:
        return analytics.scenario_result(net, scenario, **responses)
    except TiernError as error:
        st.error(f"**{scenario.name}** cannot run on this dataset: {error}")
        st.stop()


if not len(net.sinks):  # e.g. a declaration whose links carry no volume: nothing to simulate
    st.info("This network has no sinks (OEMs or other end users) with inbound supply: no link "
            "carries volume, so a scenario has nothing to disrupt.")
    st.stop()
with st.spinner("Running the scenario..."):
    result = run(scenario)
for note in result.notes:
    st.warning(note)

sinks = result.sinks
head = summary_metrics(result)
m1, m2, m3, m4 = st.columns(4)
worst = sinks.iloc[sinks["min_supply"].to_numpy().argmin()]
m1.metric("Worst-hit sink: lowest supply", percent(head["worst"]), help=worst["name"])
m2.metric("Sinks short of supply", f"{head['short']} of {head['sinks']}")
m3.metric("First shortfall (TTS)", f"month {head['tts']}" if head["tts"] is not None else "none",
          help="Months until the first sink's supply drops: inventories buy this time.")
m4.metric("Last recovery (TTR)", f"month {head['ttr']}" if head["ttr"] is not None else
          ("not within the horizon" if head["tts"] is not None else "none"),
          help="Month from which every recovered sink stays at >= 99% of normal supply.")
if "binding_input" in sinks and worst["min_supply"] < 1 - 1e-9 and worst["binding_input"]:
    st.caption(f"**{worst['name']}** is short of: {worst['binding_input']} (the binding input "
               "in its worst month; column `binding_input` in the Sinks tab).")

sink_names = dict(zip(sinks["id"], sinks["name"]))
# "Sinks to plot" starts from this scenario's most affected sinks whenever the scenario (or
# the dataset) changes; a selection left over from another scenario would plot sinks that are
# not short while the metric above says others are.
fingerprint = (net.hash, scenario_yaml(scenario))
if st.session_state.get("sc_plot_for") != fingerprint:
    st.session_state["sc_plot_for"] = fingerprint
    st.session_state["sc_plot"] = most_affected(result, 6)
else:
    st.session_state["sc_plot"] = [s for s in st.session_state.get("sc_plot", []) if s in sink_names]
shown = st.multiselect("Sinks to plot", list(sinks["id"]), key="sc_plot",
                       format_func=sink_names.get)
st.caption(f"{head['short']} of {head['sinks']} sinks fall short; the chart starts with the "
           "(up to six) most affected." if head["short"] else
           "No sink falls short in this scenario: every curve stays at 100% of normal supply.")
long, marks = curves(result, shown)
chart(figures.supply_curves_figure(long, marks, f"{scenario.name}: monthly supply per sink"))

names = ["Sinks", "Stages", "Rerouted links", "Compare", "Monte Carlo"]
if scenario.observed is not None:
    names.append("Backtest")
# Only the open tab runs and is drawn (its label is in the URL, ?tab=Compare): with all five
# drawn, the hidden tabs' tables and charts made the page's first render about 1.9 s.
tabs = st.tabs(names, key="tab", bind="query-params")
tab_sinks, tab_stages, tab_links, tab_compare, tab_mc = tabs[:5]
pct = st.column_config.NumberColumn(format="percent")
with tab_sinks:
    if tab_sinks.open:
        st.dataframe(sinks_table(result), hide_index=True, width="stretch", column_config={
            "tts_months": st.column_config.TextColumn("first short", help="Time to survive: the "
                                                      "first month the sink's supply drops"),
            "ttr_months": st.column_config.TextColumn("recovered", help="Time to recover: the "
                                                      "month from which supply stays at >= 99%"),
            "min_supply": pct, "mean_supply": pct, "lost_share": pct,
            "lost_volume": st.column_config.NumberColumn("lost volume", format="%,.0f"),
            "demand": st.column_config.NumberColumn(format="%,.0f"),
            "binding_input": st.column_config.TextColumn(
                "short of", help="The binding input of the sink's worst month: the missing input "
                                 "group at a facility, or the cut link")})
with tab_stages:
    if tab_stages.open:
        st.dataframe(result.stages.assign(stage=result.stages["stage"].map(figures.stage_label)),
                     hide_index=True, width="stretch",
                     column_config={"min_supply": pct, "mean_supply": pct,
                                    "volume": st.column_config.NumberColumn(format="%,.0f"),
                                    "lost_volume": st.column_config.NumberColumn(format="%,.0f")})
with tab_links:
    if tab_links.open:
        if result.links.empty:
            st.info("No volume was rerouted (rerouting is off, or no spare qualified capacity).")
        else:
            st.dataframe(result.links, hide_index=True, width="stretch", column_config={
                "rerouted_volume": st.column_config.NumberColumn(
                    "rerouted volume", format="%,.1f",
                    help="Extra volume over the horizon, in the customer's input unit (t)"),
                "peak_monthly_volume": st.column_config.NumberColumn("peak per month",
                                                                     format="%,.1f"),
                "months_used": st.column_config.NumberColumn("months used", format="%d"),
                "first_month": st.column_config.NumberColumn("first month", format="%d")})

NO_RESPONSE = "no-response"
with tab_compare:
    if tab_compare.open:
        others = [c for c in list(PRESETS) + list(library) if c != choice] + [NO_RESPONSE]
        other = url_selectbox("Compare with (B)", others, "compare", default=others[0],
                              format_func=lambda c: "The same scenario with no inventories and no "
                                                    "rerouting" if c == NO_RESPONSE
                              else choice_label(c))
        if other == NO_RESPONSE:
            second = run(scenario, reroute=False, inventory=False)
            second_name = f"{scenario.name}, no responses"
        else:
            second_scenario = load_choice(other, None)
            second, second_name = run(second_scenario), second_scenario.name
        st.markdown(f"**A:** {scenario.name} · **B:** {second_name}")
        st.dataframe(compare_summary(result, second), hide_index=True, width="stretch",
                     key="sc_compare_summary")
        both_shown = most_affected(result, 6, second)
        left, right = st.columns(2)
        for column, res, title in ((left, result, f"A: {scenario.name}"), (right, second,
                                                                           f"B: {second_name}")):
            with column:  # half-width charts: a long scenario name would run off the chart
                a, b = curves(res, both_shown)
                short_title = textwrap.shorten(title, 46, placeholder="…")
                chart(figures.supply_curves_figure(a, b, short_title))
        st.caption("Both charts show the sinks most affected in A or B (up to six).")
        st.markdown("**Per sink, A against B** (largest change first)")
        st.dataframe(difference_table(result, second), hide_index=True, width="stretch",
                     key="sc_compare_table", column_config={
                         "id": None,
                         "sink": st.column_config.TextColumn("sink", width="medium"),
                         "lowest supply A": st.column_config.NumberColumn(format="percent"),
                         "lowest supply B": st.column_config.NumberColumn(format="percent"),
                         "change (pts)": st.column_config.NumberColumn(
                             format="%+.1f",
                             help="B - A, percentage points of normal supply"),
                         "lost A": st.column_config.NumberColumn(format="%,.0f"),
                         "lost B": st.column_config.NumberColumn(format="%,.0f"),
                         "lost change": st.column_config.NumberColumn(format="%+,.0f")})

with tab_mc:
    if tab_mc.open:
        st.markdown("Random draws of the shocks' probabilities and distributions (e.g. duration "
                    "~ lognormal), correlated by country; seeded and reproducible.")
        c1, c2, c3 = st.columns([1, 1, 2])
        runs = c1.number_input("Runs", 10, 5000, min(scenario.monte_carlo.runs, 100), step=10,
                               key="mc_runs")
        seed = c2.number_input("Seed", 0, 10**9, scenario.monte_carlo.seed, key="mc_seed")
        scheduler = st.text_input(
            "Dask scheduler (optional)", key="mc_scheduler",
            placeholder="tcp://host:8786 or local:2",
            help="Run the batches on a Dask cluster: a scheduler address, or local:N for N worker "
                 "processes on this machine. Results are the same per seed; empty runs here.")
        # results do not depend on where they ran, so the scheduler is not part of the key
        mc_key = (net.hash, scenario_yaml(scenario), int(runs), int(seed))
        if c3.button("Run Monte Carlo", type="primary", key="mc_go"):
            bar = st.progress(0.0, text="Monte Carlo: starting")

            def progress(done: int, total: int) -> None:
                bar.progress(done / total, text=f"Monte Carlo: {done:,} of {total:,} runs")

            try:
                st.session_state["mc_result"] = (mc_key, run_monte_carlo(
                    net, scenario, runs=int(runs), seed=int(seed), progress=progress,
                    scheduler=scheduler.strip() or None))
            except TiernError as error:   # e.g. no scheduler at that address
                st.error(f"Monte Carlo not run: {error}")
            bar.empty()
        stored = st.session_state.get("mc_result")
        if stored and stored[0] == mc_key:
            summary = stored[1].summary
            st.success(f"{int(runs):,} runs, seed {int(seed)}.")
            ever_short = summary[summary["p_shortfall"] > 0]
            top = summary[summary["shortfall_p95"] > 0].sort_values(
                "shortfall_p95", ascending=False).head(15).assign(
                country=lambda d: d["id"].map(f["country"]), label=lambda d: d["name"])
            if ever_short.empty:
                st.info(f"No sink falls short in any of the {int(runs):,} runs: inventories and "
                        "rerouting absorb every draw of this scenario.")
            elif top.empty:
                rare = ever_short.sort_values("p_shortfall", ascending=False).head(15).assign(
                    country=lambda d: d["id"].map(f["country"]), label=lambda d: d["name"])
                st.info(f"{len(ever_short)} sinks fall short in fewer than 5% of the runs, so their "
                        "P95 shortfall is 0; the chart shows how often each falls short.")
                chart(figures.share_bars_figure(rare, "label", "p_shortfall", "country",
                                                x_title="Runs in which the sink falls short (%)",
                                                title="Monte Carlo: probability of a shortfall"))
            else:
                chart(figures.share_bars_figure(top, "label", "shortfall_p95", "country",
                                                x_title="Shortfall in the worst 5% of runs (P95, %)",
                                                title="Monte Carlo: P95 shortfall per sink"))
            st.dataframe(monte_carlo_table(summary), hide_index=True, width="stretch",
                         key="mc_summary", column_config={
                "p_shortfall": pct, "shortfall_mean": pct, "shortfall_p50": pct,
                "shortfall_p95": pct,
                "lost_volume_mean": st.column_config.NumberColumn(format="%,.0f"),
                "lost_volume_p95": st.column_config.NumberColumn(format="%,.0f"),
                "tts_months_mean": st.column_config.TextColumn(
                    "first short (mean month)", help="Mean first short month over the runs in "
                                                     "which the sink falls short")})

if scenario.observed is not None:
    with tabs[5]:
        if tabs[5].open:
            backtest_panel(scenario)

st.download_button("Save this scenario as YAML", scenario_yaml(scenario),
                   f"{choice if choice != BUILD else 'custom-scenario'}.yaml",
                   mime="application/x-yaml", on_click="ignore", key="sc_yaml")
with st.expander("Scenario file"):
    st.code(scenario_yaml(scenario), language="yaml")
