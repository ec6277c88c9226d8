"""One fact, one event: reports that differ in verb, date precision, entities named or date merge."""

from __future__ import annotations

import json

from kb.jobs.integrate import integrate_articles
from kb.ledger.scoring import load_weights
from tests.ledger.ledger_data import Corpus, event_of


def merged(db) -> None:
    ids = [r[0] for r in db.execute("SELECT id FROM articles ORDER BY published_at, id")]
    integrate_articles(db, ids)


def outlets(db) -> Corpus:
    c = Corpus(db)
    c.source("Newsroom Wire", 0.9, first_party=True)
    c.source("Cloudline Daily", 0.8)
    c.source("Signal & Stack", 0.55)
    c.source("Northbeam Review", 0.75)
    return c


def test_a_launch_told_with_other_verbs_a_price_and_other_entities_is_one_release(db):
    c = outlets(db)
    wire = c.article("Newsroom Wire", "2026-04-14T16:00:00Z", "efficient")
    launch = c.mention(wire, "release", "Microsoft AI today launched MAI-Image-2-Efficient.",
                       [("Microsoft AI", "agent"), ("MAI-Image-2-Efficient", "product"),
                        ("Microsoft Foundry", "product"), ("MAI Playground", "product")], "2026-04-14")
    daily = c.article("Cloudline Daily", "2026-04-15T09:00:00Z", "efficient-launch")
    rolled = c.mention(daily, "release", "Microsoft on Tuesday rolled out MAI-Image-2-Efficient.",
                       [("Microsoft", "agent"), ("MAI-Image-2-Efficient", "product"), ("OpenAI", "object")],
                       "2026-04-14", date_source="relative")
    # The same launch, filed under pricing because the sentence gives the price.
    price = c.mention(daily, "pricing", "It costs $19.50 per million output tokens in Microsoft Foundry.",
                      [("MAI-Image-2-Efficient", "product"), ("Microsoft Foundry", "product")], "2026-04-14",
                      start=80)
    stack = c.article("Signal & Stack", "2026-04-15T11:00:00Z", "efficient-first-look")
    week = c.mention(stack, "release", "Microsoft debuted its cheaper image model this week.",
                     [("Microsoft", "agent"), ("MAI-Image-2-Efficient", "product")], "2026-W16",
                     date_source="relative")
    fallback = c.mention(stack, "release", "MAI-Image-2-Efficient is available now, with no waitlist.",
                         [("MAI-Image-2-Efficient", "product")], "2026-04-15", date_source="published", start=90)
    review = c.article("Northbeam Review", "2026-04-28T08:00:00Z", "efficient-pricing")
    month = c.mention(review, "release", "Microsoft introduced MAI-Image-2-Efficient this month.",
                      [("Microsoft", "agent"), ("MAI-Image-2-Efficient", "product")], "2026-04",
                      date_source="relative")
    merged(db)
    events = {event_of(db, m)["id"] for m in (launch, rolled, price, week, fallback, month)}
    assert len(events) == 1
    event = event_of(db, launch)
    # A release, dated by the most precise date the reports give (not a publication-date fallback).
    assert (event["type"], event["date"], event["date_source"]) == ("release", "2026-04-14", "explicit")
    assert db.execute("SELECT count(*) FROM events").fetchone()[0] == 1


def test_a_price_reported_alone_or_a_later_launch_of_the_family_stays_apart(db):
    c = outlets(db)
    wire = c.article("Newsroom Wire", "2026-04-02T16:00:00Z", "mai-image-2")
    flagship = c.mention(wire, "release", "Microsoft AI today released MAI-Image-2.",
                         [("Microsoft AI", "agent"), ("MAI-Image-2", "product")], "2026-04-02")
    later = c.article("Newsroom Wire", "2026-04-14T16:00:00Z", "efficient")
    sibling = c.mention(later, "release", "Microsoft AI today launched MAI-Image-2-Efficient, faster than "
                        "MAI-Image-2.", [("Microsoft AI", "agent"), ("MAI-Image-2-Efficient", "product"),
                                         ("MAI-Image-2", "product")], "2026-04-14")
    cut = c.article("Cloudline Daily", "2026-06-10T09:00:00Z", "price-cut")
    price = c.mention(cut, "pricing", "Microsoft cut the price of MAI-Image-2 on Tuesday.",
                      [("Microsoft", "agent"), ("MAI-Image-2", "product")], "2026-06-09")
    merged(db)
    ids = [event_of(db, m)["id"] for m in (flagship, sibling, price)]
    assert len(set(ids)) == 3
    assert event_of(db, price)["type"] == "pricing"


