"""Specs, qualification, source changes, capacity gap and the assurance ladder on small networks."""
from __future__ import annotations

import json
import pytest
import yaml

from graphmodel.build import network_from_records
from graphmodel.scenarios import parse_scenario
from graphmodel.compliance.assurance import assurance_gaps, assurance_ladder, normalise_certificate
from graphmodel.compliance.qualification import capacity_gap, change, qualify, spec_deltas
from graphmodel.specs import (Grade, SpecError, contains_heavy, grade_meets, lead_time, parse_grade,
                              parse_purity)


def fac(fid, stage, country, **extra):
    return {"id": fid, "name": fid, "stage": stage, "country": country, **extra}


def link(supplier, customer, material, volume, **extra):
    return {"supplier": supplier, "customer": customer, "material": material, "volume": volume,
            **extra}


# --- grades and purity -----------------------------------------------------------------------

@pytest.mark.parametrize("text, grade", [
    ("N52", Grade("N", 52)), ("42SH", Grade("SH", 42)), ("N42SH", Grade("SH", 42)),
    ("uh", Grade("UH")), ("N", Grade("N")), ("38EH", Grade("EH", 38)),
])
def test_parse_grade(text, grade):
    assert parse_grade(text) == grade


def test_grade_table_and_matching():
    assert parse_grade("45UH").max_temp_c == 180
    assert parse_grade("N52").max_temp_c == 80
    assert grade_meets(parse_grade("45UH"), parse_grade("40SH"))      # hotter and stronger
    assert not grade_meets(parse_grade("38UH"), parse_grade("40SH"))  # too weak
    assert not grade_meets(parse_grade("N52"), parse_grade("40SH"))   # too cold
    assert grade_meets(parse_grade("SH"), parse_grade("40SH"))        # a family covers energies
    assert contains_heavy(parse_grade("N52")) is False
    assert contains_heavy(parse_grade("42SH")) is True
    with pytest.raises(SpecError, match="cannot read magnet grade 'Z9'"):
        parse_grade("Z9")


def test_purity_parsing():
    assert parse_purity("99.99") == 99.99
    assert parse_purity("Tb oxide: 99.99; Dy oxide: 99.5", "Dy oxide") == 99.5
    assert parse_purity("Tb oxide: 99.99", "Dy oxide") is None
    assert parse_purity("") is None
    with pytest.raises(SpecError):
        parse_purity("Dy oxide: high", "Dy oxide")


def test_lead_time_table_has_sources_and_a_default():
    assert lead_time("automotive") == 7
    assert lead_time("automotive", "requalification_months") == 4
    assert lead_time(None) == lead_time("default")


# --- qualify and change ----------------------------------------------------------------------

@pytest.fixture
def dy_chain():
    """sep_cn (qualified, 99.5%) and sep_my (candidate, 9 months, 99.9%) can supply metal_jp
    with Dy oxide (required 99.5%); sep_us (99.0%) has no link. metal_jp -> magnet_jp ->
    oem_auto (automotive)."""
    return network_from_records(
        [fac("sep_cn", "separator", "CN", purity="Dy oxide: 99.5", certifications="RMAP",
             capacity=100),
         fac("sep_my", "separator", "MY", purity="Dy oxide: 99.9", certifications="RMAP;ISO17025",
             capacity=40),
         fac("sep_us", "separator", "US", purity="99.0", status="planned", capacity=20),
         fac("metal_jp", "metal", "JP", capacity=30), fac("magnet_jp", "magnet", "JP"),
         fac("oem_auto", "oem", "DE", sector="automotive")],
        [link("sep_cn", "metal_jp", "Dy oxide", 5, required_purity="99.5"),
         link("sep_my", "metal_jp", "NdPr oxide", 20),
         link("sep_my", "metal_jp", "Dy oxide", 0, status="candidate", qualification_months=9),
         link("metal_jp", "magnet_jp", "NdPr metal", 25),
         link("magnet_jp", "oem_auto", "NdFeB magnet", 25)])


def test_qualify_lists_spec_fit_qualification_and_lead_times(dy_chain):
    table = qualify(dy_chain, "metal_jp", "Dy oxide").set_index("supplier")
    assert list(table.index) == ["sep_cn", "sep_my", "sep_us"]
    assert table.loc["sep_cn", ["qualified", "meets_spec", "lead_time_months"]].tolist() == [True, True, 0]
    assert table.loc["sep_my", ["link_status", "meets_spec", "lead_time_months", "lead_time_basis"]
                     ].tolist() == ["candidate", True, 9, "link"]
    # no link: the automotive default (metal_jp's only sink is an automotive OEM)
    assert table.loc["sep_us", ["meets_spec", "lead_time_months", "lead_time_basis"]].tolist() == [
        False, 7, "sector default (automotive)"]
    assert table.loc["sep_my", "spare_capacity"] == 40 - 20
    assert table.loc["sep_cn", "required_purity"] == 99.5


def test_qualify_magnet_grades():
    net = network_from_records(
        [fac("magnet_cn", "magnet", "CN", grades="N52;42SH"),
         fac("magnet_jp", "magnet", "JP", grades="N48;45UH"),
         fac("magnet_vn", "magnet", "VN", grades="N52"), fac("magnet_x", "magnet", "DE"),
         fac("motor", "motor", "DE")],
        [link("magnet_cn", "motor", "NdFeB magnet", 10, required_grade="40SH")])
    meets = qualify(net, "motor", "NdFeB magnet").set_index("supplier")["meets_spec"].to_dict()
    assert meets == {"magnet_cn": True, "magnet_jp": True, "magnet_vn": False, "magnet_x": None}


def test_change_months_and_requalification(dy_chain):
    # metal_jp: sep_my's Dy link is a candidate with 9 months; each downstream tier then
    # requalifies in sequence at the automotive 4 months: magnet_jp 13, oem_auto 17.
    result = change(dy_chain, "sep_cn", "sep_my")
    affected = result.affected.set_index("id")
    assert affected["months_until_usable"].to_dict() == {"metal_jp": 9, "magnet_jp": 13, "oem_auto": 17}
    assert affected["tier"].to_dict() == {"metal_jp": 0, "magnet_jp": 1, "oem_auto": 2}
    assert affected.loc["metal_jp", "share_affected"] == pytest.approx(5 / 25)
    assert result.months_until_usable == 17
    moved = result.links.iloc[0]
    assert moved["spec_deltas"] == ["country: CN -> MY", "purity: 99.5 -> 99.9",
                                    "certifications gained: ISO17025 (inferred, not verified)"]
    assert bool(moved["meets_spec_new"]) and bool(moved["spare_covers_volume"])
    scenario = result.scenario
    assert scenario["shocks"][0]["select"] == {"id": "sep_cn", "material": ["Dy oxide"]}
    assert scenario["responses"]["new_capacity"] == [
        {"link": {"supplier": "sep_my", "customer": "metal_jp", "material": "Dy oxide"},
         "month": 17.0, "capacity": 5.0}]  # opens when oem_auto has requalified (9 + 4 + 4)
    assert scenario["horizon_months"] == 36


