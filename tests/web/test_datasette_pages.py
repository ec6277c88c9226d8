"""The Datasette pages through Datasette's own client: home, timeline, story, entity, article, charts,
search."""

from __future__ import annotations

import html
import re
import sqlite3
from pathlib import Path
from urllib.parse import urlencode

import pytest

from datasette_plugins import event_queries
from tests.sqlite_read import one

# The events the timeline may show, newest first: the oracle the pages are checked against.
ORACLE = """SELECT e.id FROM events e WHERE e.status != 'superseded' AND e.sort_date IS NOT NULL {extra}
            ORDER BY e.sort_date DESC, e.id DESC"""


def oracle_ids(db_path: Path, extra: str = "", params: tuple = ()) -> list[int]:
    conn = sqlite3.connect(db_path)
    try:
        return [r[0] for r in conn.execute(ORACLE.format(extra=extra), params)]
    finally:
        conn.close()


async def get_json(ds, path: str) -> dict:
    response = await ds.client.get(path)
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


async def test_home_shows_topics_stories_and_important_events(kb_datasette, generated_kb):
    response = await kb_datasette.client.get("/")
    assert response.status_code == 200
    page = response.text
    assert "Microsoft, OpenAI and the MAI models" in page  # from data/topics.toml
    top_story = one(generated_kb, "SELECT title FROM stories WHERE status IN ('developing', 'ongoing') "
                                  "ORDER BY importance DESC, id DESC LIMIT 1")[0]
    assert html.escape(top_story, quote=False) in page
    newest_important = oracle_ids(generated_kb, "AND e.importance >= 0.7")[0]
    assert f'data-event-id="{newest_important}"' in page
    assert "important_events_feed.atom" in page


async def test_timeline_is_newest_first_grouped_by_month(kb_datasette, generated_kb):
    data = await get_json(kb_datasette, "/-/timeline.json?size=40")
    assert [e["id"] for e in data["events"]] == oracle_ids(generated_kb)[:40]
    page = (await kb_datasette.client.get("/-/timeline?size=40")).text
    months = re.findall(r'data-month="(\d{4}-\d{2})"', page)
    assert months == sorted(set(months), reverse=True)  # one group per month, newest first
    first = data["events"][0]
    assert f'data-event-id="{first["id"]}"' in page
    assert first["importance_pct"] in page and "kb-bar-fill kb-importance" in page
    assert first["date_label"] and first["precision"] in ("day", "month", "year", "season", "quarter")


async def test_timeline_dates_show_their_precision(kb_datasette, generated_kb):
    data = await get_json(kb_datasette, "/-/timeline.json?size=500")
    by_precision = {e["precision"]: e for e in data["events"]}
    assert re.fullmatch(r"[A-Z][a-z]+ \d{1,2}, \d{4}", by_precision["day"]["date_label"])
    mid_year = [e for e in data["events"] if e["precision"] == "year" and e["date_mod"] == "MID"]
    assert mid_year and mid_year[0]["date_label"] == f"mid-{mid_year[0]['date']}"


@pytest.mark.parametrize("query, extra, params", [
    ("type=release", "AND e.type = ?", ("release",)),
    ("type=legal,pricing", "AND e.type IN (?, ?)", ("legal", "pricing")),
    ("from=2024-03&to=2025", "AND e.sort_date >= ? AND e.sort_date < ?", ("2024-03-01", "2026-01-01")),
    ("to=2020-06-30", "AND e.sort_date < ?", ("2020-07-01",)),
    ("min_importance=60", "AND e.importance >= ?", (0.6,)),
    ("story=2", "AND e.id IN (SELECT event_id FROM story_events WHERE story_id = ?)", (2,)),
    ("entity=1", "AND e.id IN (SELECT event_id FROM event_entities WHERE entity_id = ?)", (1,)),
    ("q=released", "AND e.id IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?)", ("released",)),
    ("story=1&type=release&min_importance=20",
     "AND e.id IN (SELECT event_id FROM story_events WHERE story_id = ?) "
     "AND e.type = ? AND e.importance >= ?",
     (1, "release", 0.2)),
])
async def test_timeline_filters_select_what_sql_selects(kb_datasette, generated_kb, query, extra, params):
    expected = oracle_ids(generated_kb, extra, params)
    assert expected, "the generated data should contain matches"
    data = await get_json(kb_datasette, f"/-/timeline.json?size=500&{query}")
    assert [e["id"] for e in data["events"]] == expected[:500]
    page = await kb_datasette.client.get(f"/-/timeline?{query}")
    assert page.status_code == 200
    assert f'data-event-id="{expected[0]}"' in page.text


