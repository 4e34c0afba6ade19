"""Hypothesis strategies for random valid networks, shared by property tests.

``network_records()`` draws stage-layered networks: facilities on random stages and
countries, links only forward in stage order (optionally skipping stages), plus optional
recycling back-links through a recycler, candidate links and owners. Every drawn network is
valid, so tests can build it with :func:`graphmodel.build.network_from_records`.
"""
from __future__ import annotations

from hypothesis import strategies as st

from graphmodel.schema import STAGES

COUNTRIES = ["CN", "AU", "US", "MY", "JP", "DE", "MM", "NA"]
MATERIALS = ["RE concentrate", "NdPr oxide", "Dy oxide", "NdFeB magnet"]


@st.composite
def network_records(draw, min_facilities=2, max_facilities=14, recycling=True):
    """A dict with ``facilities``, ``links``, ``owners`` record lists (see module docstring)."""
    n = draw(st.integers(min_facilities, max_facilities))
    stages = sorted(draw(st.lists(st.sampled_from(STAGES), min_size=n, max_size=n)),
                    key=STAGES.index)
    if stages[0] == stages[-1]:  # at least two stages, so a forward link can exist
        stages[0], stages[-1] = STAGES[0], STAGES[-1]
    facilities = []
    for i, stage in enumerate(stages):
        facilities.append({
            "id": f"f{i}", "name": f"Facility {i}", "stage": stage,
            "country": draw(st.sampled_from(COUNTRIES)),
            "owner": f"owner{draw(st.integers(0, 3))}",
            "capacity": draw(st.one_of(st.none(), st.floats(0, 1000, allow_nan=False))),
            "status": draw(st.sampled_from(["operating", "operating", "planned", "idle"])),
            "inventory_days": draw(st.one_of(st.none(), st.integers(0, 120))),
        })
    links = []
    seen = set()
    for j in range(n):
        for i in range(j):
            if stages[i] == stages[j] or not draw(st.booleans()):
                continue
            status = draw(st.sampled_from(["qualified", "qualified", "in_qualification", "candidate"]))
            volume = 0.0 if status == "candidate" else draw(st.floats(0.01, 500, allow_nan=False))
            material = draw(st.sampled_from(MATERIALS))
            seen.add((i, j))
            links.append({"supplier": f"f{i}", "customer": f"f{j}", "material": material,
                          "volume": volume, "status": status,
                          "qualification_months": draw(st.integers(0, 36)) if status != "qualified" else None})
    if not links:  # a network needs at least one link
        links.append({"supplier": "f0", "customer": f"f{n - 1}", "material": MATERIALS[0],
                      "volume": 1.0})
    if recycling and n >= 3 and draw(st.booleans()):
        r = len(facilities)
        facilities.append({"id": f"f{r}", "name": "Recycler", "stage": "recycler", "country": "JP",
                           "owner": "owner0", "capacity": 10.0, "status": "operating"})
        source, target = draw(st.integers(1, n - 1)), draw(st.integers(0, n - 1))
        links.append({"supplier": f"f{source}", "customer": f"f{r}", "material": "magnet scrap",
                      "volume": draw(st.floats(0.01, 50, allow_nan=False))})
        links.append({"supplier": f"f{r}", "customer": f"f{target}", "material": "recycled oxide",
                      "volume": draw(st.floats(0.01, 50, allow_nan=False))})
    owners = [{"owner": f"owner{k}", "parent": f"owner{k}", "stake": 1,
               "country": draw(st.sampled_from(COUNTRIES))} for k in range(4)]
    return {"facilities": facilities, "links": links, "owners": owners}


# --- hostile input (tests/test_hostile_*.py) ----------------------------------------------
#: Characters that start a spreadsheet formula, odd whitespace and look-alikes of ASCII.
FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r"]
ODD_WHITESPACE = [" ", "\t", "\u00a0", "\u2007", "\u202f", "\u3000", "\ufeff", "\u200b"]
LOOK_ALIKES = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "c": "\u0441", "i": "\u0456",
               "_": "\uff3f", "1": "l"}


def hostile_text(max_size: int = 40):
    """Text built to break readers and writers: formula prefixes (possibly behind quotes),
    odd whitespace, quotes, separators, control characters and HTML."""
    pieces = st.sampled_from(FORMULA_STARTS + ODD_WHITESPACE + ["'", '"', ",", ";", "|", "\n",
                                                                 "<b>", "&", "\x00", "\x07"])
    head = st.lists(pieces, max_size=3).map("".join)
    return st.tuples(head, st.text(max_size=max_size)).map("".join)


def non_finite_numbers():
    """Spellings of numbers that are not finite, overflow a float64 (or exceed tiern's 1e15
    bound) or underflow to 0."""
    return st.sampled_from(["inf", "-inf", "+inf", "Inf", "INF", "infinity", "Infinity", "-Infinity",
                            "nan", "NaN", "-nan", "NAN", "1e309", "-1e309", "1e400", "1e-400",
                            "-1e-400", "1E-330", "9" * 400, "1e16"])


@st.composite
def padded_id(draw, base: str = "mine_cn"):
    """``base`` with odd whitespace before and/or after it (never equal to ``base``)."""
    before = draw(st.lists(st.sampled_from(ODD_WHITESPACE), max_size=2).map("".join))
    after = draw(st.lists(st.sampled_from(ODD_WHITESPACE), max_size=2).map("".join))
    if not before and not after:
        after = draw(st.sampled_from(ODD_WHITESPACE))
    return before + base + after


@st.composite
def look_alike_id(draw, base: str = "mine_cn"):
    """``base`` with at least one character swapped for a look-alike (Cyrillic, full-width)."""
    positions = [i for i, ch in enumerate(base) if ch in LOOK_ALIKES]
    i = draw(st.sampled_from(positions))
    return base[:i] + LOOK_ALIKES[base[i]] + base[i + 1:]


@st.composite
def recipe_network_records(draw, max_facilities=10):
    """:func:`network_records` plus facility recipe rows for some facilities: each of the
    facility's inputs in one of two groups (complements), a random ``per_unit``, so that
    substitutes, complements, joint outputs and pooled facilities all occur."""
    records = draw(network_records(max_facilities=max_facilities))
    inputs: dict[str, set] = {}
    outputs: dict[str, set] = {}
    for link in records["links"]:
        inputs.setdefault(link["customer"], set()).add(link["material"])
        outputs.setdefault(link["supplier"], set()).add(link["material"])
    recipes = []
    for facility, materials in sorted(inputs.items()):
        if not draw(st.booleans()):
            continue            # pooled
        made = sorted(outputs.get(facility, set())) or ["NdFeB magnet"]
        for output in made:
            for material in sorted(materials):
                recipes.append({"facility": facility, "output": output, "input": material,
                                "per_unit": draw(st.sampled_from([0.05, 0.3, 1.0, 1.2, 2.0])),
                                "group": draw(st.sampled_from(["a", "b"]))})
    if recipes:
        records["recipes"] = recipes
    return records
