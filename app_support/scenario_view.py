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


def most_affected(result, count: int, *others) -> list[str]:
    """Up to ``count`` sinks that fall short, lowest minimum supply first (then the largest
    lost volume); the first three sinks when none falls short.

    With ``others`` (more results of the same network), a sink ranks by its worst value in
    any of them, so a comparison plots the sinks hit in either scenario.
    """
    frames = [r.sinks[["id", "min_supply", "lost_volume"]] for r in (result, *others)]
    worst = pd.concat(frames).groupby("id", sort=False).agg(
        min_supply=("min_supply", "min"), lost_volume=("lost_volume", "max")).reset_index()
    ranked = worst.sort_values(["min_supply", "lost_volume"], ascending=[True, False], kind="stable")
    short = ranked[ranked["min_supply"] < 1 - 1e-9]
    return list((short if len(short) else ranked)["id"].head(count if len(short) else 3))

def scenario_from_yaml(content: bytes, file: str):
    """A scenario read from an uploaded YAML file's bytes, validated as ``tiern scenario`` does.

    Raises :class:`graphmodel.scenarios.ScenarioFileError` naming ``file`` and, for YAML
    syntax errors, the line; for invalid fields, each field's path and what is wrong with it.
    """
    from graphmodel.safe_yaml import YamlProblem, load_yaml
    from graphmodel.scenarios import ScenarioFileError, parse_scenario

    try:
        data = load_yaml(content, file)
    except YamlProblem as problem:
        raise ScenarioFileError(file, [(f"line {problem.line}" if problem.line else "",
                                        problem.message)]) from None
    return parse_scenario(data, file)


def _month(value) -> str:
    """``month 3`` for a month index, ``none`` for a missing one (never a ``None`` cell)."""
    return "none" if value is None or pd.isna(value) else f"month {int(value)}"


def sinks_table(result) -> pd.DataFrame:
    """The result's sink table for display: ``tts_months`` and ``ttr_months`` as text, so
    that no cell reads "None": the first short month or "never short", the recovery month,
    "not within the horizon" (short and not recovered) or "-" (never short)."""
    table = result.sinks.copy()
    short = table["tts_months"].notna()
    table["tts_months"] = [_month(v) if s else "never short"
                           for v, s in zip(table["tts_months"], short)]
    table["ttr_months"] = [_month(v) if not pd.isna(v) else
                           ("not within the horizon" if s else "-")
                           for v, s in zip(table["ttr_months"], short)]
    return table


def monte_carlo_table(summary: pd.DataFrame) -> pd.DataFrame:
    """The Monte Carlo summary for display: ``tts_months_mean`` (over the runs in which the
    sink falls short) as text, "never short" where no run falls short."""
    table = summary.copy()
    if "tts_months_mean" in table:
        table["tts_months_mean"] = ["never short" if pd.isna(v) else f"{v:.1f}"
                                    for v in table["tts_months_mean"]]
    return table


def _recovery(metrics: dict) -> str:
    """The last recovery month as text: "not within the horizon" when sinks fall short but
    none recovers, "none" when no sink falls short (as the page's own metric reads)."""
    if metrics["ttr"] is not None:
        return f"month {metrics['ttr']}"
    return "not within the horizon" if metrics["tts"] is not None else "none"


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def summary_metrics(result) -> dict:
    """The headline numbers of a scenario result, as shown above its charts.

    - ``worst``: the lowest monthly supply of any sink (fraction of normal, 1 = unaffected);
    - ``short`` / ``sinks``: sinks whose minimum supply falls below normal (by more than 1e-9)
      and all sinks;
    - ``tts``: the first month any sink's supply drops (None when none does);
    - ``ttr``: the month from which every recovered sink stays at >= 99% (None when no sink
      recovers within the horizon or none fell short);
    - ``lost``: volume lost over the horizon summed over sinks (sinks' demand units, t of
      magnet equivalent in the bundled data).
    """
    sinks = result.sinks
    tts = sinks["tts_months"].dropna()
    ttr = sinks["ttr_months"].dropna()
    return {"worst": float(sinks["min_supply"].min()) if len(sinks) else 1.0,
            "short": int((sinks["min_supply"] < 1 - 1e-9).sum()), "sinks": len(sinks),
            "tts": int(tts.min()) if len(tts) else None,
            "ttr": int(ttr.max()) if len(ttr) else None,
            "lost": float(sinks["lost_volume"].sum())}


def compare_summary(a, b) -> pd.DataFrame:
    """Scenario A against B, one row per headline number: columns ``measure``, ``A``, ``B``,
    ``B - A`` (all text, so missing months read "none", never ``None``)."""
    ma, mb = summary_metrics(a), summary_metrics(b)

    def months(x, y):
        if x is None or y is None:
            return "n/a" if x is None and y is None else "only " + ("B" if x is None else "A")
        return f"{y - x:+d} months"

    return pd.DataFrame([
        ("Worst-hit sink: lowest supply", _pct(ma["worst"]), _pct(mb["worst"]),
         f"{(mb['worst'] - ma['worst']) * 100:+.1f} pts"),
        ("Sinks short of supply", f"{ma['short']} of {ma['sinks']}", f"{mb['short']} of {mb['sinks']}",
         f"{mb['short'] - ma['short']:+d}"),
        ("First shortfall (TTS)", _month(ma["tts"]), _month(mb["tts"]), months(ma["tts"], mb["tts"])),
        ("Last recovery (TTR)", _recovery(ma), _recovery(mb), months(ma["ttr"], mb["ttr"])),
        ("Volume lost over the horizon", f"{ma['lost']:,.0f}", f"{mb['lost']:,.0f}",
         f"{mb['lost'] - ma['lost']:+,.0f}"),
    ], columns=["measure", "A", "B", "B - A"])


def difference_table(a, b) -> pd.DataFrame:
    """Per sink, A against B: lowest supply in each (fractions) and the change (B - A, in
    percentage points), volume
    lost in each and the change, first short month in each (text, "none" when never short).

    Sinks present in only one result are left out; the rows are sorted by the largest change
    in lowest supply first, then by the change in lost volume.
    """
    left = a.sinks.set_index("id")
    right = b.sinks.set_index("id")
    ids = [i for i in left.index if i in right.index]
    left, right = left.loc[ids], right.loc[ids]
    table = pd.DataFrame({
        "id": ids, "sink": left["name"].to_numpy(),
        "lowest supply A": left["min_supply"].to_numpy(dtype=float),
        "lowest supply B": right["min_supply"].to_numpy(dtype=float),
        "lost A": left["lost_volume"].to_numpy(dtype=float),
        "lost B": right["lost_volume"].to_numpy(dtype=float),
        "first short A": [_month(v) for v in left["tts_months"]],
        "first short B": [_month(v) for v in right["tts_months"]],
    })
    table.insert(4, "change (pts)", (table["lowest supply B"] - table["lowest supply A"]) * 100)
    table.insert(7, "lost change", table["lost B"] - table["lost A"])
    return table.sort_values(["change (pts)", "lost change"], key=lambda s: -s.abs(),
                             kind="stable").reset_index(drop=True)
