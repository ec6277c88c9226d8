"""One as-of query ("what did we know at time T"): the Python API and the canned page run the same SQL."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import yaml

from kb.ledger.as_of import AS_OF_SQL, known_as_of
from kb.store.db import open_db

DATASETTE_YAML = Path(__file__).resolve().parents[2] / "data" / "datasette.yaml"


def canned_sql() -> str:
    config = yaml.safe_load(DATASETTE_YAML.read_text())
    return config["databases"]["kb"]["queries"]["known_as_of"]["sql"]


def test_the_canned_query_is_the_ledgers_as_of_query():
    assert " ".join(canned_sql().split()) == " ".join(AS_OF_SQL.split())


def test_a_base_built_without_history_still_lists_what_was_known(generated_kb):
    # bench/generate_db.py writes events without status history, as an import would.
    db = open_db(generated_kb)
    try:
        known = {row["event_id"]: row for row in known_as_of(db, "2024-06-01")}
        expected = dict(db.execute("SELECT id, status FROM events WHERE known_at < '2024-06-02'").fetchall())
    finally:
        db.conn.close()
    assert expected and set(known) == set(expected)
    assert all(known[e]["status_then"] == status for e, status in expected.items())


async def test_the_canned_page_answers_as_the_api_does_to_the_second(kb_datasette, generated_kb):
    conn = sqlite3.connect(generated_kb)
    event_id = conn.execute("SELECT id FROM events WHERE known_at < '2024-06-01' ORDER BY id LIMIT 1").fetchone()[0]
    conn.execute("INSERT INTO event_history (event_id, at, old_status, new_status, reason) "
                 "VALUES (?, '2024-06-15T08:00:00Z', 'rumored', 'confirmed', 'as-of test')", (event_id,))
    conn.commit()
    expected = {"2024-06-15": "confirmed", "2024-06-15T07:59:59Z": "rumored", "2024-06-15T08:00:00Z": "confirmed"}
    try:
        for as_of, status in expected.items():
            response = await kb_datasette.client.get(f"/kb/known_as_of.json?_shape=array&as_of={as_of}")
            assert response.status_code == 200, response.text[:300]
            db = open_db(generated_kb)
            try:
                api = known_as_of(db, as_of)
            finally:
                db.conn.close()
            assert response.json() == api
            assert next(r for r in api if r["event_id"] == event_id)["status_then"] == status
    finally:
        conn.execute("DELETE FROM event_history WHERE reason = 'as-of test'")
        conn.commit()
        conn.close()
