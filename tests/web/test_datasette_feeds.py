"""Atom feeds, canned queries, facets, read-only serving alongside a writer, and the `kb serve` command."""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET

import pytest

from kb.cli.main import cli

ATOM = "{http://www.w3.org/2005/Atom}"


def entries(xml_text: str) -> list[ET.Element]:
    return ET.fromstring(xml_text).findall(f"{ATOM}entry")


async def test_important_events_feed(kb_datasette, generated_kb):
    response = await kb_datasette.client.get("/kb/important_events_feed.atom")
    assert response.status_code == 200 and "xml" in response.headers["content-type"]
    found = entries(response.text)
    conn = sqlite3.connect(generated_kb)
    important = {f"tag:newskb,2025:event/{r[0]}" for r in conn.execute(
        "SELECT id FROM events WHERE importance >= 0.7 AND status != 'superseded'")}
    assert len(found) == min(50, len(important))
    assert {e.find(f"{ATOM}id").text for e in found} <= important
    for entry in found:
        link = entry.find(f"{ATOM}link")
        assert link is None or link.get("href").startswith(
            ("http://", "https://", "/-/article/", "/kb/events/"))


async def test_feeds_link_an_event_whose_article_url_is_not_http_to_our_own_page(kb_datasette, generated_kb):
    """A lead article with a javascript: (or any non-http) URL used to make both feeds fail
    with a 500 (datasette-atom was given no link); now the entry links to the article page."""
    conn = sqlite3.connect(generated_kb)
    article_id = conn.execute(
        "SELECT id FROM articles WHERE url NOT LIKE 'http%' ORDER BY id LIMIT 1").fetchone()[0]
    event_id, importance, known_at = conn.execute(
        "SELECT id, importance, known_at FROM events WHERE article_id = ? ORDER BY id LIMIT 1",
        [article_id]).fetchone()
    in_story = conn.execute("SELECT count(*) FROM story_events WHERE story_id = 3 AND event_id = ?",
                            [event_id]).fetchone()[0]
    with conn:
        conn.execute("UPDATE events SET importance = 0.99, known_at = '2999-01-01T00:00:00Z' WHERE id = ?",
                     [event_id])
        if not in_story:
            conn.execute("INSERT INTO story_events (story_id, event_id, added_at) "
                         "VALUES (3, ?, '2999-01-01T00:00:00Z')", [event_id])
    try:
        for path in ("/kb/important_events_feed.atom", "/kb/story_feed.atom?story=3"):
            response = await kb_datasette.client.get(path)
            assert response.status_code == 200, (path, response.text[:300])
            entry = next(e for e in entries(response.text)
                         if e.find(f"{ATOM}id").text == f"tag:newskb,2025:event/{event_id}")
            assert entry.find(f"{ATOM}link").get("href") == f"/-/article/{article_id}"
            assert "javascript:" not in response.text
    finally:
        with conn:
            conn.execute("UPDATE events SET importance = ?, known_at = ? WHERE id = ?",
                         [importance, known_at, event_id])
            if not in_story:
                conn.execute("DELETE FROM story_events WHERE story_id = 3 AND event_id = ?", [event_id])
        conn.close()


async def test_story_feed_and_empty_feed(kb_datasette, generated_kb):
    conn = sqlite3.connect(generated_kb)
    expected = conn.execute("SELECT count(*) FROM story_events WHERE story_id = 3").fetchone()[0]
    response = await kb_datasette.client.get("/kb/story_feed.atom?story=3")
    assert response.status_code == 200
    assert len(entries(response.text)) == min(50, expected)
    empty = await kb_datasette.client.get("/kb/story_feed.atom?story=99999")
    assert empty.status_code == 200 and entries(empty.text) == []
    assert ET.fromstring(empty.text).find(f"{ATOM}title").text


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
