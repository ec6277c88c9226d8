"""The issue's expectations on the bundled sample corpus, built end to end with `kb ingest`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli.main import cli
from kb.jobs.integrate import integrate_articles
from kb.ledger.as_of import known_as_of
from kb.ledger.merge import Ledger
from kb.ledger.scoring import ScoringContext
from kb.store.db import open_db

SAMPLE_SOURCES = Path(__file__).resolve().parents[2] / "data" / "sample" / "sources.toml"
MAI_MODELS = ("MAI-Voice-1", "MAI-1-preview", "MAI-Image-1", "MAI-Image-2", "MAI-Image-2-Efficient")


@pytest.fixture(scope="session")
def sample_kb(tmp_path_factory) -> Path:
    """The sample corpus ingested into a fresh knowledge base (built once per session)."""
    path = tmp_path_factory.mktemp("sample-stories") / "kb.db"
    result = CliRunner().invoke(cli, ["--db", str(path), "ingest", "--sources", str(SAMPLE_SOURCES)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def sample_db(sample_kb, tmp_path):
    """A private copy of the sample knowledge base, for tests that change it."""
    path = tmp_path / "kb.db"
    shutil.copy(sample_kb, path)
    database = open_db(path)
    yield database
    database.conn.close()


def stories_of(db, sql: str, params: list) -> set[int]:
    return {r[0] for r in db.execute(
        f"""SELECT DISTINCT se.story_id FROM story_events se JOIN events e ON e.id = se.event_id
            JOIN event_entities ee ON ee.event_id = e.id JOIN entities en ON en.id = ee.entity_id
            WHERE {sql}""", params).fetchall()}


def rumor_event(db) -> dict:
    """The event of the Signal & Stack report that MAI-Image-2 would become Bing's default."""
    row = db.execute(
        """SELECT em.event_id FROM event_mentions em JOIN articles a ON a.id = em.article_id
           WHERE a.url LIKE '%mai-image-2-bing-image-creator-default-rumor%'
             AND em.sentence LIKE '%default%' AND em.event_id IS NOT NULL
           ORDER BY em.start LIMIT 1""").fetchone()
    assert row is not None, "the rumor article has no event"
    return dict(next(db.query("SELECT * FROM events WHERE id = ?", [row[0]])))


def test_mai_model_releases_form_one_story_line(sample_db):
    marks = ", ".join("?" for _ in MAI_MODELS)
    mai = stories_of(sample_db, f"e.type = 'release' AND en.name IN ({marks}) AND e.status != 'denied'",
                     list(MAI_MODELS))
    assert len(mai) == 1
    story = dict(next(sample_db.query("SELECT * FROM stories WHERE id = ?", [mai.pop()])))
    assert "MAI" in story["title"]
    assert story["status"] == "developing"
    assert story["section"] == "releases"
    names = {r[0] for r in sample_db.execute(
        "SELECT en.name FROM story_entities se JOIN entities en ON en.id = se.entity_id WHERE se.story_id = ?",
        [story["id"]]).fetchall()}
    assert set(MAI_MODELS) <= names


def test_syndicated_copy_does_not_inflate_mentions_or_confidence(sample_db):
    row = sample_db.execute("SELECT id, duplicate_of FROM articles WHERE duplicate_of IS NOT NULL").fetchone()
    assert row is not None, "ingest marked no article of the sample corpus as a syndicated copy"
    copy_id, original_id = row

    def state():
        return sample_db.execute(
            """SELECT id, mentions, sources, confidence, importance FROM events WHERE id IN
               (SELECT event_id FROM event_mentions WHERE article_id = ?) ORDER BY id""", [original_id]).fetchall()

    before = state()
    assert before
    for event_id, mentions, *_ in before:
        originals = sample_db.execute(
            """SELECT count(DISTINCT coalesce(a.duplicate_of, a.id)) FROM event_mentions em
               JOIN articles a ON a.id = em.article_id WHERE em.event_id = ?""", [event_id]).fetchone()[0]
        assert mentions == originals
        copies = sample_db.execute("SELECT independent FROM event_reports WHERE event_id = ? AND article_id = ?",
                                   [event_id, copy_id]).fetchall()
        assert copies == [(0,)]  # listed as a report, not as an independent one
    # Had the copy been analysed like any article, nothing would change either.
    for row in sample_db.query("SELECT * FROM event_mentions WHERE article_id = ?", [original_id]):
        sample_db["event_mentions"].insert({**{k: v for k, v in row.items() if k not in ("id", "event_id")},
                                            "article_id": copy_id})
    sample_db.conn.commit()
    integrate_articles(sample_db, [copy_id])
    assert state() == before


