"""Parse feeds (RSS and Atom via feedparser, JSON Feed directly) and XML sitemaps into entries."""

from __future__ import annotations

import calendar
import datetime as dt
import io
import json
import logging
from dataclasses import dataclass, field

import feedparser
from lxml import etree

log = logging.getLogger(__name__)

# feedparser resolves entities itself; a feed body larger than this is refused upstream anyway.
MAX_ENTRIES = 1000


class FeedParseError(ValueError):
    """The body is not a usable feed (HTML page, broken XML with no entries, ...)."""


@dataclass
class FeedEntry:
    """One item of a feed or sitemap: what we need to fetch and date an article."""

    link: str | None
    guid: str | None
    title: str | None = None
    summary: str | None = None
    author: str | None = None
    published: str | None = None
    updated: str | None = None


@dataclass
class ParsedFeed:
    """A parsed feed: its title, entries and any recoverable problems."""

    title: str | None
    entries: list[FeedEntry]
    warnings: list[str] = field(default_factory=list)


def utc_text(moment: dt.datetime) -> str:
    """An aware datetime as the UTC text every date of a feed is stored in: 'YYYY-MM-DDTHH:MM:SSZ'.
    (kb.core.time.utc_iso writes the same form; ingest imports nothing of kb.)"""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def struct_to_iso(value) -> str | None:
    """feedparser's UTC time.struct_time to an ISO 8601 string (Z)."""
    if not value:
        return None
    try:
        return utc_text(dt.datetime.fromtimestamp(calendar.timegm(value), dt.UTC))
    except (OverflowError, ValueError, TypeError):
        return None


def looks_like_html(body: bytes) -> bool:
    head = body[:2048].lstrip().lower()
    return head.startswith(b"<!doctype html") or head.startswith(b"<html")


