"""The pages on a knowledge base built by the real `kb ingest` from the bundled sample corpus."""

from __future__ import annotations

import html
import re
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli.main import cli
from tests.web.atom_check import atom_problems, entries

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sample_kb(tmp_path_factory) -> Path:
    """data/sample ingested end to end (fetch, extract, analyse, ledger, stories) by `kb ingest`."""
    path = tmp_path_factory.mktemp("sample") / "kb.db"
    result = CliRunner().invoke(cli, ["--db", str(path), "ingest", "--sources",
                                      str(ROOT / "data" / "sample" / "sources.toml")])
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(path)
    counts = [conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("events", "stories")]
    conn.close()
    assert all(counts), f"the sample ingest should produce events and stories, got {counts}"
    return path


@pytest.fixture
async def sample_datasette(sample_kb: Path):
    from kb.cli.serving import build_datasette

    ds = build_datasette(sample_kb)
    await ds.invoke_startup()
    return ds


def ids(db_path: Path, sql: str) -> list[int]:
    conn = sqlite3.connect(db_path)
    try:
        return [r[0] for r in conn.execute(sql)]
    finally:
        conn.close()


async def test_every_page_of_the_sample_answers(sample_datasette, sample_kb):
    paths = ["/", "/-/timeline", "/-/timeline.json", "/-/charts", "/-/search?q=MAI-Image-2",
             "/-/timeline?q=Azure&type=partnership,investment", "/-/timeline?from=2025&min_importance=50"]
    paths += [f"/-/story/{i}" for i in ids(sample_kb, "SELECT id FROM stories")]
    paths += [f"/-/story/{i}.json" for i in ids(sample_kb, "SELECT id FROM stories LIMIT 5")]
    entities = ids(sample_kb, "SELECT DISTINCT entity_id FROM event_entities LIMIT 30")
    paths += [f"/-/entity/{i}" for i in entities]
    paths += [f"/-/article/{i}" for i in ids(sample_kb, "SELECT id FROM articles")]
    paths += [f"/-/event/{i}" for i in ids(sample_kb, "SELECT id FROM events")]
    for path in paths:
        response = await sample_datasette.client.get(path)
        assert response.status_code == 200, (path, response.text[:300])
        if path.startswith(("/-/article/", "/-/event/")):
            assert "file:" not in response.text, path  # local sample files are named, never linked


async def test_sample_timeline_matches_the_ledger(sample_datasette, sample_kb):
    expected = ids(sample_kb, "SELECT id FROM events WHERE status != 'superseded' AND sort_date IS NOT NULL "
                              "ORDER BY sort_date DESC, id DESC")
    data = (await sample_datasette.client.get("/-/timeline.json?size=500")).json()
    assert [e["id"] for e in data["events"]] == expected
    assert all(e["date_label"] for e in data["events"])


async def test_sample_mai_releases_include_the_models_in_order(sample_datasette, sample_kb):
    name = sample_kb.stem
    rows = (await sample_datasette.client.get(f"/{name}/mai_releases.json?_shape=array")).json()
    assert [r["sort_date"] for r in rows] == sorted(r["sort_date"] for r in rows)
    models = " ".join(r["models"] for r in rows)
    assert "MAI-Voice-1" in models and "MAI-Image-2-Efficient" in models
    strain = (await sample_datasette.client.get(f"/{name}/partnership_strain.json?_shape=array")).json()
    assert strain and {r["type"] for r in strain} <= {"competition", "statement", "legal", "regulatory"}


