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
* ~1% recycling back-links (sink -> recycler -> magnet/alloy) and ~5% candidate links;
* topology knobs (:class:`GeneratorSettings`; all off by default, when the network is the
  one described above): a target share of facilities in recycling loops (``loop_share``,
  up to 30%) with the loops' length (``loop_length``), the number of recyclers
  (``recyclers``) and where scrap is collected (``recycler_placement``); the supply depth
  (``depth`` tiers, extra tiers inside the downstream stages); the in-degree distribution
  (``degree_distribution``: Poisson or power law); and one giant strongly connected
  component (``giant_component``) as the extreme;
* with ``recipes=True``: heavy rare earths (Dy and Tb oxide from some separators, Dy and
  Tb metal from some metal makers, bought by alloy and magnet makers) and a ``recipes``
  table for the metal, alloy, magnet and motor stages (see :data:`SYNTHETIC_RECIPES`).

Everything is vectorised with NumPy and seeded: the same settings always give the same
tables, byte for byte. The topology knobs draw from their own streams (``[seed, 2]``), so
the layered part of a looped network is the one generated without loops.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse import csgraph

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
#: Largest share of looped facilities the generator aims at.
MAX_LOOP_SHARE = 0.3
#: Stages that send scrap to recyclers, per ``recycler_placement``.
SCRAP_STAGES = {"downstream": ("magnet", "motor", "oem"),
                "spread": ("metal", "alloy", "magnet", "motor", "oem")}
#: Stages that take extra supply tiers (``depth`` > 9), in turn.
DEEP_STAGES = ("oem", "motor", "magnet", "alloy", "metal", "separator", "mrec", "concentrator")
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
    recipes: bool = False
    #: share of facilities (recyclers included) that sit in recycling loops, 0 to 0.3;
    #: None keeps the default ~1% recycling back-links; 0 gives an acyclic network
    loop_share: float | None = None
    #: supply steps a recycled flow climbs back: scrap from a facility returns through a
    #: recycler to its ancestor this many links upstream (a loop of loop_length + 2 nodes)
    loop_length: int = 2
    #: number of recyclers (None: ``recycler_share`` of the facilities)
    recyclers: int | None = None
    #: where scrap is collected: "downstream" (magnet, motor and OEM facilities) or
    #: "spread" (every stage from metal on)
    recycler_placement: str = "downstream"
    #: supply tiers (>= 9, one per stage); extra tiers split downstream stages into
    #: sub-tiers whose facilities buy from the sub-tier before (e.g. tier-2 motor suppliers)
    depth: int = 9
    #: in-degree of buyers: "poisson" (1 + Poisson(k - 1)) or "powerlaw" (1 + a rounded
    #: Lomax draw of shape ``degree_shape`` with mean k - 1)
    degree_distribution: str = "poisson"
    degree_shape: float = 2.5
    #: close almost every facility into one strongly connected component (the extreme)
    giant_component: bool = False

    def __post_init__(self):
        if self.loop_share is not None and not 0 <= self.loop_share <= MAX_LOOP_SHARE:
            raise ValueError(f"loop_share must be between 0 and {MAX_LOOP_SHARE}")
        if self.loop_length < 1:
            raise ValueError("loop_length must be at least 1")
        if self.recyclers is not None and self.recyclers < (0 if self.loop_share == 0 else 1):
            raise ValueError("recyclers must be at least 1 when the network has loops")
        if self.recycler_placement not in SCRAP_STAGES:
            raise ValueError(f"recycler_placement must be one of {sorted(SCRAP_STAGES)}")
        if self.depth < len(STAGES):
            raise ValueError(f"depth must be at least {len(STAGES)} (one tier per stage)")
        if self.degree_distribution not in ("poisson", "powerlaw"):
            raise ValueError("degree_distribution must be 'poisson' or 'powerlaw'")
        if self.degree_distribution == "powerlaw" and self.degree_shape <= 1:
            raise ValueError("degree_shape must exceed 1 (a finite mean)")
        if self.recipes and self.depth > len(STAGES):
            # the synthetic recipes list the materials of the one-tier-per-stage network:
            # a sub-tier buys its own stage's product, which no recipe of the stage lists
            raise ValueError("recipes are generated for one tier per stage only (no depth)")

    @property
    def custom_loops(self) -> bool:
        """True when the recycling links come from the topology knobs."""
        return self.loop_share is not None or self.giant_component


