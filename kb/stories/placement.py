"""Developing stories: group events incrementally, score and refresh them, status, manual edits."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections import Counter
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from typing import Any

import sqlite_utils

from kb.core.errors import KBError, NotFound
from kb.core.time import parse_timestamp, utc_iso
from kb.ledger.scoring import ScoringContext, StoryTotals, components_json, score_story_totals
from kb.stories.matching import (
    STORY_DATE_SQL,
    Candidates,
    EventProfile,
    StoryProfiles,
    chunks,
    count_event_in_story,
    event_profiles,
    find_candidates,
    invalidate_profiles,
    marks,
    match_story,
    rebuild_story_index,
    section_of,
    to_date,
    update_story_entities,
    window_days,
    write_story_entities,
)
from kb.stories.text import generate_overview, generate_title, rebuild_first_mentions
from kb.stories.totals import WEIGHT_UNIT, WEIGHTED_UNIT, rebuild_story_totals

log = logging.getLogger(__name__)

__all__ = ["STORY_DATE_SQL", "section_of", "write_story_entities"]  # kept importable from here


class StoryEditError(KBError):
    """A merge, split or rename that cannot be done as asked."""


# -- reference time and status -----------------------------------------------------------


def reference_time(db: sqlite_utils.Database, now: str | None = None) -> str | None:
    """The "now" statuses are measured from: `now`, else the newest article's publication time.

    Publication times later than the newest fetch (plus a day) are ignored as bogus.
    """
    if now:
        parsed = parse_timestamp(now)
        if parsed is None:
            raise KBError(f"cannot read the date {now!r}: use YYYY-MM-DD or an ISO 8601 time")
        if len(now.strip()) == 10:
            parsed += dt.timedelta(days=1) - dt.timedelta(seconds=1)  # a date means its end
        return utc_iso(parsed)
    newest_fetch = parse_timestamp(db.execute("SELECT max(fetched_at) FROM articles").fetchone()[0])
    rows = db.execute(
        "SELECT published_at FROM articles WHERE published_at IS NOT NULL ORDER BY published_at DESC LIMIT 50"
    ).fetchall()
    best = None
    for (value,) in rows:
        parsed = parse_timestamp(value)
        if parsed is None or (newest_fetch and parsed > newest_fetch + dt.timedelta(days=1)):
            continue
        best = parsed if best is None or parsed > best else best
    if best is None:
        best = newest_fetch
    return utc_iso(best) if best else None


def status_cutoffs(reference: str | None, weights: dict[str, Any]) -> tuple[str, str] | None:
    """(developing since, dormant before) as UTC timestamps, or None without a reference."""
    parsed = parse_timestamp(reference)
    if parsed is None:
        return None
    cfg = weights["stories"]["status"]
    developing = utc_iso(parsed - dt.timedelta(days=float(cfg["developing_days"])))
    dormant = utc_iso(parsed - dt.timedelta(days=float(cfg["dormant_days"])))
    return developing, dormant


def story_status(updated_at: str | None, reference: str | None, weights: dict[str, Any]) -> str:
    """developing (new evidence lately), ongoing, or dormant (quiet for a long time)."""
    cutoffs = status_cutoffs(reference, weights)
    if cutoffs is None or not updated_at:
        return "developing"
    developing, dormant = cutoffs
    if updated_at >= developing:
        return "developing"
    return "ongoing" if updated_at >= dormant else "dormant"


def refresh_statuses(db: sqlite_utils.Database, reference: str | None, weights: dict[str, Any]) -> None:
    """Move stories between developing/ongoing/dormant as the reference time moves (by index)."""
    cutoffs = status_cutoffs(reference, weights)
    if cutoffs is None:
        return
    developing, dormant = cutoffs
    db.execute("UPDATE stories SET status = 'developing' WHERE status IN ('ongoing', 'dormant') AND updated_at >= ?",
               [developing])
    db.execute("UPDATE stories SET status = 'ongoing' WHERE status IN ('developing', 'dormant') "
               "AND updated_at < ? AND updated_at >= ?", [developing, dormant])
    db.execute("UPDATE stories SET status = 'dormant' WHERE status IN ('developing', 'ongoing') AND updated_at < ?",
               [dormant])


# -- assignment --------------------------------------------------------------------------------


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


# -- refresh ---------------------------------------------------------------------------------------


def text_event_ids(db: sqlite_utils.Database, story_id: int, limit: int) -> list[int]:
    """The ids of the story's most important events (at most `limit`), from the index alone."""
    return [r[0] for r in db.execute(
        """SELECT se.event_id FROM story_events se INDEXED BY idx_story_events_rank
           WHERE se.story_id = ? ORDER BY se.ev_importance DESC, se.event_id LIMIT ?""", [story_id, limit])]


