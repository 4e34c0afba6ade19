"""Deterministic synthetic Tier-N networks in the interchange format.

The generator draws stage-layered networks that look like real multi-tier supply chains,
for scale tests and benchmarks:

* facilities spread over the nine stages (more of them downstream, as in real chains) plus
  about 1% recyclers;
* every buyer has ``1 + Poisson(suppliers_per_buyer - 1)`` suppliers (about 3 by default),
  drawn from the previous stage (occasionally two stages back) with Pareto-distributed
  attractiveness, so supplier out-degrees are heavy-tailed;
* one dominant country (default CN) holds ``dominant_share`` of the mid stages (mrec to
  magnet); other facilities spread over 30 countries;
* owners (about one per ten facilities, Zipf-sized) under parent groups with majority or
  minority stakes, so "control" differs from "location";
* ~1% recycling back-links (sink -> recycler -> magnet/alloy) and ~5% candidate links.

Everything is vectorised with NumPy and seeded: the same ``(n_facilities, seed)`` always
gives the same tables, byte for byte.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .build import network_from_records
from .schema import STAGES

#: Share of facilities per stage (mine ... oem), recyclers are drawn separately.
STAGE_WEIGHTS = np.array([0.04, 0.04, 0.05, 0.05, 0.07, 0.08, 0.12, 0.20, 0.35])
OUTPUT_MATERIAL = {
    "mine": "RE ore", "concentrator": "RE concentrate", "mrec": "MREC",
    "separator": "NdPr oxide", "metal": "NdPr metal", "alloy": "NdFeB alloy",
    "magnet": "NdFeB magnet", "motor": "motor", "oem": "end product",
}
STAGE_UNIT = {"mine": "t REO/yr", "concentrator": "t REO/yr", "mrec": "t REO/yr",
              "separator": "t REO/yr", "metal": "t metal/yr", "alloy": "t alloy/yr",
              "magnet": "t magnet/yr", "motor": "t magnet/yr", "oem": "t magnet/yr",
              "recycler": "t magnet/yr"}
COUNTRIES = np.array([
    "CN", "US", "AU", "MY", "JP", "DE", "FR", "EE", "GB", "KR", "VN", "LA", "MM", "BR", "CA",
    "IN", "TH", "RU", "MG", "NG", "ZA", "NA", "MX", "PL", "CZ", "IT", "ES", "SE", "FI", "TW",
])
MID_STAGES = ("mrec", "separator", "metal", "alloy", "magnet")
SOURCE = "synthetic (tiern generate)"


@dataclass(frozen=True)
class GeneratorSettings:
    """Knobs of :func:`generate_network`; defaults follow the issue's description."""

    n_facilities: int
    seed: int = 0
    suppliers_per_buyer: float = 3.0
    dominant_country: str = "CN"
    dominant_share: float = 0.8
    recycler_share: float = 0.01
    candidate_share: float = 0.05
    pareto_shape: float = 1.2
    skip_stage_probability: float = 0.05


def generate_tables(settings: GeneratorSettings) -> dict[str, pd.DataFrame]:
    """The four interchange tables of a synthetic network (facilities with an ``id`` column)."""
    if settings.n_facilities < 20:
        raise ValueError("a synthetic network needs at least 20 facilities")
    rng = np.random.default_rng(settings.seed)
    facilities = _facilities(settings, rng)
    links = _links(settings, facilities, rng)
    owners = _owners(settings, facilities, rng)
    _set_capacities(facilities, links, rng)
    return {"facilities": facilities, "links": links, "owners": owners,
            "demand": pd.DataFrame(columns=["facility", "demand"])}


