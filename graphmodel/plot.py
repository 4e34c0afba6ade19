"""Plotly figures for reports and the app. Every function returns a ``go.Figure``.

Every chart colours a country with :func:`graphmodel.colors.country_color`, so a country has
one colour across charts; axes carry units; fonts are sized for a printed page. Inputs are
the tables of the analytics modules, so a figure never recomputes anything.
"""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from .colors import country_color
from .schema import stages_in

FONT = dict(family="DejaVu Sans, Liberation Sans, Arial, sans-serif", size=14, color="#222222")
WIDTH, ROW_HEIGHT = 960, 34
CHINA = "CN"


def _layout(fig: go.Figure, title: str, height: int) -> go.Figure:
    top, bottom = 60, 120
    fig.update_layout(
        template="plotly_white", font=FONT, height=height, width=WIDTH,
        title=dict(text=title, font=dict(size=18), x=0.01, xanchor="left"),
        margin=dict(l=20, r=30, t=top, b=bottom),
        # Legend under the axis title (above the plot it collides with the title in static
        # exports); legend y is in plot-area fractions, so convert 75 px.
        legend=dict(orientation="h", yanchor="top", y=-75 / max(height - top - bottom, 1),
                    xanchor="left", x=0.0),
    )
    return fig


def _label(row) -> str:
    name = str(row["name"])
    name = name if len(name) <= 38 else name[:36] + "…"
    return f"{name} ({row['stage']}, {row['country']})"


def top_chokepoints_bar(table: pd.DataFrame, top: int = 10,
                        title: str = "Top chokepoints: share of sink demand lost if the facility fails") -> go.Figure:
    """Horizontal bars of ``criticality`` (in % of selected sink demand) for the first
    ``top`` rows of :func:`graphmodel.chokepoints.chokepoints`, coloured by location."""
    rows = table.dropna(subset=["criticality"]).head(top).iloc[::-1]
    fig = go.Figure()
    for country, group in rows.groupby("country", sort=False):
        fig.add_bar(
            y=[_label(r) for _, r in group.iterrows()], x=group["criticality"] * 100,
            orientation="h", name=country, marker_color=country_color(country),
            text=[f"{v:.0%}" for v in group["criticality"]], textposition="outside",
            customdata=group[["demand_at_risk", "alternatives", "n_alternatives"]].to_numpy(),
            hovertemplate="%{y}<br>criticality %{x:.1f}%<br>demand at risk %{customdata[0]:,.0f}"
                          "<br>alternatives: %{customdata[2]} facilities, %{customdata[1]:,.0f} "
                          "spare<extra></extra>")
    order = [_label(r) for _, r in rows.iterrows()]
    fig.update_yaxes(categoryorder="array", categoryarray=order, title=None, automargin=True)
    fig.update_xaxes(title="Share of sink demand at risk (%)", range=[0, 115], ticksuffix="%")
    fig.update_layout(legend_title_text="Location:")
    return _layout(fig, title, 200 + ROW_HEIGHT * max(len(rows), 1))


