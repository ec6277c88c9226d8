"""data/relations.toml: every name is the gazetteer's, and the questions titles ask answer right."""

import pytest

from kb.core.errors import ConfigError
from kb.core.relations import RELATIONS_PATH, load_relations, parse_relations
from kb.nlp.gazetteer import load_gazetteer

# Names the relations file may use that are groups of people, not gazetteer entities.
GROUPS = {"Azure customers", "Microsoft 365 customers", "developers", "ChatGPT users", "enterprise customers"}


def test_every_name_is_in_the_gazetteer():
    known = {entry.name for entry in load_gazetteer()}
    unknown = load_relations().names() - known - GROUPS
    assert not unknown, f"{RELATIONS_PATH.name} names entities the gazetteer lacks: {sorted(unknown)}"


def test_makers_and_groups():
    rel = load_relations()
    assert rel.maker_of("MAI-Image-2") == "Microsoft AI"
    assert rel.owners_of("Microsoft AI") == ["Microsoft"]
    assert rel.group_of("MAI-Image-2-Efficient") == "Microsoft"
    assert rel.group_of("Grok") == "xAI"
    assert rel.group_of("Mustafa Suleyman") == "Microsoft"
    assert rel.belongs_to("Gemini", "Alphabet")


def test_a_host_never_releases_what_it_hosts():
    rel = load_relations()
    assert "Azure" in rel.hosts_of("Grok")
    assert not rel.can_release("Microsoft", "Grok")
    assert not rel.can_release("OpenAI", "Azure")
    assert rel.can_release("Microsoft", "MAI-Image-2")
    assert rel.can_release("Microsoft AI", "MAI-Image-2")
    assert not rel.can_release("Nvidia", "MAI-Image-2")
    assert rel.can_release("Anyone", "A product nobody listed")


def test_cases_parties_and_rivals():
    rel = load_relations()
    assert [case.name for case in rel.cases_of("Elon Musk")] == ["Musk v. OpenAI"]
    assert "Microsoft" in rel.cases["New York Times v. Microsoft"].defendants
    assert {"Adobe", "Stability AI", "Midjourney"} <= rel.rivals_of("Microsoft AI")
    assert "OpenAI" in rel.partners_of("Microsoft")


def test_a_malformed_table_names_itself(tmp_path):
    with pytest.raises(ConfigError, match="people.Someone"):
        parse_relations({"people": {"Someone": "Microsoft"}}, "relations.toml")
    bad = tmp_path / "relations.toml"
    bad.write_text("[makers]\nX = 3\n")
    with pytest.raises(ConfigError, match="makers"):
        load_relations(bad)
