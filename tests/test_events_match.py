"""Matching events to the network: true and false matches, with evidence and confidence;
rules that a user extends; a plain reason when an event names nothing."""
from __future__ import annotations

import pandas as pd
import pytest

from graphmodel import load_network
from graphmodel.errors import ValidationError
from graphmodel.events import RulesFileError, load_rules, parse_events
from graphmodel.events.match import build_gazetteer, match_event, match_events


@pytest.fixture(scope="module")
def bundled():
    return load_network(None)


@pytest.fixture(scope="module")
def gazetteer(bundled):
    return build_gazetteer(bundled, load_rules())


def match(gazetteer, title, text="", **hints):
    event = {"id": "e", "title": title, "text": text, "facility": "", "country": "",
             "material": "", "kind": "", **hints}
    return match_event(event, gazetteer)


def values(matches):
    return {m.value for m in matches}


def test_lynas_matches_the_lynas_facilities_with_evidence(gazetteer):
    found = match(gazetteer, "Lynas halts Kalgoorlie processing after fire")
    facilities = {m.value: m for m in found.facilities}
    assert {"au-lynas-kalgoorlie", "my-lynas-malaysia", "au-mt-weld-mine"} <= set(facilities)
    kalgoorlie = facilities["au-lynas-kalgoorlie"]
    # named twice (owner, name word) beats named once: 0.7 owner head + 0.05 per extra term
    assert kalgoorlie.confidence > facilities["au-mt-weld-mine"].confidence
    assert "'Kalgoorlie' (word of its name)" in kalgoorlie.evidence
    assert "'Lynas' (owner Lynas Rare Earths)" in kalgoorlie.evidence
    assert found.kind.value == "outage"
    assert set(found.kind.evidence) == {"'halts' (keyword)", "'fire' (keyword)"}


def test_lynx_is_not_lynas_and_words_inside_words_do_not_match(gazetteer):
    found = match(gazetteer, "A lynx was seen near Chinatown; Indianapolis and Nigeria news",
                  "Omania and Malaysiana are no countries either")
    assert not any("lynas" in v for v in values(found.facilities))
    countries = values(found.countries)
    assert "CN" not in countries and "IN" not in countries and "OM" not in countries
    assert "MY" not in countries
    assert countries == {"NG"}          # "Nigeria" is a whole word; "Niger" inside it is not


def test_two_letter_codes_are_not_read_from_text(gazetteer):
    found = match(gazetteer, "NA: figures not available IN time", "no data")
    assert values(found.countries) == set()
    assert found.reason.startswith("names no facility, owner or country of the network")


def test_a_country_column_na_is_namibia(gazetteer):
    found = match(gazetteer, "Drought", country="NA")
    assert [(m.value, m.confidence) for m in found.countries] == [("NA", 1.0)]


def test_country_names_demonyms_and_codes(gazetteer):
    found = match(gazetteer, "Chinese ministry tightens rules", "Exports from Burma and MMR fall")
    by_value = {m.value: m for m in found.countries}
    assert set(by_value) == {"CN", "MM"}
    assert "'Chinese' (demonym)" in by_value["CN"].evidence
    assert {"'Burma' (country name)", "'MMR' (ISO code)"} <= set(by_value["MM"].evidence)
    assert by_value["MM"].confidence == pytest.approx(0.85)   # 0.8 name + 0.05 for the code


def test_longest_country_name_wins(gazetteer):
    found = match(gazetteer, "Floods in Papua New Guinea")
    assert values(found.countries) == {"PG"}


def test_one_word_names_need_a_capital(gazetteer):
    # "kachin" as a lower-case word in running text is not the Kachin mines
    assert not match(gazetteer, "word list: kachin pangwa").facilities
    found = match(gazetteer, "Fighting near Pangwa in Kachin")
    assert values(found.facilities) == {"mm-kachin-ionic-clays", "mm-kachin-leach"}


def test_elements_and_materials_by_keyword(gazetteer):
    found = match(gazetteer, "Dysprosium and Tb exports curbed", "NdFeB magnet makers worry; dy")
    assert values(found.elements) == {"Dy", "Tb"}
    assert "NdFeB magnet" in values(found.materials)
    # element symbols are case-sensitive: "dy" is no evidence
    dy = next(m for m in found.elements if m.value == "Dy")
    assert dy.evidence == ("'Dysprosium' (element keyword)",)


def test_kind_with_most_keyword_hits_wins(gazetteer):
    found = match(gazetteer, "Export controls and export licences", "after a fire")
    assert found.kind.value == "export_control"
    assert found.kind.confidence == pytest.approx(0.7)
    assert match(gazetteer, "Typhoon floods Kuantan").kind.value == "weather"
    assert match(gazetteer, "Workers strike at plant").kind.value == "strike"
    assert match(gazetteer, "US adds firms to entity list").kind.value == "sanction"
    assert match(gazetteer, "Licence suspended for plant").kind.value == "licence"
    assert match(gazetteer, "Licence renewal for ten years").kind is None


