"""tiern's Streamlit front end: a router over the pages in ``app_pages/``.

Run with ``make app`` (or ``streamlit run app.py``). The dataset is the bundled ``data/``
folder, or ``$TIERN_DATA``, or one the user uploads on the Data page.
"""
from __future__ import annotations

import streamlit as st

from app_support.data import DATASET_KEY, apply_pending_switch, current_key, dataset_labels

st.set_page_config(page_title="tiern · Tier-N supply-chain risk", layout="wide")

PAGES = [
    st.Page("app_pages/overview.py", title="Overview", url_path="overview", default=True),
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
    apply_pending_switch()
    labels = dataset_labels()
    if st.session_state.get(DATASET_KEY) not in labels:
        st.session_state[DATASET_KEY] = current_key()
    st.selectbox("Dataset", list(labels), format_func=labels.get, key=DATASET_KEY,
                 help="Upload another network on the Data page.")

page.run()
