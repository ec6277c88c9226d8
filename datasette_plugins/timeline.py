"""The /-/timeline page and /-/timeline.json: events on a time axis, newest first, with filters."""

from __future__ import annotations

from urllib.parse import urlencode

from datasette import hookimpl

from datasette_plugins.event_queries import (
    decorate_events,
    event_json,
    group_by_month,
    select_events,
)
from datasette_plugins.params import EVENT_TYPES, BadParameter, parse_timeline_filters
from datasette_plugins.responses import (
    error_response,
    html_response,
    json_response,
    kb_database,
    wants_json,
)


async def filter_labels(db, filters) -> dict:
    """Names of the story and entity a timeline is filtered by; unknown ids are a bad parameter."""
    labels = {}
    if filters.story is not None:
        rows = (await db.execute("SELECT title FROM stories WHERE id = ?", [filters.story])).rows
        if not rows:
            raise BadParameter("story", f"no story has id {filters.story}")
        labels["story"] = rows[0][0]
    if filters.entity is not None:
        rows = (await db.execute("SELECT name FROM entities WHERE id = ?", [filters.entity])).rows
        if not rows:
            raise BadParameter("entity", f"no entity has id {filters.entity}")
        labels["entity"] = rows[0][0]
    return labels


async def timeline_view(datasette, request):
    """Serve the timeline as HTML or JSON, or a 400 naming the bad parameter."""
    db = kb_database(datasette)
    try:
        filters = parse_timeline_filters(request.args)
        labels = await filter_labels(db, filters)
    except BadParameter as exc:
        return await error_response(datasette, request, 400, str(exc), exc.parameter)
    rows, next_cursor = await select_events(db, filters)
    events = await decorate_events(db, rows)
    query = filters.as_query()
    feed_query = {k: v for k, v in query.items() if k != "size"}
    next_url = None
    if next_cursor:
        next_url = "?" + urlencode({**query, "next": f"{next_cursor[0]},{next_cursor[1]}"})
    if wants_json(request):
        return json_response({
            "ok": True,
            "filters": query,
            "count": len(events),
            "events": [event_json(e) for e in events],
            "next": f"{next_cursor[0]},{next_cursor[1]}" if next_cursor else None,
            "next_url": datasette.urls.path("/-/timeline.json" + next_url) if next_url else None,
        })
    return await html_response(datasette, request, "kb_timeline.html", {
        "filters": filters,
        "query": query,
        "labels": labels,
        "groups": group_by_month(events),
        "count": len(events),
        "event_types": EVENT_TYPES,
        "next_url": next_url,
        "json_url": "/-/timeline.json" + ("?" + urlencode(query) if query else ""),
        "feed_url": "/-/timeline.atom" + ("?" + urlencode(feed_query) if feed_query else ""),
        "csv_url": "/-/timeline.csv" + ("?" + urlencode(feed_query) if feed_query else ""),
    })


@hookimpl
def register_routes():
    return [(r"^/-/timeline(?P<format>\.json)?$", timeline_view)]
