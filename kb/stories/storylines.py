"""Storylines: events grouped by their storyline key (kb/stories/themes.py), one story per key.

An event's key is its own (from its type and entities) or, when no theme fits it, the key of
most of its article's events. A key whose events are reported by at least `min_articles`
articles has a story; the events of other keys are briefs. Every step is a function of the
set of events, not of the order they arrived in: a base built in one run, in several, or
with any merge size holds the same storylines (their ids may differ). A key keeps its story
once it has one; `kb stories merge` points the other story's keys at the kept one, so later
events of either line join it, and events placed by hand (story_events.manual) never move.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlite_utils

from kb.core.relations import Relations, default_relations
from kb.ledger.sql_helpers import chunks, marks
from kb.stories.drift import base_of, update_drift
from kb.stories.linking import components, update_links
from kb.stories.themes import EventFacts, StorylineRules, article_key, default_rules, own_key, top_parties


def event_facts(db: sqlite_utils.Database, event_ids: list[int],
                ignored_types: Iterable[str] = ()) -> dict[int, EventFacts]:
    """What storyline keys read of these events (a few queries per 500)."""
    ignored = set(ignored_types)
    facts: dict[int, EventFacts] = {}
    for part in chunks(sorted(set(event_ids))):
        for event_id, event_type, sentence, article_id, day in db.execute(
                f"SELECT id, type, sentence, article_id, sort_date FROM events WHERE id IN ({marks(part)})",
                part):
            facts[event_id] = EventFacts(event_id, event_type, sentence or "", article_id, [], date=day or "")
        for event_id, name, kind, role in db.execute(
                f"""SELECT ee.event_id, en.name, en.type, ee.role FROM event_entities ee
                    JOIN entities en ON en.id = ee.entity_id WHERE ee.event_id IN ({marks(part)})
                    ORDER BY ee.event_id, en.name, ee.role""", part):
            if kind not in ignored:
                facts[event_id].entities.append((name, kind, role))
        for (event_id,) in db.execute(
                f"""SELECT event_id FROM event_mentions WHERE event_id IN ({marks(part)})
                    GROUP BY event_id HAVING min(coalesce(recap, 0)) = 1""", part):
            facts[event_id].recap = True
    return facts


def key_story(db: sqlite_utils.Database, key: str) -> int | None:
    """The story of a key (through merges), or None."""
    row = db.execute("SELECT story_id FROM storyline_keys WHERE key = ?", [key]).fetchone()
    return resolve_story_id(db, row[0]) if row and row[0] is not None else None


def resolve_story_id(db: sqlite_utils.Database, story_id: int) -> int | None:
    """The story a story id stands for now: itself, or the story it was merged into (followed
    through later merges); None for a story that no longer exists."""
    seen: set[int] = set()
    current: int | None = story_id
    while current is not None and current not in seen:
        seen.add(current)
        row = db.execute("SELECT status, merged_into FROM stories WHERE id = ?", [current]).fetchone()
        if row is None:
            return None
        if row[0] != "merged" or row[1] is None:
            return current
        current = row[1]
    return None


def key_articles(db: sqlite_utils.Database, key: str, enough: int) -> int:
    """How many distinct articles report the key's events (counted up to `enough`)."""
    return db.execute(
        """SELECT count(*) FROM (SELECT DISTINCT em.article_id FROM storyline_events sl
               JOIN event_mentions em ON em.event_id = sl.event_id WHERE sl.key = ? LIMIT ?)""",
        [key, enough]).fetchone()[0]


