"""Reference: Simchi-Levi's static time-to-survive LP, written independently of the engine.

For a disruption that starts at time 0 and lasts beyond the horizon, with constant
capacities, TTS is (Simchi-Levi et al., Interfaces 2015, TTS model)::

    max t
    s.t.  sum_{e into sink v} Y_e + s_v >= d_v t             (demand met over [0, t])
          sum_{e out of v} Y_e <= Z_v                        (ship what is made)
          k_v Z_v <= sum_{e into v} Y_e + s_v                (inputs: arrivals + stock)
          Z_v <= f_v c_v t                                   (capacity over [0, t])
          Y_e <= V_e / 12 t  for links already carrying when only their baseline may flow
          Y, Z, t >= 0

in cumulative tonnes over [0, t] (t in months), for a pooled network (every facility's
inputs substitute one for one; ``k_v`` = inbound / outbound volume of v, so the baseline
is a fixed point). Stocks ``s_v`` = inventory_days / 30 months of ``d_v`` (sinks) or of
inbound use (others). Returns ``inf`` when the demand can be met forever.
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import linprog


def static_tts(facilities: dict, links: list[dict], down: set[str]) -> float:
    """``facilities``: id -> {capacity (t/yr), inventory_days}; ``links``: supplier,
    customer, volume (t/yr); every link may carry any volume (qualified, no cap)."""
    ids = list(facilities)
    inbound = {v: sum(l["volume"] for l in links if l["customer"] == v) for v in ids}
    outbound = {v: sum(l["volume"] for l in links if l["supplier"] == v) for v in ids}
    sinks = [v for v in ids if inbound[v] > 0 and outbound[v] == 0]
    nY, nZ = len(links), len(ids)
    t_col = nY + nZ
    A, b = [], []

    def row():
        return np.zeros(nY + nZ + 1)

    stock = {v: facilities[v].get("inventory_days", 0) / 30.0 * inbound[v] / 12.0 for v in ids}
    for j, v in enumerate(ids):
        into = [i for i, l in enumerate(links) if l["customer"] == v]
        out = [i for i, l in enumerate(links) if l["supplier"] == v]
        if v in sinks:
            r = row()                                   # d t - sum Y_in <= s
            r[t_col] = inbound[v] / 12.0
            r[into] = -1.0
            A.append(r), b.append(stock[v])
            if out:                                     # a sink ships nothing
                r = row()
                r[out] = 1.0
                A.append(r), b.append(0.0)
            continue
        r = row()                                       # sum Y_out - Z <= 0
        r[out] = 1.0
        r[nY + j] = -1.0
        A.append(r), b.append(0.0)
        if inbound[v] > 0:                              # k Z - sum Y_in <= s
            r = row()
            r[nY + j] = inbound[v] / outbound[v]
            r[into] = -1.0
            A.append(r), b.append(stock[v])
        r = row()                                       # Z - f c t <= 0
        r[nY + j] = 1.0
        cap = max(facilities[v].get("capacity", 0.0), outbound[v])
        r[t_col] = -(0.0 if v in down else cap / 12.0)
        A.append(r), b.append(0.0)
    c = np.zeros(nY + nZ + 1)
    c[t_col] = -1.0
    result = linprog(c, A_ub=np.array(A), b_ub=np.array(b), method="highs")
    if result.status == 3:
        return float("inf")
    assert result.status == 0, result.message
    return float(result.x[t_col])
