"""Chokepoints: the ranked table with the why, rollups, and downloads (CSV, XLSX, full report)."""
from __future__ import annotations

import streamlit as st

from app_support import analytics, figures
from app_support.chokepoint_view import csv_bytes, with_reasons, xlsx_bytes
from app_support.data import current_network, show_problems
from app_support.reports import report_button
from app_support.widgets import chart, dataset_caption, percent, url_selectbox
from graphmodel import plot
from graphmodel.chokepoints import chokepoints, chokepoints_by_group, uses_recipes
from graphmodel.errors import TiernError
from graphmodel.recipe_criticality import critical_inputs
from graphmodel.schema import ALL_STAGES, SECTORS

CRITICALITY_CAPTION = (
    "Criticality: the share of total sink demand whose supply passes through the facility "
    "(first passage around recycling loops). Alternatives: other operating facilities of the "
    "same stage with a qualified link to the same customer and material, and their spare "
    "capacity.")
CRITICALITY_CAPTION_RECIPES = (
    "Criticality: the share of total sink demand lost in a month while the facility is "
    "stopped, production following the recipes (a magnet maker without its only Dy source "
    "makes nothing), with no stock drawn and nothing rerouted. By tonnage: the same with all "
    "inputs interchangeable by mass (the share of demand whose supply passes through it). "
    "Alternatives: other operating facilities of the same stage with a qualified link to the "
    "same customer for the same material, and their spare capacity for that material.")

net = current_network()
st.title("Chokepoints")
dataset_caption(net)
f = net.facilities
ALL = "all"
sink_f = f.loc[net.sinks]
sink_choices = [ALL] + [s for s in SECTORS if (sink_f["sector"] == s).any()]
with st.container(border=True):
    c1, c2, c3 = st.columns(3)
    with c1:
        stage = url_selectbox("Stage", [ALL] + [s for s in ALL_STAGES if (f["stage"] == s).any()],
                              "cp_stage", default=ALL,
                              format_func=lambda s: "All stages" if s == ALL else figures.stage_label(s))
    with c2:
        sinks = url_selectbox("Demand of", sink_choices, "sinks", default=ALL,
                              format_func=lambda s: "All sinks" if s == ALL else f"{s.capitalize()} sinks",
                              help="Whose supply counts: every sink, or the sinks of one sector.")
    with c3:
        top = st.slider("Rows", 5, 100, 25, step=5, key="cp_top")
    include_sinks = st.toggle("Include the sinks themselves", key="cp_include_sinks",
                              help="A sink's own demand makes it critical to itself; supply-side "
                                   "rankings leave sinks out.")

arguments = dict(stage=None if stage == ALL else stage, sinks=None if sinks == ALL else sinks,
                 exclude_sinks=not include_sinks)
try:
    table = analytics.compute(net, chokepoints, **arguments)
except TiernError as error:
    st.error(f"Chokepoints cannot be computed for this selection: {error}")
    show_problems(error)
    st.stop()

names = f["name"].to_dict()
ranked = with_reasons(table, names)
if ranked.empty:
    st.info("No facility matches this selection.")
    st.stop()

first = ranked.iloc[0]
st.markdown(f"**Top chokepoint: {first['name']}** ({figures.stage_label(first['stage'])}, "
            f"{first['country']}). {first['why']}")
m1, m2, m3 = st.columns(3)
m1.metric("Its share of sink demand", percent(first["criticality"], 1),
          help="Demand lost if it fails and nothing reroutes.",
          delta=(f"{percent(first['criticality_linear'], 1)} by tonnage"
                 if first["criticality_basis"] == "recipe" else None), delta_color="off")
m2.metric("Demand at risk", f"{first['demand_at_risk']:,.0f} {first['demand_unit']}")
m3.metric("Single points of failure", f"{(ranked['single_point_for'].map(len) > 0).sum()}",
          help="Facilities whose failure alone stops at least one sink (aggregate rows "
               "are never counted).")

view = st.segmented_control("Rank", ["Facilities", "Countries", "Companies"], default="Facilities",
                            key="cp_view", help="Countries and companies: every facility of the "
                                                "group fails at once.") or "Facilities"
