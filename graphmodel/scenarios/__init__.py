"""Time-phased disruption scenarios: YAML model, selectors, engine, Monte Carlo, REI ranking.

>>> from graphmodel.examples import load_golden
>>> from graphmodel.scenarios import parse_scenario, run_scenario
>>> scenario = parse_scenario({"name": "CN mine out", "horizon_months": 6,
...     "shocks": [{"select": {"id": "mine_cn"}, "duration_months": 3}]})
>>> result = run_scenario(load_golden(), scenario, reroute=False, inventory=False)
>>> round(float(result.sinks.set_index("id").at["oem_def", "min_supply"]), 3)
0.482
"""
from .run import ScenarioResult, run_scenario, time_to_recover, time_to_survive
from .model import (DAYS_PER_MONTH, Distribution, Scenario, ScenarioFileError, Selector, Shock,
                    load_scenario, parse_scenario)

__all__ = [
    "Scenario", "Shock", "Selector", "Distribution", "ScenarioFileError", "ScenarioResult",
    "load_scenario", "parse_scenario", "run_scenario", "time_to_survive", "time_to_recover",
    "DAYS_PER_MONTH",
]
