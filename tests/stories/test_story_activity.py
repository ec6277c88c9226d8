"""A story's status and "Updated" follow the dates of its facts, not the date an article last retold them."""

from __future__ import annotations

from kb.ledger.scoring import ScoringContext
from kb.stories.activity import reference_time, refresh_statuses, story_status
from kb.stories.cards import story_card
from kb.stories.refresh import refresh_story
from tests.stories.test_stories import build, story_id_of


def test_a_story_of_old_facts_retold_today_is_dormant_and_dated_by_its_facts(db):
    m = build(db)
    story_id = story_id_of(db, m["aws"])
    before = dict(next(db.query("SELECT status, updated_at, activity_date FROM stories WHERE id = ?", [story_id])))
    assert before["status"] in ("developing", "ongoing") and before["activity_date"] >= "2025"
    # Every fact of the story happened in January 2023; the articles still date from 2025-26.
    db.execute("UPDATE events SET sort_date = '2023-01-17', date = '2023-01-17' WHERE id IN "
               "(SELECT event_id FROM story_events WHERE story_id = ?)", [story_id])
    refresh_story(db, ScoringContext(db), story_id, reference_time(db))
    after = dict(next(db.query("SELECT status, updated_at, activity_date FROM stories WHERE id = ?", [story_id])))
    assert after["activity_date"] == "2023-01-17"
    assert after["updated_at"] == before["updated_at"]  # the last report did not move
    assert after["status"] == "dormant"
    card = story_card(db, story_id)
    assert card["updated_display"] == "January 17, 2023" and card["status"] == "dormant"


def test_status_moves_with_the_reference_time_by_the_latest_fact(db):
    m = build(db)
    story_id = story_id_of(db, m["efficient_wire"])
    weights = ScoringContext(db).weights
    activity = db.execute("SELECT activity_date FROM stories WHERE id = ?", [story_id]).fetchone()[0]
    assert story_status(activity, f"{activity[:10]}T12:00:00Z", weights) == "developing"
    assert story_status("2023-01-17", "2026-04-28T12:00:00Z", weights) == "dormant"
    assert story_status("2026-03-01", "2026-04-28T12:00:00Z", weights) == "ongoing"
    refresh_statuses(db, "2030-01-01T00:00:00Z", weights)
    assert db.execute("SELECT status FROM stories WHERE id = ?", [story_id]).fetchone()[0] == "dormant"
    refresh_statuses(db, f"{activity[:10]}T12:00:00Z", weights)
    assert db.execute("SELECT status FROM stories WHERE id = ?", [story_id]).fetchone()[0] == "developing"
