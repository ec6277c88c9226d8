"""The Atom feeds: any timeline selection at /-/timeline.atom?{filters} (so a saved search is a
feed, and ?story= and ?entity= are a story's and an entity's feeds), and the first feeds' paths,
/kb/story_feed.atom?story={id} and /kb/important_events_feed.atom, kept for their subscribers.

Links are absolute: built from the plugin setting `base_url` (`kb serve --base-url`) when it is
set, else from the request. An unknown story or entity is a 404, a malformed value a 400.
"""

from __future__ import annotations

from urllib.parse import urlencode

import sqlite_utils
from datasette import hookimpl
from datasette.utils.asgi import Response

from datasette_plugins.atom_xml import TAG_PREFIX, FeedHead, render_feed, story_overviews, updated_times
from datasette_plugins.event_queries import EVENT_COLUMNS, decorate_events, select_events
from datasette_plugins.params import (
    BadParameter,
    TimelineFilters,
    parse_id,
    parse_timeline_filters,
    percent_parameter,
    single,
)
from datasette_plugins.responses import error_response, kb_database, plugin_setting
from kb.core.formats import percent
from kb.stories.cards import card_summary

FEED_SIZE = 50
HIGH_IMPORTANCE = 0.7
ATOM_TYPE = "application/atom+xml; charset=utf-8"
SITE = "newskb"


class NotFound(LookupError):
    """The feed names a story or entity that does not exist."""


def url_maker(datasette, request):
    """A function turning a site path ('/-/story/9') into an absolute URL."""
    base = (plugin_setting(datasette, "base_url", None) or "").rstrip("/")

    def absolute(path: str) -> str:
        # A plain str: Datasette's PrefixedUrlString looks up dir() on every method call, which made
        # urljoin cost 0.2 ms per link (a changes feed has hundreds of links).
        local = str.__str__(datasette.urls.path(path))
        return base + local if base else datasette.absolute_url(request, local)

    return absolute


def with_query(path: str, query: dict[str, str]) -> str:
    return path + ("?" + urlencode(query) if query else "")


def describe_filters(filters: TimelineFilters, names: dict[str, str]) -> str:
    """The selection in words: 'release, pricing events · from 2025 · matching “Azure”'."""
    parts = []
    if "story" in names:
        parts.append(f"story “{names['story']}”")
    if "entity" in names:
        parts.append(f"events of {names['entity']}")
    if filters.types:
        parts.append(", ".join(filters.types) + " events")
    if filters.date_from:
        parts.append(f"from {filters.date_from}")
    if filters.date_to:
        parts.append(f"to {filters.date_to}")
    if filters.min_importance is not None:
        parts.append(f"importance {percent(filters.min_importance)} or more")
    if filters.q:
        parts.append(f"matching “{filters.q}”")
    return " · ".join(parts)


async def filter_heads(db, filters: TimelineFilters) -> tuple[dict[str, str], dict]:
    """The names of the story and entity filtered by (NotFound for an unknown one), and the story row."""
    names: dict[str, str] = {}
    story: dict = {}
    if filters.story is not None:
        rows = (await db.execute(
            "SELECT id, title, overview, updated_at, status, merged_into FROM stories WHERE id = ?",
            [filters.story])).rows
        if not rows:
            raise NotFound(f"no story has id {filters.story}")
        story = dict(rows[0])
        names["story"] = story["title"]
    if filters.entity is not None:
        rows = (await db.execute("SELECT name FROM entities WHERE id = ?", [filters.entity])).rows
        if not rows:
            raise NotFound(f"no entity has id {filters.entity}")
        names["entity"] = rows[0][0]
    return names, story


def feed_query(filters: TimelineFilters) -> dict[str, str]:
    """The selection as the feed's query string (size only when it is not the feed's own)."""
    query = filters.as_query()
    query.pop("size", None)
    if filters.size != FEED_SIZE:
        query["size"] = str(filters.size)
    return query


async def story_card_summary(db, story_id: int) -> dict | None:
    """What a story's feed says of the story: the card's summary and scores (kb/stories/cards.py)."""
    try:
        return await db.execute_fn(lambda conn: card_summary(sqlite_utils.Database(conn), story_id))
    except NotFound:
        return None


def card_subtitle(card: dict) -> str:
    """A story feed's subtitle: "Developing story. <the card's summary> Importance 62% · ..."."""
    return (f"{card['status'].capitalize()} story. {card['summary']} Importance {card['importance_pct']} · "
            f"Confidence {card['confidence_pct']} · Mentions {card['mentions']} · Updated {card['updated']}")


