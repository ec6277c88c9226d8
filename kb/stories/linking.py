"""Links between storyline keys: two lines are one storyline when the evidence says so, or when
a person merged them by hand; a hand split keeps two lines apart (table `storyline_links`).

An automatic link joins keys A and B when at least `[linking] min_articles` articles report
events of both, those articles are at least `min_share` of EACH key's articles, and at least
`min_articles` of them name one entity in events of both keys (the row keeps the entity and
the shared articles, so a reader sees why). A link reads only the two keys' articles and their
events, never the order they arrived in. Keys joined by links (kinds 'auto' and 'merge') form
one storyline; a 'split' row keeps a pair apart whatever the evidence says.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import sqlite_utils

from kb.ledger.sql_helpers import chunks, marks
from kb.stories.drift import base_of
from kb.stories.themes import StorylineRules

JOINING = ("auto", "merge")
NAMED_KINDS = ("ORG", "PERSON", "PRODUCT")


@dataclass(frozen=True)
class Link:
    """The evidence that two keys are one line."""

    key_a: str
    key_b: str
    entity: str
    shared: tuple[int, ...]
    articles_a: int
    articles_b: int


def pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def key_article_ids(db: sqlite_utils.Database, key: str) -> set[int]:
    """The distinct articles reporting the key's events."""
    return {r[0] for r in db.execute(
        """SELECT DISTINCT em.article_id FROM storyline_events sl JOIN event_mentions em
           ON em.event_id = sl.event_id WHERE sl.key = ?""", [key])}


def neighbour_keys(db: sqlite_utils.Database, articles: Iterable[int], key: str) -> set[str]:
    """The other keys whose events these articles report."""
    found: set[str] = set()
    for part in chunks(sorted(articles)):
        found.update(r[0] for r in db.execute(
            f"""SELECT DISTINCT sl.key FROM event_mentions em
                JOIN storyline_events sl ON sl.event_id = em.event_id
                WHERE em.article_id IN ({marks(part)}) AND sl.key IS NOT NULL""", part))
    found.discard(key)
    return found


def common_entity(db: sqlite_utils.Database, a: str, b: str, shared: Iterable[int],
                  ignored_types: Iterable[str], enough: int, generic: Iterable[str] = ()) -> str | None:
    """The entity named in events of both keys by the most shared articles (at least `enough`).
    `generic` names (the tracked parties, named in nearly every line of the topic) are no evidence."""
    wanted = [k for k in NAMED_KINDS if k not in set(ignored_types)]
    named: dict[tuple[int, str], set[str]] = {}
    for part in chunks(sorted(shared)):
        for article_id, key, name in db.execute(
                f"""SELECT DISTINCT em.article_id, sl.key, en.name FROM event_mentions em
                    JOIN storyline_events sl ON sl.event_id = em.event_id
                    JOIN event_entities ee ON ee.event_id = em.event_id
                    JOIN entities en ON en.id = ee.entity_id
                    WHERE em.article_id IN ({marks(part)}) AND sl.key IN (?, ?)
                      AND en.type IN ({marks(wanted)})""", [*part, a, b, *wanted]):
            named.setdefault((article_id, key), set()).add(name)
    counts: Counter[str] = Counter()
    for article_id in set(shared):
        counts.update(named.get((article_id, a), set()) & named.get((article_id, b), set()))
    for name in set(generic):
        counts.pop(name, None)
    best = min(counts, key=lambda n: (-counts[n], n), default=None)
    return best if best is not None and counts[best] >= enough else None


