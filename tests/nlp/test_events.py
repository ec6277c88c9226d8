"""Event extraction on hand-written sentences through the real pipeline."""

from __future__ import annotations

import pytest

from kb.core.errors import ConfigError
from kb.core.event_types import EVENT_TYPES
from kb.nlp.events.lexicon import compile_lexicon, inflect, load_lexicon, verb_forms
from kb.nlp.pipeline import analyze


def events_of(text: str, published: str = "2026-04-15") -> list[dict]:
    return analyze(text, published)["events"]


def only_event(text: str, published: str = "2026-04-15") -> dict:
    events = events_of(text, published)
    assert len(events) == 1, events
    return events[0]


def test_release_with_relative_date_roles_and_pricing():
    events = events_of("REDMOND, Wash. — Microsoft on Tuesday released MAI-Image-2-Efficient, "
                       "priced at $19.50 per million output tokens.")
    assert [e["type"] for e in events] == ["release", "pricing"]
    release = events[0]
    assert release["date"] == "2026-04-14"
    assert release["date_source"] == "relative"
    assert release["date_text"] == "Tuesday"
    assert release["roles"]["Microsoft"] == "agent"
    assert release["roles"]["MAI-Image-2-Efficient"] == "product"
    assert not release["hedged"] and not release["negated"] and not release["denial"]


def test_legal_agent_and_objects():
    event = only_event("The New York Times sued OpenAI and Microsoft for copyright infringement "
                       "on Wednesday.", "2023-12-28")
    assert event["type"] == "legal"
    assert event["date"] == "2023-12-27"
    assert event["roles"] == {"The New York Times": "agent", "OpenAI": "object", "Microsoft": "object"}


def test_passive_voice_puts_the_by_phrase_first():
    event = only_event("Sam Altman was ousted by OpenAI's board on Friday.", "2023-11-18")
    assert event["type"] == "personnel"
    assert event["roles"]["OpenAI"] == "agent"
    assert event["roles"]["Sam Altman"] == "object"
    assert event["date"] == "2023-11-17"


def test_explicit_date_and_money_with_investment():
    event = only_event("Microsoft invested $1 billion in OpenAI in July 2019.")
    assert event["type"] == "investment"
    assert (event["date"], event["date_source"]) == ("2019-07", "explicit")
    assert event["roles"] == {"Microsoft": "agent", "OpenAI": "partner"}


def test_same_day_report_takes_the_published_date():
    event = only_event("MAI-Image-2-Efficient is now available in Microsoft Foundry.")
    assert event["type"] == "release"
    assert (event["date"], event["date_source"]) == ("2026-04-15", "published")


def test_past_tense_without_a_date_has_no_date_in_an_undated_article():
    event = only_event("Microsoft released MAI-Image-2 with a new text renderer.", None)
    assert (event["date"], event["date_source"]) == (None, "none")


def test_undated_news_in_a_dated_article_falls_back_to_its_publication_day():
    # "Azure becomes the exclusive cloud" in a 2019 report: news of the day it was reported.
    text = ("OpenAI announces a major investment: Microsoft is investing $1 billion in OpenAI.\n"
            "Microsoft will become OpenAI's exclusive cloud provider.")
    events = events_of(text, "2019-07-22")
    assert [(e["type"], e["date"], e["date_source"]) for e in events] == [
        ("investment", "2019-07-22", "published"), ("partnership", "2019-07-22", "published")]


def test_undated_past_tense_deep_in_an_article_or_hedged_stays_undated():
    opening = "\n".join(["Analysts were pleased."] * 4)
    late = only_event(opening + "\nMicrosoft released MAI-Image-2 with a new text renderer.")
    assert late["date"] is None
    hedged = only_event("Microsoft reportedly released MAI-Image-2 with a new text renderer.")
    assert hedged["date"] is None and hedged["hedged"]
    # Unsourced, the same guess is no report at all (kind "speculation", data/event_rules.toml).
    assert events_of("Microsoft may have released MAI-Image-2 with a new text renderer.", "2026-04-15") == []


def test_hedged_attributed_rumor_scores_lower_than_a_plain_report():
    rumor = only_event("OpenAI is reportedly weighing a deal with Amazon, according to people "
                       "familiar with the matter.")
    plain = only_event("OpenAI signed a deal with Amazon on Monday.")
    assert rumor["type"] == plain["type"] == "partnership"
    assert rumor["hedged"] and not plain["hedged"]
    assert rumor["attributed_to"] == "people familiar with the matter"
    assert rumor["confidence"] < plain["confidence"]