def test_change_scenario_is_valid_for_the_scenarios_engine(dy_chain):
    parsed = parse_scenario(change(dy_chain, "sep_cn", "sep_my").scenario)
    assert parsed.shocks[0].select.id == ("sep_cn",)


@pytest.fixture
def requal_chain():
    """sep_a ships 10 t NdPr oxide to metal and 10 to metal2; sep_b has a candidate link (3
    months) to metal only. metal -> magnet -> motor -> oem (automotive); metal2 -> oem2."""
    return network_from_records(
        [fac("sep_a", "separator", "CN", capacity=100), fac("sep_b", "separator", "MY", capacity=100),
         fac("metal", "metal", "JP", capacity=100), fac("metal2", "metal", "JP", capacity=100),
         fac("magnet", "magnet", "JP", capacity=100), fac("motor", "motor", "JP", capacity=100),
         fac("oem", "oem", "DE", sector="automotive"), fac("oem2", "oem", "DE", sector="automotive")],
        [link("sep_a", "metal", "NdPr oxide", 10), link("sep_a", "metal2", "NdPr oxide", 10),
         link("sep_b", "metal", "NdPr oxide", 0, status="candidate", qualification_months=3),
         link("metal", "magnet", "NdPr metal", 10), link("magnet", "motor", "NdFeB magnet", 10),
         link("motor", "oem", "motor", 10), link("metal2", "oem2", "NdPr metal", 10)])


def test_change_scenario_keeps_the_requalification_months(requal_chain):
    """By hand: metal qualifies sep_b in 3 months (the link); magnet, motor and oem then
    requalify in sequence at the automotive 4 months each: 7, 11, 15. The scenario opens the
    new link at 15, so the oem (no stock, no other source) gets nothing for 15 months and
    everything from month 15 on; metal2 has no link from sep_b and stays cut."""
    from graphmodel.scenarios import run_scenario

    result = change(requal_chain, "sep_a", "sep_b")
    months = result.affected.set_index("id")["months_until_usable"].to_dict()
    assert {k: months[k] for k in ("metal", "magnet", "motor", "oem")} == {
        "metal": 3, "magnet": 7, "motor": 11, "oem": 15}
    assert result.months_until_usable == 15
    assert result.scenario["responses"]["new_capacity"] == [
        {"link": {"supplier": "sep_b", "customer": "metal", "material": "NdPr oxide"},
         "month": 15.0, "capacity": 10.0}]
    assert "sep_b -> metal2 (NdPr oxide)" in result.scenario["description"]
    run = run_scenario(requal_chain, parse_scenario(result.scenario), inventory=False)
    assert run.months["oem"].tolist() == pytest.approx([0.0] * 15 + [1.0] * 21)
    assert run.months["oem2"].tolist() == pytest.approx([0.0] * 36)


@pytest.mark.parametrize("missing", [None, float("nan")], ids=["pandas2-None", "pandas3-NaN"])
def test_change_scenario_skips_links_not_in_the_network(requal_chain, missing):
    """``new_link_status`` of a link the network lacks is None in a pandas 2 object column and
    NaN in a pandas 3 str column: both mean "no such link", never a new_capacity entry."""
    import pandas as pd

    from graphmodel.compliance.qualification import _scenario

    links = pd.DataFrame({"customer": ["metal", "metal2"], "material": ["NdPr oxide"] * 2,
                          "volume": [10.0, 10.0], "new_link_status": ["candidate", missing],
                          "qualification_months": [3.0, 7.0], "meets_spec_new": [True, None]}
                         ).astype({"new_link_status": object})
    links.loc[1, "new_link_status"] = missing
    scenario = _scenario(requal_chain, "sep_a", "sep_b", links, 15.0, {"metal": 15.0, "metal2": 7.0})
    assert [e["link"]["customer"] for e in scenario["responses"]["new_capacity"]] == ["metal"]
    parse_scenario(scenario)


def test_cli_change_scenario_runs_in_tiern_scenario(tmp_path, capsys, requal_chain):
    from .test_compliance import tiern

    folder = requal_chain.write(tmp_path / "net")
    out = tmp_path / "change.yaml"
    tiern(capsys, "change", str(folder), "--replace", "sep_a", "--with", "sep_b",
          "--scenario-out", str(out), "-f", "json")
    rows = json.loads(tiern(capsys, "scenario", str(folder), str(out), "--no-inventory",
                            "--by", "month", "-f", "json").stdout)
    oem = [r["oem"] for r in rows]
    assert oem[:15] == pytest.approx([0.0] * 15) and oem[15:] == pytest.approx([1.0] * 21)


def test_change_to_an_already_qualified_source_needs_nothing(dy_chain):
    result = change(dy_chain, "sep_my", "sep_cn", customers=["metal_jp"])
    # sep_cn has no NdPr oxide link to metal_jp: metal_jp needs 7 months (automotive default)
    assert result.affected.set_index("id").loc["metal_jp", "months_until_usable"] == 7
    assert "not in the network" in result.scenario["description"]


def test_spec_deltas_lost_certifications(dy_chain):
    # the chain names its certificates in the facilities' column: inferred, and said so
    assert spec_deltas(dy_chain, "sep_my", "sep_us", "Dy oxide") == [
        "country: MY -> US", "purity: 99.9 -> 99.0",
        "certifications lost: ISO17025 (inferred, not verified), RMAP (inferred, not verified)"]


def test_spec_deltas_name_sourced_certifications_as_they_are(dy_chain):
    frames = dy_chain.to_frames()
    net = network_from_records(
        frames["facilities"].to_dict("records"), frames["links"].to_dict("records"),
        certifications=[{"facility": "sep_my", "standard": "ISO/IEC 17025",
                         "source": "https://example.org/lab", "year": 2025}])
    assert spec_deltas(net, "sep_cn", "sep_my", "Dy oxide")[-1] == (
        "certifications gained: ISO17025")
    assert spec_deltas(net, "sep_my", "sep_cn", "Dy oxide")[-1] == (
        "certifications lost: ISO17025")


def test_capacity_gap():
    # CN separators: 80 qualified and 20 only in qualification -> qualified share 0.8
    net = network_from_records(
        [fac("sep_a", "separator", "CN", capacity=80), fac("sep_b", "separator", "CN", capacity=20),
         fac("metal", "metal", "JP", capacity=50)],
        [link("sep_a", "metal", "NdPr oxide", 30),
         link("sep_b", "metal", "NdPr oxide", 0, status="candidate")])
    gap = capacity_gap(net).set_index(["stage", "country"])
    assert gap.loc[("separator", "CN"), ["nameplate", "qualified", "in_qualification"]].tolist() == [
        100, 80, 20]
    assert gap.loc[("separator", "CN"), "qualified_share"] == pytest.approx(0.8)
    assert ("metal", "JP") not in gap.index  # a sink: it delivers nowhere