TEXT_COLUMNS = ("id", "status", "importance", "sort_date", "sentence", "summary")  # what titles and overviews read


def text_events_of(db: sqlite_utils.Database, event_ids: list[int]) -> list[dict[str, Any]]:
    """These events' TEXT_COLUMNS, in date order (undated first)."""
    events: list[dict[str, Any]] = []
    columns = ", ".join(TEXT_COLUMNS)
    for part in chunks(sorted(event_ids)):
        events.extend(dict(zip(TEXT_COLUMNS, row, strict=True)) for row in db.execute(
            f"SELECT {columns} FROM events WHERE id IN ({marks(part)})", part).fetchall())
    events.sort(key=lambda e: (e["sort_date"] is not None, e["sort_date"] or "", e["id"]))
    return events


def text_key(event_ids: list[int], section: str, weights: dict[str, Any], entity_edits: int = 0) -> str:
    """A digest of which events a title and overview are written from, the card section, the
    settings that shape them and the count of entity edits (kb/schema.py m017): while it and
    those events' rows stay the same, so do they."""
    settings = [weights["stories"], weights["importance"], weights["matching"].get("ignore_entity_types", [])]
    material = [section, event_ids, settings, entity_edits]
    return hashlib.sha1(json.dumps(material, sort_keys=True, separators=(",", ":"), default=str).encode()).hexdigest()


def event_totals(db: sqlite_utils.Database, story_id: int, top_n: int) -> StoryTotals:
    """Score totals over the story's events (superseded ones left out unless all are), from the
    running totals and the importance index: no scan of the story's events."""
    row = db.execute("SELECT events, live_events, weight_all, weight_live, weighted_all, weighted_live "
                     "FROM story_totals WHERE story_id = ?", [story_id]).fetchone()
    if row is None or not row[0]:
        return StoryTotals([], 0, 0.0, 0.0)
    count, live, weight_all, weight_live, weighted_all, weighted_live = row
    where = "AND se.ev_live = 1" if live else ""
    top = [r[0] for r in db.execute(
        f"""SELECT se.ev_importance FROM story_events se INDEXED BY idx_story_events_rank
            WHERE se.story_id = ? {where}
            ORDER BY se.ev_importance DESC, se.event_id LIMIT ?""", [story_id, max(top_n, 1)])]
    if live:
        return StoryTotals(top, live, weight_live / WEIGHT_UNIT, weighted_live / WEIGHTED_UNIT)
    return StoryTotals(top, count, weight_all / WEIGHT_UNIT, weighted_all / WEIGHTED_UNIT)


def main_section(db: sqlite_utils.Database, story_id: int, weights: dict[str, Any]) -> str:
    """The card section holding most of the story's importance."""
    by_type: dict[int, Counter[str]] = {0: Counter(), 1: Counter()}
    for event_type, live, weight in db.execute(
            "SELECT type, live, weight FROM story_type_weights WHERE story_id = ? AND events > 0 ORDER BY type",
            [story_id]):
        by_type[1 if live else 0][event_type] += weight
    counted = by_type[1] or by_type[0] + by_type[1]
    section_weight: Counter[str] = Counter()
    for event_type in sorted(counted):
        section_weight[section_of(event_type, weights)] += counted[event_type]
    if not section_weight:
        return section_of("", weights)
    order = list(weights["stories"]["sections"])
    rank = {s: order.index(s) if s in order else len(order) for s in section_weight}
    return max(sorted(section_weight), key=lambda s: (section_weight[s], -rank[s]))


def overview_key(events: list[dict[str, Any]], weights: dict[str, Any]) -> str:
    """A digest of everything generate_overview reads: an unchanged key means an unchanged
    overview, so a story whose text events did not change keeps it without rewriting it."""
    material = [[e["id"], e["status"], e["sentence"], e["importance"], e["sort_date"]] for e in events]
    material.append(int(weights["stories"]["overview_sentences"]))
    return hashlib.sha1(json.dumps(material, separators=(",", ":")).encode()).hexdigest()


