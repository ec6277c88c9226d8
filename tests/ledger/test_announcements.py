"""One announcement, one event: reports of other types, near dates tied by a person, a regulator's agent."""

from __future__ import annotations

from kb.jobs.integrate import integrate_articles
from kb.store.db import open_db
from tests.ledger.ledger_data import Corpus, event_of
from tests.ledger.test_ledger_session import ledger_dump


def outlets(db) -> Corpus:
    c = Corpus(db)
    c.source("Newsroom Wire", 0.9, first_party=True)
    c.source("Cloudline Daily", 0.8)
    c.source("Signal & Stack", 0.55)
    return c


def in_order(db) -> list[int]:
    return [r[0] for r in db.execute("SELECT id FROM articles ORDER BY published_at, id")]


def leadership_day(db) -> dict[str, int]:
    """A return and a new board told the same Tuesday: first apart (they share only the company),
    then a report of the board names the returning chief and ties them."""
    c = outlets(db)
    m: dict[str, int] = {}
    wire = c.article("Newsroom Wire", "2026-03-03T22:00:00Z", "okafor-returns")
    m["back"] = c.mention(wire, "personnel", "Robin Okafor is returning to Contoso as chief executive, it said "
                          "on Tuesday.", [("Robin Okafor", "agent"), ("Contoso", "object")], "2026-03-03",
                          date_source="relative")
    daily = c.article("Cloudline Daily", "2026-03-03T23:00:00Z", "contoso-board")
    m["board"] = c.mention(daily, "corporate", "Contoso named a new board on Tuesday.",
                           [("Contoso", "agent"), ("Northwind Capital", "participant")], "2026-03-03",
                           date_source="relative")
    stack = c.article("Signal & Stack", "2026-03-04T09:00:00Z", "board-and-return")
    m["chair"] = c.mention(stack, "corporate", "The new board, chaired by Avery Lund of Northwind Capital, brought "
                           "Robin Okafor back to Contoso on Tuesday.",
                           [("Contoso", "agent"), ("Avery Lund", "participant"), ("Northwind Capital", "participant"),
                            ("Robin Okafor", "participant")], "2026-03-03", date_source="relative")
    m["again"] = c.mention(stack, "personnel", "Okafor returns as chief executive.",
                           [("Robin Okafor", "agent"), ("Contoso", "object")], "2026-03-04",
                           date_source="published", start=120)
    late = c.article("Cloudline Daily", "2026-03-06T10:00:00Z", "board-later")
    m["later"] = c.mention(late, "corporate", "Contoso's new board met for the first time.",
                           [("Contoso", "agent"), ("Avery Lund", "participant")], "2026-03-06",
                           date_source="published")
    db.conn.commit()
    return m


def test_a_return_and_a_new_board_told_the_same_day_fold_into_one_event_once_a_report_ties_them(db):
    m = leadership_day(db)
    integrate_articles(db, in_order(db))
    ids = {name: event_of(db, mention)["id"] for name, mention in m.items()}
    assert len(set(ids.values())) == 1, ids
    event = event_of(db, m["back"])
    assert (event["type"], event["date"]) == ("corporate", "2026-03-03")  # the type of 3 reports of 5
    assert db.execute("SELECT count(*) FROM events").fetchone()[0] == 1
    # Links, keys and entities follow the event that stayed.
    assert {r[0] for r in db.execute("SELECT DISTINCT event_id FROM event_links")} == {event["id"]}
    assert {r[0] for r in db.execute("SELECT DISTINCT event_id FROM event_keys")} == {event["id"]}


def test_announcements_merged_one_article_at_a_time_all_at_once_or_again_build_the_same_events(tmp_path):
    dumps = []
    for name, sizes in (("all", None), ("one", 1), ("two", 2)):
        db = open_db(tmp_path / f"{name}.db")
        leadership_day(db)
        ids = in_order(db)
        for start in range(0, len(ids), sizes or len(ids)):
            integrate_articles(db, ids[start:start + (sizes or len(ids))])
        dumps.append({k: v for k, v in ledger_dump(db).items() if not k.startswith("stor")})
        if name == "all":
            integrate_articles(db, ids)  # re-merging changes nothing
            again = {k: v for k, v in ledger_dump(db).items() if not k.startswith("stor")}
            assert again == dumps[0]
        db.conn.close()
    assert dumps[1] == dumps[0]
    assert dumps[2] == dumps[0]


