"""The story card at /-/story/{id} (and .json): the card of kb/stories/cards.py (heading, scores,
summary, overview, fact sheets, strategic context, competitive implications, legal watch, key
facts, what changed, sources), with the story's activity chart and feed link.

The .json form is exactly the dict `kb stories show ID --format json` prints: both come from
`story_card`, run here on Datasette's read connection through `db.execute_fn`.
"""

from __future__ import annotations

import sqlite_utils
from datasette import hookimpl
from datasette.utils.asgi import Response

from datasette_plugins.charts import activity_chart
from datasette_plugins.formatting import month_label
from datasette_plugins.params import BadParameter, parse_id
from datasette_plugins.responses import (
    error_response,
    html_response,
    json_response,
    kb_database,
    wants_json,
)
from datasette_plugins.score_words import score_summaries
from datasette_plugins.story_queries import story_counts
from kb.core.errors import NotFound
from kb.stories.card_text import FIELD_LABELS
from kb.stories.cards import story_card
from kb.stories.storylines import resolve_story_id


def change_batches(changes: list[dict]) -> list[list[dict]]:
    """The card's changes (newest first) in consecutive batches of one run or one edit by hand."""
    batches: list[list[dict]] = []
    for change in changes:
        if not batches or batches[-1][0]["batch"] != change["batch"]:
            batches.append([])
        batches[-1].append(change)
    return batches


async def story_row(db, story_id: int) -> dict | None:
    """The story's row (what the page needs besides the card), or None when there is none."""
    rows = (await db.execute(
        "SELECT id, status, merged_into, updated_at, mentions FROM stories WHERE id = ?", [story_id])).rows
    return dict(rows[0]) if rows else None


async def load_card(db, story_id: int) -> dict:
    """The story card, composed on the read connection (NotFound for a missing or merged story)."""
    return await db.execute_fn(lambda conn: story_card(sqlite_utils.Database(conn), story_id))


async def story_view(datasette, request):
    """Serve a story card as HTML or JSON; 400 for a malformed id, 404 for an unknown one, and a
    redirect from a story merged into another to that one."""
    db = kb_database(datasette)
    try:
        story_id = parse_id(request.url_vars["id"], "id")
    except BadParameter as exc:
        return await error_response(datasette, request, 400, f"story {exc.message}", "id")
    story = await story_row(db, story_id)
    if story is None:
        return await error_response(datasette, request, 404, f"no story has id {story_id}")
    if story["status"] == "merged":  # a merged id keeps leading to the story it joined, through later merges
        target = await db.execute_fn(lambda conn: resolve_story_id(sqlite_utils.Database(conn), story_id))
        if target is not None and target != story_id:
            suffix = ".json" if wants_json(request) else ""
            query = f"?{request.query_string}" if request.query_string else ""
            return Response.redirect(datasette.urls.path(f"/-/story/{target}{suffix}") + query)
    try:
        card = await load_card(db, story_id)
    except NotFound as exc:
        return await error_response(datasette, request, 404, str(exc))
    if wants_json(request):
        return json_response(card)
    _, _, by_month = await story_counts(db, story, {})
    activity = {m: sum(c.values()) for m, c in sorted(by_month.items())}
    months = sorted(activity)
    return await html_response(datasette, request, "kb_story.html", {
        "card": card,
        "why": score_summaries(card.get("score_components")),
        "change_batches": change_batches(card.get("changes") or []),
        "chart": activity_chart(activity, width=640, height=120) if months else None,
        "first_month": month_label(months[0]) if months else None,
        "last_month": month_label(months[-1]) if months else None,
        "field_labels": FIELD_LABELS,
    })


@hookimpl
def register_routes():
    return [(r"^/-/story/(?P<id>[^/]+?)(?P<format>\.json)?(?<!\.md)$", story_view)]