def test_modal_may_hedges_but_the_month_may_does_not():
    hedged = only_event("Microsoft may launch MAI-Image-3 in Copilot, according to people familiar with the plans.")
    dated = only_event("Microsoft launched MAI-Image-1 in May 2025.")
    assert hedged["hedged"] and not dated["hedged"]
    assert dated["date"] == "2025-05"


def test_outlet_in_attribution_is_not_a_participant():
    event = only_event("OpenAI signed a $38 billion deal with Amazon Web Services, CNBC reported.")
    assert event["attributed_to"] == "CNBC"
    assert "CNBC" not in event["roles"] and "CNBC" not in event["entities"]
    assert event["roles"]["Amazon Web Services"] == "partner"


def test_denial_is_flagged_and_negated():
    event = only_event("Microsoft denied a report that it would make MAI-Image-2 the default model "
                       "in Bing Image Creator.")
    assert event["type"] == "release"
    assert event["denial"] and event["negated"]
    plain = only_event("Microsoft will make MAI-Image-2 the default model in Bing Image Creator.")
    assert event["confidence"] < plain["confidence"]


def test_a_negated_report_is_no_event():
    assert events_of("The announcement did not say how large a stake Microsoft receives.") == []
    assert events_of("Microsoft has not released MAI-Image-3.") == []


def test_quoted_commentary_is_no_event():
    text = '"This is as much a compute contract as it is an investment," said Tomas Reyna of Halden Group.'
    assert events_of(text) == []


def test_period_bound_year_does_not_date_the_event():
    event = only_event("Microsoft's rights to OpenAI's models extend through 2032 under the new agreement.")
    assert event["type"] == "partnership"
    assert event["date"] != "2032"


def test_competition_gap_pattern_beats_the_filing():
    event = only_event("Microsoft's annual report lists OpenAI among its competitors.")
    assert event["type"] == "competition"
    assert event["roles"] == {"Microsoft": "agent", "OpenAI": "partner"}


def test_two_dated_releases_in_one_sentence_are_two_events():
    events = events_of("Microsoft AI released MAI-Image-1 in October 2025, and shipped MAI-Image-2 "
                       "on April 2, 2026.")
    assert [(e["type"], e["date"]) for e in events] == [("release", "2025-10"), ("release", "2026-04-02")]


def test_sentence_without_trigger_or_entity_has_no_event():
    assert events_of("The weather was pleasant in the afternoon.") == []
    assert events_of("The company launched a new product.") == []  # no entity


def test_boilerplate_lines_hold_no_events():
    assert events_of("Keywords: Microsoft, OpenAI, partnership") == []


def test_event_offsets_point_at_the_sentence():
    text = "Intro line without a trigger.\nOpenAI signed a deal with Amazon on Monday. More text."
    event = only_event(text)
    assert text[event["start"]:event["end"]] == event["sentence"]
    assert event["sentence"] == "OpenAI signed a deal with Amazon on Monday."
    assert event["sentence_index"] == 1


def test_inflection_rules():
    assert inflect("launch")["s"] == "launches"
    assert inflect("release")["ing"] == "releasing"
    assert inflect("ally")["ed"] == "allied"
    forms = verb_forms("roll out", {})
    assert forms["ed"] == "rolled out" and forms["s"] == "rolls out"
    assert verb_forms("make ... available", {"make": ["makes", "made", "made", "making"]})["ed"] == "made ... available"


