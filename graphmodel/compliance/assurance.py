"""Control-point assurance: does each stage of a sink's supply hold the assurance it needs?

Traceability alone proves nothing; each stage needs the assurance that matches its risk.
The standards stack is data (``data/assurance.yaml``): per stage, requirement groups, each
met by a facility that holds any of the group's standards (names normalised: upper case, no
spaces, dashes, slashes, dots or "IEC"). A group may apply only to sinks of some ``sectors``
(IATF 16949 for automotive, AS9100 for defense).

Which certificates count
------------------------
Only a *published* certificate assures: a ``certifications.csv`` row with a ``source`` and a
``year``. Every other claim is *inferred (not verified)* and assures nothing:

===================================================  =====================================
where the standard is named                          counts as
===================================================  =====================================
``certifications.csv`` row with source and year      sourced: assures
``certifications.csv`` row missing source or year    inferred (not verified)
the facilities' ``certifications`` column            inferred (not verified); the column
                                                     names no source (the bundled data
                                                     infers IATF 16949 there, see its
                                                     ``certifications_basis``)
===================================================  =====================================

A standard both sourced and named in the column is sourced. Inferred certificates are
reported beside the assured ones (``inferred``, ``inferred_certified``), never added to them.

Shares
------
For sink k (sector s) and stage X, ``assured(v, X) = 1`` unless v is at stage X and misses
one of X's groups applicable to s, counting sourced certificates only. The *stage share*

    a_X(k) = share of k's supply that passes only through assured stage-X facilities

is the clean share of :mod:`.propagation` with ``ok = assured(., X)`` over every carrying
link; the *overall coverage* uses ``ok(v) = assured(v, stage(v))`` (every stage at once).
A stage none of k's supply passes through gets NaN (nothing to assure). Stages without
requirements get 1.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from graphmodel.errors import Problem, ValidationError
from graphmodel.network import Network
from graphmodel.safe_yaml import YamlProblem, load_yaml_file
from graphmodel.schema import ALL_STAGES, SECTORS, stages_in

from .propagation import build_flow

__all__ = ["Held", "Requirement", "Stack", "assurance_gaps", "assurance_ladder", "held",
           "load_stack", "missing", "normalise_certificate", "STANDARDS_FILE"]

STANDARDS_FILE = Path(__file__).with_name("data") / "assurance.yaml"


def normalise_certificate(name: str) -> str:
    """``'ISO/IEC 17025'`` -> ``'ISO17025'``; ``'NI 43-101'`` -> ``'NI43101'``."""
    text = re.sub(r"[\s\-/_.:]", "", str(name).upper())
    return text.replace("IEC", "") if text.startswith("ISO") else text


@dataclass(frozen=True)
class Requirement:
    stage: str
    purpose: str
    any_of: tuple[str, ...]
    sectors: tuple[str, ...] | None = None

    def applies(self, sector) -> bool:
        return self.sectors is None or sector in self.sectors

    def met_by(self, held: frozenset[str]) -> bool:
        return any(normalise_certificate(s) in held for s in self.any_of)


@dataclass(frozen=True)
class Stack:
    requirements: tuple[Requirement, ...]
    standards: dict

    def for_stage(self, stage: str, sector) -> list[Requirement]:
        return [r for r in self.requirements if r.stage == stage and r.applies(sector)]


@cache
def _default_stack() -> Stack:
    return load_stack(STANDARDS_FILE)


def load_stack(path: str | Path | None = None) -> Stack:
    """Read a standards-stack YAML file (default: the shipped one); errors name file and field."""
    if path is None:
        return _default_stack()
    path = Path(path)
    try:
        data = load_yaml_file(path)
    except YamlProblem as problem:
        raise ValidationError([Problem(str(path), problem.line, "-",
                                       f"cannot read standards file: {problem.message}")]) from None
    problems, requirements = [], []
    stages = (data or {}).get("stages") if isinstance(data, dict) else None
    if not isinstance(stages, dict):
        raise ValidationError([Problem(str(path), 0, "stages", "expected a mapping of stage -> groups")])
    for stage, groups in stages.items():
        if stage not in ALL_STAGES:
            problems.append(Problem(str(path), 0, f"stages.{stage}", f"unknown stage '{stage}'"))
            continue
        for i, group in enumerate(groups or []):
            where = f"stages.{stage}.{i}"
            if not isinstance(group, dict) or not group.get("any_of"):
                problems.append(Problem(str(path), 0, where, "expected {purpose, any_of: [...]}"))
                continue
            sectors = group.get("sectors")
            for sector in sectors or []:
                if sector not in SECTORS:
                    problems.append(Problem(str(path), 0, f"{where}.sectors",
                                            f"unknown sector '{sector}'"))
            requirements.append(Requirement(stage, str(group.get("purpose", "")),
                                            tuple(map(str, group["any_of"])),
                                            tuple(sectors) if sectors else None))
    if problems:
        raise ValidationError(problems)
    return Stack(tuple(requirements), dict(data.get("standards") or {}))


@dataclass(frozen=True)
class Held:
    """Per facility (index order), the normalised standards it holds: ``sourced`` (a
    ``certifications.csv`` row with source and year) and ``inferred`` (named only in the
    ``certifications`` column or in a row missing its source or year; never in ``sourced``)."""
    sourced: list[frozenset[str]]
    inferred: list[frozenset[str]]


def _filled(value) -> bool:
    return not pd.isna(value) and str(value).strip() != ""


def held(net: Network) -> Held:
    """The standards each facility holds, split into sourced and inferred (see the module
    docstring, "Which certificates count")."""
    ids = net.facilities.index
    sourced = [set() for _ in ids]
    claimed = [{normalise_certificate(c) for c in str(v).split(";") if c.strip()}
               if isinstance(v, str) else set() for v in net.facilities["certifications"]]
    table = net.certifications
    if len(table):
        sources = table["source"] if "source" in table else pd.Series(pd.NA, index=table.index)
        years = table["year"] if "year" in table else pd.Series(pd.NA, index=table.index)
        for pos, standard, source, year in zip(ids.get_indexer(table["facility"]),
                                               table["standard"], sources, years):
            if pos < 0 or not isinstance(standard, str):
                continue
            target = sourced if _filled(source) and _filled(year) else claimed
            target[pos].add(normalise_certificate(standard))
    return Held([frozenset(s) for s in sourced],
                [frozenset(c - s) for c, s in zip(claimed, sourced)])


def missing(net: Network, stack: Stack, sector=None, *, with_inferred: bool = False,
            standards: Held | None = None) -> list[list[str]]:
    """Per facility (in index order): the purposes of its stage's groups it does not meet,
    written ``purpose (A|B)``; sourced certificates only unless ``with_inferred``.
    ``standards``: :func:`held` of ``net`` when the caller has it already."""
    stages = net.facilities["stage"].to_numpy()
    h = standards or held(net)
    holds = ([s | i for s, i in zip(h.sourced, h.inferred)] if with_inferred else h.sourced)
    return [_missing(stage, have, stack, sector) for stage, have in zip(stages, holds)]


def _short(gap: str) -> str:
    """``'purpose (A|B)'`` -> ``'A|B'``."""
    return gap[gap.rfind("(") + 1:-1] if gap.endswith(")") else gap


def _missing(stage: str, held: frozenset[str], stack: Stack, sector) -> list[str]:
    return [f"{r.purpose} ({'|'.join(r.any_of)})" for r in stack.for_stage(stage, sector)
            if not r.met_by(held)]


def assurance_ladder(net: Network, sinks: list[str] | None = None, stack: Stack | None = None
                     ) -> pd.DataFrame:
    """Rows per sink and stage (plus stage ``all`` for the overall coverage):

    ``sink, name, sector, stage, share`` (a_X(k) of the module docstring, NaN when no
    supply passes that stage), ``facilities`` (upstream facilities at the stage),
    ``assured`` (of those, how many meet every group with sourced certificates),
    ``inferred`` (of the others, how many would meet every group if their inferred, not
    verified, certificates counted; they do not count in ``share`` or ``assured``), ``gaps``
    (``id: A|B; C``: the standards each unassured facility lacks a sourced certificate for,
    one group per ``;``, largest through-share first), ``certified`` (``id: JORC``: the
    standards of the stage's groups that each upstream facility at the stage holds with a
    source, met in full or not) and ``inferred_certified`` (the same for the standards it is
    credited with only by inference: inferred, not verified).

    Examples
    --------
    A magnet maker whose IATF 16949 is named only in the ``certifications`` column is not
    assured; it is counted as ``inferred``:

    >>> from graphmodel.build import network_from_records
    >>> net = network_from_records(
    ...     [{"id": "mag", "name": "Magnets", "stage": "magnet", "country": "JP",
    ...       "certifications": "IATF16949"},
    ...      {"id": "car", "name": "Cars", "stage": "oem", "country": "DE",
    ...       "sector": "automotive"}],
    ...     [{"supplier": "mag", "customer": "car", "material": "NdFeB magnet", "volume": 1}])
    >>> row = assurance_ladder(net).to_dict("records")[0]   # stages magnet, oem, all
    >>> row["stage"], row["share"], row["assured"], row["inferred"], row["inferred_certified"]
    ('magnet', 0.0, 0, 1, ['mag: IATF16949'])
    """
    stack = stack or load_stack()
    ids = net.facilities.index
    sink_ids = list(net.sinks) if sinks is None else sinks
    for sid in sink_ids:
        net.facility(sid)
    flow = build_flow(net)
    through = flow.through_rows(ids.get_indexer(sink_ids))  # T[k, u]: share of k's supply via u
    stages = net.facilities["stage"].to_numpy()
    h = held(net)
    records = []
    for sid in sink_ids:
        row = sink_ids.index(sid)
        k = ids.get_loc(sid)
        sector = net.facilities.at[sid, "sector"]
        sector = sector if isinstance(sector, str) else None
        lacking = missing(net, stack, sector, standards=h)
        lacking_inferred = missing(net, stack, sector, with_inferred=True, standards=h)
        relevant = {stage: {normalise_certificate(a) for r in stack.for_stage(stage, sector)
                            for a in r.any_of} for stage in ALL_STAGES}
        ok_all = np.array([0.0 if gaps else 1.0 for gaps in lacking])
        upstream = through[row] > 1e-12
        for stage in stages_in(stages[upstream]) + ["all"]:
            at_stage = upstream & ((stages == stage) if stage != "all" else True)
            ok = ok_all if stage == "all" else np.where(stages == stage, ok_all, 1.0)
            members = np.flatnonzero(at_stage)
            members = members[np.argsort(-through[row, members], kind="stable")]
            records.append({
                "sink": sid, "name": net.facilities.at[sid, "name"],
                "sector": sector, "stage": stage,
                "share": float(flow.clean_share(ok)[k]),
                "facilities": int(len(members)),
                "assured": int(sum(1 for m in members if not lacking[m])),
                "inferred": int(sum(1 for m in members
                                    if lacking[m] and not lacking_inferred[m])),
                "gaps": [f"{ids[m]}: {'; '.join(_short(g) for g in lacking[m])}"
                         for m in members if lacking[m]],
                "certified": _listing(ids, members, h.sourced, relevant, stages),
                "inferred_certified": _listing(ids, members, h.inferred, relevant, stages),
            })
    return pd.DataFrame(records, columns=["sink", "name", "sector", "stage", "share", "facilities",
                                          "assured", "inferred", "gaps", "certified",
                                          "inferred_certified"])


def _listing(ids, members, standards, relevant, stages) -> list[str]:
    """``id: A; B`` for each member holding any of its stage's relevant standards."""
    return [f"{ids[m]}: {'; '.join(sorted(standards[m] & relevant[stages[m]]))}"
            for m in members if standards[m] & relevant[stages[m]]]


