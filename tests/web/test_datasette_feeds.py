"""Atom feeds, canned queries, facets, read-only serving alongside a writer, and the `kb serve` command."""

from __future__ import annotations

import html
import json
import re
import sqlite3
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from datasette_plugins.atom_xml import OVERVIEW_CHARS
from kb.cli.main import cli
from kb.core.excerpts import shorten
from tests.sqlite_read import one
from tests.web.atom_check import ATOM, atom_problems, entries


def biggest_story(db_path) -> int:
    return one(db_path, "SELECT story_id FROM story_events GROUP BY story_id ORDER BY count(*) DESC, story_id "
                        "LIMIT 1")[0]


def busiest_entity(db_path) -> int:
    return one(db_path, "SELECT entity_id FROM event_entities GROUP BY entity_id ORDER BY count(*) DESC LIMIT 1")[0]


def feed_paths(db_path) -> list[str]:
    story, entity = biggest_story(db_path), busiest_entity(db_path)
    return ["/kb/important_events_feed.atom", f"/kb/story_feed.atom?story={story}",
            f"/-/timeline.atom?story={story}", f"/-/timeline.atom?entity={entity}", "/-/timeline.atom",
            "/-/timeline.atom?type=release,partnership&from=2024&min_importance=40",
            "/-/timeline.atom?q=model&size=5", "/-/timeline.atom?from=2999"]


async def test_every_feed_is_valid_atom_with_absolute_links(kb_datasette, generated_kb):
    for path in feed_paths(generated_kb):
        response = await kb_datasette.client.get(path)
        assert response.status_code == 200, (path, response.text[:300])
        assert response.headers["content-type"].startswith("application/atom+xml")
        assert atom_problems(response.text) == [], path
        root = ET.fromstring(response.text)
        assert root.find(f"{ATOM}author/{ATOM}name").text
        hrefs = [link.get("href") for link in root.iter(f"{ATOM}link")]
        assert hrefs and all(h.startswith("http://localhost/") or h.startswith("https://") for h in hrefs), path
        for entry in entries(response.text):
            assert entry.find(f"{ATOM}author/{ATOM}name").text, path


async def test_important_events_feed_lists_the_newest_known_important_events(kb_datasette, generated_kb):
    response = await kb_datasette.client.get("/kb/important_events_feed.atom")
    conn = sqlite3.connect(generated_kb)
    expected = [f"tag:newskb,2025:event/{r[0]}" for r in conn.execute(
        "SELECT id FROM events WHERE importance >= 0.7 AND status != 'superseded' AND sort_date IS NOT NULL "
        "ORDER BY known_at DESC, id DESC LIMIT 50")]
    assert [e.find(f"{ATOM}id").text for e in entries(response.text)] == expected


async def test_story_feed_names_the_story_and_each_entry_its_sources_and_story(kb_datasette, generated_kb):
    story = biggest_story(generated_kb)
    title = one(generated_kb, "SELECT title FROM stories WHERE id = ?", (story,))[0]
    card = json.loads(subprocess.run([str(Path(sys.executable).parent / "kb"), "--db", str(generated_kb), "stories",
                                      "show", str(story), "--format", "json"],
                                     capture_output=True, text=True, check=True).stdout)
    summary = card["summary"]["text"]
    assert summary
    event_id, confidence = one(generated_kb, "SELECT e.id, e.confidence FROM story_events se "
                               "JOIN events e ON e.id = se.event_id WHERE se.story_id = ? "
                               "AND e.status != 'superseded' ORDER BY e.sort_date DESC, e.id DESC LIMIT 1", (story,))
    conn = sqlite3.connect(generated_kb)
    with conn:
        conn.execute("UPDATE events SET confidence = NULL WHERE id = ?", (event_id,))
    try:
        for path in (f"/kb/story_feed.atom?story={story}", f"/-/timeline.atom?story={story}"):
            text = (await kb_datasette.client.get(path)).text
            root = ET.fromstring(text)
            assert title in root.find(f"{ATOM}title").text
            subtitle = root.find(f"{ATOM}subtitle").text
            assert summary in subtitle and f"Importance {card['importance_pct']}" in subtitle
            assert root.find(f"{ATOM}link[@rel='alternate']").get("href") == f"http://localhost/-/story/{story}"
            assert not re.search(r"\d\.\d%", text)  # no SQLite-rounded floats such as 71.0%
            for entry in entries(text):
                content = html.unescape(entry.find(f"{ATOM}content").text)
                entry_id = int(entry.find(f"{ATOM}id").text.rsplit("/", 1)[1])
                sources = [r[0] for r in conn.execute(
                    "SELECT DISTINCT s.name FROM event_mentions em JOIN articles a ON a.id = em.article_id "
                    "JOIN sources s ON s.id = a.source_id WHERE em.event_id = ? UNION "
                    "SELECT s.name FROM events e JOIN articles a ON a.id = e.article_id "
                    "JOIN sources s ON s.id = a.source_id WHERE e.id = ?", (entry_id, entry_id))]
                assert any(name in content for name in sources), (entry_id, sources)
                assert f'href="http://localhost/-/story/{story}"' in content and title in content
                assert shorten(summary, OVERVIEW_CHARS) in content  # the story's card summary
                assert entry.find(f"{ATOM}link").get("href") == f"http://localhost/-/event/{entry_id}"
                if entry_id == event_id:
                    assert "confidence unknown" in content.lower()
            assert any(int(e.find(f"{ATOM}id").text.rsplit("/", 1)[1]) == event_id for e in entries(text))
    finally:
        with conn:
            conn.execute("UPDATE events SET confidence = ? WHERE id = ?", (confidence, event_id))
        conn.close()