def generate_tables(settings: GeneratorSettings) -> dict[str, pd.DataFrame]:
    """The four interchange tables of a synthetic network (facilities with an ``id`` column)."""
    if settings.n_facilities < 20:
        raise ValueError("a synthetic network needs at least 20 facilities")
    rng = np.random.default_rng(settings.seed)
    facilities = _facilities(settings, rng)
    links = _links(settings, facilities, rng)
    owners = _owners(settings, facilities, rng)
    if settings.recipes:
        links = pd.concat([links, _heavy_links(settings, facilities)], ignore_index=True)
    _set_capacities(facilities, links, rng)
    tables = {"facilities": facilities, "links": links, "owners": owners,
              "demand": pd.DataFrame(columns=["facility", "demand"])}
    if settings.recipes:
        tables["recipes"] = synthetic_recipes(recycled_feed=settings.custom_loops)
    return tables


#: Recipe rows of the synthetic network, per stage: ``(stage, output, input, per_unit,
#: group)``. They list every material the generator can send to a facility of the stage:
#: the previous stage's product, the product two stages back (``skip_stage_probability``:
#: the facility does the skipped step itself, so that material substitutes in the same
#: group with its own yield), recycled alloy (which carries both NdPr and Dy/Tb, so it
#: counts in both groups) and the heavy rare earths (Tb substitutes for Dy, about 1.5x as
#: effective per tonne). Coefficients are round numbers of the right order (NdPr about 31%
#: of a sintered magnet, Dy a few per cent), not sourced data. Mines, concentrators, MREC
#: producers, separators, OEMs and recyclers keep pooled inputs.
SYNTHETIC_RECIPES = (
    ("metal", "NdPr metal", "NdPr oxide", 1.2, "NdPr"),
    ("metal", "NdPr metal", "MREC", 5.0, "NdPr"),
    ("metal", "Dy metal", "Dy oxide", 1.18, "Dy"),
    ("metal", "Tb metal", "Tb oxide", 1.21, "Tb"),
    ("alloy", "NdFeB alloy", "NdPr metal", 0.31, "NdPr"),
    ("alloy", "NdFeB alloy", "NdPr oxide", 0.37, "NdPr"),
    ("alloy", "NdFeB alloy", "recycled alloy", 1.02, "NdPr"),
    ("alloy", "NdFeB alloy", "recycled alloy", 1.02, "DyTb"),
    ("alloy", "NdFeB alloy", "Dy metal", 0.045, "DyTb"),
    ("alloy", "NdFeB alloy", "Tb metal", 0.03, "DyTb"),
    ("magnet", "NdFeB magnet", "NdFeB alloy", 1.03, "NdPr"),
    ("magnet", "NdFeB magnet", "NdPr metal", 0.32, "NdPr"),
    ("magnet", "NdFeB magnet", "recycled alloy", 1.05, "NdPr"),
    ("magnet", "NdFeB magnet", "recycled alloy", 1.05, "DyTb"),
    ("magnet", "NdFeB magnet", "Dy metal", 0.02, "DyTb"),
    ("magnet", "NdFeB magnet", "Tb metal", 0.013, "DyTb"),
    ("motor", "motor", "NdFeB magnet", 1.0, "magnet"),
    ("motor", "motor", "NdFeB alloy", 1.06, "magnet"),
)


#: Recipe rows for the recycled feed of the topology knobs' loops (:func:`_recycled_material`:
#: a recycler ships the recycled form of its customer's usual input), which substitutes
#: for that input one for one: recycled oxide into metal makers, recycled magnets into
#: motor makers (recycled alloy into alloy and magnet makers is in SYNTHETIC_RECIPES).
RECYCLED_FEED_RECIPES = (
    ("metal", "NdPr metal", "recycled NdPr oxide", 1.2, "NdPr"),
    ("motor", "motor", "recycled NdFeB magnet", 1.0, "magnet"),
)


def synthetic_recipes(recycled_feed: bool = False) -> pd.DataFrame:
    """The ``recipes`` table of a synthetic network (:data:`SYNTHETIC_RECIPES`, stage rows;
    with ``recycled_feed``, the rows of :data:`RECYCLED_FEED_RECIPES` too, for networks whose
    loops come from the topology knobs)."""
    rows = list(SYNTHETIC_RECIPES) + (list(RECYCLED_FEED_RECIPES) if recycled_feed else [])
    rows = pd.DataFrame(rows,
                        columns=["stage", "output", "input", "per_unit", "group"])
    rows.insert(1, "facility", "")
    rows["source"] = SOURCE
    rows["year"] = 2025
    rows["note"] = "synthetic coefficient"
    return rows


