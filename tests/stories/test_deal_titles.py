"""A deal fact sheet's title names its two sides once each ("Amazon and Anthropic")."""

from __future__ import annotations

from kb.core.relations import Role, parse_relations
from kb.stories.card_facts import deal_title_parties

RELATIONS = parse_relations({"parents": {"Amazon Web Services": "Amazon"},
                             "people": {}, "makers": {"Claude": "Anthropic"}}, "test")


def test_a_unit_and_its_parent_are_one_side():
    assert deal_title_parties(["Amazon", "Amazon Web Services", "Anthropic"], RELATIONS) == ["Amazon", "Anthropic"]


def test_the_organisation_is_named_rather_than_its_people():
    rel = parse_relations({"people": {"Andy Jassy": {"org": "Amazon", "role": "CEO"}}}, "test")
    assert isinstance(rel.people["Andy Jassy"], Role)
    assert deal_title_parties(["Andy Jassy", "Amazon", "Anthropic"], rel) == ["Amazon", "Anthropic"]
    assert deal_title_parties(["Andy Jassy", "Anthropic"], rel) == ["Andy Jassy", "Anthropic"]


def test_two_unrelated_parties_are_kept_in_order():
    assert deal_title_parties(["Microsoft", "OpenAI", "SoftBank"], RELATIONS) == ["Microsoft", "OpenAI"]