def test_conflicting_dates_of_one_launch_are_one_event_and_the_conflict_is_in_its_history(db):
    c = outlets(db)
    wire = c.article("Newsroom Wire", "2026-04-14T16:00:00Z", "efficient")
    launch = c.mention(wire, "release", "Microsoft AI today launched MAI-Image-2-Efficient.",
                       [("Microsoft AI", "agent"), ("MAI-Image-2-Efficient", "product")], "2026-04-14")
    stack = c.article("Signal & Stack", "2026-04-18T11:00:00Z", "efficient-late")
    wrong = c.mention(stack, "release", "Microsoft launched MAI-Image-2-Efficient on Friday.",
                      [("Microsoft", "agent"), ("MAI-Image-2-Efficient", "product")], "2026-04-17")
    merged(db)
    event = event_of(db, launch)
    assert event_of(db, wrong)["id"] == event["id"]
    assert db.execute("SELECT count(*) FROM events").fetchone()[0] == 1
    assert event["date"] == "2026-04-14"
    history = db.execute("SELECT old_status, new_status, reason, article_id FROM event_history "
                         "WHERE event_id = ? ORDER BY id", [event["id"]]).fetchall()
    conflicts = [h for h in history if h[2].startswith("date conflict")]
    assert conflicts == [("confirmed", "confirmed", "date conflict: Signal & Stack dates it April 17, 2026; "
                          "the event keeps April 14, 2026", stack)]
    assert event["status"] == "confirmed"
    # Merging again changes nothing: the conflict is recorded once.
    integrate_articles(db, [wire, stack])
    assert db.execute("SELECT count(*) FROM event_history WHERE event_id = ? AND reason LIKE 'date conflict%'",
                      [event["id"]]).fetchone()[0] == 1


def test_the_same_product_launched_weeks_apart_is_two_events(db):
    c = outlets(db)
    first = c.article("Newsroom Wire", "2026-04-14T16:00:00Z", "efficient")
    launch = c.mention(first, "release", "Microsoft AI today launched MAI-Image-2-Efficient.",
                       [("Microsoft AI", "agent"), ("MAI-Image-2-Efficient", "product")], "2026-04-14")
    later = c.article("Cloudline Daily", "2026-05-20T09:00:00Z", "efficient-in-copilot")
    copilot = c.mention(later, "release", "Microsoft brought MAI-Image-2-Efficient to Copilot on Tuesday.",
                        [("Microsoft", "agent"), ("MAI-Image-2-Efficient", "product"), ("Copilot", "product")],
                        "2026-05-19")
    merged(db)
    assert event_of(db, launch)["id"] != event_of(db, copilot)["id"]


def test_partnership_and_investment_reports_of_one_deal_are_one_event(db):
    c = outlets(db)
    wire = c.article("Newsroom Wire", "2019-07-22T13:00:00Z", "invest")
    invest = c.mention(wire, "investment", "Microsoft will invest $1 billion in OpenAI.",
                       [("Microsoft", "agent"), ("OpenAI", "partner")], "2019-07-22")
    partner = c.mention(wire, "partnership", "OpenAI names Microsoft its preferred partner and moves to Azure.",
                        [("OpenAI", "agent"), ("Microsoft", "partner"), ("Azure", "product")], "2019-07-22",
                        start=60)
    daily = c.article("Cloudline Daily", "2019-07-23T09:00:00Z", "invest-report")
    more = c.mention(daily, "partnership", "The two companies will jointly build supercomputing on Azure.",
                     [("Microsoft", "agent"), ("OpenAI", "partner")], "2019-07-22")
    merged(db)
    events = {event_of(db, m)["id"] for m in (invest, partner, more)}
    assert len(events) == 1
    # The type most of its reports give.
    assert event_of(db, invest)["type"] == "partnership"


