"""A trigger counts only when it governs its clause (issue 10, kb/nlp/events/governance.py and
[governs]/[participants] of data/event_rules.toml): what it takes as object, who must take part,
what a recalled or definite noun points back at. Sentences written for the test."""

from __future__ import annotations

import pytest

from kb.nlp.pipeline import analyze


def told(text: str, published: str = "2025-06-18") -> list[tuple]:
    return [(e["type"], e["date"], e["recap"]) for e in analyze(text, published)["events"]]


def types(text: str, published: str = "2025-06-18") -> list[str]:
    return [e["type"] for e in analyze(text, published)["events"]]


@pytest.mark.parametrize(("text", "expected"), [
    # 'settle' is legal only with a legal object.
    ("Microsoft settled the copyright lawsuit with the authors on Monday.", ["legal"]),
    ("The vote settled the question of control at the lab.", []),
    # 'add ... to' is a release only with a product or a model in its gap.
    ("Amazon added Anthropic's Claude models to Amazon Bedrock on Monday.", ["release"]),
    ("OpenAI added Oracle to its list of cloud suppliers on Monday.", ["partnership"]),
    # An idiom, a document, a word of a name: no release.
    ("The change opened the door for Anthropic to sell its models through Microsoft.", []),
    ("A press release on Monday described the Azure plans of Microsoft in detail.", []),
    ("Google's model ranked just behind Grok 3 Preview in the benchmark.", []),
    # A hire joins an organisation; company on stage is no hire.
    ("Satya Nadella joined him on stage at the Microsoft event.", []),
    ("Mira Murati joined Microsoft as a research head on Monday.", ["personnel"]),
    # 'convert' is corporate only with a company form as its object.
    ("Copilot converted the spoken question into text for Microsoft users on Monday.", []),
    ("OpenAI converted its for-profit arm into a public benefit corporation on Monday.", ["corporate"]),
    # A personnel event needs a person (named, or a word for people).
    ("Microsoft cited progress at OpenAI as the reason for its departure.", []),
    ("Meta poached three more researchers from OpenAI on Monday.", ["personnel"]),
    # A party that only carries the report is no party.
    ("According to Microsoft, the tool is one of the fastest voice models currently available.", []),
    # A price line with no product or party.
    ("Output tokens cost $30 per million, down from $40 per million.", []),
    # An activity under way, not a fact.
    ("Microsoft has been adding partner models to Azure AI Foundry.", []),
    # A title that describes someone already hired.
    ("Denise Dresser, the newly appointed Chief Commercial Officer of OpenAI, spoke at the conference on Monday.", []),
    # What a regulator is weighing: its review is told, not the hire or the merger it weighs.
    ("The CMA is examining whether Microsoft's hiring of the Inflection AI staff amounts to a merger.",
     ["regulatory"]),
    # A hire announced through a title; a product's role is no hire.
    ("Dana Whitfield, who will be chief scientist of the new lab, joined from Contoso.", ["personnel"]),
    ("Mira Murati will serve as chief technology officer of the new lab.", ["personnel"]),
    ("MAI-Image-2 will serve as the default image model in Bing.", ["release"]),
    # Infrastructure put into service.
    ("Microsoft said its new GB200 cluster is now online in Iowa.", ["corporate"]),
    # An attack on a rival is competition.
    ("Denise Dresser accused Anthropic of overstating its revenue on Monday.", ["competition"]),
])
def test_a_trigger_counts_only_with_what_it_governs(text, expected):
    assert types(text) == expected


def test_people_named_to_a_new_team_are_a_personnel_event_beside_the_team():
    assert types("Mustafa Suleyman will run the newly formed MAI Superintelligence Team, joined by chief "
                 "scientist Karén Simonyan.") == ["corporate", "personnel"]


def test_a_recalled_inquiry_borrows_the_parties_of_the_inquiry_just_told():
    found = analyze("The FTC opened an inquiry into Microsoft's deal with Inflection AI on Tuesday. "
                    "This follows a first inquiry launched in March.", "2024-07-17")["events"]
    assert [(e["type"], e["date"], e["recap"]) for e in found] == [
        ("regulatory", "2024-07-16", False), ("regulatory", "2024-03", True)]
    assert {"Federal Trade Commission", "Microsoft"} <= set(found[1]["entities"])


def test_a_recalled_noun_without_a_participle_date_or_a_party_makes_no_event():
    assert told("Microsoft released MAI-Image-2 on Monday. It also builds on last year's deal.")[1:] == []


def test_a_definite_noun_names_the_fact_its_article_told():
    assert types("Microsoft and OpenAI signed a new agreement on Tuesday. The agreement keeps Azure "
                 "as the main cloud of OpenAI.") == ["partnership"]
    # A complaint's every claim is told.
    assert types("The New York Times sued OpenAI on Wednesday. The complaint says OpenAI copied "
                 "millions of articles.", "2023-12-28") == ["legal", "legal"]


@pytest.mark.parametrize("text", [
    "The resignation comes after months of antitrust scrutiny of Microsoft in Europe.",
    "This follows an inquiry by the FTC into the Microsoft deal.",
])
def test_where_a_fact_stands_without_a_date_is_background(text):
    assert types(text) == []
    assert "background" in [c["kind"] for c in analyze(text, "2025-06-18")["context"]]


def test_an_undated_when_clause_is_background():
    assert types("Suleyman worked at Google until 2022, when he left to start a new lab.", "2024-03-21") == []


def test_a_present_progressive_with_an_adverb_is_news_of_the_day():
    found = analyze("Karén Simonyan is also joining Microsoft as chief scientist.", "2024-03-21")["events"]
    assert [(e["type"], e["date"]) for e in found] == [("personnel", "2024-03-21")]


def test_a_price_with_no_party_is_the_price_of_the_company_the_article_is_about():
    found = analyze("Microsoft released a new speech model on Monday.\n"
                    "Each hour of audio costs $0.40 per hour.", "2025-06-18")["events"]
    assert [(e["type"], e["entities"]) for e in found][1:] == [("pricing", ["Microsoft"])]
    assert types("Each hour of audio costs $0.40 per hour.") == []
