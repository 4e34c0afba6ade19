"""Scenarios: pick or build a disruption, run it, compare, Monte Carlo, save as YAML."""
from __future__ import annotations

import streamlit as st

from app_support.data import current_network
from app_support.widgets import coming_with, dataset_caption, optional_module

net = current_network()
st.title("Scenarios")
dataset_caption(net)
if optional_module("scenarios") is None:
    coming_with("the scenario engine (issue 6)")
    st.stop()
