"""The story card reads a bounded number of events and articles through indexes: every query
`story_card` runs is planned with EXPLAIN QUERY PLAN and none scans a whole big table."""

from __future__ import annotations

import re
import sqlite3

import pytest
import sqlite_utils

from bench.generate_db import generate
from kb.stories.card_material import CARD_EVENTS, LATEST_EVENTS
from kb.stories.cards import story_card


def card_queries(db_path, story_id: int) -> list[str]:
    """The SQL of every SELECT `story_card` runs for the story (with its values bound)."""
    conn = sqlite3.connect(db_path)
    seen: list[str] = []
    conn.set_trace_callback(seen.append)
    story_card(sqlite_utils.Database(conn), story_id)
    conn.set_trace_callback(None)
    conn.close()
    return [q for q in seen if q.lstrip().upper().startswith(("SELECT", "WITH"))]


def full_scans(db_path, queries: list[str]) -> list[str]:
    conn = sqlite3.connect(db_path)
    problems = []
    for sql in queries:
        for row in conn.execute("EXPLAIN QUERY PLAN " + sql):
            detail = row[-1]
            if re.match(r"SCAN (?!\(subquery)", detail):  # a table or index walked whole
                problems.append(f"{detail}: {' '.join(sql.split())[:160]}")
    conn.close()
    return problems


@pytest.fixture(scope="module")
def generated_kb(tmp_path_factory):
    """A generated base whose biggest story holds more events than the card reads."""
    path = tmp_path_factory.mktemp("card_queries") / "kb.db"
    generate(path, events=3000, articles=3000, stories=4, seed=3)
    return path


def test_the_card_of_a_big_story_uses_indexes(generated_kb):
    conn = sqlite3.connect(generated_kb)
    story_id, size = conn.execute(
        "SELECT story_id, count(*) FROM story_events GROUP BY story_id ORDER BY 2 DESC LIMIT 1").fetchone()
    small = conn.execute(
        "SELECT story_id FROM story_events GROUP BY story_id ORDER BY count(*), story_id LIMIT 1").fetchone()[0]
    conn.close()
    assert size > CARD_EVENTS + LATEST_EVENTS  # the walk of the importance and date indexes
    for sid in (story_id, small):
        queries = card_queries(generated_kb, sid)
        assert queries and full_scans(generated_kb, queries) == [], sid
