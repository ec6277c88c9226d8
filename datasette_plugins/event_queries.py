"""Select events for the timeline pages and attach their stories, entities and source articles."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from datasette_plugins.formatting import (
    month_key,
    month_label,
    precision_of,
    precision_words,
    safe_url,
    score_labels,
)
from datasette_plugins.params import TimelineFilters
from datasette_plugins.score_words import score_summaries
from kb.dates.labels import format_date

EVENT_COLUMNS = """e.id, e.sort_date, e.date, e.date_mod, e.date_precision, e.type, e.status,
    e.importance, e.confidence, e.mentions, e.sources, e.sentence, e.summary, e.article_id,
    e.attributed_to, e.hedged, e.negated, e.known_at, e.first_reported_at, e.score_components"""
# Above this many candidate rows, walking the date index beats sorting the candidates.
SORT_CANDIDATES_LIMIT = 20_000
ARTICLES_PER_EVENT = 5
# Membership tests: IN (a list built once) for small candidate sets that drive the query,
# EXISTS (one index probe per row) while walking the date index through big ones. For a big
# full-text match the list is still built once (+e.id keeps it from driving the query):
# probing FTS5 per row re-reads the whole doclist each time.
STORY_IN = "e.id IN (SELECT event_id FROM story_events WHERE story_id = :story)"
STORY_EXISTS = "EXISTS (SELECT 1 FROM story_events se WHERE se.story_id = :story AND se.event_id = e.id)"
ENTITY_IN = "e.id IN (SELECT event_id FROM event_entities WHERE entity_id = :entity)"
ENTITY_EXISTS = ("EXISTS (SELECT 1 FROM event_entities ee WHERE ee.entity_id = :entity "
                 "AND ee.event_id = e.id)")
SEARCH_IN = "e.id IN (SELECT rowid FROM events_fts WHERE events_fts MATCH :q)"
SEARCH_LIST = "+e.id IN (SELECT rowid FROM events_fts WHERE events_fts MATCH :q)"


async def count_links(db, table: str, column: str, value: int, memo: dict | None = None) -> int:
    """How many rows of a link table point at `value` (bounded, index-only; `memo` caches)."""
    key = (table, column, value)
    if memo is not None and key in memo:
        return memo[key]
    sql = f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {column} = ? LIMIT {SORT_CANDIDATES_LIMIT + 1})"
    count = (await db.execute(sql, [value])).rows[0][0]
    if memo is not None:
        memo[key] = count
    return count


async def count_matches(db, fts_query: str) -> int:
    """How many events match a full-text query (bounded)."""
    sql = ("SELECT count(*) FROM (SELECT rowid FROM events_fts WHERE events_fts MATCH ? "
           f"LIMIT {SORT_CANDIDATES_LIMIT + 1})")
    return (await db.execute(sql, [fts_query])).rows[0][0]


async def select_events(db, filters: TimelineFilters,
                        memo: dict | None = None) -> tuple[list[dict], tuple[str, int] | None]:
    """The page of events matching `filters`, newest first, and the cursor of the next page."""
    where = ["e.status != 'superseded'", "e.sort_date IS NOT NULL"]
    params: dict[str, Any] = {"limit": filters.size + 1}
    # Small candidate sets (a rare entity or story, a search) are found first and sorted;
    # big ones are checked row by row while walking the date index.
    drive_from_links = False
    if filters.story is not None:
        params["story"] = filters.story
        links = await count_links(db, "story_events", "story_id", filters.story, memo)
        small = links <= SORT_CANDIDATES_LIMIT
        drive_from_links = drive_from_links or small
        where.append(STORY_IN if small else STORY_EXISTS)
    if filters.entity is not None:
        params["entity"] = filters.entity
        links = await count_links(db, "event_entities", "entity_id", filters.entity, memo)
        small = links <= SORT_CANDIDATES_LIMIT
        drive_from_links = drive_from_links or small
        where.append(ENTITY_IN if small else ENTITY_EXISTS)
    if filters.fts_query:
        params["q"] = filters.fts_query
        small = await count_matches(db, filters.fts_query) <= SORT_CANDIDATES_LIMIT
        drive_from_links = drive_from_links or small
        where.append(SEARCH_IN if small else SEARCH_LIST)
    if filters.types:
        names = [f":type{i}" for i in range(len(filters.types))]
        params.update({f"type{i}": t for i, t in enumerate(filters.types)})
        where.append(f"e.type IN ({', '.join(names)})")
    if filters.date_from:
        params["from"] = filters.date_from
        where.append("e.sort_date >= :from")
    if filters.to_exclusive:
        params["to"] = filters.to_exclusive
        where.append("e.sort_date < :to")
    if filters.min_importance is not None:
        params["min_importance"] = filters.min_importance
        where.append("e.importance >= :min_importance")
    if filters.cursor:
        params["cursor_date"], params["cursor_id"] = filters.cursor
        where.append("(e.sort_date < :cursor_date OR (e.sort_date = :cursor_date AND e.id < :cursor_id))")
    order = "e.sort_date DESC, e.id DESC"
    if drive_from_links:
        order = "+e.sort_date DESC, e.id DESC"
    sql = f"SELECT {EVENT_COLUMNS} FROM events e WHERE {' AND '.join(where)} ORDER BY {order} LIMIT :limit"
    rows = [dict(r) for r in (await db.execute(sql, params)).rows]
    next_cursor = None
    if len(rows) > filters.size:
        rows = rows[: filters.size]
        next_cursor = (rows[-1]["sort_date"], rows[-1]["id"])
    return rows, next_cursor


def placeholders(values: list) -> str:
    """'?, ?, ?' for a list of values."""
    return ", ".join("?" for _ in values)


async def decorate_events(db, rows: list[dict]) -> list[dict]:
    """Add labels, percentages, stories, entities and safe source links to event rows."""
    ids = [r["id"] for r in rows]
    if not ids:
        return []
    stories: dict[int, list[dict]] = defaultdict(list)
    entities: dict[int, list[dict]] = defaultdict(list)
    articles: dict[int, list[dict]] = defaultdict(list)
    marks = placeholders(ids)
    for r in (await db.execute(
        f"SELECT se.event_id, s.id, s.title FROM story_events se JOIN stories s ON s.id = se.story_id "
        f"WHERE se.event_id IN ({marks}) ORDER BY s.importance DESC", ids)).rows:
        stories[r[0]].append({"id": r[1], "title": r[2]})
    for r in (await db.execute(
        f"SELECT ee.event_id, en.id, en.name, en.type, ee.role FROM event_entities ee "
        f"JOIN entities en ON en.id = ee.entity_id WHERE ee.event_id IN ({marks}) "
        f"ORDER BY ee.event_id, ee.role = 'participant', en.name", ids)).rows:
        if all(e["id"] != r[1] for e in entities[r[0]]):
            entities[r[0]].append({"id": r[1], "name": r[2], "type": r[3], "role": r[4]})
    lead_ids = {r["id"]: r["article_id"] for r in rows if r["article_id"]}
    report_rows = (await db.execute(
        f"SELECT em.event_id, em.article_id FROM event_mentions em WHERE em.event_id IN ({marks}) "
        f"ORDER BY em.event_id, em.article_id", ids)).rows
    wanted: dict[int, list[int]] = defaultdict(list)
    for event_id, article_id in lead_ids.items():
        wanted[event_id].append(article_id)
    for event_id, article_id in report_rows:
        if article_id not in wanted[event_id] and len(wanted[event_id]) < ARTICLES_PER_EVENT:
            wanted[event_id].append(article_id)
    article_ids = sorted({a for ids_ in wanted.values() for a in ids_})
    info: dict[int, dict] = {}
    if article_ids:
        for r in (await db.execute(
            f"SELECT a.id, a.title, a.url, a.published_at, s.name, s.first_party FROM articles a "
            f"LEFT JOIN sources s ON s.id = a.source_id WHERE a.id IN ({placeholders(article_ids)})",
                article_ids)).rows:
            info[r[0]] = {"id": r[0], "title": r[1] or "(untitled)", "url": safe_url(r[2]),
                          "published_at": r[3], "source": r[4], "first_party": bool(r[5])}
    for event_id, ids_ in wanted.items():
        articles[event_id] = [info[a] for a in ids_ if a in info]
    decorated = []
    for row in rows:
        event = describe_event(row)
        event["stories"] = stories.get(row["id"], [])
        event["entities"] = entities.get(row["id"], [])
        event["articles"] = articles.get(row["id"], [])
        decorated.append(event)
    return decorated


def date_label_of(row: dict) -> str:
    """'April 14, 2026', or for an event without a date 'date unknown, first reported April 9, 2026'."""
    if row.get("date"):
        return format_date(row.get("date"), row.get("date_mod"))
    # No date in the text: say so, and place it by when it was first reported.
    reported = (row.get("first_reported_at") or row.get("sort_date") or "")[:10]
    return f"date unknown, first reported {format_date(reported)}" if reported else "date unknown"


def describe_event(row: dict) -> dict:
    """An event row with the labels a reader needs (date label, precision, percentages)."""
    event = dict(row)
    event["date_label"] = date_label_of(row)
    event["precision"] = precision_of(row.get("date"), row.get("date_precision"))
    event["precision_label"] = precision_words(event["precision"])
    event.update(score_labels(row))
    event["why"] = score_summaries(row.get("score_components"), row.get("type"))
    event["month"] = month_key(row.get("sort_date"))
    return event


def group_by_month(events: list[dict]) -> list[dict]:
    """Consecutive events grouped under their month, in the order given."""
    groups: list[dict] = []
    for event in events:
        if not groups or groups[-1]["key"] != event["month"]:
            groups.append({"key": event["month"], "label": month_label(event["month"]), "events": []})
        groups[-1]["events"].append(event)
    return groups


def event_json(event: dict) -> dict:
    """The public JSON shape of one event."""
    keys = ("id", "type", "status", "date", "date_mod", "date_label", "precision", "precision_label",
            "sort_date",
            "importance", "confidence", "importance_pct", "confidence_pct", "mentions", "sources",
            "sentence", "summary", "attributed_to", "hedged", "negated", "known_at",
            "first_reported_at", "stories", "entities", "articles")
    shown = {k: event.get(k) for k in keys}
    shown["score_words"] = [w["text"] for w in event.get("why") or []]
    return shown
