"""Figures for compliance views (plotly ``go.Figure``; the app and reports render them)."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from graphmodel.schema import ALL_STAGES


def assurance_ladder_figure(ladder: pd.DataFrame, sink: str) -> go.Figure:
    """The stage-by-stage assurance ladder of one sink (rows of
    :func:`graphmodel.compliance.assurance.assurance_ladder`): one horizontal bar per stage,
    upstream at the bottom, the overall coverage (``all``) on top; hover lists the gaps and
    how many facilities hold only inferred (not verified) certificates, which the bars never
    count."""
    rows = ladder[ladder["sink"] == sink]
    if rows.empty:
        raise ValueError(f"no ladder rows for sink '{sink}'")
    order = {s: i for i, s in enumerate(list(ALL_STAGES) + ["all"])}
    rows = rows.assign(_o=rows["stage"].map(order)).sort_values("_o")
    gaps = rows["gaps"].map(lambda g: "<br>".join(g[:8]) + ("<br>..." if len(g) > 8 else "")
                            if len(g) else "no gaps")
    inferred = rows["inferred"] if "inferred" in rows else pd.Series(0, index=rows.index)
    gaps = gaps + inferred.map(lambda n: f"<br>inferred (not verified) certificates would "
                                         f"assure {n} of these" if n else "")
    colors = ["#1F3A5F" if s == "all" else "#4C8C4A" for s in rows["stage"]]
    figure = go.Figure(go.Bar(
        x=rows["share"], y=rows["stage"], orientation="h", marker_color=colors,
        text=[f"{v:.0%}" for v in rows["share"]], textposition="auto",
        customdata=gaps, hovertemplate="%{y}: %{x:.1%} assured<br>%{customdata}<extra></extra>"))
    name = rows["name"].iloc[0]
    figure.update_layout(title=f"Assurance ladder: {name}", xaxis=dict(range=[0, 1], tickformat=".0%",
                         title="share of supply passing only assured facilities"),
                         yaxis=dict(title=None), margin=dict(l=90, r=20, t=50, b=40), height=360)
    return figure
