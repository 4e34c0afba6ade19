"""Data: switch datasets, upload a network (CSV files or a workbook), download the template."""
from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from app_support.data import (add_upload, current_key, dataset_labels, network_for,
                              read_upload, show_problems, switch_to)
from app_support.widgets import dataset_caption
from graphmodel.errors import TiernError
from graphmodel.settings import bundled_data_path
from graphmodel.templates import template_frames
from graphmodel.output import write_xlsx

st.title("Data")

st.subheader("Datasets")
labels = dataset_labels()
st.markdown(f"Now showing **{labels[current_key()]}**.")
try:
    dataset_caption(network_for(current_key()))
except TiernError as error:  # the Data page stays usable so the user can switch or upload
    st.error("This dataset cannot be read:")
    show_problems(error)
cols = st.columns(len(labels))
for col, (key, label) in zip(cols, labels.items()):
    if col.button(label, key=f"use:{key}", disabled=key == current_key(), width="stretch"):
        switch_to(key)
st.caption(f"The bundled dataset is read from `{bundled_data_path()}` (set `TIERN_DATA` to "
           "point the app at another folder or workbook).")

st.subheader("Upload a network")
st.markdown("Either **one workbook** (`.xlsx`, one sheet per table) or **the CSV files** of one "
            "network: `facilities.csv` and `links.csv`, optionally `owners.csv` and `demand.csv`.")
uploads = st.file_uploader("Network files", type=["csv", "xlsx"], accept_multiple_files=True,
                           key="upload_files")
name = st.text_input("Name for this dataset", value="my network", key="upload_name")
if st.button("Validate and load", type="primary", disabled=not uploads, key="upload_go"):
    result = read_upload([(u.name, u.getvalue()) for u in uploads])
    if result.network is None:
        st.session_state["upload_problems"] = result.problems
    else:
        st.session_state.pop("upload_problems", None)
        switch_to(add_upload(result.network, name.strip() or "uploaded"))
problems = st.session_state.get("upload_problems")
if problems is not None:
    st.error(f"The upload was not loaded: {len(problems)} problem"
             f"{'s' if len(problems) != 1 else ''} found. Fix them and upload again.")
    st.dataframe(problems, hide_index=True, width="stretch")

st.subheader("Template")
st.markdown("An empty workbook with every sheet and column of the interchange format, plus a "
            "`format` sheet describing each field.")


@st.cache_data(show_spinner=False)
def template_bytes() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        return write_xlsx(template_frames(), Path(tmp) / "template.xlsx").read_bytes()


st.download_button("Download the template workbook", template_bytes(), "tiern-template.xlsx",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                   on_click="ignore", key="template_download")
