"""Developing stories: place changed events into their storylines and refresh their stories, or
recompute every storyline (kb rescore)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

import sqlite_utils

from kb.ledger.scoring import ScoringContext
from kb.ledger.sql_helpers import chunks, marks
from kb.store.story_totals import rebuild_story_totals
from kb.stories.activity import reference_time, refresh_statuses
from kb.stories.profiles import event_profiles
from kb.stories.refresh import refresh_story
from kb.stories.story_index import (
    count_event_in_story,
    rebuild_story_index,
    rewrite_story_entities,
    update_story_entities,
)
from kb.stories.storylines import place_storylines
from kb.stories.text import rebuild_first_mentions

log = logging.getLogger(__name__)


def stories_of_events(db: sqlite_utils.Database, event_ids: Iterable[int]) -> set[int]:
    """Stories holding any of the events."""
    found: set[int] = set()
    for part in chunks(sorted(set(event_ids))):
        found.update(r[0] for r in db.execute(
            f"SELECT DISTINCT story_id FROM story_events WHERE event_id IN ({marks(part)})", part).fetchall())
    return found


def stories_by_event(db: sqlite_utils.Database, event_ids: Iterable[int]) -> dict[int, int]:
    """The story of each of the events that has one."""
    found: dict[int, int] = {}
    for part in chunks(sorted(set(event_ids))):
        for event_id, story_id in db.execute(
                f"SELECT event_id, min(story_id) FROM story_events WHERE event_id IN ({marks(part)}) "
                "GROUP BY event_id", part):
            found[event_id] = story_id
    return found


def create_story(db: sqlite_utils.Database, event_id: int) -> int:
    row = db.execute("SELECT summary FROM events WHERE id = ?", [event_id]).fetchone()
    cursor = db.execute("INSERT INTO stories (title, status) VALUES (?, 'developing')",
                        [(row[0] if row else None) or f"Story of event {event_id}"])
    return int(cursor.lastrowid)


def add_event_to_story(db: sqlite_utils.Database, story_id: int, event_id: int, manual: bool = False,
                       known_at: str | None = None) -> None:
    if known_at is None:
        known = db.execute("SELECT known_at FROM events WHERE id = ?", [event_id]).fetchone()
        known_at = known[0] if known else None
    db.execute("DELETE FROM story_events WHERE event_id = ?", [event_id])
    db.execute("INSERT INTO story_events (story_id, event_id, added_at, manual) VALUES (?, ?, ?, ?)",
               [story_id, event_id, known_at or "", int(manual)])


def assign_storylines(db: sqlite_utils.Database, ctx: ScoringContext, event_ids: Iterable[int],
                      story_before: dict[int, tuple[int, str | None, frozenset[int]]] | None = None,
                      ) -> set[int]:
    """Place events into their storylines (kb/stories/storylines.py) and keep story_entities
    current; return the stories that gained or lost events."""
    ignored = ctx.weights["matching"].get("ignore_entity_types", [])
    moved = place_storylines(db, event_ids, ignored)
    before = story_before or {}
    now = stories_by_event(db, moved)
    gained = sorted(e for e in moved if e in now and e not in before)
    events, _ = event_profiles(db, gained, ctx.weights)
    for event_id in gained:
        if event_id in events:
            count_event_in_story(db, now[event_id], events[event_id], {})
    # Stories that lost events the ledger did not report changed: their index is rebuilt.
    lost = {story for e, story in moved.items() if story and e not in before}
    rewrite_story_entities(db, lost, ctx.weights)
    return lost | set(now.values())


def place_events(db: sqlite_utils.Database, ctx: ScoringContext, event_ids: Iterable[int],
                 extra_story_ids: Iterable[int] = (), stale_story_ids: Iterable[int] = (),
                 story_before: dict[int, tuple[int, str | None, frozenset[int]]] | None = None) -> set[int]:
    """After the ledger changed these events: place them into their storylines, refresh their stories.

    `stale_story_ids`: stories whose events changed in what matching looks at (entities,
    dates, sentences) or were deleted; their entity index is updated by difference from
    `story_before` (event -> its story, story date and entities before the change) where it
    can be, else rebuilt; their profiles are rebuilt (by index) when next needed.
    """
    event_ids = sorted(set(event_ids))
    placed = assign_storylines(db, ctx, set(event_ids) | set(story_before or {}), story_before)
    updated = update_story_entities(db, story_before or {}, ctx.weights)
    rewrite_story_entities(db, set(stale_story_ids) - updated - placed, ctx.weights)
    affected = set(extra_story_ids) | set(stale_story_ids) | placed | stories_of_events(db, event_ids)
    reference = reference_time(db)
    changed = set(event_ids) | set(story_before or {})
    for story_id in sorted(affected):
        refresh_story(db, ctx, story_id, reference, changed)
    refresh_statuses(db, reference, ctx.weights)
    return affected


def refresh_all_stories(db: sqlite_utils.Database, ctx: ScoringContext,
                        now: str | None = None) -> tuple[int, str | None]:
    """Give every event its storyline key afresh (events placed by hand stay), rebuild every
    story's entity index and rescore every story."""
    reference = reference_time(db, now)
    rebuild_story_totals(db)
    rebuild_first_mentions(db)  # no drift survives a rescore
    db.execute("DELETE FROM storyline_events")  # every key afresh, from the current rules
    db.execute("DELETE FROM storyline_links WHERE kind = 'auto'")  # and every link from evidence
    db.execute("DELETE FROM storyline_drift")  # and every drift
    ignored = ctx.weights["matching"].get("ignore_entity_types", [])
    place_storylines(db, [r[0] for r in db.execute("SELECT id FROM events ORDER BY id")], ignored)
    rebuild_story_index(db, ctx.weights)
    count = 0
    for (story_id,) in db.execute("SELECT id FROM stories ORDER BY id").fetchall():
        count += refresh_story(db, ctx, story_id, reference)
    return count, reference
