"""Widgets whose value is mirrored in the URL (``st.query_params``), so a view can be bookmarked,
plus small shared pieces of page furniture."""
from __future__ import annotations

import streamlit as st

from graphmodel import Network

from .formatting import share_text


def _key(param: str) -> str:
    return f"qp:{param}"


def _sync(param: str, value) -> None:
    """Write a widget's value to the URL; empty values are removed from it."""
    if value in (None, "", [], ()):
        if param in st.query_params:
            del st.query_params[param]
    elif isinstance(value, (list, tuple)):
        st.query_params[param] = [str(v) for v in value]
    else:
        st.query_params[param] = str(value)


def url_multiselect(label: str, options: list, param: str, **kwargs) -> list:
    """A multiselect initialised from ``?param=a&param=b`` and written back to the URL."""
    key = _key(param)
    chosen = st.session_state[key] if key in st.session_state else st.query_params.get_all(param)
    st.session_state[key] = [v for v in chosen if v in options]  # options change with the dataset
    value = st.multiselect(label, options, key=key, **kwargs)
    _sync(param, value)
    return value


def url_selectbox(label: str, options: list, param: str, default=None, **kwargs):
    """A selectbox initialised from ``?param=value`` and written back to the URL."""
    key = _key(param)
    current = st.session_state.get(key)
    if current not in options:
        wanted = st.query_params.get(param, default)
        current = wanted if wanted in options else (
            default if default in options else (options[0] if options else None))
    # Re-assigned on every run: the same parameter on another page is another widget, which
    # would otherwise start from its first option.
    st.session_state[key] = current
    value = st.selectbox(label, options, key=key, **kwargs)
    _sync(param, value)
    return value


def url_text(label: str, param: str, **kwargs) -> str:
    key = _key(param)
    st.session_state[key] = st.session_state.get(key, st.query_params.get(param, ""))
    value = st.text_input(label, key=key, **kwargs)
    _sync(param, value)
    return value


def url_value(widget, label: str, param: str, default, parse, **kwargs):
    """A single-value widget (slider, number input, toggle, radio) whose value is
    initialised from ``?param=...`` and written back to the URL when it differs from
    ``default`` (so links stay short). The widget's session key is ``param`` itself.

    ``parse`` turns the URL's text into a valid value (clamped to the widget's range); a
    value it rejects with ``ValueError`` falls back to ``default``.
    """
    if param not in st.session_state:
        raw = st.query_params.get(param)
        try:
            st.session_state[param] = default if raw is None else parse(raw)
        except ValueError:
            st.session_state[param] = default
    value = widget(label, key=param, **kwargs)
    _sync(param, None if value == default else value)
    return value


def clamped(low: float, high: float, cast=float):
    """A ``parse`` for :func:`url_value`: the number in the URL, kept within [low, high]."""
    return lambda text: cast(min(max(cast(float(text)), low), high))


def flag(text: str) -> bool:
    """A ``parse`` for :func:`url_value`: "true"/"1"/"yes" (any case) is True, else False."""
    return text.strip().lower() in ("true", "1", "yes")


def one_of(*options):
    """A ``parse`` for :func:`url_value`: the URL's text if it is one of ``options``."""
    def parse(text: str):
        if text not in options:
            raise ValueError(text)
        return text
    return parse


#: plotly.js options for every chart: map outlines from the app's own static folder (offline).
PLOTLY_CONFIG = {"topojsonURL": "app/static/topojson/", "displaylogo": False,
                 "toImageButtonOptions": {"format": "png", "scale": 2}}


def chart(fig, **kwargs) -> None:
    """Show a plotly figure full width with tiern's plotly options."""
    st.plotly_chart(fig, width="stretch", config=PLOTLY_CONFIG, **kwargs)


def dataset_caption(net: Network) -> None:
    meta = net.meta
    year = f"data year {meta['data_year']}" if meta["data_year"] else "data year unknown"
    version = f" version {meta['version']}" if meta["version"] else ""
    st.caption(f"Dataset **{net.name}**{version} · {meta['facilities']} facilities · {meta['links']} links · "
               f"{year} · hash `{meta['hash']}`")


def percent(value: float, digits: int = 0) -> str:
    """A share as a percentage for a metric (never rounded onto 0% or 100%; see share_text)."""
    return share_text(value, digits)
