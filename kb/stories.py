"""Developing stories: group events incrementally, score, title and summarize them, manual edits."""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from kb.date_spans import parse_timestamp, utc_iso
from kb.errors import KBError, NotFound
from kb.reports import strip_dateline
from kb.scoring import ScoringContext, StoryEventScore, components_json, score_story
from kb.similarity import content_words, cosine

log = logging.getLogger(__name__)

ROLE_WEIGHT = {"agent": 1.0, "product": 0.9, "partner": 0.8, "object": 0.7, "participant": 0.5}
RECENT_SENTENCES = 10  # a story's wording = the sentences of its latest events
RELATED_CREDIT = 0.5  # an entity whose name extends another's ("Amazon Web Services", "Amazon")
# When a story's events happened, for grouping: the event date, unless it lies more than a
# month after the first report (a plan or a term such as "rights through 2032"), in which
# case the report date: the news happened when it was reported.
STORY_DATE_SQL = """CASE WHEN e.sort_date IS NULL OR e.sort_date > date(e.known_at, '+31 days')
                    THEN substr(e.known_at, 1, 10) ELSE e.sort_date END"""
OVERVIEW_SENTENCE_CHARS = 300
TITLE_CHARS = 100


class StoryEditError(KBError):
    """A merge, split or rename that cannot be done as asked."""


@dataclass
class EventProfile:
    """What story matching looks at in an event."""

    id: int
    type: str
    date: dt.date | None
    entity_ids: set[int]
    families: set[str]
    words: set[str]
    related: dict[int, set[str]] = field(default_factory=dict)  # id -> related lower-case names
    roles: dict[int, set[str]] = field(default_factory=dict)  # id -> its roles in the event


@dataclass
class StoryProfile:
    """What story matching looks at in a story."""

    id: int
    section: str | None
    first: dt.date | None
    last: dt.date | None
    entity_ids: set[int] = field(default_factory=set)
    families: dict[str, float] = field(default_factory=dict)  # family -> strength, like entities
    words: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)  # lower-case entity names
    # How much an entity is part of the story's core: 1 when it is in at least a
    # `core_share` of the story's events, less when it came up once in a long story.
    strength: dict[int, float] = field(default_factory=dict)


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


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


def _window_days(weights: dict[str, Any], event_type: str) -> int:
    windows = weights["stories"]["window_days"]
    return int(windows.get(event_type, windows["default"]))


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


# -- profiles and matching ---------------------------------------------------------------


