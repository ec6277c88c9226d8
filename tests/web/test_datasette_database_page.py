"""Datasette's database page /kb: the site's navigation, questions and views first, the SQL box on a
useful query, and internal tables behind a link."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

# The tables a reader sees on /kb. A new table is internal unless added here (and given a title in
# data/datasette.yaml): this test fails until someone decides.
READER_TABLES = {"articles", "entities", "entity_aliases", "event_entities", "event_history", "event_mentions",
                 "events", "ingest_runs", "mentions", "sources", "stories", "story_changes", "story_events",
                 "storyline_links", "timexes"}


async def test_database_page_leads_with_pages_questions_and_views(kb_datasette, generated_kb: Path):
    response = await kb_datasette.client.get("/kb")
    assert response.status_code == 200
    page = response.text
    assert 'class="kb-nav"' in page and ">Watch</a>" in page
    order = [page.index(marker) for marker in ('id="pages"', 'id="queries"', 'id="views"', 'id="sql"',
                                               'id="tables"')]
    assert order == sorted(order)
    views = re.findall(r'<li><a href="/kb/(\w+)">', page[page.index('id="views"'):page.index('id="sql"')])
    assert views[:2] == ["story_cards", "timeline"]
    sql = re.search(r'<textarea id="sql-editor" name="sql">(.*?)</textarea>', page, re.S).group(1)
    assert "_sqlite_migrations" not in sql and "story_cards" in sql
    tables_part = page[page.index('id="tables"'):]
    shown = set(re.findall(r'<h3><a href="/kb/(\w+)">', tables_part))
    assert shown == READER_TABLES
    assert "_sqlite_migrations" not in page and "story_totals" not in page
    conn = sqlite3.connect(generated_kb)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    conn.close()
    hidden = int(re.search(r"([\d,]+) internal\s+tables?", tables_part).group(1).replace(",", ""))
    assert hidden == len(tables - READER_TABLES)
    # The query in the SQL box runs.
    result = await kb_datasette.client.get("/kb.json", params={"sql": " ".join(sql.split()), "_shape": "array"})
    assert result.status_code == 200 and result.json(), result.text[:300]
    shown_all = (await kb_datasette.client.get("/kb?_show_hidden=1")).text
    assert "_sqlite_migrations" in shown_all and "(internal)" in shown_all
