"""LedgerSession: state kept between merges builds what fresh state builds, and is dropped when stale."""

from __future__ import annotations

import pytest

from kb.jobs.integrate import integrate_articles
from kb.ledger.merge import Ledger
from kb.ledger.scoring import ScoringContext
from kb.ledger.session import LedgerSession
from kb.store.db import open_db
from tests.ledger.ledger_data import Corpus, event_of, mai_and_partnership_corpus

TABLES = {
    "events": "SELECT * FROM events ORDER BY id",
    "event_history": "SELECT event_id, at, old_status, new_status, reason, article_id FROM event_history "
                     "ORDER BY event_id, id",
    "event_entities": "SELECT * FROM event_entities ORDER BY 1, 2, 3",
    "event_links": "SELECT * FROM event_links ORDER BY 1, 2",
    "event_keys": "SELECT * FROM event_keys ORDER BY 4, 1, 2, 3",
    "event_mentions": "SELECT id, event_id FROM event_mentions ORDER BY id",
    "stories": "SELECT id, title, overview, status, importance, confidence, mentions, first_seen, updated_at, "
               "score_components, merged_into FROM stories ORDER BY id",  # created_at is the wall clock
    "story_events": "SELECT * FROM story_events ORDER BY 1, 2",
    "story_entities": "SELECT * FROM story_entities ORDER BY 1, 2",
}


def ledger_dump(db) -> dict[str, list]:
    return {name: db.execute(sql).fetchall() for name, sql in TABLES.items()}


def build_corpus(db) -> tuple[Corpus, dict[str, int]]:
    """The MAI corpus plus a rumor a later launch supersedes (merged in a later chunk)."""
    m = mai_and_partnership_corpus(db)
    c = Corpus(db)
    c._entities = {name: entity_id for name, entity_id in db.execute("SELECT name, id FROM entities")}
    c.source("Rumors", 0.5)
    c.source("Vendor Wire", 0.9, first_party=True)
    a = c.article("Rumors", "2026-01-10T10:00:00Z", "launch-rumor")
    m["rumor"] = c.mention(a, "release", "Contoso may launch Widget-3 in May, people familiar said.",
                           [("Contoso", "agent"), ("Widget-3", "product")], "2026-05", hedged=True)
    b = c.article("Vendor Wire", "2026-03-05T10:00:00Z", "launch")
    m["launch"] = c.mention(b, "release", "Contoso today launched Widget-3.",
                            [("Contoso", "agent"), ("Widget-3", "product")], "2026-03-05")
    db.conn.commit()
    return c, m


def assert_session_matches_database(db, session: LedgerSession) -> None:
    """What the session holds equals what a fresh ledger reads from the database now."""
    kept = session.ledger
    assert kept is not None
    fresh = Ledger(db, ScoringContext(db))
    held = sorted(kept.rows)
    fresh.load_events(held)
    fresh.track([e for e in held if e in kept.folds and kept.rows[e] is not None])
    for event_id in held:
        assert kept.rows[event_id] == fresh.rows[event_id], event_id
        assert kept.entity_sets[event_id] == fresh.entity_sets[event_id], event_id
        if event_id in kept.folds and kept.rows[event_id] is not None:
            assert kept.keys[event_id] == fresh.keys[event_id], event_id
            assert sorted(kept.folds[event_id].by_mention) == sorted(fresh.folds[event_id].by_mention)
            assert kept.folds[event_id].fields(kept.rows[event_id], None) == \
                fresh.folds[event_id].fields(fresh.rows[event_id], None)


def merge_in_chunks(db, ids: list[int], size: int, session: LedgerSession | None) -> None:
    for start in range(0, len(ids), size):
        integrate_articles(db, ids[start:start + size], session=session)
        if session is not None and session.ledger is not None:  # (dropped after deleting an event)
            assert_session_matches_database(db, session)