def _entity_info(db: sqlite_utils.Database, entity_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    ids = sorted(set(entity_ids))
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    return {r[0]: (r[1], r[2]) for r in db.execute(
        f"SELECT id, name, type FROM entities WHERE id IN ({marks})", ids).fetchall()}


def _families(db: sqlite_utils.Database, entity_ids: Iterable[int], parts: int) -> set[str]:
    return {f for name, kind in _entity_info(db, entity_ids).values()
            if (f := family_of(name, kind, parts)) is not None}


def event_profile(db: sqlite_utils.Database, event_id: int, weights: dict[str, Any]) -> EventProfile | None:
    row = db.execute(f"SELECT type, {STORY_DATE_SQL}, sentence FROM events e WHERE id = ?", [event_id]).fetchone()
    if row is None:
        return None
    ignored_types = set(weights["matching"].get("ignore_entity_types", []))
    roles: dict[int, set[str]] = {}
    for entity_id, role in db.execute("SELECT entity_id, role FROM event_entities WHERE event_id = ?",
                                      [event_id]).fetchall():
        roles.setdefault(entity_id, set()).add(role)
    info = {i: v for i, v in _entity_info(db, roles).items() if v[1] not in ignored_types}
    entity_ids = set(info)
    parts = int(weights["stories"]["family_prefix_parts"])
    related = {i: related_names(name) | {name.lower()} for i, (name, _) in info.items()}
    return EventProfile(event_id, row[0], _date(row[1]), entity_ids, _families(db, entity_ids, parts),
                        set(content_words(row[2])), related, {i: roles[i] for i in entity_ids})


def related_names(name: str) -> set[str]:
    """Lower-case prefixes of a name by words or hyphenated parts ("amazon" for "Amazon Web
    Services", "mai" and "mai-image" for "MAI-Image-2")."""
    out = set()
    for sep in (" ", "-"):
        parts = name.lower().split(sep)
        out.update(sep.join(parts[:n]) for n in range(1, len(parts)))
    return out


def story_profile(db: sqlite_utils.Database, story_id: int, weights: dict[str, Any]) -> StoryProfile:
    row = db.execute(
        f"""SELECT s.section, min({STORY_DATE_SQL}), max({STORY_DATE_SQL}) FROM stories s
           LEFT JOIN story_events se ON se.story_id = s.id LEFT JOIN events e ON e.id = se.event_id
           WHERE s.id = ?""", [story_id]).fetchone()
    counts = dict(db.execute("SELECT entity_id, events FROM story_entities WHERE story_id = ?",
                             [story_id]).fetchall())
    entity_ids = set(counts)
    size = max(db.execute("SELECT count(*) FROM story_events WHERE story_id = ?", [story_id]).fetchone()[0], 1)
    core = max(float(weights["stories"]["core_share"]) * size, 1.0)
    strength = {e: min(1.0, c / core) for e, c in counts.items()}
    sentences = db.execute(
        """SELECT e.sentence FROM story_events se JOIN events e ON e.id = se.event_id
           WHERE se.story_id = ? ORDER BY e.sort_date DESC, e.id DESC LIMIT ?""",
        [story_id, RECENT_SENTENCES]).fetchall()
    words = {w for (sentence,) in sentences for w in content_words(sentence)}
    parts = int(weights["stories"]["family_prefix_parts"])
    names: set[str] = set()
    for name, _ in _entity_info(db, entity_ids).values():
        names.add(name.lower())
        names.update(related_names(name))
    families: dict[str, float] = {}
    for entity_id, (name, kind) in _entity_info(db, entity_ids).items():
        family = family_of(name, kind, parts)
        if family is not None:
            families[family] = max(families.get(family, 0.0), strength.get(entity_id, 0.0))
    return StoryProfile(story_id, row[0], _date(row[1]), _date(row[2]), entity_ids,
                        families, words, names, strength)


def candidate_stories(db: sqlite_utils.Database, event: EventProfile, weights: dict[str, Any]) -> dict[int, int]:
    """Open stories sharing an entity with the event within the time window, found by index.

    Returns {story_id: number of candidate stories found through the same entity}, the
    count being how common the entity is (used to weigh it down).
    """
    cfg = weights["stories"]
    limit = int(cfg["max_candidates_per_entity"])
    since = (event.date - dt.timedelta(days=_window_days(weights, event.type))).isoformat() if event.date else ""
    found: dict[int, int] = {}
    for entity_id in sorted(event.entity_ids):
        rows = db.execute(
            """SELECT story_id FROM story_entities WHERE entity_id = ? AND last_date >= ?
               ORDER BY last_date DESC LIMIT ?""", [entity_id, since, limit]).fetchall()
        for (story_id,) in rows:
            found[story_id] = found.get(story_id, 0) + 1
    return found


def entity_weights(db: sqlite_utils.Database, event: EventProfile, weights: dict[str, Any]) -> dict[int, float]:
    """How much each of the event's entities says about which story it belongs to.

    1 / (1 + ln(1 + open stories with the entity)), so hub entities weigh less; an entity in
    no open story gets `unseen_entity_weight`; times the weight of its role in the event.
    """
    cfg = weights["stories"]
    limit = int(cfg["max_candidates_per_entity"])
    role_weights = cfg["role_weights"]
    since = (event.date - dt.timedelta(days=_window_days(weights, event.type))).isoformat() if event.date else ""
    out = {}
    for entity_id in sorted(event.entity_ids):
        count = db.execute(
            "SELECT count(*) FROM (SELECT 1 FROM story_entities WHERE entity_id = ? AND last_date >= ? LIMIT ?)",
            [entity_id, since, limit + 1]).fetchone()[0]
        rarity = 1.0 / (1.0 + math.log1p(count)) if count else float(cfg["unseen_entity_weight"])
        role = max((float(role_weights.get(r, role_weights["participant"])) for r in event.roles.get(entity_id, ())),
                   default=float(role_weights["participant"]))
        out[entity_id] = rarity * role
    return out


def match_story(event: EventProfile, story: StoryProfile, ent_weights: dict[int, float],
                weights: dict[str, Any]) -> tuple[float, dict[str, float]]:
    """The match score of an event against a story, and its parts."""
    cfg = weights["stories"]
    total_weight = sum(ent_weights.values())
    shared = 0.0
    for entity_id, weight in ent_weights.items():
        if entity_id in story.entity_ids:
            shared += weight * story.strength.get(entity_id, 1.0)
        elif event.related.get(entity_id, set()) & story.names:
            shared += RELATED_CREDIT * weight
    window = _window_days(weights, event.type)
    if event.date and story.first and story.last:
        if story.first <= event.date <= story.last:
            gap = 0
        else:
            gap = min(abs((event.date - story.first).days), abs((event.date - story.last).days))
        closeness = max(0.0, 1.0 - gap / window)
    else:
        closeness = 0.5
    parts = {
        "entities": shared / total_weight if total_weight else 0.0,
        "family": max((story.families.get(f, 0.0) for f in event.families), default=0.0),
        "section": 1.0 if section_of(event.type, weights) == story.section else 0.0,
        "time": closeness,
        "text": len(event.words & story.words) / len(event.words) if event.words else 0.0,
    }
    score = sum(float(cfg["weights"][k]) * v for k, v in parts.items())
    return round(score, 6), parts


def best_story(db: sqlite_utils.Database, event: EventProfile, weights: dict[str, Any]) -> int | None:
    """The open story the event fits best, if any fits well enough."""
    candidates = candidate_stories(db, event, weights)
    if not candidates:
        return None
    ent_weights = entity_weights(db, event, weights)
    window = dt.timedelta(days=_window_days(weights, event.type))
    threshold = float(weights["stories"]["threshold"])
    best: tuple[float, int] | None = None
    for story_id in sorted(candidates):
        profile = story_profile(db, story_id, weights)
        if event.date and profile.first and profile.first - window > event.date:
            continue
        score, parts = match_story(event, profile, ent_weights, weights)
        log.debug("event %s vs story %s: %.3f %s", event.id, story_id, score,
                  {k: round(v, 2) for k, v in parts.items()})
        if score >= threshold and (best is None or score > best[0]):
            best = (score, story_id)
    return best[1] if best else None


# -- assignment and refresh ----------------------------------------------------------------


def story_of_event(db: sqlite_utils.Database, event_id: int) -> int | None:
    row = db.execute("SELECT story_id FROM story_events WHERE event_id = ? ORDER BY story_id LIMIT 1",
                     [event_id]).fetchone()
    return row[0] if row else None


def create_story(db: sqlite_utils.Database, event_id: int) -> int:
    row = db.execute("SELECT summary, type FROM events WHERE id = ?", [event_id]).fetchone()
    cursor = db.execute("INSERT INTO stories (title, status) VALUES (?, 'developing')",
                        [row[0] or f"Story of event {event_id}"])
    return int(cursor.lastrowid)


def add_event_to_story(db: sqlite_utils.Database, story_id: int, event_id: int, manual: bool = False) -> None:
    known = db.execute("SELECT known_at FROM events WHERE id = ?", [event_id]).fetchone()
    db.execute("DELETE FROM story_events WHERE event_id = ?", [event_id])
    db.execute("INSERT INTO story_events (story_id, event_id, added_at, manual) VALUES (?, ?, ?, ?)",
               [story_id, event_id, (known[0] if known else None) or "", int(manual)])


def assign_stories(db: sqlite_utils.Database, ctx: ScoringContext, event_ids: Iterable[int]) -> set[int]:
    """Put each event not yet in a story into the best-matching story or a new one.

    Returns the ids of stories that gained events. Events already in a story stay there.
    """
    weights = ctx.weights
    ordered = db.execute(
        f"""SELECT id FROM events e WHERE id IN ({', '.join('?' for _ in set(event_ids)) or 'NULL'})
            ORDER BY {STORY_DATE_SQL}, id""", sorted(set(event_ids))).fetchall()
    changed: set[int] = set()
    for (event_id,) in ordered:
        if story_of_event(db, event_id) is not None:
            continue
        profile = event_profile(db, event_id, weights)
        if profile is None:
            continue
        story_id = best_story(db, profile, weights)
        if story_id is None:
            story_id = create_story(db, event_id)
        add_event_to_story(db, story_id, event_id)
        write_story_entities(db, story_id, weights)
        if story_id not in changed:
            db.execute("UPDATE stories SET section = coalesce(section, ?) WHERE id = ?",
                       [section_of(profile.type, weights), story_id])
        changed.add(story_id)
    return changed


def write_story_entities(db: sqlite_utils.Database, story_id: int, weights: dict[str, Any]) -> None:
    """story_entities = the story's events' entities (places left out), counts, latest date."""
    ignored_types = sorted(weights["matching"].get("ignore_entity_types", []))
    marks = ", ".join("?" for _ in ignored_types) or "NULL"
    db.execute("DELETE FROM story_entities WHERE story_id = ?", [story_id])
    db.execute(
        f"""INSERT INTO story_entities (story_id, entity_id, events, last_date)
            SELECT se.story_id, ee.entity_id, count(DISTINCT ee.event_id), max({STORY_DATE_SQL})
            FROM story_events se JOIN event_entities ee ON ee.event_id = se.event_id
            JOIN events e ON e.id = se.event_id JOIN entities en ON en.id = ee.entity_id
            WHERE se.story_id = ? AND en.type NOT IN ({marks}) GROUP BY ee.entity_id""",
        [story_id, *ignored_types])


def _story_events(db: sqlite_utils.Database, story_id: int) -> list[dict[str, Any]]:
    cursor = db.execute(
        """SELECT e.* FROM story_events se JOIN events e ON e.id = se.event_id
           WHERE se.story_id = ? ORDER BY e.sort_date, e.id""", [story_id])
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def refresh_story(db: sqlite_utils.Database, ctx: ScoringContext, story_id: int, reference: str | None) -> bool:
    """Recompute a story's scores, dates, status, section, title and overview. False if gone."""
    story = db.execute("SELECT status, title_locked, overview_locked FROM stories WHERE id = ?",
                       [story_id]).fetchone()
    if story is None or story[0] == "merged":
        return False
    events = _story_events(db, story_id)
    if not events:
        if story[1] or story[2]:
            db.execute("UPDATE stories SET events = 0, mentions = 0 WHERE id = ?", [story_id])
            return True
        db.execute("DELETE FROM stories WHERE id = ?", [story_id])
        return False
    weights = ctx.weights
    ids = [e["id"] for e in events]
    marks = ", ".join("?" for _ in ids)
    mentions = db.execute(
        f"SELECT count(DISTINCT original_article_id) FROM event_links WHERE event_id IN ({marks})", ids
    ).fetchone()[0]
    importance, confidence = score_story(
        [StoryEventScore(e["importance"] or 0.0, e["confidence"] or 0.0, e["status"]) for e in events],
        mentions, weights)
    section_weight: Counter[str] = Counter()
    for e in events:
        if e["status"] != "superseded":
            section_weight[section_of(e["type"], weights)] += (e["importance"] or 0.0) + 0.01
    order = list(weights["stories"]["sections"])
    section = max(sorted(section_weight), key=lambda s: (section_weight[s], -order.index(s)))
    updated_at = max((e["updated_at"] or e["known_at"] or "" for e in events), default="") or None
    fields: dict[str, Any] = {
        "importance": importance.value,
        "confidence": confidence.value,
        "score_components": components_json(importance, confidence),
        "formula_version": ctx.formula_version,
        "mentions": mentions,
        "events": len(events),
        "first_seen": min((e["known_at"] for e in events if e["known_at"]), default=None),
        "updated_at": updated_at,
        "last_event_date": max((e["sort_date"] for e in events if e["sort_date"]), default=None),
        "section": section,
        "status": story_status(updated_at, reference, weights),
    }
    if not story[1]:
        fields["title"] = generate_title(db, ctx, events, section)
    if not story[2]:
        fields["overview"] = generate_overview(events, weights)
    sets = ", ".join(f"{k} = ?" for k in fields)
    db.execute(f"UPDATE stories SET {sets} WHERE id = ?", [*fields.values(), story_id])
    write_story_entities(db, story_id, weights)
    return True


def place_events(db: sqlite_utils.Database, ctx: ScoringContext, event_ids: Iterable[int],
                 extra_story_ids: Iterable[int] = ()) -> set[int]:
    """After the ledger changed these events: assign new ones, refresh their stories."""
    event_ids = sorted(set(event_ids))
    assign_stories(db, ctx, event_ids)
    affected = set(extra_story_ids)
    for event_id in event_ids:
        story_id = story_of_event(db, event_id)
        if story_id is not None:
            affected.add(story_id)
    reference = reference_time(db)
    for story_id in sorted(affected):
        refresh_story(db, ctx, story_id, reference)
    refresh_statuses(db, reference, ctx.weights)
    return affected


def refresh_all_stories(db: sqlite_utils.Database, ctx: ScoringContext, now: str | None = None) -> tuple[int, str | None]:
    """Rescore every story (membership unchanged) and assign events left without one."""
    reference = reference_time(db, now)
    orphans = [r[0] for r in db.execute(
        "SELECT id FROM events WHERE id NOT IN (SELECT event_id FROM story_events) ORDER BY id").fetchall()]
    assign_stories(db, ctx, orphans)
    count = 0
    for (story_id,) in db.execute("SELECT id FROM stories ORDER BY id").fetchall():
        count += refresh_story(db, ctx, story_id, reference)
    return count, reference


# -- titles and overviews --------------------------------------------------------------------


def _join_names(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def key_entities(db: sqlite_utils.Database, ctx: ScoringContext, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The story's entities ranked by (importance of their events * role * centrality)."""
    # Denied and superseded claims do not name a story; rumors count half.
    ids = [e["id"] for e in events if e["status"] not in ("superseded", "denied")] or [e["id"] for e in events]
    importance = {e["id"]: ((e["importance"] or 0.0) + 0.1) * (0.5 if e["status"] == "rumored" else 1.0)
                  for e in events}
    dates = {e["id"]: e["sort_date"] or "" for e in events}
    marks = ", ".join("?" for _ in ids)
    rows = db.execute(
        f"""SELECT ee.event_id, ee.entity_id, ee.role, en.name, en.type FROM event_entities ee
            JOIN entities en ON en.id = ee.entity_id WHERE ee.event_id IN ({marks})""", ids).fetchall()
    ranked: dict[int, dict[str, Any]] = {}
    for event_id, entity_id, role, name, kind in rows:
        item = ranked.setdefault(entity_id, {"id": entity_id, "name": name, "type": kind, "score": 0.0,
                                             "first": "9999", "roles": set()})
        item["score"] += importance[event_id] * ROLE_WEIGHT.get(role, 0.5) * ctx.centrality(entity_id)
        item["first"] = min(item["first"], dates[event_id])
        item["roles"].add(role)
    for item in ranked.values():  # only titles' product lists need it
        item["first_mentioned"] = (first_mentioned(db, item["id"]) if item["type"] == "PRODUCT" else None) \
            or item["first"]
    return sorted(ranked.values(), key=lambda i: (-round(i["score"], 6), i["name"]))


def first_mentioned(db: sqlite_utils.Database, entity_id: int) -> str | None:
    """The date an entity was first named in any article (from the entity mentions table)."""
    row = db.execute(
        """SELECT min(substr(coalesce(a.published_at, a.fetched_at), 1, 10)) FROM mentions m
           JOIN articles a ON a.id = m.article_id WHERE m.entity_id = ?""", [entity_id]).fetchone()
    return row[0] if row else None


def generate_title(db: sqlite_utils.Database, ctx: ScoringContext, events: list[dict[str, Any]], section: str) -> str:
    """A title from the story's key entities and main section (templates in weights.toml)."""
    weights = ctx.weights
    cfg = weights["stories"]
    templates = cfg["title_templates"]
    section_title = cfg["section_titles"].get(section, section)
    ignored_types = set(weights["matching"].get("ignore_entity_types", []))
    ranked = [e for e in key_entities(db, ctx, events) if e["type"] not in ignored_types]
    if not ranked:  # nothing but places or amounts: the lead sentence says it best
        lead_event = max(events, key=lambda e: (e["importance"] or 0.0, -e["id"]))
        return _shorten(lead_event["summary"] or section_title, TITLE_CHARS)
    actors = [e for e in ranked if e["type"] != "PRODUCT"]
    products = [e for e in ranked if e["type"] == "PRODUCT"]
    lead = (actors or ranked)[0]["name"]
    actor_names = [e["name"] for e in actors[:3]]
    if lead not in actor_names:
        actor_names = [lead, *actor_names[:2]]
    objects = _objects_phrase(products, int(cfg["family_prefix_parts"]))
    values = {"lead": lead, "actors": _join_names(actor_names), "objects": objects,
              "section": section_title.lower()}
    template = templates.get(section, templates["single"])
    needs_objects = "{objects}" in template
    needs_actors = "{actors}" in template
    if (needs_objects and not objects) or (needs_actors and len(actor_names) < 2):
        template = templates["single"]
    return template.format(**values)


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _objects_phrase(products: list[dict[str, Any]], family_parts: int) -> str:
    """The story's key products, newest first; a product family stands for its members.

    "MAI-Image-2-Efficient, MAI-Image-2 and 3 more MAI models" when one family has two or
    more products; otherwise up to three names.
    """
    if not products:
        return ""
    newest = sorted(products, key=lambda p: (p["first_mentioned"], p["score"]), reverse=True)
    families = Counter(f for p in newest if (f := family_of(p["name"], p["type"], family_parts)))
    if families and families.most_common(1)[0][1] >= 2:
        family = families.most_common(1)[0][0]
        newest = [p for p in newest if family_of(p["name"], p["type"], family_parts) == family]
        prefix = newest[0]["name"].split("-")[0]
        if len(newest) > 3:
            rest = len(newest) - 2
            return f"{newest[0]['name']}, {newest[1]['name']} and {rest} more {prefix} models"
    return _join_names([p["name"] for p in newest[:3]])


def generate_overview(events: list[dict[str, Any]], weights: dict[str, Any]) -> str:
    """The story's most central sentences (closest to its word centroid), in date order."""
    usable = [e for e in events if e["status"] not in ("superseded", "denied") and e["sentence"]] or \
             [e for e in events if e["sentence"]]
    if not usable:
        return ""
    vectors = {e["id"]: Counter(content_words(e["sentence"])) for e in usable}
    centroid: Counter[str] = Counter()
    for vector in vectors.values():
        centroid.update(vector)
    scored = sorted(
        usable,
        key=lambda e: (-round(cosine(vectors[e["id"]], centroid) * (0.5 + (e["importance"] or 0.0)), 6), e["id"]),
    )
    count = int(weights["stories"]["overview_sentences"])
    chosen, seen = [], set()
    for event in scored:
        text = " ".join(event["sentence"].split())
        if text.lower() in seen:
            continue
        seen.add(text.lower())
        chosen.append(event)
        if len(chosen) == count:
            break
    chosen.sort(key=lambda e: (e["sort_date"] or "", e["id"]))
    sentences = []
    for event in chosen:
        text = strip_dateline(" ".join(event["sentence"].split()))
        sentences.append(_shorten(text, OVERVIEW_SENTENCE_CHARS))
    return " ".join(sentences)


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
        db.execute("UPDATE stories SET overview = ?, overview_locked = 1 WHERE id = ?", [overview, story_id])


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


def decode_components(value: str | None) -> dict[str, Any]:
    try:
        return json.loads(value) if value else {}
    except json.JSONDecodeError:
        return {}

