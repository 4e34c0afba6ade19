"""Plotly figures specific to the app; every country keeps its colour from
:func:`graphmodel.colors.country_color`. Functions return ``go.Figure`` and never call ``st.*``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import hex_to_rgb, unlabel_rgb

from graphmodel import Network
from graphmodel.colors import UNKNOWN_COLOR, country_color
from graphmodel.schema import ALL_STAGES

from .formatting import share_text

FONT = dict(family="Inter, Helvetica, Arial, sans-serif", size=14, color="#1f2933")
_STAGE_LABEL = {"mrec": "MREC", "oem": "OEM"}


def stage_label(stage: str) -> str:
    return _STAGE_LABEL.get(stage, stage.capitalize())


def _layout(fig: go.Figure, title: str | None = None, height: int = 460) -> go.Figure:
    fig.update_layout(
        title=dict(text=title, x=0, xanchor="left", font=dict(size=18)) if title else None,
        font=FONT, height=height, margin=dict(l=10, r=10, t=60 if title else 20, b=10),
        paper_bgcolor="white", plot_bgcolor="white",
        legend=dict(title_font=dict(size=13), font=dict(size=13)),
        hoverlabel=dict(font_size=13),
    )
    return fig


def _rgba(color: str, alpha: float) -> str:
    """A ``#rrggbb`` or ``rgb(r, g, b)`` colour with transparency ``alpha``."""
    r, g, b = (hex_to_rgb(color) if color.startswith("#") else unlabel_rgb(color))
    return f"rgba({r:.0f},{g:.0f},{b:.0f},{alpha})"


# --- Sankey -----------------------------------------------------------------------------

OTHER = "Other"


def sankey_frames(net: Network, min_share: float = 0.03) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Nodes ``(stage, country)`` and the volume between them (carrying links only).

    Countries holding less than ``min_share`` of a stage's throughput are grouped as
    ``"Other"`` for that stage, so the diagram stays legible. Returns ``nodes`` (stage,
    country, label, throughput) and ``flows`` (source, target node positions, volume,
    materials).
    """
    f = net.facilities
    links = net.carrying_links
    if links.empty:
        return (pd.DataFrame(columns=["stage", "country", "label", "throughput"]),
                pd.DataFrame(columns=["source", "target", "volume", "materials"]))
    flows = pd.DataFrame({
        "from_stage": links["supplier"].map(f["stage"]).to_numpy(),
        "from_country": links["supplier"].map(f["country"]).fillna(OTHER).to_numpy(),
        "to_stage": links["customer"].map(f["stage"]).to_numpy(),
        "to_country": links["customer"].map(f["country"]).fillna(OTHER).to_numpy(),
        "volume": links["volume"].to_numpy(dtype=float),
        "material": links["material"].to_numpy(),
    })
    minor = _minor_countries(flows, min_share)
    for side in ("from", "to"):
        pairs = list(zip(flows[f"{side}_stage"], flows[f"{side}_country"]))
        flows[f"{side}_country"] = [OTHER if p in minor else p[1] for p in pairs]
    keys = pd.concat([
        flows[["from_stage", "from_country"]].set_axis(["stage", "country"], axis=1),
        flows[["to_stage", "to_country"]].set_axis(["stage", "country"], axis=1),
    ]).drop_duplicates()
    keys["rank"] = keys["stage"].map({s: i for i, s in enumerate(ALL_STAGES)})
    keys["is_other"] = keys["country"] == OTHER
    nodes = keys.sort_values(["rank", "is_other", "country"]).reset_index(drop=True)
    position = {(s, c): i for i, (s, c) in enumerate(zip(nodes["stage"], nodes["country"]))}
    grouped = flows.groupby(["from_stage", "from_country", "to_stage", "to_country"],
                            sort=False).agg(volume=("volume", "sum"),
                                            materials=("material", lambda m: ", ".join(sorted(set(m)))))
    grouped = grouped.reset_index()
    grouped["source"] = [position[k] for k in zip(grouped["from_stage"], grouped["from_country"])]
    grouped["target"] = [position[k] for k in zip(grouped["to_stage"], grouped["to_country"])]
    inflow = grouped.groupby("target")["volume"].sum()
    outflow = grouped.groupby("source")["volume"].sum()
    nodes["throughput"] = [max(inflow.get(i, 0.0), outflow.get(i, 0.0)) for i in nodes.index]
    nodes["label"] = [f"{stage_label(s)} · {c}" for s, c in zip(nodes["stage"], nodes["country"])]
    return nodes[["stage", "country", "label", "throughput"]], grouped


def _minor_countries(flows: pd.DataFrame, min_share: float) -> set[tuple[str, str]]:
    """(stage, country) pairs below ``min_share`` of their stage's throughput."""
    sides = pd.concat([
        flows[["from_stage", "from_country", "volume"]].set_axis(["stage", "country", "volume"], axis=1),
        flows[["to_stage", "to_country", "volume"]].set_axis(["stage", "country", "volume"], axis=1),
    ])
    through = sides.groupby(["stage", "country"])["volume"].sum() / 2
    share = through / through.groupby(level="stage").transform("sum")
    return set(share[share < min_share].index)


