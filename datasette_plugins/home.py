"""The home page at /: what is tracked, developing stories by importance, latest important events."""

from __future__ import annotations

from datasette import hookimpl

from datasette_plugins.changes_queries import changes_since, default_since
from datasette_plugins.event_queries import decorate_events, select_events
from datasette_plugins.formatting import score_labels
from datasette_plugins.params import TimelineFilters, percent_parameter
from datasette_plugins.responses import html_response, kb_database, plugin_setting
from datasette_plugins.score_words import score_summaries
from datasette_plugins.story_queries import story_event_counts
from kb.core.config import load_topics
from kb.core.errors import ConfigError
from kb.core.formats import percent
from kb.core.time import current_time
from kb.dates.labels import format_date

STORIES_SHOWN = 10
CHANGED_STORIES_SHOWN = 5  # in the "Since yesterday" block
EVENTS_SHOWN = 10
HIGH_IMPORTANCE = 0.7


def tracked_topics(datasette) -> list[dict]:
    """The tracked topics from topics.toml (the plugin's `topics_file` setting, else the default)."""
    path = plugin_setting(datasette, "topics_file", None)
    try:
        topics = load_topics(path) if path else load_topics()
    except ConfigError:
        return []
    return [{"name": t.name, "title": t.title, "description": t.description} for t in topics]


async def home_view(datasette, request):
    """Serve the home page."""
    db = kb_database(datasette)
    threshold = float(plugin_setting(datasette, "high_importance", HIGH_IMPORTANCE))
    stories = [dict(r) for r in (await db.execute(
        """SELECT id, title, overview, status, importance, confidence, mentions, updated_at, activity_date,
                  score_components
           FROM stories WHERE status IN ('developing', 'ongoing')
           ORDER BY importance DESC, id DESC LIMIT ?""", [STORIES_SHOWN])).rows]
    counts = await story_event_counts(db, [s["id"] for s in stories])
    for story in stories:
        story.update(score_labels(story))
        story["why"] = score_summaries(story.pop("score_components"))
        story["events"] = counts[story["id"]]
        story["latest_fact"] = format_date(story["activity_date"][:10]) if story["activity_date"] else None
    rows, _ = await select_events(db, TimelineFilters(min_importance=threshold, size=EVENTS_SHOWN))
    totals = {name: (await db.execute(f"SELECT count(*) FROM {name}")).rows[0][0]
              for name in ("events", "stories", "articles", "sources")}
    since = await default_since(db, current_time())
    changes = await changes_since(db, since, stories_shown=CHANGED_STORIES_SHOWN)
    return await html_response(datasette, request, "kb_home.html", {
        "changes": changes,
        "topics": tracked_topics(datasette),
        "stories": stories,
        "events": await decorate_events(db, rows),
        "threshold_pct": percent(threshold),
        "threshold_query": percent_parameter(threshold),
        "counts": totals,
    })


@hookimpl
def register_routes():
    return [(r"^/$", home_view)]
