"""What a run fetches: feed entries planned as work items, kept as pending rows until they are done.

A source's fetch is recorded in the same transaction as the pending rows of the entries it
planned, and each pending row is deleted in the transaction that stores its article (or its
failure). So a run that is killed, or runs out of time, between the two leaves the rows
behind, and the next run fetches them first, whether or not the source is due again and
whether or not its feed still lists them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import sqlite_utils

from ingest.exceptions import FetchError, PolicyError
from ingest.feeds import FeedEntry
from ingest.urls import (
    UrlRules,
    canonicalize_url,
    load_url_rules,
    resolve_link,
    unwrap_redirect_link,
)
from kb.core.config import data_file
from kb.core.errors import ConfigError
from kb.core.time import parse_timestamp
from kb.store.articles import save_failure

# How article URLs are canonicalised (ingest.urls reads the format): in the data directory.
URL_RULES_FILE = data_file("url_rules.toml")


@dataclass
class WorkItem:
    """One article URL to fetch, with what the feed said about it."""

    url: str
    canonical: str
    source_id: int | None
    local_root: str | None
    entry: FeedEntry | None = None
    existing_id: int | None = None


def url_rules() -> UrlRules:
    """The URL rules of the data directory ($KB_DATA_DIR's url_rules.toml, else data/'s), read afresh;
    ConfigError when the file is missing or invalid."""
    try:
        return load_url_rules(URL_RULES_FILE)
    except PolicyError as exc:
        raise ConfigError(str(exc)) from None


class RecordedFailure(str):
    """An entry refused before fetching (e.g. a blocked link), already saved as a failed row."""


def local_root_of(source: dict) -> str | None:
    """The directory a local (file://) source's entries may be read from; None for remote sources."""
    return str(Path(urlsplit(source["url"]).path).parent) if source["local"] else None


def newer(a: str | None, b: str | None) -> bool:
    """Whether timestamp a is later than b (both ISO strings; unknown is never newer)."""
    if not a or not b:
        return False
    time_a, time_b = parse_timestamp(a), parse_timestamp(b)
    if time_a is None or time_b is None:
        return a > b
    return time_a > time_b


def plan_entry(db: sqlite_utils.Database, source: dict, entry: FeedEntry, feed_url: str,
               local_root: str | None, now: str, rules: UrlRules) -> WorkItem | str | None:
    """A WorkItem when the entry needs fetching, None when it is known, or an error message
    (its link canonicalised by `rules`)."""
    if not entry.link:
        return f"{source['name']}: entry {entry.title or entry.guid or '?'!r} has no link"
    try:
        url = resolve_link(unwrap_redirect_link(entry.link), feed_url, allow_local_root=local_root)
        canonical = canonicalize_url(url, rules)
    except FetchError as exc:
        canonical = entry.link[:2000]
        save_failure(db, url=entry.link[:2000], canonical_url=canonical, source_id=source["id"],
                     status=exc.status, reason=exc.reason, feed_guid=entry.guid, title=entry.title,
                     feed_published=entry.published)
        return RecordedFailure(f"{source['name']}: {exc.reason}")
    except ValueError as exc:
        return f"{source['name']}: bad link {entry.link[:200]!r}: {exc}"
    row = db.execute(
        "select id, status, published_at, updated_at, next_retry_after, attempts from articles "
        "where canonical_url = ? or url = ? order by id limit 1",
        [canonical, url],
    ).fetchone()
    if row:
        article_id, status, published, updated, retry_at, _attempts = row
        if status == "ok":
            if not newer(entry.updated, updated or published):
                db.execute("insert or ignore into article_sightings "
                           "(article_id, source_id, guid, entry_url, first_seen_at) "
                           "values (?, ?, ?, ?, ?)", [article_id, source["id"], entry.guid, url, now])
                return None
        elif retry_at is None or retry_at > now:
            return None
        return WorkItem(url, canonical, source["id"], local_root, entry, existing_id=article_id)
    return WorkItem(url, canonical, source["id"], local_root, entry)


def keep_pending(db: sqlite_utils.Database, item: WorkItem, now: str) -> None:
    """Record a planned item as pending (the caller's transaction also records the source's fetch)."""
    entry = item.entry or FeedEntry(link=item.url, guid=None)
    db.execute(
        "insert or ignore into pending_entries (source_id, url, canonical_url, feed_guid, title, "
        "feed_published, "
        "feed_updated, summary, planned_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [item.source_id, item.url, item.canonical, entry.guid, entry.title, entry.published, entry.updated,
         entry.summary, now],
    )


def pending_items(db: sqlite_utils.Database, sources: list[dict]) -> list[WorkItem]:
    """The entries earlier runs planned for these sources and never finished, oldest first."""
    items: list[WorkItem] = []
    for source in sources:
        rows = db.execute(
            "select url, canonical_url, feed_guid, title, feed_published, feed_updated, summary "
            "from pending_entries where source_id = ? order by id", [source["id"]],
        ).fetchall()
        for url, canonical, guid, title, published, updated, summary in rows:
            existing = db.execute("select id from articles where canonical_url = ? or url = ? "
                                  "order by id limit 1",
                                  [canonical, url]).fetchone()
            entry = FeedEntry(link=url, guid=guid, title=title, summary=summary, published=published,
                              updated=updated)
            items.append(WorkItem(url, canonical, source["id"], local_root_of(source), entry,
                                  existing_id=existing[0] if existing else None))
    return items


def finish_pending(db: sqlite_utils.Database, item: WorkItem) -> None:
    """Drop an item's pending row, in the transaction that stores what became of it."""
    if item.source_id is not None:
        db.conn.execute("delete from pending_entries where source_id = ? and canonical_url = ?",
                        [item.source_id, item.canonical])
