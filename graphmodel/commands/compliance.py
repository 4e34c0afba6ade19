"""``tiern compliance``, ``assurance``, ``qualify``, ``change``, ``capacity-gap`` and
``supply-risk``: rules as data, assurance coverage and the closed specification loop."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import List, Optional

import typer

from ._common import FormatOpt, OutputOpt, PathArg, WideOpt, emit, load

# Analytics are imported inside the commands, for start-up speed (see graphmodel.commands).

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
    app.command("qualify")(qualify)
    app.command("change")(change)
    app.command("capacity-gap")(capacity_gap)
    app.command("supply-risk")(supply_risk)


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
        None, "--cots-threshold",
        help="COTS exemption cut-off: a link flagged cots is exempt when the rule's measure "
             "(DFARS: covered_content, weight fraction 0..1) is on the exempt side of this "
             "(default: the rule's, 0.5 for DFARS)."),
    cots_exempt_when: Optional[str] = typer.Option(
        None, "--cots-exempt-when",
        help="Which side of the COTS threshold is exempt: below, at_or_below, above or "
             "at_or_above (default: the rule's; below for DFARS)."),
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
    wide: bool = WideOpt,
) -> None:
    """Evaluate compliance rules: per facility the compliant share of its magnet supply, the
    offending upstream facilities, a Tier-N trace and what would have to change."""
    from graphmodel.compliance import evaluate, load_rules, remediation_table, select_rules
    from graphmodel.compliance.rules import COTS_COMPARISONS

    day = _date(as_of)
    if cots_exempt_when is not None and cots_exempt_when not in COTS_COMPARISONS:
        raise typer.BadParameter(f"expected one of {', '.join(COTS_COMPARISONS)}, got "
                                 f"'{cots_exempt_when}'", param_hint="--cots-exempt-when")
    net = load(path)
    loaded = load_rules(rules_file)
    chosen = select_rules(loaded, rule, day)
    if explain:
        table = remediation_table(net, chosen, all_sinks=all_sinks, cots_threshold=cots_threshold,
                                  cots_exempt_when=cots_exempt_when)
    else:
        table = evaluate(net, chosen, as_of=day, all_sinks=all_sinks,
                         cots_threshold=cots_threshold, cots_exempt_when=cots_exempt_when,
                         buyers=_split(buyers))
    emit(table, fmt, output, sheet="compliance", wide=wide)


def rules(
    rules_file: Optional[List[Path]] = RulesFileOpt,
    as_of: Optional[str] = AsOfOpt,
    fmt: Optional[str] = FormatOpt,
    output: Optional[Path] = OutputOpt,
    wide: bool = WideOpt,
) -> None:
    """List the rules (built-in and --rules-file) with their dates, scope and sources."""
    from graphmodel.compliance import load_rules, rules_table

    emit(rules_table(load_rules(rules_file), _date(as_of)), fmt, output, sheet="rules",
         wide=wide)


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
    wide: bool = WideOpt,
) -> None:
    """Per sink and stage: the share of supply passing only through facilities holding the
    assurances that stage requires, the gaps, and the overall coverage (stage 'all').

    Only published certificates assure (certifications.csv rows with source and year); those
    named only in the facilities' certifications column are inferred (not verified) and shown
    apart: 'inferred' counts the facilities they would assure, 'inferred_certified' lists them."""
    from graphmodel.compliance.assurance import assurance_gaps, assurance_ladder, load_stack

    net = load(path)
    for sid in sink or []:
        net.facility(sid)
    stack = load_stack(standards)
    table = (assurance_gaps(net, sink or None, stack) if gaps
             else assurance_ladder(net, sink or None, stack))
    listed = table["inferred_certified"].map(len) if "inferred_certified" in table else []
    notes = [INFERRED_NOTE] if table["inferred"].astype(bool).any() or any(listed) else []
    emit(table, fmt, output, sheet="assurance", wide=wide, notes=notes)


#: The table-view note of ``tiern assurance`` when inferred certificates are present.
INFERRED_NOTE = ("assured counts published certificates only (certifications.csv rows with "
                 "source and year); 'inferred' = inferred (not verified): certificates named "
                 "without a source, e.g. in the facilities' certifications column, which assure "
                 "nothing")


def qualify(
    path: Optional[Path] = PathArg,
    customer: str = typer.Option(..., "--customer", help="Customer facility id."),
    material: str = typer.Option(..., "--material", help="Material, e.g. 'NdFeB magnet', 'Dy oxide'."),
    rule: Optional[str] = typer.Option(None, "--rule", "-r", help="Also show each candidate's "
                                       "compliant share under this sourcing rule (e.g. dfars-2027)."),
    chain: bool = typer.Option(False, "--chain", help="Show the requirement chain instead: the "
                               "customer's spec, the grade classes that qualify, their Dy/Tb "
                               "content and the oxide purity floors upstream, with who meets each."),
    rules_file: Optional[List[Path]] = RulesFileOpt,
    fmt: Optional[str] = FormatOpt,
    output: Optional[Path] = OutputOpt,
    wide: bool = WideOpt,
) -> None:
    """Which suppliers can meet the customer's spec for a material (and with which grade),
    which are qualified, and the months to qualify each alternative. Unknown capability is
    reported as unknown (meets_spec empty), never as a fit."""
    from graphmodel.compliance import load_rules, select_rules
    from graphmodel.compliance.qualification import qualify as run
    from graphmodel.compliance.qualification import requirement_chain

    if chain:
        emit(requirement_chain(load(path), customer, material), fmt, output, sheet="chain",
             wide=wide)
        return
    chosen = None
    if rule is not None:
        chosen = select_rules(load_rules(rules_file), rule, dt.date.today(), kind="sourcing")[0]
    emit(run(load(path), customer, material, chosen), fmt, output, sheet="qualify", wide=wide)


def change(
    path: Optional[Path] = PathArg,
    replace: str = typer.Option(..., "--replace", help="Supplier facility id to replace."),
    with_: str = typer.Option(..., "--with", help="Facility id of the new supplier."),
    customer: Optional[List[str]] = typer.Option(None, "--customer", help="Only the links to "
                                                 "this customer (repeatable; default all)."),
    view: str = typer.Option("affected", "--view", help="affected (every facility needing "
                             "(re)qualification) | links (the moved links and spec deltas)"),
    scenario_out: Optional[Path] = typer.Option(None, "--scenario-out", help="Write a scenario "
                                                "YAML for `tiern scenario` to this file."),
    fmt: Optional[str] = FormatOpt,
    output: Optional[Path] = OutputOpt,
    wide: bool = WideOpt,
) -> None:
    """A source change as an engineering event: spec deltas, downstream requalification and
    months until the new route is usable; optionally a scenario file for the engine."""
    from graphmodel.safe_yaml import dump_yaml

    from graphmodel.compliance.qualification import change as run

    if view not in ("affected", "links"):
        raise typer.BadParameter("expected affected or links", param_hint="--view")
    result = run(load(path), replace, with_, customer or None)
    if scenario_out is not None:
        scenario_out.parent.mkdir(parents=True, exist_ok=True)
        scenario_out.write_text(dump_yaml(result.scenario, sort_keys=False), encoding="utf-8")
        _note(f"wrote {scenario_out}")
    _note(f"months until the new route is usable everywhere: {result.months_until_usable:g}")
    emit(result.affected if view == "affected" else result.links, fmt, output, sheet="change",
         wide=wide)


def capacity_gap(
    path: Optional[Path] = PathArg,
    fmt: Optional[str] = FormatOpt,
    output: Optional[Path] = OutputOpt,
    wide: bool = WideOpt,
) -> None:
    """Qualified vs nameplate capacity per stage and country (per unit; never summed across)."""
    from graphmodel.compliance.qualification import capacity_gap as run

    emit(run(load(path)), fmt, output, sheet="capacity", wide=wide)


def supply_risk(
    path: Optional[Path] = PathArg,
    buyers: Optional[str] = typer.Option(None, "--buyers", help="EU-sourcing buyer set: "
                                         "comma-separated facility ids (default: every facility "
                                         "located in the EU-27)."),
    inputs: Optional[Path] = typer.Option(None, "--inputs", help="CSV of stage, import_reliance, "
                                          "eol_rir, si_sr (default: the shipped defaults)."),
    wgi: Optional[Path] = typer.Option(None, "--wgi", help="CSV of country, wgi_scaled, "
                                       "trade_factor (default: the shipped approximate table)."),
    fmt: Optional[str] = FormatOpt,
    output: Optional[Path] = OutputOpt,
    wide: bool = WideOpt,
) -> None:
    """EU supply-risk indicator per stage (JRC method): governance-weighted HHI of global
    supply and EU sourcing, import reliance, end-of-life recycling and substitution."""
    from graphmodel.compliance.supply_risk import read_inputs, read_wgi
    from graphmodel.compliance.supply_risk import supply_risk as run

    net = load(path)
    ids = _split(buyers)
    for fid in ids or []:
        net.facility(fid)
    table = run(net, ids, read_inputs(inputs), read_wgi(wgi))
    emit(table, fmt, output, sheet="supply_risk", wide=wide)


def _split(text: Optional[str]) -> Optional[list[str]]:
    if not text:
        return None
    return [part.strip() for part in text.split(",") if part.strip()]


def _note(message: str) -> None:
    print(message, file=sys.stderr)
