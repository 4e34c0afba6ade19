"""Write the analytics' numbers on the bundled dataset and the golden network to ``tests/data/analytics/``.

The fixture pins what the analytics computed before the solver was consolidated into
:mod:`graphmodel.solve`; ``tests/test_analytics_values.py`` compares the current numbers
with it to 1e-12. Rerun only when a change of the numbers is intended::

    python -m tests.dump_analytics_values
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np

from graphmodel import Network, load_network
from graphmodel.examples import load_golden
from graphmodel.chokepoints import criticality
from graphmodel.compliance import evaluate, load_rules
from graphmodel.exposure import crma_shares, exposure, exposure_matrix
from graphmodel.scenarios import load_scenario, run_scenario
from graphmodel.scenarios.presets import resolve
from graphmodel.scenarios.rei import risk_exposure_index

OUT = Path(__file__).parent / "data" / "analytics"
#: The preset whose sink table is pinned, and the columns compared.
PRESET = "bayan-obo-outage"
SINK_COLUMNS = ("min_supply", "lost_volume")
#: The date at which every bundled compliance rule is evaluated.
COMPLIANCE_DAY = dt.date(2026, 6, 1)


def _floats(values) -> list:
    """JSON-safe floats (NaN as None), full precision."""
    return [None if np.isnan(v) else float(v) for v in np.asarray(values, dtype=float)]


#: The networks pinned: file stem -> loader.
NETWORKS = {"bundled": load_network, "golden": load_golden}


def analytics_values(net: Network) -> dict:
    """The pinned numbers, keyed by analytic; each a dict of ``ids`` and value lists."""
    values = {}
    table = exposure(net, "CN", "separator")
    values["exposure_cn_separator"] = {"ids": table["id"].astype(str).tolist(),
                                       "share": _floats(table["share"]),
                                       "unknown": _floats(table["unknown"])}
    matrix = exposure_matrix(net, "separator")
    countries = [c for c in matrix.columns if c not in ("id", "name", "stage", "country")]
    values["exposure_matrix_separator"] = {"ids": matrix["id"].astype(str).tolist(),
                                           **{c: _floats(matrix[c]) for c in countries}}
    crit = criticality(net)
    values["criticality"] = {"ids": crit.index.astype(str).tolist(), "value": _floats(crit)}
    shares = crma_shares(net)
    values["crma_shares_eu"] = {"ids": (shares["stage"] + "/" + shares["origin"]).tolist(),
                                "share": _floats(shares["share"])}
    rei = risk_exposure_index(net).sort_values("id")
    values["rei"] = {"ids": rei["id"].astype(str).tolist(),
                     "lost_volume": _floats(rei["lost_volume"]),
                     "worst_loss": _floats(rei["worst_loss"])}
    result = run_scenario(net, load_scenario(resolve(PRESET)))
    sinks = result.sinks.sort_values("id")
    values[f"scenario_{PRESET}_sinks"] = {"ids": sinks["id"].astype(str).tolist(),
                                          **{c: _floats(sinks[c]) for c in SINK_COLUMNS}}
    verdicts = evaluate(net, list(load_rules().values()), as_of=COMPLIANCE_DAY)
    numeric = [c for c in verdicts.select_dtypes("number").columns if c != "in_force"]
    verdicts = verdicts.assign(key=verdicts["rule"].astype(str) + "/" + verdicts["id"].astype(str))
    verdicts = verdicts.sort_values("key", kind="stable")
    values["compliance"] = {"ids": verdicts["key"].tolist(),
                            **{c: _floats(verdicts[c]) for c in numeric}}
    return values


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for stem, load in NETWORKS.items():
        path = OUT / f"{stem}.json"
        path.write_text(json.dumps(analytics_values(load()), indent=1) + "\n")
        print(f"wrote {path}")
