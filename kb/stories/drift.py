"""Drift: a storyline key whose reports fall apart in time becomes two lines (table
`storyline_drift`, settings `[drift]` of data/storylines.toml).

A key's events, in date order, split at the widest gap of more than `min_gap_days` when both
sides are reported by at least `min_articles` articles each and name no entity in common
beyond the tracked parties and the key's own parties (each side naming at least one). The
later side takes the key "KEY@YYYY-MM" (the month it starts). Only one split per key, and it
is a function of the key's set of events, never of their order.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import sqlite_utils

from kb.core.relations import Relations
from kb.ledger.sql_helpers import chunks, marks
from kb.stories.themes import StorylineRules, tracked_group

PART_MARK = "@"
NAMED_KINDS = ("ORG", "PERSON", "PRODUCT")


def base_of(key: str | None) -> str | None:
    """The key a drift part belongs to ("maker|OpenAI@2025-03" -> "maker|OpenAI")."""
    return key.split(PART_MARK, 1)[0] if key else key


@dataclass(frozen=True)
class Drift:
    since: str
    gap_days: int
    before: tuple[str, ...]
    after: tuple[str, ...]
    later: frozenset[int]


def _day(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((text or "")[:10])
    except ValueError:
        return None


def key_events(db: sqlite_utils.Database, key: str) -> list[tuple[int, dt.date | None]]:
    """The events of a key and its drift part, with their day (their fact's, else first report's)."""
    rows = db.execute(
        """SELECT e.id, coalesce(e.sort_date, e.first_reported_at) FROM storyline_events sl
           JOIN events e ON e.id = sl.event_id
           WHERE sl.key = ? OR sl.key = (SELECT part_key FROM storyline_drift WHERE key = ?)""",
        [key, key]).fetchall()
    return [(event_id, _day(text)) for event_id, text in rows]


def find_drift(db: sqlite_utils.Database, key: str, rel: Relations, rules: StorylineRules) -> Drift | None:
    """Where the key's line falls apart, or None."""
    if rules.drift_gap_days <= 0:
        return None
    events = key_events(db, key)
    dated = sorted((day, event_id) for event_id, day in events if day is not None)
    gaps = sorted(((dated[i + 1][0] - dated[i][0]).days, i) for i in range(len(dated) - 1))
    gaps = [(g, i) for g, i in gaps if g > rules.drift_gap_days]
    if not gaps:
        return None
    undated = {event_id for event_id, day in events if day is None}
    core = {p for part in key.split("|")[1:] for p in part.split(PART_MARK)[:1]}
    for gap, i in sorted(gaps, key=lambda g: (-g[0], g[1])):  # the widest gap first
        earlier = {e for _, e in dated[:i + 1]}
        later = {e for _, e in dated[i + 1:]}
        sides = [_side(db, earlier | undated, core, rel), _side(db, later, core, rel)]
        if any(len(articles) < rules.min_articles or not names for articles, names in sides):
            continue
        if sides[0][1] & sides[1][1]:
            continue
        return Drift(dated[i + 1][0].isoformat(), gap, tuple(sorted(sides[0][1])), tuple(sorted(sides[1][1])),
                     frozenset(later))
    return None


def _side(db: sqlite_utils.Database, event_ids: set[int], core: set[str],
          rel: Relations) -> tuple[set[int], set[str]]:
    """The articles reporting these events, and the entities they name beyond the tracked parties
    (and organisations part of them) and the key's own parties."""
    articles: set[int] = set()
    names: set[str] = set()
    for part in chunks(sorted(event_ids)):
        articles.update(r[0] for r in db.execute(
            f"SELECT DISTINCT article_id FROM event_mentions WHERE event_id IN ({marks(part)})", part))
        for name, kind in db.execute(
                f"""SELECT DISTINCT en.name, en.type FROM event_entities ee
                    JOIN entities en ON en.id = ee.entity_id
                    WHERE ee.event_id IN ({marks(part)}) AND en.type IN ({marks(NAMED_KINDS)})""",
                [*part, *NAMED_KINDS]):
            if name not in core and not (kind == "ORG" and tracked_group(name, rel)):
                names.add(name)
    return articles, names


def update_drift(db: sqlite_utils.Database, keys: set[str], rel: Relations,
                 rules: StorylineRules) -> dict[int, tuple[str | None, str | None]]:
    """Split (or join again) these keys' lines where they drift; return every event whose key
    changed, with (old key, new key)."""
    changed: dict[int, tuple[str | None, str | None]] = {}
    for key in sorted({b for k in keys if (b := base_of(k))}):
        row = db.execute("SELECT part_key FROM storyline_drift WHERE key = ?", [key]).fetchone()
        old_part = row[0] if row else None
        drift = find_drift(db, key, rel, rules)
        part = f"{key}{PART_MARK}{drift.since[:7]}" if drift else None
        later = drift.later if drift else frozenset()
        moves: dict[int, tuple[str | None, str | None]] = {}
        for event_id, current in db.execute(
                "SELECT event_id, key FROM storyline_events WHERE key = ? OR key = ?",
                [key, old_part]).fetchall():
            wanted = part if event_id in later else key
            if wanted != current:
                moves[event_id] = (current, wanted)
        db.conn.executemany("UPDATE storyline_events SET key = ? WHERE event_id = ?",
                            [[new, e] for e, (_, new) in sorted(moves.items())])
        changed.update(moves)
        if drift:
            db.execute(
                """INSERT INTO storyline_drift (key, part_key, since, gap_days, before_entities,
                                                after_entities) VALUES (?, ?, ?, ?, ?, ?)
                   ON CONFLICT (key) DO UPDATE SET part_key = excluded.part_key,
                   since = excluded.since, gap_days = excluded.gap_days,
                   before_entities = excluded.before_entities, after_entities = excluded.after_entities""",
                [key, part, drift.since, drift.gap_days, json.dumps(drift.before), json.dumps(drift.after)])
        elif old_part:
            db.execute("DELETE FROM storyline_drift WHERE key = ?", [key])
    return changed