def entity_edit_count(db: sqlite_utils.Database) -> int:
    """How many times entities were renamed, retyped, promoted, ignored or deleted (kept by a trigger)."""
    row = db.execute("SELECT edits FROM entity_edits WHERE id = 1").fetchone()
    return row[0] if row else 0


def story_dates(db: sqlite_utils.Database, story_id: int) -> tuple[str | None, str | None, str | None]:
    """(first known, last updated, last event date) of a story's events, each by index (named:
    without fresh statistics the planner may pick another index on story_id and read it all)."""
    def one(sql: str) -> str | None:
        return db.execute(sql, [story_id]).fetchone()[0]

    return (one("SELECT min(ev_known_at) FROM story_events INDEXED BY idx_story_events_known WHERE story_id = ?"),
            one("SELECT max(ev_updated) FROM story_events INDEXED BY idx_story_events_updated WHERE story_id = ?"),
            one("SELECT max(ev_sort_date) FROM story_events INDEXED BY idx_story_events_recent WHERE story_id = ?"))


def refresh_story(db: sqlite_utils.Database, ctx: ScoringContext, story_id: int, reference: str | None,
                  changed_events: AbstractSet[int] | None = None) -> bool:
    """Recompute a story's scores, dates, status, section, title and overview. False if gone.

    Counts and score sums come from the running totals (kb/story_totals.py), dates and the
    top events from indexes; titles and overviews read only the story's `text_events` most
    important events: a long story costs no more than a short one. With `changed_events`
    (the events whose rows changed since the last refresh), the title and overview are
    rewritten only when those text events, the card section or the settings changed
    (stories.text_key); without it, always.
    """
    story = db.execute("SELECT status, title_locked, overview_locked, overview_key, text_key FROM stories WHERE id = ?",
                       [story_id]).fetchone()
    if story is None or story[0] == "merged":
        return False
    totals = db.execute("SELECT events, mentions FROM story_totals WHERE story_id = ?", [story_id]).fetchone()
    size, mentions = totals if totals else (0, 0)
    if not size:
        if story[1] or story[2]:
            db.execute("UPDATE stories SET events = 0, mentions = 0 WHERE id = ?", [story_id])
            return True
        db.execute("DELETE FROM stories WHERE id = ?", [story_id])
        return False
    first_seen, updated_at, last_event_date = story_dates(db, story_id)
    weights = ctx.weights
    importance, confidence = score_story_totals(
        event_totals(db, story_id, int(weights["story"]["top_n"])), mentions, weights)
    section = main_section(db, story_id, weights)
    fields: dict[str, Any] = {
        "importance": importance.value,
        "confidence": confidence.value,
        "score_components": components_json(importance, confidence),
        "formula_version": ctx.formula_version,
        "mentions": mentions,
        "events": size,
        "first_seen": first_seen,
        "updated_at": updated_at or None,
        "last_event_date": last_event_date or None,
        "section": section,
        "status": story_status(updated_at or None, reference, weights),
    }
    if not story[1] or not story[2]:
        ids = text_event_ids(db, story_id, int(weights["stories"].get("text_events", 200)))
        key = text_key(ids, section, weights, entity_edit_count(db))
        if changed_events is None or key != story[4] or not changed_events.isdisjoint(ids):
            events = text_events_of(db, ids)
            if not story[1]:
                fields["title"] = generate_title(db, ctx, events, section)
            if not story[2]:
                digest = overview_key(events, weights)
                if digest != story[3]:
                    fields["overview"] = generate_overview(events, weights)
                    fields["overview_key"] = digest
            fields["text_key"] = key
    sets = ", ".join(f"{k} = ?" for k in fields)
    db.execute(f"UPDATE stories SET {sets} WHERE id = ?", [*fields.values(), story_id])
    return True


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


def refresh_all_stories(db: sqlite_utils.Database, ctx: ScoringContext, now: str | None = None) -> tuple[int, str | None]:
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


# -- manual edits ----------------------------------------------------------------------------------


