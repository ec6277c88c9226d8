"""Article-level causes of missed events, on hand-written pages through the real pipeline: a stray
quotation mark opening a paragraph, and names the gazetteer must know."""

from __future__ import annotations

from kb.nlp.events.sentence_parts import quoted_spans
from kb.nlp.pipeline import analyze


def events_of(text: str, published: str = "2024-03-01") -> list[dict]:
    return analyze(text, published)["events"]


def test_a_paragraph_opened_by_a_quote_mark_that_never_closes_is_not_a_quotation():
    """A forum post that pastes a report after one opening mark: the report's sentences are not speech."""
    text = ('"Northwind Labs has sued Open AI and Sam Altman over a breach of their licensing contract, '
            "the complaint says. Northwind wants the models back.\nMembers replied below.")
    events = events_of(text)
    assert [e["type"] for e in events] == ["legal"]
    assert "OpenAI" in events[0]["entities"]
    assert quoted_spans(text) == []


def test_an_unclosed_quote_inside_a_paragraph_or_continued_by_the_next_is_still_a_quotation():
    said = 'He said "Northwind Labs has sued OpenAI over the contract.\nMembers replied below.'
    assert events_of(said) == []
    continued = ('"Northwind Labs has sued OpenAI over the contract.\n'
                 '"We will see them in court," the founder wrote.')
    assert events_of(continued) == []
    assert quoted_spans(continued)[0] == (1, continued.index("\n"))


def test_a_page_that_is_one_quotation_is_read_as_a_report():
    """A forum post wraps a pasted report in quote marks: no one speaks in it, its sentences report."""
    text = ('"Northwind Labs has sued OpenAI and Sam Altman over a breach of their licensing contract. '
            'Northwind wants the models back."')
    assert [e["type"] for e in events_of(text)] == ["legal"]
    # A quotation with its speaker outside it stays commentary.
    assert events_of('"Northwind Labs has sued OpenAI over the contract," the founder wrote.') == []


def test_an_intent_stated_in_a_press_release_is_no_release():
    text = ("Microsoft invested in OpenAI's research. The statement on Monday stressed the company's "
            "intent to offer its services to more customers.")
    assert [e["type"] for e in events_of(text, "2023-01-23")] == ["investment"]


def test_these_models_in_a_release_are_the_models_an_earlier_sentence_lists():
    text = ("Microsoft AI showed MAI-Voice-1 and MAI-Image-2 to developers on Thursday. The company said "
            "both were built in-house. These models are now available in Microsoft Foundry and the MAI "
            "Playground.")
    release = [e for e in events_of(text, "2026-04-03") if e["sentence_index"] == 2]
    assert len(release) == 1 and release[0]["type"] == "release"
    assert {"MAI-Voice-1", "MAI-Image-2"} <= set(release[0]["entities"])
    assert release[0]["roles"]["MAI-Image-2"] == "product"


def test_a_reference_is_left_alone_when_it_is_ambiguous_or_named_in_its_sentence():
    # "The new model" after a sentence that also names the flagship it is compared with: which one?
    text = ("Microsoft launched MAI-Image-2-Efficient on Tuesday. It is faster than its flagship MAI-Image-2. "
            "The new model costs $19.50 per million output tokens.")
    pricing = [e for e in events_of(text, "2026-04-15") if e["type"] == "pricing"]
    assert pricing and not {"MAI-Image-2", "MAI-Image-2-Efficient"} & set(pricing[0]["entities"])
    # One model in sight: "the model" is that one.
    one = ("Microsoft launched MAI-Image-2-Efficient on Tuesday. It is built for volume. "
           "The model costs $19.50 per million output tokens.")
    pricing = [e for e in events_of(one, "2026-04-15") if e["type"] == "pricing"]
    assert pricing and "MAI-Image-2-Efficient" in pricing[0]["entities"]
    # The sentence names its models itself: nothing from earlier is added.
    named = ("Microsoft AI showed MAI-Voice-1 and MAI-Image-2 on Thursday. The company released the models, "
             "MAI-Transcribe-1 and MAI-1-preview, on Friday.")
    release = [e for e in events_of(named, "2026-04-03") if e["sentence_index"] == 1]
    assert release and "MAI-Voice-1" not in release[0]["entities"]


def test_a_closing_mark_whose_opening_was_lost_quotes_from_the_paragraph_start():
    """The quotation opened with an apostrophe: what follows its closing mark is the report."""
    text = ("'We are stunned by what the board did today,\" a member wrote. Northwind president Dana Whitcombe "
            "resigned from Northwind Labs on Friday.\nMembers replied below.")
    assert quoted_spans(text) == [(0, text.index('"'))]
    assert [e["type"] for e in events_of(text, "2023-11-18")] == ["personnel"]


def test_the_headline_says_which_model_the_model_is():
    from kb.jobs.headline import with_headlines
    from kb.nlp.pipeline import analyze_many

    text = ("Microsoft shipped a faster image model on Tuesday for teams that make catalogue pictures. It trails "
            "the flagship MAI-Image-2 on detail but beats MAI-Image-2-Efficient's older build on speed. "
            "The new model costs $19.50 per million output tokens.")
    items = [{"id": 1, "text": text, "published": "2026-04-15",
              "headline": "Microsoft ships MAI-Image-2-Efficient for catalogue teams"}]
    # The body alone: two models in sight, so "the new model" names none.
    alone = next(analyze_many([dict(items[0], headline=None)]))
    models = {"MAI-Image-2", "MAI-Image-2-Efficient"}
    priced = [set(e["entities"]) for e in alone["events"] if e["type"] == "pricing"]
    assert len(priced) == 1 and not priced[0] & models
    result = with_headlines(items, list(analyze_many(items)), 32)[0]
    pricing = [e for e in result["events"] if e["type"] == "pricing"]
    assert pricing and set(pricing[0]["entities"]) & models == {"MAI-Image-2-Efficient"}


def test_a_gap_trigger_that_opens_inside_a_name_is_no_trigger():
    """"Open AI's reshaped board is expected to add members" is no "open ... to" release."""
    events = events_of("Open AI's reshaped board is expected to add members.", "2023-11-22")
    assert "release" not in [e["type"] for e in events]
    assert [e["type"] for e in events_of("Microsoft opened its Copilot app to students on Monday.")] == ["release"]


def test_a_title_case_headline_adds_no_unknown_names_to_its_report():
    from kb.jobs.headline import with_headlines
    from kb.nlp.pipeline import analyze_many

    items = [{"id": 1, "published": "2024-03-01",
              "headline": "Elon Musk Sues OpenAI Over Broken Charter Pledge",
              "text": "Elon Musk has sued OpenAI and Sam Altman over a broken pledge in their charter."}]
    result = with_headlines(items, list(analyze_many(items)), 32)[0]
    [report] = result["headline_events"]
    assert "OpenAI" in report["entities"] and "Sam Altman" in report["entities"]
    assert not [n for n in report["entities"] if "Charter" in n or "Pledge" in n]


def test_a_model_now_live_in_products_is_a_release():
    events = events_of("MAI-Image-1 is now live in two Microsoft products, Bing Image Creator and Copilot.",
                       "2025-11-05")
    assert [e["type"] for e in events] == ["release"]
    assert events[0]["date"] == "2025-11-05"


def test_breach_of_contract_is_no_deal():
    events = events_of("Northwind alleges breach of contract and unfair business practices against OpenAI.")
    assert "partnership" not in [e["type"] for e in events]
    assert [e["type"] for e in events_of("Microsoft signed a contract with OpenAI on Monday.")] == ["partnership"]
