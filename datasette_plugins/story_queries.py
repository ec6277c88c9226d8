"""The queries about one story's events shared by the story card and the charts page."""

from __future__ import annotations

import time
from collections import Counter, defaultdict

from datasette_plugins.event_queries import (
    EVENT_COLUMNS,
    SORT_CANDIDATES_LIMIT,
    STORY_EXISTS,
    STORY_IN,
    count_links,
    placeholders,
)

# Counting a big story's events by type, source and month reads every one of them; for stories
# above SORT_CANDIDATES_LIMIT events the counts are kept for up to STATS_TTL_SECONDS, keyed on
# the story's membership and update time so a change in the ledger shows at once.
STATS_TTL_SECONDS = 60.0
_stats_cache: dict[tuple, tuple[float, tuple]] = {}


# A story's events, wherever a page counts them: its events not superseded (story_totals.live_events,
# kept by kb/store/story_totals.py's triggers), read in one query.
STORY_EVENTS_SQL = "SELECT story_id, live_events FROM story_totals WHERE story_id IN ({marks})"


async def story_event_counts(db, story_ids: list[int]) -> dict[int, int]:
    """How many events each story has: the one definition every page shows (0 when unknown)."""
    if not story_ids:
        return {}
    counts = {r[0]: r[1] for r in (await db.execute(
        STORY_EVENTS_SQL.format(marks=placeholders(story_ids)), story_ids)).rows}
    return {story_id: counts.get(story_id, 0) for story_id in story_ids}


async def key_fact_rows(db, story_id: int, size: int, memo: dict) -> list[dict]:
    """The story's most important events (walks the importance index for big stories)."""
    big = await count_links(db, "story_events", "story_id", story_id, memo) > SORT_CANDIDATES_LIMIT
    membership = STORY_EXISTS if big else STORY_IN
    order = "e.importance DESC" if big else "+e.importance DESC"
    sql = f"""SELECT e.id FROM events e
        WHERE {membership}
          AND e.status != 'superseded' AND e.importance IS NOT NULL
        ORDER BY {order}, e.id DESC LIMIT {size}"""
    ids = [r[0] for r in (await db.execute(sql, {"story": story_id})).rows]
    if not ids:
        return []
    rows = [dict(r) for r in (await db.execute(
        f"SELECT {EVENT_COLUMNS} FROM events e WHERE e.id IN ({placeholders(ids)})", ids)).rows]
    return sorted(rows, key=lambda r: (-(r["importance"] or 0), -r["id"]))


async def story_counts(db, story: dict, memo: dict) -> tuple[Counter, Counter, dict[str, Counter]]:
    """The story's events counted by type, by first-reporting source and by month, in one pass."""
    story_id = story["id"]
    size = await count_links(db, "story_events", "story_id", story_id, memo)
    key = None
    if size > SORT_CANDIDATES_LIMIT:
        last = (await db.execute(
            "SELECT max(event_id), count(*) FROM story_events WHERE story_id = ?", [story_id])).rows[0]
        key = (db.name, story_id, tuple(last), story.get("updated_at"), story.get("mentions"))
        cached = _stats_cache.get(key)
        if cached and time.monotonic() - cached[0] < STATS_TTL_SECONDS:
            return cached[1]
    by_type: Counter = Counter()
    by_source: Counter = Counter()
    by_month: dict[str, Counter] = defaultdict(Counter)
    for etype, source_id, month, n in (await db.execute(
        """SELECT e.type, e.first_reported_by, substr(e.sort_date, 1, 7), count(*)
           FROM story_events se JOIN events e ON e.id = se.event_id
           WHERE se.story_id = ? AND e.status != 'superseded'
           GROUP BY 1, 2, 3""", [story_id])).rows:
        by_type[etype] += n
        if source_id is not None:
            by_source[source_id] += n
        if month:
            by_month[month][etype] += n
    if key is not None:
        now = time.monotonic()
        for stale in [k for k, (at, _) in _stats_cache.items() if now - at >= STATS_TTL_SECONDS]:
            _stats_cache.pop(stale, None)
        _stats_cache[key] = (time.monotonic(), (by_type, by_source, by_month))
    return by_type, by_source, by_month