def test_hedged_report_scores_below_confirmed_and_denial_lowers_confidence(sample_db):
    rumor = rumor_event(sample_db)
    launch = dict(next(sample_db.query(
        """SELECT e.* FROM events e JOIN event_entities ee ON ee.event_id = e.id
           JOIN entities en ON en.id = ee.entity_id
           WHERE en.name = 'MAI-Image-2-Efficient' AND e.type = 'release' AND e.date = '2026-04-14'""")))
    assert launch["status"] == "confirmed"
    history = sample_db.execute("SELECT old_status, new_status, reason, at FROM event_history "
                                "WHERE event_id = ? ORDER BY id", [rumor["id"]]).fetchall()
    assert history[0][1] == "rumored"
    assert history[-1][:2] == ("rumored", "denied")
    assert "Newsroom Wire" in history[-1][2]
    assert rumor["status"] == "denied"
    # The same event without the denial (as the knowledge base had it before April 20).
    ctx = ScoringContext(sample_db)
    ledger = Ledger(sample_db, ctx)
    reports = [r for r in ledger.reports_of_event(rumor["id"]) if not r.denial]
    entity_ids = [r[0] for r in sample_db.execute("SELECT entity_id FROM event_entities WHERE event_id = ?",
                                                  [rumor["id"]]).fetchall()]
    # Scored as the ledger scores it (its reports folded, each source's best evidence).
    before_denial = ledger.score_values({**rumor, "status": "rumored"}, ledger.new_fold(reports), entity_ids)
    assert before_denial["confidence"] < launch["confidence"]
    assert rumor["confidence"] < before_denial["confidence"]


def test_known_at_answers_an_as_of_question(sample_db):
    rumor = rumor_event(sample_db)
    assert rumor["known_at"].startswith("2026-04-09")

    def known(as_of):
        return {row["event_id"]: row for row in known_as_of(sample_db, as_of)}

    assert rumor["id"] not in known("2026-04-08")
    assert known("2026-04-15")[rumor["id"]]["status_then"] == "rumored"
    assert known("2026-04-25")[rumor["id"]]["status_then"] == "denied"
    latest = sample_db.execute("SELECT max(known_at) FROM events").fetchone()[0]
    assert len(known("2026-04-08")) < len(known(latest)) == sample_db.execute(
        "SELECT count(*) FROM events").fetchone()[0]


def test_kb_rescore_is_deterministic(sample_kb, tmp_path):
    path = tmp_path / "kb.db"
    shutil.copy(sample_kb, path)
    runner = CliRunner()

    def rescore_and_dump():
        result = runner.invoke(cli, ["--db", str(path), "rescore"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        db = open_db(path)
        dump = [db.execute("SELECT id, status, importance, confidence, score_components, formula_version "
                           "FROM events ORDER BY id").fetchall(),
                db.execute("SELECT id, title, overview, status, importance, confidence, mentions, "
                           "score_components FROM stories ORDER BY id").fetchall(),
                db.execute("SELECT * FROM event_history ORDER BY id").fetchall()]
        db.conn.close()
        return json.dumps(dump)

    first = rescore_and_dump()
    assert rescore_and_dump() == first


def test_titles_and_overviews_kept_by_ingest_equal_a_full_rewrite(sample_db):
    """Ingest rewrites a story's title and overview only when its text events change;
    rewriting every story from scratch (as `kb rescore` does) gives the same text."""
    from kb.stories.placement import refresh_all_stories

    def texts():
        return sample_db.execute(
            "SELECT id, title, overview FROM stories WHERE status != 'merged' ORDER BY id").fetchall()

    kept = texts()
    assert len(kept) >= 5 and all(title and overview for _, title, overview in kept)
    with sample_db.conn:
        sample_db.execute("UPDATE stories SET text_key = NULL, overview_key = NULL")
        refresh_all_stories(sample_db, ScoringContext(sample_db))
    assert texts() == kept
