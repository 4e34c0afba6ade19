"""Network explorer: filter facilities, pick one, see its Tier-N suppliers and its customers."""
from __future__ import annotations

import streamlit as st

from app_support import analytics, figures
from app_support.data import current_network
from app_support.explore import filter_facilities
from app_support.widgets import chart, dataset_caption, url_multiselect, url_selectbox, url_text
from graphmodel.schema import ALL_STAGES

net = current_network()
st.title("Network explorer")
dataset_caption(net)

f = net.facilities
with st.container(border=True):
    row = st.columns([1, 1, 1, 1])
    with row[0]:
        stages = url_multiselect("Stage", [s for s in ALL_STAGES if s in set(f["stage"])], "stage",
                                 format_func=figures.stage_label)
    with row[1]:
        countries = url_multiselect("Country (location)", sorted(f["country"].dropna().unique()),
                                    "country")
    with row[2]:
        owners = url_multiselect("Owner", sorted(f["owner"].dropna().unique()), "owner")
    with row[3]:
        materials = url_multiselect("Material (bought or sold)",
                                    sorted(net.links["material"].dropna().unique()), "material")
    search = url_text("Search by name or id", "q", placeholder="e.g. Lynas, Baotou, magnet")

shown = filter_facilities(net, stages=stages, countries=countries, owners=owners,
                          materials=materials, search=search)
st.markdown(f"**{len(shown):,} of {len(f):,} facilities** match")
table = shown.reset_index()[["id", "name", "stage", "country", "owner", "capacity", "unit", "status"]]
# Widths set per column so that the table fits the page's width (about 950 px beside the
# sidebar): left to the grid, the long names and owners were cut off or pushed the capacity
# and status out of view. The id is in the facility picker below and in the URL.
st.dataframe(table, hide_index=True, width="stretch", height=min(38 * (len(table) + 1), 360),
             column_config={
                 "id": None,
                 "name": st.column_config.TextColumn("name", width=360),
                 "stage": st.column_config.TextColumn("stage", width="small"),
                 "country": st.column_config.TextColumn("country", width="small"),
                 "owner": st.column_config.TextColumn("owner", width=180),
                 "capacity": st.column_config.NumberColumn("capacity", format="%,.0f",
                                                           width="small"),
                 "unit": st.column_config.TextColumn("unit", width="small"),
                 "status": st.column_config.TextColumn("status", width="small")})

if shown.empty:
    st.warning("No facility matches these filters. Clear a filter or change the search.")
    st.stop()

ids = list(shown.index)
names = f["name"].to_dict()
demand = net.sink_demand.reindex(ids).dropna()  # default: the largest buyer shown, else the first
facility = url_selectbox("Facility", ids, "facility",
                         default=demand.idxmax() if len(demand) else ids[0],
                         format_func=lambda i: f"{names[i]} ({i})")
row = f.loc[facility]
st.subheader(row["name"])
cap = "unknown" if row["capacity"] != row["capacity"] else f"{row['capacity']:,.0f} {row['unit']}"
owner = row["owner"] if isinstance(row["owner"], str) else "unknown"
ultimate = net.ultimate_owner(facility) or "unknown"
control = net.ownership.at[facility, "control_country"]
st.markdown(
    f"{figures.stage_label(row['stage'])} in **{row['country']}** · owner **{owner}** "
    f"(ultimate owner **{ultimate}**, controlled from **{control if isinstance(control, str) else 'unknown'}**)"
    f" · capacity **{cap}** · status **{row['status']}**")

up, down = st.tabs(["Tier-N suppliers (upstream)", "Customers (downstream)"])
with up:
    tiers = st.slider("Tiers to show", 1, 10, 6, key="explorer_tiers")
    tree = analytics.upstream(net, facility, max_tiers=tiers)
    if len(tree) == 1:
        st.info("This facility buys nothing through carrying links: it is where supply enters "
                "the network.")
    else:
        chart(analytics.figure(net, "tier_tree", lambda: figures.tier_tree_figure(
            tree, f"Where {row['name']}'s supply comes from"), facility=facility, tiers=tiers))
        st.caption("Each box is a supplier on a path into the facility (colour = country); its "
                   "width is the share of the facility's supply that flows along that path "
                   "(volume-share weighted). Paths under 0.5% are omitted; recycling loops are "
                   "cut where they return to a facility already on the path.")
        listing = tree[tree["tier"] > 0][["tier", "id", "name", "stage", "country", "share"]]
        by_facility = (listing.groupby(["id", "name", "stage", "country"], as_index=False)
                       .agg(tier=("tier", "min"), share=("share", "sum"))
                       .sort_values(["tier", "share"], ascending=[True, False]))
        st.dataframe(by_facility, hide_index=True, width="stretch",
                     column_config={"share": st.column_config.ProgressColumn(
                         "share of supply", format="percent", min_value=0.0, max_value=1.0)})
with down:
    customers = analytics.downstream(net, facility)
    if customers.empty:
        st.info("No facility downstream: this facility is a sink.")
    else:
        st.markdown(f"**{(customers['tier'] == 1).sum()}** direct customers, "
                    f"**{len(customers)}** facilities downstream in all.")
        st.dataframe(customers, hide_index=True, width="stretch",
                     column_config={"volume": st.column_config.NumberColumn(
                         "volume bought directly (per year)", format="%,.0f")})
