"""One colour per country and per stage, shared by every chart (app, reports)."""
from __future__ import annotations

import plotly.express as px

#: Fixed colours for the countries that dominate the rare-earth chain; others cycle a palette.
COUNTRY_COLORS: dict[str, str] = {
    "CN": "#d62728", "US": "#1f77b4", "AU": "#2ca02c", "MM": "#8c564b", "MY": "#ff7f0e",
    "JP": "#9467bd", "DE": "#7f7f7f", "FR": "#17becf", "EE": "#bcbd22", "GB": "#393b79",
    "KR": "#e377c2", "VN": "#637939", "LA": "#8c6d31", "BR": "#31a354", "CA": "#e6550d",
    "IN": "#756bb1", "TH": "#636363", "RU": "#843c39",
}
_OTHERS = px.colors.qualitative.Pastel + px.colors.qualitative.Set3
UNKNOWN_COLOR = "#c7c7c7"

STAGE_COLORS: dict[str, str] = dict(zip(
    ["mine", "concentrator", "mrec", "separator", "metal", "alloy", "magnet", "motor", "oem",
     "recycler"], px.colors.qualitative.Safe))


def country_color(code) -> str:
    """The colour of a country code; grey for unknown/missing; stable for any other code."""
    if not isinstance(code, str) or not code:
        return UNKNOWN_COLOR
    if code in COUNTRY_COLORS:
        return COUNTRY_COLORS[code]
    return _OTHERS[sum(map(ord, code)) % len(_OTHERS)]


def country_color_map(codes) -> dict[str, str]:
    """``{code: colour}`` for plotly's ``color_discrete_map``."""
    return {code: country_color(code) for code in codes}