def _heavy_links(settings: GeneratorSettings, facilities: pd.DataFrame) -> pd.DataFrame:
    """Dy and Tb links: a quarter of the separators also ship Dy and Tb oxide, a fifth of the
    metal makers (70% Dy, 30% Tb) buy one or two links of that oxide and ship its metal to
    about 60% of the alloy makers (Dy) and 25% (Tb) and to 30% of the magnet makers (grain
    boundary diffusion). The draws come from their own generator (``[seed, 1]``), so the
    rest of the network is byte for byte the one generated without recipes."""
    rng = np.random.default_rng([settings.seed, 1])
    members = _stage_members(facilities["stage"].to_numpy())
    separators, metal = members["separator"], members["metal"]
    heavy_sep = separators[rng.random(len(separators)) < 0.25]
    if not len(heavy_sep):
        heavy_sep = separators[:1]
    heavy_metal = metal[rng.random(len(metal)) < 0.2]
    if not len(heavy_metal):
        heavy_metal = metal[:1]
    element = np.where(rng.random(len(heavy_metal)) < 0.7, "Dy", "Tb")
    parts = []
    # oxide into each heavy metal maker: one or two separators
    degree = 1 + (rng.random(len(heavy_metal)) < 0.5)
    customer = np.repeat(heavy_metal, degree)
    parts.append(pd.DataFrame({
        "supplier": heavy_sep[rng.integers(0, len(heavy_sep), len(customer))],
        "customer": customer, "material": np.char.add(np.repeat(element, degree), " oxide")}))
    # metal out of them to alloy makers (Dy, Tb) and magnet makers (either)
    for stage, share, wanted in (("alloy", 0.6, "Dy"), ("alloy", 0.25, "Tb"), ("magnet", 0.3, None)):
        buyers = members[stage][rng.random(len(members[stage])) < share]
        pool = heavy_metal if wanted is None else heavy_metal[element == wanted]
        if not len(pool) or not len(buyers):
            continue
        supplier = pool[rng.integers(0, len(pool), len(buyers))]
        material = np.char.add(element[np.searchsorted(heavy_metal, supplier)], " metal")
        parts.append(pd.DataFrame({"supplier": supplier, "customer": buyers, "material": material}))
    out = pd.concat(parts, ignore_index=True).drop_duplicates(["supplier", "customer", "material"])
    out["volume"] = np.round(rng.lognormal(0.5, 0.8, len(out)), 3)
    out["status"] = "qualified"
    out["qualification_months"] = np.nan
    ids = facilities["id"].to_numpy()
    out["supplier"] = ids[out["supplier"].to_numpy()]
    out["customer"] = ids[out["customer"].to_numpy()]
    out["source"] = SOURCE
    out["year"] = 2025
    return out


def _facilities(settings: GeneratorSettings, rng) -> pd.DataFrame:
    n = settings.n_facilities
    n_recyclers = max(1, int(round(n * settings.recycler_share)))
    if settings.recyclers is not None:
        n_recyclers = settings.recyclers
    elif settings.loop_share == 0:
        n_recyclers = 0
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


def _tiers(settings: GeneratorSettings, members: dict) -> list[tuple[str, np.ndarray]]:
    """Supply tiers in order, as (stage, facility indices): one per stage, and for
    ``depth`` > 9 the extra tiers split the :data:`DEEP_STAGES` (in turn) into contiguous
    sub-tiers."""
    splits = dict.fromkeys(STAGES, 1)
    for k in range(settings.depth - len(STAGES)):
        splits[DEEP_STAGES[k % len(DEEP_STAGES)]] += 1
    return [(stage, part) for stage in STAGES
            for part in np.array_split(members[stage], splits[stage])]


def _in_degree(settings: GeneratorSettings, size: int, rng) -> np.ndarray:
    """Suppliers per buyer: ``1 + Poisson(k - 1)`` or ``1 + round(Lomax(a) * (k - 1) (a - 1))``
    (a power-law tail of exponent a + 1, mean about k)."""
    if settings.degree_distribution == "poisson":
        return 1 + rng.poisson(settings.suppliers_per_buyer - 1, size)
    shape = settings.degree_shape
    scale = (settings.suppliers_per_buyer - 1) * (shape - 1)
    return 1 + np.rint(rng.pareto(shape, size) * scale).astype(np.int64)