@pytest.mark.parametrize("path", ["/kb/story_feed.atom?story=99999", "/-/timeline.atom?story=99999",
                                  "/-/timeline.atom?entity=99999"])
async def test_a_feed_of_an_unknown_story_or_entity_is_a_404(kb_datasette, path):
    response = await kb_datasette.client.get(path)
    assert response.status_code == 404 and "99999" in response.text


async def test_the_feed_of_a_merged_story_moves_to_the_story_it_was_merged_into(kb_datasette, generated_kb):
    keep = biggest_story(generated_kb)
    other = one(generated_kb, "SELECT id FROM stories WHERE id != ? ORDER BY id LIMIT 1", (keep,))[0]
    conn = sqlite3.connect(generated_kb)
    before = conn.execute("SELECT status, merged_into FROM stories WHERE id = ?", (other,)).fetchone()
    with conn:
        conn.execute("UPDATE stories SET status = 'merged', merged_into = ? WHERE id = ?", (keep, other))
    try:
        for path in (f"/kb/story_feed.atom?story={other}", f"/-/timeline.atom?story={other}"):
            response = await kb_datasette.client.get(path)
            assert response.status_code == 301
            assert response.headers["location"] == f"http://localhost/-/timeline.atom?story={keep}"
    finally:
        with conn:
            conn.execute("UPDATE stories SET status = ?, merged_into = ? WHERE id = ?", (*before, other))
        conn.close()


@pytest.mark.parametrize("path, parameter", [("/-/timeline.atom?story=abc", "story"),
                                             ("/-/timeline.atom?type=gossip", "type"),
                                             ("/-/timeline.atom?from=2024-13", "from")])
async def test_a_feed_with_a_malformed_filter_is_a_400_naming_it(kb_datasette, path, parameter):
    response = await kb_datasette.client.get(path)
    assert response.status_code == 400 and f"{parameter}:" in response.text


async def test_a_saved_search_is_a_feed_of_the_same_events(kb_datasette, generated_kb):
    query = "type=release,partnership&from=2024&min_importance=40&size=20"
    page = (await kb_datasette.client.get(f"/-/timeline.json?{query}")).json()
    feed = (await kb_datasette.client.get(f"/-/timeline.atom?{query}")).text
    assert [e.find(f"{ATOM}id").text for e in entries(feed)] == [
        f"tag:newskb,2025:event/{e['id']}" for e in page["events"]]
    title = ET.fromstring(feed).find(f"{ATOM}title").text
    assert "release, partnership" in title and "from 2024" in title and "40%" in title
    entity = busiest_entity(generated_kb)
    name = one(generated_kb, "SELECT name FROM entities WHERE id = ?", (entity,))[0]
    entity_feed = (await kb_datasette.client.get(f"/-/timeline.atom?entity={entity}")).text
    assert ET.fromstring(entity_feed).find(f"{ATOM}title").text.startswith(name)
    page = (await kb_datasette.client.get(f"/-/timeline?{query}")).text
    assert 'href="/-/timeline.atom?type=release%2Cpartnership&amp;from=2024&amp;min_importance=40"' in page
    assert f'href="/-/timeline.atom?entity={entity}"' in (await kb_datasette.client.get(f"/-/entity/{entity}")).text


