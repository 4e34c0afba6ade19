"""Concentration and Tier-N exposure: per stage, per OEM, per country; CRMA 65% flags."""
from __future__ import annotations

import streamlit as st

from app_support import analytics, figures
from app_support.data import current_network, show_problems
from app_support.panels import concentration_tables
from app_support.widgets import chart, dataset_caption, percent, url_selectbox
from graphmodel import plot
from graphmodel.exposure import crma_check, exposure_matrix
from graphmodel.exposure import exposure as tier_n_exposure
from graphmodel.errors import TiernError
from graphmodel.schema import ALL_STAGES

net = current_network()
st.title("Concentration & exposure")
dataset_caption(net)
f = net.facilities
countries = sorted(f["country"].dropna().unique())
stages = [s for s in ALL_STAGES if s in set(f["stage"])]
with st.container(border=True):
    c1, c2, c3 = st.columns([1, 1, 1])
    with c1:
        focus = url_selectbox("Focus country", countries, "focus", default="CN")
    with c2:
        origin_stage = url_selectbox("Trace supply back to stage", stages, "stage",
                                     default="separator", format_func=figures.stage_label,
                                     help="Tier-N exposure follows each buyer's supply upstream "
                                          "to the nearest facility of this stage.")
    with c3:
        basis = url_selectbox("Country of a facility", ["location", "control"], "basis",
                              default="location",
                              format_func={"location": "where it is located",
                                           "control": "where its ultimate owner is"}.get)
    planned = st.toggle("Count planned and under-construction capacity", key="include_planned")

tab_stage, tab_oem, tab_country, tab_crma = st.tabs(
    ["Per stage", "Per OEM (Tier-N)", "Per country", "EU CRMA 65% check"])

with tab_stage:
    tables = concentration_tables(net, focus, include_planned=planned)
    if tables is not None:
        nameplate, qualified = tables
        chart(analytics.figure(net, "concentration", lambda: plot.concentration_by_stage(
            nameplate, qualified, f"{focus}'s share of each stage's capacity"),
            focus=focus, planned=planned))
        st.caption("Nameplate counts every counted facility's capacity; qualified counts only the "
                   "capacity that reaches customers over qualified links (what a buyer can "
                   "actually source today). Control follows majority stakes to the ultimate owner.")
        chart(analytics.figure(net, "hhi", lambda: figures.hhi_figure(
            nameplate, "How concentrated each stage is (by country)"), planned=planned))
        shown = nameplate[["stage", "capacity_total", "unit", "share_location", "share_control",
                           "hhi_country", "hhi_company", "top_country", "top_company",
                           "top_company_share", "facilities", "capacity_unknown"]].copy()
        shown.insert(5, "share_location_qualified",
                     shown["stage"].map(qualified.set_index("stage")["share_location"]))
        pct = st.column_config.NumberColumn(format="percent")
        st.dataframe(shown, hide_index=True, width="stretch", column_config={
            "capacity_total": st.column_config.NumberColumn("capacity", format="%,.0f"),
            "share_location": st.column_config.NumberColumn(f"located in {focus}", format="percent"),
            "share_control": st.column_config.NumberColumn(f"controlled from {focus}", format="percent"),
            "share_location_qualified": st.column_config.NumberColumn(
                f"located in {focus} (qualified)", format="percent"),
            "hhi_country": st.column_config.NumberColumn("HHI country", format="%,.0f"),
            "hhi_company": st.column_config.NumberColumn("HHI company", format="%,.0f"),
            "top_company_share": pct,
        })

sinks = list(net.sinks)
try:
    exposure = analytics.compute(net, tier_n_exposure, country=focus, stage=origin_stage,
                                 basis=basis)
    matrix = analytics.compute(net, exposure_matrix, stage=origin_stage, basis=basis)
except TiernError as error:
    st.error(f"Exposure cannot be computed: {error}")
    show_problems(error)
    st.stop()

