"""The order articles are merged in, and what must merge again when late ones arrive."""

from __future__ import annotations

import sqlite_utils

# The order articles are analysed and merged in: by publication time (UTC; undated last), then
# canonical URL and id. It follows the articles, not the order their fetches happened to finish
# in (which sets their ids), so the same articles build the same events however they arrived.
ANALYSIS_ORDER = "datetime(published_at) IS NULL, datetime(published_at), canonical_url, id"


def stranded_articles(db: sqlite_utils.Database, exclude: set[int]) -> list[int]:
    """Articles analysed but not yet merged into the claim ledger (a run killed between storing
    their analysis and its merge), in ANALYSIS_ORDER."""
    return [row[0] for row in db.execute(
        "SELECT id FROM articles WHERE id IN (SELECT DISTINCT article_id FROM event_mentions "
        f"WHERE event_id IS NULL) ORDER BY {ANALYSIS_ORDER}").fetchall() if row[0] not in exclude]


def order_key(row: tuple) -> tuple:
    """ANALYSIS_ORDER as a Python key for (id, datetime(published_at), canonical_url) rows."""
    article_id, published, canonical = row
    return (published is None, published or "", canonical or "", article_id)


def replay_articles(db: sqlite_utils.Database, arriving: list[int]) -> list[int]:
    """Merged articles that come after the earliest arriving one in ANALYSIS_ORDER, in that order.

    New articles are merged at their place in the order, not after everything merged before:
    the articles merged after that place are taken out of the claim ledger and merged again
    behind them, so a knowledge base built over many runs holds the events of one build.
    """
    if not arriving:
        return []
    found = db.execute(
        f"SELECT id, datetime(published_at), canonical_url FROM articles WHERE id IN "
        f"({', '.join('?' * len(arriving))})", arriving).fetchall()
    if not found:
        return []
    first = min(map(order_key, found))
    since = "" if first[0] else first[1]
    later = db.execute(
        "SELECT id, datetime(published_at), canonical_url FROM articles "
        "WHERE id IN (SELECT DISTINCT article_id FROM event_links) "
        "AND (published_at IS NULL OR datetime(published_at) >= ?)", [since]).fetchall()
    skip = set(arriving)
    return [row[0] for row in sorted(later, key=order_key) if row[0] not in skip and order_key(row) > first]


def never_merged(db: sqlite_utils.Database, ids: list[int]) -> list[int]:
    """Those of the articles that may report events and have none in the claim ledger yet."""
    merged: set[int] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        merged.update(row[0] for row in db.execute(
            f"SELECT DISTINCT article_id FROM event_links WHERE article_id IN ({marks})", chunk))
        merged.update(row[0] for row in db.execute(  # an article off the topics reports no events
            f"SELECT id FROM articles WHERE relevant = 0 AND id IN ({marks})", chunk))
    return [i for i in ids if i not in merged]