def test_a_recapitalization_and_the_agreement_signed_with_it_the_same_day_are_two_facts(db):
    c = outlets(db)
    wire = c.article("Newsroom Wire", "2026-05-05T16:00:00Z", "restructure")
    recap = c.mention(wire, "corporate", "Contoso completed its recapitalization on Tuesday.",
                      [("Contoso", "agent"), ("Fabrikam", "participant")], "2026-05-05", date_source="relative")
    deal = c.mention(wire, "partnership", "Contoso and Fabrikam signed a new agreement on Tuesday.",
                     [("Contoso", "agent"), ("Fabrikam", "partner")], "2026-05-05", date_source="relative",
                     start=80)
    integrate_articles(db, in_order(db))
    assert event_of(db, recap)["id"] != event_of(db, deal)["id"]
    assert (event_of(db, recap)["type"], event_of(db, deal)["type"]) == ("corporate", "partnership")


def test_a_memo_sent_on_sunday_and_reported_on_tuesday_is_one_event_with_the_other_date_in_its_history(db):
    c = outlets(db)
    daily = c.article("Cloudline Daily", "2026-04-13T08:00:00Z", "memo")
    sent = c.mention(daily, "partnership", "In a memo sent on Sunday, Robin Okafor praised the Fabrikam deal.",
                     [("Contoso", "agent"), ("Robin Okafor", "participant"), ("Fabrikam", "partner")],
                     "2026-04-12", date_source="relative")
    stack = c.article("Signal & Stack", "2026-04-14T18:00:00Z", "memo-reported")
    told = c.mention(stack, "partnership", "Okafor told staff on Tuesday that the Northwind partnership had "
                     "limited Contoso.", [("Contoso", "agent"), ("Robin Okafor", "participant"),
                                          ("Northwind", "partner")], "2026-04-14", date_source="relative")
    week = c.article("Newsroom Wire", "2026-04-20T08:00:00Z", "another-deal")
    other = c.mention(week, "partnership", "Robin Okafor signed a deal with Tailspin on Monday.",
                      [("Contoso", "agent"), ("Robin Okafor", "participant"), ("Tailspin", "partner")],
                      "2026-04-20", date_source="relative")
    integrate_articles(db, in_order(db))
    event = event_of(db, sent)
    assert event_of(db, told)["id"] == event["id"]
    assert event["date"] == "2026-04-12"
    reasons = [r[0] for r in db.execute("SELECT reason FROM event_history WHERE event_id = ?", [event["id"]])]
    assert any(r.startswith("date conflict") and "April 14, 2026" in r for r in reasons), reasons
    assert event_of(db, other)["id"] != event["id"]  # six days later: another deal


def test_a_regulators_orders_told_with_their_recipients_or_with_its_chair_are_one_event(db):
    c = outlets(db)
    wire = c.article("Newsroom Wire", "2026-01-22T15:00:00Z", "orders")
    orders = c.mention(wire, "regulatory", "The Trade Commission sent orders to Contoso, Fabrikam and Northwind "
                       "on Thursday.", [("Trade Commission", "agent"), ("Contoso", "object"),
                                        ("Fabrikam", "object"), ("Northwind", "object")], "2026-01-22",
                       date_source="relative")
    daily = c.article("Cloudline Daily", "2026-01-22T18:00:00Z", "inquiry")
    chair = c.mention(daily, "regulatory", "Chair Avery Lund said the commission opened its inquiry on Thursday.",
                      [("Trade Commission", "agent"), ("Avery Lund", "object"), ("Inquiry Office", "object")],
                      "2026-01-22", date_source="relative")
    stack = c.article("Signal & Stack", "2026-01-22T20:00:00Z", "other-regulator")
    # Another regulator the same day, about one of the same companies: another fact.
    other = c.mention(stack, "regulatory", "The Markets Authority opened a review of Contoso on Thursday.",
                      [("Markets Authority", "agent"), ("Contoso", "object"), ("Wingtip", "object")],
                      "2026-01-22", date_source="relative")
    integrate_articles(db, in_order(db))
    assert event_of(db, chair)["id"] == event_of(db, orders)["id"]
    assert event_of(db, other)["id"] != event_of(db, orders)["id"]


def test_reanalysing_the_articles_of_a_folded_announcement_keeps_its_one_event_and_id(db):
    m = leadership_day(db)
    ids = in_order(db)
    integrate_articles(db, ids)
    before = {k: v for k, v in ledger_dump(db).items() if not k.startswith("stor") and k != "event_mentions"}
    event_id = event_of(db, m["back"])["id"]
    c = Corpus(db)
    for article_id in ids:  # what `kb reprocess` does: the mentions are deleted and inserted again
        c.replace_mentions(article_id, c.mentions_of(article_id))
    integrate_articles(db, ids)
    after = {k: v for k, v in ledger_dump(db).items() if not k.startswith("stor") and k != "event_mentions"}
    assert after == before
    assert {r[0] for r in db.execute("SELECT event_id FROM event_mentions")} == {event_id}
