"""Merge several networks (bundled facility data, USGS, trade, AMRT declarations) into one.

Inputs are given in **priority order**: when two inputs describe the same facility or the same
link, the earlier input's values win and later inputs only fill empty cells. The merge runs in
five steps, each recorded in the merge report (one row per decision):

1. **Facility matching.** A later facility is the same as a kept one when

   * ``alias``: its id or its normalised name is listed in the alias table (``alias,
     canonical_id``; the alias is an id or a name), and it is then renamed to the canonical id;
   * ``same id``: it has the id of a kept facility with the same stage and country (a same id
     with a different stage or country is reported ``ambiguous`` and kept apart as
     ``<id>@<input name>``);
   * ``name``: exactly one kept facility *from another input* has the same normalised name
     (:func:`normalize_name`: case-folded, accents and punctuation removed, trailing legal
     suffixes such as Ltd, Inc, Co, Corp, GmbH, S.A., Sdn Bhd dropped), country and stage.
     Two or more candidates, or a name and country match at a different stage, are reported
     ``ambiguous`` and the facilities are kept apart.

   Country-level nodes (``level = country``) match by id only.
2. **Links** are re-pointed to the kept ids. Two inputs reporting the same link
   (supplier, customer, material) count once: the earlier input's row is kept, the later one
   reported as ``duplicate link`` (volumes are never added).
3. **Refinement of country-level estimates.** A link between two country-level nodes
   ``(X, stage s) -> (Y, stage t)`` (a trade estimate) covers every facility-level link whose
   supplier is a facility-level node in country X at stage s and whose customer is a
   facility-level node in Y at stage t, whatever the material. With ``V`` = the summed volume of
   those facility links (links with ``volume_known = False``, e.g. from an AMRT, add nothing),
   the estimate becomes ``max(0, volume - V)``: ``link reduced`` when positive, ``link dropped``
   when it reaches 0 (the facility data account for the whole estimated flow). When only links
   of unknown volume refine it, it is kept and reported ``refined, volume unknown``.
4. **Country capacity residuals.** A country-level node with a capacity (USGS mine production)
   keeps only what the facility-level nodes of the same stage, country and unit do not account
   for: ``capacity = max(0, reported - S)`` with ``S`` the summed capacity of those facilities
   that are ``operating`` (planned, construction and idle ones produce nothing in a reported
   production figure); ``capacity_reported`` keeps the figure. So the stage total by country
   after the merge (operating facilities plus the residual) equals the reported figure whenever
   ``S <= reported``, and no tonne is counted twice. ``S > reported`` is reported (the residual
   is then 0 and the facility figures stand). A country node left with 0 and no link is dropped
   (``country node dropped``). Facilities in another unit are not subtracted and are reported.
5. **Owners and demand** are concatenated; the first row of a duplicated (owner, parent) or
   demand facility wins.

The merged network goes through the normal validation.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from graphmodel.events.read import read_alias_table
from graphmodel.errors import Problem, ValidationError
from graphmodel.network import Network
from graphmodel.output import markdown_table

from .fragment import COUNTRY_LEVEL, build_network

REPORT_COLUMNS = ["action", "kept", "other", "input", "detail", "before", "after"]
#: Trailing words dropped from names before matching (legal forms).
LEGAL_SUFFIXES = frozenset({
    "ltd", "limited", "inc", "incorporated", "co", "corp", "corporation", "company", "gmbh",
    "ag", "kg", "sa", "sas", "sarl", "plc", "llc", "llp", "lp", "kk", "bv", "nv", "spa", "srl",
    "pty", "sdn", "bhd", "jsc", "pjsc", "oy", "oyj", "ab", "as", "asa", "tbk", "pte", "pvt",
})


def normalize_name(name: str) -> str:
    """Name key for matching: ``"Baotou Rare Earth Separation Co., Ltd."`` -> ``"baotou rare earth separation"``.

    >>> normalize_name("Lynas Malaysia Sdn. Bhd."), normalize_name("Solvay S.A.")
    ('lynas malaysia', 'solvay')
    """
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode().casefold()
    text = text.replace(".", "")
    words = re.sub(r"[^a-z0-9]+", " ", text).split()
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    return " ".join(words)


@dataclass
class MergeResult:
    """The merged network and one report row per merge decision."""

    network: Network
    report: pd.DataFrame

    def report_markdown(self) -> str:
        """The report as Markdown: counts per action, then every row."""
        counts = self.report["action"].value_counts().rename_axis("action").reset_index(name="count")
        table = markdown_table(self.report.fillna("")) if len(self.report) else "(nothing to report)"
        return ("# Merge report\n\n" + f"Merged network: {len(self.network.facilities)} facilities, "
                f"{len(self.network.links)} links.\n\n## Summary\n\n"
                + (markdown_table(counts) if len(counts) else "(no decisions)")
                + "\n\n## Decisions\n\n" + table + "\n")


def read_aliases(path: str | Path) -> pd.DataFrame:
    """The alias table (CSV, UTF-8, columns ``alias,canonical_id``) with ``_row`` numbers
    (:func:`graphmodel.events.read.read_alias_table`: the event matcher reads the same file)."""
    return read_alias_table(path)


def merge_networks(networks: list[Network], *, aliases: pd.DataFrame | None = None,
                   name: str = "merged") -> MergeResult:
    """Merge networks in priority order (see the module docstring for the exact rules).

    Raises :class:`graphmodel.errors.ValidationError` when an alias names an unknown canonical
    id, or when the merged tables fail validation.
    """
    if not networks:
        raise ValueError("nothing to merge")
    report: list[dict] = []
    frames = [_facility_frame(net, k) for k, net in enumerate(networks)]
    alias_map = _alias_map(aliases, frames)
    kept, mapping = _resolve(frames, networks, alias_map, report)
    links = _merge_links(networks, mapping, report)
    facilities = pd.DataFrame(kept.values())
    links = _refine(links, facilities, report)
    facilities, fully_accounted = _residual_capacity(facilities, report)
    facilities = _drop_empty_country_nodes(facilities, fully_accounted, links, report)
    owners, demand = _owners_demand(networks, mapping)
    network = build_network(
        _records(facilities.drop(columns=["_input"])), _records(links.drop(columns=["_input"])),
        owners=_records(owners), demand=_records(demand), name=name)
    return MergeResult(network, pd.DataFrame(report, columns=REPORT_COLUMNS))


# --- facilities ----------------------------------------------------------------------------------

def _facility_frame(net: Network, k: int) -> pd.DataFrame:
    frame = net.facilities.reset_index()
    frame["_input"] = net.name or f"input{k + 1}"
    if "level" not in frame:
        frame["level"] = None
    return frame


def _alias_map(aliases: pd.DataFrame | None, frames: list[pd.DataFrame]) -> dict[str, str]:
    """alias (id, or normalised name prefixed 'name:') -> canonical id."""
    if aliases is None or aliases.empty:
        return {}
    known = set().union(*(set(f["id"]) for f in frames))
    rows = aliases.to_dict("records")
    problems = [Problem(row["_file"], row["_row"], "canonical_id", f"unknown facility id "
                        f"'{row['canonical_id']}' (not in any input)")
                for row in rows if row["canonical_id"] not in known]
    problems += _alias_chains(rows)
    if problems:
        raise ValidationError(problems)
    mapping = {}
    for row in rows:
        mapping[row["alias"]] = row["canonical_id"]
        mapping["name:" + normalize_name(row["alias"])] = row["canonical_id"]
    return mapping


def _alias_chains(rows: list[dict]) -> list[Problem]:
    """An alias must lead straight to a canonical id: a canonical id that is itself an alias
    (a chain, or a cycle that would rename two facilities into each other and count one twice)
    and an alias given two different canonical ids are refused."""
    first = {}
    problems = []
    for row in rows:
        earlier = first.setdefault(row["alias"], row)
        if earlier["canonical_id"] != row["canonical_id"]:
            problems.append(Problem(row["_file"], row["_row"], "canonical_id", f"alias '{row['alias']}' "
                                    f"already maps to '{earlier['canonical_id']}' (row {earlier['_row']})"))
    for row in rows:
        path, seen = [row["alias"], row["canonical_id"]], {row["alias"]}
        while path[-1] in first and path[-1] not in seen and path[-1] != first[path[-1]]["canonical_id"]:
            seen.add(path[-1])
            path.append(first[path[-1]]["canonical_id"])
        if len(path) > 2:
            kind = "cycle" if path[-1] in seen else "chain"
            problems.append(Problem(row["_file"], row["_row"], "canonical_id", f"alias {kind} "
                                    f"{' -> '.join(path)}: a canonical id must not itself be an alias"))
    return problems


def _resolve(frames, networks, alias_map, report):
    """Kept facility records by id, and (input index, original id) -> kept id."""
    kept: dict[str, dict] = {}
    mapping: dict[tuple[int, str], str] = {}
    by_name: dict[tuple[str, str], list[str]] = {}
    for k, frame in enumerate(frames):
        for record in frame.to_dict("records"):
            original = record["id"]
            target, reason = _target(record, alias_map)
            record["id"] = target
            mapping[(k, original)] = _place(record, k, original, reason, kept, by_name, report)
    return kept, mapping


def _target(record: dict, alias_map: dict) -> tuple[str, str | None]:
    for key in (record["id"], "name:" + normalize_name(record["name"])):
        if key in alias_map and alias_map[key] != record["id"]:
            return alias_map[key], "alias"
    return record["id"], None


def _place(record, k, original, reason, kept, by_name, report) -> str:
    fid, source = record["id"], record["_input"]
    if fid in kept:
        first = kept[fid]
        if (first["stage"], first["country"]) == (record["stage"], record["country"]):
            _fill(first, record)
            report.append(_row("matched", fid, original, source, reason or "same id"))
            return fid
        apart = f"{fid}@{source}"
        report.append(_row("ambiguous", fid, original, source,
                           f"same id, but {record['stage']}/{record['country']} vs "
                           f"{first['stage']}/{first['country']}: kept apart as '{apart}'"))
        record["id"] = fid = apart
    elif record.get("level") != COUNTRY_LEVEL and reason is None:
        key = (normalize_name(record["name"]), record["country"])
        others = [kept[i] for i in by_name.get(key, []) if kept[i]["_input"] != source]
        same_stage = [o for o in others if o["stage"] == record["stage"]]
        if len(same_stage) == 1:
            _fill(same_stage[0], record)
            report.append(_row("matched", same_stage[0]["id"], original, source,
                               f"same normalised name '{key[0]}', country and stage"))
            return same_stage[0]["id"]
        if others:
            report.append(_row("ambiguous", ";".join(o["id"] for o in others), original, source,
                               f"name '{key[0]}' in {key[1]} matches "
                               + (f"{len(same_stage)} facilities at this stage" if same_stage else
                                  "a facility at another stage") + "; kept apart"))
    kept[fid] = record
    by_name.setdefault((normalize_name(record["name"]), record["country"]), []).append(fid)
    if reason == "alias":
        report.append(_row("renamed", fid, original, source, "alias table: id will match the canonical id"))
    return fid


def _fill(first: dict, later: dict) -> None:
    """Fill the kept record's empty cells from a later input (earlier inputs win)."""
    for column, value in later.items():
        if column.startswith("_"):
            continue
        if _empty(first.get(column)) and not _empty(value):
            first[column] = value
    first["merged_from"] = ";".join(filter(None, [first.get("merged_from") or first["_input"],
                                                  later["_input"]]))


