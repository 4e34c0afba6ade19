"""Compliance rules: loading as data, DFARS sourcing verdicts, COTS, dates, CRMA, export controls."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphmodel.build import network_from_records
from graphmodel.compliance import (RuleError, benchmark_detail, controlled_links, evaluate,
                                   evaluate_sourcing, load_rule_file, load_rules, remediation,
                                   select_rules)
from graphmodel.compliance.sourcing import SourcingModel
from graphmodel.errors import ValidationError
from graphmodel.examples import example_path

from .strategies import network_records

RULES = load_rules()
DAY = dt.date(2026, 6, 1)


def fac(fid, stage, country, **extra):
    return {"id": fid, "name": fid, "stage": stage, "country": country, **extra}


def link(supplier, customer, material, volume, **extra):
    return {"supplier": supplier, "customer": customer, "material": material, "volume": volume,
            **extra}


def row(frame, fid):
    return frame.set_index("id").loc[fid]


@pytest.fixture
def japan_from_chinese_oxide():
    """mine_au -> sep_cn -> metal_jp -> magnet_jp -> oem_def (US, defense)."""
    return network_from_records(
        [fac("mine_au", "mine", "AU"), fac("sep_cn", "separator", "CN"),
         fac("metal_jp", "metal", "JP"), fac("magnet_jp", "magnet", "JP"),
         fac("oem_def", "oem", "US", sector="defense")],
        [link("mine_au", "sep_cn", "RE concentrate", 10), link("sep_cn", "metal_jp", "NdPr oxide", 10),
         link("metal_jp", "magnet_jp", "NdPr metal", 10),
         link("magnet_jp", "oem_def", "NdFeB magnet", 10)])


# --- the obvious verdicts ------------------------------------------------------------------

def test_melted_in_japan_from_chinese_oxide_passes_current_fails_2027(japan_from_chinese_oxide):
    net = japan_from_chinese_oxide
    current = evaluate_sourcing(net, RULES["dfars-current"], as_of=DAY)
    full = evaluate_sourcing(net, RULES["dfars-2027"], as_of=DAY)
    assert row(current, "oem_def")["compliant_share"] == 1.0
    assert row(current, "oem_def")["offending"] == []
    assert row(full, "oem_def")["compliant_share"] == 0.0
    assert row(full, "oem_def")["offending"] == ["sep_cn"]
    assert row(full, "oem_def")["blocking"] == ["sep_cn: 1"]
    assert row(full, "oem_def")["example_path"] == (
        "mine_au[AU] > sep_cn[CN]! > metal_jp[JP] > magnet_jp[JP] > oem_def[US]")
    # the magnet maker supplying the defense sink is a row too (flow-down)
    assert list(full["id"]) == ["oem_def", "magnet_jp"]


def test_mixed_supply_shares():
    # magnet_jp: 30 from metal_jp (Chinese oxide), 10 from metal_us (US chain) -> 10/40 = 0.25
    # oem_def: 20 from magnet_jp, 20 from magnet_us (clean) -> 0.5 * 0.25 + 0.5 * 1 = 0.625
    net = network_from_records(
        [fac("mine_us", "mine", "US"), fac("sep_cn", "separator", "CN"), fac("sep_us", "separator", "US"),
         fac("metal_jp", "metal", "JP"), fac("metal_us", "metal", "US"),
         fac("magnet_jp", "magnet", "JP"), fac("magnet_us", "magnet", "US"),
         fac("oem_def", "oem", "US", sector="defense")],
        [link("mine_us", "sep_cn", "RE concentrate", 30), link("mine_us", "sep_us", "RE concentrate", 30),
         link("sep_cn", "metal_jp", "NdPr oxide", 30), link("sep_us", "metal_us", "NdPr oxide", 30),
         link("metal_jp", "magnet_jp", "NdPr metal", 30), link("metal_us", "magnet_jp", "NdPr metal", 10),
         link("metal_us", "magnet_us", "NdPr metal", 20),
         link("magnet_jp", "oem_def", "NdFeB magnet", 20), link("magnet_us", "oem_def", "NdFeB magnet", 20)])
    full = evaluate_sourcing(net, RULES["dfars-2027"], as_of=DAY)
    assert row(full, "magnet_jp")["compliant_share"] == pytest.approx(0.25)
    assert row(full, "oem_def")["compliant_share"] == pytest.approx(0.625)
    assert row(full, "oem_def")["blocking"] == ["sep_cn: 0.375"]  # 0.5 * 0.75


def test_golden_recycling_loop_by_hand(golden):
    # dfars-2027: metal_jp = 20/25 = 0.8 (5 of 25 is Chinese Dy oxide);
    # magnet_jp = 0.8 * 0.8 + 0.2 * rec_jp, rec_jp = oem_auto = motor_de = 0.25 * magnet_jp
    #   -> m = 0.64 + 0.05 m -> m = 0.64 / 0.95; oem_def = 0.5 * m (half from magnet_cn).
    full = evaluate_sourcing(golden, RULES["dfars-2027"], as_of=DAY)
    assert row(full, "magnet_jp")["compliant_share"] == pytest.approx(0.64 / 0.95)
    assert row(full, "oem_def")["compliant_share"] == pytest.approx(0.32 / 0.95)
    # dfars-current: metal_jp clean, so m = 0.8 + 0.05 m -> 0.8 / 0.95
    current = evaluate_sourcing(golden, RULES["dfars-current"], as_of=DAY)
    assert row(current, "oem_def")["compliant_share"] == pytest.approx(0.4 / 0.95)
    assert set(row(full, "oem_def")["offending"]) == {"mine_cn", "sep_cn", "metal_cn", "magnet_cn"}
    assert set(current["role"]) == {"sink", "supplier"}
    assert "oem_auto" not in set(full["id"])  # automotive sink: not under DFARS by default
    assert "oem_auto" in set(evaluate_sourcing(golden, RULES["dfars-2027"], all_sinks=True)["id"])


def test_what_would_have_to_change(golden):
    table = remediation(golden, RULES["dfars-2027"])
    oem = table[table["id"] == "oem_def"]
    first = oem.iloc[0]
    assert (first["offender"], first["customer"], first["alternative"]) == (
        "magnet_cn", "oem_def", "magnet_jp")
    assert first["link_status"] == "qualified"
    # sep_cn's Dy oxide to metal_jp: sep_my (qualified, clean) ranks before sep_us (candidate)
    sep = oem[oem["offender"] == "sep_cn"]
    assert list(sep["alternative"]) == ["sep_my", "sep_us"]
    assert list(sep["link_status"]) == ["qualified", "candidate"]
    assert sep["qualification_months"].iloc[1] == 18
    # 5/25 of metal_jp * 0.8 of magnet_jp * (1/0.95 loop) * 0.5 of oem_def
    assert sep["blocking_share"].iloc[0] == pytest.approx(0.2 * 0.8 / 0.95 * 0.5)


# --- COTS ------------------------------------------------------------------------------------

def _cots_network(**motor_link):
    return network_from_records(
        [fac("magnet_cn", "magnet", "CN"), fac("motor_cn", "motor", "CN"),
         fac("oem_def", "oem", "US", sector="defense")],
        [link("magnet_cn", "motor_cn", "NdFeB magnet", 5),
         link("motor_cn", "oem_def", "motor", 10, **motor_link)])


def test_cots_item_below_covered_content_threshold_is_exempt():
    # a COTS motor that is 3% magnet by weight: below the 0.5 threshold -> exempt
    net = _cots_network(cots="true", covered_content=0.03)
    result = row(evaluate_sourcing(net, RULES["dfars-current"], as_of=DAY), "oem_def")
    assert result["compliant_share"] == 1.0
    assert result["exempt_share"] == 1.0
    assert result["offending"] == []
    # lowering the threshold below the content removes the exemption
    strict = row(evaluate_sourcing(net, RULES["dfars-current"], cots_threshold=0.01), "oem_def")
    assert strict["compliant_share"] == 0.0
    assert strict["offending"][0] == "motor_cn"


def test_not_cots_or_cots_magnet_is_not_exempt():
    plain = _cots_network()
    assert row(evaluate_sourcing(plain, RULES["dfars-current"]), "oem_def")["compliant_share"] == 0.0
    magnet = network_from_records(
        [fac("magnet_cn", "magnet", "CN"), fac("oem_def", "oem", "US", sector="defense")],
        [link("magnet_cn", "oem_def", "NdFeB magnet", 5, cots="yes")])  # content defaults to 1.0
    assert row(evaluate_sourcing(magnet, RULES["dfars-current"]), "oem_def")["compliant_share"] == 0.0


# The literal reading ("a COTS item above the threshold is exempt") as a user rule:
# the cots block names what it measures, the cut-off and which side of it is exempt.
COTS_ABOVE_POLICY = textwrap.dedent("""\
    id: acme-cots-above
    kind: sourcing
    name: ACME policy, COTS items above the covered-content threshold exempt
    effective: 2025-01-01
    covered_countries: [CN]
    covered_materials: [NdFeB, magnet]
    covered_steps: [produced, manufactured]
    applies_to:
      sectors: [defense]
    cots:
      measure: covered_content
      threshold: 0.5
      exempt_when: above
    sources:
      - title: invented for the test
    """)


def _cots_above_rule(tmp_path, text=COTS_ABOVE_POLICY):
    path = tmp_path / "cots-above.yaml"
    path.write_text(text)
    return path, load_rule_file(path)


def _verdict(net, rule, **options):
    return row(evaluate_sourcing(net, rule, as_of=DAY, **options), "oem_def")


def test_cots_item_above_threshold_is_exempt_under_an_above_rule(tmp_path):
    _, rule = _cots_above_rule(tmp_path)
    assert (rule.cots.measure, rule.cots.threshold, rule.cots.exempt_when) == (
        "covered_content", 0.5, "above")
    above = _verdict(_cots_network(cots="yes", covered_content=0.8), rule)
    assert (above["compliant_share"], above["exempt_share"], above["offending"]) == (1.0, 1.0, [])
    # the same item below the threshold is not exempt: its Chinese motor maker offends
    below = _verdict(_cots_network(cots="yes", covered_content=0.2), rule)
    assert (below["compliant_share"], below["exempt_share"]) == (0.0, 0.0)
    assert below["offending"][0] == "motor_cn"
    # exactly at the threshold: 'above' is strict, 'at_or_above' includes it
    at = _cots_network(cots="yes", covered_content=0.5)
    assert _verdict(at, rule)["compliant_share"] == 0.0
    assert _verdict(at, rule, cots_exempt_when="at_or_above")["compliant_share"] == 1.0
    # not flagged cots: never exempt, whatever the content
    assert _verdict(_cots_network(covered_content=0.8), rule)["compliant_share"] == 0.0


def test_dfars_default_reading_is_below_and_overridable():
    cots = RULES["dfars-current"].cots
    assert (cots.measure, cots.threshold, cots.exempt_when) == ("covered_content", 0.5, "below")
    assert RULES["dfars-2027"].cots == cots
    heavy = _cots_network(cots="true", covered_content=0.8)  # mostly magnet by weight
    assert _verdict(heavy, RULES["dfars-current"])["compliant_share"] == 0.0
    # the direction flipped on the command line turns the verdicts round
    assert _verdict(heavy, RULES["dfars-current"], cots_exempt_when="above")["compliant_share"] == 1.0
    light = _cots_network(cots="true", covered_content=0.03)
    assert _verdict(light, RULES["dfars-current"], cots_exempt_when="above")["compliant_share"] == 0.0
    # threshold 1.0 (the statute's magnet reading): any incorporated COTS item is exempt
    assert _verdict(heavy, RULES["dfars-current"], cots_threshold=1.0)["compliant_share"] == 1.0


def test_cots_measure_can_be_any_numeric_column(tmp_path):
    text = COTS_ABOVE_POLICY.replace("measure: covered_content", "measure: unit_value").replace(
        "threshold: 0.5", "threshold: 10000")
    _, rule = _cots_above_rule(tmp_path, text)
    assert _verdict(_cots_network(cots="yes", unit_value=25000), rule)["compliant_share"] == 1.0
    assert _verdict(_cots_network(cots="yes", unit_value=900), rule)["compliant_share"] == 0.0
    # a blank value of a measure other than covered_content proves nothing: not exempt
    assert _verdict(_cots_network(cots="yes", unit_value=""), rule)["compliant_share"] == 0.0
    # a cots link and no such column anywhere: a message, not a silent "no exemption"
    with pytest.raises(RuleError, match="by column 'unit_value', but neither links nor"):
        evaluate_sourcing(_cots_network(cots="yes"), rule)


def test_bad_cots_values_are_errors_naming_the_link():
    with pytest.raises(RuleError, match=r"link motor_cn -> oem_def \(motor\): column "
                                        r"'covered_content' is 'lots', expected a weight fraction"):
        evaluate_sourcing(_cots_network(cots="true", covered_content="lots"), RULES["dfars-current"])
    with pytest.raises(RuleError, match="is '1.5', expected a weight fraction 0..1"):
        evaluate_sourcing(_cots_network(cots="true", covered_content=1.5), RULES["dfars-current"])
    with pytest.raises(RuleError, match="threshold 2 is outside 0..1"):
        evaluate_sourcing(_cots_network(), RULES["dfars-current"], cots_threshold=2)
    with pytest.raises(RuleError, match="exempt_when"):
        evaluate_sourcing(_cots_network(), RULES["dfars-current"], cots_exempt_when="sideways")


@pytest.mark.parametrize("edit, field, message", [
    (("exempt_when: above", "exempt_when: over"), "cots.exempt_when",
     "'below', 'at_or_below', 'above' or 'at_or_above'"),
    (("threshold: 0.5", "threshold: 5"), "cots", "threshold 5 is outside 0..1"),
    (("measure: covered_content", "measure: 'unit value'"), "cots.measure", "should match pattern"),
    (("threshold: 0.5", "threshold: .nan"), "cots.threshold", "finite number"),
    (("exempt_when: above", "exempt_when: above\n  direction: up"), "cots.direction",
     "Extra inputs are not permitted"),
])
def test_bad_cots_block_names_file_line_and_field(tmp_path, edit, field, message):
    text = COTS_ABOVE_POLICY.replace(*edit)
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ValidationError) as caught:
        load_rule_file(path)
    problem = caught.value.problems[0]
    assert (problem.file, problem.column) == (str(path), field)
    assert message in problem.message
    key = field.split(".")[-1]
    assert key in text.splitlines()[problem.row - 1]


# --- dates -------------------------------------------------------------------------------------

def test_effective_dates_and_families():
    assert [r.id for r in select_rules(RULES, "dfars", dt.date(2026, 12, 31))] == ["dfars-current"]
    assert [r.id for r in select_rules(RULES, "dfars", dt.date(2027, 1, 1))] == ["dfars-2027"]
    assert not RULES["dfars-current"].in_force(dt.date(2027, 1, 1))
    assert not RULES["dfars-2027"].in_force(dt.date(2026, 12, 31))
    october = RULES["china-export-controls-2025-10"]
    assert not october.in_force(dt.date(2025, 11, 1))    # before No. 57's date
    assert not october.in_force(dt.date(2026, 3, 1))     # suspended by No. 70
    assert october.in_force(dt.date(2026, 11, 10))       # suspension ends (exclusive)
    assert RULES["china-export-controls-2025-04"].in_force(dt.date(2025, 4, 4))
    assert not RULES["crma-2030"].in_force(dt.date(2029, 12, 31))


def test_in_force_column_follows_as_of(japan_from_chinese_oxide):
    chosen = [RULES["dfars-current"], RULES["dfars-2027"]]
    before = evaluate(japan_from_chinese_oxide, chosen, as_of=dt.date(2026, 12, 31))
    after = evaluate(japan_from_chinese_oxide, chosen, as_of=dt.date(2027, 1, 1))
    assert dict(zip(before["rule"], before["in_force"])) == {"dfars-current": True, "dfars-2027": False}
    assert dict(zip(after["rule"], after["in_force"])) == {"dfars-current": False, "dfars-2027": True}


# --- rules from YAML ------------------------------------------------------------------------------

OEM_POLICY = textwrap.dedent("""\
    id: acme-no-cn-ru
    kind: sourcing
    name: ACME sourcing policy (no CN or RU separation or magnet making)
    effective: 2025-01-01
    covered_countries: [CN, Russia]
    covered_materials: [magnet]
    covered_steps: [separated, produced]
    applies_to:
      sectors: [automotive]
    sources:
      - title: ACME supplier code of conduct (invented for the test)
    """)


def test_user_rule_file_from_yaml(tmp_path, golden):
    path = tmp_path / "acme.yaml"
    path.write_text(OEM_POLICY)
    rule = load_rule_file(path)
    assert rule.covered_countries == ["CN", "RU"]
    assert rule.covered_stages() == {"separator", "magnet"}
    result = evaluate_sourcing(golden, rule, as_of=DAY)
    # automotive sink oem_auto: motor_de gets 30/40 from magnet_cn (offends); magnet_jp is
    # 0.8 * (20/25 clean oxide) + 0.2 * recycled (= 0.25 * m) -> m = 0.64 / 0.95
    assert row(result, "oem_auto")["compliant_share"] == pytest.approx(0.25 * 0.64 / 0.95)
    assert "oem_def" not in set(result["id"])


@pytest.mark.parametrize("edit, field, message", [
    (("[CN, Russia]", "[CN, Atlantis]"), "covered_countries.1", "unknown country 'Atlantis'"),
    (("[separated, produced]", "[separated, smelted]"), "-", "unknown step 'smelted'"),
    (("kind: sourcing", "kind: banana"), "kind", "expected kind"),
    (("effective: 2025-01-01", "effective: soon"), "effective", "date"),
    (("sectors: [automotive]", "sectors: [space]"), "applies_to.sectors", "unknown sector 'space'"),
])
def test_bad_rule_file_names_file_line_and_field(tmp_path, edit, field, message):
    path = tmp_path / "bad.yaml"
    path.write_text(OEM_POLICY.replace(*edit))
    with pytest.raises(ValidationError) as caught:
        load_rule_file(path)
    problem = caught.value.problems[0]
    assert problem.file == str(path)
    assert problem.column == field
    assert message in problem.message
    if field != "-":  # the line named is the one holding the field
        key = [part for part in field.split(".") if not part.isdigit()][-1]
        assert key in OEM_POLICY.replace(*edit).splitlines()[problem.row - 1]


def test_missing_field_and_unknown_field(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(OEM_POLICY.replace("effective: 2025-01-01\n", "") + "colour: red\n")
    with pytest.raises(ValidationError) as caught:
        load_rule_file(path)
    found = {(p.column, p.message) for p in caught.value.problems}
    assert ("effective", "Field required") in found
    assert ("colour", "Extra inputs are not permitted") in found


# --- CRMA and export controls -------------------------------------------------------------------

def test_crma_benchmark_on_golden(golden):
    # EU buyers motor_de (40) and oem_auto (40), shares from graphmodel.exposure.crma_shares:
    # magnet stage: 30/40 of motor_de's magnets come from magnet_cn -> 0.75 > 0.65 (breach);
    # metal stage: 0.75 via magnet_cn plus 0.25 * 0.2 recycled (which loops back to the same
    # mix) -> x = 0.75 + 0.05 x = 0.75 / 0.95.
    detail = benchmark_detail(golden, RULES["crma-2030"]).set_index(["stage", "country"])
    assert detail.loc[("magnet", "CN"), "share"] == pytest.approx(0.75)
    assert detail.loc[("metal", "CN"), "share"] == pytest.approx(0.75 / 0.95)
    assert detail.loc[("magnet", "CN"), "breach"] and not detail.loc[("magnet", "JP"), "breach"]
    assert detail.loc["mine", "share"].sum() == pytest.approx(1.0)  # every buyer's supply is mined
    assert not detail.loc["mine", "breach"].any()  # CN mines 0.634 <= 0.65
    verdict = evaluate(golden, [RULES["crma-2030"]], as_of=DAY)
    total = row(verdict, "buyers:EU27")
    assert not total["passes"]
    assert (total["worst_stage"], total["worst_country"]) == ("metal", "CN")
    assert total["offending"] == ["metal_cn", "magnet_cn"]
    assert list(verdict["id"]) == ["motor_de", "oem_auto", "buyers:EU27"]


def test_crma_limit_is_data(tmp_path, golden):
    text = (example_rule_text("crma-2030").replace("max_single_country_share: 0.65",
                                                   "max_single_country_share: 0.8")
            .replace("id: crma-2030", "id: crma-relaxed"))
    path = tmp_path / "relaxed.yaml"
    path.write_text(text)
    verdict = evaluate(golden, [load_rule_file(path)], as_of=DAY)
    assert row(verdict, "buyers:EU27")["passes"]  # 0.789 <= 0.8


def example_rule_text(rule_id):
    return open(RULES[rule_id].path, encoding="utf-8").read()


def test_export_control_element_and_grade_matching():
    net = network_from_records(
        [fac("sep_cn", "separator", "CN"), fac("sep_my", "separator", "MY"),
         fac("metal_jp", "metal", "JP"), fac("magnet_cn", "magnet", "CN"),
         fac("motor_de", "motor", "DE"), fac("motor_fr", "motor", "FR")],
        [link("sep_cn", "metal_jp", "Dy oxide", 5), link("sep_my", "metal_jp", "NdPr oxide", 20),
         link("magnet_cn", "motor_de", "NdFeB magnet", 10, required_grade="N52"),
         link("magnet_cn", "motor_fr", "NdFeB magnet", 10, required_grade="42SH")])
    rule = RULES["china-export-controls-2025-04"]
    controlled = controlled_links(net, rule)
    assert list(controlled) == [True, False, False, True]  # N grade has no Dy/Tb
    result = evaluate(net, [rule], as_of=DAY)
    assert row(result, "metal_jp")["affected_share"] == pytest.approx(0.2)
    assert row(result, "motor_fr")["compliant_share"] == 0.0
    assert row(result, "motor_de")["compliant_share"] == 1.0


def test_extraterritorial_rule_reaches_foreign_made_items():
    # magnet_jp makes N-grade magnets... from 10% Chinese Tb: under No. 61 its magnets are
    # controlled (>= 0.1% Chinese origin), under the April rule they are not.
    net = network_from_records(
        [fac("sep_cn", "separator", "CN"), fac("sep_my", "separator", "MY"),
         fac("magnet_jp", "magnet", "JP"), fac("motor_de", "motor", "DE")],
        [link("sep_cn", "magnet_jp", "Tb oxide", 1), link("sep_my", "magnet_jp", "NdPr oxide", 9),
         link("magnet_jp", "motor_de", "NdFeB magnet", 10)])
    april = row(evaluate(net, [RULES["china-export-controls-2025-04"]]), "motor_de")
    october = row(evaluate(net, [RULES["china-export-controls-2025-10"]]), "motor_de")
    assert april["affected_share"] == pytest.approx(0.1)
    assert october["affected_share"] == pytest.approx(1.0)
    assert october["offending"][0] == "magnet_jp"


# --- properties ---------------------------------------------------------------------------------

@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=network_records(), pick=st.integers(0, 100))
def test_compliant_share_in_unit_interval_and_monotone(records, pick):
    net = network_from_records(**records)
    model = SourcingModel(net, RULES["dfars-2027"])
    assert np.all(model.c >= 0) and np.all(model.c <= 1)
    # a facility becoming offending never raises anyone's compliant share
    ok = model.ok.copy()
    ok[pick % len(ok)] = 0.0
    after = model.flow.clean_share(ok)
    assert np.all(after <= model.c + 1e-9)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=network_records(), pick=st.integers(0, 100))
def test_moving_a_facility_into_a_covered_country_never_helps(records, pick):
    rule = RULES["dfars-2027"]
    before = evaluate_sourcing(network_from_records(**records), rule, all_sinks=True)
    before = before.set_index("id")["compliant_share"]
    moved = records["facilities"][pick % len(records["facilities"])]
    records["facilities"] = [dict(f, country="CN") if f is moved else f for f in records["facilities"]]
    after = evaluate_sourcing(network_from_records(**records), rule, all_sinks=True)
    after = after.set_index("id")["compliant_share"]
    shared = before.dropna().index.intersection(after.dropna().index)
    assert np.all(after[shared].to_numpy() <= before[shared].to_numpy() + 1e-9)
    assert after.dropna().between(0, 1).all()


# --- command line ---------------------------------------------------------------------------------

def tiern(capsys, *args, check=True):
    """Run the CLI in-process as a user would (``main`` turns errors into messages)."""
    from graphmodel import cli

    argv, sys.argv = sys.argv, ["tiern", *args]
    code = 0
    try:
        cli.main()
    except SystemExit as done:
        code = done.code or 0
    finally:
        sys.argv = argv
    out = capsys.readouterr()
    if check and code != 0:
        raise AssertionError(f"tiern {' '.join(args)} failed:\n{out.err}")
    return subprocess.CompletedProcess(args, code, out.out, out.err)


def test_cli_compliance_json(tmp_path, capsys):
    golden = str(example_path("golden"))
    rows = json.loads(tiern(capsys, "compliance", golden, "--rule", "dfars-2027", "-f", "json").stdout)
    assert [r["id"] for r in rows if r["role"] == "sink"] == ["oem_def"]
    first = rows[0]
    assert {"id", "name", "rule", "compliant_share", "offending"} <= set(first)
    assert first["compliant_share"] == pytest.approx(0.32 / 0.95)
    assert isinstance(first["offending"], list)
    policy = tmp_path / "acme.yaml"
    policy.write_text(OEM_POLICY)
    rows = json.loads(tiern(capsys, "compliance", golden, "--rules-file", str(policy), "--rule",
                            "acme-no-cn-ru", "-f", "json").stdout)
    assert [r["id"] for r in rows if r["role"] == "sink"] == ["oem_auto"]


def test_cli_cots_above_rule_from_file_and_direction_override(tmp_path, capsys):
    folder = tmp_path / "net"
    _cots_network(cots="yes", covered_content=0.8).write(folder)
    policy, _ = _cots_above_rule(tmp_path)

    def sink(*args):
        rows = json.loads(tiern(capsys, "compliance", str(folder), *args, "-f", "json").stdout)
        return next(r for r in rows if r["id"] == "oem_def")

    above = sink("--rules-file", str(policy), "--rule", "acme-cots-above")
    assert (above["compliant_share"], above["exempt_share"], above["offending"]) == (1.0, 1.0, [])
    raised = sink("--rules-file", str(policy), "--rule", "acme-cots-above", "--cots-threshold", "0.9")
    assert raised["compliant_share"] == 0.0 and raised["offending"][0] == "motor_cn"
    # the bundled DFARS rule: 0.8 is not below 0.5, so not exempt; flipped, it is
    assert sink("--rule", "dfars-current")["compliant_share"] == 0.0
    assert sink("--rule", "dfars-current", "--cots-exempt-when", "above")["compliant_share"] == 1.0
    bad = tiern(capsys, "compliance", str(folder), "--cots-exempt-when", "up", check=False)
    assert bad.returncode != 0 and "expected one of below, at_or_below" in bad.stderr
    listed = json.loads(tiern(capsys, "rules", "--rules-file", str(policy), "-f", "json").stdout)
    cots = {r["id"]: r["cots"] for r in listed}
    assert cots["acme-cots-above"] == "cots and covered_content > 0.5"
    assert cots["dfars-2027"] == "cots and covered_content < 0.5"
    assert cots["crma-2030"] is None


def test_cli_bad_rule_file_is_a_message_not_a_traceback(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(OEM_POLICY.replace("[CN, Russia]", "[CN, Atlantis]"))
    result = tiern(capsys, "compliance", str(example_path("golden")), "--rules-file", str(bad),
                   check=False)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"{bad}:5:covered_countries.1: unknown country 'Atlantis'" in result.stderr


def test_cli_unknown_rule(capsys):
    result = tiern(capsys, "compliance", str(example_path("golden")), "--rule", "nope", check=False)
    assert result.returncode == 1
    assert "unknown rule 'nope'" in result.stderr


def test_bundled_data_has_a_dfars_2027_row_for_every_defense_sink():
    from graphmodel import load_network

    net = load_network()
    defense = set(net.sinks[net.facilities["sector"].reindex(net.sinks).eq("defense").to_numpy()])
    assert defense, "the bundled dataset should mark defense sinks"
    table = evaluate(net, select_rules(RULES, "dfars-2027", DAY))
    sinks = table[table["role"] == "sink"]
    assert set(sinks["id"]) == defense
    assert sinks["compliant_share"].between(0, 1).all()
    # every sink's verdict names its offenders whenever it is not fully compliant
    assert all(bool(r.offending) for r in sinks.itertuples() if r.compliant_share < 1)


def test_supply_risk_indicator_by_hand(golden):
    from graphmodel.compliance.supply_risk import read_wgi, supply_risk

    wgi = read_wgi()
    cn, au, us = (wgi.at[c, "wgi_scaled"] for c in ("CN", "AU", "US"))
    table = supply_risk(golden).set_index("stage")
    # mine output: CN 80, AU 30, US 10 of 120
    hhi_gs = (80 / 120) ** 2 * cn + (30 / 120) ** 2 * au + (10 / 120) ** 2 * us
    assert table.at["mine", "hhi_wgi_global"] == pytest.approx(hhi_gs)
    # EU buyers' mine shares from graphmodel.exposure.crma_shares (tested there)
    detail = benchmark_detail(golden, RULES["crma-2030"]).set_index(["stage", "country"])["share"]
    eu = detail["mine"]
    hhi_eu = (eu ** 2 * wgi["wgi_scaled"].reindex(eu.index)).sum()
    assert table.at["mine", "hhi_wgi_eu"] == pytest.approx(hhi_eu)
    # defaults IR = 1, EOL-RIR = 0.01, SI = 0.9:
    expected = (hhi_gs * 0.5 + hhi_eu * 0.5) * 0.99 * 0.9
    assert table.at["mine", "supply_risk"] == pytest.approx(expected)
    assert table.at["mine", "top_country"] == "CN"
    assert table["missing_wgi"].map(len).sum() == 0


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=network_records())
def test_every_rule_and_view_runs_on_random_networks(records):
    from graphmodel.compliance.assurance import assurance_ladder
    from graphmodel.compliance.qualification import capacity_gap
    from graphmodel.compliance.supply_risk import supply_risk

    net = network_from_records(**records)
    table = evaluate(net, list(RULES.values()), as_of=DAY, all_sinks=True)
    shares = table["compliant_share"].dropna()
    assert shares.between(0, 1).all()
    if "affected_share" in table:
        assert table["affected_share"].dropna().between(0, 1).all()
    ladder = assurance_ladder(net)
    assert ladder["share"].dropna().between(0, 1).all()
    capacity_gap(net)
    assert (supply_risk(net)["supply_risk"] >= 0).all()
