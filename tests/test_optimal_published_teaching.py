"""Published case: a teaching case of Simchi-Levi's TTR and TTS models (single tier).

Source
------
Course materials "Supply Chain Analytics", session 11 "Disruption Management",
https://github.com/acedesci/scanalytics (Pyomo + GLPK notebooks modelled on Simchi-Levi et
al., *Interfaces* 45(5), 2015). Two problems (three data sets), inputs and outputs published:

* **Problem 1** (3 suppliers, 2 products, TTR 2 for every scenario): inputs in
  ``EN/S11_Disruption_Management/inputParameters_Prob1.csv`` and
  ``inputScenarios_Prob1.csv``; results in ``EN/S11_Disruption_Management/
  S11_Module11A_Disruption_Risk_Analytics.ipynb`` (commit 9048888, 17 April 2026)
  and in the course's online book, https://github.com/acedesci/scanalytics_cases,
  ``_sources/docs/Case3_1_Disruption_Risk_Analytics.ipynb`` (commit b4cbcfe, 5 October
  2024): the TTR table (disruption cost, lost units) and the TTS table (three decimals).
* **Problem 2, configuration A** (5 plants, 8 vehicles, 21 scenarios with TTR 2..5):
  inputs in ``inputParameters_Prob2.csv`` and ``inputScenarios_Prob2_Config_A.csv``;
  results (disruption cost and lost units per scenario, one decimal) in
  ``EN/S11_Disruption_Management/DT_S11_Module1A_Disruption_Cost_Script.ipynb``, commit
  c0753744213bfa660016304174314b3af2999d50 (3 January 2023), cell 17.
* **Problem 2, configuration B** (15 links): inputs in ``inputScenarios_Prob2_Config_B.csv``
  (the same parameters); disruption cost per scenario (one decimal; the lost-units column
  is elided in the printout) in ``S11_disruption_management/
  S11_Module1A_Disruption_Cost_Script.ipynb``, commit
  b84928de5c7df73ceaa3e9b3cd8b3b6b7af4250d (29 March 2020), cell 9. The TTS table of that
  notebook (cell 11) is not used: its capacity row reads ``c_i t^(n)`` with the scenario's
  TTR instead of the variable ``t`` (so a network with no disruption "survives" 3.4
  periods); that is another model than Simchi-Levi's TTS, and tiern does not reproduce it.

The model (cells "Block 3"): suppliers ``i`` make products ``j`` on active links
(``alpha_ij = 1`` in the scenario), capacity shared by the supplier's products::

    TTR:  min sum_j f_j l_j   s.t.  sum_i alpha_ij y_ij + l_j >= d_j t - s_j,
                                   sum_j alpha_ij y_ij <= c_i t
    TTS:  max t              s.t.  sum_i alpha_ij y_ij >= d_j t - s_j,  same capacity

with ``f_j`` the loss per unit of product ``j`` ("Loss"), ``s_j`` its inventory, ``d_j``
its demand and ``c_i`` the supplier's capacity per period, all continuous.

How it maps onto tiern's optimal response
-----------------------------------------
One period is one month. Supplier ``i`` is a plant (capacity ``12 c_i`` per year) with
one output per product it is linked to (so its capacity is shared); product ``j`` is a
market (the sink, ``inventory_days = 30 s_j / d_j``) fed through a converter ``j_value``
that measures the product in thousands of currency units of loss (recipe ``per_unit =
1000 / f_j``, capacity never binding): tiern's least loss weighs each sink by its
inbound volume, so the least loss is then the least disruption cost; ``demand.csv``
keeps the markets' demand in units, so ``lost_volume`` is in units. The baseline volumes
are a feasible point of the undisrupted network (every product served, every supplier
within its capacity, so tiern's capacity is ``c_i``); the optimum does not depend on which
point, as every link may carry any volume (no ``link_flex``). A scenario's
inactive links are link shocks (``to:`` the product's converter) over the whole horizon;
the horizon is the TTR for the TTR model, and 12 months for TTS. Scenarios that
disrupt nothing (Scenario_0 of each data set, Scenario_17 of 2A) are left out, as
tiern's scenarios need a shock: their published loss is 0 (problem 1's TTS "999" is the
notebook's cap for unbounded).
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linprog

from graphmodel.build import network_from_records
from graphmodel.scenarios import parse_scenario
from graphmodel.scenarios.optimal import run_optimal

PROBLEM_1 = {
    "capacity": {"S1": 30, "S2": 45, "S3": 60},
    # product: demand per period, inventory, loss per unit
    "products": {"P1": (75, 20, 5000), "P2": (50, 25, 6500)},
    "links": [(i, j) for i in ("S1", "S2", "S3") for j in ("P1", "P2")],
    # scenario: (TTR, inactive links, published cost, published lost units, published TTS)
    "scenarios": {
        "Scenario_1": (2, [("S1", "P1"), ("S1", "P2")], 0.0, 0.0, 2.250),
        "Scenario_2": (2, [("S2", "P1"), ("S2", "P2")], 125000.0, 25.0, 1.286),
        "Scenario_3": (2, [("S3", "P1"), ("S3", "P2")], 275000.0, 55.0, 0.900),
    },
}

_F1, _F2, _E1, _E2, _E3 = "Fiesta-1", "Fiesta-2", "Escape-1", "Escape-2", "Escape-3"
_O1, _O2 = "Focus-1", "Focus-2"
PROBLEM_2A = {
    "capacity": {"Oakville": 135, "Windsor": 105, "Wayne": 130, "Thailand": 130, "Romania": 50},
    "products": {_F1: (75, 25, 2500), _F2: (60, 10, 3000), _E1: (35, 15, 4500),
                 _E2: (30, 10, 4750), _E3: (30, 15, 5200), _O1: (150, 35, 1800),
                 _O2: (100, 25, 2200), "Everest": (40, 10, 5100)},
    "links": [("Oakville", _F1), ("Oakville", _F2), ("Windsor", _E1), ("Windsor", _E2),
              ("Windsor", _E3), ("Wayne", _O1), ("Wayne", _O2), ("Thailand", _O1),
              ("Thailand", _O2), ("Romania", "Everest")],
    "scenarios": {
        "Scenario_1": (5, [("Oakville", _F1)], 875000.0, 350.0, None),
        "Scenario_2": (3, [("Romania", "Everest")], 561000.0, 110.0, None),
        "Scenario_3": (2, [("Oakville", _F2)], 330000.0, 110.0, None),
        "Scenario_4": (4, [("Windsor", _E2)], 522500.0, 110.0, None),
        "Scenario_5": (4, [("Windsor", _E2), ("Windsor", _E3)], 1068500.0, 215.0, None),
        "Scenario_6": (2, [("Windsor", _E3), ("Thailand", _O1)], 243000.0, 50.0, None),
        "Scenario_7": (4, [("Thailand", _O2)], 0.0, 0.0, None),
        "Scenario_8": (5, [("Oakville", _F2), ("Thailand", _O2)], 870000.0, 290.0, None),
        "Scenario_9": (3, [("Wayne", _O1)], 45000.0, 25.0, None),
        "Scenario_10": (4, [("Windsor", _E1), ("Romania", "Everest")], 1327500.0, 275.0, None),
        "Scenario_11": (5, [("Wayne", _O2)], 0.0, 0.0, None),
        "Scenario_12": (5, [("Thailand", _O2)], 0.0, 0.0, None),
        "Scenario_13": (5, [("Windsor", _E1)], 720000.0, 160.0, None),
        "Scenario_14": (3, [("Thailand", _O1), ("Romania", "Everest")], 606000.0, 135.0, None),
        "Scenario_15": (5, [("Oakville", _F2)], 870000.0, 290.0, None),
        "Scenario_16": (2, [("Thailand", _O2)], 0.0, 0.0, None),
        "Scenario_17": (4, [], 0.0, 0.0, None),
        "Scenario_18": (4, [("Oakville", _F2), ("Windsor", _E2), ("Thailand", _O1)],
                        1293500.0, 385.0, None),
        "Scenario_19": (3, [("Windsor", _E2)], 380000.0, 80.0, None),
        "Scenario_20": (4, [("Romania", "Everest")], 765000.0, 150.0, None),
    },
}
_FE = "Everest"
PROBLEM_2B = {
    "capacity": PROBLEM_2A["capacity"],
    "products": PROBLEM_2A["products"],
    "links": [("Oakville", _F1), ("Oakville", _F2), ("Oakville", _E1), ("Windsor", _E1),
              ("Windsor", _E2), ("Windsor", _E3), ("Wayne", _O1), ("Wayne", _O2), ("Wayne", _FE),
              ("Thailand", _E3), ("Thailand", _O1), ("Thailand", _O2), ("Romania", _F1),
              ("Romania", _F2), ("Romania", _FE)],
    # lost units are not in the published table (its columns are elided)
    "scenarios": {
        "Scenario_1": (5, [("Thailand", _O1)], 117000.0, None, None),
        "Scenario_2": (3, [("Thailand", _E3), ("Romania", _F1)], 0.0, None, None),
        "Scenario_3": (2, [("Windsor", _E1)], 0.0, None, None),
        "Scenario_4": (4, [("Thailand", _O2)], 0.0, None, None),
        "Scenario_5": (4, [("Windsor", _E2), ("Wayne", _FE), ("Thailand", _E3), ("Thailand", _O2)],
                       522500.0, None, None),
        "Scenario_6": (2, [("Wayne", _O2), ("Thailand", _E3), ("Thailand", _O1)], 9000.0, None,
                       None),
        "Scenario_7": (4, [("Oakville", _F2)], 180000.0, None, None),
        "Scenario_8": (5, [("Windsor", _E2), ("Wayne", _FE)], 665000.0, None, None),
        "Scenario_9": (3, [("Oakville", _F1)], 161000.0, None, None),
        "Scenario_10": (4, [("Oakville", _E1)], 0.0, None, None),
        "Scenario_11": (5, [("Wayne", _O1)], 117000.0, None, None),
        "Scenario_12": (5, [("Oakville", _F1)], 394000.0, None, None),
        "Scenario_13": (5, [("Thailand", _O1), ("Romania", _F1)], 117000.0, None, None),
        "Scenario_14": (3, [("Thailand", _E3)], 0.0, None, None),
        "Scenario_15": (5, [("Windsor", _E1)], 0.0, None, None),
        "Scenario_16": (2, [("Thailand", _E3), ("Romania", _FE)], 0.0, None, None),
        "Scenario_17": (4, [("Windsor", _E2)], 522500.0, None, None),
        "Scenario_18": (4, [("Wayne", _O2)], 0.0, None, None),
        "Scenario_19": (3, [("Wayne", _O2), ("Thailand", _E3)], 0.0, None, None),
        "Scenario_20": (4, [("Romania", _FE)], 90000.0, None, None),
    },
}
PROBLEMS = {"problem-1": PROBLEM_1, "problem-2A": PROBLEM_2A, "problem-2B": PROBLEM_2B}


def baseline(problem: dict) -> dict:
    """A baseline that serves every product from its active suppliers within their
    capacities (a feasible point of ``sum_i y_ij = d_j``, ``sum_j y_ij <= c_i``): tiern's
    baseline serves every sink, and a supplier within its capacity keeps it as ``c_i``."""
    capacity, products, links = problem["capacity"], problem["products"], problem["links"]
    equal = np.array([[1.0 if jj == j else 0.0 for _, jj in links] for j in products])
    within = np.array([[1.0 if ii == i else 0.0 for ii, _ in links] for i in capacity])
    result = linprog(np.zeros(len(links)), A_ub=within, b_ub=list(capacity.values()),
                     A_eq=equal, b_eq=[d for d, _, _ in products.values()], method="highs")
    assert result.status == 0, "no baseline serves every product"
    return dict(zip(links, result.x))


def teaching_network(problem: dict):
    """The problem as a tiern network (see the module doc)."""
    capacity, products = problem["capacity"], problem["products"]
    facilities = [{"id": i, "name": i, "stage": "magnet", "country": "US", "capacity": 12 * c}
                  for i, c in capacity.items()]
    records, recipes, markets = [], [], []
    flow = baseline(problem)
    for j, (demand, stock, loss) in products.items():
        records += [{"supplier": i, "customer": f"{j}_value", "material": j, "volume": 12 * v}
                    for (i, jj), v in flow.items() if jj == j]
        value = loss / 1000                         # thousands of loss per unit
        facilities += [
            {"id": f"{j}_value", "name": f"{j} in loss", "stage": "motor", "country": "US",
             "capacity": 12 * sum(capacity.values()) * value},
            {"id": j, "name": j, "stage": "oem", "country": "US",
             "inventory_days": 30 * stock / demand}]
        records.append({"supplier": f"{j}_value", "customer": j, "material": f"{j} (k loss)",
                        "volume": 12 * demand * value})
        recipes.append({"facility": f"{j}_value", "output": f"{j} (k loss)", "input": j,
                        "per_unit": 1 / value, "group": j})
        markets.append({"facility": j, "demand": 12 * demand})
    return network_from_records(facilities, records, demand=markets, recipes=recipes)


def scenario(name: str, inactive, horizon: int):
    shocks = [{"select": {"id": i}, "to": {"id": f"{j}_value"}} for i, j in inactive]
    return parse_scenario({"name": name, "horizon_months": horizon, "shocks": shocks})


CASES = [(p, n) for p, problem in PROBLEMS.items() for n, row in problem["scenarios"].items()
         if row[1]]                                  # Scenario_17 of 2A disrupts nothing


@pytest.fixture(scope="module")
def networks():
    return {p: teaching_network(problem) for p, problem in PROBLEMS.items()}


@pytest.mark.parametrize("problem,name", CASES)
def test_published_ttr_cost_and_lost_units(networks, problem, name):
    """Disruption cost and lost units per scenario, as published (to the unit)."""
    ttr, inactive, cost, lost_units, _ = PROBLEMS[problem]["scenarios"][name]
    result = run_optimal(networks[problem], scenario(name, inactive, ttr))
    lost = result.sinks.set_index("id")["lost_volume"]
    products = PROBLEMS[problem]["products"]
    assert sum(lost[j] * loss for j, (_, _, loss) in products.items()) == \
        pytest.approx(cost, abs=1e-3)
    if lost_units is not None:
        assert lost.sum() == pytest.approx(lost_units, abs=1e-6)


@pytest.mark.parametrize("name", list(PROBLEM_1["scenarios"]))
def test_published_tts_problem_1(networks, name):
    """The TTS table, published to three decimals: 2.250, 1.286 and 0.900 (exactly 45/20,
    45/35 and 45/50: the stock of 45 units over the deficit per period)."""
    _, inactive, _, _, tts = PROBLEM_1["scenarios"][name]
    result = run_optimal(networks["problem-1"], scenario(name, inactive, 12))
    value = result.sinks["tts_months"].iloc[0]
    assert not np.isnan(value)
    assert round(value, 3) == tts                    # 2.25, 9/7 and 0.9 exactly
    assert value == pytest.approx({"Scenario_1": 2.25, "Scenario_2": 9 / 7,
                                   "Scenario_3": 0.9}[name], abs=1e-12)
