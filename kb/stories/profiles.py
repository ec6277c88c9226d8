"""What the story index reads of an event (its entities and story date), and product families."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from kb.ledger.similarity import content_words
from kb.ledger.sql_helpers import chunks, marks

# When a story's events happened, for grouping: the event date, unless it lies more than a
# month after the first report (a plan or a term such as "rights through 2032"), in which
# case the report date: the news happened when it was reported.
STORY_DATE_SQL = """CASE WHEN e.sort_date IS NULL OR e.sort_date > date(e.known_at, '+31 days')
                    THEN substr(e.known_at, 1, 10) ELSE e.sort_date END"""



@dataclass
class EventProfile:
    """What story matching looks at in an event."""

    id: int
    type: str
    date: dt.date | None  # the story date (see STORY_DATE_SQL)
    entity_ids: set[int]
    families: set[str]
    words: set[str]
    related: dict[int, set[str]] = field(default_factory=dict)  # id -> related lower-case names
    roles: dict[int, set[str]] = field(default_factory=dict)  # id -> its roles in the event
    sort_date: str | None = None
    known_at: str | None = None
    story_date: str | None = None


def family_of(name: str, entity_type: str, parts: int) -> str | None:
    """The product family of a hyphenated product name ("MAI-Image-2" -> "mai"), or None."""
    if entity_type != "PRODUCT" or "-" not in name or " " in name:
        return None
    pieces = [p for p in name.split("-") if p]
    if len(pieces) <= parts:
        return None
    return "-".join(pieces[:parts]).lower()


def related_names(name: str) -> set[str]:
    """Lower-case prefixes of a name by words or hyphenated parts ("amazon" for "Amazon Web
    Services", "mai" and "mai-image" for "MAI-Image-2")."""
    out = set()
    for sep in (" ", "-"):
        parts = name.lower().split(sep)
        out.update(sep.join(parts[:n]) for n in range(1, len(parts)))
    return out


@functools.lru_cache(maxsize=8192)
def to_date(value: str | None) -> dt.date | None:
    """The date an ISO date or timestamp starts with (memoised: stories compare many)."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


# -- loading event profiles -------------------------------------------------------------


def event_profiles(db: sqlite_utils.Database, event_ids: Iterable[int],
                   weights: dict[str, Any]) -> tuple[dict[int, EventProfile], dict[int, tuple[str, str]]]:
    """Profiles of many events (a few queries per 500), and (name, type) of their entities."""
    ignored_types = set(weights["matching"].get("ignore_entity_types", []))
    parts = int(weights["stories"]["family_prefix_parts"])
    ids = sorted(set(event_ids))
    profiles: dict[int, EventProfile] = {}
    info: dict[int, tuple[str, str]] = {}
    for part in chunks(ids):
        rows = db.execute(
            f"""SELECT e.id, e.type, {STORY_DATE_SQL}, e.sentence, e.sort_date, e.known_at FROM events e
                WHERE e.id IN ({marks(part)})""", part).fetchall()
        roles: dict[int, dict[int, set[str]]] = {}
        for event_id, entity_id, role, name, kind in db.execute(
                f"""SELECT ee.event_id, ee.entity_id, ee.role, en.name, en.type FROM event_entities ee
                    JOIN entities en ON en.id = ee.entity_id WHERE ee.event_id IN ({marks(part)})""", part):
            if kind in ignored_types:
                continue
            info[entity_id] = (name, kind)
            roles.setdefault(event_id, {}).setdefault(entity_id, set()).add(role)
        for event_id, event_type, story_date, sentence, sort_date, known_at in rows:
            event_roles = roles.get(event_id, {})
            entity_ids = set(event_roles)
            names = {i: info[i] for i in entity_ids}
            profiles[event_id] = EventProfile(
                event_id, event_type, to_date(story_date), entity_ids,
                {f for name, kind in names.values() if (f := family_of(name, kind, parts)) is not None},
                set(content_words(sentence)),
                {i: related_names(name) | {name.lower()} for i, (name, _) in names.items()},
                event_roles, sort_date, known_at, story_date)
    return profiles, info