def test_lexicon_rejects_unknown_types_and_bad_files(tmp_path):
    with pytest.raises(ValueError, match="unknown event type"):
        compile_lexicon({"types": {"gossip": {"priority": 1, "strength": 0.5}}})
    bad = tmp_path / "triggers.toml"
    bad.write_text("[types.release\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_lexicon(bad)
    bad.write_text('[types.release]\npriority = 1\nstrength = 0.5\nalso = ["gossip"]\n')
    with pytest.raises(ConfigError, match="unknown types"):
        load_lexicon(bad)


def test_readme_taxonomy_examples_give_their_type():
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "docs" / "extraction.md").read_text(encoding="utf-8")
    rows = re.findall(r'^\| `(\w+)` \| [^|]+ \| "([^"]+)" \|$', readme, flags=re.MULTILINE)
    types = [(t, example) for t, example in rows if t in EVENT_TYPES]
    assert len(types) == 10
    for event_type, example in types:
        assert [e["type"] for e in events_of(example)] == [event_type], example
    # "What makes no event": each example is context of its kind (the lawsuit itself is an event).
    kinds = [(k, example) for k, example in rows if k not in EVENT_TYPES]
    assert len(kinds) == 7
    for kind, example in kinds:
        result = analyze(example, "2026-04-15")
        assert kind in [c["kind"] for c in result["context"]], example
        assert [e["type"] for e in result["events"]] in ([], ["legal"]), example


# --- dates from the article's context ------------------------------------------------------

LEAD = ("SAN FRANCISCO — OpenAI said on Tuesday that it had completed a recapitalization of its "
        "for-profit arm.\n")


def test_present_tense_report_takes_the_date_of_the_lead_not_the_publication():
    events = events_of(LEAD + "The for-profit arm is now called OpenAI Group PBC.", "2025-10-29")
    assert [(e["type"], e["date"]) for e in events] == [("corporate", "2025-10-28")] * 2
    assert (events[1]["date_source"], events[1]["date_text"]) == ("relative", "Tuesday")


def test_a_lead_date_long_before_publication_does_not_date_a_same_day_report():
    text = ("REDMOND, Wash. — Microsoft released MAI-Image-1 on October 13, 2025.\n"
            "MAI-Image-1 is now available in Bing Image Creator.")
    events = events_of(text, "2026-04-15")
    assert [(e["date"], e["date_source"]) for e in events] == [
        ("2025-10-13", "explicit"), ("2026-04-15", "published")]


def test_past_tense_sentence_without_a_date_takes_the_lead_date():
    text = LEAD + "Unrelated line.\nThe attorneys general of Delaware and California approved the recapitalization."
    events = events_of(text, "2025-10-29")
    assert [e["date"] for e in events] == ["2025-10-28", "2025-10-28"]
    assert events[1]["confidence"] > only_event(events[1]["sentence"], None)["confidence"]


def test_earlier_date_of_the_same_paragraph_governs_before_the_lead():
    text = LEAD + ("Microsoft invested $1 billion in OpenAI in July 2019. "
                   "In return, OpenAI moved its computing work onto Azure, its exclusive cloud provider.")
    events = events_of(text, "2025-10-29")
    assert [(e["type"], e["date"]) for e in events[1:]] == [("investment", "2019-07"), ("partnership", "2019-07")]


def test_hedged_and_background_sentences_take_no_date_from_context():
    for sentence in (
        "Microsoft could invest in OpenAI, people familiar with the matter said.",
        "OpenAI has already spread its capacity across Oracle and CoreWeave.",
        "Microsoft still holds a stake in OpenAI.",
        "OpenAI signed compute contracts with Oracle over the past year.",
    ):
        events = events_of(LEAD + sentence, "2025-10-29")
        assert len(events) == 2 and events[1]["date"] is None, (sentence, events[1])
    # An earlier fact recalled without a date of its own makes no event at all.
    result = analyze(LEAD + "Microsoft, which has invested $13 billion in OpenAI, was told about the move.",
                     "2025-10-29")
    assert len(result["events"]) == 1
    assert [c["kind"] for c in result["context"]] == ["background"]


def test_a_date_in_a_later_clause_does_not_date_the_event():
    event = only_event("Microsoft and OpenAI signed an agreement that replaces the memorandum "
                       "they announced in September.", "2025-10-29")
    assert (event["date"], event["date_source"]) == ("2025-10-29", "published")  # not September
    dated = only_event("Microsoft will make MAI-Image-2 the default model in Bing Image Creator "
                       "before the end of April 2026.")
    assert (dated["date"], dated["date_mod"]) == ("2026-04", "END")


def test_weak_triggers_that_point_back_or_describe_give_no_event():
    assert events_of("Microsoft reported revenue of $64.7 billion the same day as the filing.") == []
    assert events_of("OpenAI said its charter, which commits it to share the benefits of AI, "
                     "takes precedence.") == []
    assert events_of("Microsoft AI will use the best available models, including OpenAI's.") == []