# --- assurance ladder ----------------------------------------------------------------------------

#: The certificates of the assurance chain: facility -> standards.
CHAIN_CERTIFICATES = {"mine_a": ["JORC", "IRMA"], "sep_a": ["RMAP", "ISO/IEC 17025", "ISO 22095"],
                      "magnet_a": ["ISO9001", "IATF16949"], "oem_auto": ["ISO20400", "ISO37001"],
                      "oem_def": ["ISO20400", "ISO37001"]}


def _assured_chain(where: str = "table", unsourced: frozenset = frozenset()):
    """Two mines (30 and 10 t) -> separator -> magnet maker -> an automotive and a defense OEM
    (20 t each), holding :data:`CHAIN_CERTIFICATES` either as ``certifications.csv`` rows
    with source and year (``where="table"``; the ``(facility, standard)`` pairs in
    ``unsourced`` lose their year) or only in the facilities' ``certifications`` column."""
    column = where == "column"
    facilities = [fac("mine_a", "mine", "AU"), fac("mine_b", "mine", "BR"),
                  fac("sep_a", "separator", "MY"), fac("magnet_a", "magnet", "JP"),
                  fac("oem_auto", "oem", "DE", sector="automotive"),
                  fac("oem_def", "oem", "US", sector="defense")]
    if column:
        for record in facilities:
            record["certifications"] = ";".join(CHAIN_CERTIFICATES.get(record["id"], []))
    rows = [] if column else [
        {"facility": f, "standard": s, "source": f"https://example.org/{f}",
         **({} if (f, s) in unsourced else {"year": 2025})}
        for f, standards in CHAIN_CERTIFICATES.items() for s in standards]
    return network_from_records(
        facilities,
        [link("mine_a", "sep_a", "RE concentrate", 30), link("mine_b", "sep_a", "RE concentrate", 10),
         link("sep_a", "magnet_a", "NdPr oxide", 40), link("magnet_a", "oem_auto", "NdFeB magnet", 20),
         link("magnet_a", "oem_def", "NdFeB magnet", 20)],
        certifications=rows or None)


@pytest.fixture
def assured_chain():
    return _assured_chain("table")


def test_certificate_names_are_normalised():
    assert normalise_certificate("ISO/IEC 17025") == "ISO17025"
    assert normalise_certificate("NI 43-101") == normalise_certificate("NI43-101")


def test_assurance_ladder_by_hand(assured_chain):
    ladder = assurance_ladder(assured_chain).set_index(["sink", "stage"])["share"]
    # mine: 30 of 40 from the certified mine; separator and magnet fully assured for automotive
    assert ladder[("oem_auto", "mine")] == pytest.approx(0.75)
    assert ladder[("oem_auto", "separator")] == 1.0
    assert ladder[("oem_auto", "magnet")] == 1.0
    assert ladder[("oem_auto", "all")] == pytest.approx(0.75)
    # defense needs AS9100 at the magnet maker: none of its supply is assured there
    assert ladder[("oem_def", "magnet")] == 0.0
    assert ladder[("oem_def", "all")] == 0.0
    gaps = assurance_ladder(assured_chain, ["oem_def"]).set_index("stage")["gaps"]
    assert gaps["mine"] == ["mine_b: JORC|NI43-101|SK1300; IRMA"]
    assert gaps["magnet"] == ["magnet_a: AS9100"]


def test_assurance_gaps_table(assured_chain):
    gaps = assurance_gaps(assured_chain).set_index("id")
    assert set(gaps.index) == {"mine_b", "magnet_a"}
    assert gaps.loc["mine_b", "max_through_share"] == pytest.approx(0.25)
    assert gaps.loc["magnet_a", "sinks"] == 2


def test_cli_qualify_change_assurance(tmp_path, capsys, dy_chain):
    from .test_compliance import tiern

    folder = dy_chain.write(tmp_path / "net")
    rows = json.loads(tiern(capsys, "qualify", str(folder), "--customer", "metal_jp", "--material",
                            "Dy oxide", "-f", "json").stdout)
    assert [r["supplier"] for r in rows] == ["sep_cn", "sep_my", "sep_us"]
    out = tmp_path / "change.yaml"
    result = tiern(capsys, "change", str(folder), "--replace", "sep_cn", "--with", "sep_my",
                   "--scenario-out", str(out), "-f", "json")
    assert {r["id"]: r["months_until_usable"] for r in json.loads(result.stdout)}["oem_auto"] == 17
    assert yaml.safe_load(out.read_text())["name"] == "Replace sep_cn with sep_my"
    ladder = json.loads(tiern(capsys, "assurance", str(folder), "--sink", "oem_auto",
                              "-f", "json").stdout)
    assert ladder[-1]["stage"] == "all"
    gap = json.loads(tiern(capsys, "capacity-gap", str(folder), "-f", "json").stdout)
    assert {r["stage"] for r in gap} == {"separator", "metal", "magnet"}  # sinks excluded
    risk = json.loads(tiern(capsys, "supply-risk", str(folder), "-f", "json").stdout)
    assert [r["stage"] for r in risk][0] == "separator"


def test_assurance_ladder_figure(assured_chain):
    from graphmodel.compliance.figures import assurance_ladder_figure

    figure = assurance_ladder_figure(assurance_ladder(assured_chain), "oem_auto")
    bar = figure.data[0]
    assert list(bar.y) == ["mine", "separator", "magnet", "oem", "all"]
    assert list(bar.x) == pytest.approx([0.75, 1.0, 1.0, 1.0, 0.75])


def test_qualify_with_a_sourcing_rule(dy_chain):
    from graphmodel.compliance import load_rules

    table = qualify(dy_chain, "metal_jp", "Dy oxide", load_rules()["dfars-2027"]).set_index("supplier")
    # separators have no upstream here: CN offends (separated in China), MY and US do not
    assert table["compliant_share"].to_dict() == {"sep_cn": 0.0, "sep_my": 1.0, "sep_us": 1.0}


# --- specs as data: the requirement chain -----------------------------------------------------

