"""The event page at /-/event/{id} (and .json): its reports, status history, scores in words, storyline."""

from __future__ import annotations

from datasette import hookimpl

from datasette_plugins.event_queries import EVENT_COLUMNS, decorate_events, event_json
from datasette_plugins.formatting import safe_url
from datasette_plugins.params import BadParameter, parse_id
from datasette_plugins.responses import (
    error_response,
    html_response,
    json_response,
    kb_database,
    wants_json,
)
from datasette_plugins.score_words import explain_scores, explain_text
from kb.dates.labels import format_date

REPORTS_SHOWN = 200
# The storyline shows this many of the story's events on each side of this one.
STORYLINE_SIDE = 5


async def event_reports(db, event_id: int) -> list[dict]:
    """Every article reporting the event, oldest first, with its source and whether it is independent."""
    rows = [dict(r) for r in (await db.execute(
        f"""SELECT article_id, title, url, published_at, source, first_party, hedged, negated, denial,
                   attributed_to, sentence, original_article_id, independent
            FROM event_reports WHERE event_id = ?
            ORDER BY coalesce(published_at, '9999'), article_id LIMIT {REPORTS_SHOWN}""", [event_id])).rows]
    for row in rows:
        row["url"] = safe_url(row["url"])
        published = (row["published_at"] or "")[:10]
        row["date_label"] = format_date(published) if published else "date unknown"
        row["independent"] = bool(row["independent"])
        row["first_party"] = bool(row["first_party"])
    return rows


async def status_history(db, event_id: int) -> list[dict]:
    """Each status change, oldest first, with its reason and the article that caused it."""
    return [dict(r) for r in (await db.execute(
        """SELECT h.at, h.old_status, h.new_status, h.reason, h.article_id, a.title AS article_title
           FROM event_history h LEFT JOIN articles a ON a.id = h.article_id
           WHERE h.event_id = ? ORDER BY h.at, h.id""", [event_id])).rows]


async def storyline(db, event_id: int, stories: list[dict]) -> list[dict]:
    """For each story of the event, its events around this one in date order."""
    lines = []
    for story in stories:
        rows = [dict(r) for r in (await db.execute(
            """SELECT e.id, e.type, e.date, e.date_mod, e.sort_date, e.summary, e.sentence
               FROM story_events se JOIN events e ON e.id = se.event_id
               WHERE se.story_id = ? AND (e.status != 'superseded' OR e.id = ?)
               ORDER BY e.sort_date, e.id""", [story["id"], event_id])).rows]
        at = next((i for i, r in enumerate(rows) if r["id"] == event_id), 0)
        shown = rows[max(0, at - STORYLINE_SIDE): at + STORYLINE_SIDE + 1]
        for row in shown:
            row["date_label"] = format_date(row["date"], row["date_mod"]) if row["date"] else "date unknown"
            row["current"] = row["id"] == event_id
        lines.append({"story": story, "events": shown, "total": len(rows),
                      "before": max(0, at - STORYLINE_SIDE),
                      "after": max(0, len(rows) - (at + STORYLINE_SIDE + 1))})
    return lines


async def event_profile(db, event_id: int) -> dict | None:
    """Everything the event page shows, or None when there is no such event."""
    rows = [dict(r) for r in (await db.execute(
        f"SELECT {EVENT_COLUMNS}, e.superseded_by, e.updated_at FROM events e "
        "WHERE e.id = ?", [event_id])).rows]
    if not rows:
        return None
    event = (await decorate_events(db, rows))[0]
    return {"event": event, "reports": await event_reports(db, event_id),
            "history": await status_history(db, event_id),
            "scores": explain_scores(event["score_components"]),
            "storylines": await storyline(db, event_id, event["stories"])}


async def event_view(datasette, request):
    """Serve an event as HTML or JSON; 400 for a malformed id, 404 for an unknown one."""
    db = kb_database(datasette)
    try:
        event_id = parse_id(request.url_vars["id"], "id")
    except BadParameter as exc:
        return await error_response(datasette, request, 400, f"event {exc.message}", "id")
    profile = await event_profile(db, event_id)
    if profile is None:
        return await error_response(datasette, request, 404, f"no event has id {event_id}")
    if wants_json(request):
        event = profile["event"]
        return json_response({
            "ok": True,
            "event": {**event_json(event), "superseded_by": event["superseded_by"]},
            "reports": profile["reports"],
            "history": profile["history"],
            "scores": explain_text(event["score_components"]),
            "storylines": [{"story": line["story"], "events": [
                {k: e[k] for k in ("id", "type", "date_label", "summary", "current")}
                for e in line["events"]]} for line in profile["storylines"]],
        })
    return await html_response(datasette, request, "kb_event.html", profile)


@hookimpl
def register_routes():
    return [(r"^/-/event/(?P<id>[^/]+?)(?P<format>\.json)?$", event_view)]