def assurance_gaps(net: Network, sinks: list[str] | None = None, stack: Stack | None = None
                   ) -> pd.DataFrame:
    """Per facility feeding the chosen sinks and lacking something: ``id, name, stage,
    country, holds`` (standards held with a source, ``;``-separated), ``missing`` (the groups
    not met by sourced certificates), ``inferred`` (standards credited only by inference, not
    verified: they close no gap), ``sinks`` (how many of the sinks it feeds) and
    ``max_through_share`` (largest share of any chosen sink's supply passing through it)."""
    stack = stack or load_stack()
    ids = net.facilities.index
    sink_ids = list(net.sinks) if sinks is None else sinks
    through = build_flow(net).through_rows(ids.get_indexer(sink_ids))
    h = held(net)
    stages = net.facilities["stage"].to_numpy()
    records = []
    for pos, fid in enumerate(ids):
        shares = through[:, pos]
        if not (shares > 1e-12).any():
            continue
        sectors = {net.facilities.at[s, "sector"] for s, v in zip(sink_ids, shares) if v > 1e-12}
        lacking = sorted({g for sector in sectors for g in _missing(
            stages[pos], h.sourced[pos], stack, sector if isinstance(sector, str) else None)})
        if not lacking:
            continue
        fac = net.facilities.iloc[pos]
        records.append({
            "id": fid, "name": fac["name"], "stage": fac["stage"], "country": fac["country"],
            "holds": ";".join(sorted(h.sourced[pos])), "missing": lacking,
            "inferred": ";".join(sorted(h.inferred[pos])), "sinks": int((shares > 1e-12).sum()),
            "max_through_share": float(shares.max()),
        })
    frame = pd.DataFrame(records, columns=["id", "name", "stage", "country", "holds", "missing",
                                           "inferred", "sinks", "max_through_share"])
    return frame.sort_values(["max_through_share", "id"], ascending=[False, True],
                             kind="stable").reset_index(drop=True)