async def test_feed_links_use_the_configured_base_url(generated_kb):
    from kb.cli.serving import build_datasette

    ds = build_datasette(generated_kb, base_url="https://news.example.com/")
    await ds.invoke_startup()
    story = biggest_story(generated_kb)
    text = (await ds.client.get(f"/kb/story_feed.atom?story={story}")).text
    assert atom_problems(text) == []
    hrefs = [link.get("href") for link in ET.fromstring(text).iter(f"{ATOM}link")]
    assert f"https://news.example.com/-/story/{story}" in hrefs
    assert all(h.startswith("https://news.example.com/") for h in hrefs if "/-/" in h)
    assert "http://localhost" not in text


async def test_feeds_link_an_event_whose_article_url_is_not_http_to_its_own_page(kb_datasette, generated_kb):
    """A lead article with a javascript: URL is never linked; the entry links to the event's page."""
    conn = sqlite3.connect(generated_kb)
    article_id = conn.execute(
        "SELECT id FROM articles WHERE url NOT LIKE 'http%' ORDER BY id LIMIT 1").fetchone()[0]
    event_id, importance, known_at = conn.execute(
        "SELECT id, importance, known_at FROM events WHERE article_id = ? AND sort_date IS NOT NULL "
        "AND status != 'superseded' ORDER BY id LIMIT 1", [article_id]).fetchone()
    with conn:
        conn.execute("UPDATE events SET importance = 0.99, known_at = '2999-01-01T00:00:00Z' WHERE id = ?",
                     [event_id])
    try:
        response = await kb_datasette.client.get("/kb/important_events_feed.atom")
        entry = next(e for e in entries(response.text)
                     if e.find(f"{ATOM}id").text == f"tag:newskb,2025:event/{event_id}")
        assert [link.get("href") for link in entry.findall(f"{ATOM}link")] == [
            f"http://localhost/-/event/{event_id}"]
        assert "javascript:" not in response.text
    finally:
        with conn:
            conn.execute("UPDATE events SET importance = ?, known_at = ? WHERE id = ?",
                         [importance, known_at, event_id])
        conn.close()


async def query(ds, name: str, params: str = "") -> list[dict]:
    response = await ds.client.get(f"/kb/{name}.json?_shape=array{params}")
    assert response.status_code == 200, response.text[:300]
    return response.json()


async def test_canned_mai_releases_in_date_order(kb_datasette):
    rows = await query(kb_datasette, "mai_releases")
    dates = [r["sort_date"] for r in rows]
    assert dates == sorted(dates)
    models = " ".join(r["models"] for r in rows)
    for model in ("MAI-Voice-1", "MAI-Image-1", "MAI-Image-2-Efficient"):
        assert model in models
    anchor = next(r for r in rows if "MAI-Image-2-Efficient" in r["models"] and r["date"] == "2026-04-14")
    assert anchor["importance_pct"] == 90


async def test_canned_partnership_strain(kb_datasette, generated_kb):
    rows = await query(kb_datasette, "partnership_strain")
    assert rows and {r["type"] for r in rows} <= {"competition", "statement", "legal", "regulatory"}
    conn = sqlite3.connect(generated_kb)
    for row in rows[:20]:
        names = {n for (n,) in conn.execute(
            "SELECT en.name FROM event_entities ee JOIN entities en ON en.id = ee.entity_id "
            "WHERE ee.event_id = ?", (row["event_id"],))}
        assert "OpenAI" in names and names & {"Microsoft", "Microsoft AI"}


async def test_canned_known_as_of_uses_history(kb_datasette, generated_kb):
    conn = sqlite3.connect(generated_kb)
    event_id = conn.execute(
        "SELECT id FROM events WHERE known_at < '2024-06-01' ORDER BY id LIMIT 1").fetchone()[0]
    conn.execute("INSERT INTO event_history (event_id, at, old_status, new_status, reason) "
                 "VALUES (?, '2024-06-15T08:00:00Z', 'rumored', 'confirmed', 'test')", (event_id,))
    conn.commit()
    try:
        before = await query(kb_datasette, "known_as_of", "&as_of=2024-06-01")
        assert before and all(r["known_at"] < "2024-06-02" for r in before)
        expected = conn.execute("SELECT count(*) FROM events WHERE known_at < '2024-06-02'").fetchone()[0]
        assert len(before) == min(expected, 1000)
        then = next(r for r in before if r["event_id"] == event_id)
        assert then["status_then"] == "rumored"
        after = await query(kb_datasette, "known_as_of", "&as_of=2024-07-01")
        assert next(r for r in after if r["event_id"] == event_id)["status_then"] == "confirmed"
    finally:
        conn.execute("DELETE FROM event_history WHERE reason = 'test'")
        conn.commit()


