"""Alerts: events (a news feed, a GDELT extract, a CSV) matched to the network; for each, the
watched sinks that depend on what it names, with evidence, and a draft scenario to open."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from app_support.alerts_view import alerts, open_draft, sample_files
from app_support.data import current_network
from app_support.widgets import dataset_caption, url_multiselect, url_selectbox
from graphmodel.errors import TiernError, ValidationError

net = current_network()
st.title("Alerts")
dataset_caption(net)
st.markdown("News and GDELT events matched to the network: which watched sinks depend on the "
            "facility or country an event names (at any tier), with the words that matched, "
            "and a draft scenario per event with each sink's time to survive. The command line "
            "is `tiern watch EVENTS --watchlist FILE`.")

UPLOAD = "upload"
samples = sample_files()
choices = list(samples) + [UPLOAD]
source = url_selectbox("Events", choices, "events", default=choices[0],
                       format_func=lambda c: "Upload a file..." if c == UPLOAD else f"Sample: {c}")
if source == UPLOAD:
    upload = st.file_uploader("Event file: RSS/Atom, GDELT event or GKG export, or CSV/JSON "
                              "with date,title,text,url", key="al_upload")
    if upload is None:
        st.info("Upload an event file to see its alerts.")
        st.stop()
    data, label = upload.getvalue(), upload.name
else:
    data, label = samples[source].read_bytes(), source

sinks = list(map(str, net.sinks))
names = net.facilities["name"].astype(str).to_dict()
c1, c2 = st.columns([3, 1])
with c1:
    watched = url_multiselect("Watched sinks (none chosen = every sink)", sinks, "watch",
                              format_func=lambda s: names.get(s, s))
with c2:
    confidence = st.slider("Lowest match confidence", 0.0, 1.0, 0.6, 0.05, key="al_confidence")

try:
    with st.spinner("Matching events and running their draft scenarios..."):
        found, notes = alerts(net, data, label, watched, confidence)
except ValidationError as error:
    st.error(f"{label} cannot be read; fix the cells below.")
    st.dataframe(pd.DataFrame([(p.file, p.row, p.column, p.message) for p in error.problems],
                              columns=["file", "row", "column", "message"]),
                 hide_index=True, width="stretch")
    st.stop()
except TiernError as error:
    st.error(str(error))
    st.stop()
for note in notes:
    st.caption(note)

rows = found.rows
m1, m2, m3 = st.columns(3)
m1.metric("Events with alerts", f"{rows['event_id'].nunique()} of "
          f"{rows['event_id'].nunique() + len(found.skipped)}")
m2.metric("Alert rows (event x sink)", len(rows))
short = rows[rows["tts_months"].notna()]
m3.metric("Shortest time to survive", f"{int(short['tts_months'].min())} months" if len(short)
          else "no shortfall", help="Whole months before the first watched sink runs short "
                                     "under an event's draft scenario.")

pct = st.column_config.NumberColumn(format="percent")
for event_id, group in rows.groupby("event_id", sort=False):
    first = group.iloc[0]
    with st.container(border=True):
        st.markdown(f"**{first['date']} · {first['event']}** ({first['kind'].replace('_', ' ')})")
        if first["url"]:
            st.caption(first["url"])
        st.markdown(f"Evidence: {first['evidence']}")
        st.dataframe(group[["sink_name", "matched_name", "dependence", "lost_share",
                            "tts_months", "confidence"]], hide_index=True, width="stretch",
                     column_config={"dependence": pct, "lost_share": pct,
                                    "sink_name": "sink", "matched_name": "matched",
                                    "tts_months": st.column_config.NumberColumn(
                                        "time to survive (months)")})
        if st.button("Open the draft scenario", key=f"al_open_{event_id}"):
            key = open_draft(event_id, found.drafts[event_id])
            st.session_state["qp:scenario"] = key
            st.switch_page("app_pages/scenarios.py")

if len(found.skipped):
    st.markdown("**Events without an alert, and why**")
    st.dataframe(found.skipped[["date", "event", "reason"]], hide_index=True, width="stretch")
