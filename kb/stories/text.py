"""Story overviews, generated from the story's own material (no network service), and when each
entity was first named (entity_first_mentions)."""

from __future__ import annotations

import weakref
from collections import Counter
from typing import Any

import sqlite_utils

from kb.core.excerpts import shorten
from kb.ledger.reports import strip_dateline
from kb.ledger.scoring import ScoringContext
from kb.ledger.similarity import content_words, cosine, norm_of
from kb.store.articles import PUBLISHED_OR_FETCHED_SQL

OVERVIEW_SENTENCE_CHARS = 300


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


def _shorten(text: str, limit: int) -> str:
    return shorten(" ".join(text.split()), limit)


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