def sankey_figure(net: Network, title: str | None = None) -> go.Figure:
    """Volume from mines to OEMs, one node per (stage, country), coloured by country.

    Link width is annual volume in the customer's input unit (t REO upstream, t of metal,
    alloy or magnet downstream), so widths compare within a stage, not across stages.
    """
    nodes, flows = sankey_frames(net)
    colors = [country_color(c) if c != OTHER else UNKNOWN_COLOR for c in nodes["country"]]
    x, y = _sankey_positions(nodes, flows)
    fig = go.Figure(go.Sankey(
        arrangement="snap",
        node=dict(
            label=nodes["label"].tolist(), color=colors, pad=14, thickness=18, x=x, y=y,
            line=dict(color="white", width=0.5),
            hovertemplate="%{label}<br>throughput %{value:,.0f} t/yr<extra></extra>",
        ),
        link=dict(
            source=flows["source"].tolist(), target=flows["target"].tolist(),
            value=flows["volume"].tolist(),
            color=[_rgba(colors[s], 0.4) for s in flows["source"]],
            customdata=flows["materials"].tolist(),
            hovertemplate="%{source.label} → %{target.label}<br>%{value:,.0f} t/yr"
                          "<br>%{customdata}<extra></extra>",
        ),
        textfont=dict(size=13, color="#111827"),
    ))
    for stage, xpos in sorted(set(zip(nodes["stage"], x)), key=lambda p: p[1]):
        fig.add_annotation(x=xpos, y=1.0, xref="paper", yref="paper", yanchor="bottom",
                           showarrow=False, text=f"<b>{stage_label(stage)}</b>",
                           xanchor="left" if xpos < 0.05 else "right" if xpos > 0.95 else "center")
    _layout(fig, title, height=620)
    fig.update_layout(margin=dict(t=(70 if title else 40)))
    return fig


def _sankey_positions(nodes: pd.DataFrame, flows: pd.DataFrame | None = None
                      ) -> tuple[list[float], list[float]]:
    """One column per stage in chain order (recyclers last); within a column nodes are
    stacked largest first, heights in proportion to throughput on one scale for all columns.

    A column that a wide link jumps over (magnets straight to OEMs, past the motor column)
    starts below that link's band, so its nodes and their labels do not sit on a link that
    has nothing to do with them. A link is wide when it is at least 2% of the plot's height;
    its band at a column is the straight line between its ends, half its width either side.
    """
    stages = [s for s in ALL_STAGES if s in set(nodes["stage"])]
    column_x = {s: 0.001 + 0.998 * i / max(len(stages) - 1, 1) for i, s in enumerate(stages)}
    totals = nodes.groupby("stage")["throughput"].sum()
    most = nodes.groupby("stage").size().max()
    gap = 0.12 / max(most - 1, 1)
    scale = (1 - 0.12 - 0.04) / totals.max()
    x = [0.0] * len(nodes)
    y = [0.0] * len(nodes)

    def stack(stage: str, group: pd.DataFrame, top: float) -> None:
        order = group.assign(other=group["country"] == OTHER).sort_values(
            ["other", "throughput"], ascending=[True, False])
        for i, throughput in zip(order.index, order["throughput"]):
            height = throughput * scale
            x[i] = column_x[stage]
            y[i] = min(top + height / 2, 0.99)
            top += height + gap

    groups = dict(list(nodes.groupby("stage", sort=False)))
    for stage, group in groups.items():
        stack(stage, group, 0.02)
    if flows is None or flows.empty:
        return x, y
    # Moving one column moves the bands that end in it, so repeat until nothing moves.
    for _ in range(2 * len(stages)):
        moved = False
        for stage in stages:
            here = column_x[stage]
            column = groups[stage]
            heights = column["throughput"] * scale
            top = min(y[i] - h / 2 for i, h in zip(column.index, heights))
            low = max(y[i] + h / 2 for i, h in zip(column.index, heights))
            bottom = 0.0
            for source, target, volume in zip(flows["source"], flows["target"], flows["volume"]):
                width = volume * scale
                x0, x1 = x[source], x[target]
                if width < 0.02 or not min(x0, x1) < here < max(x0, x1):
                    continue
                at = y[source] + (y[target] - y[source]) * (here - x0) / (x1 - x0)
                if at - width / 2 < low and at + width / 2 > top:  # the band crosses the column
                    bottom = max(bottom, at + width / 2)
            if bottom > 0 and bottom + gap + (low - top) <= 0.99:
                stack(stage, column, bottom + gap)
                moved = True
        if not moved:
            break
    return x, y