def jsonfeed_date(value) -> str | None:
    """A JSON Feed RFC 3339 date as ISO 8601 UTC (Z), or None."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    try:
        return utc_text(parsed)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is before the calendar's first day in UTC
        return None


def parse_json_feed(body: bytes) -> ParsedFeed:
    """Parse a JSON Feed (1.0/1.1); feedparser does not read JSON."""
    try:
        data = json.loads(body.decode("utf-8-sig", errors="replace"))
    except RecursionError:  # hostile nesting ([[[[...) exhausts the decoder's stack
        raise FeedParseError("invalid JSON feed: nested too deeply") from None
    except ValueError as exc:
        raise FeedParseError(f"invalid JSON feed: {exc}") from exc
    if not isinstance(data, dict) or "jsonfeed.org" not in str(data.get("version", "")):
        raise FeedParseError("JSON document is not a JSON Feed (no jsonfeed.org version)")
    items = data.get("items")
    if not isinstance(items, list):
        raise FeedParseError("JSON Feed has no items list")
    entries: list[FeedEntry] = []
    warnings: list[str] = []
    seen: set[str] = set()
    for item in items[:MAX_ENTRIES]:
        if not isinstance(item, dict):
            warnings.append("JSON Feed item is not an object; skipped")
            continue
        guid = str(item["id"]) if item.get("id") is not None else None
        if guid and guid in seen:
            warnings.append(f"duplicate entry id {guid!r} skipped")
            continue
        if guid:
            seen.add(guid)
        link = item.get("url") or item.get("external_url")
        authors = item.get("authors") or ([item["author"]] if isinstance(item.get("author"), dict) else [])
        authors = authors if isinstance(authors, list) else []
        author = next((a.get("name") for a in authors if isinstance(a, dict) and a.get("name")), None)
        entries.append(FeedEntry(
            link=link.strip() if isinstance(link, str) else None,
            guid=guid,
            title=item.get("title") if isinstance(item.get("title"), str) else None,
            summary=item.get("summary") if isinstance(item.get("summary"), str) else None,
            author=author if isinstance(author, str) else None,
            published=jsonfeed_date(item.get("date_published")),
            updated=jsonfeed_date(item.get("date_modified")),
        ))
    title = data.get("title") if isinstance(data.get("title"), str) else None
    return ParsedFeed(title=title, entries=entries, warnings=warnings)


def parse_feed(body: bytes, url: str) -> ParsedFeed:
    """Parse an RSS/Atom/JSON Feed body; raise FeedParseError if it is not a feed."""
    if not body.strip():
        raise FeedParseError("empty response where a feed was expected")
    if looks_like_html(body):
        raise FeedParseError("got an HTML page where a feed was expected")
    if body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return parse_json_feed(body)
    # No base URL for feedparser: it mangles file:// bases; links are resolved by the caller.
    # A stream, never bytes or str: feedparser opens a bytes/str argument as a file name (or
    # fetches it as a URL) if it can, so a body reading "/etc/passwd" would be read from disk.
    try:
        parsed = feedparser.parse(io.BytesIO(body), sanitize_html=False, resolve_relative_uris=False)
    # feedparser's loose parser raises e.g. UnicodeEncodeError on &#xD800;
    except Exception as exc:  # noqa: BLE001
        raise FeedParseError(f"feed could not be parsed: {type(exc).__name__}: {exc}") from None
    warnings: list[str] = []
    if parsed.get("bozo"):
        exc = parsed.get("bozo_exception")
        warnings.append(f"malformed feed: {type(exc).__name__}: {exc}")
    entries: list[FeedEntry] = []
    seen_guids: set[str] = set()
    for item in parsed.entries[:MAX_ENTRIES]:
        link = item.get("link") or None
        guid = item.get("id") or item.get("guid") or None
        if not link and guid and str(guid).startswith(("http://", "https://")):
            link = guid
        if guid and guid in seen_guids:
            warnings.append(f"duplicate entry id {guid!r} skipped")
            continue
        if guid:
            seen_guids.add(guid)
        entries.append(
            FeedEntry(
                link=link.strip() if isinstance(link, str) else None,
                guid=guid,
                title=item.get("title"),
                summary=item.get("summary"),
                author=item.get("author"),
                published=struct_to_iso(item.get("published_parsed")),
                updated=struct_to_iso(item.get("updated_parsed")) if "updated" in item else None,
            )
        )
    if len(parsed.entries) > MAX_ENTRIES:
        warnings.append(f"feed lists {len(parsed.entries)} entries; only the first {MAX_ENTRIES} are read")
    version = parsed.get("version") or ""
    if not entries and not version:
        reason = warnings[0] if warnings else "no feed entries found"
        raise FeedParseError(f"not a feed: {reason}")
    return ParsedFeed(title=parsed.feed.get("title"), entries=entries, warnings=warnings)


SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def parse_sitemap(body: bytes) -> ParsedFeed:
    """Parse an XML sitemap (or sitemap index) into entries; entity expansion is disabled."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)
    try:
        # fromstring: the body is data (etree.parse would open a name)
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise FeedParseError(f"invalid sitemap XML: {exc}") from exc
    if isinstance(root.tag, str) and root.tag.endswith("sitemapindex"):
        raise FeedParseError("this is a sitemap index: list one of the sitemaps it names as the source")
    entries: list[FeedEntry] = []
    for node in root:
        if not isinstance(node.tag, str):
            continue
        loc = node.findtext(f"{SITEMAP_NS}loc") or node.findtext("loc")
        if not loc:
            continue
        lastmod = node.findtext(f"{SITEMAP_NS}lastmod") or node.findtext("lastmod")
        entries.append(FeedEntry(link=loc.strip(), guid=loc.strip(), updated=(lastmod or "").strip() or None))
        if len(entries) >= MAX_ENTRIES:
            break
    if not entries:
        raise FeedParseError("sitemap lists no URLs")
    return ParsedFeed(title=None, entries=entries)