def test_a_deal_named_by_two_names_of_one_company_on_its_day_is_one_event(db):
    c = outlets(db)
    wire = c.article("Newsroom Wire", "2025-11-03T13:00:00Z", "aws-openai")
    deal = c.mention(wire, "partnership", "AWS and OpenAI today announced a $38 billion partnership.",
                     [("Amazon Web Services", "agent"), ("OpenAI", "partner"), ("Nvidia", "partner")], "2025-11-03")
    daily = c.article("Cloudline Daily", "2025-11-04T09:00:00Z", "openai-amazon")
    first = c.mention(daily, "partnership", "It is OpenAI's first big contract with Amazon's cloud.",
                      [("OpenAI", "agent"), ("Amazon", "partner"), ("Microsoft", "partner")], "2025-11-03")
    merged(db)
    assert event_of(db, deal)["id"] == event_of(db, first)["id"]


def test_reports_known_at_about_the_same_time_sharing_one_hub_company_are_two_facts(db):
    c = outlets(db)
    daily = c.article("Cloudline Daily", "2025-10-28T15:00:00Z", "new-agreement")
    agreement = c.mention(daily, "partnership", "The agreement keeps Microsoft as OpenAI's frontier partner.",
                          [("Microsoft", "agent"), ("OpenAI", "partner")], "2025-10-28", date_source="published")
    stack = c.article("Signal & Stack", "2025-11-03T15:00:00Z", "aws-deal")
    aws = c.mention(stack, "partnership", "OpenAI has signed a $38 billion deal with Amazon Web Services.",
                    [("OpenAI", "agent"), ("Amazon Web Services", "partner")], "2025-11-03", date_source="published")
    # A report of the first deal a day later, sharing both companies, still joins it.
    review = c.article("Northbeam Review", "2025-10-29T08:00:00Z", "agreement-terms")
    terms = c.mention(review, "partnership", "Microsoft's agreement with OpenAI runs through 2032.",
                      [("Microsoft", "agent"), ("OpenAI", "partner")], "2025-10-29", date_source="published")
    merged(db)
    assert event_of(db, agreement)["id"] != event_of(db, aws)["id"]
    assert event_of(db, agreement)["id"] == event_of(db, terms)["id"]


def test_a_fact_only_ever_retold_is_background_not_news(db):
    c = outlets(db)
    daily = c.article("Cloudline Daily", "2023-11-20T09:00:00Z", "board-week")
    recap = c.mention(daily, "release", "On November 6, at its developer day, OpenAI introduced custom GPTs.",
                      [("OpenAI", "agent"), ("GPT Store", "product")], "2023-11-06", date_source="explicit")
    news = c.mention(daily, "release", "OpenAI introduced a voice mode on Monday.",
                     [("OpenAI", "agent"), ("Voice Mode", "product")], "2023-11-20", date_source="relative",
                     start=90)
    db.execute("UPDATE event_mentions SET recap = 1 WHERE id = ?", [recap])
    merged(db)
    novelty = {m: json.loads(event_of(db, m)["score_components"])["importance"]["components"]["novelty"]["value"]
               for m in (recap, news)}
    assert novelty[recap] == load_weights()["importance"]["novelty_floor"]
    assert novelty[news] == 1.0
    assert event_of(db, recap)["importance"] < event_of(db, news)["importance"]


def rumor_and_memorandum(db) -> tuple[int, int, list[int]]:
    c = outlets(db)
    review = c.article("Northbeam Review", "2025-07-23T13:00:00Z", "compute-bets")
    rumor = c.mention(review, "partnership", "Losing growth to rivals could cut the Azure revenue of the partnership.",
                      [("OpenAI", "agent"), ("Azure", "product")], hedged=True)
    wire = c.article("Newsroom Wire", "2025-09-11T21:00:00Z", "memorandum")
    memo = c.mention(wire, "partnership", "Today's memorandum follows months of negotiation at OpenAI.",
                     [("OpenAI", "agent")], "2025-09-11")
    daily = c.article("Cloudline Daily", "2025-09-12T09:00:00Z", "memorandum-terms")
    c.mention(daily, "partnership", "Microsoft and OpenAI signed the memorandum on Thursday.",
              [("Microsoft", "agent"), ("OpenAI", "partner")], "2025-09-11", date_source="relative")
    return rumor, memo, [review, wire, daily]


