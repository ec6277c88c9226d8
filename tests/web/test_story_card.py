"""The story card page /-/story/{id} through Datasette's own test client: the card's sections in
order, citations and fact-sheet fields linking to their articles and events, the .json equal to
`kb stories show ID --format json` (the real command), escaped article text, 400/404/redirects."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from kb.cli.serving import build_datasette
from tests.loopback import LoopbackServer
from tests.stories.test_card_example import example_db, example_story  # noqa: F401 (a fixture)

HOSTILE = Path(__file__).resolve().parent.parent / "fixtures" / "card_hostile"
KB = Path(sys.executable).parent / "kb"
SECTIONS = ["Overview", "Fact sheet: MAI-Image-2-Efficient", "Strategic context", "Competitive implications",
            "Legal &amp; licensing watch", "Key facts", "What changed", "Sources"]


async def client_for(db_path: Path):
    ds = build_datasette(db_path)
    await ds.invoke_startup()
    return ds.client


def run_kb_json(db_path: Path, *args: str):
    result = subprocess.run([str(KB), "--db", str(db_path), *args], capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


async def test_story_page_shows_the_card_in_order(example_db):  # noqa: F811
    story_id = example_story(example_db)
    client = await client_for(example_db)
    response = await client.get(f"/-/story/{story_id}")
    assert response.status_code == 200
    html = response.text
    card = run_kb_json(example_db, "stories", "show", str(story_id), "--format", "json")
    assert "Developing Story" in html and f"<h1>{card['title'].replace(chr(39), '&#39;')}</h1>" in html
    scores = re.sub(r"\s+", " ", re.search(r'<p class="kb-card-scores">(.*?)</p>', html, re.S).group(1))
    assert scores == (f"Importance {card['importance_pct']} · Confidence {card['confidence_pct']} · "
                      f"Mentions {card['mentions']} · Updated {card['updated_display']} · {card['status']}")
    at = [html.find(f"<h2>{s}") for s in SECTIONS]
    assert all(a > 0 for a in at) and at == sorted(at), dict(zip(SECTIONS, at, strict=True))
    # the overview cites "(Outlet, Apr 14)", each citation a link to its article
    overview = html[at[0]:at[1]]
    cites = re.findall(r'<a class="kb-cite" title="[^"]*" href="/-/article/(\d+)">(\([^)]+, [A-Z][a-z]{2} \d+\))</a>',
                       overview)
    assert cites and {int(a) for a, _ in cites} <= {s["article_id"] for s in card["sources"]}
    # every fact-sheet field links to its event (or, for a sentence of an article, the article)
    sheet = html[at[1]:at[2]]
    rows = re.findall(r"<dt>(.*?)</dt>\s*<dd>(.*?)</dd>", sheet, re.S)
    assert {"Released", "Maker", "Platforms", "Price", "Predecessor"} <= {dt for dt, _ in rows}
    assert all(re.search(r'href="/-/(event|article)/\d+"', dd) for _, dd in rows)
    released = dict(rows)["Released"]
    assert re.search(r'href="/-/event/\d+"', released)
    # each key fact once, with its date, linking to its event page
    facts = re.findall(r'<a class="kb-fact-date" href="/-/event/(\d+)">', html[at[5]:at[6]])
    assert [int(f) for f in facts] == [f["event_id"] for f in card["key_facts"]]
    for event_id in facts[:2]:
        assert (await client.get(f"/-/event/{event_id}")).status_code == 200
    assert f'href="/-/timeline.atom?story={story_id}"' in html
    assert '<svg class="kb-chart kb-activity"' in html


async def test_story_json_is_the_kb_stories_show_json(example_db):  # noqa: F811
    story_id = example_story(example_db)
    client = await client_for(example_db)
    response = await client.get(f"/-/story/{story_id}.json")
    assert response.status_code == 200
    assert response.json() == run_kb_json(example_db, "stories", "show", str(story_id), "--format", "json")


async def test_bad_unknown_and_merged_stories(example_db):  # noqa: F811
    story_id = example_story(example_db)
    client = await client_for(example_db)
    assert (await client.get("/-/story/abc")).status_code == 400
    missing = await client.get("/-/story/999999.json")
    assert missing.status_code == 404 and missing.json()["error"] == "no story has id 999999"
    other = sqlite3.connect(example_db).execute(
        "SELECT id FROM stories WHERE id != ? AND status != 'merged' ORDER BY id LIMIT 1", [story_id]).fetchone()[0]
    conn = sqlite3.connect(example_db)
    with conn:
        conn.execute("UPDATE stories SET status = 'merged', merged_into = ? WHERE id = ?", [story_id, other])
    conn.close()
    for suffix in ("", ".json"):
        moved = await client.get(f"/-/story/{other}{suffix}")
        assert moved.status_code == 302 and moved.headers["location"] == f"/-/story/{story_id}{suffix}"


@pytest.fixture
def hostile_db(run_kb, db_path, tmp_path):
    """One article whose headline, evidence sentence and quote carry markup, served on loopback."""
    with LoopbackServer(HOSTILE) as server:
        sources = tmp_path / "hostile.toml"
        sources.write_text(f'allow_private_addresses = true\n\n[[source]]\nname = "Hostile <i>Wire</i>"\n'
                           f'url = "{server.url("/feed.xml")}"\nreliability = 0.8\n')
        result = run_kb("ingest", "--sources", str(sources))
        assert result.exit_code == 0, result.output
    return db_path


async def test_article_text_on_the_card_is_escaped(hostile_db):
    conn = sqlite3.connect(hostile_db)
    story_id, title = conn.execute("SELECT id, title FROM stories ORDER BY importance DESC LIMIT 1").fetchone()
    stored = " ".join(r[0] for r in conn.execute("SELECT title || ' ' || text FROM articles"))
    conn.close()
    assert '<script>alert("card")</script>' in stored and "<img src=x onerror=alert(2)>" in stored
    html = (await (await client_for(hostile_db)).get(f"/-/story/{story_id}")).text
    body = html[html.index('<article class="kb-story-card"'):html.index("</article>")]
    for raw in ("<script", "<img src=x", "<b onmouseover", "<i>Wire"):
        assert raw not in body, raw
    assert "&lt;img src=x onerror=alert(2)&gt;" in body  # shown as text, in the evidence sentence
    assert "&lt;script&gt;alert(&#34;card&#34;)&lt;/script&gt;" in body  # the headline in Sources