def update_keys(db: sqlite_utils.Database, event_ids: Iterable[int], ignored_types: Iterable[str],
                rel: Relations, rules: StorylineRules,
                ) -> tuple[dict[int, tuple[str | None, str | None]], set[str], set[str]]:
    """Give these events (and the others of their articles, and of deleted events' articles)
    their keys; return every event whose key changed, with (old key, new key), the keys of
    events deleted since the last placement (their rows go by cascade; a trigger notes them),
    and every key of these events and of the articles looked at (their lines and links are
    checked again)."""
    ids = sorted(set(event_ids))
    facts = event_facts(db, ids, ignored_types)
    old: dict[int, tuple[int | None, str | None, str | None]] = {}
    for part in chunks(ids):
        for event_id, article_id, own, key in db.execute(
                "SELECT event_id, article_id, own_key, key FROM storyline_events "
                f"WHERE event_id IN ({marks(part)})",
                part):
            old[event_id] = (article_id, own, key)
    articles: set[int] = set()
    gone_keys: set[str] = set()
    for article_id, key in db.execute("SELECT article_id, key FROM storyline_dirty").fetchall():
        if article_id is not None:
            articles.add(article_id)
        if key is not None:
            gone_keys.add(key)
    db.execute("DELETE FROM storyline_dirty")
    rows = []
    for event_id, fact in facts.items():
        own = own_key(fact, rel, rules)
        before = old.get(event_id)
        if before is None or before[0] != fact.article_id or before[1] != own:
            rows.append([event_id, fact.article_id, own])
            articles.update(a for a in (fact.article_id, before[0] if before else None) if a is not None)
        if before is None and fact.article_id is None:
            articles.add(-event_id)  # an event without an article keeps its own key
    db.conn.executemany(
        """INSERT INTO storyline_events (event_id, article_id, own_key, key) VALUES (?, ?, ?, NULL)
           ON CONFLICT (event_id) DO UPDATE SET article_id = excluded.article_id,
               own_key = excluded.own_key""",
        rows)
    changed: dict[int, tuple[str | None, str | None]] = {}
    # A new report of an event whose key stays may still make its line a storyline.
    seen: set[str] = {before[2] for before in old.values() if before[2]}
    for article_id in sorted(articles):
        if article_id < 0:
            members = db.execute("SELECT event_id, own_key, key FROM storyline_events WHERE event_id = ?",
                                 [-article_id]).fetchall()
        else:
            members = db.execute("SELECT event_id, own_key, key FROM storyline_events WHERE article_id = ? "
                                 "ORDER BY event_id", [article_id]).fetchall()
        shared = article_key([own for _, own, _ in members if own], rules) if article_id > 0 else None
        for event_id, own, key in members:
            seen.update(k for k in (key, own or shared) if k)
            if (own or shared) != base_of(key):
                changed[event_id] = (key, own or shared)
    db.conn.executemany("UPDATE storyline_events SET key = ? WHERE event_id = ?",
                        [[new, event_id] for event_id, (_, new) in sorted(changed.items())])
    return changed, gone_keys, seen


def place_storylines(db: sqlite_utils.Database, event_ids: Iterable[int], ignored_types: Iterable[str],
                     rel: Relations | None = None, rules: StorylineRules | None = None) -> dict[int, int]:
    """Place these events (and any whose key changed with them) into their storylines: keys
    joined by links (kb/stories/linking.py) share one story.

    Returns event -> its story before, for every event whose story changed (0: none).
    """
    rel = rel or default_relations()
    rules = rules or default_rules()
    changed, gone_keys, seen = update_keys(db, event_ids, ignored_types, rel, rules)
    keys = {k for pair in changed.values() for k in pair if k} | gone_keys | seen
    for event_id, (old, new) in update_drift(db, keys, rel, rules).items():
        first = changed.pop(event_id, (old, new))[0]
        if first != new:
            changed[event_id] = (first, new)
    keys |= {k for pair in changed.values() for k in pair if k}
    relinked = update_links(db, keys, rules, ignored_types, generic=top_parties(rel))
    moved: dict[int, int] = {}
    for group, story_id, merged in _group_stories(db, _line_groups(db, keys | relinked), rules):
        for other in merged:
            moved.update(_merge_into(db, other, story_id))
        for key in group:
            if story_id is not None and key_story(db, key) == story_id:
                members = [e for e, (_, new) in changed.items() if new == key]
            else:
                if story_id is not None:
                    _point_key(db, key, story_id)
                members = [r[0] for r in db.execute("SELECT event_id FROM storyline_events WHERE key = ?",
                                                    [key])]
            for event_id, story in _put(db, members, story_id).items():
                moved.setdefault(event_id, story)
    for event_id, (_, new) in sorted(changed.items()):
        if new is None and event_id not in moved:
            moved.update(_put(db, [event_id], None))
    return moved


def _point_key(db: sqlite_utils.Database, key: str, story_id: int) -> None:
    db.execute("INSERT INTO storyline_keys (key, story_id) VALUES (?, ?) "
               "ON CONFLICT (key) DO UPDATE SET story_id = excluded.story_id", [key, story_id])


def _line_groups(db: sqlite_utils.Database, keys: set[str]) -> list[list[str]]:
    """The groups of linked keys holding these keys, and any other key sharing a story with them
    (so a story two groups claim, after a link dropped, is settled between them)."""
    work = set(keys)
    while True:
        groups = components(db, work)
        inside = {k for g in groups for k in g}
        stories = sorted({s for k in inside if (s := key_story(db, k)) is not None})
        more = {r[0] for s in stories for r in db.execute(
            "SELECT key FROM storyline_keys WHERE story_id = ?", [s])} - inside
        if not more:
            return groups
        work |= more


