"""Compliance and the closed specification loop.

* :mod:`.rules`: rules as data (YAML), validated with file/line/field errors.
* :mod:`.sourcing`: origin restrictions (DFARS 252.225-7052, user sourcing policies).
* :mod:`.benchmark`: concentration benchmarks (EU CRMA 2030).
* :mod:`.export_controls`: element- and product-based export controls (China 2025).
* :mod:`.propagation`: the share propagation they all use.

:func:`evaluate` runs any mix of rules and returns one table; its common columns are
``id, name, rule, kind, in_force, compliant_share, offending``.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from graphmodel.network import Network

from .benchmark import benchmark_detail, evaluate_benchmark
from .export_controls import controlled_links, evaluate_export_control
from .rules import (BenchmarkRule, ExportControlRule, Rule, RuleError, SourcingRule, load_rule_file,
                    load_rules, select_rules)
from .sourcing import evaluate_sourcing, remediation

_LEAD = ["id", "name", "rule", "kind", "in_force", "compliant_share", "offending"]


def evaluate(net: Network, rules: list[Rule], *, as_of: dt.date | None = None,
             all_sinks: bool = False, cots_threshold: float | None = None,
             cots_exempt_when: str | None = None, buyers: list[str] | None = None) -> pd.DataFrame:
    """Evaluate each rule by its kind and stack the results (common columns first).
    ``cots_threshold`` and ``cots_exempt_when`` override every sourcing rule's ``cots`` block."""
    frames = []
    for rule in rules:
        if isinstance(rule, SourcingRule):
            frame = evaluate_sourcing(net, rule, as_of=as_of, all_sinks=all_sinks,
                                      cots_threshold=cots_threshold,
                                      cots_exempt_when=cots_exempt_when)
            frame.insert(7, "kind", rule.kind)
        elif isinstance(rule, BenchmarkRule):
            frame = evaluate_benchmark(net, rule, as_of=as_of, buyers=buyers)
        else:
            frame = evaluate_export_control(net, rule, as_of=as_of)
        frames.append(frame)
    frames = [f for f in frames if len(f)] or frames[:1]
    table = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    rest = [c for c in table.columns if c not in _LEAD]
    return table[_LEAD + rest]


def remediation_table(net: Network, rules: list[Rule], *, all_sinks: bool = False,
                      cots_threshold: float | None = None,
                      cots_exempt_when: str | None = None) -> pd.DataFrame:
    """:func:`.sourcing.remediation` for every sourcing rule among ``rules``."""
    frames = [remediation(net, r, all_sinks=all_sinks, cots_threshold=cots_threshold,
                          cots_exempt_when=cots_exempt_when)
              for r in rules if isinstance(r, SourcingRule)]
    if not frames:
        raise RuleError("--explain needs a sourcing rule (e.g. dfars-2027)")
    return pd.concat(frames, ignore_index=True)


def rules_table(rules: dict[str, Rule], as_of: dt.date) -> pd.DataFrame:
    """One row per rule: id, kind, family, name, dates, in_force on ``as_of``, scope, sources,
    file and, for sourcing rules, the COTS exemption test (e.g. ``cots and covered_content <
    0.5``; ``none`` when the rule has none)."""
    records = []
    for rule in rules.values():
        scope = ""
        if isinstance(rule, SourcingRule):
            scope = (f"countries {','.join(rule.covered_countries)}; stages "
                     f"{','.join(sorted(rule.covered_stages()))}; sinks "
                     f"{','.join(rule.applies_to.sectors or ['all'])}")
        elif isinstance(rule, BenchmarkRule):
            scope = f"<= {rule.max_single_country_share:.0%} per third country per stage"
        elif isinstance(rule, ExportControlRule):
            scope = f"from {','.join(rule.controlling_countries)}: {','.join(rule.elements)}"
        records.append({
            "id": rule.id, "kind": rule.kind, "family": rule.family, "name": rule.name,
            "effective": rule.effective.isoformat(),
            "expires": rule.expires.isoformat() if rule.expires else None,
            "in_force": rule.in_force(as_of), "scope": scope,
            "sources": [s.url or s.title for s in rule.sources], "file": rule.path,
            "cots": rule.cots.describe() if isinstance(rule, SourcingRule) else None,
        })
    return pd.DataFrame(records)


__all__ = [
    "BenchmarkRule", "ExportControlRule", "Rule", "RuleError", "SourcingRule", "benchmark_detail",
    "controlled_links", "evaluate", "evaluate_benchmark", "evaluate_export_control",
    "evaluate_sourcing", "load_rule_file", "load_rules", "remediation", "remediation_table",
    "rules_table", "select_rules",
]