@pytest.mark.parametrize("query", ["story=1", "entity=1", "q=released", "entity=3&q=model"])
async def test_big_and_small_candidate_sets_give_the_same_page(kb_datasette, monkeypatch, query):
    small_path = await get_json(kb_datasette, f"/-/timeline.json?size=60&{query}")
    monkeypatch.setattr(event_queries, "SORT_CANDIDATES_LIMIT", 0)  # every set counts as big
    big_path = await get_json(kb_datasette, f"/-/timeline.json?size=60&{query}")
    assert [e["id"] for e in big_path["events"]] == [e["id"] for e in small_path["events"]]


async def test_timeline_pages_follow_the_cursor_without_gaps(kb_datasette, generated_kb):
    seen, path = [], "/-/timeline.json?size=70&type=release,legal"
    while path:
        data = await get_json(kb_datasette, path)
        seen += [e["id"] for e in data["events"]]
        path = data["next_url"]
    assert seen == oracle_ids(generated_kb, "AND e.type IN ('release', 'legal')")


async def test_timeline_event_links_its_story_entities_and_articles(kb_datasette, generated_kb):
    data = await get_json(kb_datasette, "/-/timeline.json?story=2&size=1")
    event = data["events"][0]
    assert {"id": 2} .items() <= event["stories"][0].items()
    names = {r[0] for r in sqlite3.connect(generated_kb).execute(
        "SELECT en.name FROM event_entities ee JOIN entities en ON en.id = ee.entity_id "
        "WHERE ee.event_id = ?", (event["id"],))}
    assert {e["name"] for e in event["entities"]} == names
    lead = one(generated_kb, "SELECT article_id FROM events WHERE id = ?", (event["id"],))[0]
    assert event["articles"][0]["id"] == lead


async def test_story_card(kb_datasette, generated_kb):
    """The story page is the card of kb/stories/cards.py; its events are the story's own."""
    story_id = 1
    data = await get_json(kb_datasette, f"/-/story/{story_id}.json")
    title = one(generated_kb, "SELECT title FROM stories WHERE id = ?", (story_id,))[0]
    assert data["id"] == story_id and data["title"] == title and data["heading"].endswith(title)
    members = {r[0] for r in sqlite3.connect(generated_kb).execute(
        "SELECT event_id FROM story_events WHERE story_id = ?", (story_id,))}
    facts = data["key_facts"]
    assert facts and {f["event_id"] for f in facts} <= members
    assert [f["sort_date"] for f in facts] == sorted(f["sort_date"] for f in facts)
    assert {e["event_id"] for e in data["timeline"]} <= members
    page = (await kb_datasette.client.get(f"/-/story/{story_id}")).text
    for text in (html.escape(title, quote=False), "Key facts", "Importance", "Confidence", "Mentions",
                 "Updated", "Sources", f"/-/timeline.atom?story={story_id}", "<svg"):
        assert text in page


async def test_entity_profile(kb_datasette, generated_kb):
    entity_id, name = one(generated_kb, "SELECT id, name FROM entities WHERE name = 'Microsoft'")
    data = await get_json(kb_datasette, f"/-/entity/{entity_id}.json")
    assert data["entity"]["name"] == name and "MSFT" in data["aliases"]
    conn = sqlite3.connect(generated_kb)
    expected = dict(conn.execute(
        "SELECT y.entity_id, count(DISTINCT y.event_id) FROM event_entities x JOIN event_entities y "
        "ON y.event_id = x.event_id AND y.entity_id != x.entity_id WHERE x.entity_id = ? GROUP BY 1",
        (entity_id,)).fetchall())
    assert {r["id"]: r["events"] for r in data["co_occurring"]}.items() <= expected.items()
    assert data["co_occurring"][0]["events"] == max(expected.values())
    assert [e["id"] for e in data["timeline"]] == oracle_ids(
        generated_kb, "AND e.id IN (SELECT event_id FROM event_entities WHERE entity_id = ?)",
        (entity_id,))[:50]
    page = (await kb_datasette.client.get(f"/-/entity/{entity_id}")).text
    assert "Also known as" in page and "MSFT" in page and "Appears with" in page