def _empty(value) -> bool:
    return value is None or (not isinstance(value, (list, set, dict)) and pd.isna(value)) or value == ""


# --- links ---------------------------------------------------------------------------------------

def _merge_links(networks, mapping, report) -> pd.DataFrame:
    parts = []
    for k, net in enumerate(networks):
        links = net.links.copy()
        links["supplier"] = [mapping[(k, s)] for s in links["supplier"]]
        links["customer"] = [mapping[(k, c)] for c in links["customer"]]
        links["_input"] = net.name or f"input{k + 1}"
        parts.append(links)
    links = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) \
        else parts[0]
    self_links = links["supplier"] == links["customer"]
    for row in links[self_links].to_dict("records"):
        report.append(_row("dropped link", row["supplier"], row["customer"], row["_input"],
                           "both ends merged into one facility"))
    links = links[~self_links]
    keys = ["supplier", "customer", "material"]
    duplicated = links.duplicated(keys, keep="first")
    firsts = {tuple(r[k] for k in keys): r for r in links[~duplicated].to_dict("records")}
    for row in links[duplicated].to_dict("records"):
        first = firsts[tuple(row[k] for k in keys)]
        report.append(_row("duplicate link", f"{row['supplier']} -> {row['customer']}", row["material"],
                           row["_input"], f"also reported by {first['_input']}; its volume "
                           f"{first['volume']:g} kept, {row['volume']:g} not added",
                           first["volume"], first["volume"]))
    return links[~duplicated].reset_index(drop=True)