with tab_oem:
    at_sinks = exposure[exposure["id"].isin(sinks)].copy()
    if at_sinks.empty:
        st.info("This network has no sinks (OEMs or other end users) with inbound supply.")
    else:
        mean = (at_sinks["share"] * net.sink_demand.reindex(at_sinks["id"]).to_numpy()).sum() \
            / net.sink_demand.reindex(at_sinks["id"]).sum()
        worst = at_sinks.sort_values("share", ascending=False).iloc[0]
        m1, m2, m3 = st.columns(3)
        m1.metric(f"Demand-weighted exposure to {focus}", percent(mean),
                  help=f"Share of all sinks' supply whose {figures.stage_label(origin_stage).lower()} "
                       f"step happened in facilities of {focus}, weighted by each sink's demand.")
        m2.metric("Most exposed sink", percent(worst["share"]), help=worst["name"])
        m3.metric("Sinks over 65%", f"{(at_sinks['share'] > 0.65).sum()} of {len(at_sinks)}")
        chart(analytics.figure(net, "origin_mix", lambda: figures.origin_mix_figure(
            matrix[matrix["id"].isin(sinks)], focus,
            f"Where each sink's {figures.stage_label(origin_stage).lower()} step happened "
            f"(by {basis})", x_title="Share of the sink's supply (%)"),
            focus=focus, stage=origin_stage, basis=basis))
        st.caption("Tier-N exposure: each sink's supply is traced upstream through inbound volume "
                   "shares to the nearest facility of the chosen stage. 'Not traced' is a "
                   "visibility gap (supply that reaches the sink without passing a facility of "
                   "that stage in the data), never hidden.")
        st.dataframe(at_sinks.sort_values("share", ascending=False), hide_index=True,
                     width="stretch", column_config={
                         "share": st.column_config.ProgressColumn(
                             f"share from {focus}", format="percent", min_value=0.0, max_value=1.0),
                         "unknown": st.column_config.NumberColumn("not traced", format="percent"),
                         "unknown_control": st.column_config.NumberColumn("control unknown",
                                                                          format="percent")})

with tab_country:
    st.markdown(f"Every facility's supply by the country of its "
                f"**{figures.stage_label(origin_stage).lower()}** step ({basis}).")
    stage_filter = st.multiselect("Show facilities of stage", stages, default=["oem"] if "oem" in stages
                                  else stages[-1:], format_func=figures.stage_label,
                                  key="country_stage_filter")
    rows = matrix[matrix["stage"].isin(stage_filter)] if stage_filter else matrix
    origins = [c for c in matrix.columns if c not in ("id", "name", "stage", "country")]
    pct = {c: st.column_config.NumberColumn(c, format="percent") for c in origins}
    st.dataframe(rows, hide_index=True, width="stretch", column_config=pct)

with tab_crma:
    st.markdown("EU Critical Raw Materials Act benchmark: no more than **65%** of a buyer set's "
                "supply at any stage from a single third country.")
    choice = st.selectbox("Buyers", ["eu", "sinks", "countries"], key="crma_buyers",
                          format_func={"eu": "Facilities located in the EU-27",
                                       "sinks": "Every sink (OEMs and end users)",
                                       "countries": "Facilities located in chosen countries"}.get)
    buyers = choice
    if choice == "countries":
        picked = st.multiselect("Countries", countries, default=["US"] if "US" in countries else [],
                                key="crma_countries")
        buyers = ",".join(picked) if picked else None
    threshold = st.slider("Threshold", 0.30, 0.95, 0.65, 0.05, key="crma_threshold", format="%.2f")
    if buyers is None:
        st.info("Pick at least one country.")
    else:
        try:
            check = analytics.compute(net, crma_check, buyers=buyers,
                                      threshold=threshold, basis=basis)
        except TiernError as error:
            st.warning(f"The check cannot run for this buyer set: {error}")
        else:
            flagged = check[check["flagged"]]
            st.metric("Stages over the threshold", f"{len(flagged)} of {len(check)}")
            frame = check.assign(stage=check["stage"].map(figures.stage_label),
                                 label=lambda d: d["stage"])
            chart(figures.share_bars_figure(
                frame.assign(top_third_country=frame["top_third_country"].fillna("none")),
                "label", "top_third_share", "top_third_country",
                x_title="Largest single third country's share of the buyers' supply (%)",
                title="Largest third-country share per stage", threshold=threshold))
            st.dataframe(check, hide_index=True, width="stretch", column_config={
                "top_third_share": st.column_config.NumberColumn(format="percent"),
                "home_share": st.column_config.NumberColumn(format="percent"),
                "unknown": st.column_config.NumberColumn(format="percent"),
                "threshold": st.column_config.NumberColumn(format="percent"),
                "flagged": st.column_config.CheckboxColumn("over threshold")})