def evidence_links(db: sqlite_utils.Database, key: str, rules: StorylineRules,
                   ignored_types: Iterable[str], generic: Iterable[str] = ()) -> list[Link]:
    """The keys the evidence links to this one now."""
    mine = key_article_ids(db, key)
    if len(mine) < rules.link_articles:
        return []
    links = []
    for other in sorted(neighbour_keys(db, mine, key)):
        if base_of(other) == base_of(key):  # a line split where it drifted stays split
            continue
        theirs = key_article_ids(db, other)
        shared = mine & theirs
        if len(shared) < rules.link_articles or len(shared) < rules.link_share * max(len(mine), len(theirs)):
            continue
        # The evidence: one entity named in events of both lines by enough of the shared articles
        # to pass the share on its own (an article that names it only in one line is no evidence).
        enough = max(rules.link_articles, math.ceil(rules.link_share * max(len(mine), len(theirs))))
        entity = common_entity(db, key, other, shared, ignored_types, enough, generic)
        if entity is None:
            continue
        a, b = pair(key, other)
        links.append(Link(a, b, entity, tuple(sorted(shared)),
                          len(mine) if a == key else len(theirs), len(theirs) if a == key else len(mine)))
    return links


def update_links(db: sqlite_utils.Database, keys: Iterable[str], rules: StorylineRules,
                 ignored_types: Iterable[str], at: str = "", generic: Iterable[str] = ()) -> set[str]:
    """Recompute the automatic links of these keys (hand-made rows stay); return every key whose
    links were added or dropped. `generic`: names that are no evidence (see common_entity)."""
    touched: set[str] = set()
    for key in sorted(set(keys)):
        found = evidence_links(db, key, rules, ignored_types, generic)
        now = {(link.key_a, link.key_b): link for link in found}
        rows = db.execute("SELECT key_a, key_b, kind FROM storyline_links WHERE key_a = ? OR key_b = ?",
                          [key, key]).fetchall()
        manual = {(a, b) for a, b, kind in rows if kind != "auto"}
        before = {(a, b) for a, b, kind in rows if kind == "auto"}
        for gone in sorted(before - set(now)):
            db.execute("DELETE FROM storyline_links WHERE key_a = ? AND key_b = ?", list(gone))
            touched.update(gone)
        for (a, b), link in sorted(now.items()):
            if (a, b) in manual:
                continue
            if (a, b) not in before:
                touched.update((a, b))
            db.execute(
                """INSERT INTO storyline_links (key_a, key_b, kind, entity, shared, articles_a, articles_b,
                                                article_ids, at)
                   VALUES (?, ?, 'auto', ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (key_a, key_b) DO UPDATE SET entity = excluded.entity,
                       shared = excluded.shared, articles_a = excluded.articles_a,
                       articles_b = excluded.articles_b, article_ids = excluded.article_ids""",
                [a, b, link.entity, len(link.shared), link.articles_a, link.articles_b,
                 json.dumps(list(link.shared)), at])
    return touched


def force_link(db: sqlite_utils.Database, a: str, b: str, kind: str, at: str = "") -> None:
    """A hand-made link ('merge') or separation ('split') of two keys, winning over evidence."""
    if a == b:
        return
    a, b = pair(a, b)
    db.execute(
        """INSERT INTO storyline_links (key_a, key_b, kind, at) VALUES (?, ?, ?, ?)
           ON CONFLICT (key_a, key_b) DO UPDATE SET kind = excluded.kind, at = excluded.at""",
        [a, b, kind, at])


def linked_keys(db: sqlite_utils.Database, key: str) -> set[str]:
    """The keys one joining link away."""
    return {b if a == key else a for a, b in db.execute(
        f"""SELECT key_a, key_b FROM storyline_links WHERE (key_a = ? OR key_b = ?)
            AND kind IN ({marks(JOINING)})""", [key, key, *JOINING])}


def components(db: sqlite_utils.Database, keys: Iterable[str]) -> list[list[str]]:
    """The groups of keys joined by links that hold these keys, each sorted, in order of first key."""
    seen: set[str] = set()
    groups: list[list[str]] = []
    for start in sorted(set(keys)):
        if start in seen:
            continue
        group, todo = {start}, [start]
        while todo:
            for nxt in linked_keys(db, todo.pop()):
                if nxt not in group:
                    group.add(nxt)
                    todo.append(nxt)
        seen |= group
        groups.append(sorted(group))
    return groups
