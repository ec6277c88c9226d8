"""Refreshing a story: scores from the running totals, dates, status, section, title and overview."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Set as AbstractSet
from typing import Any

import sqlite_utils

from kb.ledger.scoring import ScoringContext, StoryTotals, components_json, score_story_totals
from kb.ledger.sql_helpers import chunks, marks
from kb.store.story_totals import ACTIVITY_SQL, WEIGHT_UNIT, WEIGHTED_UNIT
from kb.stories.activity import story_status
from kb.stories.matching import section_of
from kb.stories.text import generate_overview
from kb.stories.titles import story_keys, storyline_title


def text_event_ids(db: sqlite_utils.Database, story_id: int, limit: int) -> list[int]:
    """The ids of the story's most important events (at most `limit`), from the index alone."""
    return [r[0] for r in db.execute(
        """SELECT se.event_id FROM story_events se INDEXED BY idx_story_events_rank
           WHERE se.story_id = ? ORDER BY se.ev_importance DESC, se.event_id LIMIT ?""", [story_id, limit])]


# What titles and overviews read of an event.
TEXT_COLUMNS = ("id", "type", "status", "importance", "sort_date", "sentence", "summary")


def text_events_of(db: sqlite_utils.Database, event_ids: list[int]) -> list[dict[str, Any]]:
    """These events' TEXT_COLUMNS and whether each is only a recap, in date order (undated first)."""
    events: list[dict[str, Any]] = []
    columns = ", ".join(TEXT_COLUMNS)
    for part in chunks(sorted(event_ids)):
        events.extend(dict(zip(TEXT_COLUMNS, row, strict=True)) for row in db.execute(
            f"SELECT {columns} FROM events WHERE id IN ({marks(part)})", part).fetchall())
    recaps: set[int] = set()
    for part in chunks(sorted(event_ids)):
        recaps.update(r[0] for r in db.execute(
            f"""SELECT event_id FROM event_mentions WHERE event_id IN ({marks(part)})
                GROUP BY event_id HAVING min(recap) = 1""", part))
    for event in events:  # reported only as a recap: background, not the line's own fact
        event["recap"] = event["id"] in recaps
    events.sort(key=lambda e: (e["sort_date"] is not None, e["sort_date"] or "", e["id"]))
    return events


def text_key(event_ids: list[int], section: str, weights: dict[str, Any], entity_edits: int = 0,
             keys: list[str] | None = None) -> str:
    """A digest of which events a title and overview are written from, the card section, the
    settings that shape them and the count of entity edits (kb/store/migrations.py m017): while it and
    those events' rows stay the same, so do they."""
    settings = [weights["stories"], weights["importance"], weights["matching"].get("ignore_entity_types", [])]
    material = [section, event_ids, settings, entity_edits, keys or []]
    text = json.dumps(material, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha1(text.encode()).hexdigest()


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
            "SELECT type, live, weight FROM story_type_weights WHERE story_id = ? AND events > 0 "
            "ORDER BY type",
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


def story_dates(db: sqlite_utils.Database,
                story_id: int) -> tuple[str | None, str | None, str | None, str | None]:
    """(first known, last updated, last event date, activity date) of a story's events, each by
    index (named: without fresh statistics the planner may pick another index on story_id and read
    it all). The activity date is the latest fact's date (kb/stories/activity.py)."""
    def one(sql: str) -> str | None:
        return db.execute(sql, [story_id]).fetchone()[0]

    return (one("SELECT min(ev_known_at) FROM story_events INDEXED BY idx_story_events_known "
                "WHERE story_id = ?"),
            one("SELECT max(ev_updated) FROM story_events INDEXED BY idx_story_events_updated "
                "WHERE story_id = ?"),
            one("SELECT max(ev_sort_date) FROM story_events INDEXED BY idx_story_events_recent "
                "WHERE story_id = ?"),
            one(ACTIVITY_SQL.format(story="?")))


def refresh_story(db: sqlite_utils.Database, ctx: ScoringContext, story_id: int, reference: str | None,
                  changed_events: AbstractSet[int] | None = None) -> bool:
    """Recompute a story's scores, dates, status, section, title and overview. False if gone.

    Counts and score sums come from the running totals (kb/store/story_totals.py), dates and the
    top events from indexes; titles and overviews read only the story's `text_events` most
    important events: a long story costs no more than a short one. With `changed_events`
    (the events whose rows changed since the last refresh), the title and overview are
    rewritten only when those text events, the card section or the settings changed
    (text_key); without it, always.
    """
    story = db.execute("SELECT status, title_locked, overview_locked, overview_key, text_key FROM stories "
                       "WHERE id = ?", [story_id]).fetchone()
    if story is None or story[0] == "merged":
        return False
    totals = db.execute("SELECT events, mentions, live_events FROM story_totals WHERE story_id = ?",
                        [story_id]).fetchone()
    size, mentions, live = totals if totals else (0, 0, 0)
    if not size:
        if story[1] or story[2]:
            db.execute("UPDATE stories SET events = 0, mentions = 0 WHERE id = ?", [story_id])
            return True
        db.execute("DELETE FROM stories WHERE id = ?", [story_id])
        return False
    first_seen, updated_at, last_event_date, activity_date = story_dates(db, story_id)
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
        # The one count of a story's events every page and table shows: those not superseded
        # (datasette_plugins/story_queries.py reads the same story_totals.live_events).
        "events": live,
        "first_seen": first_seen,
        "updated_at": updated_at or None,
        "last_event_date": last_event_date or None,
        "activity_date": activity_date or None,
        "section": section,
        "status": story_status(activity_date or None, reference, weights),
    }
    if not story[1] or not story[2]:
        ids = text_event_ids(db, story_id, int(weights["stories"].get("text_events", 200)))
        key = text_key(ids, section, weights, entity_edit_count(db), story_keys(db, story_id))
        if changed_events is None or key != story[4] or not changed_events.isdisjoint(ids):
            events = text_events_of(db, ids)
            if not story[1]:
                fields["title"] = storyline_title(db, story_id, events,
                                                  weights["stories"]["section_titles"].get(section, section))
            if not story[2]:
                digest = overview_key(events, weights)
                if digest != story[3]:
                    fields["overview"] = generate_overview(events, weights)
                    fields["overview_key"] = digest
            fields["text_key"] = key
    sets = ", ".join(f"{k} = ?" for k in fields)
    db.execute(f"UPDATE stories SET {sets} WHERE id = ?", [*fields.values(), story_id])
    return True
