"""Bad query-string values get a 400 naming the parameter; article-derived text is escaped everywhere."""

from __future__ import annotations

import re
import sqlite3

import pytest

from bench.generate_db import HOSTILE_ENTITY, HOSTILE_STORY, HOSTILE_TITLE, HOSTILE_URL
from datasette_plugins.formatting import safe_url

BAD_TIMELINE_QUERIES = [
    ("story=abc", "story"), ("story=0", "story"), ("story=99999", "story"), ("story=1&story=2", "story"),
    ("entity=-1", "entity"), ("entity=1.5", "entity"), ("entity=99999", "entity"),
    ("type=rumour", "type"), ("type=release,<script>", "type"),
    ("from=2024-13", "from"), ("from=2024-00", "from"), ("from=24", "from"),
    ("to=2023-02-30", "to"), ("to=yesterday", "to"),
    ("from=2025&to=2024", "from"),
    ("min_importance=150", "min_importance"), ("min_importance=abc", "min_importance"),
    ("min_importance=-1", "min_importance"), ("min_importance=nan", "min_importance"),
    ("q=" + "x" * 201, "q"), ("q=%21%21%21", "q"),
    ("next=garbage", "next"), ("next=2024-01-01,1;drop", "next"),
    ("size=0", "size"), ("size=100000", "size"), ("size=ten", "size"),
]


@pytest.mark.parametrize("query, parameter", BAD_TIMELINE_QUERIES)
async def test_bad_timeline_values_get_400_naming_the_parameter(kb_datasette, query, parameter):
    as_json = await kb_datasette.client.get(f"/-/timeline.json?{query}")
    assert as_json.status_code == 400
    body = as_json.json()
    assert body["ok"] is False and body["parameter"] == parameter and body["error"].startswith(parameter)
    as_html = await kb_datasette.client.get(f"/-/timeline?{query}")
    assert as_html.status_code == 400
    assert as_html.headers["content-type"].startswith("text/html")
    assert f"{parameter}:" in as_html.text and "Bad request" in as_html.text
    assert "<script>" not in as_html.text.split("<body", 1)[1].replace("<script>\ndocument", "")


@pytest.mark.parametrize("path, status", [
    ("/-/story/abc", 400), ("/-/story/0", 400), ("/-/story/99999", 404), ("/-/story/1.5.json", 400),
    ("/-/entity/x", 400), ("/-/entity/99999", 404), ("/-/article/%3Cscript%3E", 400),
    ("/-/article/99999", 404), ("/-/charts?from=2024-00", 400), ("/-/search?q=" + "y" * 300, 400),
    ("/-/search?q=%22%22", 400), ("/kb/story_feed.atom?story=abc", 400), ("/kb/story_feed.atom", 400),
])
async def test_bad_ids_and_values_elsewhere(kb_datasette, path, status):
    response = await kb_datasette.client.get(path)
    assert response.status_code == status
    if path.startswith("/-/") and not path.endswith(".json"):
        json_path = path.split("?")[0] + ".json" + ("?" + path.split("?")[1] if "?" in path else "")
        as_json = await kb_datasette.client.get(json_path)
        assert as_json.status_code == status and as_json.json()["ok"] is False


def hostile_pages(db_path) -> list[str]:
    conn = sqlite3.connect(db_path)
    story = conn.execute("SELECT id FROM stories WHERE title = ?", (HOSTILE_STORY,)).fetchone()[0]
    entity = conn.execute("SELECT id FROM entities WHERE name = ?", (HOSTILE_ENTITY,)).fetchone()[0]
    article = conn.execute("SELECT id FROM articles WHERE url = ?", (HOSTILE_URL,)).fetchone()[0]
    conn.close()
    return ["/", "/-/timeline?size=500", f"/-/timeline?entity={entity}", f"/-/timeline?story={story}",
            "/-/timeline?q=onerror", f"/-/story/{story}", f"/-/entity/{entity}", f"/-/article/{article}",
            "/-/search?q=script", "/-/search?q=onerror", "/-/charts", "/kb/articles",
            f"/kb/articles/{article}", "/kb/stories", "/kb/entities", "/kb/timeline",
            "/kb/important_events_feed.atom", f"/kb/story_feed.atom?story={story}"]


async def test_hostile_text_renders_as_text_on_every_page(kb_datasette, generated_kb):
    for path in hostile_pages(generated_kb):
        response = await kb_datasette.client.get(path)
        assert response.status_code == 200, path
        page = response.text
        assert "<script>alert" not in page, path
        assert "<img src=x onerror" not in page, path
        assert "<svg onload" not in page, path
        assert "<b onmouseover" not in page, path
        assert not re.search(r"""href=["']?\s*javascript:""", page, re.I), path
    article_page = (await kb_datasette.client.get(hostile_pages(generated_kb)[7])).text
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;" in article_page
    assert "&lt;img src=x onerror=alert(1)&gt;" in article_page
    assert HOSTILE_TITLE not in article_page


async def test_links_only_to_http_urls(kb_datasette, generated_kb):
    data = (await kb_datasette.client.get("/-/article/2.json")).json()
    assert data["article"]["url"] is None  # the javascript: URL is never offered as a link
    timeline = (await kb_datasette.client.get("/-/timeline.json?size=500")).json()
    urls = [a["url"] for e in timeline["events"] for a in e["articles"] if a["url"]]
    assert urls and all(u.startswith(("http://", "https://")) for u in urls)


@pytest.mark.parametrize("url, expected", [
    ("https://example.com/a?b=1", "https://example.com/a?b=1"),
    ("http://example.com", "http://example.com"),
    ("javascript:alert(1)", None), ("JAVASCRIPT:alert(1)", None), ("data:text/html,x", None),
    ("//example.com/x", None), ("https://", None), ("https://ex.com/\"onmouseover=x", None),
    ("ftp://example.com/f", None), (None, None), ("", None),
])
def test_safe_url(url, expected):
    assert safe_url(url) == expected