# --- map --------------------------------------------------------------------------------

def facility_map(facilities: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Facilities on a world map: colour = country, size ~ capacity relative to the largest
    facility of the same stage (capacities of different stages have different units)."""
    located = facilities.dropna(subset=["lat", "lon"])
    fig = go.Figure()
    capacity = located["capacity"].astype(float)
    stage_max = capacity.groupby(located["stage"]).transform("max")
    size = (8 + 16 * np.sqrt((capacity / stage_max).fillna(0.0))).to_numpy()
    for country, part in located.groupby("country", sort=True):
        idx = located.index.get_indexer(part.index)
        fig.add_scattergeo(
            lat=part["lat"], lon=part["lon"], name=country, mode="markers",
            marker=dict(color=country_color(country), size=size[idx], opacity=0.85,
                        line=dict(color="white", width=0.8)),
            customdata=np.stack([part["name"], part["stage"].map(stage_label), part["owner"].fillna("?"),
                                 part["capacity"].map(lambda v: "unknown" if pd.isna(v) else f"{v:,.0f}"),
                                 part["unit"].fillna(""), part["status"]], axis=-1),
            hovertemplate=("<b>%{customdata[0]}</b><br>%{customdata[1]} · " + country
                           + "<br>owner %{customdata[2]}<br>capacity %{customdata[3]} %{customdata[4]}"
                           "<br>%{customdata[5]}<extra></extra>"),
        )
    fig.update_geos(projection_type="natural earth", showcountries=True, countrycolor="#b0b7c3",
                    showland=True, landcolor="#f3f4f6", showocean=True, oceancolor="#eaf2fb",
                    showframe=False, coastlinecolor="#9ca3af", lataxis_range=[-50, 75])
    fig.update_layout(legend_title_text="Country (location)")
    _layout(fig, title, height=520)
    fig.update_layout(margin=dict(l=0, r=0, t=50 if title else 10, b=0))
    return fig


# --- Tier-N tree ------------------------------------------------------------------------

def tier_tree_figure(tree: pd.DataFrame, title: str | None = None) -> go.Figure:
    """The upstream tree of a facility as an icicle: the facility at the root, each supplier
    below its customer, width = the share of the root's supply passing that way.

    ``tree`` has columns ``node`` (unique path id), ``parent``, ``label``, ``country``,
    ``share`` (0..1 of the root's supply).
    """
    fig = go.Figure(go.Icicle(
        ids=tree["node"], parents=tree["parent"], labels=tree["label"],
        # "remainder": a box is its untraced part plus its children, so float sums of the
        # children can never exceed the parent (which makes plotly drop a "total" branch)
        values=tree["untraced"] * 100, branchvalues="remainder",
        marker=dict(colors=[country_color(c) for c in tree["country"]],
                    line=dict(color="white", width=1)),
        tiling=dict(orientation="v"), sort=False,
        customdata=tree["share"] * 100,  # the box's whole share (value is its own remainder)
        hovertemplate="%{label}<br>%{customdata:.1f}% of the facility's supply<extra></extra>",
        texttemplate="%{label}<br>%{customdata:.1f}%",
    ))
    _layout(fig, title, height=520)
    fig.update_layout(margin=dict(l=0, r=0, t=50 if title else 10, b=0))
    return fig


# --- scenario supply curves -------------------------------------------------------------

def supply_curves_figure(curves: pd.DataFrame, marks: pd.DataFrame | None = None,
                         title: str | None = None) -> go.Figure:
    """Monthly supply (% of normal) per sink, coloured by the sink's country.

    ``curves``: columns ``id``, ``name``, ``country``, ``month``, ``supply`` (fraction).
    ``marks``: optional columns ``id``, ``tts_months``, ``ttr_months`` (months; NaN = none).
    Sinks of one country share its colour and differ by dash.
    """
    fig = go.Figure()
    dashes = ["solid", "dash", "dot", "dashdot", "longdash", "longdashdot"]
    seen: dict[str, int] = {}
    marks = marks.set_index("id") if marks is not None and len(marks) else None
    for sink, part in curves.groupby("id", sort=False):
        part = part.sort_values("month")
        country = part["country"].iloc[0]
        color = country_color(country)
        dash = dashes[seen.get(country, 0) % len(dashes)]
        seen[country] = seen.get(country, 0) + 1
        name = f"{part['name'].iloc[0]} ({country})"
        fig.add_scatter(x=part["month"], y=part["supply"] * 100, mode="lines", name=name,
                        legendgroup=sink, line=dict(color=color, width=2.5, dash=dash, shape="hv"),
                        hovertemplate=f"<b>{name}</b><br>month %{{x}}: %{{y:.1f}}% of normal supply"
                                      "<extra></extra>")
        if marks is not None and sink in marks.index:
            for column, symbol, what in (("tts_months", "triangle-down", "time to survive"),
                                         ("ttr_months", "circle", "time to recover")):
                month = marks.at[sink, column] if column in marks.columns else np.nan
                if pd.notna(month):
                    level = np.interp(month, part["month"], part["supply"] * 100)
                    fig.add_scatter(x=[month], y=[level], mode="markers", legendgroup=sink,
                                    showlegend=False,
                                    marker=dict(symbol=symbol, size=12, color=color,
                                                line=dict(color="black", width=1)),
                                    hovertemplate=f"<b>{name}</b><br>{what}: "
                                                  f"{month:g} months<extra></extra>")
    fig.add_hline(y=99, line=dict(color="#6b7280", width=1, dash="dot"),
                  annotation_text="99% = recovered", annotation_position="bottom right")
    fig.update_layout(
        xaxis=dict(title="Months after the shock starts", gridcolor="#e5e7eb", zeroline=False),
        yaxis=dict(title="Supply (% of normal)", range=[0, 105], ticksuffix="%", gridcolor="#e5e7eb"),
    )
    _layout(fig, title, height=520)
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.18, x=0,
                                  title_text="Sink (country) · ▼ time to survive · ● time to recover"))
    return fig


def _short(text: str, limit: int = 48) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def share_bars_figure(frame: pd.DataFrame, y: str, x: str, color_by: str, *, x_title: str,
                      title: str | None = None, threshold: float | None = None,
                      legend_title: str = "Country") -> go.Figure:
    """Horizontal bars of a share (0..1) per row, top to bottom in the frame's order, each
    coloured by the country in ``color_by`` with a legend of those countries (long labels are
    shortened; hover shows them).

    The label at each bar's end never rounds onto 0%, 100% or the threshold unless the value
    is on it (:func:`app_support.formatting.share_text`): a bar that fails a 100% rule never
    reads 100%.
    """
    labels = [_short(str(v)) for v in frame[y]]
    boundaries = (0.0, 1.0) + ((threshold,) if threshold is not None else ())
    texts = [share_text(v, boundaries=boundaries) for v in frame[x]]
    fig = go.Figure()
    colours = frame[color_by].to_numpy()
    # one trace per country, so the legend's swatches are the countries' own colours
    for country in dict.fromkeys(colours):
        rows = np.flatnonzero(colours == country)
        fig.add_bar(y=[labels[i] for i in rows], x=frame[x].to_numpy()[rows] * 100,
                    orientation="h", name=str(country),
                    hovertext=frame[y].to_numpy()[rows], text=[texts[i] for i in rows],
                    marker_color=country_color(country), textposition="outside", cliponaxis=False,
                    hovertemplate="%{hovertext}: %{x:.1f}%<extra>" + str(country) + "</extra>")
    if threshold is not None:
        fig.add_vline(x=threshold * 100, line=dict(color="#b91c1c", dash="dash"),
                      annotation_text=f"{share_text(threshold)} threshold",
                      annotation_position="top")
    fig.update_layout(xaxis=dict(title=x_title, range=[0, 112], ticksuffix="%", gridcolor="#e5e7eb"),
                      yaxis=dict(title=None, autorange="reversed", categoryorder="array",
                                 categoryarray=labels), barmode="overlay", showlegend=True)
    _layout(fig, title, height=max(300, 30 * len(frame) + 120))
    fig.update_layout(legend=dict(title_text=legend_title, traceorder="normal"))
    return fig


# --- concentration and exposure ---------------------------------------------------------

def hhi_figure(table: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Herfindahl-Hirschman index by country per stage (0..10,000), bar coloured by the
    stage's largest country, with the usual 1,500 / 2,500 concentration thresholds."""
    labels = [stage_label(s) for s in table["stage"]]
    fig = go.Figure(go.Bar(
        x=labels, y=table["hhi_country"], marker_color=[country_color(c) for c in table["top_country"]],
        text=[f"{v:,.0f}" if v == v else "" for v in table["hhi_country"]], textposition="outside",
        customdata=np.stack([table["top_country"].fillna("?"), table["top_country_share"] * 100],
                            axis=-1),
        hovertemplate="%{x}: HHI %{y:,.0f}<br>largest: %{customdata[0]} "
                      "(%{customdata[1]:.0f}%)<extra></extra>",
    ))
    # The threshold labels sit in the right margin, beside their lines: inside the plot they
    # would print over the bars of the last stages.
    # The lines are close (1,000 of 11,000): the upper label sits above its line, the lower
    # one below its line, so the two never touch.
    for level, text, anchor in ((1500, "moderately<br>concentrated", "top"),
                                (2500, "highly<br>concentrated", "bottom")):
        fig.add_hline(y=level, line=dict(color="#6b7280", dash="dot", width=1))
        fig.add_annotation(x=1.0, xref="paper", xanchor="left", y=level, yref="y",
                           yanchor=anchor, showarrow=False, align="left",
                           text=f"{level:,}: {text}", font=dict(size=12, color="#4b5563"))
    fig.update_layout(yaxis=dict(title="HHI by country (0-10,000)", range=[0, 11000],
                                 gridcolor="#e5e7eb"),
                      xaxis=dict(title=None), showlegend=False)
    _layout(fig, title, height=400)
    fig.update_layout(margin=dict(r=150))
    return fig


def origin_mix_figure(matrix: pd.DataFrame, focus: str | None = None,
                      title: str | None = None, x_title: str = "Share of supply (%)") -> go.Figure:
    """Stacked horizontal bars: per facility (row), the share of its supply by origin country.

    ``matrix``: columns ``name`` and ``country`` (the facility's own), one column per origin
    country (fractions), optional ``unknown_control`` and ``unknown``. Rows are sorted by
    the ``focus`` country's share when given.
    """
    meta = {"id", "name", "stage", "country", "unknown", "unknown_control"}
    origins = [c for c in matrix.columns if c not in meta]
    frame = matrix.copy()
    if focus in origins:
        frame = frame.sort_values(focus, ascending=True)
    frame["label"] = [f"{n} ({c})" for n, c in zip(frame["name"], frame["country"])]
    order = sorted(origins, key=lambda c: (c != focus, -frame[c].sum()))
    fig = go.Figure()
    for origin in order:
        if frame[origin].sum() <= 0:
            continue
        fig.add_bar(y=frame["label"], x=frame[origin] * 100, name=origin, orientation="h",
                    marker_color=country_color(origin),
                    hovertemplate="%{y}<br>" + origin + ": %{x:.1f}%<extra></extra>")
    for bucket, label, color in (("unknown_control", "control unknown", "#9ca3af"),
                                 ("unknown", "not traced to the stage", "#e5e7eb")):
        if bucket in frame and frame[bucket].sum() > 0:
            fig.add_bar(y=frame["label"], x=frame[bucket] * 100, name=label, orientation="h",
                        marker=dict(color=color, pattern=dict(shape=".", fgcolor="#6b7280")),
                        hovertemplate="%{y}<br>" + label + ": %{x:.1f}%<extra></extra>")
    fig.update_layout(barmode="stack", xaxis=dict(title=x_title, range=[0, 100], ticksuffix="%",
                                                  gridcolor="#e5e7eb"),
                      yaxis=dict(title=None), legend=dict(title_text="Origin country",
                                                          traceorder="normal"))
    return _layout(fig, title, height=max(360, 24 * len(frame) + 140))


__all__ = ["sankey_figure", "sankey_frames", "facility_map",
           "tier_tree_figure", "supply_curves_figure", "share_bars_figure", "stage_label",
           "hhi_figure", "origin_mix_figure",
]