@pytest.fixture
def ev_chain():
    """An EV motor maker (automotive) buys magnets from mag_cn; mag_jp and mag_vn could supply
    it, mag_x states nothing. sep_a and sep_b ship Tb oxide and Dy oxide to a metal maker.
    requirements.csv: the automotive sector needs 150 C magnets and 99.99% Tb oxide."""
    return network_from_records(
        [fac("sep_a", "separator", "MY"), fac("sep_b", "separator", "CN"),
         fac("metal", "metal", "JP"), fac("mag_cn", "magnet", "CN"), fac("mag_jp", "magnet", "JP"),
         fac("mag_vn", "magnet", "VN"), fac("mag_x", "magnet", "DE"), fac("motor", "motor", "DE"),
         fac("oem", "oem", "DE", sector="automotive")],
        [link("sep_a", "metal", "Tb oxide", 1), link("sep_b", "metal", "Tb oxide", 1),
         link("sep_a", "metal", "Dy oxide", 2), link("metal", "mag_cn", "Dy metal", 2),
         link("mag_cn", "motor", "NdFeB magnet", 10), link("motor", "oem", "motor", 10)],
        capabilities=[
            {"facility": "mag_cn", "material": "NdFeB magnet", "grade": "N52"},
            {"facility": "mag_cn", "material": "NdFeB magnet", "grade": "42UH"},
            {"facility": "mag_cn", "material": "NdFeB magnet", "grade": "45SH", "dy_tb": 3},
            {"facility": "mag_jp", "material": "NdFeB magnet", "grade": "40H",
             "max_temp": 155},  # a stated rating above its family's 120 C
            {"facility": "mag_vn", "material": "NdFeB magnet", "grade": "N48", "dy_tb": 0},
            {"facility": "sep_a", "material": "Tb oxide", "purity": 99.99},
            {"facility": "sep_a", "material": "Dy oxide", "purity": 99.5},
            {"facility": "sep_b", "material": "Tb oxide", "purity": 99.9}],
        requirements=[
            {"sector": "automotive", "material": "NdFeB magnet", "operating_temp": 150},
            {"sector": "automotive", "material": "Tb oxide", "min_purity": 99.99}])


def test_customer_spec_from_the_sector_and_qualify_lists_the_grade_that_fits(ev_chain):
    from graphmodel.specs import customer_spec

    spec = customer_spec(ev_chain, "motor", "NdFeB magnet", "automotive")
    assert (spec.required_temp_c, spec.source) == (150, "sector automotive")
    assert spec.families() == ["SH", "UH", "EH", "AH"]  # 150, 180, 200, 220 C >= 150 C
    table = qualify(ev_chain, "motor", "NdFeB magnet").set_index("supplier")
    # mag_cn: N52 is too cold (80 C); 45SH (3 wt% Dy/Tb) fits with less Dy/Tb than 42UH (6)
    assert table.loc["mag_cn", ["meets_spec", "fitting_grade"]].tolist() == [True, "45SH"]
    assert table.loc["mag_jp", ["meets_spec", "fitting_grade"]].tolist() == [True, "40H (155 C)"]
    assert table.loc["mag_vn", "meets_spec"] == False  # noqa: E712  N48 is rated 80 C
    assert pd_isna(table.loc["mag_x", "meets_spec"])  # unknown, not a fit
    assert table.loc["mag_cn", "required_temp_c"] == 150


def pd_isna(value) -> bool:
    import pandas as pd

    return value is None or bool(pd.isna(value))


def test_requirement_chain_by_hand(ev_chain):
    from graphmodel.compliance.qualification import requirement_chain

    chain = requirement_chain(ev_chain, "motor", "NdFeB magnet").set_index(["step", "material"])
    assert chain.loc[("requirement", "NdFeB magnet"), "requirement"] == "operating temperature 150 C"
    grades = chain.loc[("grade classes", "NdFeB magnet")]
    assert grades["requirement"] == "SH (150 C), UH (180 C), EH (200 C), AH (220 C)"
    assert grades["meeting"] == ["mag_cn (45SH)", "mag_jp (40H (155 C))"]
    assert grades["unknown"] == ["mag_x"]
    assert chain.loc[("Dy/Tb content", "NdFeB magnet"), "requirement"] == "SH: 2-4 wt% Dy+Tb (typical)"
    tb = chain.loc[("purity floor", "Tb oxide")]
    assert (tb["requirement"], tb["basis"], tb["meeting"]) == (
        ">= 99.99%", "sector automotive", ["sep_a (purity 99.99)"])  # sep_b's 99.9% misses
    dy = chain.loc[("purity floor", "Dy oxide")]  # no stated floor: the market purity
    assert (dy["requirement"], dy["basis"], dy["meeting"]) == (
        ">= 99.5%", "market purity", ["sep_a (purity 99.5)"])


def test_a_facility_row_replaces_its_sector_row(ev_chain):
    from graphmodel.specs import customer_spec

    frames = ev_chain.to_frames()
    extra = {"facility": "motor", "material": "NdFeB magnet", "grade_family": "UH"}
    frames["requirements"] = frames["requirements"].assign(facility=None)
    import pandas as pd

    frames["requirements"] = pd.concat([frames["requirements"], pd.DataFrame([extra])],
                                       ignore_index=True)
    net = network_from_records(frames["facilities"].to_dict("records"),
                               frames["links"].to_dict("records"),
                               capabilities=frames["capabilities"].to_dict("records"),
                               requirements=frames["requirements"].to_dict("records"))
    spec = customer_spec(net, "motor", "NdFeB magnet", "automotive")
    assert (spec.required_temp_c, spec.source) == (180, "facility")
    table = qualify(net, "motor", "NdFeB magnet").set_index("supplier")
    assert table.loc["mag_cn", "fitting_grade"] == "42UH"
    assert table.loc["mag_jp", "meets_spec"] == False  # noqa: E712  155 C < 180 C


def _with_requirement(net, row):
    frames = net.to_frames()
    return network_from_records(frames["facilities"].to_dict("records"),
                                frames["links"].to_dict("records"),
                                capabilities=frames["capabilities"].to_dict("records"),
                                requirements=[row])