async def test_canned_first_party_confirmed(kb_datasette, generated_kb):
    rows = await query(kb_datasette, "first_party_confirmed")
    conn = sqlite3.connect(generated_kb)
    first_party = {n for (n,) in conn.execute("SELECT name FROM sources WHERE first_party = 1")}
    assert rows and all(r["status"] == "confirmed" and r["first_party_source"] in first_party for r in rows)


async def test_canned_entity_cooccurrence(kb_datasette, generated_kb):
    rows = await query(kb_datasette, "entity_cooccurrence", "&entity=OpenAI")
    conn = sqlite3.connect(generated_kb)
    expected = conn.execute(
        "SELECT count(DISTINCT y.event_id) FROM entities me JOIN event_entities x ON x.entity_id = me.id "
        "JOIN event_entities y ON y.event_id = x.event_id AND y.entity_id != me.id "
        "JOIN entities o ON o.id = y.entity_id "
        "WHERE me.name = 'OpenAI' AND o.name = 'Microsoft'").fetchone()[0]
    assert next(r for r in rows if r["appears_with"] == "Microsoft")["shared_events"] == expected
    assert [r["shared_events"] for r in rows] == sorted((r["shared_events"] for r in rows), reverse=True)
    pairs = await query(kb_datasette, "entity_pairs")
    assert pairs and pairs[0]["shared_events"] >= pairs[-1]["shared_events"]


async def test_metadata_facets_including_month(kb_datasette, generated_kb):
    data = (await kb_datasette.client.get("/kb/events.json?_size=1&_extra=facet_results")).json()
    facets = data["facet_results"]["results"] if "results" in data["facet_results"] else data["facet_results"]
    assert {"type", "status", "sort_date"} <= set(facets)
    months = facets["sort_date"]["results"]
    month = months[0]["value"]
    count = sqlite3.connect(generated_kb).execute(
        "SELECT count(*) FROM events WHERE sort_date LIKE ?", (month + "%",)).fetchone()[0]
    assert months[0]["count"] == count
    narrowed = (await kb_datasette.client.get(
        f"/kb/events.json?sort_date__startswith={month}&_size=1000")).json()
    assert len(narrowed["rows"]) == count
    timeline = (await kb_datasette.client.get("/kb/timeline")).text
    assert "story" in timeline and "facet-info" in timeline
    by_entity = (await kb_datasette.client.get("/kb/entity_timeline.json?entity=OpenAI&_size=5")).json()
    assert by_entity["rows"]


async def test_read_only_on_the_web(kb_datasette):
    write = await kb_datasette.client.get("/kb.json?sql=DELETE+FROM+events")
    assert write.status_code == 400 and "SELECT" in write.json()["error"]
    post = await kb_datasette.client.post("/kb/mai_releases", data={"x": "1"})
    assert post.status_code == 405 and "read-only" in post.text
    download = await kb_datasette.client.get("/kb.db")
    assert download.status_code in (403, 404)
    slow = await kb_datasette.client.get(
        "/kb.json?sql=WITH+RECURSIVE+c(x)+AS+(SELECT+1+UNION+ALL+SELECT+x%2B1+FROM+c)+SELECT+count(*)+FROM+c")
    assert slow.status_code == 400 and "time limit" in slow.text.lower()


async def test_pages_keep_answering_while_a_writer_holds_the_database(kb_datasette, generated_kb):
    writer = sqlite3.connect(generated_kb, timeout=5)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO events (type, sort_date, date, status, sentence, importance, confidence) "
                       "VALUES ('release', '2030-01-01', '2030-01-01', 'reported', 'Writer test release.', "
                       "0.95, 0.9)")
        new_id = writer.execute("SELECT last_insert_rowid()").fetchone()[0]
        during = await kb_datasette.client.get("/-/timeline.json?size=3")
        assert during.status_code == 200
        assert new_id not in [e["id"] for e in during.json()["events"]]  # not committed yet
        writer.commit()
        after = await kb_datasette.client.get("/-/timeline.json?size=3")
        assert new_id in [e["id"] for e in after.json()["events"]]
    finally:
        writer.rollback()
        writer.execute("DELETE FROM events WHERE sentence = 'Writer test release.'")
        writer.commit()
        writer.close()


def test_serve_help_has_an_example():
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0 and "Example:" in result.output and "--port" in result.output


@pytest.mark.parametrize("port", ["-1", "http"])
def test_serve_rejects_a_bad_port(port):
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, ["serve", "--port", port])
    assert result.exit_code == 2 and "port" in result.output.lower()