def _links(settings: GeneratorSettings, facilities: pd.DataFrame, rng) -> pd.DataFrame:
    stage = facilities["stage"].to_numpy()
    members = _stage_members(stage)
    attractiveness = rng.pareto(settings.pareto_shape, len(stage)) + 1.0
    tiers = _tiers(settings, members)
    parts = []
    for rank in range(1, len(tiers)):
        buyers = tiers[rank][1]
        degree = _in_degree(settings, len(buyers), rng)
        customer = np.repeat(buyers, degree)
        back = np.where((rng.random(len(customer)) < settings.skip_stage_probability) & (rank >= 2), 2, 1)
        supplier = np.empty(len(customer), dtype=np.int64)
        for step in (1, 2):
            chosen = back == step
            pool = tiers[max(rank - step, 0)][1]
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
    if settings.custom_loops:
        recycling = _loop_links(settings, links, members, stage)
    else:
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


def looped_count(n: int, supplier: np.ndarray, customer: np.ndarray) -> int:
    """Facilities on a cycle of the links ``supplier -> customer`` (integer positions): the
    members of strongly connected components of two or more facilities."""
    graph = sp.csr_matrix((np.ones(len(supplier), dtype=np.int8), (supplier, customer)),
                          shape=(n, n))
    _, label = csgraph.connected_components(graph, directed=True, connection="strong")
    size = np.bincount(label)
    return int(np.count_nonzero(size[label] > 1))


def _recycled_material(stage: np.ndarray, customer: np.ndarray) -> np.ndarray:
    """What a recycler ships: recycled alloy to alloy and magnet makers (as in the default
    network), elsewhere the recycled form of the customer's usual input."""
    rank = np.array([STAGES.index(s) if s in STAGES else 0 for s in stage[customer]])
    usual = np.array([OUTPUT_MATERIAL[STAGES[max(r - 1, 0)]] for r in rank], dtype=object)
    material = np.array(["recycled " + m for m in usual], dtype=object)
    material[np.isin(stage[customer], ("alloy", "magnet"))] = "recycled alloy"
    return material


def _recycling_frame(supplier, customer, material, rng) -> pd.DataFrame:
    out = pd.DataFrame({"supplier": supplier, "customer": customer, "material": material})
    out["volume"] = np.round(rng.lognormal(0.5, 0.8, len(out)), 3)
    out["status"] = "qualified"
    out["qualification_months"] = np.nan
    return out


