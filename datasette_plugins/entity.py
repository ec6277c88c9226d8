"""The entity profile at /-/entity/{id} (and .json): aliases, events on a timeline, co-occurring entities."""

from __future__ import annotations

from datasette import hookimpl

from datasette_plugins.event_queries import (
    decorate_events,
    event_json,
    group_by_month,
    select_events,
)
from datasette_plugins.params import BadParameter, TimelineFilters, parse_id
from datasette_plugins.responses import (
    error_response,
    html_response,
    json_response,
    kb_database,
    wants_json,
)
from datasette_plugins.story_queries import story_event_counts

TIMELINE_SIZE = 50
# Co-occurrence and stories are counted over the entity's most recently recorded events,
# so a hub entity (Microsoft appears in half of everything) stays cheap to show.
RECENT_EVENTS = 2000
RELATED_SIZE = 20


async def entity_profile(db, entity_id: int) -> dict | None:
    """Everything the entity page shows, or None when there is no such entity."""
    rows = (await db.execute("SELECT * FROM entities WHERE id = ?", [entity_id])).rows
    if not rows:
        return None
    entity = dict(rows[0])
    aliases = [r[0] for r in (await db.execute(
        "SELECT alias FROM entity_aliases WHERE entity_id = ? ORDER BY alias", [entity_id])).rows]
    # Distinct events: an entity with two roles in one event (buyer and product) counts it once.
    recent = f"""SELECT DISTINCT ee.event_id FROM event_entities ee JOIN events e ON e.id = ee.event_id
                 WHERE ee.entity_id = :id AND e.status != 'superseded'
                 ORDER BY ee.event_id DESC LIMIT {RECENT_EVENTS}"""
    related = [dict(r) for r in (await db.execute(
        f"""SELECT en.id, en.name, en.type, count(DISTINCT ee.event_id) AS events
            FROM ({recent}) recent JOIN event_entities ee ON ee.event_id = recent.event_id
            JOIN entities en ON en.id = ee.entity_id
            WHERE ee.entity_id != :id GROUP BY en.id ORDER BY events DESC, en.name LIMIT {RELATED_SIZE}""",
        {"id": entity_id})).rows]
    stories = [dict(r) for r in (await db.execute(
        f"""SELECT s.id, s.title, s.importance, count(DISTINCT se.event_id) AS with_entity
            FROM ({recent}) recent JOIN story_events se ON se.event_id = recent.event_id
            JOIN stories s ON s.id = se.story_id
            GROUP BY s.id ORDER BY with_entity DESC, s.importance DESC LIMIT {RELATED_SIZE}""",
        {"id": entity_id})).rows]
    totals = await story_event_counts(db, [s["id"] for s in stories])
    for story in stories:  # the story's own count, the same on every page
        story["events"] = totals[story["id"]]
    mention_count = (await db.execute(
        "SELECT count(*) FROM (SELECT 1 FROM mentions WHERE entity_id = ? LIMIT 100000)",
        [entity_id])).rows[0][0]
    rows, next_cursor = await select_events(db, TimelineFilters(entity=entity_id, size=TIMELINE_SIZE))
    timeline = await decorate_events(db, rows)
    return {"entity": entity, "aliases": aliases, "related": related, "stories": stories,
            "mention_count": mention_count, "timeline": timeline,
            "groups": group_by_month(timeline), "more_events": next_cursor is not None,
            "recent_window": RECENT_EVENTS}


async def entity_view(datasette, request):
    """Serve an entity profile as HTML or JSON; 400 for a malformed id, 404 for an unknown one."""
    db = kb_database(datasette)
    try:
        entity_id = parse_id(request.url_vars["id"], "id")
    except BadParameter as exc:
        return await error_response(datasette, request, 400, f"entity {exc.message}", "id")
    profile = await entity_profile(db, entity_id)
    if profile is None:
        return await error_response(datasette, request, 404, f"no entity has id {entity_id}")
    if wants_json(request):
        entity = profile["entity"]
        return json_response({
            "ok": True,
            "entity": {k: entity.get(k) for k in ("id", "name", "type", "status", "description",
                                                  "wikidata_id", "first_seen_at")},
            "aliases": profile["aliases"],
            "mentions": profile["mention_count"],
            "co_occurring": profile["related"],
            "stories": profile["stories"],
            "timeline": [event_json(e) for e in profile["timeline"]],
        })
    return await html_response(datasette, request, "kb_entity.html", profile)


@hookimpl
def register_routes():
    return [(r"^/-/entity/(?P<id>[^/]+?)(?P<format>\.json)?(?<!\.csv)$", entity_view)]
