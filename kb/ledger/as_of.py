"""What the knowledge base knew at a time: the as-of query over events and their status history."""

from __future__ import annotations

from typing import Any

import sqlite_utils

# The canned "what did we know on :as_of" query: each event known by then, with its status
# and independent report count at that time (as_of: a date, or a UTC timestamp ending in Z).
AS_OF_SQL = """
SELECT e.id AS event_id, e.type, e.date, e.date_mod, e.sort_date, e.summary,
       p.status AS status_then, e.status AS status_now, p.reason AS status_reason,
       e.known_at,
       (SELECT count(DISTINCT l.original_article_id) FROM event_links l
         WHERE l.event_id = e.id AND substr(l.known_at, 1, length(:as_of)) <= :as_of) AS mentions_then,
       e.importance, e.confidence
FROM events e
JOIN event_status_periods p ON p.event_id = e.id
WHERE substr(e.known_at, 1, length(:as_of)) <= :as_of
  AND substr(p.valid_from, 1, length(:as_of)) <= :as_of
  AND (p.valid_to IS NULL OR substr(p.valid_to, 1, length(:as_of)) > :as_of)
ORDER BY e.sort_date, e.id
"""


def known_as_of(db: sqlite_utils.Database, as_of: str) -> list[dict[str, Any]]:
    """Run the as-of query: every event known on `as_of`, with its status then."""
    cursor = db.execute(AS_OF_SQL, {"as_of": as_of})
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
