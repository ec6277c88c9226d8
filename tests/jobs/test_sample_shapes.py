"""Sentences of the sample pages in the shapes of issue 10 (data/sample/planted.toml), through the
real `kb extract`: what they should make, and the known failures as strict xfails that name the
problem (each passes once the event rules or the tagger learn it)."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def extract(run_kb):
    def run(text: str, published: str) -> dict:
        result = run_kb("extract", "--published", published, "--text", text)
        assert result.exit_code == 0, result.output
        return json.loads(result.output)
    return run


def events(found: dict) -> list[tuple]:
    return [(e["type"], e["date"], e.get("recap", False)) for e in found["events"]]


@pytest.mark.parametrize(("item", "expected"), [
    ("July 2019: Microsoft invests $1 billion in OpenAI and becomes its exclusive cloud provider.",
     ("investment", "2019-07", True)),
    ("March 2024: Microsoft hires Mustafa Suleyman to lead a new unit, Microsoft AI.",
     ("personnel", "2024-03", True)),
    ("September 11, 2025: Microsoft and OpenAI sign a non-binding memorandum of understanding.",
     ("partnership", "2025-09-11", True)),
])
def test_a_timeline_box_item_recalls_its_fact_with_its_own_date(extract, item, expected):
    assert events(extract(item, "2025-09-25")) == [expected]


def test_a_recap_in_a_news_story_keeps_the_date_it_happened(extract):
    found = extract("The change comes two weeks after Microsoft and OpenAI signed a non-binding memorandum of "
                    "understanding on September 11 that set out the next phase of their partnership.", "2025-09-24")
    assert events(found) == [("partnership", "2025-09-11", True)]


def test_a_pricing_plan_makes_no_event(extract):
    assert events(extract("Pricing for high-volume customers will follow later this month, Microsoft said.",
                          "2026-04-03")) == []


def test_a_model_added_to_a_product_is_a_release(extract):
    found = extract("REDMOND, Wash. — Microsoft on Wednesday added Anthropic's Claude models to Microsoft 365 "
                    "Copilot, the first time its workplace assistant has offered models from a company other "
                    "than OpenAI.", "2025-09-24")
    assert ("release", "2025-09-24", False) in events(found)


def test_a_recalled_recapitalization_is_corporate(extract):
    found = extract("Last year's recapitalization settled the ownership question for now.", "2026-04-18")
    assert [kind for kind, _, _ in events(found)] == ["corporate"]


def test_an_opinion_about_releases_makes_no_event(extract):
    found = extract("Microsoft would be unwise to read its own release calendar as independence, and OpenAI "
                    "would be just as unwise to read it as a bluff.", "2026-04-18")
    assert events(found) == []


def test_a_count_over_months_is_a_duration(extract):
    found = extract("Five in-house models in eight months is the pace of a company that expects to need them.",
                    "2026-04-18")
    assert [(t["type"], t["value"]) for t in found["timexes"]] == [("DURATION", "P8M")]


def test_a_month_before_a_name_dates_the_recap(extract):
    found = extract("In November Mustafa Suleyman set up the MAI Superintelligence Team.", "2026-04-27")
    assert events(found) == [("corporate", "2025-11", True)]


def test_a_verdict_makes_no_event(extract):
    found = extract("The quick take: a sensible, aggressively priced release that makes the MAI family look like "
                    "a product line rather than a series of experiments.", "2026-04-15")
    assert events(found) == []