def _refine(links: pd.DataFrame, facilities: pd.DataFrame, report) -> pd.DataFrame:
    info = facilities.set_index("id")[["stage", "country", "level"]]
    country_level = info["level"] == COUNTRY_LEVEL
    ends = links.join(info.add_prefix("s_"), on="supplier").join(info.add_prefix("c_"), on="customer")
    estimate = ends["s_level"].eq(COUNTRY_LEVEL) & ends["c_level"].eq(COUNTRY_LEVEL)
    facility_level = ~ends["supplier"].map(country_level) & ~ends["customer"].map(country_level)
    known = ends["volume_known"].astype(str).str.lower().ne("false") if "volume_known" in ends \
        else pd.Series(True, index=ends.index)
    drop = []
    for i in ends.index[estimate]:
        row = ends.loc[i]
        covered = facility_level & (ends["s_country"] == row["s_country"]) & (ends["s_stage"] == row["s_stage"]) \
            & (ends["c_country"] == row["c_country"]) & (ends["c_stage"] == row["c_stage"])
        if not covered.any():
            continue
        refined = float(ends.loc[covered & known, "volume"].sum())
        pairs = [f"{s}->{c} ({m})" for s, c, m in zip(ends.loc[covered, "supplier"], ends.loc[covered, "customer"],
                                                       ends.loc[covered, "material"])]
        names = ", ".join(pairs[:4]) + (f", ... ({len(pairs)} links)" if len(pairs) > 4 else "")
        label = f"{row['supplier']} -> {row['customer']}"
        if refined == 0:
            report.append(_row("refined, volume unknown", label, names, row["_input"],
                               "facility links of unknown volume refine this estimate; kept as is",
                               row["volume"], row["volume"]))
            continue
        after = max(0.0, float(row["volume"]) - refined)
        action = "link dropped" if after == 0 else "link reduced"
        report.append(_row(action, label, names, row["_input"],
                           f"facility-level links carry {refined:g} of the estimated {row['volume']:g}",
                           row["volume"], after))
        if after == 0:
            drop.append(i)
        else:
            links.loc[i, "volume"] = after
    return links.drop(index=drop).reset_index(drop=True)


