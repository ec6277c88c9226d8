"""What looked broken on the pages: chart axes and one-bar sparklines, date words on event cards,
one count of a story's events, the home page's story dates."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from datasette_plugins.charts import activity_chart, main_window, stacked_chart


def test_a_one_month_sparkline_is_one_bar_wide_not_the_whole_width():
    chart = activity_chart({"2026-04": 3})
    assert len(chart["bars"]) == 1 and chart["bars"][0]["w"] <= chart["width"] / 10


def test_the_axis_spans_the_months_where_the_events_sit():
    counts = {"2014-03": {"release": 1}, "2019-07": {"legal": 1}}
    counts.update({f"2025-{m:02d}": {"release": 10} for m in range(1, 13)})
    counts.update({f"2026-{m:02d}": {"pricing": 10} for m in range(1, 5)})
    assert main_window(counts) == ("2025-01", "2026-04")
    shown = {m: c for m, c in counts.items() if "2025-01" <= m}
    labels = [label["text"] for label in stacked_chart(shown)["labels"]]
    assert labels[0] == "Jan 2025" and "Jan 2026" in labels and not any("2014" in t for t in labels)


async def test_charts_page_leaves_far_outliers_out_and_links_to_all(kb_datasette):
    page = (await kb_datasette.client.get("/-/charts")).text
    assert "/-/charts?from=" in page or "left out" not in page


async def test_event_cards_say_dates_in_words(kb_datasette):
    data = (await kb_datasette.client.get("/-/timeline.json?size=500")).json()
    labels = {e["precision"]: e["precision_label"] for e in data["events"]}
    assert labels.get("day", "exact date") == "exact date"
    assert all(not e["date_label"].startswith("undated") for e in data["events"])
    page = (await kb_datasette.client.get("/-/timeline?size=500")).text
    chips = set(re.findall(r'<span class="kb-precision">([^<]+)</span>', page))
    assert chips and chips <= {"exact date", "month only", "quarter only", "season only", "year only"}
    assert 'title="precision:' not in page
    search = (await kb_datasette.client.get("/-/search?q=model")).text
    assert not re.search(r">event \d+</a>", search)


async def test_a_story_has_one_event_count_on_every_page(kb_datasette, generated_kb: Path):
    conn = sqlite3.connect(generated_kb)
    live = dict(conn.execute(
        "SELECT se.story_id, count(*) FROM story_events se JOIN events e ON e.id = se.event_id "
        "WHERE e.status != 'superseded' GROUP BY se.story_id").fetchall())
    entity = conn.execute("SELECT entity_id FROM event_entities GROUP BY entity_id ORDER BY count(*) DESC "
                          "LIMIT 1").fetchone()[0]
    conn.close()
    entity_page = (await kb_datasette.client.get(f"/-/entity/{entity}.json")).json()
    assert entity_page["stories"] and all(s["events"] == live[s["id"]] for s in entity_page["stories"])
    home = (await kb_datasette.client.get("/")).text
    for story_id, count in re.findall(r'data-story-id="(\d+)">.*?(\d+) events? ·', home, re.S):
        assert int(count) == live.get(int(story_id), 0)
    # The database says the same: the stories table and the story_cards view, and the card's JSON.
    conn = sqlite3.connect(generated_kb)
    stored = dict(conn.execute("SELECT id, events FROM stories WHERE status != 'merged'").fetchall())
    cards = dict(conn.execute("SELECT story_id, events FROM story_cards").fetchall())
    conn.close()
    assert stored == cards == {s: live.get(s, 0) for s in stored}
    story = max(live, key=live.get)
    card = (await kb_datasette.client.get(f"/-/story/{story}.json")).json()
    assert card["events"] == live[story]


async def test_home_stories_show_the_date_of_their_latest_fact(kb_datasette, generated_kb: Path):
    conn = sqlite3.connect(generated_kb)
    story = conn.execute("SELECT id FROM stories WHERE status IN ('developing', 'ongoing') "
                         "ORDER BY importance DESC, id DESC LIMIT 1").fetchone()[0]
    before = conn.execute("SELECT activity_date FROM stories WHERE id = ?", (story,)).fetchone()[0]
    conn.execute("UPDATE stories SET activity_date = '2023-01-17' WHERE id = ?", (story,))
    conn.commit()
    try:
        home = (await kb_datasette.client.get("/")).text
    finally:
        conn.execute("UPDATE stories SET activity_date = ? WHERE id = ?", (before, story))
        conn.commit()
        conn.close()
    card = home[home.index(f'data-story-id="{story}"'):][:3000]
    assert "latest fact January 17, 2023" in card and "updated 20" not in home