def test_a_plural_noun_is_not_a_verb_trigger():
    assert events_of("Unlike some earlier MAI-Image-2 releases, there is a waitlist.") == []
    assert [e["type"] for e in events_of("Microsoft AI releases MAI-Voice-1.")] == ["release"]


def test_no_longer_reports_a_change_not_a_negation():
    event = only_event("Microsoft no longer holds a right of first refusal on OpenAI's compute.")
    assert event["type"] == "partnership"
    assert not event["negated"]


# --- who "the companies", "it" and "he" are ------------------------------------------------

def test_the_companies_are_the_main_organisations_of_the_lead():
    text = ("REDMOND, Wash. — Microsoft and OpenAI said on Tuesday that OpenAI had completed its "
            "recapitalization.\nThe attorneys general of Delaware and California did not object.\n"
            "The companies also signed a definitive agreement.")
    events = events_of(text, "2025-10-29")
    signed = events[-1]
    assert (signed["type"], signed["date"]) == ("partnership", "2025-10-28")
    assert sorted(signed["entities"]) == ["Microsoft", "OpenAI"]
    assert set(signed["roles"].values()) == {"agent"}


def test_the_company_and_he_are_the_last_ones_named():
    text = ("Inflection AI named a new chief executive on Tuesday. The company also hired "
            "Sean White.\nGreg Brockman was removed as chairman. Hours later he announced that "
            "he was leaving.")
    events = events_of(text, "2024-03-20")
    hired = next(e for e in events if e["trigger"] == "hired")
    assert hired["roles"] == {"Inflection AI": "agent", "Sean White": "object"}
    leaving = events[-1]
    assert (leaving["type"], leaving["entities"]) == ("personnel", ["Greg Brockman"])


def test_an_anaphor_is_only_the_subject_of_a_verb_trigger_and_needs_an_antecedent():
    assert events_of("Microsoft released MAI-Image-2 on Monday. It also builds on last year's deal.")[1:] == []
    assert events_of("The company launched a new product.") == []
    assert events_of("Microsoft said on Tuesday that it had nothing to announce about Bing.") == []


def test_same_type_triggers_sharing_a_date_are_one_event_and_other_dates_split():
    events = events_of("Microsoft AI released MAI-Image-1 in October 2025 with a promise to bring it "
                       "to Bing Image Creator, and shipped MAI-Image-2 on April 2, 2026.")
    assert [(e["type"], e["date"]) for e in events] == [("release", "2025-10"), ("release", "2026-04-02")]


def test_undated_main_clause_and_dated_subordinate_clause_are_two_events():
    events = events_of("MAI-Image-2-Efficient is the fifth model Microsoft AI has released since "
                       "the group shipped MAI-Voice-1 last August.")
    assert [(e["type"], e["date"]) for e in events] == [("release", "2026-04-15"), ("release", "2025-08")]
    one = events_of("Microsoft and OpenAI signed an agreement that replaces the memorandum of "
                    "understanding they announced in September.")
    assert [e["type"] for e in one] == ["partnership"]


def test_raising_money_is_investment_and_a_preferred_partner_is_a_partnership():
    raised = only_event("Inflection AI raised $1.3 billion last year from investors including Nvidia.",
                        "2024-03-20")
    assert (raised["type"], raised["date"]) == ("investment", "2023")
    named = only_event("OpenAI will name Microsoft its preferred partner for new AI technologies.")
    assert named["type"] == "partnership"


def test_the_date_of_a_claim_is_not_the_date_of_what_it_claims():
    event = only_event("A report published on April 9 claimed that Microsoft would make MAI-Image-2 "
                       "the default model in Bing Image Creator before the end of April 2026.", "2026-04-20")
    assert (event["type"], event["date"], event["date_mod"]) == ("release", "2026-04", "END")
    assert event["attributed_to"] == "A report published on April 9"


def test_sentence_bounds_match_the_sentence_spans():
    from kb.nlp.events.extractor import sentence_bounds
    from kb.nlp.pipeline import shared_nlp

    text = "  First sentence here.  Second one!\n\nThird line without stop\nFourth.  "
    doc = shared_nlp()(text)
    expected = []
    for sent in doc.sents:
        start, end = sent.start_char, sent.end_char
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        expected.append((start, end))
    assert sentence_bounds(doc, text) == expected
    assert len(expected) >= 3
