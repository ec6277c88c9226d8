"""The sample corpus's facts in the built base: one fact, one event, whatever the merge size."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli.main import cli
from kb.jobs.analyse import analyze_articles
from kb.jobs.fact_eval import load_facts, matches, read_events
from kb.store.db import open_db
from kb.store.entities import sync_gazetteer
from tests.conftest import SAMPLE_DIR

SOURCES = SAMPLE_DIR / "sources.toml"


@pytest.fixture(scope="module")
def unanalysed(tmp_path_factory) -> Path:
    """The sample corpus ingested, not yet analysed."""
    path = tmp_path_factory.mktemp("sample-facts") / "stored.db"
    result = CliRunner().invoke(cli, ["--db", str(path), "ingest", "--no-analyze", "--sources", str(SOURCES)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return path


def analysed(unanalysed: Path, directory: Path, merge_every: int) -> Path:
    """A copy of the stored corpus analysed and merged into the ledger `merge_every` articles at a time."""
    path = directory / f"merge-{merge_every}.db"
    shutil.copy(unanalysed, path)
    db = open_db(path)
    try:
        sync_gazetteer(db)
        analyze_articles(db, None, merge_every=merge_every)
    finally:
        db.conn.close()
    return path


def events(path: Path) -> list[tuple]:
    """The events as content: fields, entities and history, without ids."""
    conn = sqlite3.connect(path)
    try:
        found = []
        for row in conn.execute("SELECT id, type, date, date_mod, date_source, status, sentence, mentions, sources, "
                                "importance, confidence FROM events"):
            names = conn.execute("SELECT en.name, ee.role FROM event_entities ee JOIN entities en "
                                 "ON en.id = ee.entity_id WHERE ee.event_id = ? ORDER BY 1, 2", [row[0]]).fetchall()
            history = conn.execute("SELECT at, old_status, new_status, reason FROM event_history "
                                   "WHERE event_id = ? ORDER BY id", [row[0]]).fetchall()
            reports = conn.execute("SELECT a.canonical_url, m.sentence FROM event_mentions m JOIN articles a "
                                   "ON a.id = m.article_id WHERE m.event_id = ? ORDER BY 1, 2", [row[0]]).fetchall()
            found.append((*row[1:], tuple(names), tuple(history), tuple(reports)))
        return sorted(found, key=repr)
    finally:
        conn.close()


@pytest.fixture(scope="module")
def built(unanalysed, tmp_path_factory) -> Path:
    return analysed(unanalysed, tmp_path_factory.mktemp("sample-all"), 10_000)


def test_merging_1_7_or_all_articles_at_a_time_builds_the_same_events(unanalysed, built, tmp_path):
    expected = events(built)
    assert len(expected) > 50
    for size in (1, 7):
        assert events(analysed(unanalysed, tmp_path, size)) == expected, f"merging {size} at a time"


def test_every_planted_fact_and_mai_launch_is_exactly_one_event_with_its_date(built):
    db = open_db(built)
    try:
        found = read_events(db)
        checked = [fact for fact in load_facts() if fact.planted or fact.mai]
        assert len([f for f in checked if f.mai]) == 4  # MAI-Voice-1 and MAI-1-preview launched together
        assert {f.planted for f in checked} >= {"independent_reports", "syndication", "hedged_then_confirmed",
                                                "rumor"}
        for fact in checked:
            ids = [e.id for e in found if matches(fact, e)]
            assert len(ids) == 1, (fact.name, ids)
            date, mod = db.execute("SELECT date, date_mod FROM events WHERE id = ?", ids).fetchone()
            assert (date, mod) == (fact.date, fact.mod), fact.name
    finally:
        db.conn.close()


def test_the_rumor_and_its_denial_are_one_denied_event(built):
    db = open_db(built)
    try:
        rumor = next(f for f in load_facts() if f.planted == "rumor")
        (event,) = [e for e in read_events(db) if matches(rumor, e)]
        assert event.status == "denied"
    finally:
        db.conn.close()


def test_reprocessing_the_sample_gives_the_same_events(built, tmp_path):
    path = tmp_path / "kb.db"
    shutil.copy(built, path)
    before = events(path)
    result = CliRunner().invoke(cli, ["--db", str(path), "reprocess", "--all"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert events(path) == before


def test_a_timeline_box_confirms_earlier_facts_and_dates_nothing_at_publication(built):
    conn = sqlite3.connect(built)
    try:
        found = conn.execute(
            "SELECT m.sentence, m.date, e.date FROM event_mentions m JOIN articles a ON a.id = m.article_id "
            "JOIN events e ON e.id = m.event_id WHERE a.canonical_url LIKE '%/copilot-speaks-claude'").fetchall()
    finally:
        conn.close()
    dates = {sentence.lstrip("- ").split(":")[0]: (own, merged) for sentence, own, merged in found}
    assert dates["July 2019"][1] == "2019-07-22"  # joined the investment event of the day it happened
    assert dates["March 2024"][1] == "2024-03-19"
    assert dates["September 11, 2025"] == ("2025-09-11", "2025-09-11")
    assert not any(own == "2025-09-25" for own, _ in dates.values())