async def test_sample_feeds_are_valid_atom(sample_datasette, sample_kb):
    story = ids(sample_kb, "SELECT story_id FROM story_events GROUP BY story_id ORDER BY count(*) DESC LIMIT 1")[0]
    entity = ids(sample_kb, "SELECT entity_id FROM event_entities GROUP BY entity_id ORDER BY count(*) DESC LIMIT 1")[0]
    name = sample_kb.stem
    for path in (f"/{name}/important_events_feed.atom", f"/{name}/story_feed.atom?story={story}",
                 f"/-/timeline.atom?entity={entity}", "/-/timeline.atom?type=release&q=model"):
        response = await sample_datasette.client.get(path)
        assert response.status_code == 200, path
        assert atom_problems(response.text) == [], path
        assert entries(response.text), path
    assert "file:" not in (await sample_datasette.client.get(f"/-/timeline.atom?story={story}")).text


async def test_event_page_shows_reports_history_scores_and_storyline(sample_datasette, sample_kb):
    conn = sqlite3.connect(sample_kb)
    event_id = conn.execute(
        "SELECT r.event_id FROM event_reports r JOIN story_events se ON se.event_id = r.event_id "
        "WHERE r.event_id IN (SELECT event_id FROM event_history GROUP BY event_id HAVING count(*) > 1) "
        "GROUP BY r.event_id ORDER BY sum(r.independent) < count(*) DESC, count(*) DESC LIMIT 1").fetchone()[0]
    reports = conn.execute("SELECT source, sentence, independent FROM event_reports WHERE event_id = ?",
                           (event_id,)).fetchall()
    history = conn.execute("SELECT new_status, reason FROM event_history WHERE event_id = ?", (event_id,)).fetchall()
    story_id, story_title = conn.execute(
        "SELECT s.id, s.title FROM story_events se JOIN stories s ON s.id = se.story_id WHERE se.event_id = ?",
        (event_id,)).fetchone()
    conn.close()
    response = await sample_datasette.client.get(f"/-/event/{event_id}")
    assert response.status_code == 200
    page = html.unescape(response.text)
    for source, sentence, _ in reports:
        assert source in page and sentence in page
    for _status, reason in history:
        assert reason in page
    assert "How it is scored" in page and "how many independent sources support it" in page
    assert story_title in page and f'href="/-/story/{story_id}"' in response.text
    assert 'aria-current="true"' in response.text
    data = (await sample_datasette.client.get(f"/-/event/{event_id}.json")).json()
    assert [r["independent"] for r in data["reports"]].count(False) == sum(1 for r in reports if not r[2])
    assert len(data["history"]) == len(history)
    assert data["scores"][0].startswith("Importance ") and "weight" in data["scores"][0]
    assert data["storylines"][0]["story"]["id"] == story_id
    assert "file:" not in response.text


@pytest.mark.parametrize("path, status", [("/-/event/abc", 400), ("/-/event/0", 400), ("/-/event/999999", 404),
                                          ("/-/event/999999.json", 404)])
async def test_event_page_bad_and_unknown_ids(sample_datasette, path, status):
    response = await sample_datasette.client.get(path)
    assert response.status_code == status