def test_iec_60034_thermal_class_implies_the_magnet_temperature_and_grades(ev_chain):
    """By hand: the motor maker states only its insulation, IEC 60034 class H (180 C windings,
    125 K rise over 40 C coolant): magnets at 40 + 125 = 165 C, so SH (150 C) is too cold and
    UH (180 C) is the lowest class. mag_cn fits with 42UH (6 wt% Dy/Tb), mag_jp's 155 C rating
    misses. Class F gives 40 + 105 = 145 C: SH qualifies again and mag_cn's 45SH fits."""
    from graphmodel.compliance.qualification import requirement_chain
    from graphmodel.specs import customer_spec, thermal_class_temp

    assert [thermal_class_temp(c) for c in ("B", "F", "H")] == [120.0, 145.0, 165.0]
    net = _with_requirement(ev_chain, {"facility": "motor", "material": "NdFeB magnet",
                                       "thermal_class": "H"})
    spec = customer_spec(net, "motor", "NdFeB magnet")
    assert (spec.required_temp_c, spec.thermal_class, spec.families()) == (
        165.0, "H", ["UH", "EH", "AH"])
    table = qualify(net, "motor", "NdFeB magnet").set_index("supplier")
    assert table.loc["mag_cn", ["meets_spec", "fitting_grade"]].tolist() == [True, "42UH"]
    assert table.loc["mag_jp", "meets_spec"] == False  # noqa: E712  155 C < 165 C
    chain = requirement_chain(net, "motor").set_index(["step", "material"])
    assert chain.loc[("requirement", "NdFeB magnet"), "requirement"] == (
        "operating temperature 165 C; IEC 60034 thermal class H")
    assert chain.loc[("thermal class", "NdFeB magnet"), "requirement"] == (
        "IEC 60034 class H (180 C insulation, 125 K rise over 40 C coolant) -> magnet 165 C "
        "(estimate)")
    assert chain.loc[("grade classes", "NdFeB magnet"), "requirement"] == (
        "UH (180 C), EH (200 C), AH (220 C)")
    assert chain.loc[("Dy/Tb content", "NdFeB magnet"), "requirement"] == "UH: 4-6 wt% Dy+Tb (typical)"

    class_f = _with_requirement(ev_chain, {"facility": "motor", "material": "NdFeB magnet",
                                           "thermal_class": "F", "operating_temp": 140})
    spec = customer_spec(class_f, "motor", "NdFeB magnet")
    assert (spec.required_temp_c, spec.families()[0]) == (145.0, "SH")  # max(140, 145)
    assert qualify(class_f, "motor", "NdFeB magnet").set_index("supplier").loc[
        "mag_cn", "fitting_grade"] == "45SH"


def test_thermal_class_outside_the_table_is_a_located_error(ev_chain):
    from graphmodel.errors import ValidationError

    with pytest.raises(ValidationError) as error:
        _with_requirement(ev_chain, {"facility": "motor", "material": "NdFeB magnet",
                                     "thermal_class": "C"})
    assert "requirements.csv:2:thermal_class:" in str(error.value)


def test_thermal_classes_of_the_schema_are_the_table_rows():
    from graphmodel.schema import THERMAL_CLASSES
    from graphmodel.specs import thermal_class_table

    table = thermal_class_table()
    assert tuple(table.index) == THERMAL_CLASSES
    assert table["class_temp_c"].tolist() == [130, 155, 180]
    assert table["source"].str.contains("IEC 60034-1").all()
    assert table["confidence"].str.contains("estimated").all()


# --- spec-gated rerouting ---------------------------------------------------------------------

def _ev_motor_net(alternatives, with_requirements=True):
    """mag_a (qualified, 10 t/yr, no spare) supplies an EV traction motor maker whose OEM is
    automotive; ``alternatives`` are candidate magnet plants (no lead time, 100 t/yr spare):
    cons (Dy-free N48, consumer grade), ev (42SH) and x (capability unknown)."""
    caps = {"cons": {"grade": "N48", "dy_tb": 0}, "ev": {"grade": "42SH"}}
    return network_from_records(
        [fac("mag_a", "magnet", "CN", capacity=10)]
        + [fac(f"mag_{a}", "magnet", "VN", capacity=100) for a in alternatives]
        + [fac("motor", "motor", "DE", capacity=100), fac("oem", "oem", "DE", sector="automotive")],
        [link("mag_a", "motor", "NdFeB magnet", 10)]
        + [link(f"mag_{a}", "motor", "NdFeB magnet", 0, status="candidate", qualification_months=0)
           for a in alternatives]
        + [link("motor", "oem", "motor", 10)],
        capabilities=[{"facility": f"mag_{a}", "material": "NdFeB magnet", **caps[a]}
                      for a in alternatives if a in caps] or None,
        requirements=[{"sector": "automotive", "material": "NdFeB magnet", "operating_temp": 150}]
        if with_requirements else None)


def _outage(net):
    from graphmodel.scenarios import run_scenario

    spec = parse_scenario({"name": "mag_a out", "horizon_months": 3,
                           "shocks": [{"select": {"id": "mag_a"}}]})
    return run_scenario(net, spec, inventory=False)


def test_a_dy_free_consumer_magnet_plant_is_no_alternative_for_an_ev_motor_maker():
    """By hand: mag_a's 10 t/yr stop. The only other plant makes N48 (80 C, Dy-free) and the
    automotive sector needs 150 C magnets: it may not take the volume, the OEM gets 0. Without
    the requirement the same plant takes all 10 t/yr and the OEM gets 1."""
    from graphmodel.specs import link_fits, reroute_fits

    gated = _ev_motor_net(["cons"])
    # mag_a states nothing (None): unknown never fits, even over its qualified link;
    # motor -> oem: the OEM states no spec for motors (True)
    assert link_fits(gated)["verdict"].tolist() == [None, False, True]
    assert reroute_fits(gated).tolist() == [False, False, True]
    assert _outage(gated).months["oem"].tolist() == pytest.approx([0.0, 0.0, 0.0])
    free = _outage(_ev_motor_net(["cons"], with_requirements=False))
    assert free.months["oem"].tolist() == pytest.approx([1.0, 1.0, 1.0])


def test_rerouting_goes_to_the_plant_that_meets_the_spec_and_not_to_an_unknown_one():
    net = _ev_motor_net(["cons", "ev", "x"])
    from graphmodel.specs import link_fits, reroute_fits

    assert link_fits(net)["verdict"].tolist()[:4] == [None, False, True, None]
    assert reroute_fits(net).tolist()[:4] == [False, False, True, False]  # unknown: not a fit
    result = _outage(net)
    assert result.months["oem"].tolist() == pytest.approx([1.0, 1.0, 1.0])
    rerouted = result.links.set_index("supplier")["rerouted_volume"]
    assert rerouted.to_dict() == pytest.approx({"mag_ev": 10 / 12 * 3})


def _two_qualified_makers(stated=None):
    """mag_a (10 t/yr, no spare) and mag_q (5 t/yr of 100 t/yr) both supply the EV motor maker
    over qualified links; mag_q states ``stated`` as its capability (None: nothing)."""
    return network_from_records(
        [fac("mag_a", "magnet", "CN", capacity=10), fac("mag_q", "magnet", "JP", capacity=100),
         fac("motor", "motor", "DE", capacity=100), fac("oem", "oem", "DE", sector="automotive")],
        [link("mag_a", "motor", "NdFeB magnet", 10), link("mag_q", "motor", "NdFeB magnet", 5),
         link("motor", "oem", "motor", 15)],
        capabilities=[{"facility": "mag_q", "material": "NdFeB magnet", **stated}] if stated else None,
        requirements=[{"sector": "automotive", "material": "NdFeB magnet", "operating_temp": 150}])