def _loop_links(settings: GeneratorSettings, links: pd.DataFrame, members: dict,
                stage: np.ndarray) -> pd.DataFrame:
    """Recycling links that put a chosen share of the facilities on loops (or, with
    ``giant_component``, nearly all of them in one).

    A loop: scrap from a facility v (a stage of ``recycler_placement``) goes to a recycler r,
    which ships recycled material to u, the facility ``loop_length`` supply links upstream
    of v on a random walk over v's suppliers (stopping before a mine, whose supply must stay
    primary). Loops sharing a recycler merge into one strongly connected component, and
    every facility on a path from a return point u to a scrap source v joins it, so the
    looped share is measured, not assumed: loops are added in a seeded random order and the
    shortest prefix whose looped share reaches ``loop_share`` is kept (adding links never
    shrinks a component, so the share grows with the prefix and a bisection finds it)."""
    rng = np.random.default_rng([settings.seed, 2])
    n = len(stage)
    recyclers = members["recycler"]
    supplier = links["supplier"].to_numpy()
    customer = links["customer"].to_numpy()
    if settings.giant_component:
        return _giant_links(settings, supplier, customer, members, stage, rng)
    target = int(round(settings.loop_share * n))
    if target == 0 or not len(recyclers):
        none = np.empty(0, dtype=np.int64)
        return _recycling_frame(none, none, np.empty(0, dtype=object), rng)
    # supplier lists per customer, for the walks upstream
    by_customer = sp.csr_matrix((np.ones(len(supplier)), (customer, supplier)), shape=(n, n))
    indptr, indices = by_customer.indptr, by_customer.indices
    is_mine = stage == "mine"
    sources = np.concatenate([members[s] for s in SCRAP_STAGES[settings.recycler_placement]])
    # every scrap source several times (fresh walks), so the prefix can reach 30%
    sources = np.concatenate([rng.permutation(sources) for _ in range(3)])
    ancestor = sources.copy()
    for _ in range(settings.loop_length):
        degree = indptr[ancestor + 1] - indptr[ancestor]
        pick = indptr[ancestor] + (rng.random(len(ancestor)) * np.maximum(degree, 1)).astype(np.int64)
        step = np.where(degree > 0, indices[np.minimum(pick, len(indices) - 1)], ancestor)
        ancestor = np.where(is_mine[step], ancestor, step)
    keep = ancestor != sources
    sources, ancestor = sources[keep], ancestor[keep]
    through = recyclers[rng.integers(0, len(recyclers), len(sources))]

    def looped(k: int) -> int:
        return looped_count(n, np.concatenate([supplier, sources[:k], through[:k]]),
                            np.concatenate([customer, through[:k], ancestor[:k]]))

    low, high = 0, len(sources)
    if looped(high) < target:
        raise ValueError(f"cannot put {settings.loop_share:.0%} of the facilities on loops "
                         f"with loop_length={settings.loop_length} and placement "
                         f"'{settings.recycler_placement}' (reached {looped(high) / n:.1%})")
    while low < high:  # the fewest loops reaching the target
        middle = (low + high) // 2
        if looped(middle) >= target:
            high = middle
        else:
            low = middle + 1
    k = low
    scrap = (sources[:k], through[:k], np.full(k, "magnet scrap", dtype=object))
    back = (through[:k], ancestor[:k], _recycled_material(stage, ancestor[:k]))
    return _recycling_frame(*(np.concatenate(pair) for pair in zip(scrap, back)), rng)


def _giant_links(settings, supplier, customer, members, stage, rng) -> pd.DataFrame:
    """Recycling links closing every facility but the mines into one strongly connected
    component: every facility without a buyer sends scrap to a recycler, the recyclers pass
    material round a ring, and a recycler feeds every facility whose suppliers are all
    mines. Then each facility reaches a recycler (downstream to a dead end) and is reached
    from one (upstream to a fed facility), so all of them share the ring's component."""
    n = len(stage)
    recyclers = members["recycler"]
    if not len(recyclers):
        raise ValueError("giant_component needs at least one recycler")
    has_buyer = np.zeros(n, dtype=bool)
    has_buyer[supplier] = True
    producers = np.flatnonzero(~has_buyer & (stage != "recycler") & (stage != "mine"))
    fed_other = np.zeros(n, dtype=bool)
    fed_other[customer[stage[supplier] != "mine"]] = True
    fed = np.flatnonzero(~fed_other & (stage != "mine") & (stage != "recycler"))
    ring = np.roll(recyclers, -1)
    parts = [
        (producers, recyclers[rng.integers(0, len(recyclers), len(producers))],
         np.full(len(producers), "magnet scrap", dtype=object)),
        (recyclers, ring, np.full(len(recyclers), "recycled alloy", dtype=object)),
        (recyclers[rng.integers(0, len(recyclers), len(fed))], fed, _recycled_material(stage, fed)),
    ]
    if len(recyclers) == 1:
        parts.pop(1)  # no self-link
    supplier_, customer_, material = (np.concatenate(column) for column in zip(*parts))
    return _recycling_frame(supplier_, customer_, material, rng)


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


def looped_share(tables: dict[str, pd.DataFrame]) -> float:
    """Measured share of a generated network's facilities that sit on recycling loops
    (strongly connected components of two or more, over the links that carry volume)."""
    ids = tables["facilities"]["id"]
    links = tables["links"][tables["links"]["volume"] > 0]
    position = pd.Index(ids)
    return looped_count(len(ids), position.get_indexer(links["supplier"]),
                        position.get_indexer(links["customer"])) / len(ids)


def generate_network(n_facilities: int, seed: int = 0, **kwargs):
    """A validated :class:`~graphmodel.network.Network` (for tests; large sizes use the CSVs)."""
    tables = generate_tables(GeneratorSettings(n_facilities, seed, **kwargs))
    recipes = tables["recipes"].to_dict("records") if "recipes" in tables else None
    return network_from_records(*(tables[k].to_dict("records") for k in
                                  ("facilities", "links", "owners")), recipes=recipes,
                                name=f"synthetic-{n_facilities}")
