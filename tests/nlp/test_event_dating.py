"""How an event chooses its date from the timexes around it (kb.nlp.events.dating and
kb.nlp.events.context), on sentences written for the test and the real extractor: a timex dates
its own clause, a date opening a paragraph scopes it, a timex measured from another event does
not date that event, a week of publication narrows to the day the article names in it."""

from __future__ import annotations

from kb.nlp.pipeline import analyze


def dated(text: str, published: str) -> list[tuple[str, str | None, str]]:
    return [(e["type"], e["date"], e["trigger"]) for e in analyze(text, published)["events"]]


def test_a_heading_between_lead_paragraphs_does_not_end_the_lead():
    text = ("Microsoft is bringing Mistral AI models to Azure AI Foundry for business customers.\n"
            "What changes for buyers\n"
            "On March 3, 2026 Microsoft said it would add the models to Azure AI Foundry.")
    # The deck reports the news the lead dates, the day before publication.
    assert dated(text, "2026-03-04")[0][:2] == ("release", "2026-03-03")


def test_a_recent_date_opening_a_paragraph_dates_its_present_tense_report():
    text = ("Microsoft is bringing Mistral AI models to Azure AI Foundry for business customers.\n"
            "What changes for buyers?\n"
            "Buyers will see more choice.\n"
            "On March 3, 2026 Microsoft said it would add the models to Azure AI Foundry. "
            "The Mistral AI models in Azure AI Foundry are available to customers in a preview program.")
    events = dated(text, "2026-03-04")
    # The lead has no date: the deck is dated at publication, the dated paragraph by its opening.
    assert events[0][:2] == ("release", "2026-03-04")
    assert ("release", "2026-03-03", "available") in events


def test_an_older_date_opening_a_paragraph_dates_its_undated_past_report_as_a_recap():
    lead = "Microsoft released Copilot Vision on Tuesday.\nAnalysts expect more launches this year.\n"
    scoped = analyze(lead + "In July 2019, the lab moved to a new office in San Francisco. "
                     "Microsoft invested $1 billion in OpenAI.", "2026-03-04")["events"]
    invested = [e for e in scoped if e["type"] == "investment"]
    assert [(e["date"], e["recap"]) for e in invested] == [("2019-07", True)]
    # Without the opening date the same sentence takes the lead's day.
    unscoped = dated(lead + "The lab moved to a new office in San Francisco. "
                     "Microsoft invested $1 billion in OpenAI.", "2026-03-04")
    assert ("investment", "2026-03-03", "invested") in unscoped


def test_a_present_tense_report_does_not_take_an_old_paragraph_date():
    text = ("Microsoft released Copilot Vision on Tuesday.\nAnalysts expect more launches this year.\n"
            "In July 2019, the lab moved to a new office in San Francisco. "
            "Microsoft has released Copilot Vision to all users.")
    assert [d for _, d, _ in dated(text, "2026-03-04")] == ["2026-03-03", "2026-03-03"]


def test_a_possessive_date_opening_a_paragraph_does_not_date_a_relative_clause():
    text = ("Nvidia shipped new chips.\nInvestors cheered.\n"
            "Monday's vote pleased Microsoft, which is rolling out Copilot across Europe.")
    events = dated(text, "2023-11-23")
    # "Monday's" dates the vote of the main clause, not what Microsoft is doing, which describes
    # the company (background, undated).
    assert ("release", None, "rolling out") in events
    # Told as the main clause, the same roll-out is the news of the lead's day.
    assert dated("Microsoft is rolling out Copilot across Europe.", "2023-11-23") == [
        ("release", "2023-11-23", "rolling out")]


def test_a_vague_reference_of_a_later_clause_does_not_leave_the_event_undated():
    text = "OpenAI has agreed to bring Sam Altman back as CEO, closing a long dispute over the future of the lab."
    assert dated(text, "2023-11-22") == [("personnel", "2023-11-22", "bring Sam Altman back")]
    # A vague reference in the trigger's own clause still marks background; after a clause break
    # it does not.
    assert dated("Microsoft has recently invested in OpenAI.", "2023-11-22") == [
        ("investment", None, "invested")]
    assert dated("Microsoft has invested in OpenAI, closing a dispute over the future of the lab.",
                 "2023-11-22") == [("investment", "2023-11-22", "invested")]


def test_the_event_a_duration_is_measured_from_makes_no_event():
    result = analyze("Microsoft's offer arrived three days after OpenAI fired Sam Altman.", "2023-11-20")
    assert result["events"] == []
    assert "background" in [c["kind"] for c in result["context"]]
    assert dated("OpenAI fired Sam Altman on Friday.", "2023-11-20") == [
        ("personnel", "2023-11-17", "fired")]


def test_a_week_of_publication_narrows_to_the_day_the_article_names_in_it():
    text = ("Oracle, OpenAI and SoftBank unveiled the Stargate joint venture {week}.\n"
            "The plan is large.\n"
            "Stargate signed a lease for its first data centre site in Texas on Tuesday.")
    this_week = dated(text.format(week="this week"), "2025-01-24")
    assert this_week[0] == ("partnership", "2025-01-21", "joint venture")
    # An earlier week is left as told: its Tuesday is not in it.
    last_week = dated(text.format(week="last week"), "2025-01-31")
    assert last_week[0] == ("partnership", "2025-W04", "joint venture")