# --- capacities ------------------------------------------------------------------------------------

def _residual_capacity(facilities: pd.DataFrame, report) -> pd.DataFrame:
    facilities = facilities.copy()
    country_level = facilities["level"] == COUNTRY_LEVEL
    if "capacity_reported" not in facilities:
        facilities["capacity_reported"] = np.nan
    drop = []
    for i in facilities.index[country_level & facilities["capacity"].notna()]:
        node = facilities.loc[i]
        peers = facilities[~country_level & (facilities["stage"] == node["stage"])
                           & (facilities["country"] == node["country"])
                           & (facilities["status"].fillna("operating") == "operating")]
        if peers.empty:
            continue
        same_unit = peers["unit"] == node["unit"]
        for other in peers[~same_unit].to_dict("records"):
            report.append(_row("unit mismatch", node["id"], other["id"], other["_input"],
                               f"capacity in '{other['unit']}', not '{node['unit']}': not subtracted"))
        listed = float(peers.loc[same_unit, "capacity"].fillna(0).sum())
        if listed == 0:
            continue
        reported = float(node["capacity"])
        residual = max(0.0, reported - listed)
        facilities.loc[i, ["capacity", "capacity_reported"]] = [residual, reported]
        ids = ";".join(peers.loc[same_unit, "id"])
        if listed > reported:
            report.append(_row("capacity exceeds country figure", node["id"], ids, node["_input"],
                               f"listed facilities hold {listed:g} {node['unit']}, more than the country "
                               f"figure {reported:g}; country node set to 0", reported, residual))
        else:
            report.append(_row("capacity residual", node["id"], ids, node["_input"],
                               f"{same_unit.sum()} listed operating facilities hold {listed:g} of "
                               f"{reported:g} {node['unit']}; the country node keeps the rest",
                               reported, residual))
        if residual == 0:
            drop.append(i)
    return facilities, drop


def _drop_empty_country_nodes(facilities, drop, links, report):
    """Drop country nodes whose capacity is fully accounted for, unless a link still uses them."""
    used = set(links["supplier"]) | set(links["customer"])
    gone = [i for i in drop if facilities.loc[i, "id"] not in used]
    for i in gone:
        report.append(_row("country node dropped", facilities.loc[i, "id"], "", facilities.loc[i, "_input"],
                           "listed facilities account for the whole country figure"))
    return facilities.drop(index=gone)


def _owners_demand(networks, mapping):
    owners = pd.concat([n.owners for n in networks], ignore_index=True)
    owners = owners[~owners[["owner", "parent"]].fillna("").duplicated()] if len(owners) else owners
    demand_parts = []
    for k, net in enumerate(networks):
        part = net.demand.copy()
        part["facility"] = [mapping[(k, f)] for f in part["facility"]]
        demand_parts.append(part)
    demand = pd.concat(demand_parts, ignore_index=True)
    demand = demand[~demand["facility"].duplicated()] if len(demand) else demand
    return owners, demand


def _records(frame: pd.DataFrame) -> list[dict]:
    return frame.to_dict("records") if len(frame) else []


def _row(action, kept, other, source, detail, before=np.nan, after=np.nan) -> dict:
    return {"action": action, "kept": kept, "other": other, "input": source, "detail": detail,
            "before": before, "after": after}
