"""/-/changes (page, JSON, Atom, the home page's block) and /-/watch on the sample base built by
the real `kb ingest`, plus the rows a later run records (score moves, new facts, a merge) and a
date conflict the ledger writes, added to a copy."""

from __future__ import annotations

import html
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli.main import cli
from tests.sqlite_read import rows
from tests.web.atom_check import atom_problems, entries

ROOT = Path(__file__).resolve().parents[2]
LATER = "2031-01-02T09:00:00Z"  # a later run's time: after the sample's own run
HOSTILE = "<script>alert(1)</script> & Co"


@pytest.fixture(scope="module")
def sample_kb(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("changes") / "kb.db"
    result = CliRunner().invoke(cli, ["--db", str(path), "ingest", "--sources",
                                      str(ROOT / "data" / "sample" / "sources.toml")])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture(scope="module")
def later_kb(sample_kb: Path, tmp_path_factory) -> Path:
    """The sample base after a later run: one story gained a fact and moved its scores (one big
    move, one small), another was merged; a report dates a fact differently (a date conflict)."""
    path = tmp_path_factory.mktemp("later") / "kb.db"
    shutil.copy(sample_kb, path)
    conn = sqlite3.connect(path)
    big, small = [r[0] for r in conn.execute(
        "SELECT id FROM stories WHERE status != 'merged' ORDER BY importance DESC LIMIT 2")]
    fact = conn.execute("SELECT event_id FROM story_events WHERE story_id = ? LIMIT 1", (big,)).fetchone()[0]
    conn.execute("UPDATE stories SET title = ? WHERE id = ?", (HOSTILE, big))
    conn.execute("UPDATE stories SET status = 'merged', merged_into = ? WHERE id = ?", (big, small))
    conn.execute("INSERT INTO ingest_runs (started_at, finished_at, status) VALUES (?, ?, 'ok')", (LATER, LATER))
    run = conn.execute("SELECT max(id) FROM ingest_runs").fetchone()[0]
    conn.executemany(
        "INSERT INTO story_changes (story_id, run_id, at, kind, event_id, old, new, detail) VALUES (?,?,?,?,?,?,?,?)",
        [(big, run, LATER, "new_fact", fact, None, None, None),
         (big, run, LATER, "score", None, "0.5000", "0.6200", '{"score": "importance"}'),
         (big, run, LATER, "score", None, "0.8000", "0.8200", '{"score": "confidence"}'),
         (small, run, LATER, "story_status", None, "developing", "merged", None)])
    conn.execute("INSERT INTO event_history (event_id, at, old_status, new_status, reason, article_id) "
                 "VALUES (?, ?, 'reported', 'reported', ?, NULL)",
                 (fact, LATER, "date conflict: Cloudline Daily dates it March 2024; the event keeps 2025-01-21"))
    conn.commit()
    conn.close()
    return path


async def serve(path: Path):
    from kb.cli.serving import build_datasette

    ds = build_datasette(path)
    await ds.invoke_startup()
    return ds


async def test_changes_since_the_run_lists_new_storylines_and_status_moves(sample_kb):
    ds = await serve(sample_kb)
    data = (await ds.client.get("/-/changes.json?since=2020-01-01")).json()
    new_stories = {r[0] for r in rows(sample_kb, "SELECT story_id FROM story_changes WHERE kind = 'new_story'")}
    assert {s["story"]["id"] for s in data["stories"] if s["new_story"]} == new_stories
    moves = rows(sample_kb, "SELECT story_id, event_id, old, new FROM story_changes WHERE kind = 'status'")
    assert moves, "the sample has status moves (a rumor denied, reports confirmed)"
    shown = {(s["story"]["id"], m["event_id"], m["old"], m["new"]) for s in data["stories"] for m in s["status_moves"]}
    assert shown == set(moves)
    denied = next(m for s in data["stories"] for m in s["status_moves"] if m["new"] == "denied")
    assert denied["reason"].startswith("denied by")  # who moved it, from event_history
    importances = [s["story"]["importance"] for s in data["stories"]]
    assert importances == sorted(importances, reverse=True)
    page = (await ds.client.get("/-/changes?since=2020-01-01")).text
    assert "rumored</span> → <span" in page and "New storyline with" in page


async def test_default_window_includes_the_last_run_and_future_since_is_empty(sample_kb):
    ds = await serve(sample_kb)
    default = (await ds.client.get("/-/changes.json")).json()
    assert default["totals"]["new_stories"] == len(
        rows(sample_kb, "SELECT 1 FROM story_changes WHERE kind = 'new_story'"))
    assert default["filters"] == {}
    empty = (await ds.client.get("/-/changes.json?since=2999-01-01")).json()
    assert empty["stories"] == [] and empty["totals"]["stories"] == 0
    assert "Nothing changed in this window" in (await ds.client.get("/-/changes?since=2999-01-01")).text


async def test_later_run_shows_new_facts_big_score_moves_and_merges_escaped(later_kb):
    ds = await serve(later_kb)
    data = (await ds.client.get("/-/changes.json?since=2031-01-01")).json()
    by_title = {s["story"]["title"]: s for s in data["stories"]}
    changed = by_title[HOSTILE]
    assert [f["event_id"] for f in changed["new_facts"]] and changed["new_story"] is None
    assert [(m["score"], m["old"], m["new"]) for m in changed["score_moves"]] == [("importance", "50%", "62%")]
    merged = next(s for s in data["stories"] if s["merged"])
    assert merged["merged"]["into"] == changed["story"]["id"] and "merged" in merged["headline"]
    every_move = (await ds.client.get("/-/changes.json?since=2031-01-01&min_move=1")).json()
    assert len(next(s for s in every_move["stories"] if s["story"]["title"] == HOSTILE)["score_moves"]) == 2
    page = (await ds.client.get("/-/changes?since=2031-01-01")).text
    assert HOSTILE not in page and html.escape(HOSTILE, quote=False) in page
    feed = (await ds.client.get("/-/changes.atom?since=2031-01-01")).text
    assert atom_problems(feed) == []
    assert len(entries(feed)) == len(data["stories"])
    assert "<script>" not in feed


async def test_home_page_has_a_since_yesterday_block(later_kb):
    ds = await serve(later_kb)
    page = (await ds.client.get("/")).text
    assert "Since yesterday" in page and 'href="/-/changes"' in page and 'href="/-/watch"' in page


@pytest.mark.parametrize("query, parameter", [("since=yesterday", "since"), ("since=2026-13-40", "since"),
                                              ("min_move=200", "min_move"), ("since=2026-01-01&since=2026-02-01",
                                                                             "since")])
async def test_changes_bad_parameters_are_400s(sample_kb, query, parameter):
    ds = await serve(sample_kb)
    for path in ("/-/changes.json", "/-/changes", "/-/changes.atom"):
        response = await ds.client.get(f"{path}?{query}")
        assert response.status_code == 400, (path, query)
    assert (await ds.client.get(f"/-/changes.json?{query}")).json()["parameter"] == parameter


async def test_watch_lists_rumors_denials_and_disagreements_with_who_said_what(later_kb):
    ds = await serve(later_kb)
    data = (await ds.client.get("/-/watch.json")).json()
    rumored = [r[0] for r in rows(later_kb, "SELECT id FROM events WHERE status = 'rumored'")]
    assert sorted(e["event"]["id"] for e in data["rumored"]) == sorted(rumored)
    denied = next(e for e in data["denied"] if e["event"]["status"] == "denied")
    stances = {r["source"]: r["stance"] for r in denied["reports"]}
    assert "denies it" in stances.values() and "says it" in stances.values()  # the rumor and its denial
    assert all(r["published_at"] for r in denied["reports"])
    conflict = data["dates"]
    assert [c["says"] for c in conflict[0]["date_conflicts"]] == [
        "Cloudline Daily dates it March 2024; the event keeps 2025-01-21"]
    for entry in data["amounts"]:
        amounts = [tuple(r["amounts"]) for r in entry["reports"] if r["amounts"]]
        assert len(set(amounts)) >= 2, entry  # at least two articles name different amounts
    page = (await ds.client.get("/-/watch")).text
    assert "Rumored, not confirmed" in page and "Sources disagree on the amount" in page
    assert "denies it" in page


async def test_manual_rename_split_and_merge_show_on_changes_and_the_card(sample_kb, tmp_path):
    path = tmp_path / "kb.db"
    shutil.copy(sample_kb, path)
    first, second = [r[0] for r in rows(
        path, "SELECT id FROM stories WHERE status != 'merged' ORDER BY importance DESC LIMIT 2")]
    moved = [r[0] for r in rows(path, "SELECT event_id FROM story_events WHERE story_id = ? ORDER BY event_id "
                                      "LIMIT 2", (first,))]
    runner = CliRunner()
    for args in (["rename", str(first), HOSTILE], ["split", str(first), *map(str, moved)],
                 ["merge", str(first), str(second)]):
        result = runner.invoke(cli, ["--db", str(path), "stories", *args])
        assert result.exit_code == 0, result.output
    edits = rows(path, "SELECT story_id, kind, old, new, detail FROM story_changes WHERE run_id IS NULL ORDER BY id")
    assert [(r[0], r[1]) for r in edits][:2] == [(first, "edit"), (first, "edit")]
    assert len(edits) == 5  # rename; split (both sides); merge (both sides)
    new_id = next(r[0] for r in edits if r[1] == "new_story")
    ds = await serve(path)
    data = (await ds.client.get("/-/changes.json?since=2030-01-01")).json()
    assert data["stories"] == []  # the edits are stamped now, not in the future
    data = (await ds.client.get("/-/changes.json?since=2020-01-01")).json()
    by_id = {s["story"]["id"]: s for s in data["stories"]}
    texts = [e["text"] for e in by_id[first]["edits"]]
    assert texts[0].startswith("renamed by hand from “") and texts[0].endswith(f"to “{HOSTILE}”")
    assert texts[1] == f"split by hand: 2 facts moved to story {new_id}"
    assert texts[2].startswith(f"merged by hand with story {second}")
    assert "renamed by hand" in by_id[first]["headline"]
    assert by_id[second]["merged"]["into"] == first
    assert by_id[new_id]["new_story"]["events"] == 2
    page = (await ds.client.get("/-/changes?since=2020-01-01")).text
    assert "Renamed by hand from" in page and HOSTILE not in page and html.escape(HOSTILE) in page
    card = (await ds.client.get(f"/-/story/{first}.json")).json()
    assert any(c["text"].startswith("split by hand") for c in card["changes"])
    page = await ds.client.get(f"/-/story/{first}")  # a card mixing runs and edits by hand
    assert page.status_code == 200 and '<h3 class="kb-card-run">By hand, ' in page.text
    assert '<h3 class="kb-card-run">Run 1, ' in page.text