async def test_entity_counts_each_event_once_whatever_its_roles(sample_datasette, sample_kb):
    """An entity with two roles in one event (two event_entities rows) counts that event once."""
    conn = sqlite3.connect(sample_kb)
    entity = conn.execute(
        "SELECT entity_id FROM event_entities GROUP BY entity_id "
        "ORDER BY count(*) - count(DISTINCT event_id) DESC, entity_id LIMIT 1").fetchone()[0]
    twice = conn.execute("SELECT count(*) - count(DISTINCT event_id) FROM event_entities WHERE entity_id = ?",
                         (entity,)).fetchone()[0]
    assert twice > 0, "the sample should have an entity with two roles in one event"
    expected = dict(conn.execute(
        "SELECT se.story_id, count(DISTINCT se.event_id) FROM story_events se JOIN events e ON e.id = se.event_id "
        "WHERE e.status != 'superseded' AND se.event_id IN (SELECT event_id FROM event_entities WHERE entity_id = ?) "
        "GROUP BY se.story_id", (entity,)).fetchall())
    live = dict(conn.execute(
        "SELECT se.story_id, count(*) FROM story_events se JOIN events e ON e.id = se.event_id "
        "WHERE e.status != 'superseded' GROUP BY se.story_id").fetchall())
    name = conn.execute("SELECT name FROM entities WHERE id = ?", (entity,)).fetchone()[0]
    distinct_events = conn.execute(
        "SELECT count(DISTINCT ee.event_id) FROM event_entities ee JOIN events e ON e.id = ee.event_id "
        "WHERE ee.entity_id = ? AND e.status != 'superseded'", (entity,)).fetchone()[0]
    conn.close()
    data = (await sample_datasette.client.get(f"/-/entity/{entity}.json")).json()
    assert data["stories"] and {s["id"]: s["with_entity"] for s in data["stories"]} == {
        k: v for k, v in expected.items() if k in {s["id"] for s in data["stories"]}}
    # A story's own count is one number everywhere: its events not superseded.
    assert all(s["events"] == live[s["id"]] for s in data["stories"])
    rows = (await sample_datasette.client.get(
        f"/{sample_kb.stem}/entity_timeline.json?entity_id={entity}&_size=1000&_shape=array")).json()
    assert len(rows) == len({r["event_id"] for r in rows}) == distinct_events
    pairs = (await sample_datasette.client.get(f"/{sample_kb.stem}/entity_pairs.json?_shape=array")).json()
    cooccurring = (await sample_datasette.client.get(
        f"/{sample_kb.stem}/entity_cooccurrence.json?_shape=array&entity={name}")).json()
    shared = {r["appears_with"]: r["shared_events"] for r in cooccurring}
    for pair in pairs:
        if pair["entity"] == name and pair["appears_with"] in shared:
            assert pair["shared_events"] == shared[pair["appears_with"]]


async def test_sample_stories_table_shows_percentages_and_components_in_words(sample_datasette, sample_kb):
    importance, components = sqlite3.connect(sample_kb).execute(
        "SELECT importance, score_components FROM stories WHERE score_components IS NOT NULL "
        "ORDER BY importance DESC LIMIT 1").fetchone()
    page = (await sample_datasette.client.get(f"/{sample_kb.stem}/stories")).text
    assert f">{round(importance * 100)}%<" in page
    assert '<ul class="kb-components">' in page and "<strong>Importance " in page and "lead " in page
    assert components[:15] not in page and html.escape(components[:15]) not in page
    assert not re.search(r">0\.\d+<", page)  # no 0–1 floats in the cells


async def test_a_merged_story_id_redirects_and_briefs_are_marked(sample_kb: Path, tmp_path):
    """After `kb stories merge`, /-/story/{old id} (and .json) leads to the kept story; an event in
    no storyline is shown as a brief on the timeline."""
    import shutil

    from kb.cli.serving import build_datasette

    path = tmp_path / "kb.db"
    shutil.copy(sample_kb, path)
    keep, other = ids(path, "SELECT id FROM stories WHERE status != 'merged' ORDER BY id LIMIT 2")
    result = CliRunner().invoke(cli, ["--db", str(path), "stories", "merge", str(keep), str(other)])
    assert result.exit_code == 0, result.output
    ds = build_datasette(path)
    await ds.invoke_startup()
    for suffix in ("", ".json"):
        response = await ds.client.get(f"/-/story/{other}{suffix}")
        assert response.status_code == 302
        assert response.headers["location"] == f"/-/story/{keep}{suffix}"
    assert (await ds.client.get(f"/-/story/{keep}")).status_code == 200
    brief = ids(path, "SELECT event_id FROM briefs ORDER BY event_id LIMIT 1")[0]
    entity = ids(path, f"SELECT entity_id FROM event_entities WHERE event_id = {brief} LIMIT 1")
    page = await ds.client.get("/-/timeline?size=500")
    assert page.status_code == 200 and ">Brief</span>" in page.text
    if entity:
        assert ">Brief</span>" in (await ds.client.get(f"/-/entity/{entity[0]}")).text


