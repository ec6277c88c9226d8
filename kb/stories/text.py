"""Story titles and overviews, generated from the story's own material (no network service)."""

from __future__ import annotations

import weakref
from collections import Counter
from typing import Any

import sqlite_utils

from kb.core.excerpts import shorten
from kb.ledger.reports import strip_dateline
from kb.ledger.scoring import ScoringContext
from kb.ledger.similarity import content_words, cosine, norm_of
from kb.ledger.sql_helpers import marks
from kb.store.articles import PUBLISHED_OR_FETCHED_SQL
from kb.stories.profiles import family_of

ROLE_WEIGHT = {"agent": 1.0, "product": 0.9, "partner": 0.8, "object": 0.7, "participant": 0.5}
OVERVIEW_SENTENCE_CHARS = 300
TITLE_CHARS = 100


def _join_names(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def key_entities(db: sqlite_utils.Database, ctx: ScoringContext,
                 events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The story's entities ranked by (importance of their events * role * centrality)."""
    # Denied and superseded claims do not name a story; rumors count half.
    ids = ([e["id"] for e in events if e["status"] not in ("superseded", "denied")]
           or [e["id"] for e in events])
    importance = {e["id"]: ((e["importance"] or 0.0) + 0.1) * (0.5 if e["status"] == "rumored" else 1.0)
                  for e in events}
    dates = {e["id"]: e["sort_date"] or "" for e in events}
    rows = db.execute(
        f"""SELECT ee.event_id, ee.entity_id, ee.role, en.name, en.type FROM event_entities ee
            JOIN entities en ON en.id = ee.entity_id WHERE ee.event_id IN ({marks(ids)})""", ids).fetchall()
    ranked: dict[int, dict[str, Any]] = {}
    for event_id, entity_id, role, name, kind in rows:
        item = ranked.setdefault(entity_id, {"id": entity_id, "name": name, "type": kind, "score": 0.0,
                                             "first": "9999", "roles": set()})
        item["score"] += importance[event_id] * ROLE_WEIGHT.get(role, 0.5) * ctx.centrality(entity_id)
        item["first"] = min(item["first"], dates[event_id])
        item["roles"].add(role)
    for item in ranked.values():  # only titles' product lists need it
        product = item["type"] == "PRODUCT"
        item["first_mentioned"] = (first_mentioned(db, ctx, item["id"]) if product else None) or item["first"]
    return sorted(ranked.values(), key=lambda i: (-round(i["score"], 6), i["name"]))


MENTION_DATE_SQL = f"substr({PUBLISHED_OR_FETCHED_SQL}, 1, 10)"
_first_mentioned: weakref.WeakKeyDictionary[ScoringContext, dict[int, str | None]] = (
    weakref.WeakKeyDictionary())


def first_mentioned(db: sqlite_utils.Database, ctx: ScoringContext, entity_id: int) -> str | None:
    """The date an entity was first named in any article.

    Kept in entity_first_mentions and extended by the mentions added since (by index), so it
    costs the same however often the entity was named; triggers drop a row whose mentions
    were deleted or moved or whose articles changed date, and it is computed again in full.
    Memoised per scoring context (one run).
    """
    memo = _first_mentioned.setdefault(ctx, {})
    if entity_id in memo:
        return memo[entity_id]
    row = db.execute("SELECT first_date, upto_mention_id FROM entity_first_mentions WHERE entity_id = ?",
                     [entity_id]).fetchone()
    first, upto = row if row else (None, 0)
    newest = db.execute("SELECT max(id) FROM mentions WHERE entity_id = ?", [entity_id]).fetchone()[0]
    if newest is not None and newest > upto:
        added = db.execute(
            f"""SELECT min({MENTION_DATE_SQL}) FROM mentions m JOIN articles a ON a.id = m.article_id
                WHERE m.entity_id = ? AND m.id > ?""", [entity_id, upto]).fetchone()[0]
        first = min((d for d in (first, added) if d is not None), default=None)
        db.execute("""INSERT INTO entity_first_mentions (entity_id, first_date, upto_mention_id)
                      VALUES (?, ?, ?) ON CONFLICT (entity_id) DO UPDATE SET first_date = excluded.first_date,
                          upto_mention_id = excluded.upto_mention_id""", [entity_id, first, newest])
    memo[entity_id] = first
    return first


def rebuild_first_mentions(db: sqlite_utils.Database) -> None:
    """Compute every entity's first-mentioned date afresh (kb rescore, generated bases).

    The caller commits.
    """
    db.execute("DELETE FROM entity_first_mentions")
    db.execute(f"""INSERT INTO entity_first_mentions (entity_id, first_date, upto_mention_id)
                   SELECT m.entity_id, min({MENTION_DATE_SQL}), max(m.id) FROM mentions m
                   JOIN articles a ON a.id = m.article_id WHERE m.entity_id IS NOT NULL
                   GROUP BY m.entity_id""")


def generate_title(db: sqlite_utils.Database, ctx: ScoringContext, events: list[dict[str, Any]],
                   section: str) -> str:
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
    return shorten(" ".join(text.split()), limit)


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
    centroid_norm = norm_of(centroid)  # once, not once per sentence

    def rank(e: dict[str, Any]) -> tuple:
        weight = 0.5 + (e["importance"] or 0.0)
        return (-round(cosine(vectors[e["id"]], centroid, centroid_norm) * weight, 6), e["id"])

    scored = sorted(usable, key=rank)
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