def _group_stories(db: sqlite_utils.Database, groups: list[list[str]], rules: StorylineRules,
                   ) -> list[tuple[list[str], int | None, list[int]]]:
    """Each group's story (None: its keys are briefs), with the stories merged into it. Groups
    with most events choose first; a group keeps a story its keys hold (hand-edited first, then
    the largest), and the other stories only its keys hold are merged into it."""
    plans = []
    for group in groups:
        lines = [k for k in group if key_articles(db, k, rules.min_articles) >= rules.min_articles]
        if lines and len(group) > 1:  # a key linked to a storyline (by hand, say) is part of it
            lines = list(group)
        size = sum(db.execute("SELECT count(*) FROM storyline_events WHERE key = ?", [k]).fetchone()[0]
                   for k in lines)
        plans.append((-size, group, lines))
    claimed: set[int] = set()
    out: list[tuple[list[str], int | None, list[int]]] = []
    for _, group, lines in sorted(plans):
        briefs = [k for k in group if k not in lines]
        if briefs:
            out.append((briefs, None, []))
        if not lines:
            continue
        held = sorted({s for k in lines if (s := key_story(db, k)) is not None} - claimed,
                      key=lambda s: _keeper_rank(db, s))
        if held:
            story_id = held[0]
        else:
            story_id = _adopt_or_create(db, lines[0])
        merged = [s for s in held[1:] if {r[0] for r in db.execute(
            "SELECT key FROM storyline_keys WHERE story_id = ?", [s])} <= set(group)]
        claimed.update([story_id, *merged])
        out.append((lines, story_id, merged))
    return out


def _keeper_rank(db: sqlite_utils.Database, story_id: int) -> tuple:
    """Which story of a group survives: one edited by hand, then the one with most events."""
    locked, events = db.execute(
        """SELECT s.title_locked + s.overview_locked + EXISTS (SELECT 1 FROM story_events
                  WHERE story_id = s.id AND manual = 1), coalesce(t.events, 0)
           FROM stories s LEFT JOIN story_totals t ON t.story_id = s.id WHERE s.id = ?""",
        [story_id]).fetchone()
    return (-(locked > 0), -events, story_id)


def _merge_into(db: sqlite_utils.Database, other: int, story_id: int) -> dict[int, int]:
    """Merge a story into another on evidence: its events (pinned ones stay pinned) move, its id
    redirects; return event -> its story before."""
    moved = {r[0]: other for r in db.execute("SELECT event_id FROM story_events WHERE story_id = ?", [other])}
    db.execute("UPDATE story_events SET story_id = ? WHERE story_id = ?", [story_id, other])
    db.execute("UPDATE stories SET status = 'merged', merged_into = ?, events = 0, mentions = 0 WHERE id = ?",
               [story_id, other])
    db.execute("UPDATE stories SET merged_into = ? WHERE merged_into = ?", [story_id, other])
    db.execute("UPDATE storyline_keys SET story_id = ? WHERE story_id = ?", [story_id, other])
    return moved


def _adopt_or_create(db: sqlite_utils.Database, key: str) -> int:
    """A story for a key that has none: the keyless story most of its events are in (so ids
    carry over), else a new one (the caller points the key at it)."""
    row = db.execute(
        """SELECT se.story_id FROM storyline_events sl JOIN story_events se ON se.event_id = sl.event_id
           JOIN stories s ON s.id = se.story_id
           WHERE sl.key = ? AND s.status != 'merged'
             AND NOT EXISTS (SELECT 1 FROM storyline_keys k WHERE k.story_id = se.story_id)
           GROUP BY se.story_id ORDER BY count(*) DESC, se.story_id LIMIT 1""", [key]).fetchone()
    if row:
        story_id = row[0]
    else:
        story_id = int(db.execute("INSERT INTO stories (title, status) VALUES (?, 'developing')",
                                  [key.split("|", 1)[-1].replace("|", " and ")]).lastrowid)
    return story_id


def _put(db: sqlite_utils.Database, event_ids: list[int], story_id: int | None) -> dict[int, int]:
    """Put events into a story (None: out of any), leaving events placed by hand; return event ->
    its story before, for those that moved."""
    moved: dict[int, int] = {}
    current: dict[int, tuple[int, int]] = {}
    for part in chunks(sorted(set(event_ids))):
        for event_id, story, manual in db.execute(
                f"SELECT event_id, story_id, manual FROM story_events WHERE event_id IN ({marks(part)})",
                part):
            current[event_id] = (story, manual)
    known: dict[int, str] = {}
    for part in chunks(sorted(set(event_ids))):
        known.update(db.execute(f"SELECT id, known_at FROM events WHERE id IN ({marks(part)})",
                                part).fetchall())
    inserts, deletes = [], []
    for event_id in sorted(set(event_ids)):
        story, manual = current.get(event_id, (None, 0))
        if manual or story == story_id:
            continue
        moved[event_id] = story or 0
        if story is not None:
            deletes.append([event_id])
        if story_id is not None:
            inserts.append([story_id, event_id, known.get(event_id) or ""])
    db.conn.executemany("DELETE FROM story_events WHERE event_id = ?", deletes)
    db.conn.executemany("INSERT INTO story_events (story_id, event_id, added_at, manual) VALUES (?, ?, ?, 0)",
                        inserts)
    return moved
