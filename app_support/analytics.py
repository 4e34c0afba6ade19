"""Cached wrappers around the analytics, keyed by the dataset's content hash.

Each cached function takes the network as ``_net`` (not hashed by Streamlit) and its
``net.hash`` as ``dataset``, so two datasets never share a result and one dataset's
results are computed once per process. Pages call the public wrappers below.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Callable

import pandas as pd
import streamlit as st

from graphmodel import Network
from graphmodel.compliance import evaluate, load_rules, remediation_table, select_rules
from graphmodel.scenarios import parse_scenario, run_scenario
from graphmodel.summary import summary_by_stage_country

from .explore import downstream_customers, upstream_tree
from .figures import facility_map as facility_map_figure
from .figures import sankey_figure

CACHE = dict(show_spinner=False, max_entries=256)
#: Figures are kept as objects (``st.cache_resource``), not copied out of a pickle on every
#: rerun as ``st.cache_data`` does: unpickling a plotly figure re-validates it (60-90 ms for
#: the Sankey or the map), paid on each widget change. Pages only draw them, never change them.
FIGURE_CACHE = dict(show_spinner=False, max_entries=256)


@st.cache_data(**CACHE)
def _summary(_net: Network, dataset: str) -> pd.DataFrame:
    return summary_by_stage_country(_net)


def summary(net: Network) -> pd.DataFrame:
    """Facilities and operating capacity by stage and country (see graphmodel.summary)."""
    return _summary(net, net.hash)


@st.cache_data(**CACHE)
def _upstream(_net: Network, dataset: str, facility_id: str, max_tiers: int,
              min_share: float) -> pd.DataFrame:
    return upstream_tree(_net, facility_id, max_tiers=max_tiers, min_share=min_share)


def upstream(net: Network, facility_id: str, max_tiers: int = 10,
             min_share: float = 0.005) -> pd.DataFrame:
    return _upstream(net, net.hash, facility_id, max_tiers, min_share)


@st.cache_data(**CACHE)
def _downstream(_net: Network, dataset: str, facility_id: str) -> pd.DataFrame:
    return downstream_customers(_net, facility_id)


def downstream(net: Network, facility_id: str) -> pd.DataFrame:
    return _downstream(net, net.hash, facility_id)


@st.cache_resource(**FIGURE_CACHE)
def _sankey(_net: Network, dataset: str):
    return sankey_figure(_net)


def sankey(net: Network):
    """The overview Sankey (cached per dataset)."""
    return _sankey(net, net.hash)


@st.cache_resource(**FIGURE_CACHE)
def _facility_map(_net: Network, dataset: str):
    return facility_map_figure(_net.facilities)


def facility_map(net: Network):
    """The world map of every facility (cached per dataset)."""
    return _facility_map(net, net.hash)


@st.cache_data(**CACHE)
def _compute(_net: Network, dataset: str, _function: Callable, name: str, arguments: tuple):
    return _function(_net, **dict(arguments))


def compute(net: Network, function: Callable, **arguments):
    """``function(net, **arguments)`` for an analytic of :mod:`graphmodel`, cached per dataset,
    function and arguments.

    Arguments must be hashable (use tuples, not lists). Errors are not cached: a
    :class:`graphmodel.errors.TiernError` reaches the page, which shows it.
    """
    # the function itself is not hashed (``_function``); its qualified name keys the cache
    name = f"{function.__module__}.{function.__qualname__}"
    return _compute(net, net.hash, function, name, tuple(sorted(arguments.items())))


@st.cache_resource(**FIGURE_CACHE)
def _figure(_build, dataset: str, name: str, arguments: tuple):
    return _build()


def figure(net: Network, name: str, build, **arguments):
    """``build()`` (a figure), cached per dataset, ``name`` and ``arguments``.

    ``arguments`` must name everything ``build`` depends on besides the dataset: plotly
    figures take a noticeable time to construct, and pages redraw them on every rerun.
    """
    return _figure(build, net.hash, name, tuple(sorted(arguments.items())))


@st.cache_data(**CACHE)
def _scenario_result(_net: Network, dataset: str, scenario_json: str, reroute, inventory):
    scenario = parse_scenario(json.loads(scenario_json))
    return run_scenario(_net, scenario, reroute=reroute, inventory=inventory)


def scenario_result(net: Network, scenario, reroute: bool | None = None,
                    inventory: bool | None = None):
    """:func:`graphmodel.scenarios.run_scenario`, cached per dataset and scenario content."""
    text = json.dumps(scenario.model_dump(mode="json"), sort_keys=True)
    return _scenario_result(net, net.hash, text, reroute, inventory)


@st.cache_data(**CACHE)
def _backtest(_net: Network, dataset: str, scenario_json: str):
    from graphmodel.backtest import run_backtest

    scenario = parse_scenario(json.loads(scenario_json))
    return run_backtest(_net, scenario, scenario.name)


def backtest(net: Network, scenario):
    """:func:`graphmodel.backtest.run_backtest` of a scenario with an ``observed:`` block,
    cached per dataset and scenario content."""
    text = json.dumps(scenario.model_dump(mode="json"), sort_keys=True)
    return _backtest(net, net.hash, text)


@st.cache_data(**CACHE)
def _responses(_net: Network, dataset: str, scenario_json: str, stoppages_json: str):
    from graphmodel.backtest import response_table

    scenario = parse_scenario(json.loads(scenario_json))
    rows = json.loads(stoppages_json)
    return response_table(_net, scenario, pd.DataFrame(rows) if rows else None)


def responses(net: Network, scenario, stoppages: pd.DataFrame) -> pd.DataFrame:
    """:func:`graphmodel.backtest.response_table` (simulated against optimal), cached."""
    text = json.dumps(scenario.model_dump(mode="json"), sort_keys=True)
    return _responses(net, net.hash, text, stoppages[["company", "sink"]].to_json(orient="records"))


@st.cache_data(**CACHE)
def _compliance(_net: Network, dataset: str, rule: str, as_of: str, all_sinks: bool):
    day = dt.date.fromisoformat(as_of)
    chosen = select_rules(load_rules(None), rule, day)
    table = evaluate(_net, chosen, as_of=day, all_sinks=all_sinks)
    try:
        fixes = remediation_table(_net, chosen, all_sinks=all_sinks)
    except Exception:  # noqa: BLE001 (only sourcing rules have remediations; RuleError otherwise)
        fixes = None
    return table, fixes


def compliance(net: Network, rule: str, as_of, all_sinks: bool = False):
    """(verdicts, remediations or None) of one rule on ``as_of`` (see graphmodel.compliance)."""
    return _compliance(net, net.hash, rule, as_of.isoformat(), all_sinks)