async def test_article_view_highlights_entities_and_dates(kb_datasette, generated_kb):
    article_id = one(generated_kb, "SELECT article_id FROM mentions GROUP BY article_id "
                                   "HAVING count(*) >= 2 ORDER BY article_id LIMIT 1")[0]
    response = await kb_datasette.client.get(f"/-/article/{article_id}")
    assert response.status_code == 200
    mention = one(generated_kb, "SELECT text FROM mentions WHERE article_id = ? ORDER BY start",
                  (article_id,))[0]
    timex = one(generated_kb, "SELECT text FROM timexes WHERE article_id = ?", (article_id,))[0]
    entity_mark = r'<mark class="kb-hl-entity" title="[^"]*">' + re.escape(html.escape(mention)) + "</mark>"
    assert re.search(entity_mark, response.text)
    assert '<mark class="kb-hl-date" title="DATE' in response.text and timex in response.text
    data = await get_json(kb_datasette, f"/-/article/{article_id}.json")
    expected_events = {r[0] for r in sqlite3.connect(generated_kb).execute(
        "SELECT id FROM events WHERE article_id = ?", (article_id,))}
    assert {e["id"] for e in data["events"]} == expected_events


async def test_charts_count_every_dated_event(kb_datasette, generated_kb):
    data = await get_json(kb_datasette, "/-/charts.json")
    counted = sum(n for month in data["events_per_month_by_type"].values() for n in month.values())
    assert counted == len(oracle_ids(generated_kb))
    assert data["story_activity"][0]["months"]
    page = (await kb_datasette.client.get("/-/charts")).text
    assert page.count("<rect") > 50 and "Events per month by type" in page
    narrowed = await get_json(kb_datasette, "/-/charts.json?from=2025&to=2025")
    assert set(narrowed["events_per_month_by_type"]) <= {f"2025-{m:02d}" for m in range(1, 13)}


async def test_search_finds_events_and_articles(kb_datasette, generated_kb):
    data = await get_json(kb_datasette, "/-/search.json?q=released")
    assert data["events"] and all("released" in e["snippet_text"].lower() for e in data["events"])
    newest = one(generated_kb, "SELECT max(rowid) FROM events_fts WHERE events_fts MATCH 'released'")[0]
    assert data["events"][0]["id"] == newest
    articles = await get_json(kb_datasette, "/-/search.json?q=Analysts")
    assert articles["articles"] and all("analysts" in a["snippet_text"].lower() for a in articles["articles"])
    page = (await kb_datasette.client.get("/-/search?q=released")).text
    assert "<mark>released</mark>" in page.lower()
    empty = await kb_datasette.client.get("/-/search")
    assert empty.status_code == 200 and 'name="q"' in empty.text


async def test_search_shows_matching_stories_and_entities_first(kb_datasette, generated_kb):
    story_id, title = one(generated_kb, "SELECT id, title FROM stories WHERE status != 'merged' "
                                        "ORDER BY importance DESC LIMIT 1")
    word = max(re.findall(r"[A-Za-z]{5,}", title), key=len)
    entity_id, name = one(generated_kb, "SELECT id, name FROM entities WHERE status = 'known' "
                                        "AND name GLOB '[A-Za-z]*' ORDER BY centrality DESC LIMIT 1")
    data = await get_json(kb_datasette, f"/-/search.json?q={word}")
    expected = [r[0] for r in sqlite3.connect(generated_kb).execute(
        "SELECT id FROM stories WHERE status != 'merged' AND (title LIKE ? OR overview LIKE ?) "
        "ORDER BY importance DESC, id DESC LIMIT 10", (f"%{word}%", f"%{word}%"))]
    assert [s["id"] for s in data["stories"]] == expected and story_id in expected
    by_name = await get_json(kb_datasette, f"/-/search.json?q={name}")
    assert by_name["entities"][0]["id"] == entity_id
    alias_row = one(generated_kb, "SELECT entity_id, alias FROM entity_aliases ORDER BY entity_id LIMIT 1")
    if alias_row:
        by_alias = await get_json(kb_datasette, f"/-/search.json?{urlencode({'q': alias_row[1]})}")
        assert alias_row[0] in [e["id"] for e in by_alias["entities"]]
    page = (await kb_datasette.client.get(f"/-/search?q={word}")).text
    assert page.index("<h2>Stories</h2>") < page.index("<h2>Entities</h2>") < page.index("<h2>Events</h2>")
    assert f'href="/-/story/{story_id}"' in page
    wildcard = await get_json(kb_datasette, "/-/search.json?q=%25_%25")
    assert wildcard["stories"] == [] and wildcard["entities"] == []


