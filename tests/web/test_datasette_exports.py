"""Exports: a story card as Markdown, a timeline selection and an entity's facts as CSV."""

from __future__ import annotations

import csv
import io
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.web.test_datasette_pages import oracle_ids


def read_csv(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


async def test_timeline_csv_has_the_timelines_events_with_the_same_filters(kb_datasette, generated_kb):
    for query, extra in [("type=release", "AND e.type = 'release'"),
                         ("from=2024&min_importance=50", "AND e.sort_date >= '2024-01-01' AND e.importance >= 0.5")]:
        response = await kb_datasette.client.get(f"/-/timeline.csv?{query}")
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
        rows = read_csv(response.text)
        assert [int(r["id"]) for r in rows] == oracle_ids(generated_kb, extra)
        page = (await kb_datasette.client.get(f"/-/timeline.json?{query}&size=5")).json()
        assert [int(r["id"]) for r in rows[:5]] == [e["id"] for e in page["events"]]
    assert 'href="/-/timeline.csv?type=release"' in (await kb_datasette.client.get("/-/timeline?type=release")).text


async def test_csv_cells_are_never_spreadsheet_formulas(kb_datasette, generated_kb: Path):
    conn = sqlite3.connect(generated_kb)
    event = conn.execute("SELECT id, summary FROM events WHERE status != 'superseded' AND sort_date IS NOT NULL "
                         "ORDER BY sort_date DESC, id DESC LIMIT 1").fetchone()
    conn.execute("UPDATE events SET summary = '=HYPERLINK(\"http://x\")' WHERE id = ?", (event[0],))
    conn.commit()
    try:
        rows = read_csv((await kb_datasette.client.get("/-/timeline.csv?size=1")).text)
    finally:
        conn.execute("UPDATE events SET summary = ? WHERE id = ?", (event[1], event[0]))
        conn.commit()
        conn.close()
    assert rows[0]["summary"] == "'=HYPERLINK(\"http://x\")"


async def test_entity_csv_is_its_facts(kb_datasette, generated_kb):
    conn = sqlite3.connect(generated_kb)
    entity = conn.execute("SELECT entity_id FROM event_entities GROUP BY entity_id ORDER BY count(*) LIMIT 1").fetchone()[0]
    conn.close()
    rows = read_csv((await kb_datasette.client.get(f"/-/entity/{entity}.csv")).text)
    expected = oracle_ids(generated_kb, "AND e.id IN (SELECT event_id FROM event_entities WHERE entity_id = ?)",
                          (entity,))
    assert [int(r["id"]) for r in rows] == expected
    assert (await kb_datasette.client.get(f"/-/entity/{entity}")).status_code == 200


@pytest.mark.parametrize("path, status", [("/-/timeline.csv?type=nope", 400), ("/-/timeline.csv?from=2024-13", 400),
                                          ("/-/timeline.csv?story=999999", 400), ("/-/entity/abc.csv", 400),
                                          ("/-/entity/999999.csv", 404), ("/-/story/abc.md", 400),
                                          ("/-/story/999999.md", 404)])
async def test_exports_refuse_bad_parameters(kb_datasette, path, status):
    assert (await kb_datasette.client.get(path)).status_code == status


async def test_story_markdown_is_the_cards_markdown(kb_datasette, generated_kb):
    conn = sqlite3.connect(generated_kb)
    story = conn.execute("SELECT id FROM stories WHERE status != 'merged' ORDER BY importance DESC").fetchone()[0]
    conn.close()
    response = await kb_datasette.client.get(f"/-/story/{story}.md")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/markdown")
    kb = Path(sys.executable).parent / "kb"
    cli = subprocess.run([str(kb), "--db", str(generated_kb), "stories", "show", str(story), "--format", "markdown"],
                         capture_output=True, text=True, check=True)
    assert response.text == cli.stdout
    assert (await kb_datasette.client.get(f"/-/story/{story}")).status_code == 200
    assert (await kb_datasette.client.get(f"/-/story/{story}.json")).status_code == 200
