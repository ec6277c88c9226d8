"""Atom feeds come from datasette-atom over canned queries; this module guards their edges.

datasette-atom fails on a query with no rows (max() of nothing), so an empty selection gets a
valid empty feed here, and the story feed's `story` parameter is checked before it runs.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs

from datasette import hookimpl
from datasette.utils.asgi import Response
from feedgen.feed import FeedGenerator

from datasette_plugins.params import BadParameter, parse_id

STORY_FEED_PATH = re.compile(r"^/[^/]+/story_feed\.atom$")
EMPTY_FEED_MESSAGE = "max() arg is an empty sequence"


def empty_feed(url: str, title: str) -> Response:
    """A valid Atom feed without entries."""
    feed = FeedGenerator()
    feed.id(url)
    feed.title(title)
    feed.link(href=url, rel="self")
    feed.updated(dt.datetime.now(dt.UTC))
    return Response(feed.atom_str(pretty=True), content_type="application/xml; charset=utf-8")


@hookimpl
def handle_exception(datasette, request, exception):
    if (request is not None and request.path.endswith(".atom") and isinstance(exception, ValueError)
            and EMPTY_FEED_MESSAGE in str(exception)):
        return empty_feed(request.url, "newskb — no matching events yet")
    return None


def story_feed_guard(app):
    """ASGI middleware: a story feed with a malformed `story` value gets a 400, not an empty feed."""

    async def guarded(scope, receive, send):
        if scope.get("type") == "http" and STORY_FEED_PATH.match(scope.get("path", "")):
            values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("story", [])
            try:
                if len(values) != 1:
                    raise BadParameter("story", "give one story id, e.g. story_feed.atom?story=1")
                parse_id(values[0], "story")
            except BadParameter as exc:
                await Response.text(f"Bad request: {exc}\n", status=400).asgi_send(send)
                return
        await app(scope, receive, send)

    return guarded


@hookimpl
def asgi_wrapper():
    return story_feed_guard
