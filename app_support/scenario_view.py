"""Scenario helpers for the app: build a scenario from the builder's fields, write it as YAML,
reshape results for the charts (pure functions, no ``st.*``)."""
from __future__ import annotations

import pandas as pd

from graphmodel.safe_yaml import dump_yaml


def builder_scenario(*, name: str, horizon: int, shock_type: str, countries=(), country_basis="location",
                     owners=(), facilities=(), stages=(), materials=(), severity: float = 1.0,
                     start: float = 0.0, duration: float | None = None, inventory: bool = True,
                     reroute: bool = True, qualification_months: float | None = None,
                     reroute_lead_months: float = 0.0) -> dict:
    """A scenario (plain data, as in a YAML file) with one shock from the builder's fields.

    Empty filters are left out; ``duration`` None lasts to the horizon. The result still
    has to pass :func:`graphmodel.scenarios.parse_scenario` (e.g. it needs one filter).
    """
    select = {"id": list(facilities), "stage": list(stages), "country": list(countries),
              "owner": list(owners), "material": list(materials)}
    select = {key: value for key, value in select.items() if value}
    if countries and country_basis != "location":
        select["country_basis"] = country_basis
    shock = {"type": shock_type, "select": select, "capacity_loss": float(severity),
             "start_month": float(start), "duration_months": None if duration is None else float(duration)}
    responses = {"inventory": bool(inventory), "reroute": bool(reroute)}
    if qualification_months is not None:
        responses["qualification_months"] = float(qualification_months)
    if reroute_lead_months:
        responses["reroute_lead_months"] = float(reroute_lead_months)
    return {"name": name, "horizon_months": int(horizon), "shocks": [shock], "responses": responses}


def scenario_yaml(scenario) -> str:
    """A parsed scenario as YAML text a user can save, edit and load with ``tiern scenario``."""
    data = scenario.model_dump(mode="json", exclude_defaults=True, exclude_none=True)
    data = {"name": scenario.name, **{k: v for k, v in data.items() if k != "name"}}
    return dump_yaml(data, sort_keys=False, allow_unicode=True)  # no aliases: load_scenario refuses them


def curves(result, sinks: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Long monthly supply per sink (``id, name, country, month, supply``) and the TTS/TTR marks,
    for the sinks given (default: every sink)."""
    table = result.sinks.set_index("id")
    wanted = [s for s in (sinks if sinks is not None else list(table.index)) if s in table.index]
    long = result.months.melt(id_vars="month", value_vars=wanted, var_name="id", value_name="supply")
    long["name"] = long["id"].map(table["name"])
    long["country"] = long["id"].map(table["country"])
    marks = table.loc[wanted, ["tts_months", "ttr_months"]].astype("Float64").astype(float)
    return long, marks.reset_index()


def most_affected(result, count: int) -> list[str]:
    """Up to ``count`` sinks that fall short, lowest minimum supply first (then the largest
    lost volume); the first three sinks when none falls short."""
    ranked = result.sinks.sort_values(["min_supply", "lost_volume"], ascending=[True, False])
    short = ranked[ranked["min_supply"] < 1 - 1e-9]
    return list((short if len(short) else ranked)["id"].head(count if len(short) else 3))
