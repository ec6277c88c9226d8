"""Atom feeds (RFC 4287) of a selection of events: what each entry says, and the XML.

Every feed and every entry has an id, a title, an update time and an author, and every link
is absolute (built by the caller from the configured base URL or from the request). An entry
names its sources, its stories (with a link and the story's overview) and its scores.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from feedgen.feed import FeedGenerator
from markupsafe import Markup

from datasette_plugins.event_queries import placeholders
from kb.core.excerpts import shorten
from kb.core.formats import percent
from kb.core.time import current_time, parse_timestamp

TAG_PREFIX = "tag:newskb,2025:"
SITE_AUTHOR = "newskb"
TITLE_CHARS = 140
OVERVIEW_CHARS = 280
UNKNOWN_SCORE = "unknown"
# The times an entry may be said to have changed, best first.
UPDATE_KEYS = ("updated_at", "known_at", "first_reported_at", "sort_date")


@dataclass
class FeedHead:
    """What a feed says about itself; urls are absolute."""

    feed_id: str
    title: str
    self_url: str
    page_url: str
    subtitle: str | None = None
    updated: str | None = None  # used when the feed has no entries


def event_tag(event_id: int) -> str:
    """The stable id of an event's entry (unchanged since the first feeds)."""
    return f"{TAG_PREFIX}event/{event_id}"


def event_updated(event: dict) -> dt.datetime | None:
    """When the event last changed, as the ledger recorded it."""
    for key in UPDATE_KEYS:
        parsed = parse_timestamp(event.get(key))
        if parsed is not None:
            return parsed
    return None


def entry_title(event: dict) -> str:
    """'Release: MAI-Image-2 ships in Bing' (the summary, else the evidence sentence)."""
    text = " ".join((event.get("summary") or event.get("sentence") or f"event {event['id']}").split())
    return f"{event['type'].capitalize()}: {shorten(text, TITLE_CHARS)}"


def source_names(event: dict) -> list[str]:
    """The names of the sources of the event's reports shown, first reported first, once each."""
    names: list[str] = []
    for article in event.get("articles", []):
        name = article.get("source")
        if name and name not in names:
            names.append(name)
    return names


def scores_text(event: dict) -> str:
    """'importance 71%, confidence unknown, status confirmed'."""
    return (f"importance {percent(event.get('importance'), UNKNOWN_SCORE)}, "
            f"confidence {percent(event.get('confidence'), UNKNOWN_SCORE)}, status {event.get('status')}")


async def story_overviews(db, events: list[dict]) -> dict[int, str]:
    """The overview of every story the events belong to."""
    ids = sorted({s["id"] for e in events for s in e.get("stories", [])})
    if not ids:
        return {}
    rows = (await db.execute(
        f"SELECT id, overview FROM stories WHERE id IN ({placeholders(ids)})", ids)).rows
    return {r[0]: r[1] for r in rows if r[1]}


async def updated_times(db, events: list[dict]) -> None:
    """Add each event's updated_at (the pages' event rows do not carry it)."""
    ids = [e["id"] for e in events]
    if not ids:
        return
    rows = (await db.execute(
        f"SELECT id, updated_at FROM events WHERE id IN ({placeholders(ids)})", ids)).rows
    stamps = {r[0]: r[1] for r in rows}
    for event in events:
        event["updated_at"] = stamps.get(event["id"])


def entry_html(event: dict, absolute: Callable[[str], str], overviews: dict[int, str]) -> str:
    """The entry's content: evidence, sources, date, stories, scores and links, escaped."""
    parts = [Markup("<p>{}</p>").format(event.get("sentence") or event.get("summary") or "")]
    names = source_names(event)
    reports = event.get("mentions") or 0
    count = f"{reports} report{'s' if reports != 1 else ''}"
    parts.append(Markup("<p>Reported by {} ({}). Date: {}.</p>").format(
        ", ".join(names) if names else "an unnamed source", count, event.get("date_label") or "date unknown"))
    for story in event.get("stories", []):
        overview = overviews.get(story["id"])
        parts.append(Markup('<p>Story: <a href="{}">{}</a>{}</p>').format(
            absolute(f"/-/story/{story['id']}"), story["title"],
            Markup(" — {}").format(shorten(overview, OVERVIEW_CHARS)) if overview else ""))
    if not event.get("stories"):
        parts.append(Markup("<p>Not part of a story yet.</p>"))
    parts.append(Markup("<p>{}.</p>").format(scores_text(event).capitalize()))
    links = [Markup('<a href="{}">The event</a>').format(absolute(f"/-/event/{event['id']}"))]
    for article in event.get("articles", [])[:1]:
        if article.get("url"):
            links.append(Markup('<a href="{}">{}</a>').format(article["url"], article["title"]))
    parts.append(Markup("<p>{}</p>").format(Markup(" · ").join(links)))
    return str(Markup("\n").join(parts))


def render_feed(head: FeedHead, events: list[dict], absolute: Callable[[str], str],
                overviews: dict[int, str]) -> bytes:
    """The Atom XML of `events` (already in the order to show)."""
    feed = FeedGenerator()
    feed.id(head.feed_id)
    feed.title(head.title)
    if head.subtitle:
        feed.subtitle(head.subtitle)
    feed.author({"name": SITE_AUTHOR, "uri": absolute("/")})
    feed.link(href=head.self_url, rel="self", type="application/atom+xml")
    feed.link(href=head.page_url, rel="alternate", type="text/html")
    feed.generator(SITE_AUTHOR, uri=absolute("/"))
    times = [t for t in (event_updated(e) for e in events) if t is not None]
    fallback = parse_timestamp(head.updated) or current_time()
    feed.updated(max(times) if times else fallback)
    # feedgen writes entries in reverse order of adding them.
    for event in reversed(events):
        entry = feed.add_entry()
        entry.id(event_tag(event["id"]))
        entry.title(entry_title(event))
        entry.updated(event_updated(event) or fallback)
        published = parse_timestamp(event.get("known_at"))
        if published is not None:
            entry.published(published)
        for name in source_names(event) or [SITE_AUTHOR]:
            entry.author({"name": name})
        # One link, the event's page: feedgen drops an entry link's rel, so a second link (the
        # article) would read as a second alternate; the article is linked in the content.
        entry.link(href=absolute(f"/-/event/{event['id']}"), rel="alternate", type="text/html")
        for story in event.get("stories", []):
            entry.category(term=f"story/{story['id']}", label=story["title"])
        entry.category(term=event["type"], label=event["type"])
        entry.content(entry_html(event, absolute, overviews), type="html")
    return feed.atom_str(pretty=True)