def test_a_rumor_stays_superseded_only_while_the_later_event_is_about_the_same_things(db, tmp_path):
    # Merged one article at a time, the memorandum first names only OpenAI and supersedes the
    # rumor; once it also names Microsoft it is about more than the rumor, which stands rumored
    # again, as it does when every article is merged at once.
    rumor, memo, articles = rumor_and_memorandum(db)
    for article in articles:
        integrate_articles(db, [article])
    one_at_a_time = event_of(db, rumor)
    assert (one_at_a_time["status"], one_at_a_time["superseded_by"]) == ("rumored", None)
    assert event_of(db, memo)["status"] != "superseded"


def test_a_report_naming_only_a_company_of_the_group_joins_the_days_event_filed_under_its_parent(db):
    # data/relations.toml: the OpenAI Foundation belongs to OpenAI. A report that names only the
    # Foundation is the same day's restructuring, whichever report came first.
    c = outlets(db)
    wire = c.article("Newsroom Wire", "2026-03-03T15:00:00Z", "restructure")
    done = c.mention(wire, "corporate", "OpenAI and Microsoft said on Tuesday the restructuring was complete.",
                     [("OpenAI", "agent"), ("Microsoft", "partner")], "2026-03-03", date_source="relative")
    daily = c.article("Cloudline Daily", "2026-03-03T18:00:00Z", "foundation-stake")
    stake = c.mention(daily, "corporate", "The OpenAI Foundation now holds a quarter of the company.",
                      [("OpenAI Foundation", "agent")], "2026-03-03", date_source="published")
    # Another group's restructuring that day is another fact.
    other = c.article("Signal & Stack", "2026-03-03T19:00:00Z", "amazon-units")
    amazon = c.mention(other, "corporate", "Amazon Web Services reorganized its sales teams on Tuesday.",
                       [("Amazon Web Services", "agent")], "2026-03-03", date_source="relative")
    merged(db)
    assert event_of(db, done)["id"] == event_of(db, stake)["id"]
    assert event_of(db, amazon)["id"] != event_of(db, done)["id"]


def test_an_event_first_told_by_the_subsidiary_is_found_by_a_report_naming_the_parent(db):
    c = outlets(db)
    daily = c.article("Cloudline Daily", "2026-03-03T12:00:00Z", "foundation-first")
    stake = c.mention(daily, "corporate", "The OpenAI Foundation said on Tuesday it now controls the company.",
                      [("OpenAI Foundation", "agent")], "2026-03-03", date_source="relative")
    wire = c.article("Newsroom Wire", "2026-03-03T15:00:00Z", "restructure-later")
    done = c.mention(wire, "corporate", "OpenAI said on Tuesday its restructuring was complete.",
                     [("OpenAI", "agent")], "2026-03-03", date_source="relative")
    merged(db)
    assert event_of(db, done)["id"] == event_of(db, stake)["id"]


def with_trigger(db, mention_id: int, trigger: str) -> int:
    db.execute("UPDATE event_mentions SET trigger = ? WHERE id = ?", [trigger, mention_id])
    return mention_id


