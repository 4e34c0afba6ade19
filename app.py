"""tiern's Streamlit front end (minimal frame; pages grow with the analytics)."""
from __future__ import annotations

import streamlit as st

from graphmodel import load_network
from graphmodel.summary import summary_by_stage

st.set_page_config(page_title="tiern", layout="wide")
st.title("tiern: Tier-N supply-chain risk")
net = load_network()
st.caption(f"Dataset {net.name} · {len(net.facilities)} facilities · hash {net.hash}")
st.dataframe(summary_by_stage(net), hide_index=True)
