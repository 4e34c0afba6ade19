"""EU supply-risk indicator (JRC methodology, Blengini et al. 2017), per stage of the chain.

    SR = [ HHI_GS * IR / 2 + HHI_EU * (1 - IR / 2) ] * (1 - EOL_RIR) * SI_SR

    HHI_x = sum_c  s_c^2 * WGI_c * t_c        (s_c: shares as fractions, so HHI_x <= 10 * t)

From the graph (per stage X):

* global supply shares ``s_c`` (``HHI_GS``): the outbound volume of the stage-X facilities
  located in country c over the stage's total outbound volume (facilities at a stage share
  an output unit; sinks, which deliver nothing, fall back to their inbound volume);
* EU sourcing shares (``HHI_EU``): the share of the buyer set's supply (default: every
  facility located in the EU-27 with inbound supply) whose stage-X processing happened in
  country c, from :func:`graphmodel.exposure.crma_shares`, renormalised over the supply
  that passes the stage (the ``unknown`` remainder is left out). Without buyers it equals
  the global shares.

User-supplied (shipped defaults in ``graphmodel/compliance/data/``, replace with your own):

* ``supply_risk_inputs.csv``: per stage (``*`` = every stage) the import reliance ``IR``
  (0..1), end-of-life recycling input rate ``EOL_RIR`` (0..1) and substitution index
  ``SI_SR`` (0..1);
* ``wgi.csv``: per country the governance score ``WGI`` scaled 0..10 (10 = weakest) and the
  trade-restriction factor ``t`` (1 = none). A country missing from it gets 5 (the scale's
  midpoint) and is listed in ``missing_wgi``.

The JRC treats SR >= 1 as high supply risk (criticality also needs economic importance,
which tiern does not compute).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from graphmodel.exposure import crma_shares
from graphmodel.network import Network
from graphmodel.schema import EU27, stages_in

DATA_DIR = Path(__file__).with_name("data")
MIDPOINT_WGI = 5.0
HIGH_RISK = 1.0


def read_inputs(path: str | Path | None = None) -> pd.DataFrame:
    return pd.read_csv(path or DATA_DIR / "supply_risk_inputs.csv").set_index("stage")


def read_wgi(path: str | Path | None = None) -> pd.DataFrame:
    return pd.read_csv(path or DATA_DIR / "wgi.csv", keep_default_na=False,
                       na_values=[""]).set_index("country")


def weighted_hhi(shares: pd.Series, wgi: pd.DataFrame) -> tuple[float, list[str]]:
    """``sum_c s_c^2 * WGI_c * t_c`` over a share series indexed by country; also the
    countries missing from ``wgi`` (scored at the midpoint)."""
    shares = shares[shares > 0]
    missing = sorted(set(shares.index) - set(wgi.index))
    score = wgi["wgi_scaled"].reindex(shares.index).fillna(MIDPOINT_WGI)
    factor = wgi["trade_factor"].reindex(shares.index).fillna(1.0)
    return float((shares ** 2 * score * factor).sum()), missing


def global_shares(net: Network, stage: str) -> pd.Series:
    """Country shares of a stage's output (outbound volume; inbound where none)."""
    at = net.facilities["stage"] == stage
    volume = net.outbound_volume[at]
    if volume.sum() <= 0:
        volume = net.inbound_volume[at]
    by_country = volume.groupby(net.facilities.loc[at, "country"]).sum()
    total = by_country.sum()
    return by_country / total if total > 0 else by_country


def supply_risk(net: Network, buyers: list[str] | None = None, inputs: pd.DataFrame | None = None,
                wgi: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per stage present in the network: ``stage, hhi_wgi_global, hhi_wgi_eu,
    import_reliance, eol_rir, si_sr, supply_risk, high_risk`` (SR >= 1), ``top_country``
    (largest global share), ``top_share``, ``missing_wgi`` and ``inputs_source``."""
    inputs = read_inputs() if inputs is None else inputs
    wgi = read_wgi() if wgi is None else wgi
    facilities = net.facilities
    if buyers is None:
        buyers = list(facilities.index[facilities["country"].isin(EU27).to_numpy()
                                       & (net.inbound_volume.to_numpy() > 0)])
    eu = crma_shares(net, buyers) if buyers else None
    records = []
    for stage in stages_in(facilities["stage"]):
        world = global_shares(net, stage)
        if world.sum() <= 0:
            continue
        sourcing = world
        if eu is not None:
            part = eu[(eu["stage"] == stage) & (eu["origin"] != "unknown")].set_index("origin")["share"]
            if part.sum() > 0:
                sourcing = part / part.sum()
        hhi_gs, miss_gs = weighted_hhi(world, wgi)
        hhi_eu, miss_eu = weighted_hhi(sourcing, wgi)
        row = inputs.loc[stage] if stage in inputs.index else inputs.loc["*"]
        ir, eol, si = float(row["import_reliance"]), float(row["eol_rir"]), float(row["si_sr"])
        risk = (hhi_gs * ir / 2 + hhi_eu * (1 - ir / 2)) * (1 - eol) * si
        records.append({
            "stage": stage, "hhi_wgi_global": hhi_gs, "hhi_wgi_eu": hhi_eu,
            "import_reliance": ir, "eol_rir": eol, "si_sr": si, "supply_risk": risk,
            "high_risk": risk >= HIGH_RISK, "top_country": world.idxmax(),
            "top_share": float(world.max()), "missing_wgi": sorted(set(miss_gs) | set(miss_eu)),
            "inputs_source": str(row.get("confidence", "")),
        })
    return pd.DataFrame(records, columns=[
        "stage", "hhi_wgi_global", "hhi_wgi_eu", "import_reliance", "eol_rir", "si_sr",
        "supply_risk", "high_risk", "top_country", "top_share", "missing_wgi", "inputs_source"])


__all__ = ["supply_risk", "weighted_hhi", "global_shares", "read_inputs", "read_wgi"]