def test_a_qualified_supplier_of_unknown_capability_keeps_its_flow_but_takes_no_rerouted_volume():
    """By hand: mag_a's 10 t/yr stop (of the motor maker's 15). mag_q is qualified and has
    95 t/yr spare, but states no capability against the 150 C requirement: unknown, never a
    fit, so it ships its baseline 5 t/yr and nothing more; the OEM gets 5 / 15 = 1/3. Once
    mag_q states 42SH (150 C) it takes mag_a's 10 t/yr and the OEM gets everything."""
    from graphmodel.chokepoints import alternatives
    from graphmodel.specs import link_fits, reroute_fits

    unknown = _two_qualified_makers()
    assert link_fits(unknown)["verdict"].tolist() == [None, None, True]
    assert reroute_fits(unknown).tolist() == [False, False, True]
    assert _outage(unknown).months["oem"].tolist() == pytest.approx([1 / 3] * 3)
    alt = alternatives(unknown)
    assert alt.at["mag_a", "alternatives"] == 0 and alt.at["mag_a", "spec_excluded_ids"] == ["mag_q"]

    stated = _two_qualified_makers({"grade": "42SH"})
    assert reroute_fits(stated).tolist() == [False, True, True]
    assert _outage(stated).months["oem"].tolist() == pytest.approx([1.0] * 3)
    alt = alternatives(stated)
    assert alt.at["mag_a", "alternatives"] == pytest.approx(95.0)  # mag_q's spare, 100 - 5
    assert alt.at["mag_a", "spec_excluded_ids"] == []


def test_the_verdicts_are_cached_on_the_network_and_follow_a_replaced_table():
    """Rerouting reads the verdicts once per network (a Monte Carlo or a series of scenarios
    does not recompute them); replacing a spec table recomputes them: mag_q's stated 42SH
    turns its link from unknown to a fit."""
    from graphmodel.specs import network_link_fits, reroute_fits

    net = _two_qualified_makers()
    assert network_link_fits(net) is network_link_fits(net)
    assert reroute_fits(net).tolist() == [False, False, True]
    net.capabilities = _two_qualified_makers({"grade": "42SH"}).capabilities
    assert network_link_fits(net)["verdict"].tolist() == [None, True, True]
    assert reroute_fits(net).tolist() == [False, True, True]
    net.requirements = net.requirements.iloc[0:0]
    assert reroute_fits(net).tolist() == [True, True, True]


def test_a_network_with_its_cached_spec_views_pickles():
    """The app caches scenario results that hold the network: its cached views must pickle."""
    import pickle

    from graphmodel.specs import network_link_fits

    net = _two_qualified_makers({"grade": "42SH"})
    assert len(network_link_fits(net))
    again = pickle.loads(pickle.dumps(net))
    assert network_link_fits(again)["verdict"].tolist() == [None, True, True]


def test_networks_without_specs_reroute_exactly_as_before(golden, monkeypatch):
    """No requirements: every link fits, and the engine's results equal those with the gate
    removed (the mask is all True, so the LP is the same, bit for bit)."""
    import numpy as np

    from graphmodel.scenarios import run_scenario, simulate
    from graphmodel.specs import reroute_fits

    assert reroute_fits(golden).all()
    spec = parse_scenario({"name": "cn out", "horizon_months": 12,
                           "shocks": [{"select": {"country": "CN"}, "capacity_loss": 0.7}]})
    gated = run_scenario(golden, spec)
    monkeypatch.setattr(simulate, "reroute_fits", lambda net: np.ones(len(net.links), bool))
    ungated = run_scenario(golden, spec)
    import pandas.testing as pdt

    pdt.assert_frame_equal(gated.months, ungated.months)
    pdt.assert_frame_equal(gated.links, ungated.links)


def test_chokepoint_alternatives_accept_only_suppliers_meeting_the_spec():
    from graphmodel.chokepoints import alternatives

    alt = alternatives(_ev_motor_net(["cons", "ev", "x"]))
    # mag_ev qualifies (a candidate with 100 t/yr spare); the Dy-free plant and the unknown one
    # are dropped and listed
    assert alt.at["mag_a", "candidate_ids"] == ["mag_ev"]
    assert alt.at["mag_a", "alt_spare_capacity"] == 100
    assert alt.at["mag_a", "spec_excluded_ids"] == ["mag_cons", "mag_x"]
    from .reference_chokepoints import alternatives_reference

    assert alternatives_reference(_ev_motor_net(["cons", "ev", "x"])).at[
        "mag_a", "spec_excluded_ids"] == ["mag_cons", "mag_x"]
    free = alternatives(_ev_motor_net(["cons", "ev", "x"], with_requirements=False))
    assert free.at["mag_a", "candidate_ids"] == ["mag_cons", "mag_ev", "mag_x"]
    assert free.at["mag_a", "spec_excluded_ids"] == []


def test_certifications_table_counts_in_the_assurance_ladder(assured_chain):
    """certifications.csv gives mine_b JORC and IRMA with source and year: the mine stage is
    then fully assured for both sinks (30 + 10 of 40), and mine_b leaves the gaps."""
    frames = assured_chain.to_frames()
    rows = frames["certifications"].to_dict("records") + [
        {"facility": "mine_b", "standard": "JORC", "source": "https://example.org/r", "year": 2024},
        {"facility": "mine_b", "standard": "irma", "source": "https://example.org/i", "year": 2023}]
    net = network_from_records(frames["facilities"].to_dict("records"),
                               frames["links"].to_dict("records"), certifications=rows)
    ladder = assurance_ladder(net).set_index(["sink", "stage"])["share"]
    assert ladder[("oem_auto", "mine")] == 1.0
    assert ladder[("oem_auto", "all")] == 1.0
    assert set(assurance_gaps(net)["id"]) == {"magnet_a"}


def test_inferred_certificates_in_the_column_assure_nothing():
    """The same certificates named only in the facilities' column: no facility is assured,
    so every stage with requirements has share 0 (each stage is passed by all 40 t), while
    `inferred` counts those the claims would assure: mine_a (JORC and IRMA; mine_b has
    none), sep_a, magnet_a for the automotive sink (ISO 9001 and IATF 16949, but no AS9100 for
    defense) and the OEM itself: 1, 1, 1, 1 and 4 of 5 over all stages."""
    ladder = assurance_ladder(_assured_chain("column")).set_index(["sink", "stage"])
    auto, defense = ladder.loc["oem_auto"], ladder.loc["oem_def"]
    assert auto["share"].tolist() == [0.0] * 5                  # mine, separator, magnet, oem, all
    assert auto["assured"].tolist() == [0] * 5
    assert auto["inferred"].tolist() == [1, 1, 1, 1, 4]
    assert auto["facilities"].tolist() == [2, 1, 1, 1, 5]
    assert defense["inferred"].tolist() == [1, 1, 0, 1, 3]
    assert auto.at["mine", "certified"] == []
    assert auto.at["mine", "inferred_certified"] == ["mine_a: IRMA; JORC"]
    assert auto.at["magnet", "inferred_certified"] == ["magnet_a: IATF16949; ISO9001"]
    # the gaps are the sourced ones: every requirement, inferred or not
    assert auto.at["magnet", "gaps"] == ["magnet_a: ISO9001|IATF16949|AS9100; IATF16949"]


