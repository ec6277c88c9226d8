"""What story matching compares: event profiles, and story profiles kept in story_profiles as events join."""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from kb.ledger.similarity import content_words
from kb.ledger.sql_helpers import chunks, marks

RECENT_SENTENCES = 10  # a story's wording = the sentences of its latest events
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


@dataclass
class StoryProfile:
    """What story matching looks at in a story, kept in story_profiles as events join.

    Per-entity event counts live in story_entities; `families` holds, for each product
    family, the event count of its most frequent member.
    """

    id: int
    section: str | None
    size: int = 0
    first: str | None = None
    last: str | None = None
    families: dict[str, int] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)  # lower-case entity names and their prefixes
    recent: list[tuple[str | None, int, list[str]]] = field(default_factory=list)  # latest events
    _words: set[str] | None = field(default=None, repr=False, compare=False)

    @property
    def words(self) -> set[str]:
        """The words of the story's latest events' sentences."""
        if self._words is None:
            self._words = {w for _, _, words in self.recent for w in words}
        return self._words

    def core(self, weights: dict[str, Any]) -> float:
        """Events an entity must be in to count fully (a share of the story's events)."""
        return max(float(weights["stories"]["core_share"]) * max(self.size, 1), 1.0)

    def add(self, event: EventProfile, sentence_words: list[str], counts: dict[int, int],
            info: dict[int, tuple[str, str]], weights: dict[str, Any]) -> None:
        """Take in an event that joined; `counts` are its entities' event counts after joining."""
        self.size += 1
        if event.story_date:
            self.first = min(self.first or event.story_date, event.story_date)
            self.last = max(self.last or event.story_date, event.story_date)
        parts = int(weights["stories"]["family_prefix_parts"])
        for entity_id in event.entity_ids:
            name, kind = info[entity_id]
            self.names.add(name.lower())
            self.names.update(related_names(name))
            family = family_of(name, kind, parts)
            if family is not None:
                self.families[family] = max(self.families.get(family, 0), counts.get(entity_id, 0))
        self.recent.append((event.sort_date, event.id, sentence_words))
        self.recent.sort(key=recency, reverse=True)
        del self.recent[RECENT_SENTENCES:]
        self._words = None


def recency(item: tuple[str | None, int, list[str]]) -> tuple:
    """Newest first as SQL's ORDER BY sort_date DESC, id DESC (undated last)."""
    return (item[0] is not None, item[0] or "", item[1])


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


# -- stored story profiles --------------------------------------------------------------------


class StoryProfiles:
    """Story profiles for one run: loaded from story_profiles (or rebuilt), changed, saved."""

    def __init__(self, db: sqlite_utils.Database, weights: dict[str, Any]):
        self.db = db
        self.weights = weights
        self.loaded: dict[int, StoryProfile] = {}
        self.changed: set[int] = set()

    def get(self, story_ids: Iterable[int]) -> dict[int, StoryProfile]:
        """Profiles of these stories; ones never stored (or invalidated) are rebuilt."""
        wanted = sorted(set(story_ids) - set(self.loaded))
        for part in chunks(wanted):
            for story_id, section, size, first, last, families, names, recent in self.db.execute(
                    f"""SELECT s.id, s.section, p.size, p.first_date, p.last_date, p.families, p.names,
                               p.recent FROM stories s JOIN story_profiles p ON p.story_id = s.id
                        WHERE s.id IN ({marks(part)})""", part):
                self.loaded[story_id] = StoryProfile(
                    story_id, section, size, first, last, json.loads(families), set(json.loads(names)),
                    [(d, i, w) for d, i, w in json.loads(recent)])
        for story_id in wanted:
            if story_id not in self.loaded:
                profile = self.build(story_id)
                if profile is not None:
                    self.loaded[story_id] = profile
                    self.changed.add(story_id)
        return {i: self.loaded[i] for i in story_ids if i in self.loaded}

    def build(self, story_id: int) -> StoryProfile | None:
        """A story's profile from its events and story_entities rows."""
        story = self.db.execute("SELECT section FROM stories WHERE id = ?", [story_id]).fetchone()
        if story is None:
            return None
        totals = self.db.execute("SELECT events FROM story_totals WHERE story_id = ?", [story_id]).fetchone()
        size = totals[0] if totals else 0
        # min/max and latest events by index (story_events copies each event's story date and
        # sort date, kb/store/story_totals.py); INDEXED BY: the planner, without fresh statistics,
        # may pick another index on story_id and read the whole story.
        first, last = (self.db.execute(f"SELECT {f}(ev_story_date) FROM story_events INDEXED BY "
                                       "idx_story_events_date WHERE story_id = ?", [story_id]).fetchone()[0]
                       for f in ("min", "max"))
        profile = StoryProfile(story_id, story[0], size, first, last)
        parts = int(self.weights["stories"]["family_prefix_parts"])
        for name, kind, count in self.db.execute(
                """SELECT en.name, en.type, se.events FROM story_entities se
                   JOIN entities en ON en.id = se.entity_id WHERE se.story_id = ?""", [story_id]):
            profile.names.add(name.lower())
            profile.names.update(related_names(name))
            family = family_of(name, kind, parts)
            if family is not None:
                profile.families[family] = max(profile.families.get(family, 0), count)
        profile.recent = [(sort_date, event_id, sorted(set(content_words(sentence))))
                          for sort_date, event_id, sentence in
                          self.db.execute(
                              """SELECT e.sort_date, e.id, e.sentence FROM story_events se
                                 INDEXED BY idx_story_events_recent JOIN events e ON e.id = se.event_id
                                 WHERE se.story_id = ?
                                 ORDER BY se.ev_sort_date DESC, se.event_id DESC LIMIT ?""",
                              [story_id, RECENT_SENTENCES])]
        return profile

    def new(self, story_id: int, section: str) -> StoryProfile:
        profile = StoryProfile(story_id, section)
        self.loaded[story_id] = profile
        self.changed.add(story_id)
        return profile

    def save(self) -> None:
        """Write the profiles changed in this run."""
        rows = []
        for story_id in sorted(self.changed):
            p = self.loaded[story_id]
            rows.append([story_id, p.size, p.first, p.last,
                         json.dumps(p.families, sort_keys=True, separators=(",", ":")),
                         json.dumps(sorted(p.names), separators=(",", ":")),
                         json.dumps([list(r) for r in p.recent], separators=(",", ":"))])
        self.db.conn.executemany(
            """INSERT INTO story_profiles (story_id, size, first_date, last_date, families, names, recent)
               VALUES (?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (story_id) DO UPDATE SET size = excluded.size, first_date = excluded.first_date,
                   last_date = excluded.last_date, families = excluded.families, names = excluded.names,
                   recent = excluded.recent""", rows)
        self.changed.clear()
