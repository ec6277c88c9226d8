"""/-/changes?since=DATE (and .json, .atom): what is new since an analyst last looked, by storyline.

The default window is the last 24 hours, or since the start of the last run when that is
earlier. `min_move` (percentage points, default 5) hides smaller score moves. The records read
are story_changes and event_history (changes_queries.py).
"""

from __future__ import annotations

from urllib.parse import urlencode

from datasette import hookimpl
from datasette.utils.asgi import Response
from feedgen.feed import FeedGenerator
from markupsafe import Markup

from datasette_plugins.atom import ATOM_TYPE, SITE, url_maker, with_query
from datasette_plugins.atom_xml import SITE_AUTHOR, TAG_PREFIX
from datasette_plugins.changes_queries import (
    DEFAULT_MIN_MOVE,
    changes_since,
    default_since,
    parse_changes_args,
)
from datasette_plugins.params import BadParameter, percent_parameter
from datasette_plugins.responses import (
    error_response,
    html_response,
    json_response,
    kb_database,
)
from kb.core.time import current_time, parse_timestamp

FEED_STORIES = 50


def page_query(since: str | None, min_move: float) -> dict[str, str]:
    query = {}
    if since:
        query["since"] = since
    if abs(min_move - DEFAULT_MIN_MOVE) > 1e-9:
        query["min_move"] = percent_parameter(min_move)
    return query


async def read_changes(datasette, request) -> tuple[dict, dict[str, str]]:
    """The grouped changes of the request's window and the query that names it (BadParameter on bad input)."""
    since, min_move = parse_changes_args(request.args)
    db = kb_database(datasette)
    chosen = since or await default_since(db, current_time())
    changes = await changes_since(db, chosen, min_move)
    changes["default_window"] = since is None
    changes["min_move_pct"] = percent_parameter(min_move)
    return changes, page_query(since, min_move)


def group_json(group: dict) -> dict:
    story = group["story"]
    return {
        "story": {"id": story["id"], "title": story["title"], "status": story["status"],
                  "importance": story["importance"], "confidence": story["confidence"]},
        "headline": group["headline"], "last_at": group["last_at"],
        "new_story": group["new_story"], "new_facts": group["new_facts"], "more_facts": group["more_facts"],
        "new_reports": group["reports"], "status_moves": group["statuses"], "score_moves": group["scores"],
        "story_status_moves": group["story_statuses"], "merged": group["merged"], "edits": group["edits"],
    }


async def changes_view(datasette, request):
    """Serve /-/changes as HTML or JSON; 400 for a bad `since` or `min_move`."""
    try:
        changes, query = await read_changes(datasette, request)
    except BadParameter as exc:
        return await error_response(datasette, request, 400, str(exc), exc.parameter)
    if (request.url_vars or {}).get("format") == ".json":
        return json_response({"ok": True, "since": changes["since"], "filters": query,
                              "totals": changes["totals"], "more_stories": changes["more_stories"],
                              "stories": [group_json(g) for g in changes["groups"]]})
    return await html_response(datasette, request, "kb_changes.html", {
        **changes,
        "query": query,
        "since_date": changes["since"][:10],
        "feed_url": with_query("/-/changes.atom", query),
        "json_url": with_query("/-/changes.json", query),
    })


def entry_html(group: dict, absolute) -> str:
    """The content of one story's entry: its changes as a list."""
    items = [Markup("<li>{}</li>").format(edit["text"][:1].upper() + edit["text"][1:])
             for edit in group["edits"]]
    for fact in group["new_facts"]:
        items.append(Markup('<li>New fact: <a href="{}">{}</a></li>').format(
            absolute(f"/-/event/{fact['event_id']}"), fact["text"]))
    if group["more_facts"]:
        items.append(Markup("<li>and {} more new facts</li>").format(group["more_facts"]))
    for move in group["statuses"]:
        items.append(Markup('<li>{} → {}: <a href="{}">{}</a>{}</li>').format(
            move["old"], move["new"], absolute(f"/-/event/{move['event_id']}"), move["text"],
            Markup(" ({})").format(move["reason"]) if move["reason"] else ""))
    for score in group["scores"]:
        items.append(Markup("<li>{} {} → {}</li>").format(score["score"].capitalize(), score["old"],
                                                         score["new"]))
    if group["merged"]:
        into = group["merged"].get("title") or "another story"
        items.append(Markup("<li>Merged into {}</li>").format(into))
    body = Markup("<p>{}</p>").format(group["headline"])
    return str(body + Markup("<ul>{}</ul>").format(Markup("").join(items)) if items else body)


async def changes_feed_view(datasette, request):
    """/-/changes.atom: one entry per storyline that changed in the window, newest change first."""
    try:
        changes, query = await read_changes(datasette, request)
    except BadParameter as exc:
        return await error_response(datasette, request, 400, str(exc), exc.parameter)
    absolute = url_maker(datasette, request)
    feed = FeedGenerator()
    feed.id(f"{TAG_PREFIX}changes" + ("?" + urlencode(sorted(query.items())) if query else ""))
    feed.title(f"{SITE} — what changed, by storyline")
    feed.subtitle("New facts, status moves, new and merged storylines and score moves since "
                  f"{changes['since']}.")
    feed.author({"name": SITE_AUTHOR, "uri": absolute("/")})
    feed.link(href=absolute(with_query("/-/changes.atom", query)), rel="self", type="application/atom+xml")
    feed.link(href=absolute(with_query("/-/changes", query)), rel="alternate", type="text/html")
    feed.generator(SITE_AUTHOR, uri=absolute("/"))
    groups = sorted(changes["groups"], key=lambda g: g["last_at"], reverse=True)[:FEED_STORIES]
    times = [parse_timestamp(g["last_at"]) for g in groups]
    feed.updated(max(t for t in times if t) if any(times) else parse_timestamp(changes["since"]))
    for group, updated in reversed(list(zip(groups, times, strict=True))):
        story = group["story"]
        entry = feed.add_entry()
        entry.id(f"{TAG_PREFIX}changes/story/{story['id']}/{group['last_at']}")
        entry.title(f"{story['title']}: {group['headline']}")
        entry.updated(updated or parse_timestamp(changes["since"]))
        entry.author({"name": SITE_AUTHOR})
        entry.link(href=absolute(f"/-/story/{story['id']}"), rel="alternate", type="text/html")
        entry.content(entry_html(group, absolute), type="html")
    return Response(feed.atom_str(pretty=True), content_type=ATOM_TYPE)


@hookimpl
def register_routes():
    return [
        (r"^/-/changes(?P<format>\.json)?$", changes_view),
        (r"^/-/changes\.atom$", changes_feed_view),
    ]
