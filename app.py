"""tiern's Streamlit front end: a router over the pages in ``app_pages/``.

Run with ``make app`` (or ``streamlit run app.py``). The dataset is the bundled ``data/``
folder, or ``$TIERN_DATA``, or one the user uploads on the Data page.
"""
from __future__ import annotations

import streamlit as st

from app_support.data import dataset_selector

st.set_page_config(page_title="tiern · Tier-N supply-chain risk", layout="wide")

PAGES = [
    # "/" shows the overview through a hidden default page, so that the overview's own
    # address, /overview, opens it too (a default page answers only at "/").
    st.Page("app_pages/overview.py", title="Overview", url_path="home", default=True,
            visibility="hidden"),
    st.Page("app_pages/overview.py", title="Overview", url_path="overview"),
    st.Page("app_pages/explorer.py", title="Network explorer", url_path="explorer"),
    st.Page("app_pages/concentration.py", title="Concentration & exposure",
            url_path="concentration"),
    st.Page("app_pages/chokepoints.py", title="Chokepoints", url_path="chokepoints"),
    st.Page("app_pages/scenarios.py", title="Scenarios", url_path="scenarios"),
    st.Page("app_pages/compliance.py", title="Compliance", url_path="compliance"),
    st.Page("app_pages/alerts.py", title="Alerts", url_path="alerts"),
    st.Page("app_pages/data.py", title="Data", url_path="data"),
]

page = st.navigation(PAGES)

with st.sidebar:
    st.markdown("### tiern\nTier-N supply-chain risk for rare-earth permanent magnets")
    dataset_selector()

page.run()