@pytest.mark.parametrize("size", [1, 2, 5])
@pytest.mark.parametrize(("max_events", "max_reports"), [(10_000, 50_000), (3, 50_000), (1, 50_000), (10_000, 4)])
def test_merging_with_a_session_builds_what_fresh_state_builds(tmp_path, size, max_events, max_reports):
    """Events, merges, statuses, history, scores, links, keys and stories are the same, also
    when the session lets go of events (a small max_events) and when articles are reanalysed."""
    built = []
    for name in ("fresh", "session"):
        db = open_db(tmp_path / f"{name}.db")
        c, m = build_corpus(db)
        ids = [r[0] for r in db.execute("SELECT id FROM articles ORDER BY published_at, id")]
        session = LedgerSession(max_events, max_reports) if name == "session" else None
        merge_in_chunks(db, ids, size, session)
        # Reanalysis: two articles get their mentions deleted and inserted again (one with none).
        wire = db.execute("SELECT article_id FROM event_mentions WHERE id = ?", [m["efficient_wire"]]).fetchone()[0]
        memo = db.execute("SELECT article_id FROM event_mentions WHERE id = ?", [m["memo"]]).fetchone()[0]
        if session is not None:
            session.forget_articles(db, [wire, memo])  # as analyze_articles does before storing
        c.replace_mentions(wire, c.mentions_of(wire))
        c.replace_mentions(memo, [])
        merge_in_chunks(db, [wire, memo], size, session)
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        built.append(ledger_dump(db))
        if session is not None:
            if max_events < 10_000:
                assert len(session.recency) <= max_events
                assert session.ledger is None or len(session.ledger.rows) <= max_events
            if session.ledger is not None:
                assert sum(len(fold) for fold in session.ledger.folds.values()) <= max_reports
            assert session.merges > 0
        db.conn.close()
    fresh, kept = built
    assert kept == fresh
    assert len(fresh["events"]) > 5 and fresh["story_events"]
    assert any(row[0] == "superseded" for row in ((r[3],) for r in fresh["event_history"]))


def test_a_failed_merge_discards_the_session_and_the_next_one_starts_afresh(tmp_path):
    built = []
    for name in ("fresh", "session"):
        db = open_db(tmp_path / f"{name}.db")
        _, m = build_corpus(db)
        ids = [r[0] for r in db.execute("SELECT id FROM articles ORDER BY published_at, id")]
        session = LedgerSession() if name == "session" else None
        integrate_articles(db, ids[:4], session=session)
        if session is not None:
            assert session.ledger is not None and session.ledger.rows
            # The database refuses this merge's links: the merge rolls back.
            db.execute(f"""CREATE TRIGGER refuse_links BEFORE INSERT ON event_links
                           WHEN new.article_id = {ids[4]} BEGIN SELECT RAISE(ABORT, 'refused'); END""")
            db.conn.commit()
            before = ledger_dump(db)
            with pytest.raises(Exception, match="refused"):
                integrate_articles(db, ids[4:8], session=session)
            assert session.ledger is None and not session.recency
            assert ledger_dump(db) == before
            db.execute("DROP TRIGGER refuse_links")
            db.conn.commit()
        integrate_articles(db, ids[4:8], session=session)
        if session is not None:
            assert session.ledger is not None
            assert_session_matches_database(db, session)
        integrate_articles(db, ids[8:], session=session)
        built.append(ledger_dump(db))
        assert event_of(db, m["launch"])["status"] in ("reported", "confirmed")
        db.conn.close()
    assert built[0] == built[1]


def test_the_session_is_dropped_when_the_ignored_entities_change(db):
    build_corpus(db)
    ids = [r[0] for r in db.execute("SELECT id FROM articles ORDER BY published_at, id")]
    session = LedgerSession()
    integrate_articles(db, ids[:3], session=session)
    first = session.ledger
    integrate_articles(db, ids[3:5], session=session)
    assert session.ledger is first  # reused
    db.execute("UPDATE entities SET status = 'ignored' WHERE name = 'Contoso'")
    db.conn.commit()
    integrate_articles(db, ids[5:], session=session)
    assert session.ledger is not first and "Contoso" not in {
        name for (name,) in db.execute(
            "SELECT en.name FROM event_keys k JOIN entities en ON en.id = k.entity_id")}
