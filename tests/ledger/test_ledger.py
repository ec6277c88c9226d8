"""The claim ledger: merging reports into events, status and history, as-of queries, reprocessing."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from kb.dates.spans import date_span, spans_compatible
from kb.jobs.integrate import integrate_articles
from kb.ledger.as_of import known_as_of
from tests.ledger.ledger_data import Corpus, event_of, mai_and_partnership_corpus


def article_ids(db, until: str | None = None) -> list[int]:
    sql = "SELECT id FROM articles"
    params = []
    if until:
        sql += " WHERE published_at < ?"
        params.append(until)
    return [r[0] for r in db.execute(sql + " ORDER BY published_at, id", params).fetchall()]


def integrate_one_by_one(db, ids: list[int]) -> None:
    for article_id in ids:
        integrate_articles(db, [article_id])


def dump(db, table: str) -> list[tuple]:
    columns = len(db[table].columns)
    order = ", ".join(str(i) for i in range(1, columns + 1))
    return db.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()


def test_reports_of_one_fact_become_one_event(db):
    m = mai_and_partnership_corpus(db)
    integrate_one_by_one(db, article_ids(db))
    launch = event_of(db, m["efficient_wire"])
    for name in ("efficient_cloud", "efficient_north", "efficient_copy"):
        assert event_of(db, m[name])["id"] == launch["id"]
    assert launch["type"] == "release"
    assert launch["date"] == "2026-04-14"
    # Four reporting articles, one a syndicated copy: three independent articles and sources.
    assert launch["mentions"] == 3
    assert launch["sources"] == 3
    assert launch["status"] == "confirmed"
    # The first-party press release is the best evidence, though Cloudline was first.
    wire_article = db.execute("SELECT article_id FROM event_mentions WHERE id = ?", [m["efficient_wire"]]).fetchone()[0]
    assert launch["article_id"] == wire_article
    assert launch["first_reported_at"] == "2026-04-14T15:00:00Z"
    assert launch["known_at"] == "2026-04-14T15:00:00Z"
    # Different facts stay apart: another product, another date.
    assert event_of(db, m["image2_wire"])["id"] != launch["id"]
    assert event_of(db, m["voice_wire"])["id"] == event_of(db, m["voice_cloud"])["id"]
    assert event_of(db, m["voice_wire"])["id"] != event_of(db, m["image1_wire"])["id"]


def test_event_entities_union_with_roles(db):
    m = mai_and_partnership_corpus(db)
    integrate_articles(db, article_ids(db))
    launch = event_of(db, m["efficient_wire"])
    rows = set(db.execute(
        """SELECT en.name, ee.role FROM event_entities ee JOIN entities en ON en.id = ee.entity_id
           WHERE ee.event_id = ?""", [launch["id"]]).fetchall())
    assert ("MAI-Image-2-Efficient", "product") in rows
    assert ("Microsoft AI", "agent") in rows
    assert ("Microsoft", "agent") in rows       # from the Cloudline report
    assert ("MAI-Image-2", "product") in rows   # from the Northbeam report
    memo = event_of(db, m["memo"])
    names = {r[0] for r in db.execute(
        "SELECT en.name FROM event_entities ee JOIN entities en ON en.id = ee.entity_id WHERE ee.event_id = ?",
        [memo["id"]]).fetchall()}
    assert "CNBC" not in names  # the outlet that reported it is not part of the fact
    assert {"OpenAI", "Denise Dresser", "Microsoft"} <= names


def test_syndicated_copy_does_not_inflate_mentions_or_confidence(db_path, tmp_path):
    from kb.store.db import open_db

    with_copy = open_db(db_path)
    m = mai_and_partnership_corpus(with_copy)
    integrate_articles(with_copy, article_ids(with_copy))
    without_copy = open_db(tmp_path / "without-copy.db")
    m2 = mai_and_partnership_corpus(without_copy)
    without_copy.execute("DELETE FROM event_mentions WHERE id = ?", [m2["efficient_copy"]])
    without_copy.conn.commit()
    integrate_articles(without_copy, article_ids(without_copy))
    a, b = event_of(with_copy, m["efficient_cloud"]), event_of(without_copy, m2["efficient_cloud"])
    assert (a["mentions"], a["sources"]) == (b["mentions"], b["sources"]) == (3, 3)
    assert a["confidence"] == b["confidence"]
    assert a["importance"] == b["importance"]
    story_mentions = [db.execute("SELECT mentions FROM stories s JOIN story_events se ON se.story_id = s.id "
                                 "WHERE se.event_id = ?", [e["id"]]).fetchone()[0]
                      for db, e in ((with_copy, a), (without_copy, b))]
    assert story_mentions[0] == story_mentions[1]
    reports = with_copy.execute("SELECT article_id, independent FROM event_reports WHERE event_id = ?",
                                [a["id"]]).fetchall()
    assert len(reports) == 4 and sum(r[1] for r in reports) == 3
    with_copy.conn.close()
    without_copy.conn.close()


def test_hedged_report_is_rumored_and_scores_below_confirmed(db):
    m = mai_and_partnership_corpus(db)
    integrate_one_by_one(db, article_ids(db, until="2026-04-20"))
    rumor = event_of(db, m["rumor"])
    launch = event_of(db, m["efficient_wire"])
    assert rumor["status"] == "rumored"
    assert rumor["hedged"] == 1
    assert rumor["confidence"] < launch["confidence"]
    assert rumor["importance"] < launch["importance"]


def test_denial_changes_status_lowers_confidence_and_is_recorded(db):
    m = mai_and_partnership_corpus(db)
    integrate_one_by_one(db, article_ids(db, until="2026-04-20"))
    before = event_of(db, m["rumor"])
    integrate_one_by_one(db, [a for a in article_ids(db) if a not in article_ids(db, until="2026-04-20")])
    after = event_of(db, m["rumor"])
    assert event_of(db, m["denial"])["id"] == after["id"]
    assert after["status"] == "denied"
    assert after["confidence"] < before["confidence"]
    history = db.execute("SELECT old_status, new_status, reason, article_id, at FROM event_history "
                         "WHERE event_id = ? ORDER BY id", [after["id"]]).fetchall()
    denial_article = db.execute("SELECT article_id FROM event_mentions WHERE id = ?", [m["denial"]]).fetchone()[0]
    assert [(h[0], h[1]) for h in history] == [(None, "rumored"), ("rumored", "denied")]
    assert history[1][3] == denial_article
    assert "spokesperson" in history[1][2]
    assert history[1][4] == "2026-04-20T22:30:00Z"


def test_status_rises_with_independent_reliable_sources(db):
    c = Corpus(db)
    for name in ("A", "B", "C"):
        c.source(name, 0.8)
    c.source("Blog", 0.3)
    ids = []
    for i, name in enumerate(["Blog", "A", "B", "C"]):
        a = c.article(name, f"2026-03-0{i + 2}T10:00:00Z", f"deal-{i}")
        ids.append(c.mention(a, "partnership", f"Contoso and Fabrikam signed a cloud deal on March 1 ({name}).",
                             ["Contoso", "Fabrikam"], "2026-03-01", hedged=(name == "Blog")))
    db.conn.commit()
    statuses = []
    for mention_id in ids:
        article = db.execute("SELECT article_id FROM event_mentions WHERE id = ?", [mention_id]).fetchone()[0]
        integrate_articles(db, [article])
        statuses.append(event_of(db, mention_id)["status"])
    assert statuses == ["rumored", "reported", "reported", "confirmed"]
    event = event_of(db, ids[0])
    reasons = [r[0] for r in db.execute("SELECT reason FROM event_history WHERE event_id = ? ORDER BY id",
                                        [event["id"]]).fetchall()]
    assert reasons[-1] == "reported by 3 independent reliable sources"


def test_as_of_query_answers_what_was_known(db):
    m = mai_and_partnership_corpus(db)
    integrate_articles(db, article_ids(db))
    rumor, launch = event_of(db, m["rumor"]), event_of(db, m["efficient_wire"])

    def known(as_of):
        return {row["event_id"]: row for row in known_as_of(db, as_of)}

    assert rumor["id"] not in known("2026-04-08")
    assert known("2026-04-10")[rumor["id"]]["status_then"] == "rumored"
    assert launch["id"] not in known("2026-04-13")
    assert known("2026-04-14")[launch["id"]]["mentions_then"] == 2   # wire and Cloudline that day
    assert known("2026-04-16")[launch["id"]]["mentions_then"] == 3
    assert known("2026-04-19")[rumor["id"]]["status_then"] == "rumored"
    # A date means the end of that day; a timestamp is exact (the denial came at 22:30 UTC).
    assert known("2026-04-20")[rumor["id"]]["status_then"] == "denied"
    assert known("2026-04-20T22:00:00Z")[rumor["id"]]["status_then"] == "rumored"
    assert known("2026-04-21")[rumor["id"]]["status_then"] == "denied"
    assert known("2026-04-21")[rumor["id"]]["status_now"] == "denied"


def test_integrating_again_changes_nothing(db):
    mai_and_partnership_corpus(db)
    ids = article_ids(db)
    integrate_one_by_one(db, ids)
    tables = ("events", "event_entities", "event_history", "event_links", "event_keys", "stories",
              "story_events", "story_entities")
    before = {t: dump(db, t) for t in tables}
    integrate_articles(db, ids)
    integrate_one_by_one(db, ids)
    assert {t: dump(db, t) for t in tables} == before


def test_reprocessing_keeps_event_ids_and_drops_empty_events(db):
    m = mai_and_partnership_corpus(db)
    c = Corpus(db)
    integrate_articles(db, article_ids(db))
    launch_id = event_of(db, m["efficient_wire"])["id"]
    memo_id = event_of(db, m["memo"])["id"]
    # Reprocessing: the article's mentions are deleted and inserted again with new ids.
    wire_article = db.execute("SELECT article_id FROM event_mentions WHERE id = ?", [m["efficient_wire"]]).fetchone()[0]
    c.replace_mentions(wire_article, c.mentions_of(wire_article))
    integrate_articles(db, [wire_article])
    new_mention = db.execute("SELECT id, event_id FROM event_mentions WHERE article_id = ?", [wire_article]).fetchone()
    assert new_mention[0] != m["efficient_wire"]
    assert new_mention[1] == launch_id
    assert event_of(db, new_mention[0])["status"] == "confirmed"
    # The memo article now yields no event at all: its event goes.
    memo_article = db.execute("SELECT article_id FROM event_mentions WHERE id = ?", [m["memo"]]).fetchone()[0]
    c.replace_mentions(memo_article, [])
    integrate_articles(db, [memo_article])
    assert db.execute("SELECT count(*) FROM events WHERE id = ?", [memo_id]).fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM event_links WHERE article_id = ?", [memo_article]).fetchone()[0] == 0


def test_rumor_superseded_by_later_precise_event(db):
    c = Corpus(db)
    c.source("Rumors", 0.5)
    c.source("Wire", 0.9, first_party=True)
    a = c.article("Rumors", "2026-01-10T10:00:00Z", "launch-rumor")
    rumor = c.mention(a, "release", "Contoso may launch Widget-3 in May, people familiar said.",
                      [("Contoso", "agent"), ("Widget-3", "product")], "2026-05", hedged=True)
    b = c.article("Wire", "2026-03-05T10:00:00Z", "launch")
    launch = c.mention(b, "release", "Contoso today launched Widget-3.",
                       [("Contoso", "agent"), ("Widget-3", "product")], "2026-03-05")
    db.conn.commit()
    integrate_articles(db, [a])
    integrate_articles(db, [b])
    old, new = event_of(db, rumor), event_of(db, launch)
    assert old["id"] != new["id"]  # March 5 is not in May: two claims
    assert old["status"] == "superseded" and old["superseded_by"] == new["id"]
    assert db.execute("SELECT count(*) FROM timeline WHERE event_id = ?", [old["id"]]).fetchone()[0] == 0
    last = db.execute("SELECT new_status, reason FROM event_history WHERE event_id = ? ORDER BY id DESC LIMIT 1",
                      [old["id"]]).fetchone()
    assert last == ("superseded", f"superseded by event {new['id']}")


def test_undated_report_joins_recent_event_only(db):
    c = Corpus(db)
    c.source("A", 0.8)
    c.source("B", 0.8)
    a = c.article("A", "2026-02-01T10:00:00Z", "deal")
    dated = c.mention(a, "partnership", "Contoso and Fabrikam signed a deal on Friday.",
                      ["Contoso", "Fabrikam"], "2026-01-30")
    b = c.article("B", "2026-02-03T10:00:00Z", "deal-followup")
    soon = c.mention(b, "partnership", "The Contoso–Fabrikam deal covers cloud capacity.", ["Contoso", "Fabrikam"])
    late = c.article("B", "2026-09-03T10:00:00Z", "deal-background")
    background = c.mention(late, "partnership", "Contoso has a deal with Fabrikam.", ["Contoso", "Fabrikam"])
    db.conn.commit()
    integrate_articles(db, [a, b, late])
    assert event_of(db, soon)["id"] == event_of(db, dated)["id"]
    assert event_of(db, background)["id"] != event_of(db, dated)["id"]


def test_ledger_ignores_broken_entity_json(db):
    c = Corpus(db)
    c.source("A", 0.8)
    a = c.article("A", "2026-02-01T10:00:00Z", "odd")
    db["event_mentions"].insert({"article_id": a, "type": "statement", "sentence": "Something was said.",
                                 "start": 0, "end": 19, "entities": "not json"})
    db.conn.commit()
    integrate_articles(db, [a])
    assert db.execute("SELECT count(*) FROM events").fetchone()[0] == 1


days = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 12, 31))


@given(days)
def test_a_day_is_compatible_with_its_month_year_and_quarter(day):
    day_span = date_span(day.isoformat())
    for value in (day.strftime("%Y-%m"), str(day.year), f"{day.year}-Q{(day.month - 1) // 3 + 1}"):
        assert spans_compatible(day_span, date_span(value), 0)
        assert spans_compatible(date_span(value), day_span, 0)


@given(days, days)
def test_day_compatibility_is_symmetric_and_bounded(a, b):
    sa, sb = date_span(a.isoformat()), date_span(b.isoformat())
    assert spans_compatible(sa, sb, 1) == spans_compatible(sb, sa, 1) == (abs((a - b).days) <= 1)


def test_date_spans_of_modifiers():
    mid = date_span("2024", "MID")
    assert (mid.start.month, mid.end.month, mid.precision) == (5, 8, "year")
    assert date_span("2026-04", "LATE").start == dt.date(2026, 4, 21)
    assert date_span("2025-W41").start == dt.date(2025, 10, 6)
    assert date_span("2025-SU").end == dt.date(2025, 8, 31)
    assert date_span("PRESENT_REF") is None
    assert date_span("2026-02-30") is None


def test_report_meets_at_most_max_candidates_events_those_sharing_most_entities_first(db):
    from kb.ledger.merge import Ledger
    from kb.ledger.scoring import ScoringContext

    ctx = ScoringContext(db)
    cap = int(ctx.weights["matching"]["max_candidates"])
    assert cap > 0
    a, b = (db["entities"].insert({"name": n, "type": "ORG", "status": "known"}).last_pk for n in ("Alpha", "Beta"))
    events = [db["events"].insert({"type": "release", "status": "reported", "known_at": "2026-04-01T09:00:00Z"}).last_pk
              for _ in range(cap + 4)]
    both = events[:2]  # the oldest two share both entities, the others only one
    db["event_keys"].insert_all([{"entity_id": a, "type": "release", "bucket": "2026-04", "event_id": e}
                                 for e in events])
    db["event_keys"].insert_all([{"entity_id": b, "type": "release", "bucket": "2026-04", "event_id": e}
                                 for e in both])
    found = Ledger(db, ctx).ranked_candidate_ids([a, b], ["release"], ["2026-04"])
    assert len(found) == cap
    assert found[:2] == sorted(both, reverse=True)
    assert found[2:] == sorted(events[2:], reverse=True)[:cap - 2]
