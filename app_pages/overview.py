"""Overview: headline concentration, the flow of material, the facilities on a map, provenance."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from app_support import analytics
from app_support.data import current_network
from app_support.panels import concentration_headline
from app_support.widgets import chart, dataset_caption, url_selectbox
from graphmodel import plot

net = current_network()
st.title("Rare-earth magnet supply chain: overview")
dataset_caption(net)

f = net.facilities
operating = f[f["status"] == "operating"]
cols = st.columns(4)
cols[0].metric("Facilities", f"{len(f):,}", help="All statuses (operating, construction, planned, idle).")
cols[1].metric("Operating", f"{len(operating):,}")
cols[2].metric("Countries", f"{f['country'].nunique():,}")
cols[3].metric("Links carrying volume", f"{len(net.carrying_links):,}")

st.subheader("Concentration by stage")
countries = sorted(f["country"].dropna().unique())
focus = url_selectbox("Focus country", countries, "focus", default="CN",
                      help="The country whose share of each stage is shown.")
concentration_headline(net, focus)

summary = analytics.summary(net)
chart(analytics.figure(net, "capacity_by_country", lambda: plot.capacity_by_country(
    summary, title="Where each stage's operating capacity is located")))

st.subheader("Flow of material from mines to OEMs")
chart(analytics.sankey(net))
st.caption("Nodes group facilities by stage and country (colour = country). Link width is annual "
           "volume in the customer's input unit (t REO upstream; t of metal, alloy or magnet "
           "downstream), so compare widths within a stage rather than across stages. "
           "Scrap returned to recyclers closes the loop.")

st.subheader("Facilities")
chart(analytics.facility_map(net))
st.caption("Colour = country of location; size = capacity relative to the largest facility of "
           "the same stage. Hover a facility for its stage, owner and capacity.")

st.subheader("About this data")
meta = net.meta
sources = pd.concat([f["source"], net.links["source"]]).dropna()
sources = sources[sources.astype(str).str.strip() != ""]
left, right = st.columns(2)
left.markdown(
    f"- **Dataset:** {meta['name']}\n"
    f"- **Dataset version:** {meta['version'] or 'not a bundled version (see data/CHANGELOG.md)'}\n"
    f"- **Data year:** {meta['data_year'] or 'unknown'}\n"
    f"- **Content hash:** `{meta['hash']}` (cite it to make a result reproducible)\n"
    f"- **Loaded:** {meta['loaded_at']} UTC\n"
    f"- **Distinct sources cited:** {sources.nunique():,}")
with right.expander("Most cited sources"):
    top = sources.value_counts().head(15).rename_axis("source").reset_index(name="rows")
    st.dataframe(top, hide_index=True)