def test_a_firing_a_hire_and_a_return_on_adjacent_days_are_three_events_and_others_return_apart(db):
    c = outlets(db)
    people = [("Contoso", "participant"), ("Dana Whitfield", "agent")]
    friday = c.article("Cloudline Daily", "2026-02-06T22:00:00Z", "fired")
    fired = with_trigger(db, c.mention(friday, "personnel", "Contoso's board fired Dana Whitfield on Friday.",
                                       people, "2026-02-06", date_source="relative"), "fired")
    named = with_trigger(db, c.mention(friday, "personnel", "It appointed Lee Park interim chief.",
                                       [("Contoso", "agent"), ("Lee Park", "object")], "2026-02-06",
                                       date_source="relative", start=60), "appointed")
    sunday = c.article("Newsroom Wire", "2026-02-08T23:00:00Z", "joins")
    hired = with_trigger(db, c.mention(sunday, "personnel", "Dana Whitfield will be joining Fabrikam, "
                                       "its chief said on Sunday.", [("Fabrikam", "object"), *people],
                                       "2026-02-08", date_source="relative"), "will be joining")
    monday = c.article("Signal & Stack", "2026-02-09T20:00:00Z", "returns")
    back = with_trigger(db, c.mention(monday, "personnel", "Dana Whitfield is returning to Contoso as CEO.",
                                      people, "2026-02-09", date_source="published"), "is returning to")
    later = c.article("Northbeam Review", "2026-02-16T08:00:00Z", "others-back")
    others = with_trigger(db, c.mention(later, "personnel", "Lee Park and Sam Ortiz returned as directors.",
                                        [("Contoso", "participant"), ("Lee Park", "agent"), ("Sam Ortiz", "agent")],
                                        "2026-02-16", date_source="published"), "returned as")
    merged(db)
    ids = [event_of(db, m)["id"] for m in (fired, hired, back)]
    assert len(set(ids)) == 3
    assert event_of(db, named)["id"] == ids[0]  # the interim chief is told with the firing
    assert event_of(db, others)["id"] not in ids


def test_reports_of_one_hire_in_different_words_and_without_a_trigger_are_one_event(db):
    c = outlets(db)
    wire = c.article("Newsroom Wire", "2026-02-10T16:00:00Z", "hire")
    hired = with_trigger(db, c.mention(wire, "personnel", "Fabrikam hired Dana Whitfield on Tuesday.",
                                       [("Fabrikam", "agent"), ("Dana Whitfield", "object")], "2026-02-10",
                                       date_source="relative"), "hired")
    daily = c.article("Cloudline Daily", "2026-02-10T18:00:00Z", "appointed")
    named = with_trigger(db, c.mention(daily, "personnel", "Fabrikam appointed Dana Whitfield chief scientist.",
                                       [("Fabrikam", "agent"), ("Dana Whitfield", "object")], "2026-02-10",
                                       date_source="published"), "appointed")
    old = c.mention(daily, "personnel", "Whitfield joins Fabrikam.", [("Dana Whitfield", "agent")],
                    "2026-02-10", date_source="published", start=90)  # reported before triggers were kept
    merged(db)
    assert len({event_of(db, m)["id"] for m in (hired, named, old)}) == 1


def test_a_price_known_only_by_publication_weeks_after_the_launch_is_a_pricing_fact(db):
    c = outlets(db)
    wire = c.article("Newsroom Wire", "2026-05-01T16:00:00Z", "voice-launch")
    launch = c.mention(wire, "release", "Microsoft AI today launched MAI-Voice-1.",
                       [("Microsoft AI", "agent"), ("MAI-Voice-1", "product")], "2026-05-01")
    sheet = c.article("Signal & Stack", "2026-05-19T09:00:00Z", "price-sheet")
    price = c.mention(sheet, "pricing", "Input tokens: $7/million for MAI-Voice-1.",
                      [("MAI-Voice-1", "product")], "2026-05-19", date_source="published")
    merged(db)
    assert event_of(db, price)["id"] != event_of(db, launch)["id"]
    assert event_of(db, price)["type"] == "pricing"


def test_two_products_launched_the_same_day_by_a_maker_and_its_parent_stay_two_launches(db):
    # The relations file puts Microsoft AI under Microsoft, but a launch of one product is not the
    # launch of another.
    c = outlets(db)
    wire = c.article("Newsroom Wire", "2026-06-02T16:00:00Z", "voice")
    voice = c.mention(wire, "release", "Microsoft AI today released MAI-Voice-1.",
                      [("Microsoft AI", "agent"), ("MAI-Voice-1", "product")], "2026-06-02")
    daily = c.article("Cloudline Daily", "2026-06-02T18:00:00Z", "preview")
    preview = c.mention(daily, "release", "Microsoft released MAI-1-preview on Tuesday.",
                        [("Microsoft", "agent"), ("MAI-1-preview", "product")], "2026-06-02",
                        date_source="relative")
    merged(db)
    assert event_of(db, voice)["id"] != event_of(db, preview)["id"]
