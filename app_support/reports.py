"""The full chokepoint report from the app: build it with a progress bar, then offer the file."""
from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from graphmodel import Network
from graphmodel.backtest import real_event_presets
from graphmodel.errors import TiernError
from graphmodel.report import build_report, write_report

from .data import BUNDLED, current_key

FORMATS = {"html": "HTML (interactive, works offline)", "pdf": "PDF (for print)",
           "xlsx": "Excel workbook (every table)", "md": "Markdown"}
MIME = {"html": "text/html", "pdf": "application/pdf", "md": "text/markdown",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def build_report_bytes(net: Network, fmt: str, progress=None, backtests=()) -> bytes:
    """The report of :mod:`graphmodel.report` for ``net`` rendered as ``fmt`` (``backtests``:
    real events replayed in its Backtests section)."""
    report = build_report(net, progress=progress, backtests=backtests)
    with tempfile.TemporaryDirectory() as tmp:
        return write_report(report, Path(tmp) / f"report.{fmt}").read_bytes()


def report_button(net: Network) -> None:
    """A format picker and a build button; the built file stays offered until the data changes."""
    fmt = st.selectbox("Full report", list(FORMATS), format_func=FORMATS.get, key="report_format")
    key = (net.hash, fmt)
    if st.button("Build the report", key="report_build", width="stretch"):
        bar = st.progress(0.0, text="Building the report")

        def progress(done: int, total: int, label: str = "") -> None:
            bar.progress(min(done / max(total, 1), 1.0), text=f"Building the report: {label}")

        events = real_event_presets() if current_key() == BUNDLED else ()
        try:
            st.session_state["report_file"] = (key, build_report_bytes(net, fmt, progress, events))
        except TiernError as error:   # e.g. a chart the PDF renderer could not draw: say why
            bar.empty()
            st.error(f"The report could not be built: {error}")
            return
        bar.empty()
    built = st.session_state.get("report_file")
    if built and built[0] == key:
        st.download_button(f"Download the report (.{fmt})", built[1],
                           f"tiern-report-{net.hash}.{fmt}", mime=MIME[fmt], on_click="ignore",
                           key="report_download", type="primary", width="stretch")