async def test_plugins_load_from_entry_points_without_metadata(generated_kb):
    from datasette.app import Datasette

    ds = Datasette([str(generated_kb)])
    response = await ds.client.get("/-/timeline.json?size=1")
    assert response.status_code == 200 and response.json()["count"] == 1
    plugins = {p["name"] for p in (await ds.client.get("/-/plugins.json")).json()}
    assert "newskb" in plugins


async def test_charts_leave_out_superseded_events(kb_datasette, generated_kb):
    before = (await get_json(kb_datasette, "/-/charts.json"))["events_per_month_by_type"]
    conn = sqlite3.connect(generated_kb)
    event_id, etype, sort_date, status = conn.execute(
        "SELECT id, type, sort_date, status FROM events WHERE sort_date IS NOT NULL "
        "ORDER BY id LIMIT 1").fetchone()
    conn.execute("UPDATE events SET status = 'superseded' WHERE id = ?", (event_id,))
    conn.commit()
    try:
        after = (await get_json(kb_datasette, "/-/charts.json"))["events_per_month_by_type"]
        month = sort_date[:7]
        assert after.get(month, {}).get(etype, 0) == before[month][etype] - 1
    finally:
        conn.execute("UPDATE events SET status = ? WHERE id = ?", (status, event_id))
        conn.commit()
        conn.close()


async def test_a_page_over_the_time_limit_is_a_503_not_a_500(generated_kb):
    from kb.cli.serving import build_datasette

    ds = build_datasette(generated_kb, settings={"sql_time_limit_ms": 1})
    await ds.invoke_startup()
    response = await ds.client.get("/-/charts.json?from=2019")
    assert response.status_code == 503
    assert "time limit" in response.json()["error"]


async def test_datasette_table_pages_show_percentages_components_and_no_internal_columns(kb_datasette,
                                                                                      generated_kb):
    importance, components = one(generated_kb, "SELECT importance, score_components FROM events "
                                               "WHERE score_components IS NOT NULL ORDER BY id LIMIT 1")
    page = (await kb_datasette.client.get("/kb/events?_sort=id&_size=5")).text
    assert f">{round(importance * 100)}%<" in page
    assert '<ul class="kb-components">' in page
    assert html.escape(components[:20]) not in page and components[:20] not in page  # no raw JSON
    raw = (await kb_datasette.client.get("/kb/events.json?_shape=array&_size=1&_sort=id")).json()
    assert raw[0]["importance"] == importance  # the data itself is unchanged
    timeline = (await kb_datasette.client.get("/kb/timeline")).text
    assert "Timeline (view) (view)" not in timeline and "<h1>Timeline (view)</h1>" in timeline
    columns = re.findall(r'<th [^>]*data-column="([^"]+)"', timeline)
    assert "event_id" in columns and not {"entity_ids", "article_url"} & set(columns)
    assert re.search(r'<td class="col-event_id[^>]*><a href="/-/event/\d+">', timeline)
    chosen = (await kb_datasette.client.get("/kb/timeline?_col=entity_ids&_col=event_id")).text
    assert 'data-column="entity_ids"' in chosen
    as_json = (await kb_datasette.client.get("/kb/timeline.json?_shape=array&_size=1")).json()
    assert "entity_ids" in as_json[0] and "article_url" in as_json[0]
    sql = (await kb_datasette.client.get("/kb.json?sql=select+entity_ids+from+timeline+limit+1&_shape=array")).json()
    assert "entity_ids" in sql[0]
    database = (await kb_datasette.client.get("/kb")).text
    assert 'class="kb-nav"' in database and 'href="/-/timeline"' in database
    assert 'href="/kb/event_keys"' not in database and 'href="/kb/stories"' in database
    assert (await kb_datasette.client.get("/kb/event_keys.json?_size=1")).status_code == 200


async def test_article_table_names_local_files_without_linking_them(kb_datasette, generated_kb):
    conn = sqlite3.connect(generated_kb)
    with conn:
        conn.execute("UPDATE articles SET url = 'file:///srv/sample/a.html' WHERE id = "
                     "(SELECT min(id) FROM articles WHERE url LIKE 'http%')")
    try:
        article = one(generated_kb, "SELECT id FROM articles WHERE url LIKE 'file:%'")[0]
        row = (await kb_datasette.client.get(f"/kb/articles?id={article}")).text
        assert "local file" in row and 'href="file:' not in row
        page = (await kb_datasette.client.get(f"/-/article/{article}")).text
        assert "file:" not in page
    finally:
        with conn:
            conn.execute("UPDATE articles SET url = 'https://example.com/restored' WHERE url LIKE 'file:%'")
        conn.close()