def _require_story(db: sqlite_utils.Database, story_id: int) -> tuple:
    row = db.execute("SELECT id, status, merged_into FROM stories WHERE id = ?", [story_id]).fetchone()
    if row is None:
        raise NotFound(f"no story with id {story_id}: see `kb stories list`")
    if row[1] == "merged":
        raise StoryEditError(f"story {story_id} was merged into story {row[2]}: edit that one")
    return row


def merge_stories(db: sqlite_utils.Database, keep_id: int, other_id: int, ctx: ScoringContext | None = None) -> None:
    """Move every event of `other_id` into `keep_id`; the other story is kept as a redirect."""
    if keep_id == other_id:
        raise StoryEditError("cannot merge a story into itself")
    ctx = ctx or ScoringContext(db)
    with db.conn:
        _require_story(db, keep_id)
        _require_story(db, other_id)
        db.execute("UPDATE story_events SET story_id = ?, manual = 1 WHERE story_id = ?", [keep_id, other_id])
        db.execute("UPDATE story_events SET manual = 1 WHERE story_id = ?", [keep_id])
        db.execute("DELETE FROM story_entities WHERE story_id = ?", [other_id])
        db.execute("DELETE FROM story_profiles WHERE story_id = ?", [other_id])
        invalidate_profiles(db, [keep_id], ctx.weights)
        db.execute("UPDATE stories SET status = 'merged', merged_into = ?, events = 0, mentions = 0 WHERE id = ?",
                   [keep_id, other_id])
        db.execute("UPDATE stories SET merged_into = ? WHERE merged_into = ?", [keep_id, other_id])
        refresh_story(db, ctx, keep_id, reference_time(db))


def split_story(db: sqlite_utils.Database, story_id: int, event_ids: list[int],
                ctx: ScoringContext | None = None) -> int:
    """Move some events of a story into a new story; return the new story's id."""
    ctx = ctx or ScoringContext(db)
    wanted = sorted(set(event_ids))
    if not wanted:
        raise StoryEditError("name at least one event to move into the new story")
    with db.conn:
        _require_story(db, story_id)
        members = {r[0] for r in db.execute("SELECT event_id FROM story_events WHERE story_id = ?",
                                            [story_id]).fetchall()}
        missing = [e for e in wanted if e not in members]
        if missing:
            raise StoryEditError(f"events {', '.join(map(str, missing))} are not in story {story_id}: "
                                 f"see `kb stories show {story_id}`")
        if set(wanted) == members:
            raise StoryEditError("that would move every event: rename the story instead")
        new_id = create_story(db, wanted[0])
        for event_id in wanted:
            add_event_to_story(db, new_id, event_id, manual=True)
        db.execute("UPDATE story_events SET manual = 1 WHERE story_id = ?", [story_id])
        invalidate_profiles(db, [story_id, new_id], ctx.weights)
        reference = reference_time(db)
        refresh_story(db, ctx, story_id, reference)
        refresh_story(db, ctx, new_id, reference)
    return new_id


def rename_story(db: sqlite_utils.Database, story_id: int, title: str) -> None:
    """Set a story's title by hand; reprocessing and rescoring keep it."""
    title = " ".join(title.split())
    if not title:
        raise StoryEditError("the title is empty")
    with db.conn:
        _require_story(db, story_id)
        db.execute("UPDATE stories SET title = ?, title_locked = 1 WHERE id = ?", [title, story_id])


def set_overview(db: sqlite_utils.Database, story_id: int, overview: str) -> None:
    """Set a story's overview by hand; reprocessing and rescoring keep it."""
    overview = overview.strip()
    if not overview:
        raise StoryEditError("the overview is empty")
    with db.conn:
        _require_story(db, story_id)
        db.execute("UPDATE stories SET overview = ?, overview_locked = 1, overview_key = NULL WHERE id = ?",
                   [overview, story_id])


def list_stories(db: sqlite_utils.Database, status: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """Stories (not merged ones) by importance, most important first."""
    sql = """SELECT id, title, status, importance, confidence, mentions, events, first_seen, updated_at,
                    section FROM stories WHERE status != 'merged'"""
    params: list[Any] = []
    if status:
        sql += " AND status = ?"
        params.append(status)
    sql += " ORDER BY importance DESC, id"
    if limit:
        sql += " LIMIT ?"
        params.append(limit)
    cursor = db.execute(sql, params)
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

