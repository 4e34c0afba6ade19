"""Concentration and Tier-N exposure: per stage, per OEM, per country; CRMA 65% flags."""
from __future__ import annotations

import streamlit as st

from app_support.data import current_network
from app_support.widgets import coming_with, dataset_caption, optional_module

net = current_network()
st.title("Concentration & exposure")
dataset_caption(net)
if optional_module("concentration") is None or optional_module("exposure") is None:
    coming_with("the concentration and exposure analytics (issue 4)")
    st.stop()
