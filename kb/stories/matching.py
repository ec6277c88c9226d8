"""Matching an event to stories: candidate stories by index, and the match score."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from kb.ledger.sql_helpers import chunks, marks
from kb.stories.profiles import EventProfile, StoryProfile, to_date

RELATED_CREDIT = 0.5  # an entity whose name extends another's ("Amazon Web Services", "Amazon")


def section_of(event_type: str, weights: dict[str, Any]) -> str:
    """The story-card section an event type belongs to."""
    for section, types in weights["stories"]["sections"].items():
        if event_type in types:
            return section
    return "partnership"


def window_days(weights: dict[str, Any], event_type: str) -> int:
    windows = weights["stories"]["window_days"]
    return int(windows.get(event_type, windows["default"]))


# -- candidates and the match score -------------------------------------------------------------


@dataclass
class Candidates:
    """Stories an event may join, found by index, with what scoring them needs."""

    story_ids: list[int]
    entity_weights: dict[int, float]
    counts: dict[tuple[int, int], int]  # (story, entity) -> events of the story with the entity
    section: str = ""  # the event's card section
    window: int = 1  # the event type's time window in days
    total_weight: float = field(init=False)

    def __post_init__(self) -> None:
        self.total_weight = sum(self.entity_weights.values())


def find_candidates(db: sqlite_utils.Database, event: EventProfile, weights: dict[str, Any]) -> Candidates:
    """Open stories sharing an entity with the event within the time window (by index).

    Per entity, the `max_candidates_per_entity` stories most recently active with it; an
    entity's weight is 1 / (1 + ln(1 + such stories)) (hub entities weigh less; one in no
    story gets `unseen_entity_weight`), times the weight of its role in the event.
    """
    cfg = weights["stories"]
    limit = int(cfg["max_candidates_per_entity"])
    role_weights = cfg["role_weights"]
    participant = float(role_weights["participant"])
    window = dt.timedelta(days=window_days(weights, event.type))
    since = (event.date - window).isoformat() if event.date else ""
    found: set[int] = set()
    entity_weights: dict[int, float] = {}
    for entity_id in sorted(event.entity_ids):
        rows = db.execute(
            """SELECT story_id FROM story_entities WHERE entity_id = ? AND last_date >= ?
               ORDER BY last_date DESC, story_id DESC LIMIT ?""", [entity_id, since, limit + 1]).fetchall()
        found.update(r[0] for r in rows[:limit])
        count = len(rows)
        rarity = 1.0 / (1.0 + math.log1p(count)) if count else float(cfg["unseen_entity_weight"])
        role = max((float(role_weights.get(r, participant)) for r in event.roles.get(entity_id, ())),
                   default=participant)
        entity_weights[entity_id] = rarity * role
    story_ids = sorted(found)
    counts: dict[tuple[int, int], int] = {}
    entity_ids = sorted(event.entity_ids)
    for part in chunks(story_ids):
        for story_id, entity_id, events in db.execute(
                f"""SELECT story_id, entity_id, events FROM story_entities
                    WHERE story_id IN ({marks(part)}) AND entity_id IN ({marks(entity_ids)})""",
                [*part, *entity_ids]):
            counts[(story_id, entity_id)] = events
    return Candidates(story_ids, entity_weights, counts, section_of(event.type, weights),
                      window_days(weights, event.type))


def match_story(event: EventProfile, story: StoryProfile, candidates: Candidates,
                weights: dict[str, Any]) -> tuple[float, dict[str, float]]:
    """The match score of an event against a story, and its parts."""
    cfg = weights["stories"]
    ent_weights = candidates.entity_weights
    total_weight = candidates.total_weight
    core = story.core(weights)
    shared = 0.0
    for entity_id, weight in ent_weights.items():
        count = candidates.counts.get((story.id, entity_id))
        if count is not None:
            shared += weight * min(1.0, count / core)
        elif event.related.get(entity_id, set()) & story.names:
            shared += RELATED_CREDIT * weight
    window = candidates.window
    first, last = to_date(story.first), to_date(story.last)
    if event.date and first and last:
        if first <= event.date <= last:
            gap = 0
        else:
            gap = min(abs((event.date - first).days), abs((event.date - last).days))
        closeness = max(0.0, 1.0 - gap / window)
    else:
        closeness = 0.5
    words = story.words
    parts = {
        "entities": shared / total_weight if total_weight else 0.0,
        "family": max((min(1.0, story.families.get(f, 0) / core) for f in event.families), default=0.0),
        "section": 1.0 if candidates.section == story.section else 0.0,
        "time": closeness,
        "text": len(event.words & words) / len(event.words) if event.words else 0.0,
    }
    score = sum(float(cfg["weights"][k]) * v for k, v in parts.items())
    return round(score, 6), parts