def timeline_head(filters: TimelineFilters, names: dict[str, str], story: dict, absolute,
                  card: dict | None = None) -> FeedHead:
    """Id, title, links and subtitle of the feed of a timeline selection (a story's feed is
    subtitled with its card's summary, when it has one)."""
    query = feed_query(filters)
    only = set(query) - {"size"}
    if only == {"story"}:
        return FeedHead(feed_id=f"{TAG_PREFIX}story/{filters.story}",
                        title=f"{names['story']} — {SITE} story",
                        self_url=absolute(with_query("/-/timeline.atom", query)),
                        page_url=absolute(f"/-/story/{filters.story}"),
                        subtitle=card_subtitle(card) if card and card["summary"] else story.get("overview"),
                        updated=story.get("updated_at"))
    if only == {"entity"}:
        return FeedHead(feed_id=f"{TAG_PREFIX}entity/{filters.entity}",
                        title=f"{names['entity']} — {SITE} entity",
                        self_url=absolute(with_query("/-/timeline.atom", query)),
                        page_url=absolute(f"/-/entity/{filters.entity}"),
                        subtitle=f"Events of {names['entity']}, newest first.")
    described = describe_filters(filters, names)
    ordered = sorted(query.items())
    return FeedHead(feed_id=f"{TAG_PREFIX}timeline" + ("?" + urlencode(ordered) if ordered else ""),
                    title=f"{SITE} timeline" + (f": {described}" if described else ""),
                    self_url=absolute(with_query("/-/timeline.atom", query)),
                    page_url=absolute(with_query("/-/timeline", query)),
                    subtitle="Events newest first" + (f": {described}." if described else "."),
                    updated=story.get("updated_at"))


async def feed_response(db, head: FeedHead, rows: list[dict], absolute,
                        summaries: dict[int, str] | None = None) -> Response:
    """The feed's XML; each entry's story says its overview, or its card summary when given."""
    events = await decorate_events(db, rows)
    await updated_times(db, events)
    xml = render_feed(head, events, absolute, {**await story_overviews(db, events), **(summaries or {})})
    return Response(xml, content_type=ATOM_TYPE)


async def timeline_feed(datasette, request, filters: TimelineFilters) -> Response:
    """The feed of a timeline selection; 404 for an unknown story or entity."""
    db = kb_database(datasette)
    try:
        names, story = await filter_heads(db, filters)
    except NotFound as exc:
        return await error_response(datasette, request, 404, str(exc))
    absolute = url_maker(datasette, request)
    if story.get("status") == "merged" and story.get("merged_into"):
        # A merged story's events live on in the story it was merged into: so does its feed.
        query = {**feed_query(filters), "story": str(story["merged_into"])}
        return Response.redirect(absolute(with_query("/-/timeline.atom", query)), status=301)
    rows, _ = await select_events(db, filters)
    card = await story_card_summary(db, filters.story) if filters.story is not None else None
    summaries = {filters.story: card["summary"]} if card and card["summary"] else None
    return await feed_response(db, timeline_head(filters, names, story, absolute, card), rows, absolute,
                               summaries)


async def timeline_feed_view(datasette, request):
    """/-/timeline.atom?{the timeline's filters}: 50 events unless size= says otherwise."""
    try:
        filters = parse_timeline_filters(request.args)
        if single(request.args, "size") is None:
            filters.size = FEED_SIZE
    except BadParameter as exc:
        return await error_response(datasette, request, 400, str(exc), exc.parameter)
    return await timeline_feed(datasette, request, filters)


async def story_feed_view(datasette, request):
    """/kb/story_feed.atom?story={id}: the same feed as /-/timeline.atom?story={id}."""
    try:
        values = [v for v in request.args.getlist("story") if v.strip()]
        if len(values) != 1:
            raise BadParameter("story", "give one story id, e.g. story_feed.atom?story=1")
        story_id = parse_id(values[0].strip(), "story")
    except BadParameter as exc:
        return await error_response(datasette, request, 400, str(exc), exc.parameter)
    return await timeline_feed(datasette, request, TimelineFilters(story=story_id, size=FEED_SIZE))


async def important_feed_view(datasette, request):
    """/kb/important_events_feed.atom: the most recently known events of high importance."""
    db = kb_database(datasette)
    threshold = float(plugin_setting(datasette, "high_importance", HIGH_IMPORTANCE))
    rows = [dict(r) for r in (await db.execute(
        f"""SELECT {EVENT_COLUMNS} FROM events e
            WHERE e.importance >= ? AND e.status != 'superseded' AND e.sort_date IS NOT NULL
            ORDER BY e.known_at DESC, e.id DESC LIMIT {FEED_SIZE}""", [threshold])).rows]
    absolute = url_maker(datasette, request)
    query = {"min_importance": percent_parameter(threshold)}
    head = FeedHead(feed_id=f"{TAG_PREFIX}important-events",
                    title=f"{SITE} — new events of importance {percent(threshold)} or more",
                    self_url=absolute(f"/{db.name}/important_events_feed.atom"),
                    page_url=absolute(with_query("/-/timeline", query)),
                    subtitle=f"Events of importance {percent(threshold)} or more, most recently known first.")
    return await feed_response(db, head, rows, absolute)


async def named_feed_view(datasette, request):
    """The first feeds' paths under the database: /kb/story_feed.atom, /kb/important_events_feed.atom."""
    if request.url_vars["database"] != kb_database(datasette).name:
        return await error_response(datasette, request, 404, "no such feed")
    if request.url_vars["name"] == "story_feed":
        return await story_feed_view(datasette, request)
    return await important_feed_view(datasette, request)


@hookimpl
def register_routes():
    return [
        (r"^/-/timeline\.atom$", timeline_feed_view),
        (r"^/(?P<database>[^/]+)/(?P<name>story_feed|important_events_feed)\.atom$", named_feed_view),
    ]