def _facilities(settings: GeneratorSettings, rng) -> pd.DataFrame:
    n = settings.n_facilities
    n_recyclers = max(1, int(round(n * settings.recycler_share)))
    counts = np.maximum(1, np.floor(STAGE_WEIGHTS / STAGE_WEIGHTS.sum() * (n - n_recyclers))).astype(int)
    counts[-1] += n - n_recyclers - counts.sum()  # the rounding remainder goes to OEMs
    stage = np.concatenate([np.repeat(STAGES, counts), np.repeat("recycler", n_recyclers)])
    country = COUNTRIES[rng.integers(1, len(COUNTRIES), n)]
    mid = np.isin(stage, MID_STAGES)
    dominant = mid & (rng.random(n) < settings.dominant_share)
    dominant |= ~mid & (rng.random(n) < settings.dominant_share / 3)
    country[dominant] = settings.dominant_country
    n_owners = max(2, n // 10)
    owner_weights = 1.0 / np.arange(1, n_owners + 1)
    owner = rng.choice(n_owners, size=n, p=owner_weights / owner_weights.sum())
    ids = np.char.add("f", np.arange(n).astype(str))
    return pd.DataFrame({
        "id": ids, "name": np.char.add("Facility ", np.arange(n).astype(str)), "stage": stage,
        "country": country, "owner": np.char.add("owner", owner.astype(str)),
        "capacity": np.nan, "unit": pd.Series(stage).map(STAGE_UNIT).to_numpy(), "status": "operating",
        "inventory_days": rng.integers(0, 91, n).astype(float),
        "sector": np.where(stage == "oem", rng.choice(["automotive", "wind", "defense",
                                                       "industrial", "consumer"], n), None),
        "source": SOURCE, "year": 2025,
    })


def _stage_members(stage: np.ndarray) -> dict[str, np.ndarray]:
    return {s: np.flatnonzero(stage == s) for s in (*STAGES, "recycler")}


def _links(settings: GeneratorSettings, facilities: pd.DataFrame, rng) -> pd.DataFrame:
    stage = facilities["stage"].to_numpy()
    members = _stage_members(stage)
    attractiveness = rng.pareto(settings.pareto_shape, len(stage)) + 1.0
    parts = []
    for rank, buyer_stage in enumerate(STAGES[1:], start=1):
        buyers = members[buyer_stage]
        degree = 1 + rng.poisson(settings.suppliers_per_buyer - 1, len(buyers))
        customer = np.repeat(buyers, degree)
        back = np.where((rng.random(len(customer)) < settings.skip_stage_probability) & (rank >= 2), 2, 1)
        supplier = np.empty(len(customer), dtype=np.int64)
        for step in (1, 2):
            chosen = back == step
            pool = members[STAGES[max(rank - step, 0)]]
            weights = attractiveness[pool] / attractiveness[pool].sum()
            supplier[chosen] = pool[rng.choice(len(pool), chosen.sum(), p=weights)]
        parts.append(pd.DataFrame({"supplier": supplier, "customer": customer}))
    links = pd.concat(parts, ignore_index=True)
    links = links.drop_duplicates(["supplier", "customer"])
    links["material"] = pd.Series(stage[links["supplier"].to_numpy()]).map(OUTPUT_MATERIAL).to_numpy()
    links["volume"] = np.round(rng.lognormal(3.0, 1.0, len(links)), 3)
    links["status"] = "qualified"
    links["qualification_months"] = np.nan
    candidates = _candidate_links(settings, links, members, rng)
    recycling = _recycling_links(settings, members, rng)
    links = pd.concat([links, candidates, recycling], ignore_index=True)
    links = links.drop_duplicates(["supplier", "customer", "material"])
    ids = facilities["id"].to_numpy()
    links["supplier"] = ids[links["supplier"].to_numpy()]
    links["customer"] = ids[links["customer"].to_numpy()]
    links["source"] = SOURCE
    links["year"] = 2025
    return links.reset_index(drop=True)


def _candidate_links(settings, links, members, rng) -> pd.DataFrame:
    """Alternative suppliers at the same stage as an existing supplier, not yet qualified."""
    k = int(len(links) * settings.candidate_share)
    template = links.iloc[rng.integers(0, len(links), k)]
    supplier = template["supplier"].to_numpy().copy()
    stage_of = np.empty(max(int(m.max()) for m in members.values() if len(m)) + 1, dtype=object)
    for s, m in members.items():
        stage_of[m] = s
    for s, pool in members.items():
        chosen = stage_of[supplier] == s
        if chosen.any() and len(pool):
            supplier[chosen] = pool[rng.integers(0, len(pool), chosen.sum())]
    out = pd.DataFrame({"supplier": supplier, "customer": template["customer"].to_numpy(),
                        "material": template["material"].to_numpy(), "volume": 0.0,
                        "status": "candidate",
                        "qualification_months": rng.integers(6, 37, k).astype(float)})
    keep = out["supplier"] != out["customer"]
    existing = pd.MultiIndex.from_frame(links[["supplier", "customer"]])
    keep &= ~pd.MultiIndex.from_frame(out[["supplier", "customer"]]).isin(existing)
    return out[keep]


def _recycling_links(settings, members, rng) -> pd.DataFrame:
    """Scrap from sinks into recyclers, recycled material back into alloy and magnet makers."""
    recyclers = members["recycler"]
    sinks = members["oem"]
    k = max(1, int(round((len(sinks) + len(members["motor"])) * settings.recycler_share * 3)))
    scrap = pd.DataFrame({"supplier": sinks[rng.integers(0, len(sinks), k)],
                          "customer": recyclers[rng.integers(0, len(recyclers), k)],
                          "material": "magnet scrap"})
    makers = np.concatenate([members["alloy"], members["magnet"]])
    back = pd.DataFrame({"supplier": recyclers[rng.integers(0, len(recyclers), k)],
                         "customer": makers[rng.integers(0, len(makers), k)],
                         "material": "recycled alloy"})
    out = pd.concat([scrap, back], ignore_index=True)
    out["volume"] = np.round(rng.lognormal(0.5, 0.8, len(out)), 3)
    out["status"] = "qualified"
    out["qualification_months"] = np.nan
    return out


def _owners(settings: GeneratorSettings, facilities: pd.DataFrame, rng) -> pd.DataFrame:
    owners = np.unique(facilities["owner"].to_numpy())
    n = len(owners)
    n_groups = max(1, n // 5)
    group = rng.integers(0, n_groups, n)
    group_country = COUNTRIES[rng.integers(0, len(COUNTRIES), n_groups)]
    group_country[rng.random(n_groups) < 0.4] = settings.dominant_country
    stake = np.round(rng.choice([0.3, 0.51, 0.75, 1.0], n), 2)
    home = facilities.groupby("owner")["country"].first().reindex(owners).to_numpy()
    groups = np.char.add("group", np.arange(n_groups).astype(str))
    held = pd.DataFrame({"owner": owners, "parent": groups[group], "stake": stake,
                         "country": group_country[group]})
    # every owner and group is also a root row with its own country, so control resolves
    owner_roots = pd.DataFrame({"owner": owners, "parent": owners, "stake": 1.0, "country": home})
    group_roots = pd.DataFrame({"owner": groups, "parent": groups, "stake": 1.0,
                                "country": group_country})
    out = pd.concat([held, owner_roots, group_roots], ignore_index=True)
    out["source"] = SOURCE
    out["year"] = 2025
    return out


def _set_capacities(facilities: pd.DataFrame, links: pd.DataFrame, rng) -> None:
    """Capacity = outbound volume (inbound for sinks) times a utilisation headroom of 1-1.5."""
    carrying = links[links["volume"] > 0]
    out = carrying.groupby("supplier")["volume"].sum()
    inbound = carrying.groupby("customer")["volume"].sum()
    ids = facilities["id"]
    base = ids.map(out).fillna(ids.map(inbound)).fillna(1.0).to_numpy()
    facilities["capacity"] = np.round(base * rng.uniform(1.0, 1.5, len(ids)), 3)


def generate_network(n_facilities: int, seed: int = 0, **kwargs):
    """A validated :class:`~graphmodel.network.Network` (for tests; large sizes use the CSVs)."""
    tables = generate_tables(GeneratorSettings(n_facilities, seed, **kwargs))
    return network_from_records(*(tables[k].to_dict("records") for k in
                                  ("facilities", "links", "owners")), name=f"synthetic-{n_facilities}")
