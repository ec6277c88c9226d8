"""Exports people use: a story card as Markdown (/-/story/{id}.md, the same text as
`kb stories show --format markdown`), a timeline selection as CSV (/-/timeline.csv, with every
filter of /-/timeline) and an entity's facts as CSV (/-/entity/{id}.csv).

CSV rows are the timeline's events newest first, up to CSV_MAX_ROWS; a cell that a spreadsheet
would read as a formula (starting with = + - @) is written with a leading apostrophe.
"""

from __future__ import annotations

import csv
import io

import sqlite_utils
from datasette import hookimpl
from datasette.utils.asgi import Response

from datasette_plugins.event_queries import decorate_events, select_events
from datasette_plugins.params import BadParameter, parse_id, parse_timeline_filters
from datasette_plugins.responses import error_response, kb_database
from datasette_plugins.timeline import filter_labels
from kb.core.errors import NotFound
from kb.stories.card_text import render_markdown
from kb.stories.cards import story_card

CSV_MAX_ROWS = 10_000
CSV_PAGE = 500
CSV_COLUMNS = ("id", "date", "date_label", "date_precision", "type", "status", "importance", "confidence",
               "mentions", "sources", "summary", "sentence", "stories", "entities", "first_source",
               "first_source_url", "page")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """The value as CSV text, never read as a formula by a spreadsheet."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_row(event: dict, absolute_path) -> list[str]:
    first = event["articles"][0] if event["articles"] else {}
    values = {
        **event,
        "date_precision": event["precision_label"],
        "stories": "; ".join(s["title"] for s in event["stories"]),
        "entities": "; ".join(e["name"] for e in event["entities"]),
        "first_source": first.get("source"),
        "first_source_url": first.get("url"),
        "page": absolute_path(f"/-/event/{event['id']}"),
    }
    return [safe_cell(values.get(column)) for column in CSV_COLUMNS]


async def events_csv(datasette, request, args, filename: str) -> Response:
    """The selection `args` names, as CSV; 400 for a bad filter."""
    db = kb_database(datasette)
    try:
        filters = parse_timeline_filters(args)
        await filter_labels(db, filters)
    except BadParameter as exc:
        return await error_response(datasette, request, 400, str(exc), exc.parameter)
    filters.size = CSV_PAGE

    def absolute(path: str) -> str:
        return datasette.absolute_url(request, datasette.urls.path(path))

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    written = 0
    while written < CSV_MAX_ROWS:
        rows, cursor = await select_events(db, filters)
        for event in await decorate_events(db, rows):
            writer.writerow(csv_row(event, absolute))
        written += len(rows)
        if cursor is None:
            break
        filters.cursor = cursor
    return Response(out.getvalue(), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


async def timeline_csv_view(datasette, request):
    """/-/timeline.csv?{the timeline's filters}."""
    return await events_csv(datasette, request, request.args, "timeline.csv")


class EntityArgs:
    """The request's filters with the entity of the path added."""

    def __init__(self, args, entity_id: int):
        self.args, self.entity = args, str(entity_id)

    def getlist(self, name: str) -> list[str]:
        return [self.entity] if name == "entity" else self.args.getlist(name)


async def entity_csv_view(datasette, request):
    """/-/entity/{id}.csv: the entity's facts, newest first (timeline filters apply)."""
    try:
        entity_id = parse_id(request.url_vars["id"], "id")
        if request.args.getlist("entity"):
            raise BadParameter("entity", "the entity is the one in the path")
    except BadParameter as exc:
        return await error_response(datasette, request, 400, f"entity {exc.message}", exc.parameter)
    db = kb_database(datasette)
    if not (await db.execute("SELECT 1 FROM entities WHERE id = ?", [entity_id])).rows:
        return await error_response(datasette, request, 404, f"no entity has id {entity_id}")
    args = EntityArgs(request.args, entity_id)
    return await events_csv(datasette, request, args, f"entity-{entity_id}.csv")


async def story_markdown_view(datasette, request):
    """/-/story/{id}.md: the story card as Markdown; 400 for a malformed id, 404 for an unknown one."""
    try:
        story_id = parse_id(request.url_vars["id"], "id")
    except BadParameter as exc:
        return await error_response(datasette, request, 400, f"story {exc.message}", "id")

    def render(conn) -> tuple[str | None, str | None]:
        try:
            return render_markdown(story_card(sqlite_utils.Database(conn), story_id)), None
        except NotFound as exc:
            return None, str(exc)

    text, missing = await kb_database(datasette).execute_fn(render)
    if text is None:
        return await error_response(datasette, request, 404, missing or f"no story has id {story_id}")
    return Response(text, content_type="text/markdown; charset=utf-8")


@hookimpl
def register_routes():
    return [
        (r"^/-/timeline\.csv$", timeline_csv_view),
        (r"^/-/entity/(?P<id>[^/]+?)\.csv$", entity_csv_view),
        (r"^/-/story/(?P<id>[^/]+?)\.md$", story_markdown_view),
    ]
