"""Article markup never goes live on Datasette's own pages: overviews and crafted queries show text.

The project installs no markdown renderer, but an environment may still have one (datasette-render-markdown
stays installed when a venv is upgraded in place, and Datasette loads every installed plugin). Each test
runs with a stand-in for it registered, so the guarantee is tested whether or not the real one is there.
"""

from __future__ import annotations

import sqlite3
from fnmatch import fnmatch
from pathlib import Path
from urllib.parse import quote

import pytest
from datasette import hookimpl
from datasette.app import Datasette
from datasette.plugins import pm
from markupsafe import Markup

from kb.cli.serving import build_datasette

TRACKER = "https://tracker.example/p.gif"
PHISH = "https://phish.example/login"
HOSTILE_OVERVIEW = (f"Microsoft said <img src={TRACKER}> it shipped [the model]({PHISH}) "
                    "and <a href=javascript:alert(1)>more</a> ![pixel](https://tracker.example/q.gif)")


class MarkdownRenderer:
    """What datasette-render-markdown does with the cells its configuration claims, minus the
    markdown: the article's own HTML goes into the page (its real cleaner keeps <img> and links)."""

    __name__ = "stand_in_render_markdown"  # Datasette lists plugins by name

    @hookimpl
    def render_cell(self, value, column, table, database, datasette):
        config = datasette.plugin_config("datasette-render-markdown", database=database, table=table) or {}
        patterns = config.get("patterns")
        patterns = ["*_markdown"] if patterns is None else patterns
        if isinstance(value, str) and (column in (config.get("columns") or [])
                                       or any(fnmatch(column, p) for p in patterns)):
            return Markup(value)
        return None


@pytest.fixture(autouse=True)
def markdown_renderer():
    """A markdown renderer installed for the test, as in an environment that still has one."""
    renderer = MarkdownRenderer()
    pm.register(renderer, name="stand-in-render-markdown")
    try:
        yield renderer
    finally:
        pm.unregister(renderer)


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
    ds = Datasette([str(generated_kb)])
    await ds.invoke_startup()
    sql = f"select '{HOSTILE_OVERVIEW}' as notes_markdown, '{HOSTILE_OVERVIEW}' as overview"
    response = await ds.client.get(f"/{generated_kb.stem}?sql=" + quote(sql))
    assert response.status_code == 200
    assert_no_live_markup(response.text)


async def test_no_markup_rendering_where_a_metadata_file_asks_for_it(generated_kb):
    ds = Datasette([str(generated_kb)], metadata={
        "plugins": {"datasette-render-markdown": {"columns": ["overview", "title"]}}})
    await ds.invoke_startup()
    for path in ("/kb/stories", f"/kb?sql={quote(f'select {HOSTILE_OVERVIEW!r} as title')}"):
        response = await ds.client.get(path)
        assert response.status_code == 200, path
        assert_no_live_markup(response.text)


def test_the_stand_in_renderer_puts_article_markup_live(markdown_renderer):
    rendered = markdown_renderer.render_cell(HOSTILE_OVERVIEW, "notes_markdown", None, "kb", Datasette())
    with pytest.raises(AssertionError):
        assert_no_live_markup(str(rendered))
