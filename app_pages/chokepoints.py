"""Chokepoints: the ranked table with the why, and downloads (CSV, XLSX, full report)."""
from __future__ import annotations

import streamlit as st

from app_support.data import current_network
from app_support.widgets import coming_with, dataset_caption, optional_module

net = current_network()
st.title("Chokepoints")
dataset_caption(net)
if optional_module("chokepoints") is None:
    coming_with("the chokepoint analytics (issue 5)")
    st.stop()
