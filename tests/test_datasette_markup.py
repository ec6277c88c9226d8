"""Article markup never goes live on Datasette's own pages: overviews and crafted queries show text."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

import pytest

from kb.cli.serving import build_datasette

TRACKER = "https://tracker.example/p.gif"
PHISH = "https://phish.example/login"
HOSTILE_OVERVIEW = (f"Microsoft said <img src={TRACKER}> it shipped [the model]({PHISH}) "
                    "and <a href=javascript:alert(1)>more</a> ![pixel](https://tracker.example/q.gif)")


def assert_no_live_markup(page: str) -> None:
    assert "<img" not in page
    assert 'href="https://phish.example' not in page
    assert "href=https://phish.example" not in page
    assert "javascript:" not in page.replace("javascript:alert(1)&gt;", "")


@pytest.fixture
async def hostile_overview_datasette(generated_kb: Path, tmp_path: Path):
    """The generated knowledge base copied, with one story's overview built from hostile article text."""
    copy = tmp_path / "kb.db"
    source, target = sqlite3.connect(generated_kb), sqlite3.connect(copy)
    source.backup(target)
    source.close()
    story_id = target.execute("SELECT min(id) FROM stories WHERE status != 'merged'").fetchone()[0]
    target.execute("UPDATE stories SET overview = ? WHERE id = ?", (HOSTILE_OVERVIEW, story_id))
    target.commit()
    target.close()
    ds = build_datasette(copy)
    await ds.invoke_startup()
    return ds, story_id


async def test_story_overview_is_shown_as_text_on_datasette_table_pages(hostile_overview_datasette):
    ds, story_id = hostile_overview_datasette
    for path in ("/kb/stories", f"/kb/stories/{story_id}", "/kb/story_cards", "/kb/stories?_size=max"):
        response = await ds.client.get(path)
        assert response.status_code == 200, path
        assert_no_live_markup(response.text)
        assert f"&lt;img src={TRACKER}&gt;" in response.text, path


@pytest.mark.parametrize("column", ["overview", "notes_markdown"])
async def test_a_crafted_query_cannot_render_markup(kb_datasette, column):
    sql = f"select '{HOSTILE_OVERVIEW}' as {column}"
    response = await kb_datasette.client.get("/kb?sql=" + quote(sql))
    assert response.status_code == 200
    assert_no_live_markup(response.text)
    assert f"&lt;img src={TRACKER}&gt;" in response.text


async def test_no_markup_rendering_without_the_metadata_file_either(generated_kb):
    from datasette.app import Datasette

    ds = Datasette([str(generated_kb)])
    await ds.invoke_startup()
    sql = f"select '{HOSTILE_OVERVIEW}' as notes_markdown, '{HOSTILE_OVERVIEW}' as overview"
    response = await ds.client.get(f"/{generated_kb.stem}?sql=" + quote(sql))
    assert response.status_code == 200
    assert_no_live_markup(response.text)