def group_bar(table: pd.DataFrame, top: int = 10, title: str | None = None) -> go.Figure:
    """Bars of ``criticality`` for the first ``top`` groups of
    :func:`graphmodel.chokepoints.chokepoints_by_group`, coloured by (control) country,
    split into demand lost at the group's own sinks and at everyone else's."""
    rows = table.head(top).iloc[::-1]
    by = rows["by"].iloc[0] if len(rows) else "country"
    total = rows["demand_at_risk"].where(rows["demand_at_risk"] > 0)
    external = (rows["criticality"] * rows["external_demand_at_risk"] / total).fillna(0.0)
    labels = [str(n) if len(str(n)) <= 40 else str(n)[:38] + "…" for n in rows["name"]]
    colors = [country_color(c) for c in rows["control_country"]]
    fig = go.Figure()
    fig.add_bar(y=labels, x=external * 100, orientation="h", marker_color=colors, showlegend=False,
                name="at other buyers' sinks", hovertemplate="%{y}: %{x:.1f}%<extra>other sinks</extra>")
    fig.add_bar(y=labels, x=(rows["criticality"] - external) * 100, orientation="h",
                marker_color=colors, marker_pattern_shape="/", opacity=0.55, showlegend=False,
                name="at its own sinks", hovertemplate="%{y}: %{x:.1f}%<extra>own sinks</extra>")
    # The bars are coloured per country, and a legend swatch would take one bar's colour:
    # the legend shows the two fills (solid, hatched) in a neutral grey instead.
    for name, pattern, opacity in (("at other buyers' sinks", "", 1.0),
                                   ("at its own sinks", "/", 0.55)):
        fig.add_bar(y=[None], x=[None], orientation="h", name=name, marker_color="#6b7280",
                    marker_pattern_shape=pattern, opacity=opacity, hoverinfo="skip")
    fig.update_layout(barmode="stack")
    fig.update_yaxes(categoryorder="array", categoryarray=labels, automargin=True)
    fig.update_xaxes(title="Share of sink demand lost if all its facilities fail (%)",
                     range=[0, 105], ticksuffix="%")
    what = "countries (location)" if by == "country" else "companies (ultimate owner)"
    fig.update_layout(legend_title_text="Demand lost:")
    return _layout(fig, title or f"Chokepoint {what}", 200 + ROW_HEIGHT * max(len(rows), 1))


def capacity_by_country(summary: pd.DataFrame, top_countries: int = 8,
                        title: str = "Operating capacity by stage and country (location)") -> go.Figure:
    """100%-stacked bars: each stage's operating capacity split by country of location.

    ``summary`` is :func:`graphmodel.summary.summary_by_stage_country`. Shares are taken
    within a stage (one unit per stage); countries outside the ``top_countries`` largest
    overall are pooled as "other".
    """
    data = summary[summary["capacity"] > 0].copy()
    data["share"] = data["capacity"] / data.groupby("stage")["capacity"].transform("sum")
    leaders = data.groupby("country")["share"].sum().nlargest(top_countries).index
    data["country"] = data["country"].where(data["country"].isin(leaders), "other")
    data = data.groupby(["stage", "country"], as_index=False)["share"].sum()
    stages = stages_in(data["stage"])
    fig = go.Figure()
    for country in list(leaders) + ["other"]:
        part = data[data["country"] == country].set_index("stage").reindex(stages)["share"].fillna(0)
        fig.add_bar(x=stages, y=part * 100, name=country,
                    marker_color=country_color(None if country == "other" else country),
                    hovertemplate=f"{country}<br>%{{x}}: %{{y:.1f}}% of capacity<extra></extra>")
    fig.update_layout(barmode="stack", legend_title_text="Country:")
    fig.update_yaxes(title="Share of stage capacity (%)", range=[0, 100], ticksuffix="%")
    fig.update_xaxes(title="Stage", tickangle=0)
    return _layout(fig, title, 500)


def concentration_by_stage(nameplate: pd.DataFrame, qualified: pd.DataFrame | None = None,
                           title: str | None = None) -> go.Figure:
    """A country's share of each stage's capacity: bars for nameplate capacity by location
    (solid) and by control (hatched), markers for qualified capacity (capacity reaching
    customers over qualified links). Inputs are :func:`graphmodel.concentration.concentration`
    tables for the same country."""
    country = str(nameplate["country"].iloc[0]) if len(nameplate) else CHINA
    color = country_color(country)
    fig = go.Figure()
    rows = nameplate[nameplate["capacity_total"] > 0]
    fig.add_bar(x=rows["stage"], y=rows["share_location"] * 100, name="location (nameplate)",
                marker_color=color, hovertemplate="location, nameplate<br>%{x}: %{y:.1f}%<extra></extra>")
    fig.add_bar(x=rows["stage"], y=rows["share_control"] * 100, name="control (nameplate)",
                marker=dict(color="white", line=dict(color=color, width=2),
                            pattern=dict(shape="/", fgcolor=color, size=8, solidity=0.35)),
                hovertemplate="control, nameplate<br>%{x}: %{y:.1f}%<extra></extra>")
    if qualified is not None:
        rows = qualified[qualified["capacity_total"] > 0]
        for column, name, symbol, offset in (("share_location", "location (qualified)", "diamond", -0.2),
                                             ("share_control", "control (qualified)", "x", 0.2)):
            fig.add_scatter(x=rows["stage"], y=rows[column] * 100, name=name, mode="markers",
                            marker=dict(symbol=symbol, size=11, color="#222222",
                                        line=dict(color="white", width=1)),
                            hovertemplate=f"{name}<br>%{{x}}: %{{y:.1f}}%<extra></extra>")
    fig.update_layout(barmode="group", bargap=0.25, legend_title_text="Basis:",
                      scattermode="group")
    fig.update_yaxes(title=f"{country} share of stage capacity (%)", range=[0, 105],
                     ticksuffix="%")
    fig.update_xaxes(title="Stage", tickangle=0)
    return _layout(fig, title or f"Concentration by stage: {country} share of capacity", 500)


