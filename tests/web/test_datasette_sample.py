"""The pages on a knowledge base built by the real `kb ingest` from the bundled sample corpus."""

from __future__ import annotations

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
