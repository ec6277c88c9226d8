"""The story entity index (story_entities): written as events join, updated by difference when
events change, rebuilt by `kb rescore`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlite_utils

from kb.ledger.sql_helpers import chunks, marks
from kb.stories.profiles import STORY_DATE_SQL, EventProfile


def rewrite_story_entities(db: sqlite_utils.Database, story_ids: Iterable[int],
                           weights: dict[str, Any]) -> None:
    """Rebuild story_entities of stories whose events changed."""
    for story_id in sorted(set(story_ids)):
        write_story_entities(db, story_id, weights)


def rebuild_story_index(db: sqlite_utils.Database, weights: dict[str, Any]) -> int:
    """Rebuild story_entities of every story from its events; return the stories.

    Used by `kb rescore` and for databases whose stories were written without the story
    assignment (bench/generate_db.py). The caller commits.
    """
    ignored_types = sorted(weights["matching"].get("ignore_entity_types", []))
    db.execute("DELETE FROM story_entities")
    db.execute(
        f"""INSERT INTO story_entities (story_id, entity_id, events, last_date)
            SELECT se.story_id, ee.entity_id, count(DISTINCT ee.event_id), max({STORY_DATE_SQL})
            FROM story_events se JOIN stories s ON s.id = se.story_id
            JOIN event_entities ee ON ee.event_id = se.event_id
            JOIN events e ON e.id = se.event_id JOIN entities en ON en.id = ee.entity_id
            WHERE s.status != 'merged' AND en.type NOT IN ({marks(ignored_types)})
            GROUP BY se.story_id, ee.entity_id""", ignored_types)
    return db.execute("SELECT count(*) FROM stories WHERE status != 'merged'").fetchone()[0]


def write_story_entities(db: sqlite_utils.Database, story_id: int, weights: dict[str, Any]) -> None:
    """story_entities = the story's events' entities (places left out), counts, latest date."""
    ignored_types = sorted(weights["matching"].get("ignore_entity_types", []))
    db.execute("DELETE FROM story_entities WHERE story_id = ?", [story_id])
    db.execute(
        f"""INSERT INTO story_entities (story_id, entity_id, events, last_date)
            SELECT se.story_id, ee.entity_id, count(DISTINCT ee.event_id), max({STORY_DATE_SQL})
            FROM story_events se JOIN event_entities ee ON ee.event_id = se.event_id
            JOIN events e ON e.id = se.event_id JOIN entities en ON en.id = ee.entity_id
            WHERE se.story_id = ? AND en.type NOT IN ({marks(ignored_types)}) GROUP BY ee.entity_id""",
        [story_id, *ignored_types])


def update_story_entities(db: sqlite_utils.Database,
                          before: dict[int, tuple[int, str | None, frozenset[int]]],
                          weights: dict[str, Any]) -> set[int]:
    """Bring story_entities up to date by difference after events changed or were deleted.

    `before`: event -> (its story, story date, entity ids) before the change. Counts move by
    one per entity gained or lost; a latest date is raised by a later new date, and read
    again by index (the story's events newest first, down to the first with the entity)
    only when an event that may have held it moved earlier, lost the entity or left.
    Returns the stories updated.
    """
    if not before:
        return set()
    ignored_types = set(weights["matching"].get("ignore_entity_types", []))
    event_ids = sorted(before)
    now_story: dict[int, tuple[int, str | None]] = {}
    now_entities: dict[int, set[int]] = {}
    for part in chunks(event_ids):
        for event_id, story_id, date in db.execute(
                "SELECT event_id, story_id, ev_story_date FROM story_events "
                f"WHERE event_id IN ({marks(part)}) "
                "ORDER BY story_id DESC", part):
            now_story[event_id] = (story_id, date)
        for event_id, entity_id in db.execute(
                "SELECT DISTINCT event_id, entity_id FROM event_entities "
                f"WHERE event_id IN ({marks(part)})", part):
            now_entities.setdefault(event_id, set()).add(entity_id)
    entity_ids = sorted({e for _, _, ents in before.values() for e in ents}
                        | {e for ents in now_entities.values() for e in ents})
    kinds: dict[int, str] = {}
    for part in chunks(entity_ids):
        kinds.update(db.execute(f"SELECT id, type FROM entities WHERE id IN ({marks(part)})",
                                part).fetchall())

    def counted(ids: Iterable[int]) -> set[int]:
        return {e for e in ids if e in kinds and kinds[e] not in ignored_types}

    delta: dict[tuple[int, int], int] = {}
    new_dates: dict[tuple[int, int], list[str]] = {}
    lost: dict[tuple[int, int], set[str | None]] = {}
    for event_id in event_ids:
        story_id, old_date, old_ids = before[event_id]
        old = counted(old_ids)
        now = now_story.get(event_id)
        if now and now[0] == story_id:
            new, new_date = counted(now_entities.get(event_id, ())), now[1]
        else:
            new, new_date = set(), None
        for entity_id in old | new:
            key = (story_id, entity_id)
            delta[key] = delta.get(key, 0) + (entity_id in new) - (entity_id in old)
            # A date is lost only if it may have been the latest and is not still there or later.
            if entity_id in old and (entity_id not in new or new_date is None
                                     or (old_date is not None and new_date < old_date)):
                lost.setdefault(key, set()).add(old_date)
            if entity_id in new and new_date is not None and (entity_id not in old or new_date != old_date):
                new_dates.setdefault(key, []).append(new_date)
    stored: dict[tuple[int, int], tuple[int, str | None]] = {}
    by_story: dict[int, list[int]] = {}
    for story_id, entity_id in delta:
        by_story.setdefault(story_id, []).append(entity_id)
    for story_id, entities in sorted(by_story.items()):
        for entity_id, events, last_date in db.execute(
                f"""SELECT entity_id, events, last_date FROM story_entities
                    WHERE story_id = ? AND entity_id IN ({marks(entities)})""", [story_id, *entities]):
            stored[(story_id, entity_id)] = (events, last_date)
    gone: list[list[int]] = []
    rows: list[list[Any]] = []
    for story_id, entity_id in sorted(delta):
        key = (story_id, entity_id)
        row = stored.get(key)
        count = (row[0] if row else 0) + delta[key]
        if count <= 0:
            gone.append([story_id, entity_id])
            continue
        last = row[1] if row else None
        if row is not None and last is not None and last in lost.get(key, set()):
            last = db.execute(
                """SELECT se.ev_story_date FROM story_events se INDEXED BY idx_story_events_date
                   WHERE se.story_id = ? AND se.ev_story_date IS NOT NULL AND EXISTS (
                       SELECT 1 FROM event_entities ee WHERE ee.event_id = se.event_id AND ee.entity_id = ?)
                   ORDER BY se.ev_story_date DESC LIMIT 1""", [story_id, entity_id]).fetchone()
            last = last[0] if last else None
        else:  # no event that may have held the latest date lost it: it can only rise
            last = max([d for d in (last, *new_dates.get(key, [])) if d is not None], default=None)
        rows.append([story_id, entity_id, count, last])
    db.conn.executemany("DELETE FROM story_entities WHERE story_id = ? AND entity_id = ?", gone)
    db.conn.executemany("""INSERT INTO story_entities (story_id, entity_id, events, last_date)
                           VALUES (?, ?, ?, ?)
                           ON CONFLICT (story_id, entity_id) DO UPDATE SET events = excluded.events,
                               last_date = excluded.last_date""", rows)
    return {story_id for story_id, _, _ in before.values()}


def count_event_in_story(db: sqlite_utils.Database, story_id: int, event: EventProfile,
                         before: dict[int, int]) -> dict[int, int]:
    """Add a joining event's entities to story_entities; return their event counts after."""
    rows = [[story_id, entity_id, event.story_date] for entity_id in sorted(event.entity_ids)]
    db.conn.executemany(
        """INSERT INTO story_entities (story_id, entity_id, events, last_date) VALUES (?, ?, 1, ?)
           ON CONFLICT (story_id, entity_id) DO UPDATE SET events = events + 1,
               last_date = CASE WHEN excluded.last_date IS NULL THEN last_date
                                WHEN last_date IS NULL THEN excluded.last_date
                                ELSE max(last_date, excluded.last_date) END""", rows)
    return {entity_id: before.get(entity_id, 0) + 1 for entity_id in event.entity_ids}