if view == "Facilities":
    chart(analytics.figure(net, "top_chokepoints", lambda: plot.top_chokepoints_bar(
        ranked, top=min(top, 15), title="Demand lost if one facility fails and nothing reroutes"),
        **arguments, top=min(top, 15)))
    columns = ["rank", "name", "why", "stage", "country", "criticality", "criticality_linear",
               "criticality_basis", "demand_at_risk",
               "demand_unit", "n_alternatives", "coverage", "fastest_qualification_months",
               "single_point_for", "owner", "id"]
    st.dataframe(ranked.head(top)[columns], hide_index=True, width="stretch", column_config={
        "criticality": st.column_config.ProgressColumn("criticality", format="percent",
                                                       min_value=0.0, max_value=1.0),
        "criticality_linear": st.column_config.NumberColumn(
            "by tonnage (linear)", format="percent",
            help="Share of sink demand whose supply passes through it, inputs interchangeable "
                 "by mass (the linear value); differs from criticality where recipes bind."),
        "criticality_basis": st.column_config.TextColumn("basis"),
        "demand_at_risk": st.column_config.NumberColumn("demand at risk", format="%,.0f"),
        "coverage": st.column_config.NumberColumn("alternatives cover", format="percent"),
        "fastest_qualification_months": st.column_config.NumberColumn(
            "fastest qualification (months)", format="%g"),
        "why": st.column_config.TextColumn("why", width="large")})
    st.caption(CRITICALITY_CAPTION_RECIPES if uses_recipes(net) else CRITICALITY_CAPTION)
else:
    what = "country" if view == "Countries" else "company"
    rollup = analytics.compute(net, chokepoints_by_group, by=what,
                               sinks=arguments["sinks"])
    chart(analytics.figure(net, "group_bar", lambda: plot.group_bar(
        rollup, top=15, title=f"Demand lost if every facility of one {what} fails at once"),
        by=what, sinks=arguments["sinks"]))
    st.dataframe(rollup.drop(columns=["facility_ids"]), hide_index=True, width="stretch",
                 column_config={"criticality": st.column_config.ProgressColumn(
                     "criticality", format="percent", min_value=0.0, max_value=1.0),
                     "demand_at_risk": st.column_config.NumberColumn(format="%,.0f"),
                     "external_demand_at_risk": st.column_config.NumberColumn(format="%,.0f")})

if uses_recipes(net):
    st.subheader("Critical inputs")
    inputs = analytics.compute(net, critical_inputs)
    small = st.slider("Inputs below this share of the facility's inbound tonnes", 0.0, 1.0, 0.1,
                      0.01, key="cp_input_share", format="%.2f")
    shown = inputs[inputs["mass_share"] < small]
    if stage != ALL:
        shown = shown[shown["stage"] == stage]
    st.caption(
        f"{len(shown)} input groups under {small:.0%} of their facility's inbound tonnes: each "
        "is a complement in the recipe (its outputs stop without it, whatever its mass), so a "
        "pooled, tonnage-only view misses them. Top country: where the group's largest share "
        "of supply is located.")
    st.dataframe(shown.drop(columns=["facility"]), hide_index=True, width="stretch",
                 column_config={
                     "mass_share": st.column_config.NumberColumn("share of inbound t",
                                                                 format="percent"),
                     "top_supplier_share": st.column_config.NumberColumn("top supplier share",
                                                                         format="percent"),
                     "top_country_share": st.column_config.ProgressColumn(
                         "top country share", format="percent", min_value=0.0, max_value=1.0)})

st.subheader("Download")
d1, d2, d3 = st.columns(3)
d1.download_button("Chokepoints (CSV)", csv_bytes(ranked), f"chokepoints-{net.hash}.csv",
                   mime="text/csv", on_click="ignore", key="cp_csv", width="stretch")


def workbook() -> bytes:
    """Built only when the button is pressed (the rollups take a few seconds)."""
    rollups = {by: chokepoints_by_group(net, by=by, sinks=arguments["sinks"])
               for by in ("country", "company")}
    return xlsx_bytes({"chokepoints": ranked, "countries": rollups["country"],
                       "companies": rollups["company"]})


d2.download_button("All tables (XLSX)", workbook,
                   f"chokepoints-{net.hash}.xlsx", on_click="ignore", key="cp_xlsx", width="stretch",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
with d3:
    report_button(net)
