"""Page sections shared by several pages (they call ``st.*``; pages stay thin)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from graphmodel import Network, plot
from graphmodel.concentration import concentration
from graphmodel.errors import TiernError

from . import analytics, figures
from .data import show_problems
from .widgets import chart, percent


def concentration_tables(net: Network, focus: str, include_planned: bool = False
                         ) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """(nameplate, qualified) concentration tables, or None after showing the error."""
    try:
        nameplate = analytics.compute(net, concentration, country=focus,
                                      basis="nameplate", include_planned=include_planned)
        qualified = analytics.compute(net, concentration, country=focus,
                                      basis="qualified", include_planned=include_planned)
    except TiernError as error:
        st.error(f"Concentration cannot be computed on this dataset: {error}")
        show_problems(error)
        return None
    return nameplate, qualified


def points_delta(gap: float, what: str) -> str | None:
    """A metric's delta in percentage points, or None (no arrow) when it rounds to zero or is
    unknown: an arrow reading "+0 pts" says nothing."""
    if gap != gap or round(gap * 100) == 0:
        return None
    return f"{gap * 100:+.0f} pts {what}"


def concentration_headline(net: Network, focus: str) -> None:
    """Headline metrics and the by-location / by-control / qualified chart for one country."""
    tables = concentration_tables(net, focus)
    if tables is None:
        return
    nameplate, qualified = tables
    by_stage = nameplate.set_index("stage")
    q = qualified.set_index("stage")
    shown = [s for s in ("mine", "separator", "metal", "magnet") if s in by_stage.index]
    cols = st.columns(len(shown) or 1)
    for col, stage in zip(cols, shown):
        gap = q.at[stage, "share_location"] - by_stage.at[stage, "share_location"]
        col.metric(f"{figures.stage_label(stage)}: located in {focus}",
                   percent(by_stage.at[stage, "share_location"]),
                   delta=points_delta(gap, "on qualified capacity"),
                   delta_color="off",
                   help=f"Share of operating nameplate {figures.stage_label(stage).lower()} "
                        f"capacity located in {focus}. Controlled from {focus}: "
                        f"{percent(by_stage.at[stage, 'share_control'])}. HHI by country "
                        f"{by_stage.at[stage, 'hhi_country']:,.0f}.")
    chart(analytics.figure(net, "concentration_headline", lambda: plot.concentration_by_stage(
        nameplate, qualified, f"{focus}'s share of each stage: location, control, "
                              "qualified capacity"), focus=focus))
