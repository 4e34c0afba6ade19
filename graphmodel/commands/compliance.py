"""``tiern compliance``, ``assurance``, ``qualify``, ``change``, ``capacity-gap`` and
``supply-risk``: rules as data, assurance coverage and the closed specification loop."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import List, Optional

import typer

from ._common import FormatOpt, OutputOpt, PathArg, emit, load

RulesFileOpt = typer.Option(
    None, "--rules-file", help="Extra rule YAML file (repeatable); its id may replace a built-in.",
    show_default=False)
AsOfOpt = typer.Option(None, "--as-of", help="Date the in_force column refers to (YYYY-MM-DD; "
                       "default today). Families (e.g. 'dfars') resolve to the version in force.",
                       show_default=False)


def register(app: typer.Typer) -> None:
    app.command("compliance")(compliance)
    app.command("rules")(rules)
    app.command("assurance")(assurance)


def _date(text: Optional[str]) -> dt.date:
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"expected a date YYYY-MM-DD, got '{text}'", param_hint="--as-of")


def compliance(
    path: Optional[Path] = PathArg,
    rule: str = typer.Option("all", "--rule", "-r",
                             help="Rule id (dfars-2027, dfars-current, crma-2030, "
                                  "china-export-controls-2025-04, ...), a family (dfars, crma, "
                                  "china-export-controls) or all."),
    all_sinks: bool = typer.Option(False, "--all-sinks",
                                   help="Apply sourcing rules to every sink, not only the "
                                        "rule's sectors (DFARS: defense)."),
    cots_threshold: Optional[float] = typer.Option(
        None, "--cots-threshold", min=0, max=1,
        help="COTS exemption cut-off: a link flagged cots is exempt when its covered_content "
             "(weight fraction) is below this (default: the rule's, 0.5 for DFARS)."),
    buyers: Optional[str] = typer.Option(
        None, "--buyers", help="Benchmark buyer set: comma-separated facility ids or country "
                               "codes (default: the rule's, EU27 for CRMA)."),
    explain: bool = typer.Option(False, "--explain",
                                 help="Sourcing rules: list what would have to change (offender, "
                                      "blocked share, alternatives) instead of the verdicts."),
    as_of: Optional[str] = AsOfOpt,
    rules_file: Optional[List[Path]] = RulesFileOpt,
    fmt: Optional[str] = FormatOpt,
    output: Optional[Path] = OutputOpt,
) -> None:
    """Evaluate compliance rules: per facility the compliant share of its magnet supply, the
    offending upstream facilities, a Tier-N trace and what would have to change."""
    from graphmodel.compliance import evaluate, load_rules, remediation_table, select_rules

    day = _date(as_of)
    net = load(path)
    loaded = load_rules(rules_file)
    chosen = select_rules(loaded, rule, day)
    if explain:
        table = remediation_table(net, chosen, all_sinks=all_sinks, cots_threshold=cots_threshold)
    else:
        table = evaluate(net, chosen, as_of=day, all_sinks=all_sinks,
                         cots_threshold=cots_threshold, buyers=_split(buyers))
    emit(table, fmt, output, sheet="compliance")


def rules(
    rules_file: Optional[List[Path]] = RulesFileOpt,
    as_of: Optional[str] = AsOfOpt,
    fmt: Optional[str] = FormatOpt,
    output: Optional[Path] = OutputOpt,
) -> None:
    """List the rules (built-in and --rules-file) with their dates, scope and sources."""
    from graphmodel.compliance import load_rules, rules_table

    emit(rules_table(load_rules(rules_file), _date(as_of)), fmt, output, sheet="rules")


def assurance(
    path: Optional[Path] = PathArg,
    sink: Optional[List[str]] = typer.Option(None, "--sink", help="Sink id (repeatable; default "
                                             "every sink)."),
    gaps: bool = typer.Option(False, "--gaps", help="List facilities lacking assurances instead "
                                                    "of the per-stage ladder."),
    standards: Optional[Path] = typer.Option(None, "--standards",
                                             help="Standards-stack YAML (default: the shipped "
                                                  "graphmodel/compliance/data/assurance.yaml)."),
    fmt: Optional[str] = FormatOpt,
    output: Optional[Path] = OutputOpt,
) -> None:
    """Per sink and stage: the share of supply passing only through facilities holding the
    assurances that stage requires, the gaps, and the overall coverage (stage 'all')."""
    from graphmodel.compliance.assurance import assurance_gaps, assurance_ladder, load_stack

    net = load(path)
    for sid in sink or []:
        net.facility(sid)
    stack = load_stack(standards)
    table = (assurance_gaps(net, sink or None, stack) if gaps
             else assurance_ladder(net, sink or None, stack))
    emit(table, fmt, output, sheet="assurance")


def _split(text: Optional[str]) -> Optional[list[str]]:
    if not text:
        return None
    return [part.strip() for part in text.split(",") if part.strip()]


def _note(message: str) -> None:
    print(message, file=sys.stderr)