def test_a_certifications_row_without_year_is_inferred_and_a_sourced_one_wins():
    """magnet_a's IATF 16949 row lacks its year: ISO 9001 (sourced) meets the quality-system
    group, but the automotive group needs IATF 16949, so the magnet stage is not assured for
    the automotive sink (share 0, inferred 1) and `all` is 0; the defense sink misses AS9100
    either way (inferred 0). A standard both sourced and named in the column is sourced."""
    net = _assured_chain("table", frozenset({("magnet_a", "IATF16949")}))
    ladder = assurance_ladder(net).set_index(["sink", "stage"])
    magnet = ladder.loc[("oem_auto", "magnet")]
    assert (magnet["share"], magnet["assured"], magnet["inferred"]) == (0.0, 0, 1)
    assert magnet["certified"] == ["magnet_a: ISO9001"]
    assert magnet["inferred_certified"] == ["magnet_a: IATF16949"]
    assert ladder.loc[("oem_auto", "all"), "share"] == 0.0
    assert ladder.loc[("oem_auto", "mine"), "share"] == pytest.approx(0.75)
    assert ladder.loc[("oem_def", "magnet"), "inferred"] == 0
    gaps = assurance_gaps(net).set_index("id")
    assert gaps.loc["magnet_a", ["holds", "inferred"]].tolist() == ["ISO9001", "IATF16949"]

    frames = net.to_frames()
    facilities = frames["facilities"].assign(
        certifications=lambda f: f["id"].map({"mine_a": "JORC", "magnet_a": "IATF16949"}))
    both = network_from_records(facilities.to_dict("records"), frames["links"].to_dict("records"),
                                certifications=frames["certifications"].to_dict("records"))
    mine = assurance_ladder(both, ["oem_auto"]).set_index("stage").loc["mine"]
    assert mine["certified"] == ["mine_a: IRMA; JORC"] and mine["inferred_certified"] == []
    assert assurance_gaps(both).set_index("id").at["magnet_a", "inferred"] == "IATF16949"


def test_cli_assurance_reports_inferred_apart(tmp_path, capsys):
    from .test_compliance import tiern

    folder = _assured_chain("column").write(tmp_path / "net")
    rows = json.loads(tiern(capsys, "assurance", str(folder), "--sink", "oem_auto",
                            "-f", "json").stdout)
    assert {"assured", "certified", "gaps", "inferred", "inferred_certified"} <= set(rows[0])
    assert [(r["stage"], r["assured"], r["inferred"]) for r in rows][-1] == ("all", 0, 4)
    table = tiern(capsys, "assurance", str(folder), "--sink", "oem_auto")
    assert "inferred" in table.stdout.splitlines()[0]
    assert "inferred (not verified)" in table.stderr
    sourced = tiern(capsys, "assurance", str(_assured_chain().write(tmp_path / "sourced")),
                    "--sink", "oem_auto")
    assert "not verified" not in sourced.stderr
    # a defense sink: the inferred IATF 16949 would assure nothing (AS9100 is missing), yet it
    # is listed, so the note still explains it
    lone = network_from_records(
        [fac("magnet_a", "magnet", "JP", certifications="IATF16949"),
         fac("oem_def", "oem", "US", sector="defense")],
        [link("magnet_a", "oem_def", "NdFeB magnet", 20)])
    rows = json.loads(tiern(capsys, "assurance", str(lone.write(tmp_path / "lone")),
                            "-f", "json").stdout)
    assert [r["inferred"] for r in rows] == [0, 0, 0]
    assert rows[0]["inferred_certified"] == ["magnet_a: IATF16949"]
    assert "inferred (not verified)" in tiern(capsys, "assurance", str(tmp_path / "lone")).stderr


def test_assurance_ladder_figure_hover_names_inferred_apart():
    from graphmodel.compliance.figures import assurance_ladder_figure

    figure = assurance_ladder_figure(assurance_ladder(_assured_chain("column")), "oem_auto")
    assert list(figure.data[0].x) == [0.0] * 5
    assert figure.data[0].customdata[-1].endswith(
        "inferred (not verified) certificates would assure 4 of these")
    assert "inferred" not in assurance_ladder_figure(
        assurance_ladder(_assured_chain()), "oem_auto").data[0].customdata[0]


def test_assurance_docstring_example():
    import doctest

    from graphmodel.compliance import assurance

    assert doctest.testmod(assurance).failed == 0


# --- the bundled specifications ------------------------------------------------------------------

@pytest.fixture(scope="module")
def bundled():
    from graphmodel import load_network

    return load_network()


@pytest.mark.parametrize("kind", ["capabilities", "requirements", "certifications"])
def test_bundled_specs_rows_carry_a_source_url_and_year(bundled, kind):
    table = getattr(bundled, kind)
    assert len(table)
    assert table["source"].str.startswith("http").all()
    assert table["year"].between(2000, 2026).all()
    estimated = table["note"].fillna("").str.startswith("Estimated")
    assert (table.loc[estimated, "note"].str.len() > 60).all()  # the method is stated


def test_bundled_sector_requirements_cover_every_sector(bundled):
    from graphmodel.schema import SECTORS

    reqs = bundled.requirements
    assert set(reqs.loc[reqs["material"] == "NdFeB magnet", "sector"]) == set(SECTORS)


def test_bundled_qualify_lists_magnet_makers_with_the_grade_that_fits(bundled):
    # BorgWarner's magnets go to automotive OEMs: the sector's 150 C (SH) requirement applies
    table = qualify(bundled, "us-borgwarner", "NdFeB magnet").set_index("supplier")
    assert table.loc["cn-jl-mag", ["meets_spec", "fitting_grade"]].tolist() == [True, "SH"]
    assert table.loc["cn-ningbo-yunsheng", ["meets_spec", "fitting_grade"]].tolist() == [True, "SH"]
    # Daido's heavy-rare-earth-free magnets publish no temperature rating: unknown, not a fit
    assert pd_isna(table.loc["jp-daido-electronics", "meets_spec"])
    assert table.loc["cn-jl-mag", "required_temp_c"] == 150