@pytest.mark.parametrize("case, words", [("Musk v. OpenAI", "nonprofit"),
                                         ("New York Times v. Microsoft", "copied to train")])
async def test_a_case_entity_lists_its_lawsuit_events(sample_datasette, sample_kb, case, words):
    """No sample sentence names the case, but its legal events (plaintiff and defendant named)
    are linked to the case's entity through data/relations.toml [cases]."""
    conn = sqlite3.connect(sample_kb)
    entity = conn.execute("SELECT id FROM entities WHERE name = ?", [case]).fetchone()[0]
    assert not conn.execute("SELECT 1 FROM articles WHERE text LIKE ?", [f"%{case}%"]).fetchone()
    conn.close()
    data = (await sample_datasette.client.get(f"/-/entity/{entity}.json")).json()
    assert data["timeline"] and {e["type"] for e in data["timeline"]} == {"legal"}
    assert any(words in e["sentence"] for e in data["timeline"])
    page = (await sample_datasette.client.get(f"/-/entity/{entity}")).text
    assert words in html.unescape(page)


async def test_a_story_with_a_superseded_event_has_one_count_in_the_database_and_on_its_pages(
        sample_datasette, sample_kb: Path):
    conn = sqlite3.connect(sample_kb)
    live = dict(conn.execute(
        "SELECT se.story_id, count(*) FROM story_events se JOIN events e ON e.id = se.event_id "
        "WHERE e.status != 'superseded' GROUP BY se.story_id").fetchall())
    every = dict(conn.execute("SELECT story_id, count(*) FROM story_events GROUP BY story_id").fetchall())
    stored = dict(conn.execute("SELECT id, events FROM stories WHERE status != 'merged'").fetchall())
    cards = dict(conn.execute("SELECT story_id, events FROM story_cards").fetchall())
    story = next(s for s in live if every[s] > live[s])  # the sample has a rumor superseded by its launch
    entity = conn.execute("SELECT ee.entity_id FROM event_entities ee JOIN story_events se "
                          "ON se.event_id = ee.event_id WHERE se.story_id = ? GROUP BY ee.entity_id "
                          "ORDER BY count(*) DESC LIMIT 1", (story,)).fetchone()[0]
    conn.close()
    assert stored == cards == {s: live.get(s, 0) for s in stored}
    assert (await sample_datasette.client.get(f"/-/story/{story}.json")).json()["events"] == live[story]
    profile = (await sample_datasette.client.get(f"/-/entity/{entity}.json")).json()
    assert {s["id"]: s["events"] for s in profile["stories"]}[story] == live[story]


async def test_home_ranks_stories_whose_status_follows_their_latest_fact(sample_datasette, sample_kb: Path):
    import sqlite_utils

    from kb.ledger.scoring import load_weights
    from kb.stories.activity import reference_time, story_status

    db = sqlite_utils.Database(sample_kb)
    reference = reference_time(db)
    stories = list(db.query("SELECT id, status, events, activity_date, updated_at FROM stories "
                            "WHERE status != 'merged'"))
    db.close()
    weights = load_weights()
    assert all(s["status"] == story_status(s["activity_date"], reference, weights) for s in stories)
    # Some story was reported more recently than its latest fact: the two dates are not the same rule.
    assert any(s["activity_date"] < s["updated_at"][:10] for s in stories)
    home = (await sample_datasette.client.get("/")).text
    shown = [int(i) for i in re.findall(r'<div class="kb-card" data-story-id="(\d+)">', home)]
    by_id = {s["id"]: s for s in stories}
    assert shown and all(by_id[i]["status"] in ("developing", "ongoing") for i in shown)
    biggest = max(stories, key=lambda s: s["events"])
    assert biggest["status"] != "dormant" and biggest["id"] in shown
