"""Scores: pure formulas, stored components, weights file checks, deterministic kb rescore."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest

from kb.core.errors import ConfigError
from kb.jobs.integrate import integrate_articles
from kb.jobs.rescore import rescore
from kb.ledger.scoring import (
    DEFAULT_WEIGHTS,
    EventFacts,
    ScoringContext,
    SourceEvidence,
    load_weights,
    score_event,
)
from kb.stories.refresh import refresh_story
from tests.ledger.ledger_data import event_of, mai_and_partnership_corpus

WEIGHTS = load_weights()


def facts(status: str, sources: list[tuple[float, bool, bool]], mentions: int | None = None,
          precision: str | None = "day", **extra) -> EventFacts:
    """EventFacts with (reliability, first_party, hedged) per independent source."""
    supporting = [SourceEvidence(r, fp, h, "named" if not h else "anonymous", 0.8) for r, fp, h in sources]
    values = dict(type="release", status=status, supporting=supporting,
                  mentions=len(sources) if mentions is None else mentions,
                  authority=max((r for r, _, _ in sources), default=0.0), date_precision=precision,
                  date_mod=None, centralities=[1.0, 1.0], novelty_gap_days=1)
    values.update(extra)
    return EventFacts(**values)


def test_speculation_scores_below_a_confirmed_launch():
    rumor_importance, rumor_confidence = score_event(facts("rumored", [(0.55, False, True)], precision="month"), WEIGHTS)
    launch_importance, launch_confidence = score_event(
        facts("confirmed", [(0.9, True, False), (0.8, False, False), (0.75, False, False)]), WEIGHTS)
    assert rumor_confidence.value < launch_confidence.value
    assert rumor_importance.value < launch_importance.value
    # Even a rumor repeated by many outlets stays below the confirmed launch.
    loud_rumor = facts("rumored", [(0.55, False, True), (0.6, False, True), (0.5, False, True)], precision="month")
    assert score_event(loud_rumor, WEIGHTS)[1].value < launch_confidence.value


def test_one_outlet_and_its_copies_do_not_outscore_independent_confirmation():
    # The ledger counts a syndicated copy as its original's source: still one source.
    single = facts("reported", [(0.8, False, False)], mentions=1)
    several = facts("confirmed", [(0.8, False, False), (0.75, False, False), (0.7, False, False)])
    assert score_event(single, WEIGHTS)[1].value < score_event(several, WEIGHTS)[1].value
    assert score_event(single, WEIGHTS)[0].value < score_event(several, WEIGHTS)[0].value


def test_denial_lowers_confidence_and_components_explain_it():
    rumored = score_event(facts("rumored", [(0.55, False, True)]), WEIGHTS)[1]
    denied = score_event(facts("denied", [(0.55, False, True)]), WEIGHTS)[1]
    assert denied.value < rumored.value
    assert denied.components["status_factor"] == WEIGHTS["confidence"]["status_factor"]["denied"]
    parts = denied.components["components"]
    total = sum(p["value"] * p["weight"] for p in parts.values()) * denied.components["status_factor"]
    assert denied.value == pytest.approx(total, abs=1e-4)


def test_date_precision_and_novelty_move_scores():
    precise = score_event(facts("reported", [(0.8, False, False)], precision="day"), WEIGHTS)
    vague = score_event(facts("reported", [(0.8, False, False)], precision="year"), WEIGHTS)
    assert vague[1].value < precise[1].value
    news = score_event(facts("reported", [(0.8, False, False)], novelty_gap_days=2), WEIGHTS)[0]
    background = score_event(facts("reported", [(0.8, False, False)], novelty_gap_days=2000), WEIGHTS)[0]
    assert background.value < news.value


def story_with_events(db, events: list[tuple[float, float, str]]) -> int:
    """A story (title and overview fixed) holding events of these (importance, confidence, status)."""
    with db.conn:
        story_id = db.execute("INSERT INTO stories (title, title_locked, overview_locked) "
                              "VALUES ('Scored', 1, 1)").lastrowid
        for importance, confidence, status in events:
            event_id = db.execute(
                "INSERT INTO events (type, status, importance, confidence, known_at, sort_date) "
                "VALUES ('release', ?, ?, ?, '2026-04-01T09:00:00Z', '2026-04-01')",
                [status, importance, confidence]).lastrowid
            db.execute("INSERT INTO story_events (story_id, event_id, added_at) VALUES (?, ?, '')",
                       [story_id, event_id])
    return story_id


def refreshed_story(db, story_id: int) -> dict:
    with db.conn:
        refresh_story(db, ScoringContext(db), story_id, None)
    return dict(next(db.query("SELECT * FROM stories WHERE id = ?", [story_id])))


def test_story_scores_aggregate_events(db):
    story_id = story_with_events(db, [(0.9, 0.95, "confirmed"), (0.5, 0.2, "rumored"),
                                      (0.99, 0.99, "superseded")])
    story = refreshed_story(db, story_id)
    # The superseded event is left out. Confidence is the importance-weighted mean:
    # (0.9 * 0.95 + 0.5 * 0.2) / (0.9 + 0.5) = 0.68214...
    assert story["confidence"] == 0.6821
    # Importance: lead 0.6 * 0.9 + top 0.25 * mean(0.9, 0.5) + volume 0.15 * 0 (no reports).
    assert story["importance"] == 0.715
    parts = json.loads(story["score_components"])
    assert parts["importance"]["components"]["lead"]["value"] == 0.9
    assert parts["confidence"]["events"] == 2


def test_story_of_superseded_events_only_is_scored_from_them(db):
    story_id = story_with_events(db, [(0.4, 0.5, "superseded"), (0.2, 0.9, "superseded")])
    story = refreshed_story(db, story_id)
    assert story["confidence"] == round((0.4 * 0.5 + 0.2 * 0.9) / 0.6, 4)  # 0.6333
    assert story["importance"] == 0.6 * 0.4 + 0.25 * 0.3  # 0.315


def test_scores_are_stored_with_components_and_formula_version(db):
    m = mai_and_partnership_corpus(db)
    integrate_articles(db, [r[0] for r in db.execute("SELECT id FROM articles ORDER BY id")])
    event = event_of(db, m["efficient_wire"])
    stored = json.loads(event["score_components"])
    assert event["formula_version"] == WEIGHTS["formula_version"]
    assert stored["confidence"]["score"] == event["confidence"]
    assert stored["importance"]["score"] == event["importance"]
    assert set(stored["confidence"]["components"]) == {"status", "sources", "reliability", "first_party",
                                                       "date", "unhedged", "attribution", "extraction"}
    assert stored["confidence"]["components"]["first_party"]["value"] == 1.0
    assert set(stored["importance"]["components"]) == {"type", "centrality", "mentions", "authority", "novelty"}
    story = db.execute("SELECT score_components, importance FROM stories s JOIN story_events se "
                       "ON se.story_id = s.id WHERE se.event_id = ?", [event["id"]]).fetchone()
    assert json.loads(story[0])["importance"]["score"] == story[1]


def score_dump(db) -> list[tuple]:
    events = db.execute("SELECT id, status, importance, confidence, score_components, formula_version "
                        "FROM events ORDER BY id").fetchall()
    stories = db.execute("SELECT id, title, overview, status, importance, confidence, mentions, "
                         "score_components FROM stories ORDER BY id").fetchall()
    history = db.execute("SELECT * FROM event_history ORDER BY id").fetchall()
    return [*events, *stories, *history]


def test_rescore_is_deterministic_and_matches_incremental_build(db_path, run_kb):
    from kb.store.db import open_db

    db = open_db(db_path)
    mai_and_partnership_corpus(db)
    for (article_id,) in db.execute("SELECT id FROM articles ORDER BY published_at").fetchall():
        integrate_articles(db, [article_id])
    built = score_dump(db)
    db.conn.close()
    first = run_kb("rescore")
    assert first.exit_code == 0, first.output
    assert "Rescored 9 events and 2 stories" in first.output
    db = open_db(db_path)
    after_first = score_dump(db)
    db.conn.close()
    assert run_kb("rescore").exit_code == 0
    db = open_db(db_path)
    assert score_dump(db) == after_first == built
    db.conn.close()


def test_rescore_follows_the_weights_file(db, tmp_path):
    m = mai_and_partnership_corpus(db)
    integrate_articles(db, [r[0] for r in db.execute("SELECT id FROM articles ORDER BY id")])
    before = event_of(db, m["efficient_wire"])["confidence"]
    weights = tomllib.loads(Path(DEFAULT_WEIGHTS).read_text())
    weights["confidence"]["status_factor"]["confirmed"] = 0.5
    summary = rescore(db, weights=weights)
    assert summary.events == 9
    assert event_of(db, m["efficient_wire"])["confidence"] == pytest.approx(before * 0.5, abs=1e-3)


def test_bad_weights_file_is_a_clear_error(tmp_path):
    path = tmp_path / "weights.toml"
    shutil.copy(DEFAULT_WEIGHTS, path)
    text = path.read_text().replace("release = 0.9\n", "", 1)
    path.write_text(text)
    with pytest.raises(ConfigError, match=r"\[importance.type\] release must be a number"):
        load_weights(path)
    path.write_text("formula_version = [")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_weights(path)
    with pytest.raises(ConfigError, match="file not found"):
        load_weights(tmp_path / "missing.toml")


def test_rescore_now_sets_story_status(db, run_kb):
    mai_and_partnership_corpus(db)
    integrate_articles(db, [r[0] for r in db.execute("SELECT id FROM articles ORDER BY id")])
    db.conn.close()
    result = run_kb("rescore", "--now", "2027-06-01")
    assert result.exit_code == 0, result.output
    assert "status as of 2027-06-01T23:59:59Z" in result.output
    listing = run_kb("stories", "list", "--json")
    assert {row["status"] for row in json.loads(listing.output)} == {"dormant"}
    assert run_kb("rescore", "--now", "2026-04-25").exit_code == 0
    statuses = {row["status"] for row in json.loads(run_kb("stories", "list", "--json").output)}
    assert "developing" in statuses
    bad = run_kb("rescore", "--now", "next tuesday")
    assert bad.exit_code == 1
    assert "cannot read the date 'next tuesday'" in bad.output
    assert "Traceback" not in bad.output
