"""Matching events to stories: event profiles, stored story profiles, candidates by index, the score."""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from kb.ledger.similarity import content_words

RECENT_SENTENCES = 10  # a story's wording = the sentences of its latest events
RELATED_CREDIT = 0.5  # an entity whose name extends another's ("Amazon Web Services", "Amazon")
CHUNK = 500  # ids per IN (...) query
# When a story's events happened, for grouping: the event date, unless it lies more than a
# month after the first report (a plan or a term such as "rights through 2032"), in which
# case the report date: the news happened when it was reported.
STORY_DATE_SQL = """CASE WHEN e.sort_date IS NULL OR e.sort_date > date(e.known_at, '+31 days')
                    THEN substr(e.known_at, 1, 10) ELSE e.sort_date END"""


def chunks(ids: list[int], size: int = CHUNK) -> Iterator[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def marks(values: list[Any]) -> str:
    return ", ".join("?" for _ in values) or "NULL"


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


def section_of(event_type: str, weights: dict[str, Any]) -> str:
    """The story-card section an event type belongs to."""
    for section, types in weights["stories"]["sections"].items():
        if event_type in types:
            return section
    return "partnership"


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


def window_days(weights: dict[str, Any], event_type: str) -> int:
    windows = weights["stories"]["window_days"]
    return int(windows.get(event_type, windows["default"]))


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
        # sort date, kb/story_totals.py); INDEXED BY: the planner, without fresh statistics,
        # may pick another index on story_id and read the whole story.
        first = self.db.execute("SELECT min(ev_story_date) FROM story_events INDEXED BY idx_story_events_date WHERE story_id = ?",
                                [story_id]).fetchone()[0]
        last = self.db.execute("SELECT max(ev_story_date) FROM story_events INDEXED BY idx_story_events_date WHERE story_id = ?",
                               [story_id]).fetchone()[0]
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
                                 WHERE se.story_id = ? ORDER BY se.ev_sort_date DESC, se.event_id DESC LIMIT ?""",
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


def invalidate_profiles(db: sqlite_utils.Database, story_ids: Iterable[int], weights: dict[str, Any]) -> None:
    """Rebuild story_entities of stories whose events changed; their profiles follow when needed."""
    for story_id in sorted(set(story_ids)):
        write_story_entities(db, story_id, weights)
        db.execute("DELETE FROM story_profiles WHERE story_id = ?", [story_id])


def rebuild_story_index(db: sqlite_utils.Database, weights: dict[str, Any]) -> int:
    """Rebuild story_entities and story_profiles of every story from its events; return stories.

    Used by `kb rescore` and for databases whose stories were written without the story
    assignment (bench/generate_db.py). The caller commits.
    """
    ignored_types = sorted(weights["matching"].get("ignore_entity_types", []))
    db.execute("DELETE FROM story_profiles")
    db.execute("DELETE FROM story_entities")
    db.execute(
        f"""INSERT INTO story_entities (story_id, entity_id, events, last_date)
            SELECT se.story_id, ee.entity_id, count(DISTINCT ee.event_id), max({STORY_DATE_SQL})
            FROM story_events se JOIN stories s ON s.id = se.story_id
            JOIN event_entities ee ON ee.event_id = se.event_id
            JOIN events e ON e.id = se.event_id JOIN entities en ON en.id = ee.entity_id
            WHERE s.status != 'merged' AND en.type NOT IN ({marks(ignored_types)})
            GROUP BY se.story_id, ee.entity_id""", ignored_types)
    story_ids = [r[0] for r in db.execute("SELECT id FROM stories WHERE status != 'merged' ORDER BY id")]
    profiles = StoryProfiles(db, weights)
    for part in chunks(story_ids):
        profiles.get(part)
        profiles.save()
        profiles.loaded.clear()
    return len(story_ids)


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


def update_story_entities(db: sqlite_utils.Database, before: dict[int, tuple[int, str | None, frozenset[int]]],
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
                f"SELECT event_id, story_id, ev_story_date FROM story_events WHERE event_id IN ({marks(part)}) "
                "ORDER BY story_id DESC", part):
            now_story[event_id] = (story_id, date)
        for event_id, entity_id in db.execute(
                f"SELECT DISTINCT event_id, entity_id FROM event_entities WHERE event_id IN ({marks(part)})", part):
            now_entities.setdefault(event_id, set()).add(entity_id)
    entity_ids = sorted({e for _, _, ents in before.values() for e in ents}
                        | {e for ents in now_entities.values() for e in ents})
    kinds: dict[int, str] = {}
    for part in chunks(entity_ids):
        kinds.update(db.execute(f"SELECT id, type FROM entities WHERE id IN ({marks(part)})", part).fetchall())

    def counted(ids: Iterable[int]) -> set[int]:
        return {e for e in ids if e in kinds and kinds[e] not in ignored_types}

    delta: dict[tuple[int, int], int] = {}
    new_dates: dict[tuple[int, int], list[str]] = {}
    lost: dict[tuple[int, int], set[str | None]] = {}
    for event_id in event_ids:
        story_id, old_date, old_ids = before[event_id]
        old = counted(old_ids)
        now = now_story.get(event_id)
        new, new_date = (counted(now_entities.get(event_id, ())), now[1]) if now and now[0] == story_id else (set(), None)
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
    db.conn.executemany("""INSERT INTO story_entities (story_id, entity_id, events, last_date) VALUES (?, ?, ?, ?)
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
    since = (event.date - dt.timedelta(days=window_days(weights, event.type))).isoformat() if event.date else ""
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
