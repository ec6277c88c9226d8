"""The pages on a knowledge base built by the real `kb ingest` from the bundled sample corpus."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli.main import cli

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
    for path in paths:
        response = await sample_datasette.client.get(path)
        assert response.status_code == 200, (path, response.text[:300])


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
