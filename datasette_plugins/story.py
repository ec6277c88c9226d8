"""The story card at /-/story/{id} (and .json): overview, key facts, sections by type, timeline, sources."""

from __future__ import annotations

from datasette import hookimpl

from datasette_plugins.charts import activity_chart
from datasette_plugins.event_queries import (
    decorate_events,
    event_json,
    group_by_month,
    placeholders,
    select_events,
)
from datasette_plugins.formatting import month_label, score_labels
from datasette_plugins.params import EVENT_TYPES, BadParameter, TimelineFilters, parse_id
from datasette_plugins.responses import (
    error_response,
    html_response,
    json_response,
    kb_database,
    wants_json,
)
from datasette_plugins.story_queries import key_fact_rows, story_counts

TIMELINE_SIZE = 50
KEY_FACTS = 5
SECTION_SIZE = 3


async def story_profile(db, story_id: int) -> dict | None:
    """Everything the story card shows, or None when there is no such story."""
    rows = (await db.execute("SELECT * FROM stories WHERE id = ?", [story_id])).rows
    if not rows:
        return None
    story = dict(rows[0])
    story.update(score_labels(story))
    memo: dict = {}
    by_type, by_source, by_month = await story_counts(db, story, memo)
    story["event_count"] = sum(by_type.values())
    sources = []
    if by_source:
        ids = list(by_source)
        for sid, name, first_party in (await db.execute(
                f"SELECT id, name, first_party FROM sources WHERE id IN ({placeholders(ids)})", ids)).rows:
            sources.append({"id": sid, "name": name, "first_party": bool(first_party),
                            "events": by_source[sid]})
    sources.sort(key=lambda s: (-s["events"], s["name"]))
    timeline_rows, next_cursor = await select_events(
        db, TimelineFilters(story=story_id, size=TIMELINE_SIZE), memo)
    facts = await key_fact_rows(db, story_id, KEY_FACTS, memo)
    section_rows: dict[str, list[dict]] = {}
    for etype in EVENT_TYPES:
        if by_type.get(etype):
            section_rows[etype], _ = await select_events(
                db, TimelineFilters(story=story_id, types=[etype], size=SECTION_SIZE), memo)
    decorated = {e["id"]: e for e in await decorate_events(
        db, unique_rows(timeline_rows + facts + [r for rs in section_rows.values() for r in rs]))}
    timeline = [decorated[r["id"]] for r in timeline_rows]
    return {
        "story": story,
        "key_facts": [decorated[r["id"]] for r in facts],
        "sections": [{"type": t, "count": by_type[t], "events": [decorated[r["id"]] for r in rs]}
                     for t, rs in section_rows.items()],
        "timeline": timeline,
        "groups": group_by_month(timeline),
        "more_events": next_cursor is not None,
        "sources": sources,
        "activity": {m: dict(c) for m, c in sorted(by_month.items())},
    }


def unique_rows(rows: list[dict]) -> list[dict]:
    """Rows with duplicate ids removed, first occurrence kept."""
    seen: dict[int, dict] = {}
    for row in rows:
        seen.setdefault(row["id"], row)
    return list(seen.values())


async def story_view(datasette, request):
    """Serve a story card as HTML or JSON; 400 for a malformed id, 404 for an unknown one."""
    db = kb_database(datasette)
    try:
        story_id = parse_id(request.url_vars["id"], "id")
    except BadParameter as exc:
        return await error_response(datasette, request, 400, f"story {exc.message}", "id")
    profile = await story_profile(db, story_id)
    if profile is None:
        return await error_response(datasette, request, 404, f"no story has id {story_id}")
    story = profile["story"]
    if wants_json(request):
        return json_response({
            "ok": True,
            "story": {k: story[k] for k in ("id", "title", "overview", "status", "importance",
                                            "confidence", "importance_pct", "confidence_pct",
                                            "mentions", "first_seen", "updated_at", "merged_into",
                                            "event_count")},
            "key_facts": [event_json(e) for e in profile["key_facts"]],
            "sections": [{"type": s["type"], "count": s["count"],
                          "events": [event_json(e) for e in s["events"]]} for s in profile["sections"]],
            "timeline": [event_json(e) for e in profile["timeline"]],
            "sources": profile["sources"],
            "activity": profile["activity"],
        })
    months = sorted(profile["activity"])
    chart = activity_chart({m: sum(c.values()) for m, c in profile["activity"].items()},
                           width=640, height=120) if months else None
    return await html_response(datasette, request, "kb_story.html", {
        **profile,
        "chart": chart,
        "first_month": month_label(months[0]) if months else None,
        "last_month": month_label(months[-1]) if months else None,
    })


@hookimpl
def register_routes():
    return [(r"^/-/story/(?P<id>[^/]+?)(?P<format>\.json)?(?<!\.md)$", story_view)]
