"""Developing stories: place events into stories incrementally, or rebuild every story's index."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

import sqlite_utils

from kb.ledger.scoring import ScoringContext
from kb.ledger.sql_helpers import chunks, marks
from kb.store.story_totals import rebuild_story_totals
from kb.stories.activity import reference_time, refresh_statuses
from kb.stories.matching import Candidates, find_candidates, match_story, section_of, window_days
from kb.stories.profiles import STORY_DATE_SQL, EventProfile, StoryProfiles, event_profiles, to_date
from kb.stories.refresh import refresh_story
from kb.stories.story_index import (
    count_event_in_story,
    invalidate_profiles,
    rebuild_story_index,
    update_story_entities,
)
from kb.stories.text import rebuild_first_mentions

log = logging.getLogger(__name__)


def best_story(event: EventProfile, candidates: Candidates, profiles: StoryProfiles,
               weights: dict[str, Any]) -> int | None:
    """The candidate story the event fits best, if any fits well enough."""
    if not candidates.story_ids:
        return None
    window = dt.timedelta(days=window_days(weights, event.type))
    threshold = float(weights["stories"]["threshold"])
    found = profiles.get(candidates.story_ids)
    best: tuple[float, int] | None = None
    for story_id in candidates.story_ids:
        profile = found.get(story_id)
        if profile is None:
            continue
        first = to_date(profile.first)
        if event.date and first and first - window > event.date:
            continue
        score, parts = match_story(event, profile, candidates, weights)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("event %s vs story %s: %.3f %s", event.id, story_id, score,
                      {k: round(v, 2) for k, v in parts.items()})
        if score >= threshold and (best is None or score > best[0]):
            best = (score, story_id)
    return best[1] if best else None


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


def unplaced_events(db: sqlite_utils.Database, event_ids: Iterable[int]) -> list[int]:
    """The events not in any story, in the order they happened (story date, then id)."""
    rows: list[tuple[str | None, int]] = []
    for part in chunks(sorted(set(event_ids))):
        rows.extend((r[1], r[0]) for r in db.execute(
            f"""SELECT e.id, {STORY_DATE_SQL} FROM events e WHERE e.id IN ({marks(part)})
                AND NOT EXISTS (SELECT 1 FROM story_events se WHERE se.event_id = e.id)""", part))
    rows.sort(key=lambda r: (r[0] is not None, r[0] or "", r[1]))  # SQL order: undated first
    return [event_id for _, event_id in rows]


def assign_stories(db: sqlite_utils.Database, ctx: ScoringContext, event_ids: Iterable[int],
                   profiles: StoryProfiles | None = None) -> set[int]:
    """Put each event not yet in a story into the best-matching story or a new one.

    Returns the ids of stories that gained events. Events already in a story stay there.
    Candidate stories come from story_entities by index and are compared through their
    stored profiles, which are updated as events join: the cost per event does not grow
    with the number or size of stories.
    """
    weights = ctx.weights
    own_profiles = profiles is None
    profiles = profiles or StoryProfiles(db, weights)
    ordered = unplaced_events(db, event_ids)
    events, info = event_profiles(db, ordered, weights)
    changed: set[int] = set()
    for event_id in ordered:
        event = events.get(event_id)
        if event is None:
            continue
        candidates = find_candidates(db, event, weights)
        story_id = best_story(event, candidates, profiles, weights)
        section = section_of(event.type, weights)
        if story_id is None:
            story_id = create_story(db, event_id)
            profile = profiles.new(story_id, section)
        else:
            profile = profiles.get([story_id])[story_id]
        add_event_to_story(db, story_id, event_id, known_at=event.known_at or "")
        before = {e: candidates.counts.get((story_id, e), 0) for e in event.entity_ids}
        counts = count_event_in_story(db, story_id, event, before)
        profile.add(event, sorted(event.words), counts, info, weights)
        profiles.changed.add(story_id)
        if story_id not in changed and profile.section is None:
            db.execute("UPDATE stories SET section = coalesce(section, ?) WHERE id = ?", [section, story_id])
            profile.section = section
        changed.add(story_id)
    if own_profiles:
        profiles.save()
    return changed


def place_events(db: sqlite_utils.Database, ctx: ScoringContext, event_ids: Iterable[int],
                 extra_story_ids: Iterable[int] = (), stale_story_ids: Iterable[int] = (),
                 story_before: dict[int, tuple[int, str | None, frozenset[int]]] | None = None) -> set[int]:
    """After the ledger changed these events: assign new ones, refresh their stories.

    `stale_story_ids`: stories whose events changed in what matching looks at (entities,
    dates, sentences) or were deleted; their entity index is updated by difference from
    `story_before` (event -> its story, story date and entities before the change) where it
    can be, else rebuilt; their profiles are rebuilt (by index) when next needed.
    """
    event_ids = sorted(set(event_ids))
    updated = update_story_entities(db, story_before or {}, ctx.weights)
    for story_id in sorted(updated):
        db.execute("DELETE FROM story_profiles WHERE story_id = ?", [story_id])
    invalidate_profiles(db, set(stale_story_ids) - updated, ctx.weights)
    assign_stories(db, ctx, event_ids)
    affected = set(extra_story_ids) | set(stale_story_ids) | stories_of_events(db, event_ids)
    reference = reference_time(db)
    changed = set(event_ids) | set(story_before or {})
    for story_id in sorted(affected):
        refresh_story(db, ctx, story_id, reference, changed)
    refresh_statuses(db, reference, ctx.weights)
    return affected


def refresh_all_stories(db: sqlite_utils.Database, ctx: ScoringContext,
                        now: str | None = None) -> tuple[int, str | None]:
    """Rebuild every story's entity index and profile, assign events left without a story and
    rescore every story (membership unchanged)."""
    reference = reference_time(db, now)
    rebuild_story_totals(db)
    rebuild_first_mentions(db)  # no drift survives a rescore
    rebuild_story_index(db, ctx.weights)
    profiles = StoryProfiles(db, ctx.weights)
    orphans = [r[0] for r in db.execute(
        "SELECT id FROM events e WHERE NOT EXISTS (SELECT 1 FROM story_events se WHERE se.event_id = e.id) "
        "ORDER BY id").fetchall()]
    assign_stories(db, ctx, orphans, profiles)
    profiles.save()
    count = 0
    for (story_id,) in db.execute("SELECT id FROM stories ORDER BY id").fetchall():
        count += refresh_story(db, ctx, story_id, reference)
    return count, reference