def test_bundled_requirement_chain_reaches_the_oxide_purity_floors(bundled):
    from graphmodel.compliance.qualification import requirement_chain

    chain = requirement_chain(bundled, "us-borgwarner").set_index(["step", "material"])
    assert chain.loc[("grade classes", "NdFeB magnet"), "requirement"].startswith("SH (150 C), UH")
    content = chain.loc[("Dy/Tb content", "NdFeB magnet")]
    assert content["requirement"] == "SH: 2-4 wt% Dy+Tb (typical)"
    assert "Dy metal 0.0409 t/t (stage magnet, group DyTb)" in content["basis"]  # recipes.csv
    tb = chain.loc[("purity floor", "Tb oxide")]
    assert tb["requirement"] == ">= 99.99%"
    assert "my-lynas-malaysia-hre (purity 99.99)" in tb["meeting"]


def test_bundled_assurance_shows_the_published_certifications(bundled):
    ladder = assurance_ladder(bundled, ["us-lockheed-martin"]).set_index("stage")["certified"]
    assert {"au-mt-weld-mine: JORC", "us-mountain-pass-mine: SK1300"} <= set(ladder["mine"])
    assert "ca-src-separation: ISO17025" in ladder["separator"]


def test_bundled_certifications_name_standards_of_the_stack_at_their_stage(bundled):
    """Each published row counts somewhere: its standard is one the shipped stack asks of the
    facility's stage (a JORC row on a separator would assure nothing)."""
    from graphmodel.compliance.assurance import load_stack

    stack = load_stack()
    stages = bundled.facilities["stage"]
    for facility, standard in zip(bundled.certifications["facility"],
                                  bundled.certifications["standard"]):
        asked = {normalise_certificate(a) for r in stack.requirements
                 if r.stage == stages[facility] for a in r.any_of}
        assert normalise_certificate(standard) in asked, (facility, standard)


def test_bundled_inferred_iatf_is_reported_apart_not_assured(bundled):
    """The column's IATF 16949 is inferred (certifications_basis): for an automotive sink it
    shows in inferred_certified, and in certified only where certifications.csv sources it."""
    ladder = assurance_ladder(bundled, ["us-tesla"]).set_index("stage")
    basis = bundled.facilities["certifications_basis"].fillna("")
    inferred_ids = set(bundled.facilities.index[basis.str.startswith("inferred")])
    table = bundled.certifications
    sourced = set(table.loc[table["standard"].map(normalise_certificate) == "IATF16949",
                            "facility"])
    for stage in ("magnet", "motor"):
        listed = {entry.split(":")[0] for entry in ladder.at[stage, "inferred_certified"]}
        assert listed and listed <= inferred_ids - sourced
        assert ladder.at[stage, "inferred"] >= 1
        assert all(e.split(":")[0] in sourced for e in ladder.at[stage, "certified"]
                   if "IATF16949" in e)


def test_change_report_spec_deltas_and_supply_lost(ev_chain):
    """mag_cn -> mag_jp for the motor: best thermal limit 180 C (42UH) -> 155 C (stated), HcJ
    1989 kA/m (UH class 25 kOe) -> 1353 kA/m (H class 17 kOe). The motor loses all 10 t/yr for
    the automotive default 7 months: 10 x 7 / 12; the OEM 4 months later: 10 x 11 / 12."""
    result = change(ev_chain, "mag_cn", "mag_jp")
    deltas = result.links.iloc[0]["spec_deltas"]
    assert "thermal limit: 180 C -> 155 C" in deltas
    assert "coercivity HcJ: 1989 kA/m -> 1353 kA/m" in deltas
    lost = result.affected.set_index("id")["supply_lost"]
    assert lost["motor"] == pytest.approx(10 * 7 / 12)
    assert lost["oem"] == pytest.approx(10 * 11 / 12)


def test_change_scenario_says_when_the_new_source_cannot_reroute_for_lack_of_a_spec_fit():
    net = _ev_motor_net(["x"])
    scenario = change(net, "mag_a", "mag_x").scenario
    assert "mag_x -> motor (NdFeB magnet): capability unknown" in scenario["description"]
    assert "capability unknown" not in change(_ev_motor_net(["ev"]), "mag_a", "mag_ev").scenario[
        "description"]


def test_readme_change_example_runs_on_the_bundled_data(tmp_path, capsys):
    """The README's example: JL MAG -> Ningbo Yunsheng (SH stated, already qualified) for Bosch.
    `change` reports 0 months and the scenario it writes opens the link at month 0. Yunsheng
    has no spare capacity (it ships its whole capacity, magnets and their scrap), so no volume
    moves to it; BMW dips to 95% of its supply, as the README says."""
    from graphmodel import load_network
    from graphmodel.chokepoints import spare_capacity

    from .test_compliance import tiern

    out = tmp_path / "change.yaml"
    rows = json.loads(tiern(capsys, "change", "--replace", "cn-jl-mag", "--with",
                            "cn-ningbo-yunsheng", "--customer", "de-bosch-emotors",
                            "--scenario-out", str(out), "-f", "json").stdout)
    assert max(r["months_until_usable"] for r in rows) == 0
    opened = yaml.safe_load(out.read_text())["responses"]["new_capacity"]
    assert [(o["link"]["supplier"], o["month"]) for o in opened] == [("cn-ningbo-yunsheng", 0)]
    assert spare_capacity(load_network())["cn-ningbo-yunsheng"] == 0
    links = json.loads(tiern(capsys, "scenario", str(out), "--by", "links", "-f", "json").stdout)
    assert not [r for r in links if r["supplier"] == "cn-ningbo-yunsheng"]
    sinks = {r["id"]: r for r in json.loads(tiern(capsys, "scenario", str(out), "-f", "json").stdout)}
    assert round(sinks["de-bmw"]["min_supply"], 2) == 0.95
    assert round(sinks["de-bmw"]["lost_share"], 2) == 0.01


def test_bundled_change_scenario_keeps_the_requalification_months(tmp_path, capsys):
    """A new source (Iluka's Eneabba refinery, a candidate at 12 months for the Japanese metal
    makers) opens in the written scenario at the month `change` reports for everything
    downstream, and that scenario runs."""
    from .test_compliance import tiern

    out = tmp_path / "x.yaml"
    rows = json.loads(tiern(capsys, "change", "--replace", "cn-creg-ganzhou-separation", "--with",
                            "au-iluka-eneabba-refinery", "--customer", "jp-metal-makers",
                            "--scenario-out", str(out), "-f", "json").stdout)
    months = {r["id"]: r["months_until_usable"] for r in rows}
    assert months["jp-metal-makers"] >= 1   # a candidate link: qualification first
    opened = yaml.safe_load(out.read_text())["responses"]["new_capacity"]
    assert [o["month"] for o in opened] == [max(months.values())]
    assert json.loads(tiern(capsys, "scenario", str(out), "-f", "json").stdout)
