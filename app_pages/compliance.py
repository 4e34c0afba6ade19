"""Compliance: DFARS, EU CRMA, assurance and qualification views."""
from __future__ import annotations

import streamlit as st

from app_support.data import current_network
from app_support.widgets import coming_with, dataset_caption, optional_module

net = current_network()
st.title("Compliance")
dataset_caption(net)
if optional_module("compliance") is None:
    coming_with("the compliance checks (issue 10)")
    st.stop()