#: Buyers (rows) an exposure heatmap shows at most: the most exposed ones.
HEATMAP_ROWS = 40


def exposure_heatmap(exposure: pd.DataFrame, value: str = "location",
                     title: str | None = None, limit: int | None = HEATMAP_ROWS) -> go.Figure:
    """Heatmap of exposure: buyers (rows) by stage (columns), cells = share of the buyer's
    supply tracing to the country at that stage (%).

    ``exposure`` has columns ``id, name, stage_traced, location, control`` (one row per
    buyer and traced stage), as built by :func:`graphmodel.report.china_exposure`. With more
    than ``limit`` buyers (None: no limit) only the ``limit`` with the highest mean share
    over the stages are drawn (a row per buyer of 47,000 is neither readable nor cheap), and
    the title says so.
    """
    stages = stages_in(exposure["stage_traced"])
    buyers = exposure["name"].nunique()
    if limit is not None and buyers > limit:
        mean = exposure.groupby("name", sort=True)[value].mean()
        shown = mean.sort_values(ascending=False, kind="mergesort").index[:limit]
        exposure = exposure[exposure["name"].isin(shown)]
    grid = exposure.pivot_table(index="name", columns="stage_traced", values=value,
                                aggfunc="first").reindex(columns=stages)
    grid = grid.loc[grid.mean(axis=1).sort_values().index]
    labels = [n if len(n) <= 44 else n[:42] + "…" for n in grid.index]
    fig = go.Figure(go.Heatmap(
        z=grid.to_numpy() * 100, x=stages, y=list(range(len(grid))), zmin=0, zmax=100,
        colorscale=[[0, "#ffffff"], [1, country_color(CHINA)]],
        text=[[("" if pd.isna(v) else f"{v:.0%}") for v in row] for row in grid.to_numpy()],
        texttemplate="%{text}", textfont=dict(size=12, color="#111111"), xgap=2, ygap=2,
        colorbar=dict(title="share", ticksuffix="%"), customdata=[[n] * len(stages) for n in grid.index],
        hovertemplate="%{customdata}<br>%{x}: %{z:.1f}%<extra></extra>"))
    fig.update_xaxes(title="Stage traced back to", side="bottom", tickangle=0)
    # Every buyer labelled (a categorical axis would drop labels when crowded).
    fig.update_yaxes(title=None, automargin=True, tickmode="array",
                     tickvals=list(range(len(grid))), ticktext=labels, tickfont=dict(size=12))
    basis = "by location" if value == "location" else "by control (ultimate owner)"
    subset = (f": the {len(grid)} most exposed of {buyers:,} buyers"
              if limit is not None and buyers > limit else "")
    fig = _layout(fig, title or f"China exposure per buyer, {basis}{subset}",
                  200 + 24 * max(len(grid), 1))
    return fig.update_layout(margin_b=70)


__all__ = ["top_chokepoints_bar", "group_bar", "capacity_by_country", "concentration_by_stage",
           "exposure_heatmap"]
