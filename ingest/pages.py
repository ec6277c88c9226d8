"""What one fetch of a run brings back: a source (feed, sitemap or page) parsed into entries, and
an article page fetched under robots.txt, the per-host limits and the time budgets."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace

from ingest.exceptions import FetchError
from ingest.feeds import FeedEntry, FeedParseError, parse_feed, parse_sitemap
from ingest.http import FetchPolicy, Response, fetch
from ingest.politeness import Deferred, HostLimiter
from ingest.robots import RobotsCache

log = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml", "")
FEED_ACCEPT = ("application/rss+xml, application/atom+xml, application/feed+json, application/json, "
               "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5")
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"


def fetch_source(source: Mapping, policy: FetchPolicy) -> tuple[Response | None, list[FeedEntry], str | None]:
    """Fetch and parse one source: (response, entries, error); 304 gives no entries.

    `source` has the source's `name`, `url`, `kind` ("feed", "sitemap" or "page") and the
    validators of its last fetch (`etag`, `last_modified`, either may be missing).
    """
    try:
        response = fetch(source["url"], policy=policy, etag=source.get("etag"),
                         last_modified=source.get("last_modified"),
                         accept=PAGE_ACCEPT if source["kind"] == "page" else FEED_ACCEPT)
    except FetchError as exc:
        return None, [], f"{exc.status}: {exc.reason}"
    if response.not_modified:
        return response, [], None
    if source["kind"] == "page":
        return response, [FeedEntry(link=response.url, guid=None)], None
    try:
        if source["kind"] == "sitemap":
            parsed = parse_sitemap(response.body)
        else:
            parsed = parse_feed(response.body, response.url)
    except FeedParseError as exc:
        return response, [], f"not_a_feed: {exc}"
    for warning in parsed.warnings:
        log.info("%s: %s", source["name"], warning)
    return response, parsed.entries, None


def fetch_page(url: str, policy: FetchPolicy, robots: RobotsCache, limiter: HostLimiter) -> Response:
    """Fetch an article page, honouring robots.txt (rules and Crawl-delay), the per-host limit and
    the host's and the run's time budgets (Deferred when they are spent)."""
    if limiter.spent(url):
        raise Deferred("time is up before the fetch: left for the next run")
    if url.startswith(("http://", "https://")) and not robots.allowed(url):
        raise FetchError("blocked", "disallowed by robots.txt")
    with limiter.slot(url) as seconds:
        cut = seconds < policy.total_timeout
        if cut:  # the fetch may not outlast the host's or the run's budget
            policy = replace(policy, total_timeout=seconds, read_timeout=min(policy.read_timeout, seconds),
                             connect_timeout=min(policy.connect_timeout, seconds))
        try:
            response = fetch(url, policy=policy, accept=PAGE_ACCEPT)
        except FetchError as exc:
            if cut and exc.reason.startswith("timed out") and limiter.spent(url):
                raise Deferred(f"time ran out during the fetch ({exc.reason}): "
                               "left for the next run") from None
            raise
    if response.content_type not in HTML_TYPES:
        raise FetchError("not_html", f"content type {response.content_type!r} is not HTML", response.status)
    return response