def test_explicit_facility_column_and_an_unknown_one(gazetteer):
    found = match(gazetteer, "Something happened", facility="us-mountain-pass-mine")
    assert [(m.value, m.confidence) for m in found.facilities] == [("us-mountain-pass-mine", 1.0)]
    by_name = match(gazetteer, "Something", facility="Mountain Pass mine (California)")
    assert values(by_name.facilities) == {"us-mountain-pass-mine"}
    unknown = match(gazetteer, "Something", facility="Atlantis refinery")
    assert unknown.reason == "its facility 'Atlantis refinery' is not a facility of the network"


def test_an_event_naming_nothing_says_so(gazetteer):
    found = match(gazetteer, "Lithium prices rise", "Spodumene traders expect more demand")
    assert not found.facilities and not found.countries
    assert found.reason.startswith("names no facility, owner or country of the network (read 8 "
                                   "words")


def test_aliases_match_with_their_confidence(bundled):
    aliases = pd.DataFrame({"alias": ["Baotou Huamei"], "canonical_id": ["cn-nre-baotou-huamei"],
                            "_row": [2], "_file": ["aliases.csv"]})
    found = match(build_gazetteer(bundled, load_rules(), aliases), "Baotou Huamei plant halted")
    facilities = {m.value: m for m in found.facilities}
    assert facilities["cn-nre-baotou-huamei"].confidence >= 0.9
    assert "'Baotou Huamei' (alias)" in facilities["cn-nre-baotou-huamei"].evidence
    bad = aliases.assign(canonical_id=["nowhere"])
    with pytest.raises(ValidationError, match="aliases.csv:2:canonical_id: unknown facility id"):
        build_gazetteer(bundled, load_rules(), bad)


def test_user_rules_add_a_kind_and_keywords(tmp_path, bundled):
    rules_file = tmp_path / "mine.yaml"
    rules_file.write_text("kinds:\n  cyber:\n    shock: outage\n    severity: 0.3\n"
                          "    duration_months: 1\n    keywords: [ransomware*]\n"
                          "  outage:\n    keywords: [blackout*]\n", encoding="utf-8")
    rules = load_rules(rules_file)
    assert rules.kinds["cyber"].severity == 0.3
    assert "blackout*" in rules.kinds["outage"].keywords and "halt*" in rules.kinds["outage"].keywords
    gazetteer = build_gazetteer(bundled, rules)
    assert match(gazetteer, "Ransomware hits Lynas").kind.value == "cyber"
    assert match(gazetteer, "Blackouts at Lynas").kind.value == "outage"


@pytest.mark.parametrize("text, message", [
    ("kinds:\n  cyber:\n    keywords: [x]\n", "mine.yaml: kinds.cyber: a new kind needs shock, "
                                                "severity, duration_months"),
    ("kinds:\n  outage:\n    severity: 2\n", "mine.yaml: kinds.outage.severity: must be between 0 and 1 (capacity lost)"),
    ("kinds:\n  Bad Kind:\n    keywords: [x]\n", "use lower-case letters"),
    ("elements:\n  Xx: [x]\n", "unknown element 'Xx'"),
    ("kinds:\n  outage:\n    colour: red\n", "kinds.outage.colour: unknown field"),
    ("a: &x [1]\nb: *x\n", "alias *x is not accepted"),
])
def test_bad_rules_files_are_refused_with_the_field(tmp_path, text, message):
    path = tmp_path / "mine.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulesFileError) as raised:
        load_rules(path)
    assert message in str(raised.value)


def test_an_unknown_kind_column_is_a_located_problem(bundled):
    events = parse_events(b"date,title,text,url,kind\n2025-01-01,Lynas,x,u,meteor\n",
                          "e.csv").events
    with pytest.raises(ValidationError, match="e.csv:2:kind: unknown kind 'meteor'"):
        match_events(events, bundled, load_rules())


def test_no_name_of_the_network_matches_inside_a_longer_word(bundled, gazetteer):
    # every facility name head and every country name, glued to letters on either side, is
    # no longer a whole word: nothing may match
    heads = [name.split("(")[0].split(",")[0] for name in bundled.facilities["name"]]
    countries = ["China", "Malaysia", "Myanmar", "Burma", "Australia", "India", "Japan"]
    for name in heads + countries:
        glued = "Zq" + name.replace(" ", "").replace("-", "") + "zq"
        found = match(gazetteer, glued, glued.lower())
        assert not found.facilities and not found.countries, (name, found)
